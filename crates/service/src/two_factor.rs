//! Two-factor sign-in: TOTP codes from an authenticator app (RFC 6238, see [`crate::totp`]),
//! ten single-use recovery codes for a lost phone, the code step of the login, and the
//! organization's rule that everyone must use it.
//!
//! - The TOTP secret is stored encrypted under the server's secret key (XOR with an HMAC-SHA256
//!   key stream of the user and a random nonce), so a copy of the database alone cannot make
//!   codes. Recovery codes are stored only as HMACs under the same key.
//! - A code is accepted once: the step it was for is recorded and only later steps pass.
//! - Wrong codes count toward the same lockout as wrong passwords, and a right password alone
//!   does not reset that count.
//! - Nobody is locked out for good: recovery codes, an admin of the organization can reset a
//!   member's two-factor sign-in, and an operator can with `momentique admin reset-two-factor`.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Duration, Utc};
use domain::{Action, Actor, TenantId, UserId};
use serde_json::json;
use store::{
    AuditRepo, MembershipRepo, NewAuditEntry, Scope, StoreError, TenantRepo, TotpRecord,
    TwoFactorRepo, Tx, User, UserRepo,
};

use crate::accounts::{Account, AccountError, count_failed_login, verify_password};
use crate::secrets::base32;
use crate::{Ctx, Services, totp};

/// How long the code step may follow the password step.
pub const PENDING_LOGIN_LIFETIME: Duration = Duration::minutes(10);
/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code (Crockford base32: 50 bits).
const RECOVERY_CODE_CHARS: usize = 10;
/// Bytes of a TOTP secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;
/// The issuer name authenticator apps show.
pub const ISSUER: &str = "Momentique";

/// Why a two-factor step was refused.
#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    #[error("not allowed")]
    Denied,
    #[error("not found")]
    NotFound,
    /// The password given does not match.
    #[error("wrong password")]
    WrongPassword,
    /// The code (or recovery code) is wrong, already used, or too old.
    #[error("wrong code")]
    WrongCode,
    #[error("two-factor sign-in is already on")]
    AlreadyOn,
    #[error("two-factor sign-in is not on")]
    NotOn,
    /// Confirming without having started (or after the enrolment was replaced).
    #[error("no set-up in progress")]
    NotEnrolling,
    /// The organization requires it, so it cannot be turned off.
    #[error("the organization requires two-factor sign-in")]
    Required,
    /// Requiring it of everyone needs it on for oneself first.
    #[error("turn on two-factor sign-in for yourself first")]
    SetUpYoursFirst,
    /// The code step came too late or its proof is not ours: log in again.
    #[error("the sign-in expired")]
    LoginExpired,
    #[error("account locked until {until}")]
    Locked { until: DateTime<Utc> },
    #[error("the account is deactivated")]
    Deactivated,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<domain::Denied> for TwoFactorError {
    fn from(_: domain::Denied) -> Self {
        TwoFactorError::Denied
    }
}

impl From<AccountError> for TwoFactorError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Locked { until } => TwoFactorError::Locked { until },
            AccountError::BadCredentials => TwoFactorError::WrongCode,
            AccountError::Deactivated => TwoFactorError::Deactivated,
            AccountError::Store(s) => TwoFactorError::Store(s),
            other => TwoFactorError::Store(StoreError::Corrupt {
                column: "two_factor",
                reason: other.to_string(),
            }),
        }
    }
}

async fn audit(
    tx: &mut Tx,
    tenant: TenantId,
    actor: Option<UserId>,
    action: &str,
    subject: UserId,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor,
            action: action.to_owned(),
            subject: Some(format!("user:{subject}")),
            details,
        },
    )
    .await
    .map(|_| ())
}

/// Refuses a wrong password (asked again before each change to one's own two-factor sign-in).
async fn check_password(user: &User, password: &str) -> Result<(), TwoFactorError> {
    if verify_password(user.password_hash.as_deref().unwrap_or_default(), password).await {
        Ok(())
    } else {
        Err(TwoFactorError::WrongPassword)
    }
}

