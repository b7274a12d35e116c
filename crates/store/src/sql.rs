//! Writing a query once for both backends: `?` placeholders, numbered for PostgreSQL by [`pg`],
//! and one list of [`Arg`]s bound the same way on both, so the twins cannot drift apart.

use chrono::{DateTime, Utc};
use domain::{TenantId, UserId};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::{Conn, Db, Result, Tx};

/// Numbers `?` placeholders for PostgreSQL (`$1`, `$2` …). Our SQL has no `?` in literals.
pub(crate) fn pg(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// One value to bind, so a dynamic query binds the same list on both backends.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Uuid(Uuid),
    Text(String),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
    OptUuid(Option<Uuid>),
    OptText(Option<String>),
    OptInt(Option<i64>),
    Bool(bool),
    Int(i64),
    /// For `integer` (32-bit) columns on PostgreSQL.
    Int32(i32),
    Json(serde_json::Value),
}

/// Whose rows a query touches: the wall [`Tx`] checks before handing out the connection.
#[derive(Debug, Clone, Copy)]
pub(crate) enum On {
    /// Global tables (users, sessions, join links, jobs): any transaction scope.
    Any,
    /// One tenant's rows: the transaction must be open for that tenant.
    Tenant(TenantId),
    /// One person's rows across tenants: the transaction must be open for that user.
    User(UserId),
}

impl From<Option<TenantId>> for On {
    fn from(t: Option<TenantId>) -> Self {
        t.map_or(On::Any, On::Tenant)
    }
}

impl From<TenantId> for On {
    fn from(t: TenantId) -> Self {
        On::Tenant(t)
    }
}

impl From<UserId> for On {
    fn from(u: UserId) -> Self {
        On::User(u)
    }
}

fn conn(tx: &mut Tx, on: On) -> Result<Conn<'_>> {
    match on {
        On::Any => Ok(tx.conn()),
        On::Tenant(t) => tx.tenant_conn(t),
        On::User(u) => tx.user_conn(u),
    }
}

#[macro_export]
#[doc(hidden)]
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::sql::Arg::Uuid(v) => q.bind(*v),
                $crate::sql::Arg::Text(v) => q.bind(v.clone()),
                $crate::sql::Arg::Time(v) => q.bind(*v),
                $crate::sql::Arg::OptTime(v) => q.bind(*v),
                $crate::sql::Arg::OptUuid(v) => q.bind(*v),
                $crate::sql::Arg::OptText(v) => q.bind(v.clone()),
                $crate::sql::Arg::OptInt(v) => q.bind(*v),
                $crate::sql::Arg::Bool(v) => q.bind(*v),
                $crate::sql::Arg::Int(v) => q.bind(*v),
                $crate::sql::Arg::Int32(v) => q.bind(*v),
                $crate::sql::Arg::Json(v) => q.bind(sqlx::types::Json(v.clone())),
            };
        }
        q
    }};
}

pub(crate) async fn execute(
    tx: &mut Tx,
    on: impl Into<On>,
    sql: &str,
    args: &[Arg],
) -> Result<u64> {
    Ok(match conn(tx, on.into())? {
        Conn::Sqlite(c) => bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())), args)
            .execute(c)
            .await?
            .rows_affected(),
        Conn::Postgres(c) => bind_args!(sqlx::query(sqlx::AssertSqlSafe(pg(sql))), args)
            .execute(c)
            .await?
            .rows_affected(),
    })
}

/// Runs a `SELECT` and maps the rows on either backend.
pub(crate) async fn fetch_all<T>(
    tx: &mut Tx,
    on: impl Into<On>,
    sql: &str,
    args: &[Arg],
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    Ok(match conn(tx, on.into())? {
        Conn::Sqlite(c) => {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())), args)
                .fetch_all(c)
                .await?
        }
        Conn::Postgres(c) => {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(pg(sql))), args)
                .fetch_all(c)
                .await?
        }
    })
}

/// Runs a `SELECT` of at most one row and maps it on either backend.
pub(crate) async fn fetch_optional<T>(
    tx: &mut Tx,
    on: impl Into<On>,
    sql: &str,
    args: &[Arg],
) -> Result<Option<T>>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    Ok(match conn(tx, on.into())? {
        Conn::Sqlite(c) => {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())), args)
                .fetch_optional(c)
                .await?
        }
        Conn::Postgres(c) => {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(pg(sql))), args)
                .fetch_optional(c)
                .await?
        }
    })
}

/// Runs a `SELECT` of exactly one row (an aggregate) and maps it on either backend.
pub(crate) async fn fetch_one<T>(
    tx: &mut Tx,
    on: impl Into<On>,
    sql: &str,
    args: &[Arg],
) -> Result<T>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    Ok(match conn(tx, on.into())? {
        Conn::Sqlite(c) => {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())), args)
                .fetch_one(c)
                .await?
        }
        Conn::Postgres(c) => {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(pg(sql))), args)
                .fetch_one(c)
                .await?
        }
    })
}

/// Runs one statement on the pool, outside any transaction (the job queue's worker side).
pub(crate) async fn pool_execute(db: &Db, sql: &str, args: &[Arg]) -> Result<u64> {
    Ok(match db {
        Db::Sqlite { pool, .. } => {
            bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())), args)
                .execute(pool)
                .await?
                .rows_affected()
        }
        Db::Postgres(pool) => bind_args!(sqlx::query(sqlx::AssertSqlSafe(pg(sql))), args)
            .execute(pool)
            .await?
            .rows_affected(),
    })
}

/// Runs a `SELECT` on the pool, outside any transaction (on SQLite on the read-only pool).
pub(crate) async fn pool_fetch_all<T>(db: &Db, sql: &str, args: &[Arg]) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    Ok(match db {
        Db::Sqlite { read, .. } => {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())), args)
                .fetch_all(read)
                .await?
        }
        Db::Postgres(pool) => {
            bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(pg(sql))), args)
                .fetch_all(pool)
                .await?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            pg("SELECT a FROM t WHERE x = ? AND (y > ? OR z = ?)"),
            "SELECT a FROM t WHERE x = $1 AND (y > $2 OR z = $3)"
        );
    }
}
