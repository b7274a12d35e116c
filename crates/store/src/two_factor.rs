//! Two-factor sign-in: a person's TOTP secret (kept encrypted; the service layer holds the
//! key), their single-use recovery codes (kept as HMACs), and whether an organization requires
//! two-factor sign-in of its members.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{TenantId, UserId};

use crate::sql::{Arg, On, execute, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, Result, Tx};

/// A person's stored TOTP secret: encrypted (hex) with the nonce it was encrypted under.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpRecord {
    pub secret: String,
    pub nonce: String,
    /// `None` while enrolling (the secret is not yet confirmed by a code).
    pub enabled_at: Option<DateTime<Utc>>,
    /// The last time step a code was accepted for.
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("enabled_at", &self.enabled_at)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

/// What the member pages need on every request: does the organization require two-factor
/// sign-in, and has this person turned it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TwoFactorPolicy {
    pub required: bool,
    pub enabled: bool,
}

/// Two-factor state. The user methods are global (any scope); the tenant ones need the
/// tenant's scope.
pub trait TwoFactorRepo {
    /// The stored secret, locked against a concurrent login until the transaction ends (on
    /// PostgreSQL `FOR UPDATE`), so a code can be accepted only once.
    fn lock_totp(
        &mut self,
        user: UserId,
    ) -> impl Future<Output = Result<Option<TotpRecord>>> + Send;
    /// The stored secret, without locking (read transactions).
    fn get_totp(&mut self, user: UserId)
    -> impl Future<Output = Result<Option<TotpRecord>>> + Send;
    /// Stores a new, not yet confirmed secret (replacing any other).
    fn set_pending_totp(
        &mut self,
        user: UserId,
        secret: &str,
        nonce: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Confirms the pending secret; false when there is none.
    fn enable_totp(
        &mut self,
        user: UserId,
        at: DateTime<Utc>,
        step: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Records the time step a code was just accepted for.
    fn set_totp_step(&mut self, user: UserId, step: i64)
    -> impl Future<Output = Result<()>> + Send;
    /// Forgets the secret and every recovery code.
    fn clear_two_factor(&mut self, user: UserId) -> impl Future<Output = Result<()>> + Send;
    /// Replaces the recovery codes with these (HMACs).
    fn replace_recovery_codes(
        &mut self,
        user: UserId,
        hashes: &[String],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Marks an unused code used; false when there is no such unused code.
    fn use_recovery_code(
        &mut self,
        user: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// How many recovery codes are still unused.
    fn recovery_codes_left(&mut self, user: UserId) -> impl Future<Output = Result<i64>> + Send;
    /// The organization's rule and the person's state, in one query.
    fn two_factor_policy(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> impl Future<Output = Result<TwoFactorPolicy>> + Send;
    fn set_two_factor_required(
        &mut self,
        tenant: TenantId,
        required: bool,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Which of these people have two-factor sign-in turned on.
    fn users_with_two_factor(
        &mut self,
        users: &[UserId],
    ) -> impl Future<Output = Result<Vec<UserId>>> + Send;
}

impl TwoFactorRepo for Tx {
    async fn lock_totp(&mut self, user: UserId) -> Result<Option<TotpRecord>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        select_totp(self, user, lock).await
    }

    async fn get_totp(&mut self, user: UserId) -> Result<Option<TotpRecord>> {
        select_totp(self, user, "").await
    }

    async fn set_pending_totp(&mut self, user: UserId, secret: &str, nonce: &str) -> Result<()> {
        execute(
            self,
            On::Any,
            "UPDATE users SET totp_secret = ?, totp_nonce = ?, totp_enabled_at = NULL, \
             totp_last_step = NULL WHERE id = ?",
            &[
                Arg::Text(secret.to_owned()),
                Arg::Text(nonce.to_owned()),
                Arg::Uuid(user.as_uuid()),
            ],
        )
        .await?;
        Ok(())
    }

    async fn enable_totp(&mut self, user: UserId, at: DateTime<Utc>, step: i64) -> Result<bool> {
        let n = execute(
            self,
            On::Any,
            "UPDATE users SET totp_enabled_at = ?, totp_last_step = ? \
             WHERE id = ? AND totp_secret IS NOT NULL AND totp_enabled_at IS NULL",
            &[Arg::Time(at), Arg::Int(step), Arg::Uuid(user.as_uuid())],
        )
        .await?;
        Ok(n == 1)
    }

    async fn set_totp_step(&mut self, user: UserId, step: i64) -> Result<()> {
        execute(
            self,
            On::Any,
            "UPDATE users SET totp_last_step = ? WHERE id = ?",
            &[Arg::Int(step), Arg::Uuid(user.as_uuid())],
        )
        .await?;
        Ok(())
    }

    async fn clear_two_factor(&mut self, user: UserId) -> Result<()> {
        execute(
            self,
            On::Any,
            "UPDATE users SET totp_secret = NULL, totp_nonce = NULL, totp_enabled_at = NULL, \
             totp_last_step = NULL WHERE id = ?",
            &[Arg::Uuid(user.as_uuid())],
        )
        .await?;
        execute(
            self,
            On::Any,
            "DELETE FROM recovery_codes WHERE user_id = ?",
            &[Arg::Uuid(user.as_uuid())],
        )
        .await?;
        Ok(())
    }

    async fn replace_recovery_codes(
        &mut self,
        user: UserId,
        hashes: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        execute(
            self,
            On::Any,
            "DELETE FROM recovery_codes WHERE user_id = ?",
            &[Arg::Uuid(user.as_uuid())],
        )
        .await?;
        for hash in hashes {
            execute(
                self,
                On::Any,
                "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)",
                &[
                    Arg::Uuid(user.as_uuid()),
                    Arg::Text(hash.clone()),
                    Arg::Time(now),
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn use_recovery_code(
        &mut self,
        user: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            On::Any,
            "UPDATE recovery_codes SET used_at = ? \
             WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
            &[
                Arg::Time(now),
                Arg::Uuid(user.as_uuid()),
                Arg::Text(hash.to_owned()),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn recovery_codes_left(&mut self, user: UserId) -> Result<i64> {
        let (n,): (i64,) = fetch_one(
            self,
            On::Any,
            "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
            &[Arg::Uuid(user.as_uuid())],
        )
        .await?;
        Ok(n)
    }

    async fn two_factor_policy(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<TwoFactorPolicy> {
        let row: Option<(bool, bool)> = fetch_optional(
            self,
            tenant,
            "SELECT t.require_two_factor, u.totp_enabled_at IS NOT NULL \
             FROM tenants t, users u WHERE t.id = ? AND u.id = ?",
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(user.as_uuid())],
        )
        .await?;
        Ok(row
            .map(|(required, enabled)| TwoFactorPolicy { required, enabled })
            .unwrap_or_default())
    }

    async fn set_two_factor_required(&mut self, tenant: TenantId, required: bool) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE tenants SET require_two_factor = ? WHERE id = ?",
            &[Arg::Bool(required), Arg::Uuid(tenant.as_uuid())],
        )
        .await?;
        Ok(n == 1)
    }

    async fn users_with_two_factor(&mut self, users: &[UserId]) -> Result<Vec<UserId>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; users.len()].join(", ");
        let args: Vec<Arg> = users.iter().map(|u| Arg::Uuid(u.as_uuid())).collect();
        let rows: Vec<(uuid::Uuid,)> = fetch_all(
            self,
            On::Any,
            &format!("SELECT id FROM users WHERE totp_enabled_at IS NOT NULL AND id IN ({marks})"),
            &args,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id,)| UserId::from_uuid(id))
            .collect())
    }
}

/// secret, nonce, enabled_at, last_step.
type TotpRow = (
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<i64>,
);

async fn select_totp(tx: &mut Tx, user: UserId, lock: &str) -> Result<Option<TotpRecord>> {
    let row: Option<TotpRow> = fetch_optional(
        tx,
        On::Any,
        &format!(
            "SELECT totp_secret, totp_nonce, totp_enabled_at, totp_last_step FROM users \
                 WHERE id = ?{lock}"
        ),
        &[Arg::Uuid(user.as_uuid())],
    )
    .await?;
    Ok(row.and_then(|(secret, nonce, enabled_at, last_step)| {
        Some(TotpRecord {
            secret: secret?,
            nonce: nonce?,
            enabled_at,
            last_step,
        })
    }))
}
