//! People with an account. Global (not tenant-scoped): usable in any transaction scope.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{Email, PersonName, UserId};
use uuid::Uuid;

use crate::sql::{Arg, On, execute, fetch_optional};
use crate::{Backend, Result, StoreError, Tx};

/// A person with an account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: PersonName,
    /// The PHC-format password hash; `None` until an invited person sets a password.
    pub password_hash: Option<String>,
    /// When they proved they read mail at `email` (a link sent there); `None` until then.
    pub email_verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    password_hash: Option<String>,
    email_verified_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self> {
        let corrupt = |column, e: domain::ParseError| StoreError::Corrupt {
            column,
            reason: e.to_string(),
        };
        Ok(User {
            id: UserId::from_uuid(r.id),
            email: Email::parse(&r.email).map_err(|e| corrupt("users.email", e))?,
            name: PersonName::parse(&r.name).map_err(|e| corrupt("users.name", e))?,
            password_hash: r.password_hash,
            email_verified_at: r.email_verified_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str = "id, email, name, password_hash, email_verified_at, created_at, updated_at";

/// The failed-login counter of an account and until when it refuses logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginLock {
    /// Failed logins in a row since the last successful one.
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// Accounts.
pub trait UserRepo {
    /// Fails with `StoreError::Conflict("email")` when the address is taken.
    fn insert_user(&mut self, user: &User) -> impl Future<Output = Result<()>> + Send;
    fn get_user(&mut self, user: UserId) -> impl Future<Output = Result<Option<User>>> + Send;
    fn find_user_by_email(
        &mut self,
        email: &Email,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Renames; false when there is no such user.
    fn set_user_name(
        &mut self,
        user: UserId,
        name: &PersonName,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Replaces the password hash; false when there is no such user.
    fn set_password_hash(
        &mut self,
        user: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Changes the address; it is unverified until a link sent to it is followed. Fails with
    /// `StoreError::Conflict("email")` when the address is taken.
    fn set_user_email(
        &mut self,
        user: UserId,
        email: &Email,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Marks the address verified (if not already); false when there is no such user.
    fn set_email_verified(
        &mut self,
        user: UserId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The lockout state, locked against concurrent logins until the transaction ends (on
    /// PostgreSQL `FOR UPDATE`; SQLite transactions already write-lock).
    fn lock_login_state(
        &mut self,
        user: UserId,
    ) -> impl Future<Output = Result<Option<LoginLock>>> + Send;
    fn set_login_state(
        &mut self,
        user: UserId,
        lock: LoginLock,
    ) -> impl Future<Output = Result<()>> + Send;
}

impl UserRepo for Tx {
    async fn insert_user(&mut self, user: &User) -> Result<()> {
        execute(
            self,
            On::Any,
            "INSERT INTO users (id, email, name, password_hash, email_verified_at, created_at, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                Arg::Uuid(user.id.as_uuid()),
                Arg::Text(user.email.as_str().to_owned()),
                Arg::Text(user.name.as_str().to_owned()),
                Arg::OptText(user.password_hash.clone()),
                Arg::OptTime(user.email_verified_at),
                Arg::Time(user.created_at),
                Arg::Time(user.updated_at),
            ],
        )
        .await
        .map_err(|e| e.conflict_on("email"))?;
        Ok(())
    }

    async fn get_user(&mut self, user: UserId) -> Result<Option<User>> {
        let row: Option<UserRow> = fetch_optional(
            self,
            On::Any,
            &format!("SELECT {COLUMNS} FROM users WHERE id = ?"),
            &[Arg::Uuid(user.as_uuid())],
        )
        .await?;
        row.map(User::try_from).transpose()
    }

    async fn find_user_by_email(&mut self, email: &Email) -> Result<Option<User>> {
        let row: Option<UserRow> = fetch_optional(
            self,
            On::Any,
            &format!("SELECT {COLUMNS} FROM users WHERE email = ?"),
            &[Arg::Text(email.as_str().to_owned())],
        )
        .await?;
        row.map(User::try_from).transpose()
    }

    async fn set_user_name(
        &mut self,
        user: UserId,
        name: &PersonName,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            On::Any,
            "UPDATE users SET name = ?, updated_at = ? WHERE id = ?",
            &[
                Arg::Text(name.as_str().to_owned()),
                Arg::Time(now),
                Arg::Uuid(user.as_uuid()),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn set_password_hash(
        &mut self,
        user: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            On::Any,
            "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
            &[
                Arg::Text(hash.to_owned()),
                Arg::Time(now),
                Arg::Uuid(user.as_uuid()),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn set_user_email(
        &mut self,
        user: UserId,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            On::Any,
            "UPDATE users SET email = ?, email_verified_at = NULL, updated_at = ? WHERE id = ?",
            &[
                Arg::Text(email.as_str().to_owned()),
                Arg::Time(now),
                Arg::Uuid(user.as_uuid()),
            ],
        )
        .await
        .map_err(|e| e.conflict_on("email"))?;
        Ok(n == 1)
    }

    async fn set_email_verified(&mut self, user: UserId, at: DateTime<Utc>) -> Result<bool> {
        let n = execute(
            self,
            On::Any,
            "UPDATE users SET email_verified_at = coalesce(email_verified_at, ?), updated_at = ? \
             WHERE id = ?",
            &[Arg::Time(at), Arg::Time(at), Arg::Uuid(user.as_uuid())],
        )
        .await?;
        Ok(n == 1)
    }

    async fn lock_login_state(&mut self, user: UserId) -> Result<Option<LoginLock>> {
        // The backends differ here: PostgreSQL locks the row with `FOR UPDATE`; SQLite has no
        // row locks (and needs none: its write transactions already hold the database lock).
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let row: Option<(i32, Option<DateTime<Utc>>)> = fetch_optional(
            self,
            On::Any,
            &format!("SELECT failed_logins, locked_until FROM users WHERE id = ?{lock}"),
            &[Arg::Uuid(user.as_uuid())],
        )
        .await?;
        Ok(row.map(|(failed_logins, locked_until)| LoginLock {
            failed_logins,
            locked_until,
        }))
    }

    async fn set_login_state(&mut self, user: UserId, lock: LoginLock) -> Result<()> {
        execute(
            self,
            On::Any,
            "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
            &[
                Arg::Int32(lock.failed_logins),
                Arg::OptTime(lock.locked_until),
                Arg::Uuid(user.as_uuid()),
            ],
        )
        .await?;
        Ok(())
    }
}
