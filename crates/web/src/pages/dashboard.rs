//! The member's home: their organization's next events, or the way to a first one.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Html;
use service::records::EventQuery;

use crate::auth::CurrentMember;
use crate::i18n::Catalog;
use crate::pages::Layout;
use crate::pages::events::EventRow;
use crate::security::CspNonce;
use crate::{AppState, WebError};

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    org_name: String,
    greeting: String,
    events: Vec<EventRow>,
    more: bool,
    /// The plan's limits at 80 % or more.
    warnings: Vec<String>,
}

/// `GET /app`.
pub async fn show_dashboard(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let q = EventQuery {
        limit: 5,
        ..EventQuery::default()
    };
    let home = service::usage::dashboard(&state.services, &member.ctx, &q).await?;
    let (events, more) = (home.events.events, home.events.more);
    let page = DashboardPage {
        layout: Layout::for_member(nonce, &member, "dashboard"),
        org_name: member.tenant.name.as_str().to_owned(),
        greeting: t
            .get("dashboard.greeting")
            .replace("{name}", member.user.name.as_str()),
        events: events
            .iter()
            .map(|e| crate::pages::events::row(t, e))
            .collect(),
        more,
        warnings: crate::pages::usage::warnings(t, &home.usage),
    };
    Ok(Html(page.render().map_err(WebError::internal)?))
}
