//! Store tests. Every test runs on SQLite and on PostgreSQL (as a role under RLS).

use std::time::Duration;

use domain::{Email, OrgName, PersonName, Role, TenantId, UserId};
use serde_json::json;
use store::{
    AuditRepo, Db, DbOptions, JobQueue, JobRepo, Membership, MembershipRepo, NewAuditEntry, NewJob,
    Scope, StoreError, Tenant, TenantRepo, User, UserRepo,
};
use test_support::{TestBackend, TestDatabase, db_test};

async fn open(tdb: &TestDatabase) -> Db {
    Db::open(&tdb.url, tdb.admin_url.as_deref(), &DbOptions::default())
        .await
        .expect("open the test database")
}

fn tenant(name: &str) -> Tenant {
    Tenant {
        id: TenantId::new(),
        name: OrgName::parse(name).expect("test setup step"),
        created_at: domain::time::now(),
    }
}

fn user(email: &str) -> User {
    let now = domain::time::now();
    User {
        id: UserId::new(),
        email: Email::parse(email).expect("test setup step"),
        name: PersonName::parse("Ana").expect("test setup step"),
        password_hash: Some("$argon2id$stub-not-used-for-login".into()),
        email_verified_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// Creates an organization with its owner, the way sign-up will: one tenant transaction.
async fn seed_org(db: &Db, org: &str, email: &str) -> (Tenant, User) {
    let t = tenant(org);
    let u = user(email);
    let mut tx = db
        .begin(Scope::Tenant(t.id))
        .await
        .expect("test setup step");
    tx.insert_tenant(&t).await.expect("test setup step");
    tx.insert_user(&u).await.expect("test setup step");
    let m = Membership::new(t.id, u.id, Role::Owner, domain::time::now());
    tx.insert_membership(t.id, &m)
        .await
        .expect("test setup step");
    tx.append_audit(
        t.id,
        &NewAuditEntry {
            actor: Some(u.id),
            action: "org.created".into(),
            subject: Some(format!("tenant:{}", t.id)),
            details: json!({"via": "test"}),
        },
    )
    .await
    .expect("test setup step");
    tx.commit().await.expect("test setup step");
    (t, u)
}

db_test!(
    async fn tenants_users_memberships_round_trip(tdb) {
        let db = open(&tdb).await;
        let (t, u) = seed_org(&db, "Acme Weddings", "ana@example.com").await;

        let mut tx = db.begin(Scope::Tenant(t.id)).await.unwrap();
        assert_eq!(tx.get_tenant(t.id).await.unwrap(), Some(t.clone()));
        let members = tx.list_members(t.id).await.unwrap();
        assert_eq!(members.len(), 1);
        assert_eq!((members[0].user_id, members[0].role), (u.id, Role::Owner));
        let audit = tx.list_audit(t.id, 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "org.created");
        assert_eq!(audit[0].details, json!({"via": "test"}));
        assert!(tx.rename_tenant(t.id, &OrgName::parse("Acme Events").unwrap()).await.unwrap());
        assert_eq!(tx.find_user_by_email(&u.email).await.unwrap().map(|x| x.id), Some(u.id));
        tx.commit().await.unwrap();

        // A person sees their own memberships across organizations in a user scope.
        let mut tx = db.begin(Scope::User(u.id)).await.unwrap();
        let mine = tx.memberships_of_user(u.id).await.unwrap();
        assert_eq!(mine.iter().map(|m| m.tenant_id).collect::<Vec<_>>(), vec![t.id]);
        tx.commit().await.unwrap();
    }
);

db_test!(
    async fn duplicate_email_is_a_conflict_not_a_crash(tdb) {
        let db = open(&tdb).await;
        seed_org(&db, "One", "same@example.com").await;
        let mut tx = db.begin(Scope::System).await.unwrap();
        let err = tx.insert_user(&user("SAME@example.com")).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict("email")), "{err:?}");
    }
);

