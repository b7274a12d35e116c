//! Captions and photo details: a guest writes a short caption when adding a photo and may
//! change it later on their own photos; members correct a photo's caption, who it is credited
//! to and when it was taken. Every change after the upload is in the event's log (the audit
//! log under `event:ID/photo:ID`) with what it was before and after.
//!
//! Members need [`Action::ModeratePhotos`]: correcting what guests read about a photo is
//! curating the gallery, like hiding or approving it, and every member helps with that at the
//! party; setting the event up ([`Action::ManageEvents`]) is not needed.
//!
//! A guest may change their captions while the event is live or ended (people add words the
//! morning after), not once it is archived, and not once a member stopped them uploading. In an
//! event that approves photos first, a published photo whose caption its guest changed goes
//! back to waiting for approval: nothing reaches the gallery unreviewed.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use domain::values::check_chars;
use domain::{
    Action, Caption, EventId, EventStatus, EventZone, Moderation, ParseError, PhotoId, PhotoStatus,
};
use serde_json::{Value, json};
use store::{
    AuditRepo, Event, EventRepo, Guest, NewAuditEntry, Photo, PhotoDetails, PhotoRepo, Scope,
    StoreError,
};

use crate::{Ctx, Error, Services};

/// The longest name a photo can be credited to (a member's display name is at most this).
pub const MAX_UPLOADER_NAME: usize = domain::PersonName::MAX_LEN;

/// What is wrong with one field of an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailProblem {
    Parse(ParseError),
    /// Not a date and time (`2026-06-20T14:03`, or RFC 3339 with an offset).
    BadDateTime,
    /// That local time does not exist in the event's zone (the clocks jump over it).
    SkippedTime,
    /// Outside the years photos can have been taken in.
    OutOfRange,
}

/// Why a guest may not change a caption now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptionRefusal {
    /// The event is archived (or still a draft): it takes no changes from guests.
    Closed,
    /// A member stopped this guest from uploading; their words stay as they are.
    Blocked,
}

