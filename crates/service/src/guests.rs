//! Guests: joining an event with a name (no account), their session, and whether they may
//! upload right now.

use chrono::{DateTime, Duration, Utc};
use domain::{EventId, EventStatus, GuestId, TenantId};
use sha2::{Digest, Sha256};
use store::{Event, Guest, GuestRepo, PhotoRepo, Scope, StoreError};

use crate::photos::{self, Accepted, UploadError, Uploader};
use crate::{Ctx, Services};

/// Longest guest name.
pub const MAX_NAME: usize = 60;

/// Why joining did not work.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("the event asks for a name")]
    NameRequired,
    #[error("the name is longer than {MAX_NAME} characters")]
    NameTooLong,
    /// Control characters (NUL, escapes …) or invisible format characters in the name.
    #[error("the name has characters that are not allowed")]
    NameNotAllowed,
    #[error("the event is not open")]
    NotOpen,
    /// The organization's plan takes no more guests.
    #[error(transparent)]
    LimitReached(#[from] crate::usage::LimitReached),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a guest may not upload now. Each has its own message for the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadRefusal {
    /// The event is a draft, ended or archived.
    NotLive(EventStatus),
    /// The host switched guest uploads off.
    UploadsOff,
    NotYetOpen(DateTime<Utc>),
    Closed(DateTime<Utc>),
    /// The guest has reached the event's limit.
    LimitReached(u32),
    /// A member stopped this guest from uploading.
    Blocked,
}