db_test!(
    async fn tenant_methods_refuse_a_transaction_of_another_scope(tdb) {
        let db = open(&tdb).await;
        let (a, u) = seed_org(&db, "A", "a@example.com").await;
        let (b, _) = seed_org(&db, "B", "b@example.com").await;

        // Scoped to B, asking for A's data: refused in code on both backends.
        let mut tx = db.begin(Scope::Tenant(b.id)).await.unwrap();
        assert!(matches!(tx.list_members(a.id).await, Err(StoreError::ScopeMismatch)));
        assert!(matches!(tx.get_tenant(a.id).await, Err(StoreError::ScopeMismatch)));
        assert!(matches!(tx.get_membership(a.id, u.id).await, Err(StoreError::ScopeMismatch)));
        // B's own view holds only B's member.
        assert!(tx.get_membership(b.id, u.id).await.unwrap().is_none());
        drop(tx);

        let mut tx = db.begin(Scope::System).await.unwrap();
        assert!(matches!(tx.list_audit(a.id, 5).await, Err(StoreError::ScopeMismatch)));
        assert!(matches!(tx.memberships_of_user(u.id).await, Err(StoreError::ScopeMismatch)));
    }
);

db_test!(
    async fn a_job_enqueued_in_a_rolled_back_transaction_never_exists(tdb) {
        let db = open(&tdb).await;
        let (t, _) = seed_org(&db, "A", "a@example.com").await;
        let job = NewJob {
            kind: "test.noop".into(),
            payload: json!({"n": 1}),
            tenant: Some(t.id),
            dedupe_key: None,
            max_attempts: 3,
            run_at: domain::time::now(),
        };
        let mut tx = db.begin(Scope::Tenant(t.id)).await.unwrap();
        tx.rename_tenant(t.id, &OrgName::parse("Renamed").unwrap()).await.unwrap();
        tx.enqueue_job(&job).await.unwrap();
        tx.rollback().await.unwrap();
        let now = domain::time::now();
        assert_eq!(db.queue_stats(now).await.unwrap().queued, 0);

        let mut tx = db.begin(Scope::Tenant(t.id)).await.unwrap();
        tx.enqueue_job(&job).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.queue_stats(now).await.unwrap().queued, 1);
    }
);

db_test!(
    async fn enqueue_with_a_dedupe_key_is_idempotent(tdb) {
        let db = open(&tdb).await;
        let job = NewJob {
            kind: "test.once".into(),
            payload: json!({}),
            tenant: None,
            dedupe_key: Some("photo-1".into()),
            max_attempts: 3,
            run_at: domain::time::now(),
        };
        let mut tx = db.begin(Scope::System).await.unwrap();
        let first = tx.enqueue_job(&job).await.unwrap();
        let second = tx.enqueue_job(&job).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(first, second);
        assert_eq!(db.queue_stats(domain::time::now()).await.unwrap().queued, 1);
    }
);