/// What a caption or details change failed with.
#[derive(Debug, thiserror::Error)]
pub enum DetailsError {
    /// Fields that were not right, each with its problem.
    #[error("invalid input")]
    Invalid(Vec<(&'static str, DetailProblem)>),
    #[error("captions cannot be changed now: {0:?}")]
    Refused(CaptionRefusal),
    #[error(transparent)]
    Denied(#[from] domain::Denied),
    /// No such photo for this actor (another organization's, another guest's …).
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Error> for DetailsError {
    fn from(e: Error) -> Self {
        match e {
            Error::Denied(d) => DetailsError::Denied(d),
            Error::NotFound => DetailsError::NotFound,
            Error::GuestBlocked => DetailsError::Refused(CaptionRefusal::Blocked),
            Error::Store(s) => DetailsError::Store(s),
        }
    }
}

/// A caption as typed: `None` when empty; [`DetailsError::Invalid`] on `field` when it is not
/// one (too long, a line break, control or invisible characters).
pub fn parse_caption(field: &'static str, raw: &str) -> Result<Option<Caption>, DetailsError> {
    Caption::parse(raw).map_err(|e| DetailsError::Invalid(vec![(field, DetailProblem::Parse(e))]))
}

/// Whether `guest` may change their captions in `event` now.
pub fn may_caption(event: &Event, guest: &Guest) -> Result<(), CaptionRefusal> {
    if guest.blocked_at.is_some() {
        return Err(CaptionRefusal::Blocked);
    }
    match event.status {
        EventStatus::Live | EventStatus::Ended => Ok(()),
        EventStatus::Draft | EventStatus::Archived => Err(CaptionRefusal::Closed),
    }
}

/// A guest sets (or, with an empty `raw`, removes) the caption of one of their own photos.
pub async fn set_own_caption(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    guest: &Guest,
    photo: PhotoId,
    raw: &str,
) -> Result<Photo, DetailsError> {
    if ctx.guest_of(event.id) != Some(guest.id) || guest.event_id != event.id {
        return Err(DetailsError::NotFound);
    }
    // What they may not see (another guest's photo) is "not found" before anything else.
    crate::photos::own_photo_of(services, ctx, event, photo).await?;
    may_caption(event, guest).map_err(DetailsError::Refused)?;
    let caption = parse_caption("caption", raw)?.map(String::from);
    let tenant = ctx.tenant;
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(before) = tx.get_photo(tenant, photo).await? else {
        return Err(DetailsError::NotFound);
    };
    if before.event_id != event.id || before.guest_id != Some(guest.id) {
        return Err(DetailsError::NotFound);
    }
    if before.caption == caption {
        return Ok(before);
    }
    let details = PhotoDetails {
        caption: caption.clone(),
        ..PhotoDetails::of(&before)
    };
    if !tx.update_photo_details(tenant, photo, &details).await? {
        return Err(DetailsError::NotFound);
    }
    let held = event.settings.moderation == Moderation::Approve
        && tx
            .moderate_photo(
                tenant,
                photo,
                &[PhotoStatus::Published],
                PhotoStatus::PendingReview,
                None,
                ctx.now,
            )
            .await?;
    if held {
        crate::notifications::photo_waiting(&mut tx, tenant, ctx.now).await?;
    }
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor: None,
            action: "photo.caption".into(),
            subject: Some(crate::moderation::subject(event.id, photo)),
            details: json!({
                "uploader": before.uploader_name,
                "caption": change(&before.caption, &caption),
                "held": held,
            }),
        },
    )
    .await?;
    let after = tx
        .get_photo(tenant, photo)
        .await?
        .ok_or(DetailsError::NotFound)?;
    crate::live::photo_changed(&mut tx, event, Some(&before), Some(&after), ctx.now).await?;
    tx.commit().await?;
    services.live.ring(tenant, event.id);
    tracing::info!(tenant.id = %tenant, event.id = %event.id, photo.id = %photo, held, "guest changed a caption");
    Ok(after)
}

/// A member's corrections to a photo: each field `None` stays as it is. An empty caption or
/// time taken removes it; an empty name credits the photo to nobody ("a guest").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoEdit {
    pub caption: Option<String>,
    pub uploader_name: Option<String>,
    /// `2026-06-20T14:03` in the event's time zone (a `datetime-local` input), or RFC 3339
    /// with an offset.
    pub taken_at: Option<String>,
}

/// One photo of `event` and the event, for the members' edit form.
pub async fn photo_for_edit(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    photo: PhotoId,
) -> Result<(Event, Photo), Error> {
    ctx.require(Action::ModeratePhotos)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let ev = tx.get_event(tenant, event).await?.ok_or(Error::NotFound)?;
    let p = tx
        .get_photo(tenant, photo)
        .await?
        .filter(|p| p.event_id == ev.id)
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok((ev, p))
}

/// A member corrects a photo of `event` (from the event's photos page).
pub async fn edit_event_photo(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    photo: PhotoId,
    changes: &PhotoEdit,
) -> Result<Photo, DetailsError> {
    edit(services, ctx, Some(event), photo, changes).await
}

/// A member corrects a photo of any event of the organization (the API, by photo id).
pub async fn edit_photo(
    services: &Services,
    ctx: &Ctx,
    photo: PhotoId,
    changes: &PhotoEdit,
) -> Result<Photo, DetailsError> {
    edit(services, ctx, None, photo, changes).await
}

async fn edit(
    services: &Services,
    ctx: &Ctx,
    event: Option<EventId>,
    photo: PhotoId,
    changes: &PhotoEdit,
) -> Result<Photo, DetailsError> {
    let actor = ctx.require(Action::ModeratePhotos)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let before = tx
        .get_photo(tenant, photo)
        .await?
        .filter(|p| event.is_none_or(|e| p.event_id == e))
        .ok_or(DetailsError::NotFound)?;
    let ev = tx
        .get_event(tenant, before.event_id)
        .await?
        .ok_or(DetailsError::NotFound)?;
    let mut after = PhotoDetails::of(&before);
    let mut problems = Vec::new();
    if let Some(raw) = &changes.caption {
        match Caption::parse(raw) {
            Ok(c) => after.caption = c.map(String::from),
            Err(e) => problems.push(("caption", DetailProblem::Parse(e))),
        }
    }
    if let Some(raw) = &changes.uploader_name {
        match parse_uploader_name(raw) {
            Ok(name) => after.uploader_name = name,
            Err(e) => problems.push(("uploader_name", DetailProblem::Parse(e))),
        }
    }
    if let Some(raw) = &changes.taken_at {
        // The form shows the current time in the event's zone; sent back untouched, it leaves
        // the camera's own reading (its seconds and offset) as it was.
        if raw.trim() != taken_at_input(&before, ev.time_zone) {
            match parse_taken_at(raw, ev.time_zone) {
                Ok(Some((local, offset))) => {
                    after.taken_at_local = Some(local);
                    after.taken_offset = Some(offset);
                }
                Ok(None) => {
                    after.taken_at_local = None;
                    after.taken_offset = None;
                }
                Err(p) => problems.push(("taken_at", p)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(DetailsError::Invalid(problems));
    }
    let old = PhotoDetails::of(&before);
    if after == old {
        return Ok(before);
    }
    if !tx.update_photo_details(tenant, photo, &after).await? {
        return Err(DetailsError::NotFound);
    }
    let mut changed = serde_json::Map::new();
    if old.caption != after.caption {
        changed.insert("caption".into(), change(&old.caption, &after.caption));
    }
    if old.uploader_name != after.uploader_name {
        changed.insert(
            "uploader_name".into(),
            json!({ "from": old.uploader_name, "to": after.uploader_name }),
        );
    }
    if old.taken_at_local != after.taken_at_local || old.taken_offset != after.taken_offset {
        let at = |d: &PhotoDetails| match (&d.taken_at_local, &d.taken_offset) {
            (Some(l), Some(o)) => Some(format!("{l}{o}")),
            (Some(l), None) => Some(l.clone()),
            _ => None,
        };
        changed.insert("taken_at".into(), change(&at(&old), &at(&after)));
    }
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor,
            action: "photo.edit".into(),
            subject: Some(crate::moderation::subject(ev.id, photo)),
            details: json!({
                "uploader": old.uploader_name,
                "changes": Value::Object(changed),
            }),
        },
    )
    .await?;
    let updated = tx
        .get_photo(tenant, photo)
        .await?
        .ok_or(DetailsError::NotFound)?;
    crate::live::photo_changed(&mut tx, &ev, Some(&before), Some(&updated), ctx.now).await?;
    tx.commit().await?;
    services.live.ring(tenant, ev.id);
    tracing::info!(tenant.id = %tenant, event.id = %ev.id, photo.id = %photo, "photo details corrected");
    Ok(updated)
}

fn change(from: &Option<String>, to: &Option<String>) -> Value {
    json!({ "from": from, "to": to })
}

/// A name to credit a photo to: spaces tidied, at most [`MAX_UPLOADER_NAME`] characters, no
/// control or invisible characters; empty means nobody in particular.
pub fn parse_uploader_name(raw: &str) -> Result<String, ParseError> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    check_chars(&name, false)?;
    if name.chars().count() > MAX_UPLOADER_NAME {
        return Err(ParseError::TooLong {
            max: MAX_UPLOADER_NAME,
        });
    }
    Ok(name)
}

/// When the photo was taken, as an instant, when the camera said so with its offset.
fn taken_instant(p: &Photo) -> Option<DateTime<FixedOffset>> {
    let local = p.taken_at_local.as_deref()?;
    let offset = p.taken_offset.as_deref()?;
    DateTime::parse_from_str(&format!("{local}{offset}"), "%Y-%m-%dT%H:%M:%S%:z").ok()
}

/// The time taken as a `datetime-local` value in the event's zone (`2026-06-20T14:03`), or ""
/// when unknown. Without an offset the camera's clock is taken as the event's local time.
pub fn taken_at_input(p: &Photo, zone: EventZone) -> String {
    if let Some(t) = taken_instant(p) {
        return t
            .with_timezone(&zone.0)
            .format("%Y-%m-%dT%H:%M")
            .to_string();
    }
    p.taken_at_local
        .as_deref()
        .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok())
        .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A corrected time taken: the local time in the event's zone and that zone's offset then
/// (`("2026-06-20T14:03:00", "+02:00")`), or `None` for an empty field.
pub fn parse_taken_at(
    raw: &str,
    zone: EventZone,
) -> Result<Option<(String, String)>, DetailProblem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let at: DateTime<Utc> = match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => {
            let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
                .map_err(|_| DetailProblem::BadDateTime)?;
            if !domain::time::year_in_range(&naive) {
                return Err(DetailProblem::OutOfRange);
            }
            // In an autumn overlap the earlier instant is meant; in a spring gap there is none.
            zone.0
                .from_local_datetime(&naive)
                .earliest()
                .ok_or(DetailProblem::SkippedTime)?
                .with_timezone(&Utc)
        }
    };
    if !domain::time::in_range(at) {
        return Err(DetailProblem::OutOfRange);
    }
    let local = at.with_timezone(&zone.0);
    Ok(Some((
        local.format("%Y-%m-%dT%H:%M:%S").to_string(),
        local.format("%:z").to_string(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> EventZone {
        EventZone::parse(name).expect("zone")
    }

    #[test]
    fn times_taken_are_read_in_the_events_zone() {
        let berlin = zone("Europe/Berlin");
        assert_eq!(
            parse_taken_at("2026-06-20T14:03", berlin),
            Ok(Some(("2026-06-20T14:03:00".into(), "+02:00".into())))
        );
        assert_eq!(
            parse_taken_at("2026-01-20T14:03:09", berlin),
            Ok(Some(("2026-01-20T14:03:09".into(), "+01:00".into())))
        );
        assert_eq!(
            parse_taken_at("2026-06-20T12:03:00Z", berlin),
            Ok(Some(("2026-06-20T14:03:00".into(), "+02:00".into()))),
            "RFC 3339 is moved into the event's zone"
        );
        assert_eq!(parse_taken_at("  ", berlin), Ok(None));
        assert_eq!(
            parse_taken_at("yesterday", berlin),
            Err(DetailProblem::BadDateTime)
        );
        assert_eq!(
            parse_taken_at("2026-03-29T02:30", berlin),
            Err(DetailProblem::SkippedTime)
        );
        assert_eq!(
            parse_taken_at("1850-06-20T14:03", berlin),
            Err(DetailProblem::OutOfRange)
        );
    }

    #[test]
    fn uploader_names_are_tidied_and_checked() {
        assert_eq!(parse_uploader_name("  Ana   Lima "), Ok("Ana Lima".into()));
        assert_eq!(parse_uploader_name(""), Ok(String::new()));
        assert_eq!(
            parse_uploader_name("Ana\u{202E}"),
            Err(ParseError::ControlCharacters)
        );
        assert_eq!(
            parse_uploader_name(&"x".repeat(101)),
            Err(ParseError::TooLong { max: 100 })
        );
    }
}