/// Audits a change a person made to their own two-factor sign-in.
async fn audit_own(tx: &mut Tx, ctx: &Ctx, user: &User, action: &str) -> Result<(), StoreError> {
    audit(tx, ctx.tenant, Some(user.id), action, user.id, json!({})).await
}

/// The member acting on their own account.
fn myself(ctx: &Ctx, user: &User) -> Result<(), TwoFactorError> {
    match ctx.actor {
        Actor::Member { user: me, .. } if me == user.id => Ok(()),
        _ => Err(TwoFactorError::Denied),
    }
}

fn key_stream(services: &Services, user: UserId, nonce: &[u8]) -> [u8; 32] {
    services
        .secret
        .derive("totp-secret", &[user.as_uuid().as_bytes(), nonce])
}

/// The secret encrypted for storage: (ciphertext hex, nonce hex).
fn seal(services: &Services, user: UserId, secret: &[u8]) -> (String, String) {
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let pad = key_stream(services, user, &nonce);
    let sealed: Vec<u8> = secret.iter().zip(pad).map(|(s, p)| s ^ p).collect();
    (hex::encode(sealed), hex::encode(nonce))
}

/// The stored secret, decrypted.
fn open(services: &Services, user: UserId, record: &TotpRecord) -> Option<Vec<u8>> {
    let sealed = hex::decode(&record.secret).ok()?;
    let nonce = hex::decode(&record.nonce).ok()?;
    if sealed.len() != SECRET_BYTES {
        return None;
    }
    let pad = key_stream(services, user, &nonce);
    Some(sealed.iter().zip(pad).map(|(s, p)| s ^ p).collect())
}

/// A recovery code as typed, reduced to its canonical form: lower case, separators dropped,
/// and the letters Crockford's alphabet leaves out read as the digits they look like.
fn normalize_recovery_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        })
        .collect();
    (code.len() == RECOVERY_CODE_CHARS && !code.contains('u')).then_some(code)
}

fn recovery_code_hash(services: &Services, user: UserId, code: &str) -> String {
    hex::encode(services.secret.derive(
        "recovery-code",
        &[user.as_uuid().as_bytes(), code.as_bytes()],
    ))
}

/// Ten fresh codes, as shown ("abcde-fghjk"), and their HMACs for storage.
fn new_recovery_codes(services: &Services, user: UserId) -> (Vec<String>, Vec<String>) {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 7];
            OsRng.fill_bytes(&mut bytes);
            let code: String = base32(&bytes).chars().take(RECOVERY_CODE_CHARS).collect();
            let hash = recovery_code_hash(services, user, &code);
            (format!("{}-{}", &code[..5], &code[5..]), hash)
        })
        .unzip()
}

/// Accepts a TOTP code or an unused recovery code for `user` (the transaction holds the row
/// lock). Which one was used, or `None`.
async fn accept_code(
    services: &Services,
    tx: &mut Tx,
    user: UserId,
    record: &TotpRecord,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Option<&'static str>, StoreError> {
    if let Some(secret) = open(services, user, record)
        && let Some(step) = totp::matching_step(&secret, typed, now.timestamp(), record.last_step)
    {
        tx.set_totp_step(user, step).await?;
        return Ok(Some("totp"));
    }
    if let Some(code) = normalize_recovery_code(typed) {
        let hash = recovery_code_hash(services, user, &code);
        if tx.use_recovery_code(user, &hash, now).await? {
            return Ok(Some("recovery_code"));
        }
    }
    Ok(None)
}

/// Whether two-factor sign-in is on for `user` (the row stays locked until `tx` ends).
async fn is_on(tx: &mut Tx, user: UserId) -> Result<bool, StoreError> {
    Ok(tx
        .lock_totp(user)
        .await?
        .is_some_and(|r| r.enabled_at.is_some()))
}

/// What the account page shows about two-factor sign-in.
#[derive(Debug, Clone)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    /// While setting up: what to scan or type into the app.
    pub enrolling: Option<Enrolment>,
    pub recovery_codes_left: i64,
    /// Whether the organization being worked on requires it.
    pub required: bool,
}