db_test!(
    async fn an_exhausted_job_whose_worker_died_is_buried(tdb) {
        let db = open(&tdb).await;
        let now = domain::time::now();
        let mut tx = db.begin(Scope::System).await.unwrap();
        tx.enqueue_job(&NewJob {
            kind: "test.fragile".into(),
            payload: json!({}),
            tenant: None,
            dedupe_key: None,
            max_attempts: 1,
            run_at: now,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let lease = Duration::from_secs(30);
        let claimed = db.claim_job("w1", &["test.fragile"], lease, now).await.unwrap();
        assert!(claimed.is_some());
        // The worker vanishes; after the lease the job is not handed out again but buried.
        let later = now + chrono::Duration::seconds(31);
        assert!(db.claim_job("w2", &["test.fragile"], lease, later).await.unwrap().is_none());
        let stats = db.queue_stats(later).await.unwrap();
        assert_eq!((stats.dead, stats.running), (1, 0));
        let dead = db.list_jobs(store::JobState::Dead, 10).await.unwrap();
        assert!(dead[0].last_error.as_deref().unwrap_or("").contains("stopped responding"));
        // An operator can give it another go.
        assert!(db.retry_dead_job(dead[0].id, later).await.unwrap());
        assert!(db.claim_job("w2", &["test.fragile"], lease, later).await.unwrap().is_some());
    }
);

db_test!(
    async fn a_released_job_gives_its_attempt_back_and_only_due_jobs_are_ready(tdb) {
        let db = open(&tdb).await;
        let now = domain::time::now();
        let later = now + chrono::Duration::hours(1);
        let mut tx = db.begin(Scope::System).await.unwrap();
        for run_at in [now, later] {
            tx.enqueue_job(&NewJob {
                kind: "test.release".into(),
                payload: json!({"due": run_at == now}),
                tenant: None,
                dedupe_key: None,
                max_attempts: 2,
                run_at,
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let stats = db.queue_stats(now).await.unwrap();
        assert_eq!((stats.queued, stats.ready), (2, 1));

        let lease = Duration::from_secs(30);
        let job = db.claim_job("w1", &["test.release"], lease, now).await.unwrap().unwrap();
        assert_eq!((job.attempt, job.payload["due"].clone()), (1, json!(true)));
        let until = now + chrono::Duration::seconds(60);
        assert!(db.heartbeat_job(job.id, job.lease_token, until).await.unwrap());
        assert!(!db.heartbeat_job(job.id, uuid::Uuid::new_v4(), until).await.unwrap());
        // Shutting down: the job goes back without using up the attempt.
        assert!(db.release_job(job.id, job.lease_token, now).await.unwrap());
        assert!(!db.release_job(job.id, job.lease_token, now).await.unwrap());
        let again = db.claim_job("w2", &["test.release"], lease, now).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempt), (job.id, 1));
        assert!(db.complete_job(again.id, again.lease_token, now).await.unwrap());
        let stats = db.queue_stats(now).await.unwrap();
        assert_eq!((stats.done, stats.queued, stats.ready, stats.running), (1, 1, 0, 0));
        assert_eq!(db.purge_done_jobs(now + chrono::Duration::seconds(1)).await.unwrap(), 1);
        assert_eq!(db.queue_stats(now).await.unwrap().done, 0);
    }
);

/// The SQLite and PostgreSQL migrations describe the same tables and columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_match() {
    let sqlite = TestDatabase::new(TestBackend::Sqlite).await;
    let pg = TestDatabase::new(TestBackend::Postgres).await;
    let sqlite_cols = store::schema::columns(&open(&sqlite).await).await.unwrap();
    let pg_cols = store::schema::columns(&open(&pg).await).await.unwrap();
    assert!(
        sqlite_cols.len() >= 30,
        "introspection found the tables: {sqlite_cols:?}"
    );
    assert!(
        !sqlite_cols.iter().any(|c| c.family == "other"),
        "{sqlite_cols:?}"
    );
    let only_sqlite: Vec<_> = sqlite_cols
        .iter()
        .filter(|c| !pg_cols.contains(c))
        .collect();
    let only_pg: Vec<_> = pg_cols
        .iter()
        .filter(|c| !sqlite_cols.contains(c))
        .collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "schemas differ.\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
}

/// Row-level security, proven with raw SQL and no WHERE clause, as the runtime role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rls_shows_each_tenant_only_its_rows_and_nothing_without_a_tenant() {
    let tdb = TestDatabase::new(TestBackend::Postgres).await;
    let db = open(&tdb).await;
    assert!(
        !db.bypasses_rls().await.unwrap(),
        "tests must run as a role bound by RLS"
    );
    assert_eq!(
        store::schema::rls_tables(&db).await.unwrap(),
        vec![
            "audit_log",
            "draw_entries",
            "draw_exclusions",
            "draw_manual_entries",
            "draw_outcomes",
            "draw_picks",
            "draw_tiers",
            "draws",
            "event_hour_counts",
            "event_photo_counts",
            "event_totals",
            "event_uploader_counts",
            "events",
            "feed",
            "guests",
            "invitations",
            "live_state",
            "memberships",
            "notification_settings",
            "org_settings",
            "photo_views",
            "photos",
            "reactions",
            "reports",
            "tenants",
            "walls"
        ],
        "every tenant-scoped table has RLS enabled and forced"
    );
    let (a, _) = seed_org(&db, "A", "a@example.com").await;
    let (b, _) = seed_org(&db, "B", "b@example.com").await;
    let Db::Postgres(pool) = &db else {
        unreachable!()
    };

    async fn count_all(pool: &sqlx::PgPool, tenant: Option<TenantId>) -> Vec<(String, i64)> {
        let mut tx = pool.begin().await.unwrap();
        if let Some(t) = tenant {
            sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
                .bind(t.to_string())
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        let mut out = Vec::new();
        for table in ["tenants", "memberships", "audit_log"] {
            let sql = format!("SELECT count(*) FROM {table}");
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            out.push((table.to_owned(), n));
        }
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT tenant_id FROM memberships")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        if let Some(t) = tenant {
            assert!(
                ids.iter().all(|id| *id == t.as_uuid()),
                "only the current tenant's rows"
            );
        }
        tx.commit().await.unwrap();
        out
    }

    let ones = vec![
        ("tenants".into(), 1),
        ("memberships".into(), 1),
        ("audit_log".into(), 1),
    ];
    assert_eq!(count_all(pool, Some(a.id)).await, ones);
    assert_eq!(count_all(pool, Some(b.id)).await, ones);
    let zeros = vec![
        ("tenants".into(), 0),
        ("memberships".into(), 0),
        ("audit_log".into(), 0),
    ];
    // No tenant set: nothing. Run it twice so a pooled connection that had a tenant set in an
    // earlier transaction (where the setting reads back as '') is covered too.
    assert_eq!(count_all(pool, None).await, zeros);
    assert_eq!(count_all(pool, None).await, zeros);

    // Writing another tenant's row is refused by the policy's check.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(a.id.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = sqlx::query("UPDATE tenants SET name = 'hijacked' WHERE id = $1")
        .bind(b.id.as_uuid())
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(err.rows_affected(), 0, "B's row is invisible to A");
    let insert = sqlx::query(
        "INSERT INTO audit_log (tenant_id, id, action, created_at) VALUES ($1, $2, 'x', now())",
    )
    .bind(b.id.as_uuid())
    .bind(uuid::Uuid::now_v7())
    .execute(&mut *tx)
    .await;
    assert!(
        insert.is_err(),
        "inserting into another tenant violates the policy"
    );
}

/// SQLite settings that keep data safe: WAL, enforced foreign keys, a busy timeout rather than
/// instant "database is locked", and a full sync on commit (an acknowledged upload survives a
/// power cut).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_connections_use_wal_foreign_keys_full_sync_and_a_busy_timeout() {
    let tdb = TestDatabase::new(TestBackend::Sqlite).await;
    let db = open(&tdb).await;
    let Db::Sqlite { pool, .. } = &db else {
        unreachable!()
    };
    let mut conn = pool.acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(busy >= 1000, "busy_timeout {busy} ms");
    drop(conn);

    // The readers' pool: the same settings, and writes refused by SQLite itself.
    let Db::Sqlite { read, .. } = &db else {
        unreachable!()
    };
    let mut conn = read.acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let query_only: i64 = sqlx::query_scalar("PRAGMA query_only")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(query_only, 1);
}

