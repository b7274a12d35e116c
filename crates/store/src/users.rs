//! People with an account. Global (not tenant-scoped): usable in any transaction scope.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{Email, PersonName, UserId};
use uuid::Uuid;

use crate::{Conn, Result, StoreError, Tx};

/// A person with an account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: PersonName,
    /// The PHC-format password hash; `None` until an invited person sets a password.
    pub password_hash: Option<String>,
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
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str = "id, email, name, password_hash, created_at, updated_at";

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
        let sql_sqlite = "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
                          VALUES (?, ?, ?, ?, ?, ?)";
        let sql_pg = "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
                      VALUES ($1, $2, $3, $4, $5, $6)";
        match self.conn() {
            Conn::Sqlite(c) => sqlx::query(sql_sqlite)
                .bind(user.id.as_uuid())
                .bind(user.email.as_str())
                .bind(user.name.as_str())
                .bind(user.password_hash.as_deref())
                .bind(user.created_at)
                .bind(user.updated_at)
                .execute(c)
                .await
                .map(|_| ()),
            Conn::Postgres(c) => sqlx::query(sql_pg)
                .bind(user.id.as_uuid())
                .bind(user.email.as_str())
                .bind(user.name.as_str())
                .bind(user.password_hash.as_deref())
                .bind(user.created_at)
                .bind(user.updated_at)
                .execute(c)
                .await
                .map(|_| ()),
        }
        .map_err(|e| StoreError::from(e).conflict_on("email"))?;
        Ok(())
    }

    async fn get_user(&mut self, user: UserId) -> Result<Option<User>> {
        let row: Option<UserRow> = match self.conn() {
            Conn::Sqlite(c) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM users WHERE id = ?"
                )))
                .bind(user.as_uuid())
                .fetch_optional(c)
                .await?
            }
            Conn::Postgres(c) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM users WHERE id = $1"
                )))
                .bind(user.as_uuid())
                .fetch_optional(c)
                .await?
            }
        };
        row.map(User::try_from).transpose()
    }

    async fn find_user_by_email(&mut self, email: &Email) -> Result<Option<User>> {
        let row: Option<UserRow> = match self.conn() {
            Conn::Sqlite(c) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM users WHERE email = ?"
                )))
                .bind(email.as_str())
                .fetch_optional(c)
                .await?
            }
            Conn::Postgres(c) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM users WHERE email = $1"
                )))
                .bind(email.as_str())
                .fetch_optional(c)
                .await?
            }
        };
        row.map(User::try_from).transpose()
    }

    async fn set_user_name(
        &mut self,
        user: UserId,
        name: &PersonName,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = match self.conn() {
            Conn::Sqlite(c) => {
                sqlx::query("UPDATE users SET name = ?, updated_at = ? WHERE id = ?")
                    .bind(name.as_str())
                    .bind(now)
                    .bind(user.as_uuid())
                    .execute(c)
                    .await?
                    .rows_affected()
            }
            Conn::Postgres(c) => {
                sqlx::query("UPDATE users SET name = $1, updated_at = $2 WHERE id = $3")
                    .bind(name.as_str())
                    .bind(now)
                    .bind(user.as_uuid())
                    .execute(c)
                    .await?
                    .rows_affected()
            }
        };
        Ok(n == 1)
    }

    async fn set_password_hash(
        &mut self,
        user: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = match self.conn() {
            Conn::Sqlite(c) => {
                sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
                    .bind(hash)
                    .bind(now)
                    .bind(user.as_uuid())
                    .execute(c)
                    .await?
                    .rows_affected()
            }
            Conn::Postgres(c) => {
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(hash)
                    .bind(now)
                    .bind(user.as_uuid())
                    .execute(c)
                    .await?
                    .rows_affected()
            }
        };
        Ok(n == 1)
    }

    async fn lock_login_state(&mut self, user: UserId) -> Result<Option<LoginLock>> {
        let row: Option<(i32, Option<DateTime<Utc>>)> = match self.conn() {
            Conn::Sqlite(c) => {
                sqlx::query_as("SELECT failed_logins, locked_until FROM users WHERE id = ?")
                    .bind(user.as_uuid())
                    .fetch_optional(c)
                    .await?
            }
            Conn::Postgres(c) => {
                sqlx::query_as(
                    "SELECT failed_logins, locked_until FROM users WHERE id = $1 FOR UPDATE",
                )
                .bind(user.as_uuid())
                .fetch_optional(c)
                .await?
            }
        };
        Ok(row.map(|(failed_logins, locked_until)| LoginLock {
            failed_logins,
            locked_until,
        }))
    }

    async fn set_login_state(&mut self, user: UserId, lock: LoginLock) -> Result<()> {
        match self.conn() {
            Conn::Sqlite(c) => {
                sqlx::query("UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?")
                    .bind(lock.failed_logins)
                    .bind(lock.locked_until)
                    .bind(user.as_uuid())
                    .execute(c)
                    .await?;
            }
            Conn::Postgres(c) => {
                sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                    .bind(lock.failed_logins)
                    .bind(lock.locked_until)
                    .bind(user.as_uuid())
                    .execute(c)
                    .await?;
            }
        }
        Ok(())
    }
}
