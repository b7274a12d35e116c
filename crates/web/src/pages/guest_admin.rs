//! The members' guests page of an event: everyone who joined, newest first a page at a time,
//! with their photos and the reports on them; blocking a guest (after a confirmation page) and
//! letting them back.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use domain::{EventId, GuestId};
use service::guest_admin;
use service::records::{Event, GuestFigures};

use crate::auth::{CsrfForm, CurrentMember};
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::pages::Layout;
use crate::params::parse_id;
use crate::security::CspNonce;
use crate::{AppState, WebError};

/// Guests per page.
const PAGE: u32 = 50;

/// A guest id from a path: anything else is "not found".
pub fn parse_guest_id(raw: &str) -> Result<GuestId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// The cursor after `g` in the newest-first list: microseconds since the epoch and the id.
pub fn encode_guest_cursor(g: &GuestFigures) -> String {
    format!("{}_{}", g.guest.created_at.timestamp_micros(), g.guest.id)
}

/// A cursor from [`encode_guest_cursor`]; anything else means the first page.
pub fn decode_guest_cursor(s: &str) -> Option<(DateTime<Utc>, GuestId)> {
    let (micros, id) = s.split_once('_')?;
    Some((
        domain::time::clamp_to_range(DateTime::from_timestamp_micros(micros.parse().ok()?)?),
        id.parse().ok()?,
    ))
}

/// A guest's name as shown: "A guest" when they gave none.
pub fn display_name(t: &Catalog, g: &GuestFigures) -> String {
    if g.guest.name.is_empty() {
        t.get("guest.anonymous").to_owned()
    } else {
        g.guest.name.clone()
    }
}

/// One guest as a row of the page.
#[derive(Debug)]
pub struct GuestLine {
    pub id: String,
    pub name: String,
    /// "Joined Sat 20 Jun, 14:03", in the event's time zone.
    pub joined: String,
    /// "Blocked Sat 20 Jun, 15:10", or "" when not blocked.
    pub blocked: String,
    /// "12 photos".
    pub photos: String,
    /// "10 in the gallery", "" when they have no photos.
    pub published: String,
    /// "1 waiting for approval", "" when none waits.
    pub waiting: String,
    /// "2 reports", "" when none.
    pub reports: String,
    /// The photos page filtered to this name, "" for a guest without a name or photos.
    pub photos_href: String,
}

fn guest_line(t: &Catalog, e: &Event, g: &GuestFigures) -> GuestLine {
    let zone = &e.time_zone.0;
    let name = display_name(t, g);
    GuestLine {
        id: g.guest.id.to_string(),
        joined: t.get("guests.joined").replace(
            "{at}",
            &t.date("day_time", &g.guest.created_at.with_timezone(zone)),
        ),
        blocked: g.guest.blocked_at.map_or_else(String::new, |at| {
            t.get("guests.blocked_at")
                .replace("{at}", &t.date("day_time", &at.with_timezone(zone)))
        }),
        photos: t.plural("guests.photos", g.photos),
        published: if g.photos > 0 {
            t.plural("guests.published", g.published)
        } else {
            String::new()
        },
        waiting: if g.waiting > 0 {
            t.plural("guests.waiting", g.waiting)
        } else {
            String::new()
        },
        reports: if g.reports > 0 {
            t.plural("events.reports", g.reports)
        } else {
            String::new()
        },
        photos_href: if g.photos > 0 && !g.guest.name.is_empty() {
            format!(
                "/app/events/{}/photos?{}",
                e.id,
                serde_urlencoded::to_string([("who", g.guest.name.as_str())]).unwrap_or_default()
            )
        } else {
            String::new()
        },
        name,
    }
}

fn render(t: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render().map_err(WebError::internal)?))
}