/// What the authenticator app needs.
#[derive(Clone)]
pub struct Enrolment {
    /// The secret in groups of four, to type in.
    pub secret_typed: String,
    /// The `otpauth://` URI the QR code carries.
    pub uri: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<secret>)")
    }
}

/// The person's two-factor state.
pub async fn status(
    services: &Services,
    ctx: &Ctx,
    user: &User,
) -> Result<TwoFactorStatus, TwoFactorError> {
    myself(ctx, user)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let record = tx.get_totp(user.id).await?;
    let left = tx.recovery_codes_left(user.id).await?;
    let policy = tx.two_factor_policy(ctx.tenant, user.id).await?;
    tx.commit().await?;
    let enabled = record.as_ref().is_some_and(|r| r.enabled_at.is_some());
    let enrolling = record
        .filter(|r| r.enabled_at.is_none())
        .and_then(|r| open(services, user.id, &r))
        .map(|secret| Enrolment {
            secret_typed: totp::secret_for_typing(&secret),
            uri: totp::otpauth_uri(ISSUER, user.email.as_str(), &secret),
        });
    Ok(TwoFactorStatus {
        enabled,
        enrolling,
        recovery_codes_left: left,
        required: policy.required,
    })
}

/// Starts setting up: checks the password and stores a fresh secret, not yet in force (the
/// next step confirms it with a code from the app).
pub async fn start_enrolment(
    services: &Services,
    ctx: &Ctx,
    user: &User,
    password: &str,
) -> Result<(), TwoFactorError> {
    myself(ctx, user)?;
    check_password(user, password).await?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    if is_on(&mut tx, user.id).await? {
        return Err(TwoFactorError::AlreadyOn);
    }
    let mut secret = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    let (sealed, nonce) = seal(services, user.id, &secret);
    tx.set_pending_totp(user.id, &sealed, &nonce).await?;
    audit_own(&mut tx, ctx, user, "two_factor.setup_started").await?;
    tx.commit().await?;
    Ok(())
}

