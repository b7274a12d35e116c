//! Accounts: sign-up (a person, their organization and its owner membership), login with
//! lockout, sessions, and the account page's changes. Every security event is written to the
//! organization's audit log.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use domain::password::{PasswordProblem, check_new_password, lock_after};
use domain::{Email, OrgName, ParseError, PersonName, Role, TenantId, UserId};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::{
    AuditRepo, LoginLock, MailToken, MailTokenRepo, Membership, MembershipRepo, NewAuditEntry,
    Scope, SessionRecord, SessionStore, StoreError, Tenant, TenantRepo, TokenPurpose,
    TwoFactorRepo, Tx, User, UserRepo,
};

use crate::Services;

/// How long a session lives without being used; every use pushes the end out again.
pub const SESSION_LIFETIME: Duration = Duration::days(7);
/// A session's expiry is pushed out at most this often (not a write on every request).
pub const SESSION_TOUCH_EVERY: Duration = Duration::minutes(1);
/// A member's "last active" is written at most this often.
pub const LAST_ACTIVE_EVERY: Duration = Duration::minutes(5);
/// How long a password-reset link works.
pub const RESET_LIFETIME: Duration = Duration::hours(1);
/// How long an email-verification link works.
pub const VERIFY_LIFETIME: Duration = Duration::days(3);

/// argon2id with OWASP's recommended minimum (2025): 19 MiB of memory, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password nobody knows, verified against when the email is unknown, so an
/// unknown email costs the same time as a known one.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut pw = [0u8; 32];
    OsRng.fill_bytes(&mut pw);
    hasher()
        .hash_password(&pw, &SaltString::generate(&mut OsRng))
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Hashes a password on the blocking pool (it takes tens of milliseconds on purpose).
pub async fn hash_password(password: &str) -> Result<String, AccountError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| AccountError::Internal(e.to_string()))?
}

/// Checks `password` against a stored PHC hash (the parameters come from the hash, so old
/// hashes keep working after the parameters change).
pub async fn verify_password(hash: &str, password: &str) -> bool {
    let (hash, password) = (hash.to_owned(), password.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// What went wrong, for the person at the form. Field errors carry the field's name.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// One or more fields are wrong: (field, problem).
    #[error("invalid input")]
    Invalid(Vec<(&'static str, FieldProblem)>),
    /// Wrong email or password (never says which).
    #[error("wrong email or password")]
    BadCredentials,
    /// Too many failed logins: no attempts until then.
    #[error("account locked until {until}")]
    Locked { until: DateTime<Utc> },
    /// Every organization of the person deactivated them.
    #[error("the account is deactivated")]
    Deactivated,
    /// A mailed link that no longer works (used, expired, replaced or unknown).
    #[error("the link is no longer valid")]
    LinkInvalid,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// A problem with one field, mapped to a message by the web layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    Parse(ParseError),
    Password(PasswordProblem),
    /// The email is already registered.
    EmailTaken,
    /// The current password given does not match.
    WrongPassword,
    /// The two new-password fields differ.
    Mismatch,
}

/// The sign-up form.
#[derive(Debug, Clone)]
pub struct Registration<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub org_name: &'a str,
    /// Where the site is (`https://photos.example.com`), for the link in the verification mail.
    pub base_url: &'a str,
}

/// A signed-up or logged-in person and the organization they work in.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub tenant: Tenant,
    pub role: Role,
}

fn field<T, E>(
    errors: &mut Vec<(&'static str, FieldProblem)>,
    name: &'static str,
    r: Result<T, E>,
    wrap: fn(E) -> FieldProblem,
) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push((name, wrap(e)));
            None
        }
    }
}

async fn audit(
    tx: &mut Tx,
    tenant: TenantId,
    actor: Option<UserId>,
    action: &str,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor,
            action: action.to_owned(),
            subject: actor.map(|u| format!("user:{u}")),
            details,
        },
    )
    .await
    .map(|_| ())
}

