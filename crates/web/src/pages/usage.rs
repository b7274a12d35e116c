//! The usage page: what the organization uses against its plan's limits; and the warnings
//! (80 % and more) the dashboard shows.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Html;
use domain::plan::{Level, Resource};
use service::usage::{self, UsageError, UsageLine, UsageReport};

use crate::auth::CurrentMember;
use crate::i18n::Catalog;
use crate::pages::Layout;
use crate::pages::chart::human_bytes;
use crate::security::CspNonce;
use crate::{AppState, WebError};

/// One line of the table.
#[derive(Debug)]
pub struct UsageRow {
    pub what: String,
    pub used: String,
    pub limit: String,
    /// 0–100, for the bar; `None` without a limit.
    pub percent: Option<u64>,
    /// `fine`, `warning` or `full`.
    pub level: &'static str,
}

fn amount(r: Resource, n: u64) -> String {
    match r {
        Resource::Storage => human_bytes(i64::try_from(n).unwrap_or(i64::MAX)),
        _ => n.to_string(),
    }
}

fn level_name(l: Level) -> &'static str {
    match l {
        Level::Fine => "fine",
        Level::Warning => "warning",
        Level::Full => "full",
    }
}

fn row(t: &Catalog, l: &UsageLine) -> UsageRow {
    UsageRow {
        what: t.get(&format!("usage.{}", l.resource.as_str())).to_owned(),
        used: amount(l.resource, l.used),
        limit: l.limit.map_or_else(
            || t.get("usage.no_limit").to_owned(),
            |n| amount(l.resource, n),
        ),
        percent: l.percent.map(|p| p.min(100)),
        level: level_name(l.level),
    }
}

/// The warnings for the limits at 80 % or more, as sentences.
pub fn warnings(t: &Catalog, report: &UsageReport) -> Vec<String> {
    report
        .warnings()
        .map(|l| {
            let key = format!("usage.{}", l.resource.as_str());
            let what = t.get(&key);
            match l.level {
                Level::Full => t.get("usage.full").replace("{what}", what),
                _ => t
                    .get("usage.warning")
                    .replace("{what}", what)
                    .replace("{percent}", &l.percent.unwrap_or(0).to_string()),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "usage.html")]
struct UsagePage {
    layout: Layout,
    plan: String,
    rows: Vec<UsageRow>,
    warnings: Vec<String>,
}

/// `GET /usage`.
pub async fn show_usage(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let report = usage::report(&state.services, &member.ctx)
        .await
        .map_err(|e| match e {
            UsageError::Store(s) => s.into(),
            UsageError::Limit(l) => l.into(),
            UsageError::Denied => WebError::NotFound,
        })?;
    let page = UsagePage {
        layout: Layout::for_member(nonce, &member, "usage"),
        plan: t.get("usage.plan").replace("{plan}", &report.plan),
        rows: report.lines.iter().map(|l| row(t, l)).collect(),
        warnings: warnings(t, &report),
    };
    Ok(Html(page.render().map_err(WebError::internal)?))
}