/// A database with a short lock wait, so a reader stuck behind the writer would fail fast
/// with "database is locked" instead of passing after a long wait.
async fn open_impatient(tdb: &TestDatabase) -> Db {
    let options = DbOptions {
        max_connections: 8,
        acquire_timeout: Duration::from_secs(2),
    };
    Db::open(&tdb.url, tdb.admin_url.as_deref(), &options)
        .await
        .expect("open the test database")
}

db_test!(
    async fn readers_run_beside_an_open_write_transaction(tdb) {
        let db = open_impatient(&tdb).await;
        let (t, u) = seed_org(&db, "Acme Weddings", "ana@example.com").await;

        // A writer holds the write lock (SQLite) and an uncommitted row (both) throughout.
        let mut writer = db.begin(Scope::Tenant(t.id)).await.unwrap();
        assert!(!writer.is_read_only());
        writer
            .append_audit(
                t.id,
                &NewAuditEntry {
                    actor: Some(u.id),
                    action: "uncommitted".into(),
                    subject: None,
                    details: json!({}),
                },
            )
            .await
            .unwrap();

        let started = std::time::Instant::now();
        let readers: Vec<_> = (0..32).map(|_| {
            let db = db.clone();
            let tenant = t.id;
            tokio::spawn(async move {
                let mut tx = db.begin_read(Scope::Tenant(tenant)).await?;
                assert!(tx.is_read_only());
                let name = tx.get_tenant(tenant).await?.map(|t| t.name);
                let actions: Vec<String> = tx
                    .list_audit(tenant, 50)
                    .await?
                    .into_iter()
                    .map(|e| e.action)
                    .collect();
                tx.commit().await?;
                Ok::<_, StoreError>((name, actions))
            })
        }).collect();
        for r in readers {
            let (name, actions) = r.await.expect("reader task").expect("reader never waits for the writer");
            assert_eq!(name.as_ref().map(|n| n.as_str()), Some("Acme Weddings"));
            assert_eq!(actions, ["org.created"], "committed rows only");
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "32 readers took {:?} beside the writer",
            started.elapsed()
        );

        writer.commit().await.unwrap();
        let mut tx = db.begin_read(Scope::Tenant(t.id)).await.unwrap();
        let actions: Vec<String> = tx
            .list_audit(t.id, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions.len(), 2, "the writer's row once committed: {actions:?}");
        assert!(actions.contains(&"uncommitted".to_owned()));
        tx.commit().await.unwrap();
    }
);

