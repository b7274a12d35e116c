//! The organization's settings and branding: its name, logo and accent colour (on guest
//! pages, walls and in mail) and the guest settings its new events start with. Changing them
//! is for those who may [`Action::ManageSettings`] (admins and owners); each change is in the
//! audit log (`settings.updated`, `settings.logo_changed`, `settings.logo_removed`). The
//! branding itself ([`brand`]) is public: it is what every guest of the organization sees.

use bytes::Bytes;
use domain::org_settings::{BadColour, LOGO_MAX_BYTES, LOGO_MAX_EDGE};
use domain::{
    AccentColour, Action, EventDefaults, GuestVisibility, Moderation, OrgName, ParseError,
    TenantId, UserId,
};
use media::pipeline::{self, MediaError};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::{
    AuditRepo, NewAuditEntry, OrgSettings, OrgSettingsRepo, Scope, StoreError, Tenant, TenantRepo,
    Tx,
};

use crate::{Ctx, Services};

/// Why a settings change was refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("not allowed")]
    Denied,
    /// Fields are wrong: (field, problem).
    #[error("invalid input")]
    Invalid(Vec<(&'static str, SettingsProblem)>),
    /// The logo file is larger than [`LOGO_MAX_BYTES`].
    #[error("the logo is larger than {max_mb} MB")]
    LogoTooLarge { max_mb: usize },
    /// No file was sent.
    #[error("no logo was chosen")]
    LogoEmpty,
    /// The file is not an image we read, or is broken, or has too many pixels.
    #[error("the logo cannot be used: {0}")]
    LogoUnreadable(#[source] MediaError),
    /// The blob store did not take the logo.
    #[error("the logo could not be stored: {0}")]
    Storage(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<domain::Denied> for SettingsError {
    fn from(_: domain::Denied) -> Self {
        SettingsError::Denied
    }
}

/// A problem with one field of the settings form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsProblem {
    Parse(ParseError),
    Colour(BadColour),
    NotANumber,
    /// A number outside `min..=max`.
    OutOfRange {
        min: u32,
        max: u32,
    },
}

/// The organization as its settings page shows it.
#[derive(Debug, Clone)]
pub struct OrgView {
    pub tenant: Tenant,
    pub settings: OrgSettings,
}

/// A change to the settings: `None` leaves a field as it is (the API's PATCH); the page's
/// form sends every field. An empty `accent` goes back to the product's colour.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub name: Option<String>,
    pub accent: Option<String>,
    pub moderation: Option<String>,
    pub max_photos_per_guest: Option<String>,
    pub max_file_mb: Option<String>,
    pub guest_name_required: Option<bool>,
    pub guest_visibility: Option<String>,
    pub guest_downloads: Option<bool>,
}

/// What guests see of an organization: its colour and its logo's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    pub accent: Option<AccentColour>,
    pub logo_key: Option<String>,
}

fn acting(ctx: &Ctx) -> Result<UserId, SettingsError> {
    // Only members have a role that may; the system acting on its own has no user to stamp.
    ctx.require(Action::ManageSettings)?
        .ok_or(SettingsError::Denied)
}

async fn audit(
    tx: &mut Tx,
    tenant: TenantId,
    actor: UserId,
    action: &str,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor: Some(actor),
            action: action.to_owned(),
            subject: Some(format!("organization:{tenant}")),
            details,
        },
    )
    .await
    .map(|_| ())
}

async fn read(tx: &mut Tx, tenant: TenantId) -> Result<OrgView, SettingsError> {
    let t = tx.get_tenant(tenant).await?.ok_or(SettingsError::Denied)?;
    let settings = tx.get_org_settings(tenant).await?;
    Ok(OrgView {
        tenant: t,
        settings,
    })
}

/// The organization's name and settings, for those who may change them.
pub async fn settings(services: &Services, ctx: &Ctx) -> Result<OrgView, SettingsError> {
    acting(ctx)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let view = read(&mut tx, ctx.tenant).await?;
    tx.commit().await?;
    Ok(view)
}

