//! Events: create and edit them from a host's form, move them through their statuses, and give
//! guests a join link that the host can replace.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use domain::event::{EventRuleProblem, SlugProblem, check_event_rules};
use domain::{
    Action, EventId, EventSettings, EventSlug, EventStatus, EventZone, GuestVisibility, Moderation,
    ParseError, TenantId, UserId,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::{AuditRepo, Event, EventRepo, JoinLinkRepo, NewAuditEntry, Scope, StoreError, Tx};

use crate::secrets::{SecretKey, base32};
use crate::{Ctx, Services};

/// Longest name, venue and description a host may give.
pub const MAX_NAME: usize = 120;
pub const MAX_VENUE: usize = 200;
pub const MAX_DESCRIPTION: usize = 2000;

/// The event form as typed: times are local to the event's time zone (`2026-06-20T14:00`).
#[derive(Debug, Clone, Default)]
pub struct EventInput {
    pub name: String,
    /// Empty: made from the name.
    pub slug: String,
    pub venue: String,
    pub description: String,
    pub time_zone: String,
    pub starts_at: String,
    pub ends_at: String,
    pub uploads_enabled: bool,
    pub moderation: String,
    /// Empty: no limit on that side.
    pub upload_opens_at: String,
    pub upload_closes_at: String,
    pub max_photos_per_guest: String,
    pub max_file_mb: String,
    pub guest_name_required: bool,
    pub guest_visibility: String,
    pub guest_downloads: bool,
}

impl EventInput {
    /// The form for a new event: sensible defaults a host can keep.
    pub fn new_event(zone: &str) -> Self {
        let d = EventSettings::default();
        Self {
            time_zone: zone.to_owned(),
            uploads_enabled: d.uploads_enabled,
            moderation: d.moderation.as_str().to_owned(),
            max_photos_per_guest: d.max_photos_per_guest.to_string(),
            max_file_mb: d.max_file_mb.to_string(),
            guest_name_required: d.guest_name_required,
            guest_visibility: d.guest_visibility.as_str().to_owned(),
            guest_downloads: d.guest_downloads,
            ..Self::default()
        }
    }

    /// The same form with an organization's defaults for new events
    /// ([`crate::org_settings::event_defaults`]) in its guest settings.
    pub fn with_defaults(self, d: &domain::EventDefaults) -> Self {
        Self {
            moderation: d.moderation.as_str().to_owned(),
            max_photos_per_guest: d.max_photos_per_guest.to_string(),
            max_file_mb: d.max_file_mb.to_string(),
            guest_name_required: d.guest_name_required,
            guest_visibility: d.guest_visibility.as_str().to_owned(),
            guest_downloads: d.guest_downloads,
            ..self
        }
    }

    /// The form a host sees for a new event: the defaults of [`Self::new_event`] with the party
    /// suggested for this evening, 18:00 today until 02:00 tomorrow in the event's zone.
    pub fn suggested(zone: EventZone, now: DateTime<Utc>) -> Self {
        let today = now.with_timezone(&zone.0).date_naive();
        let at = |d: chrono::NaiveDate, h: u32| {
            d.and_hms_opt(h, 0, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        Self {
            starts_at: at(today, 18),
            ends_at: today.succ_opt().map(|d| at(d, 2)).unwrap_or_default(),
            ..Self::new_event(zone.name())
        }
    }

    /// The form filled from a stored event.
    pub fn from_event(e: &Event) -> Self {
        let local = |t: DateTime<Utc>| format_local(t, e.time_zone);
        let s = &e.settings;
        Self {
            name: e.name.clone(),
            slug: e.slug.as_str().to_owned(),
            venue: e.venue.clone(),
            description: e.description.clone(),
            time_zone: e.time_zone.name().to_owned(),
            starts_at: local(e.starts_at),
            ends_at: local(e.ends_at),
            uploads_enabled: s.uploads_enabled,
            moderation: s.moderation.as_str().to_owned(),
            upload_opens_at: s.upload_opens_at.map(local).unwrap_or_default(),
            upload_closes_at: s.upload_closes_at.map(local).unwrap_or_default(),
            max_photos_per_guest: s.max_photos_per_guest.to_string(),
            max_file_mb: s.max_file_mb.to_string(),
            guest_name_required: s.guest_name_required,
            guest_visibility: s.guest_visibility.as_str().to_owned(),
            guest_downloads: s.guest_downloads,
        }
    }
}

/// `2026-06-20T14:00` in the event's zone (the value of a `datetime-local` input).
pub fn format_local(t: DateTime<Utc>, zone: EventZone) -> String {
    t.with_timezone(&zone.0)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A problem with one field of the event form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventFieldProblem {
    Parse(ParseError),
    Slug(SlugProblem),
    Rule(EventRuleProblem),
    /// Not a date and time.
    BadDateTime,
    /// The local time does not exist in that zone (the clocks jump over it).
    SkippedTime,
    /// Not a whole number.
    NotANumber,
    /// Another event of the organization has this slug.
    SlugTaken,
}

/// What went wrong with an event operation.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("invalid input")]
    Invalid(Vec<(&'static str, EventFieldProblem)>),
    /// No such event in this organization (also for another organization's event).
    #[error("event not found")]
    NotFound,
    #[error("cannot go from {from:?} to {to:?}")]
    BadTransition { from: EventStatus, to: EventStatus },
    /// The organization's plan takes no more events.
    #[error(transparent)]
    LimitReached(#[from] crate::usage::LimitReached),
    #[error(transparent)]
    Denied(#[from] domain::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::Error> for EventError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Denied(d) => EventError::Denied(d),
            // Event use cases never ask whether a guest is blocked; were one to, the guest
            // would learn no more than "no such event".
            crate::Error::NotFound | crate::Error::GuestBlocked => EventError::NotFound,
            crate::Error::Store(s) => EventError::Store(s),
        }
    }
}

pub(crate) fn parse_local(
    raw: &str,
    zone: Option<EventZone>,
) -> Result<Option<DateTime<Utc>>, EventFieldProblem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| EventFieldProblem::BadDateTime)?;
    // Years 2000 to 2100 only: a date like +262142 would overflow every sum made with it (a
    // guest's cookie lifetime) and -262143 is beyond what PostgreSQL stores.
    if !domain::time::year_in_range(&naive) {
        return Err(EventFieldProblem::Rule(EventRuleProblem::TIME_OUT_OF_RANGE));
    }
    let Some(zone) = zone else {
        return Ok(None);
    };
    // In an autumn overlap the earlier instant is meant; in a spring gap there is none.
    zone.0
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or(EventFieldProblem::SkippedTime)
}

/// The parsed, checked fields of an event (everything but identity, status and link).
#[derive(Debug, Clone)]
struct EventFields {
    name: String,
    slug: EventSlug,
    venue: String,
    description: String,
    time_zone: EventZone,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    settings: EventSettings,
}

/// A text field of the form: trimmed, at most `max` characters, no control characters (line
/// breaks only in a `multiline` field such as the description).
fn text(
    raw: &str,
    max: usize,
    required: bool,
    multiline: bool,
) -> Result<String, EventFieldProblem> {
    let s = domain::values::free_text(raw, max, multiline).map_err(EventFieldProblem::Parse)?;
    if s.is_empty() && required {
        return Err(EventFieldProblem::Parse(ParseError::Empty));
    }
    Ok(s)
}

fn parse_fields(input: &EventInput) -> Result<EventFields, Vec<(&'static str, EventFieldProblem)>> {
    let mut errors = Vec::new();
    fn take<T>(
        errors: &mut Vec<(&'static str, EventFieldProblem)>,
        field: &'static str,
        r: Result<T, EventFieldProblem>,
    ) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(p) => {
                errors.push((field, p));
                None
            }
        }
    }
    let name = take(
        &mut errors,
        "name",
        text(&input.name, MAX_NAME, true, false),
    );
    let slug = if input.slug.trim().is_empty() {
        name.as_deref().map(EventSlug::suggest)
    } else {
        take(
            &mut errors,
            "slug",
            EventSlug::parse(&input.slug).map_err(EventFieldProblem::Slug),
        )
    };
    let venue = take(
        &mut errors,
        "venue",
        text(&input.venue, MAX_VENUE, false, false),
    );
    let description = take(
        &mut errors,
        "description",
        text(&input.description, MAX_DESCRIPTION, false, true),
    );
    let zone = take(
        &mut errors,
        "time_zone",
        EventZone::parse(&input.time_zone).map_err(EventFieldProblem::Parse),
    );
    // A required time is missing when it is blank, whatever else is wrong with the form.
    let required = |raw: &str| {
        if raw.trim().is_empty() {
            Err(EventFieldProblem::Parse(ParseError::Empty))
        } else {
            parse_local(raw, zone)
        }
    };
    let starts_at = take(&mut errors, "starts_at", required(&input.starts_at)).flatten();
    let ends_at = take(&mut errors, "ends_at", required(&input.ends_at)).flatten();
    let opens = take(
        &mut errors,
        "upload_opens_at",
        parse_local(&input.upload_opens_at, zone),
    );
    let closes = take(
        &mut errors,
        "upload_closes_at",
        parse_local(&input.upload_closes_at, zone),
    );
    let number = |raw: &str| {
        raw.trim()
            .parse::<u32>()
            .map_err(|_| EventFieldProblem::NotANumber)
    };
    let max_photos = take(
        &mut errors,
        "max_photos_per_guest",
        number(&input.max_photos_per_guest),
    );
    let max_mb = take(&mut errors, "max_file_mb", number(&input.max_file_mb));
    let moderation = take(
        &mut errors,
        "moderation",
        input
            .moderation
            .parse::<Moderation>()
            .map_err(EventFieldProblem::Parse),
    );
    let visibility = take(
        &mut errors,
        "guest_visibility",
        input
            .guest_visibility
            .parse::<GuestVisibility>()
            .map_err(EventFieldProblem::Parse),
    );
    // Say everything at once: when some field failed, the rules between the fields that did
    // parse are checked too, so the host fixes the form in one go.
    if !errors.is_empty() {
        // Without both times only the limits can be checked: the window rules need the event.
        let times = starts_at.zip(ends_at);
        let (s, e) = times.unwrap_or((
            DateTime::UNIX_EPOCH,
            DateTime::UNIX_EPOCH + chrono::Duration::hours(1),
        ));
        let d = EventSettings::default();
        let partial = EventSettings {
            upload_opens_at: opens.flatten(),
            upload_closes_at: closes.flatten(),
            max_photos_per_guest: max_photos.unwrap_or(d.max_photos_per_guest),
            max_file_mb: max_mb.unwrap_or(d.max_file_mb),
            ..d
        };
        for (f, p) in check_event_rules(s, e, &partial) {
            let limit = matches!(f, "max_photos_per_guest" | "max_file_mb");
            if (times.is_some() || limit) && !errors.iter().any(|(g, _)| *g == f) {
                errors.push((f, EventFieldProblem::Rule(p)));
            }
        }
    }
    let (
        Some(name),
        Some(slug),
        Some(venue),
        Some(description),
        Some(time_zone),
        Some(starts_at),
        Some(ends_at),
        Some(opens),
        Some(closes),
        Some(max_photos),
        Some(max_mb),
        Some(moderation),
        Some(visibility),
    ) = (
        name,
        slug,
        venue,
        description,
        zone,
        starts_at,
        ends_at,
        opens,
        closes,
        max_photos,
        max_mb,
        moderation,
        visibility,
    )
    else {
        return Err(errors);
    };
    let settings = EventSettings {
        uploads_enabled: input.uploads_enabled,
        moderation,
        upload_opens_at: opens,
        upload_closes_at: closes,
        max_photos_per_guest: max_photos,
        max_file_mb: max_mb,
        guest_name_required: input.guest_name_required,
        guest_visibility: visibility,
        guest_downloads: input.guest_downloads,
    };
    let rules = check_event_rules(starts_at, ends_at, &settings);
    if !rules.is_empty() {
        return Err(rules
            .into_iter()
            .map(|(f, p)| (f, EventFieldProblem::Rule(p)))
            .collect());
    }
    Ok(EventFields {
        name,
        slug,
        venue,
        description,
        time_zone,
        starts_at,
        ends_at,
        settings,
    })
}

fn random_nonce() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// The event's current join token: 128 bits derived from its random nonce with the server's
/// secret, in 26 characters of Crockford base32 (a person can type it from the poster).
pub fn join_token(secret: &SecretKey, event: &Event) -> String {
    let mac = secret.derive(
        "join-link",
        &[
            event.tenant_id.as_uuid().as_bytes(),
            event.id.as_uuid().as_bytes(),
            event.join_nonce.as_bytes(),
        ],
    );
    base32(&mac[..16])
}

/// The stored form of a join token.
pub fn join_token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(normalize_token(token).as_bytes()))
}