/// Creates the person, their organization and the owner membership in one transaction.
pub async fn register(
    services: &Services,
    form: &Registration<'_>,
    now: DateTime<Utc>,
) -> Result<Account, AccountError> {
    let mut errors = Vec::new();
    let name = field(
        &mut errors,
        "name",
        PersonName::parse(form.name),
        FieldProblem::Parse,
    );
    let email = field(
        &mut errors,
        "email",
        Email::parse(form.email),
        FieldProblem::Parse,
    );
    let org = field(
        &mut errors,
        "org_name",
        OrgName::parse(form.org_name),
        FieldProblem::Parse,
    );
    field(
        &mut errors,
        "password",
        check_new_password(form.password, &[form.name, form.email, form.org_name]),
        FieldProblem::Password,
    );
    let (Some(name), Some(email), Some(org), true) = (name, email, org, errors.is_empty()) else {
        return Err(AccountError::Invalid(errors));
    };
    let hash = hash_password(form.password).await?;
    let user = User {
        id: UserId::new(),
        email,
        name,
        password_hash: Some(hash),
        email_verified_at: None,
        created_at: now,
        updated_at: now,
    };
    let tenant = Tenant {
        id: TenantId::new(),
        name: org,
        created_at: now,
    };
    // The user row is global; the tenant rows are written in the new tenant's scope.
    let mut tx = services.db.begin(Scope::Tenant(tenant.id)).await?;
    match tx.insert_user(&user).await {
        Err(StoreError::Conflict(_)) => {
            return Err(AccountError::Invalid(vec![(
                "email",
                FieldProblem::EmailTaken,
            )]));
        }
        other => other?,
    }
    tx.insert_tenant(&tenant).await?;
    tx.insert_membership(
        tenant.id,
        &Membership::new(tenant.id, user.id, Role::Owner, now),
    )
    .await?;
    audit(
        &mut tx,
        tenant.id,
        Some(user.id),
        "account.registered",
        json!({}),
    )
    .await?;
    send_verification(&mut tx, &user, &tenant, form.base_url, now).await?;
    tx.commit().await?;
    tracing::info!(tenant.id = %tenant.id, user.id = %user.id, "organization signed up");
    Ok(Account {
        user,
        tenant,
        role: Role::Owner,
    })
}

/// The organization a person works in after login: their oldest active membership.
/// `Err(Deactivated)` when every membership they have is deactivated.
async fn home_tenant(
    services: &Services,
    user: UserId,
) -> Result<Option<(Tenant, Role)>, AccountError> {
    let mut tx = services.db.begin_read(Scope::User(user)).await?;
    let memberships = tx.memberships_of_user(user).await?;
    tx.commit().await?;
    if memberships.is_empty() {
        return Ok(None);
    }
    let Some(m) = memberships.into_iter().find(Membership::is_active) else {
        return Err(AccountError::Deactivated);
    };
    let mut tx = services.db.begin_read(Scope::Tenant(m.tenant_id)).await?;
    let tenant = tx.get_tenant(m.tenant_id).await?;
    tx.commit().await?;
    Ok(tenant.map(|t| (t, m.role)))
}

/// What a right password leads to.
#[derive(Debug)]
pub enum LoginStep {
    /// Logged in.
    Done(Account),
    /// Two-factor sign-in is on: a code from the authenticator app (or a recovery code) is
    /// asked next, with this short-lived proof that the password was right.
    CodeNeeded(crate::two_factor::PendingLogin),
}

