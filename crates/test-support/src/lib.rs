//! Test harness shared by every crate's tests: a fresh database on each backend, the real
//! services' addresses, and [`db_test!`], which turns one test body into a SQLite test and a
//! PostgreSQL test.
//!
//! Services come from the environment that `scripts/test` sets up:
//! `MOMENTIQUE_TEST_POSTGRES_URL` (a superuser URL; default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and `MOMENTIQUE_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/`), and the SMTP server
//! `MOMENTIQUE_TEST_SMTP_URL` with the Maildir it delivers into, `MOMENTIQUE_TEST_SMTP_MAILDIR`
//! ([`smtp`], [`wait_for_mail`]). A service that does not answer fails the test with a message
//! saying how to get one: nothing is ever skipped.

mod mail;

pub use mail::{ReceivedMail, links_in, smtp, wait_for_mail};

use std::path::PathBuf;

use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

/// The role every PostgreSQL test connects as: a login without SUPERUSER or BYPASSRLS, like
/// production's runtime role, so every store test also runs under row-level security.
pub const PG_APP_ROLE: &str = "momentique_test_app";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// A database created for one test and dropped after it.
#[derive(Debug)]
pub struct TestDatabase {
    pub backend: TestBackend,
    /// The URL the app connects with (on PostgreSQL, as [`PG_APP_ROLE`]).
    pub url: String,
    /// The schema owner's URL, for migrations (PostgreSQL only).
    pub admin_url: Option<String>,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

/// The superuser URL of the test PostgreSQL server.
pub fn postgres_url() -> String {
    std::env::var("MOMENTIQUE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The URL of the test Redis server.
pub fn redis_url() -> String {
    std::env::var("MOMENTIQUE_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// A key prefix unique to one test, so tests can share a Redis server.
pub fn unique_prefix() -> String {
    format!("mtqtest:{}:", Uuid::new_v4().simple())
}

fn with_database(url: &str, user: Option<&str>, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    let mut out = format!("{base}/{db}");
    if let Some(user) = user {
        // Replace the user in `scheme://user[:pw]@host`.
        if let Some((scheme, rest)) = out.split_once("://") {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            out = format!("{scheme}://{user}@{host}");
        }
    }
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Panics with instructions: a missing service is a failure, never a skip.
#[track_caller]
pub fn service_missing(service: &str, url: &str, err: &dyn std::fmt::Display) -> ! {
    panic!(
        "{service} is not reachable at {url}: {err}\n\
         Run the tests with scripts/test, which finds or starts {service}, \
         or point the MOMENTIQUE_TEST_* variables at one."
    )
}

impl TestDatabase {
    /// A fresh, empty database (not yet migrated) on `backend`.
    pub async fn new(backend: TestBackend) -> Self {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir for SQLite");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                Self {
                    backend,
                    url,
                    admin_url: None,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            TestBackend::Postgres => {
                let admin = postgres_url();
                let mut conn = match PgConnection::connect(&admin).await {
                    Ok(c) => c,
                    Err(e) => service_missing("PostgreSQL", &admin, &e),
                };
                let name = format!("mtq_test_{}", Uuid::new_v4().simple());
                // Idempotent role creation; concurrent tests may race, so tolerate duplicates.
                let create_role = format!(
                    "DO $$ BEGIN CREATE ROLE {PG_APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS; \
                     EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
                );
                conn.execute(sqlx::AssertSqlSafe(create_role))
                    .await
                    .expect("create the app role");
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("create the test database");
                let _ = conn.close().await;
                Self {
                    backend,
                    url: with_database(&admin, Some(PG_APP_ROLE), &name),
                    admin_url: Some(with_database(&admin, None, &name)),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }

    /// The URL to run migrations with.
    pub fn migration_url(&self) -> &str {
        self.admin_url.as_deref().unwrap_or(&self.url)
    }

    /// The runtime role's name, to grant it the tables after migrating (PostgreSQL).
    pub fn app_role(&self) -> Option<&'static str> {
        (self.backend == TestBackend::Postgres).then_some(PG_APP_ROLE)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = postgres_url();
        // Drop from a plain thread with its own runtime: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await
                .ok()?;
                conn.close().await.ok()
            })
        })
        .join();
    }
}

/// Where tests put what a person should look at (screenshots): `target/test-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = base.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/test-artifacts");
    dir
}

/// Writes one async test body twice: `NAME::sqlite` and `NAME::postgres`, each given a fresh
/// [`TestDatabase`] of its backend.
///
/// ```text
/// db_test!(async fn creates_a_tenant(tdb) { let db = open(&tdb).await; … });
/// ```
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($tdb:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $tdb = $crate::TestDatabase::new($crate::TestBackend::Sqlite).await;
                $body
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $tdb = $crate::TestDatabase::new($crate::TestBackend::Postgres).await;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_rewritten() {
        assert_eq!(
            with_database(
                "postgres://postgres@127.0.0.1:5432/postgres",
                Some("app"),
                "t1"
            ),
            "postgres://app@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:pw@h:1/x?sslmode=disable", None, "t2"),
            "postgres://u:pw@h:1/t2?sslmode=disable"
        );
    }
}
