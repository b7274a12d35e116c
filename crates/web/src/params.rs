//! What the pages and the API read from paths and query strings, parsed once into the values
//! the use cases take: ids, the event list's filters, and the keyset cursors of long lists.

use base64::Engine;
use chrono::{DateTime, Utc};
use domain::{EventId, PhotoId};
use serde::Deserialize;
use service::records::{Event, EventCursor, EventQuery, EventSort, Photo};

use crate::WebError;

/// An event id from a path: anything else is "not found".
pub fn parse_id(raw: &str) -> Result<EventId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// A photo id from a path: anything else is "not found".
pub fn parse_photo_id(raw: &str) -> Result<PhotoId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// Query of the list page (all optional; bad values are ignored rather than refused).
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub after: String,
    pub limit: Option<u32>,
}

pub fn encode_cursor(e: &Event) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{}|{}|{}",
        e.starts_at.to_rfc3339(),
        e.id,
        e.name
    ))
}

pub fn decode_cursor(s: &str) -> Option<EventCursor> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(3, '|');
    let starts_at = DateTime::parse_from_rfc3339(parts.next()?)
        .ok()?
        .with_timezone(&Utc);
    let id = parts.next()?.parse().ok()?;
    let name = parts
        .next()
        .filter(|n| !n.contains(char::is_control))?
        .to_owned();
    Some(EventCursor {
        starts_at,
        name,
        id,
    })
}

fn day(s: &str) -> Option<DateTime<Utc>> {
    domain::time::filter_day(s)
}

/// The store query for these parameters. Unknown values fall back to the defaults.
pub fn list_query(p: &ListParams) -> EventQuery {
    EventQuery {
        search: Some(p.q.clone()).filter(|q| !q.trim().is_empty()),
        status: p.status.parse().ok(),
        starts_from: day(&p.from),
        starts_before: day(&p.to).and_then(|d| d.checked_add_signed(chrono::Duration::days(1))),
        sort: EventSort::parse(&p.sort).unwrap_or_default(),
        after: decode_cursor(&p.after),
        limit: p.limit.unwrap_or(20).clamp(1, 100),
    }
}

/// The cursor after `p` in a newest-first list of an event's photos.
pub fn encode_photo_cursor(p: &Photo) -> String {
    format!("{}_{}", p.created_at.timestamp_micros(), p.id)
}

pub fn decode_photo_cursor(s: &str) -> Option<(DateTime<Utc>, PhotoId)> {
    let (micros, id) = s.split_once('_')?;
    Some((
        domain::time::clamp_to_range(DateTime::from_timestamp_micros(micros.parse().ok()?)?),
        id.parse().ok()?,
    ))
}

/// A day (`YYYY-MM-DD`, local to the event) as the UTC span `[start, next day's start)`;
/// `None` when `day` is empty or not a date.
pub fn day_range(e: &Event, day: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    use chrono::TimeZone;
    let d = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    let tz = &e.time_zone.0;
    let start = tz
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .earliest()?;
    let end = tz
        .from_local_datetime(&d.succ_opt()?.and_hms_opt(0, 0, 0)?)
        .earliest()?;
    Some((
        domain::time::clamp_to_range(start.with_timezone(&Utc)),
        domain::time::clamp_to_range(end.with_timezone(&Utc)),
    ))
}