/// Checks an email and password. Wrong ones count toward a lockout of the account; a locked
/// account refuses every attempt until the lock ends. An unknown email costs the same hashing
/// work as a known one. With two-factor sign-in on, a right password only leads to the code
/// step, and the count of failures goes on until the code is right too.
pub async fn login(
    services: &Services,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<LoginStep, AccountError> {
    let user = match Email::parse(email) {
        Ok(email) => {
            let mut tx = services.db.begin_read(Scope::System).await?;
            let user = tx.find_user_by_email(&email).await?;
            tx.commit().await?;
            user
        }
        Err(_) => None,
    };
    let Some(user) = user.filter(|u| u.password_hash.is_some()) else {
        verify_password(&DUMMY_HASH, password).await;
        return Err(AccountError::BadCredentials);
    };
    let (tenant, role) = match home_tenant(services, user.id).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            verify_password(&DUMMY_HASH, password).await;
            return Err(AccountError::BadCredentials);
        }
        // Said only to someone who knows the password.
        Err(AccountError::Deactivated) => {
            let ok =
                verify_password(user.password_hash.as_deref().unwrap_or_default(), password).await;
            return Err(if ok {
                AccountError::Deactivated
            } else {
                AccountError::BadCredentials
            });
        }
        Err(e) => return Err(e),
    };

    // Refuse at once while locked (no hashing work, and the attempt does not count).
    {
        let mut tx = services.db.begin(Scope::System).await?;
        let lock = tx.lock_login_state(user.id).await?.unwrap_or_default();
        tx.commit().await?;
        if let Some(until) = lock.locked_until.filter(|u| *u > now) {
            return Err(AccountError::Locked { until });
        }
    }

    let ok = verify_password(user.password_hash.as_deref().unwrap_or_default(), password).await;
    let mut tx = services.db.begin(Scope::Tenant(tenant.id)).await?;
    let lock = tx.lock_login_state(user.id).await?.unwrap_or_default();
    if ok {
        if tx
            .lock_totp(user.id)
            .await?
            .is_some_and(|t| t.enabled_at.is_some())
        {
            // The failure count is not reset by the password alone: guessing codes counts.
            audit(
                &mut tx,
                tenant.id,
                Some(user.id),
                "login.password_ok",
                json!({ "next": "two_factor" }),
            )
            .await?;
            tx.commit().await?;
            let pending = crate::two_factor::PendingLogin::issue(services, user.id, tenant.id, now);
            return Ok(LoginStep::CodeNeeded(pending));
        }
        if lock != LoginLock::default() {
            tx.set_login_state(user.id, LoginLock::default()).await?;
        }
        audit(
            &mut tx,
            tenant.id,
            Some(user.id),
            "login.succeeded",
            json!({}),
        )
        .await?;
        tx.commit().await?;
        return Ok(LoginStep::Done(Account { user, tenant, role }));
    }
    count_failed_login(tx, tenant.id, user.id, lock, now, "login.failed").await
}

/// Counts a failed attempt (a wrong password, or a wrong code after a right password) toward
/// the lockout and commits; always an error: `Locked` when this attempt locks the account.
pub(crate) async fn count_failed_login(
    mut tx: Tx,
    tenant: TenantId,
    user: UserId,
    lock: LoginLock,
    now: DateTime<Utc>,
    what: &str,
) -> Result<LoginStep, AccountError> {
    let failed = lock.failed_logins.saturating_add(1);
    let locked_until = lock_after(failed).map(|d| now + d);
    tx.set_login_state(
        user,
        LoginLock {
            failed_logins: failed,
            locked_until,
        },
    )
    .await?;
    audit(
        &mut tx,
        tenant,
        Some(user),
        what,
        json!({ "failed_in_a_row": failed }),
    )
    .await?;
    if let Some(until) = locked_until {
        audit(
            &mut tx,
            tenant,
            Some(user),
            "login.locked",
            json!({ "until": until, "failed_in_a_row": failed }),
        )
        .await?;
    }
    tx.commit().await?;
    if let Some(until) = locked_until {
        tracing::warn!(user = %user, failed_logins = failed, "account locked after failed logins");
        return Err(AccountError::Locked { until });
    }
    Err(AccountError::BadCredentials)
}

/// A new session's cookie token (shown once, never stored) and its stored record.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub record: SessionRecord,
}

pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session with a fresh random id (256 bits): a login never reuses an id it was
/// handed, so a planted cookie is worthless.
pub async fn start_session(
    sessions: &SessionStore,
    account: &Account,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<NewSession, StoreError> {
    let token = random_token();
    let record = SessionRecord {
        id_hash: token_hash(&token),
        user_id: account.user.id,
        tenant_id: account.tenant.id,
        csrf_token: random_token(),
        user_agent: describe_user_agent(user_agent),
        created_at: now,
        last_seen_at: now,
        expires_at: now + SESSION_LIFETIME,
    };
    sessions.insert(&record).await?;
    Ok(NewSession { token, record })
}

/// The session for a cookie's token, slid forward if it was last used a while ago.
pub async fn resume_session(
    sessions: &SessionStore,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionRecord>, StoreError> {
    let Some(mut s) = sessions.get(&token_hash(token), now).await? else {
        return Ok(None);
    };
    if now - s.last_seen_at >= SESSION_TOUCH_EVERY {
        let expires_at = now + SESSION_LIFETIME;
        sessions.touch(&s, now, expires_at).await?;
        s.last_seen_at = now;
        s.expires_at = expires_at;
    }
    Ok(Some(s))
}

/// The member behind a session: the person, the organization they are working in and their
/// role there, as the context of everything they do on this request.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub tenant: Tenant,
    pub role: Role,
    pub ctx: crate::Ctx,
    /// The organization requires two-factor sign-in and this person has not turned it on:
    /// until they do, only the pages to set it up (and to log out or switch) are open.
    pub must_set_up_two_factor: bool,
}

/// Loads the member of a session under their organization's scope. `None` when they are no
/// longer a member (removed, or the account is gone): the session is then ended.
pub async fn current_member(
    services: &Services,
    session: &SessionRecord,
) -> Result<Option<Member>, StoreError> {
    let mut tx = services
        .db
        .begin_read(Scope::Tenant(session.tenant_id))
        .await?;
    let user = tx.get_user(session.user_id).await?;
    let membership = tx
        .get_membership(session.tenant_id, session.user_id)
        .await?;
    let tenant = tx.get_tenant(session.tenant_id).await?;
    let policy = tx
        .two_factor_policy(session.tenant_id, session.user_id)
        .await?;
    tx.commit().await?;
    match (user, membership.filter(Membership::is_active), tenant) {
        (Some(user), Some(m), Some(tenant)) => {
            let now = services.now();
            if m.last_active_at
                .is_none_or(|at| now - at >= LAST_ACTIVE_EVERY)
            {
                let mut tx = services.db.begin(Scope::Tenant(tenant.id)).await?;
                tx.touch_member(tenant.id, user.id, now).await?;
                tx.commit().await?;
            }
            Ok(Some(Member {
                ctx: services.member_ctx(tenant.id, user.id, m.role),
                user,
                tenant,
                role: m.role,
                must_set_up_two_factor: policy.required && !policy.enabled,
            }))
        }
        _ => {
            services.sessions.delete(session).await?;
            Ok(None)
        }
    }
}

/// One organization of a person, for the switcher.
#[derive(Debug, Clone)]
pub struct Organization {
    pub tenant: Tenant,
    pub role: Role,
    pub active: bool,
}

/// Every organization the person belongs to (deactivated ones too, marked), oldest first.
pub async fn organizations(
    services: &Services,
    user: UserId,
) -> Result<Vec<Organization>, StoreError> {
    let mut tx = services.db.begin_read(Scope::User(user)).await?;
    let memberships = tx.memberships_of_user(user).await?;
    tx.commit().await?;
    let mut out = Vec::with_capacity(memberships.len());
    for m in memberships {
        let mut tx = services.db.begin_read(Scope::Tenant(m.tenant_id)).await?;
        let tenant = tx.get_tenant(m.tenant_id).await?;
        tx.commit().await?;
        if let Some(tenant) = tenant {
            out.push(Organization {
                active: m.is_active(),
                tenant,
                role: m.role,
            });
        }
    }
    Ok(out)
}

/// The person's account in another of their organizations, to work in it: refused unless
/// they are an active member there.
pub async fn switch_organization(
    services: &Services,
    session: &SessionRecord,
    tenant: TenantId,
) -> Result<Option<Account>, StoreError> {
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let membership = tx.get_membership(tenant, session.user_id).await?;
    let found = tx.get_tenant(tenant).await?;
    let user = tx.get_user(session.user_id).await?;
    tx.commit().await?;
    let (Some(m), Some(tenant), Some(user)) =
        (membership.filter(Membership::is_active), found, user)
    else {
        return Ok(None);
    };
    let mut tx = services.db.begin(Scope::Tenant(tenant.id)).await?;
    audit(
        &mut tx,
        tenant.id,
        Some(user.id),
        "organization.switched_to",
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Account {
        user,
        tenant,
        role: m.role,
    }))
}

/// The person behind a session, whatever organization it works in (the invitation page).
pub async fn session_user(
    services: &Services,
    session: &SessionRecord,
) -> Result<Option<User>, StoreError> {
    let mut tx = services.db.begin_read(Scope::System).await?;
    let user = tx.get_user(session.user_id).await?;
    tx.commit().await?;
    Ok(user)
}

/// Ends a session and records the logout.
pub async fn logout(services: &Services, session: &SessionRecord) -> Result<(), StoreError> {
    services.sessions.delete(session).await?;
    let mut tx = services.db.begin(Scope::Tenant(session.tenant_id)).await?;
    audit(
        &mut tx,
        session.tenant_id,
        Some(session.user_id),
        "logout",
        json!({}),
    )
    .await?;
    tx.commit().await
}

