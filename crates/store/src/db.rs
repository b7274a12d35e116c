//! The database handle for either backend, and transactions scoped for tenancy.

use std::str::FromStr;
use std::time::Duration;

use domain::{TenantId, UserId};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool};

use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL's scheme; anything unknown is refused.
    pub fn from_url(url: &str) -> Result<Self> {
        let scheme = url.split_once(':').map_or(url, |(s, _)| s);
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            other => Err(StoreError::UnsupportedScheme(other.to_owned())),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    /// How long to wait for a connection from the pool (and, on SQLite, for the write lock).
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A connection pool to SQLite or PostgreSQL. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Db {
    /// `pool` writes (one connection, every transaction `BEGIN IMMEDIATE`); `read` holds
    /// connections that refuse writes (`PRAGMA query_only`) and read in deferred transactions,
    /// beside the writer (WAL).
    Sqlite {
        pool: SqlitePool,
        read: SqlitePool,
    },
    Postgres(PgPool),
}

/// Whom a transaction acts for. On PostgreSQL this becomes the session settings that the
/// row-level-security policies read; on both backends tenant-scoped methods check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Global tables only (users, the job queue). Tenant tables show no rows.
    System,
    /// One organization's data.
    Tenant(TenantId),
    /// One person across their organizations: their own memberships and those tenants' names.
    User(UserId),
}