/// The settings a new event of the organization starts with (its form shows them), for any
/// member.
pub async fn event_defaults(services: &Services, ctx: &Ctx) -> Result<EventDefaults, crate::Error> {
    ctx.require(Action::ViewEvents)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let s = tx.get_org_settings(ctx.tenant).await?;
    tx.commit().await?;
    Ok(s.event_defaults)
}

/// The organization's branding, for its guest pages and walls (public: no actor).
pub async fn brand(services: &Services, tenant: TenantId) -> Result<Brand, StoreError> {
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let s = tx.get_org_settings(tenant).await?;
    tx.commit().await?;
    Ok(Brand {
        accent: s.accent,
        logo_key: s.logo_key,
    })
}

/// Lays `input` over the current name and settings; every problem at once.
fn apply(
    input: &SettingsInput,
    name: &OrgName,
    current: &OrgSettings,
) -> Result<(OrgName, OrgSettings), Vec<(&'static str, SettingsProblem)>> {
    let mut errors = Vec::new();
    let mut next = current.clone();
    let mut new_name = name.clone();
    if let Some(raw) = &input.name {
        match OrgName::parse(raw)
            .and_then(|n| domain::values::check_chars(n.as_str(), false).map(|()| n))
        {
            Ok(n) => new_name = n,
            Err(e) => errors.push(("name", SettingsProblem::Parse(e))),
        }
    }
    if let Some(raw) = &input.accent {
        if raw.trim().is_empty() {
            next.accent = None;
        } else {
            match AccentColour::parse(raw) {
                Ok(c) => next.accent = Some(c),
                Err(e) => errors.push(("accent", SettingsProblem::Colour(e))),
            }
        }
    }
    let d = &mut next.event_defaults;
    if let Some(raw) = &input.moderation {
        match raw.parse::<Moderation>() {
            Ok(m) => d.moderation = m,
            Err(e) => errors.push(("moderation", SettingsProblem::Parse(e))),
        }
    }
    if let Some(raw) = &input.guest_visibility {
        match raw.parse::<GuestVisibility>() {
            Ok(v) => d.guest_visibility = v,
            Err(e) => errors.push(("guest_visibility", SettingsProblem::Parse(e))),
        }
    }
    for (field, raw, slot) in [
        (
            "max_photos_per_guest",
            &input.max_photos_per_guest,
            &mut d.max_photos_per_guest,
        ),
        ("max_file_mb", &input.max_file_mb, &mut d.max_file_mb),
    ] {
        if let Some(raw) = raw {
            match raw.trim().parse::<u32>() {
                Ok(n) => *slot = n,
                Err(_) => errors.push((field, SettingsProblem::NotANumber)),
            }
        }
    }
    if let Some(v) = input.guest_name_required {
        d.guest_name_required = v;
    }
    if let Some(v) = input.guest_downloads {
        d.guest_downloads = v;
    }
    for (field, min, max) in d.check() {
        if !errors.iter().any(|(f, _)| *f == field) {
            errors.push((field, SettingsProblem::OutOfRange { min, max }));
        }
    }
    if errors.is_empty() {
        Ok((new_name, next))
    } else {
        Err(errors)
    }
}

/// The names of what changed, for the audit log.
fn changed(before: &OrgView, name: &OrgName, after: &OrgSettings) -> Vec<&'static str> {
    let (a, b) = (&before.settings.event_defaults, &after.event_defaults);
    [
        ("name", before.tenant.name != *name),
        ("accent", before.settings.accent != after.accent),
        ("moderation", a.moderation != b.moderation),
        (
            "max_photos_per_guest",
            a.max_photos_per_guest != b.max_photos_per_guest,
        ),
        ("max_file_mb", a.max_file_mb != b.max_file_mb),
        (
            "guest_name_required",
            a.guest_name_required != b.guest_name_required,
        ),
        ("guest_visibility", a.guest_visibility != b.guest_visibility),
        ("guest_downloads", a.guest_downloads != b.guest_downloads),
    ]
    .into_iter()
    .filter_map(|(f, c)| c.then_some(f))
    .collect()
}

