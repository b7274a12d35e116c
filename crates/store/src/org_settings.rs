//! An organization's settings and branding (`org_settings`, one row per organization, under
//! RLS on PostgreSQL): the accent colour, the logo's blob key and the defaults of new events.
//! An organization that never changed them has no row and reads as the product's defaults.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{AccentColour, EventDefaults, TenantId, UserId};
use uuid::Uuid;

use crate::sql::{Arg, execute, fetch_optional};
use crate::{Result, StoreError, Tx};

/// What an organization has set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSettings {
    pub tenant_id: TenantId,
    /// `None`: the product's colour.
    pub accent: Option<AccentColour>,
    /// The processed logo's blob key (`None`: no logo). Its bytes' hash is in the name.
    pub logo_key: Option<String>,
    pub event_defaults: EventDefaults,
    pub updated_by: Option<UserId>,
    /// `None` until the first change.
    pub updated_at: Option<DateTime<Utc>>,
}

impl OrgSettings {
    /// The settings of an organization that changed nothing.
    pub fn defaults(tenant: TenantId) -> Self {
        Self {
            tenant_id: tenant,
            accent: None,
            logo_key: None,
            event_defaults: EventDefaults::default(),
            updated_by: None,
            updated_at: None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    tenant_id: Uuid,
    accent_colour: Option<String>,
    logo_key: Option<String>,
    default_moderation: String,
    default_max_photos_per_guest: i32,
    default_max_file_mb: i32,
    default_guest_name_required: bool,
    default_guest_visibility: String,
    default_guest_downloads: bool,
    updated_by: Option<Uuid>,
    updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "tenant_id, accent_colour, logo_key, default_moderation, \
     default_max_photos_per_guest, default_max_file_mb, default_guest_name_required, \
     default_guest_visibility, default_guest_downloads, updated_by, updated_at";

fn corrupt(column: &'static str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        column,
        reason: reason.to_string(),
    }
}

impl TryFrom<Row> for OrgSettings {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        let count = |column, v: i32| u32::try_from(v).map_err(|e| corrupt(column, e));
        Ok(Self {
            tenant_id: TenantId::from_uuid(r.tenant_id),
            accent: r
                .accent_colour
                .as_deref()
                .map(AccentColour::parse)
                .transpose()
                .map_err(|e| corrupt("org_settings.accent_colour", e))?,
            logo_key: r.logo_key,
            event_defaults: EventDefaults {
                moderation: r
                    .default_moderation
                    .parse()
                    .map_err(|e| corrupt("org_settings.default_moderation", e))?,
                max_photos_per_guest: count(
                    "org_settings.default_max_photos_per_guest",
                    r.default_max_photos_per_guest,
                )?,
                max_file_mb: count("org_settings.default_max_file_mb", r.default_max_file_mb)?,
                guest_name_required: r.default_guest_name_required,
                guest_visibility: r
                    .default_guest_visibility
                    .parse()
                    .map_err(|e| corrupt("org_settings.default_guest_visibility", e))?,
                guest_downloads: r.default_guest_downloads,
            },
            updated_by: r.updated_by.map(UserId::from_uuid),
            updated_at: Some(r.updated_at),
        })
    }
}

/// An organization's settings. Open the transaction with `Scope::Tenant(tenant)`.
pub trait OrgSettingsRepo {
    /// The settings, or the defaults when the organization never changed them.
    fn get_org_settings(
        &mut self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<OrgSettings>> + Send;
    /// Writes every field of `settings` (creating the row at the first change), stamped with
    /// who changed them and when.
    fn save_org_settings(
        &mut self,
        tenant: TenantId,
        settings: &OrgSettings,
        by: Option<UserId>,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
}

impl OrgSettingsRepo for Tx {
    async fn get_org_settings(&mut self, tenant: TenantId) -> Result<OrgSettings> {
        let row: Option<Row> = fetch_optional(
            self,
            tenant,
            &format!("SELECT {COLUMNS} FROM org_settings WHERE tenant_id = ?"),
            &[Arg::Uuid(tenant.as_uuid())],
        )
        .await?;
        row.map_or_else(|| Ok(OrgSettings::defaults(tenant)), OrgSettings::try_from)
    }

    async fn save_org_settings(
        &mut self,
        tenant: TenantId,
        s: &OrgSettings,
        by: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let d = &s.event_defaults;
        let int = |v: u32| Arg::Int32(i32::try_from(v).unwrap_or(i32::MAX));
        execute(
            self,
            tenant,
            &format!(
                "INSERT INTO org_settings ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (tenant_id) DO UPDATE SET \
                 accent_colour = excluded.accent_colour, logo_key = excluded.logo_key, \
                 default_moderation = excluded.default_moderation, \
                 default_max_photos_per_guest = excluded.default_max_photos_per_guest, \
                 default_max_file_mb = excluded.default_max_file_mb, \
                 default_guest_name_required = excluded.default_guest_name_required, \
                 default_guest_visibility = excluded.default_guest_visibility, \
                 default_guest_downloads = excluded.default_guest_downloads, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at"
            ),
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::OptText(s.accent.as_ref().map(|c| c.as_str().to_owned())),
                Arg::OptText(s.logo_key.clone()),
                Arg::Text(d.moderation.as_str().to_owned()),
                int(d.max_photos_per_guest),
                int(d.max_file_mb),
                Arg::Bool(d.guest_name_required),
                Arg::Text(d.guest_visibility.as_str().to_owned()),
                Arg::Bool(d.guest_downloads),
                Arg::OptUuid(by.map(|u| u.as_uuid())),
                Arg::Time(at),
            ],
        )
        .await?;
        Ok(())
    }
}