/// A token as a person may have typed it from a poster: any case, with the hyphens of
/// [`display_token`] or spaces, and Crockford's look-alikes (i and l for 1, o for 0).
pub fn normalize_token(token: &str) -> String {
    token
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        })
        .collect()
}

/// A token grouped for reading and typing: `abcde-fghjk-…` (groups of five).
pub fn display_token(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The guest link for a token under `base_url` (`https://photos.example.com`).
pub fn join_url(base_url: &str, token: &str) -> String {
    format!("{}/j/{token}", base_url.trim_end_matches('/'))
}

async fn audit(
    tx: &mut Tx,
    tenant: TenantId,
    actor: Option<UserId>,
    action: &str,
    event: EventId,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor,
            action: action.to_owned(),
            subject: Some(format!("event:{event}")),
            details,
        },
    )
    .await
    .map(|_| ())
}

/// `base-n`, shortening `base` so the result stays a valid slug.
fn numbered_slug(base: &EventSlug, n: u32) -> EventSlug {
    let suffix = format!("-{n}");
    let keep = EventSlug::MAX_LEN.saturating_sub(suffix.len());
    let stem: String = base.as_str().chars().take(keep).collect();
    EventSlug::parse(&format!("{}{suffix}", stem.trim_end_matches('-')))
        .unwrap_or_else(|_| base.clone())
}