#[derive(Template)]
#[template(path = "event_guests.html")]
struct GuestsPage {
    layout: Layout,
    csrf: String,
    id: String,
    name: String,
    /// "1,234 guests joined · 3 blocked".
    summary: String,
    guests: Vec<GuestLine>,
    notice: String,
    first_href: String,
    next_href: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListParams {
    #[serde(default)]
    after: String,
    blocked: Option<String>,
    unblocked: Option<String>,
}

/// `GET /app/events/{id}/guests?after=…`.
pub async fn list_guests(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path(id): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let after = decode_guest_cursor(&p.after);
    let list =
        guest_admin::list_guests(&state.services, &member.ctx, parse_id(&id)?, after, PAGE).await?;
    let e = &list.event;
    let mut summary = t.plural("guests.joined_count", list.totals.guests);
    if list.totals.blocked > 0 {
        summary.push_str(" · ");
        summary.push_str(&t.plural("guests.blocked_count", list.totals.blocked));
    }
    let notice = if p.blocked.is_some() {
        t.get("guests.done_blocked").to_owned()
    } else if p.unblocked.is_some() {
        t.get("guests.done_unblocked").to_owned()
    } else {
        String::new()
    };
    render(GuestsPage {
        layout: Layout::for_member(nonce, &member, "events"),
        csrf: member.session.csrf_token.clone(),
        id: e.id.to_string(),
        name: e.name.clone(),
        summary,
        guests: list.guests.iter().map(|g| guest_line(t, e, g)).collect(),
        notice,
        first_href: if after.is_some() {
            format!("/app/events/{}/guests", e.id)
        } else {
            String::new()
        },
        next_href: list
            .guests
            .last()
            .filter(|_| list.more)
            .map(|g| {
                format!(
                    "/app/events/{}/guests?after={}",
                    e.id,
                    encode_guest_cursor(g)
                )
            })
            .unwrap_or_default(),
    })
}

/// Where a block or unblock returns to: the guests page, or the moderation page it came from.
fn back_to(event: EventId, back: Option<&str>, done: &str) -> String {
    match back {
        Some("moderation") => format!("/app/events/{event}/moderation?blocked=1"),
        _ => format!("/app/events/{event}/guests?{done}=1"),
    }
}

#[derive(Template)]
#[template(path = "guest_block.html")]
struct BlockPage {
    layout: Layout,
    csrf: String,
    event_id: String,
    event_name: String,
    guest: GuestLine,
    already: bool,
    back: String,
    cancel_href: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct BlockParams {
    back: Option<String>,
}

/// `GET /app/events/{id}/guests/{guest}/block`: "block this guest?", with what it does and
/// the choice to hide their photos too.
pub async fn confirm_block(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Path((id, guest)): Path<(String, String)>,
    Query(p): Query<BlockParams>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let (e, g) = guest_admin::guest_of_event(
        &state.services,
        &member.ctx,
        parse_id(&id)?,
        parse_guest_id(&guest)?,
    )
    .await?;
    let back = p.back.filter(|b| b == "moderation").unwrap_or_default();
    let cancel_href = if back.is_empty() {
        format!("/app/events/{}/guests#guest-{}", e.id, g.guest.id)
    } else {
        format!("/app/events/{}/moderation", e.id)
    };
    render(BlockPage {
        layout: Layout::for_member(nonce, &member, "events"),
        csrf: member.session.csrf_token.clone(),
        event_id: e.id.to_string(),
        event_name: e.name.clone(),
        already: g.guest.blocked_at.is_some(),
        guest: guest_line(t, &e, &g),
        back,
        cancel_href,
    })
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct BlockForm {
    hide: Option<String>,
    back: Option<String>,
}

/// `POST /app/events/{id}/guests/{guest}/block`: the guest can no longer upload, react or
/// report; with `hide`, their photos leave the gallery.
pub async fn block_guest(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, guest)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<BlockForm>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    guest_admin::block_guest(
        &state.services,
        &member.ctx,
        event,
        parse_guest_id(&guest)?,
        form.hide.is_some(),
    )
    .await?;
    Ok(Redirect::to(&back_to(event, form.back.as_deref(), "blocked")).into_response())
}

/// `POST /app/events/{id}/guests/{guest}/unblock`: the guest may upload, react and report
/// again (a plain button: it takes nothing away).
pub async fn unblock_guest(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((id, guest)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let event = parse_id(&id)?;
    guest_admin::unblock_guest(&state.services, &member.ctx, event, parse_guest_id(&guest)?)
        .await?;
    Ok(Redirect::to(&back_to(event, None, "unblocked")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_nonsense_means_the_first_page() {
        let at = DateTime::from_timestamp_micros(1_781_956_800_123_456).expect("time");
        let id = GuestId::new();
        let raw = format!("{}_{id}", at.timestamp_micros());
        assert_eq!(decode_guest_cursor(&raw), Some((at, id)));
        for bad in ["", "abc", "1_x", "x_1", "%00"] {
            assert_eq!(decode_guest_cursor(bad), None, "{bad}");
        }
    }
}
