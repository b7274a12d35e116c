//! The mails use cases send: each renders its template with the organization's branding and
//! queues it as a `mail.send` job in the caller's transaction, so a mail goes out if and only
//! if the change that causes it commits (and never inside the request).

use domain::Role;
use store::{Invitation, OrgSettingsRepo, StoreError, Tenant, Tx, User};

use crate::mail;

/// The organization's look in mail: its name, and its colour and logo from its settings
/// (`org_settings`), read in `tx` (open for `tenant`). The logo's address is on the same site
/// as the mail's `link`, so it never names a host the link does not.
pub async fn branding(
    tx: &mut Tx,
    tenant: Option<&Tenant>,
    link: &str,
) -> Result<::mail::Branding, StoreError> {
    let Some(tenant) = tenant else {
        return Ok(::mail::Branding {
            org_name: "Momentique".to_owned(),
            accent: None,
            logo_url: None,
        });
    };
    let settings = tx.get_org_settings(tenant.id).await?;
    let logo_url = settings
        .logo_key
        .as_deref()
        .zip(site_of(link))
        .map(|(key, site)| crate::org_settings::logo_url(site, tenant.id, key));
    Ok(::mail::Branding {
        org_name: tenant.name.as_str().to_owned(),
        accent: settings.accent.map(String::from),
        logo_url,
    })
}

/// `https://host:port` of an absolute URL (`None` for anything else).
fn site_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (end > 0).then(|| &url[..url.len() - rest.len() + end])
}

/// The role in words for mail.
fn role_words(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Admin => "admin",
        Role::Member => "member",
    }
}

/// "Join {org} on Momentique", to the invited address.
pub async fn invitation(
    tx: &mut Tx,
    tenant: &Tenant,
    inviter: &User,
    invitation: &Invitation,
    url: &str,
) -> Result<(), StoreError> {
    let message = ::mail::templates::invitation(
        &branding(tx, Some(tenant), url).await?,
        inviter.name.as_str(),
        role_words(invitation.role),
        url,
        invitation.expires_at,
    );
    mail::queue(
        tx,
        Some(tenant.id),
        invitation.email.as_str(),
        None,
        message,
    )
    .await
    .map(|_| ())
}

/// Queues `message` for a person with an account.
async fn to_person(
    tx: &mut Tx,
    user: &User,
    tenant: Option<&Tenant>,
    message: ::mail::Rendered,
) -> Result<(), StoreError> {
    mail::queue(
        tx,
        tenant.map(|t| t.id),
        user.email.as_str(),
        Some(user.name.as_str()),
        message,
    )
    .await
    .map(|_| ())
}

/// The password-reset link.
pub async fn password_reset(
    tx: &mut Tx,
    user: &User,
    tenant: Option<&Tenant>,
    url: &str,
    valid_minutes: i64,
) -> Result<(), StoreError> {
    let message = ::mail::templates::password_reset(
        &branding(tx, tenant, url).await?,
        user.name.as_str(),
        url,
        valid_minutes,
    );
    to_person(tx, user, tenant, message).await
}

/// The link that proves the address.
pub async fn verify_email(
    tx: &mut Tx,
    user: &User,
    tenant: Option<&Tenant>,
    url: &str,
) -> Result<(), StoreError> {
    let brand = branding(tx, tenant, url).await?;
    let message = ::mail::templates::verify_email(&brand, user.name.as_str(), url);
    to_person(tx, user, tenant, message).await
}

/// Welcome, once the address is verified.
pub async fn welcome(
    tx: &mut Tx,
    user: &User,
    tenant: Option<&Tenant>,
    url: &str,
) -> Result<(), StoreError> {
    let brand = branding(tx, tenant, url).await?;
    let message = ::mail::templates::welcome(&brand, user.name.as_str(), url);
    to_person(tx, user, tenant, message).await
}

#[cfg(test)]
mod tests {
    use super::site_of;

    #[test]
    fn the_site_of_a_link() {
        assert_eq!(
            site_of("https://photos.example.com/invitations/abc"),
            Some("https://photos.example.com")
        );
        assert_eq!(
            site_of("http://127.0.0.1:8080?x"),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(site_of("https:///x"), None);
        assert_eq!(site_of("/relative"), None);
        assert_eq!(site_of("javascript:alert(1)"), None);
    }
}
