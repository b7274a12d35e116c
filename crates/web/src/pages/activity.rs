//! The organization's activity page: the audit log with filters (who, what), a page at a time.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Html;
use chrono::{DateTime, Utc};
use domain::{AuditId, UserId};
use serde::Deserialize;
use service::activity::{self, ActivityQuery};

use crate::auth::CurrentMember;
use crate::extract::Query;
use crate::i18n::Catalog;
use crate::pages::Layout;
use crate::security::CspNonce;
use crate::{AppState, WebError};

/// The families of actions the "what" filter offers (prefixes of the stored names).
pub const FAMILIES: [&str; 11] = [
    "login.",
    "account.",
    "password.",
    "email.",
    "member.",
    "invitation.",
    "event.",
    "photo.",
    "guest.",
    "draw.",
    "settings.",
];

#[derive(Debug)]
struct Row {
    when: String,
    who: String,
    what: String,
    subject: String,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    layout: Layout,
    rows: Vec<Row>,
    people: Vec<(String, String)>,
    families: Vec<(&'static str, String)>,
    who: String,
    what: String,
    next_href: String,
    filtered: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ActivityParams {
    #[serde(default)]
    who: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    before: String,
}

/// `before` as written in the "Older" link: `{microseconds}.{id}`.
fn parse_before(s: &str) -> Option<(DateTime<Utc>, AuditId)> {
    let (micros, id) = s.split_once('.')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, id.parse().ok()?))
}

fn bad_filter() -> WebError {
    WebError::BadRequest(Catalog::current().get("activity.bad_filter").to_owned())
}

/// The words for a stored action name (`member.role_changed`), else the name itself.
fn action_words(t: &Catalog, action: &str) -> String {
    let key = format!("activity.action.{}", action.replace('.', "_"));
    if t.contains(&key) {
        t.get(&key).to_owned()
    } else {
        action.to_owned()
    }
}

/// `GET /activity`.
pub async fn show_activity(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Query(p): Query<ActivityParams>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let actor: Option<UserId> = match p.who.as_str() {
        "" => None,
        s => Some(s.parse().map_err(|_| bad_filter())?),
    };
    let action_prefix = match p.what.as_str() {
        "" => None,
        s if FAMILIES.contains(&s) => Some(s.to_owned()),
        _ => return Err(bad_filter()),
    };
    let before = match p.before.as_str() {
        "" => None,
        s => Some(parse_before(s).ok_or_else(bad_filter)?),
    };
    let page = activity::activity(
        &state.services,
        &member.ctx,
        &ActivityQuery {
            actor,
            action_prefix,
            before,
        },
    )
    .await?;
    let rows = page
        .entries
        .iter()
        .map(|(e, name)| Row {
            when: t.date("utc", &e.created_at),
            who: name
                .clone()
                .unwrap_or_else(|| t.get("activity.system").to_owned()),
            what: action_words(t, &e.action),
            subject: e.subject.clone().unwrap_or_default(),
        })
        .collect();
    let next_href = page.next.map_or_else(String::new, |(at, id)| {
        let q = serde_urlencoded::to_string([
            ("who", p.who.as_str()),
            ("what", p.what.as_str()),
            ("before", &format!("{}.{id}", at.timestamp_micros())),
        ])
        .unwrap_or_default();
        format!("/activity?{q}")
    });
    render(ActivityPage {
        layout: Layout::for_member(nonce, &member, "members"),
        rows,
        people: page
            .team
            .iter()
            .map(|m| (m.membership.user_id.to_string(), m.name.as_str().to_owned()))
            .collect(),
        families: FAMILIES
            .iter()
            .map(|f| {
                (
                    *f,
                    t.get(&format!("activity.family.{}", f.trim_end_matches('.')))
                        .to_owned(),
                )
            })
            .collect(),
        filtered: actor.is_some() || !p.what.is_empty(),
        who: p.who,
        what: p.what,
        next_href,
    })
}

fn render(t: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render().map_err(WebError::internal)?))
}
