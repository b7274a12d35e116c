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

/// Accounts.
pub trait UserRepo {
    /// Fails with `StoreError::Conflict("email")` when the address is taken.
    fn insert_user(&mut self, user: &User) -> impl Future<Output = Result<()>> + Send;
    fn get_user(&mut self, user: UserId) -> impl Future<Output = Result<Option<User>>> + Send;
    fn find_user_by_email(
        &mut self,
        email: &Email,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
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
}