/// Confirms the set-up with a code from the app: two-factor sign-in is on from now, and the
/// ten recovery codes (shown once; only their HMACs are kept) are returned.
pub async fn confirm_enrolment(
    services: &Services,
    ctx: &Ctx,
    user: &User,
    code: &str,
) -> Result<Vec<String>, TwoFactorError> {
    myself(ctx, user)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let record = tx.lock_totp(user.id).await?;
    let Some(record) = record.filter(|r| r.enabled_at.is_none()) else {
        return Err(TwoFactorError::NotEnrolling);
    };
    let secret = open(services, user.id, &record).ok_or(TwoFactorError::NotEnrolling)?;
    let Some(step) = totp::matching_step(&secret, code, ctx.now.timestamp(), None) else {
        return Err(TwoFactorError::WrongCode);
    };
    tx.enable_totp(user.id, ctx.now, step).await?;
    let (codes, hashes) = new_recovery_codes(services, user.id);
    tx.replace_recovery_codes(user.id, &hashes, ctx.now).await?;
    audit_own(&mut tx, ctx, user, "two_factor.enabled").await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns two-factor sign-in off, with the password and a current code (or a recovery code).
/// Refused where the organization requires it.
pub async fn disable(
    services: &Services,
    ctx: &Ctx,
    user: &User,
    password: &str,
    code: &str,
) -> Result<(), TwoFactorError> {
    myself(ctx, user)?;
    check_password(user, password).await?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    if tx.two_factor_policy(ctx.tenant, user.id).await?.required {
        return Err(TwoFactorError::Required);
    }
    let record = tx.lock_totp(user.id).await?;
    let Some(record) = record.filter(|r| r.enabled_at.is_some()) else {
        // Abandoning a set-up needs no code.
        tx.clear_two_factor(user.id).await?;
        tx.commit().await?;
        return Ok(());
    };
    if accept_code(services, &mut tx, user.id, &record, code, ctx.now)
        .await?
        .is_none()
    {
        return Err(TwoFactorError::WrongCode);
    }
    tx.clear_two_factor(user.id).await?;
    audit_own(&mut tx, ctx, user, "two_factor.disabled").await?;
    tx.commit().await?;
    Ok(())
}

/// Ten new recovery codes, replacing the old ones (which stop working), after the password.
pub async fn replace_recovery_codes(
    services: &Services,
    ctx: &Ctx,
    user: &User,
    password: &str,
) -> Result<Vec<String>, TwoFactorError> {
    myself(ctx, user)?;
    check_password(user, password).await?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    if !is_on(&mut tx, user.id).await? {
        return Err(TwoFactorError::NotOn);
    }
    let (codes, hashes) = new_recovery_codes(services, user.id);
    tx.replace_recovery_codes(user.id, &hashes, ctx.now).await?;
    audit_own(&mut tx, ctx, user, "two_factor.recovery_codes_replaced").await?;
    tx.commit().await?;
    Ok(codes)
}

/// An admin turns off a member's two-factor sign-in (a lost phone and lost recovery codes):
/// the member's sessions end, and they log in with their password alone (and, where the
/// organization requires it, set it up again at once). Owners are reset only by owners.
pub async fn reset_for_member(
    services: &Services,
    ctx: &Ctx,
    target: UserId,
) -> Result<(), TwoFactorError> {
    ctx.require(Action::ManageMembers)?;
    let Actor::Member { user: me, role } = ctx.actor else {
        return Err(TwoFactorError::Denied);
    };
    if me == target {
        return Err(TwoFactorError::Denied);
    }
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let m = tx
        .get_membership(ctx.tenant, target)
        .await?
        .ok_or(TwoFactorError::NotFound)?;
    if !role.may_manage(m.role) {
        return Err(TwoFactorError::Denied);
    }
    if !is_on(&mut tx, target).await? {
        return Err(TwoFactorError::NotOn);
    }
    tx.clear_two_factor(target).await?;
    audit(
        &mut tx,
        ctx.tenant,
        Some(me),
        "member.two_factor_reset",
        target,
        json!({ "role": m.role.as_str() }),
    )
    .await?;
    tx.commit().await?;
    services
        .sessions
        .delete_for_user_except(target, None)
        .await?;
    Ok(())
}

/// The owner requires two-factor sign-in of everyone in the organization (or no longer). Members
/// without it are sent to set it up on their next page.
pub async fn set_required(
    services: &Services,
    ctx: &Ctx,
    required: bool,
) -> Result<(), TwoFactorError> {
    let me = ctx.require(Action::RequireTwoFactor)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    if let Some(me) = me
        && required
        && !tx.two_factor_policy(ctx.tenant, me).await?.enabled
    {
        return Err(TwoFactorError::SetUpYoursFirst);
    }
    if !tx.set_two_factor_required(ctx.tenant, required).await? {
        return Err(TwoFactorError::NotFound);
    }
    tx.append_audit(
        ctx.tenant,
        &NewAuditEntry {
            actor: me,
            action: "organization.two_factor_required".to_owned(),
            subject: Some(format!("tenant:{}", ctx.tenant)),
            details: json!({ "required": required }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Proof that the password step passed, carried to the code step (in a short-lived cookie):
/// who, which organization, until when, and an HMAC under the server key.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingLogin(String);

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingLogin(<hidden>)")
    }
}

impl PendingLogin {
    fn mac(services: &Services, user: UserId, tenant: TenantId, until: i64) -> String {
        hex::encode(services.secret.derive(
            "login-second-factor",
            &[
                user.as_uuid().as_bytes(),
                tenant.as_uuid().as_bytes(),
                &until.to_be_bytes(),
            ],
        ))
    }

    pub(crate) fn issue(
        services: &Services,
        user: UserId,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Self {
        let until = (now + PENDING_LOGIN_LIFETIME).timestamp();
        let mac = Self::mac(services, user, tenant, until);
        PendingLogin(format!("{user}.{tenant}.{until}.{mac}"))
    }

    /// From the cookie's value (not yet checked).
    pub fn from_token(token: &str) -> Self {
        PendingLogin(token.to_owned())
    }

    /// The value for the cookie.
    pub fn token(&self) -> &str {
        &self.0
    }

    fn check(&self, services: &Services, now: DateTime<Utc>) -> Option<(UserId, TenantId)> {
        let mut parts = self.0.splitn(4, '.');
        let user: UserId = parts.next()?.parse().ok()?;
        let tenant: TenantId = parts.next()?.parse().ok()?;
        let until: i64 = parts.next()?.parse().ok()?;
        let mac = parts.next()?;
        let expected = Self::mac(services, user, tenant, until);
        let same = mac.len() == expected.len()
            && mac
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        (same && now.timestamp() <= until).then_some((user, tenant))
    }
}

/// The code step of a login: a TOTP code or a recovery code after the right password. Wrong
/// codes count toward the lockout; a locked account refuses every code until the lock ends.
pub async fn finish_login(
    services: &Services,
    pending: &PendingLogin,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Account, TwoFactorError> {
    let (user_id, tenant_id) = pending
        .check(services, now)
        .ok_or(TwoFactorError::LoginExpired)?;
    {
        let mut tx = services.db.begin(Scope::System).await?;
        let lock = tx.lock_login_state(user_id).await?.unwrap_or_default();
        tx.commit().await?;
        if let Some(until) = lock.locked_until.filter(|u| *u > now) {
            return Err(TwoFactorError::Locked { until });
        }
    }
    let mut tx = services.db.begin(Scope::Tenant(tenant_id)).await?;
    let user = tx
        .get_user(user_id)
        .await?
        .ok_or(TwoFactorError::LoginExpired)?;
    let membership = tx
        .get_membership(tenant_id, user_id)
        .await?
        .ok_or(TwoFactorError::LoginExpired)?;
    if !membership.is_active() {
        return Err(TwoFactorError::Deactivated);
    }
    let tenant = tx
        .get_tenant(tenant_id)
        .await?
        .ok_or(TwoFactorError::LoginExpired)?;
    let lock = tx.lock_login_state(user_id).await?.unwrap_or_default();
    let record = tx
        .lock_totp(user_id)
        .await?
        .filter(|r| r.enabled_at.is_some());
    let Some(record) = record else {
        // Turned off (reset by an admin) since the password step: the password was enough.
        return Err(TwoFactorError::LoginExpired);
    };
    match accept_code(services, &mut tx, user_id, &record, code, now).await? {
        Some(kind) => {
            tx.set_login_state(user_id, store::LoginLock::default())
                .await?;
            let left = tx.recovery_codes_left(user_id).await?;
            audit(
                &mut tx,
                tenant_id,
                Some(user_id),
                "login.succeeded",
                user_id,
                json!({ "second_factor": kind, "recovery_codes_left": left }),
            )
            .await?;
            tx.commit().await?;
            Ok(Account {
                user,
                tenant,
                role: membership.role,
            })
        }
        None => {
            count_failed_login(tx, tenant_id, user_id, lock, now, "login.code_failed").await?;
            Err(TwoFactorError::WrongCode)
        }
    }
}

/// The operator's way out for someone with no phone, no recovery codes and no admin to ask:
/// `momentique admin reset-two-factor --email`. Ends their sessions.
pub async fn operator_reset(
    services: &Services,
    email: &domain::Email,
) -> Result<bool, TwoFactorError> {
    let mut tx = services.db.begin(Scope::System).await?;
    let Some(user) = tx.find_user_by_email(email).await? else {
        return Ok(false);
    };
    tx.clear_two_factor(user.id).await?;
    tx.commit().await?;
    services
        .sessions
        .delete_for_user_except(user.id, None)
        .await?;
    tracing::warn!(user.id = %user.id, "two-factor sign-in reset by the operator");
    Ok(true)
}
