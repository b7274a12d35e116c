//! The member's home: their organization and, until they have one, the way to a first event.

use askama::Template;
use axum::Extension;
use axum::response::Html;

use crate::WebError;
use crate::auth::CurrentMember;
use crate::i18n::Catalog;
use crate::pages::Layout;
use crate::security::CspNonce;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    org_name: String,
    greeting: String,
}

/// `GET /app`.
pub async fn show_dashboard(
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
) -> Result<Html<String>, WebError> {
    let t = Catalog::english();
    let page = DashboardPage {
        layout: Layout::for_member(nonce, &member, "dashboard"),
        org_name: member.tenant.name.as_str().to_owned(),
        greeting: t
            .get("dashboard.greeting")
            .replace("{name}", member.user.name.as_str()),
    };
    Ok(Html(page.render().map_err(WebError::internal)?))
}
