//! The mails use cases send: each renders its template with the organization's branding and
//! queues it as a `mail.send` job in the caller's transaction, so a mail goes out if and only
//! if the change that causes it commits (and never inside the request).

use domain::Role;
use store::{Invitation, StoreError, Tenant, Tx, User};

use crate::mail;

/// The organization's look in mail (its name; logo and colour come with its settings).
pub fn branding(tenant: Option<&Tenant>) -> ::mail::Branding {
    ::mail::Branding {
        org_name: tenant.map_or_else(|| "Momentique".to_owned(), |t| t.name.as_str().to_owned()),
        accent: None,
        logo_url: None,
    }
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
        &branding(Some(tenant)),
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
        &branding(tenant),
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
    let message = ::mail::templates::verify_email(&branding(tenant), user.name.as_str(), url);
    to_person(tx, user, tenant, message).await
}

/// Welcome, once the address is verified.
pub async fn welcome(
    tx: &mut Tx,
    user: &User,
    tenant: Option<&Tenant>,
    url: &str,
) -> Result<(), StoreError> {
    let message = ::mail::templates::welcome(&branding(tenant), user.name.as_str(), url);
    to_person(tx, user, tenant, message).await
}
