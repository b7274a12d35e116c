//! `GET`/`PATCH /api/v1/organization`: the organization's name, branding and the defaults of
//! its new events, for admins and owners (the settings page's use cases).

use axum::Json;
use axum::extract::State;
use domain::TenantId;
use serde::{Deserialize, Serialize};
use service::org_settings::{self, OrgView, SettingsInput};

use super::events::ApiJson;
use crate::auth::CurrentMember;
use crate::pages::settings::settings_error;
use crate::{AppState, WebError};

/// The organization in the API.
#[derive(Debug, Serialize)]
pub struct OrganizationView {
    id: TenantId,
    name: String,
    /// `#rrggbb`, or `null` for the product's colour.
    accent_colour: Option<String>,
    /// The logo's address on this site, or `null`.
    logo_url: Option<String>,
    event_defaults: domain::EventDefaults,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl OrganizationView {
    fn new(v: &OrgView) -> Self {
        Self {
            id: v.tenant.id,
            name: v.tenant.name.as_str().to_owned(),
            accent_colour: v.settings.accent.as_ref().map(|c| c.as_str().to_owned()),
            logo_url: v
                .settings
                .logo_key
                .as_deref()
                .map(|k| org_settings::logo_url("", v.tenant.id, k)),
            event_defaults: v.settings.event_defaults,
            updated_at: v.settings.updated_at,
        }
    }
}

/// The writable fields; what is left out stays as it is. `accent_colour: null` or `""` goes
/// back to the product's colour.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    accent_colour: Option<Option<String>>,
    #[serde(default)]
    event_defaults: DefaultsBody,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsBody {
    moderation: Option<String>,
    max_photos_per_guest: Option<u32>,
    max_file_mb: Option<u32>,
    guest_name_required: Option<bool>,
    guest_visibility: Option<String>,
    guest_downloads: Option<bool>,
}

fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// `GET /api/v1/organization`: the organization's name, branding and defaults of new events
/// (admins and owners).
pub async fn api_show(
    State(state): State<AppState>,
    member: CurrentMember,
) -> Result<Json<OrganizationView>, WebError> {
    let view = org_settings::settings(&state.services, &member.ctx)
        .await
        .map_err(settings_error)?;
    Ok(Json(OrganizationView::new(&view)))
}

/// `PATCH /api/v1/organization`: the fields given change, the rest stay.
pub async fn api_update(
    State(state): State<AppState>,
    member: CurrentMember,
    ApiJson(body): ApiJson<OrganizationBody>,
) -> Result<Json<OrganizationView>, WebError> {
    let d = body.event_defaults;
    let input = SettingsInput {
        name: body.name,
        accent: body.accent_colour.map(Option::unwrap_or_default),
        moderation: d.moderation,
        max_photos_per_guest: d.max_photos_per_guest.map(|n| n.to_string()),
        max_file_mb: d.max_file_mb.map(|n| n.to_string()),
        guest_name_required: d.guest_name_required,
        guest_visibility: d.guest_visibility,
        guest_downloads: d.guest_downloads,
    };
    let view = org_settings::update(&state.services, &member.ctx, &input)
        .await
        .map_err(settings_error)?;
    Ok(Json(OrganizationView::new(&view)))
}