/// Saves a change to the name, the colour or the defaults of new events (events that exist
/// keep their own settings).
pub async fn update(
    services: &Services,
    ctx: &Ctx,
    input: &SettingsInput,
) -> Result<OrgView, SettingsError> {
    let me = acting(ctx)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let before = read(&mut tx, ctx.tenant).await?;
    let (name, next) =
        apply(input, &before.tenant.name, &before.settings).map_err(SettingsError::Invalid)?;
    let fields = changed(&before, &name, &next);
    if fields.is_empty() {
        tx.commit().await?;
        return Ok(before);
    }
    if name != before.tenant.name {
        tx.rename_tenant(ctx.tenant, &name).await?;
    }
    tx.save_org_settings(ctx.tenant, &next, Some(me), ctx.now)
        .await?;
    audit(
        &mut tx,
        ctx.tenant,
        me,
        "settings.updated",
        json!({ "fields": fields }),
    )
    .await?;
    let after = read(&mut tx, ctx.tenant).await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %ctx.tenant, fields = ?fields, "organization settings changed");
    Ok(after)
}

/// The blob key of a processed logo: under the organization, its bytes' hash in the name, so
/// a URL (and an ETag) never changes meaning.
pub fn logo_key(tenant: TenantId, webp: &[u8]) -> String {
    let hash = hex::encode(Sha256::digest(webp));
    format!("{tenant}/org/logo-{}.webp", &hash[..16])
}

/// Where the logo is served (`/o/{tenant}/logo.webp`), on `site` (`https://host`, or empty
/// for a path on this site); the key's hash makes each logo's address its own.
pub fn logo_url(site: &str, tenant: TenantId, key: &str) -> String {
    let version = key
        .rsplit_once("logo-")
        .map_or(key, |(_, v)| v.trim_end_matches(".webp"));
    format!("{site}/o/{tenant}/logo.webp?v={version}")
}

/// Where the organization's brand stylesheet is (`/o/{tenant}/brand.css`).
pub fn brand_css_url(tenant: TenantId) -> String {
    format!("/o/{tenant}/brand.css")
}

/// Replaces the logo with `bytes` (an image file as uploaded): refused when larger than
/// [`LOGO_MAX_BYTES`] or not an image; otherwise made into one WebP of at most
/// [`LOGO_MAX_EDGE`] px through the photo pipeline (metadata stripped) and stored.
pub async fn set_logo(services: &Services, ctx: &Ctx, bytes: Vec<u8>) -> Result<(), SettingsError> {
    let me = acting(ctx)?;
    if bytes.is_empty() {
        return Err(SettingsError::LogoEmpty);
    }
    if bytes.len() > LOGO_MAX_BYTES {
        return Err(SettingsError::LogoTooLarge {
            max_mb: LOGO_MAX_BYTES >> 20,
        });
    }
    let limits = services.uploads.pixels;
    let permit = services
        .uploads
        .cpu
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| SettingsError::Storage(e.to_string()))?;
    let rendition = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        pipeline::process_logo(&bytes, &limits, LOGO_MAX_EDGE)
    })
    .await
    .map_err(|e| SettingsError::Storage(e.to_string()))?
    .map_err(SettingsError::LogoUnreadable)?;
    let key = logo_key(ctx.tenant, &rendition.webp);
    services
        .blobs
        .put(&key, Bytes::from(rendition.webp))
        .await
        .map_err(|e| SettingsError::Storage(e.to_string()))?;

    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let mut s = tx.get_org_settings(ctx.tenant).await?;
    let old = s.logo_key.replace(key.clone());
    tx.save_org_settings(ctx.tenant, &s, Some(me), ctx.now)
        .await?;
    audit(
        &mut tx,
        ctx.tenant,
        me,
        "settings.logo_changed",
        json!({ "width": rendition.width, "height": rendition.height }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %ctx.tenant, "organization logo changed");
    if let Some(old) = old.filter(|o| *o != key) {
        forget_blob(services, &old).await;
    }
    Ok(())
}

