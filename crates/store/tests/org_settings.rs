//! `org_settings` on both backends: the defaults until a first change, a full round trip, one
//! organization's row out of another's reach (the scope check in code, and RLS on PostgreSQL
//! proven with raw SQL and no WHERE clause).

use domain::{AccentColour, EventDefaults, GuestVisibility, Moderation, OrgName, TenantId, UserId};
use store::{Db, DbOptions, OrgSettings, OrgSettingsRepo, Scope, StoreError, Tenant, TenantRepo};
use test_support::{TestDatabase, db_test};

async fn open(tdb: &TestDatabase) -> Db {
    Db::open(&tdb.url, tdb.admin_url.as_deref(), &DbOptions::default())
        .await
        .expect("open the test database")
}

async fn org(db: &Db, name: &str) -> TenantId {
    let t = Tenant {
        id: TenantId::new(),
        name: OrgName::parse(name).expect("name"),
        created_at: domain::time::now(),
    };
    let mut tx = db.begin(Scope::Tenant(t.id)).await.expect("tx");
    tx.insert_tenant(&t).await.expect("tenant");
    tx.commit().await.expect("commit");
    t.id
}

db_test!(
    async fn settings_round_trip_and_stay_with_their_organization(tdb) {
        let db = open(&tdb).await;
        let (a, b) = (org(&db, "A").await, org(&db, "B").await);
        let mut tx = db.begin(Scope::Tenant(a)).await.unwrap();
        assert_eq!(tx.get_org_settings(a).await.unwrap(), OrgSettings::defaults(a));
        let at = domain::time::now();
        let mine = OrgSettings {
            accent: Some(AccentColour::parse("#0a7b3c").unwrap()),
            logo_key: Some(format!("{a}/org/logo-0123456789abcdef.webp")),
            event_defaults: EventDefaults {
                moderation: Moderation::Approve,
                max_photos_per_guest: 12,
                max_file_mb: 9,
                guest_name_required: false,
                guest_visibility: GuestVisibility::Own,
                guest_downloads: false,
            },
            ..OrgSettings::defaults(a)
        };
        tx.save_org_settings(a, &mine, None::<UserId>, at).await.unwrap();
        // Saving again updates the one row.
        let again = OrgSettings { accent: None, ..mine.clone() };
        tx.save_org_settings(a, &again, None, at).await.unwrap();
        let read = tx.get_org_settings(a).await.unwrap();
        assert_eq!(read.accent, None);
        assert_eq!(read.logo_key, mine.logo_key);
        assert_eq!(read.event_defaults, mine.event_defaults);
        assert!(read.updated_at.is_some());
        // Another organization's settings through this transaction: refused in code.
        assert!(matches!(tx.get_org_settings(b).await, Err(StoreError::ScopeMismatch)));
        tx.commit().await.unwrap();

        let mut tx = db.begin_read(Scope::Tenant(b)).await.unwrap();
        assert_eq!(tx.get_org_settings(b).await.unwrap(), OrgSettings::defaults(b));
        tx.commit().await.unwrap();

        if let Db::Postgres(pool) = &db {
            // RLS: with B's tenant set, A's row does not exist, even without a WHERE clause.
            for (tenant, rows) in [(b, 0_i64), (a, 1)] {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
                    .bind(tenant.to_string())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM org_settings")
                    .fetch_one(&mut *tx)
                    .await
                    .unwrap();
                assert_eq!(n, rows, "org_settings rows seen by {tenant}");
                tx.commit().await.unwrap();
            }
        }
    }
);
