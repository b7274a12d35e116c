//! Writing a query once for both backends: `?` placeholders, numbered for PostgreSQL by [`pg`],
//! and one list of [`Arg`]s bound the same way on both, so the twins cannot drift apart.

use chrono::{DateTime, Utc};
use domain::TenantId;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::{Conn, Result, Tx};

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
            };
        }
        q
    }};
}

pub(crate) async fn execute(
    tx: &mut Tx,
    tenant: Option<TenantId>,
    sql: &str,
    args: &[Arg],
) -> Result<u64> {
    let conn = match tenant {
        Some(t) => tx.tenant_conn(t)?,
        None => tx.conn(),
    };
    Ok(match conn {
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
    tenant: Option<TenantId>,
    sql: &str,
    args: &[Arg],
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    let conn = match tenant {
        Some(t) => tx.tenant_conn(t)?,
        None => tx.conn(),
    };
    Ok(match conn {
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