/// Takes the logo away (guest pages, walls and mail show none).
pub async fn remove_logo(services: &Services, ctx: &Ctx) -> Result<(), SettingsError> {
    let me = acting(ctx)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let mut s = tx.get_org_settings(ctx.tenant).await?;
    let Some(old) = s.logo_key.take() else {
        tx.commit().await?;
        return Ok(());
    };
    tx.save_org_settings(ctx.tenant, &s, Some(me), ctx.now)
        .await?;
    audit(&mut tx, ctx.tenant, me, "settings.logo_removed", json!({})).await?;
    tx.commit().await?;
    forget_blob(services, &old).await;
    Ok(())
}

/// Deletes a logo no longer used. A failure leaves a small orphan, never a broken page.
async fn forget_blob(services: &Services, key: &str) {
    if let Err(e) = services.blobs.delete(key).await {
        tracing::warn!(error = %e, "an old logo could not be deleted");
    }
}

/// The logo's bytes, when `key` is the organization's current logo (a guest page's link
/// names the key it was made for; an old key is gone).
pub async fn logo_bytes(
    services: &Services,
    tenant: TenantId,
) -> Result<Option<(String, Bytes)>, SettingsError> {
    let Some(key) = brand(services, tenant).await?.logo_key else {
        return Ok(None);
    };
    match services.blobs.get(&key).await {
        Ok(b) => Ok(Some((key, b))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(SettingsError::Storage(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> (OrgName, OrgSettings) {
        (
            OrgName::parse("Olive's").expect("name"),
            OrgSettings::defaults(TenantId::new()),
        )
    }

    #[test]
    fn a_partial_change_keeps_the_rest() {
        let (name, s) = current();
        let input = SettingsInput {
            accent: Some("#0A7B3C".into()),
            max_photos_per_guest: Some(" 12 ".into()),
            guest_downloads: Some(false),
            ..SettingsInput::default()
        };
        let (n, next) = apply(&input, &name, &s).expect("valid");
        assert_eq!(n, name);
        assert_eq!(
            next.accent.as_ref().map(AccentColour::as_str),
            Some("#0a7b3c")
        );
        assert_eq!(next.event_defaults.max_photos_per_guest, 12);
        assert!(!next.event_defaults.guest_downloads);
        assert_eq!(
            next.event_defaults.max_file_mb,
            s.event_defaults.max_file_mb
        );
        let cleared = apply(
            &SettingsInput {
                accent: Some(" ".into()),
                ..SettingsInput::default()
            },
            &name,
            &next,
        )
        .expect("valid");
        assert_eq!(cleared.1.accent, None);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let (name, s) = current();
        let input = SettingsInput {
            name: Some("  ".into()),
            accent: Some("red".into()),
            moderation: Some("maybe".into()),
            max_photos_per_guest: Some("lots".into()),
            max_file_mb: Some("0".into()),
            guest_visibility: Some("nobody".into()),
            ..SettingsInput::default()
        };
        let errors = apply(&input, &name, &s).expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "name",
                "accent",
                "moderation",
                "guest_visibility",
                "max_photos_per_guest",
                "max_file_mb"
            ]
        );
        assert!(errors.contains(&(
            "max_file_mb",
            SettingsProblem::OutOfRange { min: 1, max: 200 }
        )));
    }

    #[test]
    fn logo_keys_follow_the_bytes() {
        let t = TenantId::new();
        assert_ne!(logo_key(t, b"a"), logo_key(t, b"b"));
        assert!(logo_key(t, b"a").starts_with(&format!("{t}/org/logo-")));
        assert!(logo_key(t, b"a").ends_with(".webp"));
    }
}