impl Db {
    /// Opens a pool for `url`. SQLite files and their folders are created when missing.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Self> {
        match Backend::from_url(url)? {
            Backend::Sqlite => {
                let connect = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL, not NORMAL: a commit survives a power cut, so an upload we
                    // acknowledged is never lost. The cost is one fsync per commit.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(options.acquire_timeout);
                if let Some(parent) = connect.get_filename().parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(|e| StoreError::Sqlx(e.into()))?;
                }
                // The readers' options: the same file (or the same shared in-memory database,
                // whose name the URL parse fixed) with writes refused by SQLite itself.
                let read_connect = connect.clone().pragma("query_only", "ON");
                // One writer connection: SQLite lets one transaction write at a time anyway, and
                // writers that wait for the pool queue in order (first come, first served),
                // where writers on connections of their own would sleep and retry on the lock
                // and, in a burst, some would wait past the timeout.
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await?;
                // Opened after the writer, which created the file and switched it to WAL.
                let read = SqlitePoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(read_connect)
                    .await?;
                Ok(Db::Sqlite { pool, read })
            }
            Backend::Postgres => {
                let connect = PgConnectOptions::from_str(url)?.application_name("momentique");
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    /// Connects and brings the schema up to date: with `admin_url` (PostgreSQL), migrates as
    /// the owner and grants the runtime role named in `url`; otherwise migrates on `url`.
    pub async fn open(url: &str, admin_url: Option<&str>, options: &DbOptions) -> Result<Self> {
        if let Some(admin_url) = admin_url {
            let owner = Db::connect(admin_url, options).await?;
            owner.migrate().await?;
            if let Some(role) = url_user(url) {
                owner.grant_runtime_role(&role).await?;
            }
            owner.close().await;
            return Db::connect(url, options).await;
        }
        let db = Db::connect(url, options).await?;
        db.migrate().await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations. On PostgreSQL call this on a pool connected as the schema
    /// owner (`MOMENTIQUE_DATABASE_ADMIN_URL`), then [`Db::grant_runtime_role`].
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite { pool, .. } => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Lets the runtime role (a separate login without BYPASSRLS) use the tables the owner
    /// created. Run on the owner's pool after [`Db::migrate`]. No-op on SQLite.
    pub async fn grant_runtime_role(&self, role: &str) -> Result<()> {
        let Db::Postgres(pool) = self else {
            return Ok(());
        };
        let role = quote_ident(role);
        for stmt in [
            format!("GRANT USAGE ON SCHEMA public TO {role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
            ),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(stmt)).execute(pool).await?;
        }
        Ok(())
    }

    /// True when the connected role skips row-level security (a superuser or BYPASSRLS role):
    /// then RLS protects nothing and the operator must be warned.
    pub async fn bypasses_rls(&self) -> Result<bool> {
        let Db::Postgres(pool) = self else {
            return Ok(false);
        };
        let bypass: bool = sqlx::query_scalar(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_one(pool)
        .await?;
        Ok(bypass)
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        match self {
            Db::Sqlite { pool, .. } => sqlx::query("SELECT 1").execute(pool).await.map(|_| ())?,
            Db::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(|_| ())?,
        };
        Ok(())
    }

    /// Begins a transaction acting for `scope`, to write. On SQLite it takes the write lock up
    /// front (`BEGIN IMMEDIATE`) so two writers queue on `busy_timeout` instead of failing with
    /// "database is locked" when a read upgrades to a write. Work that only reads belongs in
    /// [`Db::begin_read`].
    pub async fn begin(&self, scope: Scope) -> Result<Tx> {
        let inner = match self {
            Db::Sqlite { pool, .. } => TxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => TxInner::Postgres(pg_begin(pool, scoped("BEGIN", scope)).await?),
        };
        Ok(Tx {
            inner,
            scope,
            read_only: false,
        })
    }

    /// Begins a transaction acting for `scope` that only reads, and never waits for the writer:
    /// on SQLite a deferred transaction on the read-only pool (WAL readers run beside the one
    /// writer and see what was committed when they start); on PostgreSQL `READ ONLY`, with the
    /// same tenant settings as [`Db::begin`]. The database refuses any write made in it.
    pub async fn begin_read(&self, scope: Scope) -> Result<Tx> {
        let inner = match self {
            Db::Sqlite { read, .. } => TxInner::Sqlite(read.begin_with("BEGIN").await?),
            Db::Postgres(pool) => {
                TxInner::Postgres(pg_begin(pool, scoped("BEGIN READ ONLY", scope)).await?)
            }
        };
        Ok(Tx {
            inner,
            scope,
            read_only: true,
        })
    }

    /// Closes every connection (at shutdown, and before a test drops its database).
    pub async fn close(&self) {
        match self {
            Db::Sqlite { pool, read } => {
                read.close().await;
                pool.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Begins a PostgreSQL transaction in a task of its own, so that a caller dropped mid-`BEGIN`
/// (a client that hangs up, a timeout) cannot return a connection to the pool inside a
/// transaction nobody owns. sqlx 0.9 counts a transaction only once the server has answered
/// its `BEGIN`; cancelled before that, the server is left in a transaction (often `READ ONLY`)
/// that the next borrower of the connection would silently run in. Here the task always
/// finishes: if nobody is waiting for it any more, the finished `Transaction` is dropped in the
/// task, which queues its `ROLLBACK`, and the pool flushes that before lending the connection
/// again.
async fn pg_begin(
    pool: &PgPool,
    statement: sqlx::AssertSqlSafe<String>,
) -> Result<sqlx::Transaction<'static, Postgres>> {
    let pool = pool.clone();
    match tokio::spawn(async move { pool.begin_with(statement).await }).await {
        Ok(tx) => Ok(tx?),
        Err(join) => Err(StoreError::Sqlx(sqlx::Error::Protocol(format!(
            "the task beginning a transaction ended: {join}"
        )))),
    }
}

/// `begin` followed by setting the session values the row-level-security policies read for
/// `scope`, sent as one simple query: one round trip to the server instead of two. The value
/// is an id we format ourselves (a UUID: hex digits and hyphens), never text from outside.
/// Transaction-local (third argument true): the setting dies with the transaction, so a pooled
/// connection never carries a tenant over.
fn scoped(begin: &'static str, scope: Scope) -> sqlx::AssertSqlSafe<String> {
    let setting = match scope {
        Scope::System => None,
        Scope::Tenant(t) => Some(("app.tenant_id", t.as_uuid())),
        Scope::User(u) => Some(("app.user_id", u.as_uuid())),
    };
    sqlx::AssertSqlSafe(match setting {
        None => begin.to_owned(),
        Some((key, id)) => format!(
            "{begin}; SELECT set_config('{key}', '{}', true)",
            id.hyphenated()
        ),
    })
}

/// The user name in `postgres://user[:pw]@host/db`: the runtime role to grant.
pub fn url_user(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (userinfo, _) = rest
        .split_once('/')
        .map_or(rest, |(a, _)| a)
        .rsplit_once('@')?;
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    (!user.is_empty()).then(|| user.to_owned())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An open transaction. Dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub struct Tx {
    inner: TxInner,
    scope: Scope,
    read_only: bool,
}

#[derive(Debug)]
enum TxInner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// The connection under a [`Tx`], for a repository to run its backend's query on.
#[derive(Debug)]
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl Tx {
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// True for a transaction from [`Db::begin_read`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// The connection, for a query that is not tenant-scoped.
    pub fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => Conn::Sqlite(&mut *tx),
            TxInner::Postgres(tx) => Conn::Postgres(&mut *tx),
        }
    }

    /// The connection for a query on `tenant`'s data, after checking this transaction was opened
    /// for that tenant. The in-code wall on SQLite; on PostgreSQL RLS stands behind it.
    pub fn tenant_conn(&mut self, tenant: TenantId) -> Result<Conn<'_>> {
        if self.scope != Scope::Tenant(tenant) {
            return Err(StoreError::ScopeMismatch);
        }
        Ok(self.conn())
    }

    /// The connection for a query on `user`'s own rows across tenants.
    pub fn user_conn(&mut self, user: UserId) -> Result<Conn<'_>> {
        if self.scope != Scope::User(user) {
            return Err(StoreError::ScopeMismatch);
        }
        Ok(self.conn())
    }

    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.rollback().await?,
            TxInner::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_comes_from_the_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://./data/x.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        let err = Backend::from_url("mysql://u@h/db")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unsupported database URL scheme \"mysql\" (use sqlite:// or postgres://)")
        );
    }

    #[test]
    fn runtime_role_comes_from_the_url() {
        assert_eq!(url_user("postgres://app:pw@db/m").as_deref(), Some("app"));
        assert_eq!(url_user("postgres://app@db/m").as_deref(), Some("app"));
        assert_eq!(url_user("postgres://db/m"), None);
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("app"), "\"app\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