db_test!(
    async fn a_read_transaction_refuses_writes_and_keeps_its_scope(tdb) {
        let db = open(&tdb).await;
        let (a, u) = seed_org(&db, "A", "a@example.com").await;
        let (b, _) = seed_org(&db, "B", "b@example.com").await;

        let mut tx = db.begin_read(Scope::Tenant(a.id)).await.unwrap();
        let err = tx
            .append_audit(
                a.id,
                &NewAuditEntry {
                    actor: Some(u.id),
                    action: "sneaked".into(),
                    subject: None,
                    details: json!({}),
                },
            )
            .await
            .expect_err("a read transaction cannot insert");
        let text = err.to_string();
        assert!(
            text.contains("readonly") || text.contains("read-only"),
            "the database refused it: {text}"
        );
        drop(tx);
        let mut tx = db.begin_read(Scope::System).await.unwrap();
        let err = tx
            .insert_user(&user("eve@example.com"))
            .await
            .expect_err("nor write a global table");
        assert!(err.to_string().contains("read"), "{err}");
        drop(tx);

        // Nothing was written.
        let mut tx = db.begin_read(Scope::Tenant(a.id)).await.unwrap();
        let actions: Vec<String> = tx
            .list_audit(a.id, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["org.created"]);
        // The same scope rules as a writing transaction: another tenant is refused in code …
        assert!(matches!(
            tx.get_tenant(b.id).await,
            Err(StoreError::ScopeMismatch)
        ));
        // … and on PostgreSQL the tenant setting is there for RLS: raw SQL sees one tenant.
        if let store::Conn::Postgres(c) = tx.conn() {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants")
                .fetch_one(&mut *c)
                .await
                .unwrap();
            assert_eq!(n, 1);
        }
        tx.commit().await.unwrap();
        let mut tx = db.begin_read(Scope::System).await.unwrap();
        if let store::Conn::Postgres(c) = tx.conn() {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants")
                .fetch_one(&mut *c)
                .await
                .unwrap();
            assert_eq!(n, 0, "no tenant set: no rows");
        }
        tx.commit().await.unwrap();
    }
);

/// An in-memory SQLite database still works: the readers' pool opens the same shared in-memory
/// database as the writer, sees what it committed, and refuses writes too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_sqlite_database_reads_what_was_written() {
    let db = Db::open("sqlite::memory:", None, &DbOptions::default())
        .await
        .expect("open in memory");
    let (t, _) = seed_org(&db, "Acme Weddings", "ana@example.com").await;
    let mut tx = db.begin_read(Scope::Tenant(t.id)).await.unwrap();
    assert_eq!(tx.get_tenant(t.id).await.unwrap(), Some(t.clone()));
    let err = tx
        .insert_user(&user("eve@example.com"))
        .await
        .expect_err("read-only");
    assert!(err.to_string().contains("read"), "{err}");
    drop(tx);
    db.close().await;
}

db_test!(
    async fn a_begin_cancelled_midway_leaves_no_transaction_behind(tdb) {
        // One connection, so every attempt reuses the connection the cancelled one had.
        let options = DbOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(5),
        };
        let db = Db::open(&tdb.url, tdb.admin_url.as_deref(), &options)
            .await
            .expect("open the test database");
        let (t, u) = seed_org(&db, "Acme Weddings", "ana@example.com").await;

        // Read-only begins dropped after ever longer waits: some are cancelled while the
        // pool lends the connection, some while the server answers the BEGIN, some after.
        let mut written = 0;
        for i in 0..300u64 {
            let wait = Duration::from_micros((i % 60) * 10);
            let _ = tokio::time::timeout(wait, db.begin_read(Scope::Tenant(t.id))).await;

            // The next writer must get a fresh read-write transaction, not a leftover one.
            let mut tx = db.begin(Scope::Tenant(t.id)).await.expect("begin after a cancel");
            tx.append_audit(
                t.id,
                &NewAuditEntry {
                    actor: Some(u.id),
                    action: format!("attempt.{i}"),
                    subject: None,
                    details: json!({}),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("attempt {i} (waited {wait:?}): the write failed: {e}"));
            tx.commit().await.expect("commit");
            written += 1;
        }
        let mut tx = db.begin_read(Scope::Tenant(t.id)).await.unwrap();
        let rows = tx.list_audit(t.id, 500).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(rows.len(), written + 1, "every write committed, plus the sign-up's");
    }
);