fn slug_taken(e: StoreError) -> EventError {
    match e {
        StoreError::Conflict("slug") => {
            EventError::Invalid(vec![("slug", EventFieldProblem::SlugTaken)])
        }
        other => EventError::Store(other),
    }
}

/// Creates a draft event with its first join link.
pub async fn create_event(
    services: &Services,
    ctx: &Ctx,
    input: &EventInput,
) -> Result<Event, EventError> {
    let actor = ctx.require(Action::ManageEvents)?;
    let (tenant, now) = (ctx.tenant, ctx.now);
    let f = parse_fields(input).map_err(EventError::Invalid)?;
    let f_slug = f.slug.clone();
    let event = Event {
        id: EventId::new(),
        tenant_id: tenant,
        slug: f.slug,
        name: f.name,
        venue: f.venue,
        description: f.description,
        time_zone: f.time_zone,
        starts_at: f.starts_at,
        ends_at: f.ends_at,
        status: EventStatus::Draft,
        settings: f.settings,
        join_nonce: random_nonce(),
        created_by: actor,
        created_at: now,
        updated_at: now,
    };
    // A slug made from the name gets "-2", "-3" … when another event has it; one the host typed
    // is theirs to change. Each try is its own transaction (PostgreSQL ends one at an error).
    let auto_slug = input.slug.trim().is_empty();
    crate::usage::check_room(services, tenant, &[(domain::plan::Resource::Events, 1)])
        .await
        .map_err(|e| e.into_error(|| EventError::NotFound))?;
    let mut event = event;
    let mut attempt = 1;
    let mut tx = loop {
        let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
        match tx.insert_event(tenant, &event).await {
            Ok(()) => break tx,
            Err(StoreError::Conflict("slug")) if auto_slug && attempt < 50 => {
                attempt += 1;
                event.slug = numbered_slug(&f_slug, attempt);
            }
            Err(e) => return Err(slug_taken(e)),
        }
    };
    let token = join_token(&services.secret, &event);
    tx.add_join_link(tenant, event.id, &join_token_hash(&token), now)
        .await?;
    audit(
        &mut tx,
        tenant,
        actor,
        "event.created",
        event.id,
        json!({ "slug": event.slug.as_str() }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %tenant, event.id = %event.id, "event created");
    Ok(event)
}

/// One event of the organization, for a member who may see events or a guest of that event.
pub async fn get_event(services: &Services, ctx: &Ctx, id: EventId) -> Result<Event, EventError> {
    if ctx.guest_of(id).is_none() {
        ctx.require(Action::ViewEvents)?;
    }
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let e = tx.get_event(ctx.tenant, id).await?;
    tx.commit().await?;
    e.ok_or(EventError::NotFound)
}

/// Saves the form over an event (status and link stay).
pub async fn update_event(
    services: &Services,
    ctx: &Ctx,
    id: EventId,
    input: &EventInput,
) -> Result<Event, EventError> {
    let actor = ctx.require(Action::ManageEvents)?;
    let (tenant, now) = (ctx.tenant, ctx.now);
    let f = parse_fields(input).map_err(EventError::Invalid)?;
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(current) = tx.get_event(tenant, id).await? else {
        return Err(EventError::NotFound);
    };
    let event = Event {
        slug: f.slug,
        name: f.name,
        venue: f.venue,
        description: f.description,
        time_zone: f.time_zone,
        starts_at: f.starts_at,
        ends_at: f.ends_at,
        settings: f.settings,
        updated_at: now,
        ..current
    };
    tx.update_event(tenant, &event).await.map_err(slug_taken)?;
    audit(&mut tx, tenant, actor, "event.updated", id, json!({})).await?;
    tx.commit().await?;
    Ok(event)
}

/// Moves an event to `to` if its status allows it.
pub async fn change_status(
    services: &Services,
    ctx: &Ctx,
    id: EventId,
    to: EventStatus,
) -> Result<Event, EventError> {
    let actor = ctx.require(Action::ManageEvents)?;
    let (tenant, now) = (ctx.tenant, ctx.now);
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(current) = tx.get_event(tenant, id).await? else {
        return Err(EventError::NotFound);
    };
    let from = current.status;
    if !from.can_become(to) || !tx.set_event_status(tenant, id, from, to, now).await? {
        return Err(EventError::BadTransition { from, to });
    }
    audit(
        &mut tx,
        tenant,
        actor,
        "event.status_changed",
        id,
        json!({ "from": from.as_str(), "to": to.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Event {
        status: to,
        updated_at: now,
        ..current
    })
}

/// Replaces the join link: the old one then shows "this link was replaced".
pub async fn rotate_join_link(
    services: &Services,
    ctx: &Ctx,
    id: EventId,
) -> Result<Event, EventError> {
    let actor = ctx.require(Action::ManageEvents)?;
    let (tenant, now) = (ctx.tenant, ctx.now);
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let Some(current) = tx.get_event(tenant, id).await? else {
        return Err(EventError::NotFound);
    };
    let event = Event {
        join_nonce: random_nonce(),
        updated_at: now,
        ..current
    };
    tx.set_join_nonce(tenant, id, &event.join_nonce, now)
        .await?;
    let token = join_token(&services.secret, &event);
    tx.add_join_link(tenant, id, &join_token_hash(&token), now)
        .await?;
    audit(&mut tx, tenant, actor, "event.link_rotated", id, json!({})).await?;
    tx.commit().await?;
    Ok(event)
}

/// One page of the organization's events, whether another follows, and how many events the
/// organization has in all (for the empty state).
#[derive(Debug, Clone)]
pub struct EventList {
    pub events: Vec<Event>,
    pub more: bool,
    pub total: i64,
}

/// The organization's events matching `q`, a page at a time.
pub async fn list_events(
    services: &Services,
    ctx: &Ctx,
    q: &store::EventQuery,
) -> Result<EventList, crate::Error> {
    ctx.require(Action::ViewEvents)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let (events, more) = tx.list_events(tenant, q).await?;
    let total = tx.count_events(tenant).await?;
    tx.commit().await?;
    Ok(EventList {
        events,
        more,
        total,
    })
}

/// An event's figures for its dashboard.
#[derive(Debug, Clone, Default)]
pub struct EventFigures {
    pub stats: store::EventPhotoStats,
    /// The top five uploaders and their photo counts.
    pub top: Vec<(String, i64)>,
    /// Uploads per hour (`2026-06-20T14`, count).
    pub hours: Vec<(String, i64)>,
    pub reactions: i64,
    pub views: i64,
    /// Reports no member has decided on yet.
    pub reports: i64,
    /// Guests who joined, and how many of them are blocked.
    pub guests: store::GuestTotals,
}

/// The figures of one event, read in one transaction.
pub async fn event_figures(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
) -> Result<EventFigures, crate::Error> {
    use store::{GuestRepo, PhotoRepo, ReactionRepo, ReportRepo, ViewRepo};
    ctx.require(Action::ViewEvents)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let stats = tx.event_photo_stats(tenant, event).await?;
    let top = tx.top_contributors(tenant, event, 5).await?;
    let hours = tx.uploads_by_hour(tenant, event).await?;
    let reactions = tx.count_event_reactions(tenant, event).await?;
    let views = tx.count_event_views(tenant, event).await?;
    let reports = tx.count_event_reports(tenant, event).await?;
    let guests = tx.guest_totals(tenant, event).await?;
    tx.commit().await?;
    Ok(EventFigures {
        stats,
        top,
        hours,
        reactions,
        views,
        reports,
        guests,
    })
}

/// What a guest's join link leads to.
#[derive(Debug, Clone)]
pub enum JoinTarget {
    /// The current link of this event.
    Event(Box<Event>),
    /// A link the host replaced (of this event: a guest who joined with it may go on).
    Replaced(EventId),
    /// No such link.
    Unknown,
}

/// Resolves a join token (case-insensitive, as people type it).
pub async fn resolve_join(services: &Services, token: &str) -> Result<JoinTarget, StoreError> {
    let token = normalize_token(token.trim());
    if token.len() != 26 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(JoinTarget::Unknown);
    }
    let mut tx = services.db.begin_read(Scope::System).await?;
    let link = tx.find_join_link(&join_token_hash(&token)).await?;
    tx.commit().await?;
    let Some(link) = link else {
        return Ok(JoinTarget::Unknown);
    };
    if link.replaced_at.is_some() {
        return Ok(JoinTarget::Replaced(link.event_id));
    }
    let mut tx = services
        .db
        .begin_read(Scope::Tenant(link.tenant_id))
        .await?;
    let event = tx.get_event(link.tenant_id, link.event_id).await?;
    tx.commit().await?;
    Ok(event.map_or(JoinTarget::Unknown, |e| JoinTarget::Event(Box::new(e))))
}

/// Makes a published photo of the event its cover (shown to guests on the join page).
pub async fn set_cover(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
    photo: domain::PhotoId,
) -> Result<(), crate::Error> {
    use store::PhotoRepo;
    let actor = ctx.require(Action::ManageEvents)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let ok = tx
        .get_photo(tenant, photo)
        .await?
        .is_some_and(|p| p.event_id == event && p.status == domain::PhotoStatus::Published);
    if !ok || !tx.set_event_cover(tenant, event, Some(photo)).await? {
        return Err(crate::Error::NotFound);
    }
    audit(
        &mut tx,
        tenant,
        actor,
        "event.cover_set",
        event,
        json!({ "photo": photo }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The key of the cover's 800 px rendition, when the event has a published cover: for its
/// members and its guests.
pub async fn cover_key(
    services: &Services,
    ctx: &Ctx,
    event: EventId,
) -> Result<Option<String>, crate::Error> {
    if ctx.guest_of(event).is_none() {
        ctx.require(Action::ViewEvents)?;
    }
    Ok(read_cover_key(services, ctx.tenant, event).await?)
}

/// What the printable poster shows: the event and, when it has a published cover, the key of
/// the cover's rendition.
pub async fn poster_of(
    services: &Services,
    ctx: &Ctx,
    id: EventId,
) -> Result<(Event, Option<String>), EventError> {
    ctx.require(Action::ViewEvents)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let e = tx.get_event(ctx.tenant, id).await?;
    tx.commit().await?;
    let e = e.ok_or(EventError::NotFound)?;
    let cover = read_cover_key(services, ctx.tenant, e.id).await?;
    Ok((e, cover))
}

/// The cover for the join page: whoever holds the event's current link sees it (the link
/// was just resolved to `event`).
pub async fn join_cover_key(
    services: &Services,
    event: &Event,
) -> Result<Option<String>, StoreError> {
    read_cover_key(services, event.tenant_id, event.id).await
}

async fn read_cover_key(
    services: &Services,
    tenant: TenantId,
    event: EventId,
) -> Result<Option<String>, StoreError> {
    use store::PhotoRepo;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let key = match tx.event_cover(tenant, event).await? {
        Some(id) => tx
            .get_photo(tenant, id)
            .await?
            .filter(|p| p.status == domain::PhotoStatus::Published && p.event_id == event)
            .and_then(|p| {
                p.renditions
                    .iter()
                    .filter(|r| r.max_edge <= 800)
                    .max_by_key(|r| r.max_edge)
                    .map(|r| r.key.clone())
            }),
        None => None,
    };
    tx.commit().await?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> EventInput {
        EventInput {
            name: "Anna & Ben".into(),
            time_zone: "Europe/Berlin".into(),
            starts_at: "2026-06-20T14:00".into(),
            ends_at: "2026-06-21T02:00".into(),
            ..EventInput::new_event("Europe/Berlin")
        }
    }

    #[test]
    fn a_new_event_is_suggested_for_this_evening_in_the_hosts_zone() {
        let zone = EventZone::parse("Pacific/Auckland").unwrap();
        // 20:30 UTC on 1 Dec is already 2 Dec, 09:30 in Auckland (NZDT, UTC+13).
        let now = DateTime::parse_from_rfc3339("2026-12-01T20:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let f = EventInput::suggested(zone, now);
        assert_eq!(f.time_zone, "Pacific/Auckland");
        assert_eq!(f.starts_at, "2026-12-02T18:00");
        assert_eq!(f.ends_at, "2026-12-03T02:00");
        let mut named = f;
        named.name = "Party".into();
        let parsed = parse_fields(&named).unwrap();
        assert!(parsed.ends_at > parsed.starts_at);
    }

    #[test]
    fn every_field_problem_is_reported_at_once() {
        let fields = |i: &EventInput| {
            let mut f: Vec<&str> = parse_fields(i)
                .unwrap_err()
                .iter()
                .map(|(f, _)| *f)
                .collect();
            f.sort_unstable();
            f
        };
        // A blank name, a reversed event, a window outside it and a limit out of range.
        let i = EventInput {
            name: " ".into(),
            ends_at: "2026-06-20T13:00".into(),
            upload_opens_at: "2026-06-22T10:00".into(),
            max_photos_per_guest: "0".into(),
            ..input()
        };
        assert_eq!(
            fields(&i),
            ["ends_at", "max_photos_per_guest", "name", "upload_opens_at"]
        );
        // An unknown zone does not hide that the times are blank, nor a bad limit.
        let i = EventInput {
            time_zone: "Mars/Olympus".into(),
            starts_at: String::new(),
            ends_at: String::new(),
            max_file_mb: "0".into(),
            ..input()
        };
        assert_eq!(
            fields(&i),
            ["ends_at", "max_file_mb", "starts_at", "time_zone"]
        );
    }

    #[test]
    fn local_times_are_read_in_the_events_zone() {
        let f = parse_fields(&input()).unwrap();
        assert_eq!(
            f.starts_at.to_rfc3339(),
            "2026-06-20T12:00:00+00:00",
            "CEST is UTC+2"
        );
        assert_eq!(f.slug.as_str(), "anna-ben");
        // 02:30 on the last Sunday of March does not exist in Berlin.
        let gap = EventInput {
            starts_at: "2026-03-29T02:30".into(),
            ends_at: "2026-03-29T05:00".into(),
            ..input()
        };
        assert_eq!(
            parse_fields(&gap).unwrap_err(),
            vec![("starts_at", EventFieldProblem::SkippedTime)]
        );
    }

    #[test]
    fn every_bad_field_is_reported_on_its_own_name() {
        let bad = EventInput {
            name: " ".into(),
            slug: "Bad Slug".into(),
            time_zone: "Nowhere/Town".into(),
            starts_at: "tomorrow".into(),
            max_file_mb: "lots".into(),
            moderation: "maybe".into(),
            ..input()
        };
        let fields: Vec<&str> = parse_fields(&bad)
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        for f in [
            "name",
            "slug",
            "time_zone",
            "starts_at",
            "max_file_mb",
            "moderation",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let reversed = EventInput {
            ends_at: "2026-06-20T13:00".into(),
            ..input()
        };
        assert_eq!(
            parse_fields(&reversed).unwrap_err(),
            vec![(
                "ends_at",
                EventFieldProblem::Rule(EventRuleProblem::EndsBeforeStart)
            )]
        );
    }

    #[test]
    fn times_outside_the_supported_years_are_refused_on_their_field() {
        let far = EventInput {
            ends_at: "+262142-12-31T23:00".into(),
            upload_opens_at: "-262143-01-01T00:00".into(),
            upload_closes_at: "1999-12-31T23:59".into(),
            ..input()
        };
        let rule = EventFieldProblem::Rule(EventRuleProblem::TIME_OUT_OF_RANGE);
        assert_eq!(
            parse_fields(&far).unwrap_err(),
            vec![
                ("ends_at", rule.clone()),
                ("upload_opens_at", rule.clone()),
                ("upload_closes_at", rule),
            ]
        );
        let edge = EventInput {
            starts_at: "2000-01-01T00:00".into(),
            ends_at: "2100-12-31T23:59".into(),
            time_zone: "UTC".into(),
            ..input()
        };
        assert!(parse_fields(&edge).is_ok());
    }

    #[test]
    fn text_fields_refuse_control_characters() {
        let problem = EventFieldProblem::Parse(ParseError::ControlCharacters);
        for (field, bad) in [
            (
                "name",
                EventInput {
                    name: "Anna\u{0}Ben".into(),
                    ..input()
                },
            ),
            (
                "name",
                EventInput {
                    name: "Anna\nBen".into(),
                    ..input()
                },
            ),
            (
                "venue",
                EventInput {
                    venue: "Hall \u{202E}A".into(),
                    ..input()
                },
            ),
            (
                "description",
                EventInput {
                    description: "Bring\u{1b}[2J".into(),
                    ..input()
                },
            ),
        ] {
            assert_eq!(
                parse_fields(&bad).unwrap_err(),
                vec![(field, problem.clone())],
                "{field}"
            );
        }
        let lines = EventInput {
            description: "Dinner at 7.\r\nDancing after.".into(),
            ..input()
        };
        assert_eq!(
            parse_fields(&lines)
                .expect("a multi-line description")
                .description,
            "Dinner at 7.\r\nDancing after."
        );
    }

    #[test]
    fn join_tokens_are_128_bits_and_change_with_the_nonce() {
        let secret = SecretKey::random();
        let f = parse_fields(&input()).unwrap();
        let mut e = Event {
            id: EventId::new(),
            tenant_id: TenantId::new(),
            slug: f.slug,
            name: f.name,
            venue: f.venue,
            description: f.description,
            time_zone: f.time_zone,
            starts_at: f.starts_at,
            ends_at: f.ends_at,
            status: EventStatus::Draft,
            settings: f.settings,
            join_nonce: random_nonce(),
            created_by: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let t1 = join_token(&secret, &e);
        assert_eq!(t1.len(), 26);
        assert_eq!(t1, join_token(&secret, &e), "stable");
        assert_ne!(t1, join_token(&SecretKey::random(), &e), "needs the secret");
        e.join_nonce = random_nonce();
        assert_ne!(t1, join_token(&secret, &e));
        assert_eq!(join_token_hash(&t1.to_uppercase()), join_token_hash(&t1));
        let shown = display_token(&t1);
        assert_eq!(shown.len(), 26 + 5, "six groups of five and one of one");
        assert_eq!(normalize_token(&shown), t1);
        assert_eq!(
            normalize_token("1O-il o"),
            "10110",
            "look-alikes read as digits"
        );
        assert_eq!(
            join_url("https://x.example/", &t1),
            format!("https://x.example/j/{t1}")
        );
    }
}