/// The cookie that holds a guest's session for one event (a phone can be a guest of several).
/// Over https it has the `__Host-` prefix like the member's session cookie: the browser then
/// insists on Secure, `Path=/` and no Domain, so a sibling subdomain cannot plant one.
pub fn cookie_name(event: EventId, https: bool) -> String {
    let prefix = if https { "__Host-" } else { "" };
    format!("{prefix}mq_g_{}", event.as_uuid().simple())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    use base64::Engine;
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The cookie value: the tenant (so the lookup runs under that tenant's RLS) and the token.
pub fn cookie_value(tenant: TenantId, token: &str) -> String {
    format!("{}.{token}", tenant.as_uuid().simple())
}

/// How long a guest's cookie lives: to the end of the event and thirty days after (people
/// come back for the photos), at least a day.
pub fn session_length(event: &Event, now: DateTime<Utc>) -> Duration {
    // Checked: a row from before event times were bounded may end in year +262142.
    let until = event
        .ends_at
        .checked_add_signed(Duration::days(30))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    until
        .signed_duration_since(now)
        .clamp(Duration::days(1), MAX_SESSION)
}

/// The longest a guest's cookie lives, whatever the event's end says (browsers keep none
/// longer than 400 days anyway).
pub const MAX_SESSION: Duration = Duration::days(400);

/// A name as the guest typed it, checked against the event's setting.
pub fn parse_name(event: &Event, raw: &str) -> Result<String, JoinError> {
    let name: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if domain::values::check_chars(&name, false).is_err() {
        return Err(JoinError::NameNotAllowed);
    }
    if name.chars().count() > MAX_NAME {
        return Err(JoinError::NameTooLong);
    }
    if name.is_empty() && event.settings.guest_name_required {
        return Err(JoinError::NameRequired);
    }
    Ok(name)
}

/// Joins `event` as a new guest; returns the guest and their session token (for the cookie).
pub async fn join(
    services: &Services,
    event: &Event,
    raw_name: &str,
) -> Result<(Guest, String), JoinError> {
    let now = services.now();
    if !matches!(event.status, EventStatus::Live | EventStatus::Ended) {
        return Err(JoinError::NotOpen);
    }
    let name = parse_name(event, raw_name)?;
    let token = random_token();
    let guest = Guest {
        id: GuestId::new(),
        tenant_id: event.tenant_id,
        event_id: event.id,
        name,
        blocked_at: None,
        created_at: now,
        last_seen_at: now,
    };
    let mut tx = services.db.begin(Scope::Tenant(event.tenant_id)).await?;
    let guests = [(domain::plan::Resource::Guests, 1)];
    crate::usage::ensure_room(services, &mut tx, event.tenant_id, &guests)
        .await
        .map_err(|e| e.into_error(|| JoinError::NotOpen))?;
    tx.insert_guest(event.tenant_id, &guest, &token_hash(&token))
        .await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %event.tenant_id, event.id = %event.id, guest.id = %guest.id, "guest joined");
    Ok((guest, token))
}

/// The guest behind a cookie value for `event`, if it is theirs.
pub async fn resume(
    services: &Services,
    event: EventId,
    cookie: &str,
) -> Result<Option<(Guest, Event)>, StoreError> {
    let Some((tenant, token)) = cookie.split_once('.') else {
        return Ok(None);
    };
    let Ok(tenant) = tenant.parse::<TenantId>() else {
        return Ok(None);
    };
    if !(20..=64).contains(&token.len()) {
        return Ok(None);
    }
    // Every guest request comes through here: it reads (beside the writer, never queueing
    // for the write lock), and writes only when the guest's last visit is worth refreshing.
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let guest = tx.find_guest(tenant, event, &token_hash(token)).await?;
    let found = match guest {
        Some(g) => {
            use store::EventRepo;
            tx.get_event(tenant, event).await?.map(|e| (g, e))
        }
        None => None,
    };
    tx.commit().await?;
    if let Some((g, _)) = &found {
        let now = services.now();
        if now.signed_duration_since(g.last_seen_at) > Duration::minutes(5) {
            let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
            tx.touch_guest(tenant, g.id, now).await?;
            tx.commit().await?;
        }
    }
    Ok(found)
}

/// Whether `guest` may upload to `event` now, having `count` photos there already.
pub fn may_upload(
    event: &Event,
    guest: &Guest,
    count: i64,
    now: DateTime<Utc>,
) -> Result<(), UploadRefusal> {
    let s = &event.settings;
    if guest.blocked_at.is_some() {
        return Err(UploadRefusal::Blocked);
    }
    if event.status != EventStatus::Live {
        return Err(UploadRefusal::NotLive(event.status));
    }
    if !s.uploads_enabled {
        return Err(UploadRefusal::UploadsOff);
    }
    if let Some(opens) = s.upload_opens_at
        && now < opens
    {
        return Err(UploadRefusal::NotYetOpen(opens));
    }
    if let Some(closes) = s.upload_closes_at
        && now >= closes
    {
        return Err(UploadRefusal::Closed(closes));
    }
    if count >= i64::from(s.max_photos_per_guest) {
        return Err(UploadRefusal::LimitReached(s.max_photos_per_guest));
    }
    Ok(())
}

/// What stopped a guest's upload.
#[derive(Debug, thiserror::Error)]
pub enum GuestUploadError {
    #[error("upload refused: {0:?}")]
    Refused(UploadRefusal),
    #[error(transparent)]
    Upload(#[from] UploadError),
}

impl From<StoreError> for GuestUploadError {
    fn from(e: StoreError) -> Self {
        GuestUploadError::Upload(UploadError::Store(e))
    }
}

/// How many photos a guest has in their event.
pub(crate) async fn photo_count(services: &Services, guest: &Guest) -> Result<i64, StoreError> {
    let mut tx = services
        .db
        .begin_read(Scope::Tenant(guest.tenant_id))
        .await?;
    let n = tx
        .count_guest_photos(guest.tenant_id, guest.event_id, guest.id)
        .await?;
    tx.commit().await?;
    Ok(n)
}

/// The acting guest must be `guest`, of `event`.
pub(crate) fn check_actor(ctx: &Ctx, event: &Event, guest: &Guest) -> Result<(), UploadError> {
    if ctx.guest_of(event.id) == Some(guest.id) && guest.event_id == event.id {
        Ok(())
    } else {
        Err(UploadError::EventNotFound)
    }
}

/// A guest's upload: the event's rules first, then the same path as every upload. `caption`
/// is what they wrote for it on the form, if anything.
pub async fn upload<S, E>(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    guest: &Guest,
    caption: Option<domain::Caption>,
    body: S,
) -> Result<Accepted, GuestUploadError>
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>>,
    E: std::fmt::Display,
{
    check_actor(ctx, event, guest)?;
    let count = photo_count(services, guest).await?;
    may_upload(event, guest, count, ctx.now).map_err(GuestUploadError::Refused)?;
    let uploader = Uploader {
        user: None,
        guest: Some(guest.id),
        name: guest.name.clone(),
        caption,
    };
    Ok(photos::upload(services, ctx, event.id, &uploader, body).await?)
}

/// The acting guest's own photos in `event`, newest first.
pub async fn own_photos(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
) -> Result<Vec<store::Photo>, crate::Error> {
    let guest = ctx.guest_of(event).ok_or(crate::Error::NotFound)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let photos = tx.list_guest_photos(ctx.tenant, event, guest, 500).await?;
    tx.commit().await?;
    Ok(photos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{EventSettings, EventSlug, EventZone};

    fn event(status: EventStatus) -> Event {
        let now = Utc::now();
        Event {
            id: EventId::new(),
            tenant_id: TenantId::new(),
            slug: EventSlug::parse("party").expect("slug"),
            name: "Party".into(),
            venue: String::new(),
            description: String::new(),
            time_zone: EventZone::parse("UTC").expect("zone"),
            starts_at: now,
            ends_at: now + Duration::hours(4),
            status,
            settings: EventSettings::default(),
            join_nonce: String::new(),
            created_by: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn guest(e: &Event) -> Guest {
        Guest {
            id: GuestId::new(),
            tenant_id: e.tenant_id,
            event_id: e.id,
            name: "Ana".into(),
            blocked_at: None,
            created_at: Utc::now(),
            last_seen_at: Utc::now(),
        }
    }

    #[test]
    fn uploads_follow_the_event_rules() {
        let now = Utc::now();
        let mut e = event(EventStatus::Live);
        let g = guest(&e);
        assert_eq!(may_upload(&e, &g, 0, now), Ok(()));
        for s in [
            EventStatus::Draft,
            EventStatus::Ended,
            EventStatus::Archived,
        ] {
            assert_eq!(
                may_upload(&event(s), &g, 0, now),
                Err(UploadRefusal::NotLive(s))
            );
        }
        e.settings.max_photos_per_guest = 3;
        assert_eq!(may_upload(&e, &g, 2, now), Ok(()));
        assert_eq!(
            may_upload(&e, &g, 3, now),
            Err(UploadRefusal::LimitReached(3))
        );
        let opens = now + Duration::hours(1);
        e.settings.upload_opens_at = Some(opens);
        assert_eq!(
            may_upload(&e, &g, 0, now),
            Err(UploadRefusal::NotYetOpen(opens))
        );
        e.settings.upload_opens_at = None;
        e.settings.upload_closes_at = Some(now);
        assert_eq!(may_upload(&e, &g, 0, now), Err(UploadRefusal::Closed(now)));
        e.settings.upload_closes_at = None;
        e.settings.uploads_enabled = false;
        assert_eq!(may_upload(&e, &g, 0, now), Err(UploadRefusal::UploadsOff));
        let blocked = Guest {
            blocked_at: Some(now),
            ..g
        };
        assert_eq!(
            may_upload(&event(EventStatus::Live), &blocked, 0, now),
            Err(UploadRefusal::Blocked)
        );
    }

    #[test]
    fn names_are_tidied_and_checked() {
        let mut e = event(EventStatus::Live);
        assert_eq!(parse_name(&e, "  Ana   Lima ").expect("ok"), "Ana Lima");
        assert!(matches!(
            parse_name(&e, "   "),
            Err(JoinError::NameRequired)
        ));
        assert!(matches!(
            parse_name(&e, &"x".repeat(61)),
            Err(JoinError::NameTooLong)
        ));
        e.settings.guest_name_required = false;
        assert_eq!(parse_name(&e, "").expect("optional"), "");
        for bad in ["Ana\u{0}", "\u{202E}anA", "Ana\u{7}"] {
            assert!(
                matches!(parse_name(&e, bad), Err(JoinError::NameNotAllowed)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn session_length_never_overflows() {
        let mut e = event(EventStatus::Live);
        let now = e.starts_at;
        assert_eq!(
            session_length(&e, now),
            Duration::hours(4) + Duration::days(30)
        );
        e.ends_at = DateTime::<Utc>::MAX_UTC;
        assert_eq!(session_length(&e, now), MAX_SESSION);
        e.ends_at = DateTime::<Utc>::MIN_UTC;
        assert_eq!(session_length(&e, now), Duration::days(1));
        assert_eq!(
            session_length(&event(EventStatus::Live), DateTime::<Utc>::MIN_UTC),
            MAX_SESSION
        );
    }

    #[test]
    fn guest_cookies_have_the_host_prefix_over_https() {
        let id = EventId::new();
        assert_eq!(
            cookie_name(id, false),
            format!("mq_g_{}", id.as_uuid().simple())
        );
        assert_eq!(
            cookie_name(id, true),
            format!("__Host-mq_g_{}", id.as_uuid().simple())
        );
    }
}