/// Ends every other session of the person; returns how many.
pub async fn logout_other_sessions(
    services: &Services,
    session: &SessionRecord,
) -> Result<u64, StoreError> {
    let n = services
        .sessions
        .delete_for_user_except(session.user_id, Some(&session.id_hash))
        .await?;
    let mut tx = services.db.begin(Scope::Tenant(session.tenant_id)).await?;
    audit(
        &mut tx,
        session.tenant_id,
        Some(session.user_id),
        "sessions.ended_others",
        json!({ "count": n }),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Renames the person.
pub async fn change_name(
    services: &Services,
    session: &SessionRecord,
    name: &str,
    now: DateTime<Utc>,
) -> Result<PersonName, AccountError> {
    let name = PersonName::parse(name)
        .map_err(|e| AccountError::Invalid(vec![("name", FieldProblem::Parse(e))]))?;
    let mut tx = services.db.begin(Scope::System).await?;
    tx.set_user_name(session.user_id, &name, now).await?;
    tx.commit().await?;
    Ok(name)
}

/// The password-change form.
#[derive(Debug, Clone)]
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub confirm: &'a str,
}

/// Changes the password after checking the current one, then ends every other session.
pub async fn change_password(
    services: &Services,
    session: &SessionRecord,
    form: &PasswordChange<'_>,
    now: DateTime<Utc>,
) -> Result<u64, AccountError> {
    let mut tx = services.db.begin_read(Scope::System).await?;
    let user = tx.get_user(session.user_id).await?;
    tx.commit().await?;
    let Some(user) = user else {
        return Err(AccountError::BadCredentials);
    };
    let current_ok = match &user.password_hash {
        Some(h) => verify_password(h, form.current).await,
        None => false,
    };
    let mut errors = Vec::new();
    if !current_ok {
        errors.push(("current_password", FieldProblem::WrongPassword));
    }
    if let Err(p) = check_new_password(form.new, &[user.name.as_str(), user.email.as_str()]) {
        errors.push(("new_password", FieldProblem::Password(p)));
    } else if form.new != form.confirm {
        errors.push(("confirm_password", FieldProblem::Mismatch));
    }
    if !errors.is_empty() {
        return Err(AccountError::Invalid(errors));
    }
    let hash = hash_password(form.new).await?;
    let mut tx = services.db.begin(Scope::Tenant(session.tenant_id)).await?;
    tx.set_password_hash(user.id, &hash, now).await?;
    audit(
        &mut tx,
        session.tenant_id,
        Some(user.id),
        "password.changed",
        json!({}),
    )
    .await?;
    tx.commit().await?;
    let ended = services
        .sessions
        .delete_for_user_except(user.id, Some(&session.id_hash))
        .await?;
    Ok(ended)
}

/// Mails a link that proves `user`'s address, in `tx`; earlier such links stop working.
async fn send_verification(
    tx: &mut Tx,
    user: &User,
    tenant: &Tenant,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.void_user_tokens(user.id, TokenPurpose::VerifyEmail, now)
        .await?;
    let token = random_token();
    tx.insert_mail_token(&MailToken {
        token_hash: token_hash(&token),
        purpose: TokenPurpose::VerifyEmail,
        user_id: Some(user.id),
        tenant_id: Some(tenant.id),
        invitation_id: None,
        email: user.email.as_str().to_owned(),
        created_at: now,
        expires_at: now + VERIFY_LIFETIME,
        used_at: None,
    })
    .await?;
    let url = format!("{}/verify/{token}", base_url.trim_end_matches('/'));
    crate::notify::verify_email(tx, user, Some(tenant), &url).await
}

/// Changes the member's email address after checking their password: the new address is
/// unverified until they follow the link mailed to it (links sent to the old one stop working).
pub async fn change_email(
    services: &Services,
    user: &User,
    tenant: &Tenant,
    new_email: &str,
    current_password: &str,
    base_url: &str,
) -> Result<Email, AccountError> {
    let email = Email::parse(new_email)
        .map_err(|e| AccountError::Invalid(vec![("email", FieldProblem::Parse(e))]))?;
    let ok = match &user.password_hash {
        Some(h) => verify_password(h, current_password).await,
        None => false,
    };
    if !ok {
        return Err(AccountError::Invalid(vec![(
            "current_password",
            FieldProblem::WrongPassword,
        )]));
    }
    if email == user.email {
        return Ok(email);
    }
    let now = services.now();
    let mut tx = services.db.begin(Scope::Tenant(tenant.id)).await?;
    match tx.set_user_email(user.id, &email, now).await {
        Err(StoreError::Conflict(_)) => {
            return Err(AccountError::Invalid(vec![(
                "email",
                FieldProblem::EmailTaken,
            )]));
        }
        other => other?,
    };
    let changed = User {
        email: email.clone(),
        email_verified_at: None,
        ..user.clone()
    };
    send_verification(&mut tx, &changed, tenant, base_url, now).await?;
    audit(
        &mut tx,
        tenant.id,
        Some(user.id),
        "email.changed",
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(email)
}

/// Sends the member a new verification link (the banner's "send again").
pub async fn resend_verification(
    services: &Services,
    user: &User,
    tenant: &Tenant,
    base_url: &str,
) -> Result<(), AccountError> {
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let mut tx = services.db.begin(Scope::Tenant(tenant.id)).await?;
    send_verification(&mut tx, user, tenant, base_url, services.now()).await?;
    audit(
        &mut tx,
        tenant.id,
        Some(user.id),
        "email.verification_sent",
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Follows a verification link: the address is proven (once; a used or expired link is
/// refused). A welcome mail follows the first verification.
pub async fn verify_email(
    services: &Services,
    token: &str,
    base_url: &str,
) -> Result<User, AccountError> {
    let now = services.now();
    let hash = token_hash(token);
    let mut tx = services.db.begin(Scope::System).await?;
    let record = tx
        .find_mail_token(&hash)
        .await?
        .filter(|t| t.purpose == TokenPurpose::VerifyEmail && t.is_live(now));
    let Some(user_id) = record.as_ref().and_then(|t| t.user_id) else {
        return Err(AccountError::LinkInvalid);
    };
    let user = tx.get_user(user_id).await?;
    tx.commit().await?;
    // The address may have changed since the link was sent: it proves only the one it went to.
    let Some(user) = user.filter(|u| record.as_ref().is_some_and(|t| t.email == u.email.as_str()))
    else {
        return Err(AccountError::LinkInvalid);
    };
    let tenant_id = record.as_ref().and_then(|t| t.tenant_id);
    let mut tx = match tenant_id {
        Some(t) => services.db.begin(Scope::Tenant(t)).await?,
        None => services.db.begin(Scope::System).await?,
    };
    if !tx.use_mail_token(&hash, now).await? {
        return Err(AccountError::LinkInvalid);
    }
    let first = user.email_verified_at.is_none();
    tx.set_email_verified(user.id, now).await?;
    let tenant = match tenant_id {
        Some(t) => tx.get_tenant(t).await?,
        None => None,
    };
    if let Some(t) = &tenant {
        audit(&mut tx, t.id, Some(user.id), "email.verified", json!({})).await?;
    }
    if first {
        let url = format!("{}/app", base_url.trim_end_matches('/'));
        crate::notify::welcome(&mut tx, &user, tenant.as_ref(), &url).await?;
    }
    tx.commit().await?;
    Ok(User {
        email_verified_at: user.email_verified_at.or(Some(now)),
        ..user
    })
}

/// Mails a password-reset link when `email` has an account. Says nothing either way: the
/// caller answers the same for unknown addresses. Earlier reset links stop working.
pub async fn request_password_reset(
    services: &Services,
    email: &str,
    base_url: &str,
) -> Result<(), AccountError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let now = services.now();
    let mut tx = services.db.begin_read(Scope::System).await?;
    let user = tx.find_user_by_email(&email).await?;
    tx.commit().await?;
    let Some(user) = user else {
        tracing::info!("password reset asked for an unknown address");
        return Ok(());
    };
    let home = match home_tenant(services, user.id).await {
        Ok(found) => found.map(|(t, _)| t),
        Err(AccountError::Deactivated) => None,
        Err(e) => return Err(e),
    };
    let mut tx = match &home {
        Some(t) => services.db.begin(Scope::Tenant(t.id)).await?,
        None => services.db.begin(Scope::System).await?,
    };
    tx.void_user_tokens(user.id, TokenPurpose::PasswordReset, now)
        .await?;
    let token = random_token();
    tx.insert_mail_token(&MailToken {
        token_hash: token_hash(&token),
        purpose: TokenPurpose::PasswordReset,
        user_id: Some(user.id),
        tenant_id: home.as_ref().map(|t| t.id),
        invitation_id: None,
        email: user.email.as_str().to_owned(),
        created_at: now,
        expires_at: now + RESET_LIFETIME,
        used_at: None,
    })
    .await?;
    let url = format!("{}/password/reset/{token}", base_url.trim_end_matches('/'));
    crate::notify::password_reset(
        &mut tx,
        &user,
        home.as_ref(),
        &url,
        RESET_LIFETIME.num_minutes(),
    )
    .await?;
    if let Some(t) = &home {
        audit(
            &mut tx,
            t.id,
            Some(user.id),
            "password.reset_requested",
            json!({}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The live reset token behind a link, if any.
async fn reset_token(
    services: &Services,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<MailToken>, StoreError> {
    let mut tx = services.db.begin_read(Scope::System).await?;
    let record = tx.find_mail_token(&token_hash(token)).await?;
    tx.commit().await?;
    Ok(record.filter(|t| t.purpose == TokenPurpose::PasswordReset && t.is_live(now)))
}

/// Whether a reset link still works (the form is shown only then).
pub async fn reset_link_works(services: &Services, token: &str) -> Result<bool, AccountError> {
    Ok(reset_token(services, token, services.now())
        .await?
        .is_some())
}

/// Sets a new password from a reset link: the link works once, every session of the person
/// ends, and the failed-login lockout is cleared (they proved they read their mail).
pub async fn reset_password(
    services: &Services,
    token: &str,
    new: &str,
    confirm: &str,
) -> Result<User, AccountError> {
    let now = services.now();
    let Some(record) = reset_token(services, token, now).await? else {
        return Err(AccountError::LinkInvalid);
    };
    let Some(user_id) = record.user_id else {
        return Err(AccountError::LinkInvalid);
    };
    let mut tx = services.db.begin_read(Scope::System).await?;
    let user = tx.get_user(user_id).await?;
    tx.commit().await?;
    let Some(user) = user else {
        return Err(AccountError::LinkInvalid);
    };
    if let Err(p) = check_new_password(new, &[user.name.as_str(), user.email.as_str()]) {
        return Err(AccountError::Invalid(vec![(
            "new_password",
            FieldProblem::Password(p),
        )]));
    }
    if new != confirm {
        return Err(AccountError::Invalid(vec![(
            "confirm_password",
            FieldProblem::Mismatch,
        )]));
    }
    let hash = hash_password(new).await?;
    let mut tx = match record.tenant_id {
        Some(t) => services.db.begin(Scope::Tenant(t)).await?,
        None => services.db.begin(Scope::System).await?,
    };
    if !tx.use_mail_token(&record.token_hash, now).await? {
        return Err(AccountError::LinkInvalid);
    }
    tx.void_user_tokens(user.id, TokenPurpose::PasswordReset, now)
        .await?;
    tx.set_password_hash(user.id, &hash, now).await?;
    tx.set_login_state(user.id, LoginLock::default()).await?;
    // The link reached their inbox: the address is proven too.
    tx.set_email_verified(user.id, now).await?;
    if let Some(t) = record.tenant_id {
        audit(&mut tx, t, Some(user.id), "password.reset", json!({})).await?;
    }
    tx.commit().await?;
    let ended = services
        .sessions
        .delete_for_user_except(user.id, None)
        .await?;
    tracing::info!(user.id = %user.id, sessions_ended = ended, "password reset");
    Ok(user)
}

/// A short, human label for a User-Agent ("Firefox on Android"), never the raw header.
pub fn describe_user_agent(ua: &str) -> String {
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.is_empty() {
        return String::new();
    } else {
        "A browser"
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        return browser.to_owned();
    };
    format!("{browser} on {os}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let h = hash_password("violet-harbour-42").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(&h, "violet-harbour-42").await);
        assert!(!verify_password(&h, "violet-harbour-43").await);
        assert!(!verify_password("not a hash", "x").await);
        let again = hash_password("violet-harbour-42").await.unwrap();
        assert_ne!(h, again, "a fresh salt each time");
    }

    #[test]
    fn session_tokens_are_long_random_and_stored_hashed() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits in base64url");
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn user_agents_become_short_labels() {
        assert_eq!(
            describe_user_agent(
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
            ),
            "Chrome on Android"
        );
        assert_eq!(
            describe_user_agent(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"
            ),
            "Safari on iOS"
        );
        assert_eq!(describe_user_agent(""), "");
    }
}
