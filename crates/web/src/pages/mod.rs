//! Server-rendered pages. Each page is a struct with an askama template; every page carries a
//! [`Layout`] with what the base template needs.

pub mod account;
pub mod activity;
pub mod auth;
pub mod captions;
pub mod chart;
pub mod dashboard;
pub mod draws;
pub mod events;
pub mod guest;
pub mod guest_admin;
pub mod home;
pub mod live;
pub mod moderation;
pub mod notifications;
pub mod password;
pub mod photos;
pub mod settings;
pub mod team;
pub mod two_factor;
pub mod usage;
pub mod walls;
pub mod zip;

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use service::reactions::Toggled;

use crate::assets;
use crate::auth::CurrentMember;
use crate::i18n::Catalog;
use crate::security::CspNonce;

/// What `base.html` needs: the messages, the CSP nonce and the asset URLs.
#[derive(Debug)]
pub struct Layout {
    pub t: &'static Catalog,
    pub nonce: String,
    pub css: String,
    pub js: String,
    pub icon: String,
    /// The member's navigation; `None` for visitors.
    pub member: Option<MemberNav>,
    /// Guests' pages: no site navigation (no log in / sign up to distract at a party).
    pub guest: bool,
    /// A live page: where its feed is (docs/LIVE.md); `None` for pages that do not move.
    pub live: Option<LiveLinks>,
    /// A guest's page: the organization's brand stylesheet (colour, logo), after app.css.
    pub brand_css: Option<String>,
}

/// Where a live page's feed is: the socket, the polling fallback, and the sequence number
/// the page was rendered at.
#[derive(Debug, Clone)]
pub struct LiveLinks {
    pub socket: String,
    pub feed: String,
    pub seq: i64,
}

/// The live links of an event page under `base` (`/g/{id}` or `/app/events/{id}`), read before
/// the page's data: a change committed while the page renders is then sent again rather than
/// missed (the scripts apply each message once).
pub async fn live_links(
    state: &crate::AppState,
    tenant: domain::TenantId,
    event: domain::EventId,
    base: &str,
) -> Result<LiveLinks, crate::WebError> {
    let seq = service::live::feed_seq(&state.services, tenant, event).await?;
    Ok(LiveLinks {
        socket: format!("{base}/live"),
        feed: format!("{base}/feed"),
        seq,
    })
}

/// What the header shows a logged-in member.
#[derive(Debug)]
pub struct MemberNav {
    /// Which nav item is the current page (`dashboard`, `account`).
    pub current: &'static str,
    /// The logout form's token.
    pub csrf: String,
    /// Their address is not verified yet: the banner asks them to.
    pub unverified: Option<String>,
    /// The organization they work in (a link to switch to another).
    pub org: String,
    /// They may change the organization's settings (the nav shows the link).
    pub settings: bool,
}

impl Layout {
    pub fn new(nonce: CspNonce) -> Self {
        Self {
            t: Catalog::current(),
            nonce: nonce.0,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("favicon.svg"),
            member: None,
            guest: false,
            live: None,
            brand_css: None,
        }
    }

    /// The same layout on a live page.
    pub fn with_live(self, live: LiveLinks) -> Self {
        Self {
            live: Some(live),
            ..self
        }
    }

    /// The layout for a guest's page: the brand, nothing else in the header.
    pub fn for_guest(nonce: CspNonce) -> Self {
        Self {
            guest: true,
            ..Self::new(nonce)
        }
    }

    /// The same layout in the colours and logo of the organization `tenant` (guest pages).
    pub fn with_brand(self, tenant: domain::TenantId) -> Self {
        Self {
            brand_css: Some(service::org_settings::brand_css_url(tenant)),
            ..self
        }
    }

    /// The layout for a member's page, with their navigation.
    pub fn for_member(nonce: CspNonce, member: &CurrentMember, current: &'static str) -> Self {
        Self {
            member: Some(MemberNav {
                current,
                csrf: member.session.csrf_token.clone(),
                unverified: member
                    .user
                    .email_verified_at
                    .is_none()
                    .then(|| member.user.email.as_str().to_owned()),
                org: member.tenant.name.as_str().to_owned(),
                settings: member.role.can(domain::Action::ManageSettings),
            }),
            ..Self::new(nonce)
        }
    }

    /// The same layout with a logged-in person's navigation, on a page that does not need
    /// them to be a member (the invitation page).
    pub fn with_logout(self, csrf: String) -> Self {
        Self {
            member: Some(MemberNav {
                current: "",
                csrf,
                unverified: None,
                org: String::new(),
                settings: false,
            }),
            ..self
        }
    }
}

/// A locked account's sentence and the seconds until the lock ends (for `Retry-After`).
pub fn locked_until(
    t: &Catalog,
    until: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, i64) {
    let secs = (until - now).num_seconds().max(1);
    (
        t.get("login.locked")
            .replace("{when}", &wait_phrase(t, secs)),
        secs,
    )
}

/// Adds `Retry-After: secs` when there is a wait to say.
pub fn with_retry_after(
    mut res: axum::response::Response,
    secs: Option<i64>,
) -> axum::response::Response {
    if let Some(secs) = secs
        && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    res
}

/// One form field as shown again: what was typed (never a password) and its message.
#[derive(Debug, Default, Clone)]
pub struct Field {
    pub value: String,
    pub error: String,
}

impl Field {
    pub fn with_value(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            error: String::new(),
        }
    }
}

/// "in 3 minutes" / "in 40 seconds", for a wait.
pub fn wait_phrase(t: &Catalog, secs: i64) -> String {
    if secs >= 90 {
        let minutes = (secs + 59) / 60;
        t.get("time.in_minutes")
            .replace("{n}", &minutes.to_string())
    } else {
        t.get("time.in_seconds")
            .replace("{n}", &secs.max(1).to_string())
    }
}

/// The reaction form (guests' gallery and members' photos).
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReactForm {
    #[serde(default)]
    pub kind: String,
}

/// What the page's script reads after a reaction toggle.
#[derive(Debug, serde::Serialize)]
pub struct ReactionState<'a> {
    pub kind: &'a str,
    pub on: bool,
    pub count: i64,
}

/// The answer to a reaction toggle: JSON for the page's script (`Accept: application/json`),
/// else back to the photo (`back`), for the form without script.
pub fn reaction_reply(headers: &HeaderMap, kind: &str, toggled: Toggled, back: &str) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return axum::Json(ReactionState {
            kind,
            on: toggled.on,
            count: toggled.count,
        })
        .into_response();
    }
    Redirect::to(back).into_response()
}
