//! Reads never queue behind a write: while another request holds a write transaction (on
//! SQLite, the one write lock), many guests open the gallery at once and every one is answered
//! at once, none with "database is locked". SQLite and PostgreSQL.

mod support;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;
use store::{AuditRepo, NewAuditEntry, Scope};
use support::{Backing, TestApp, join, live_event, tenant_of};
use test_support::db_test;

db_test!(
    async fn guests_read_the_gallery_while_a_writer_holds_the_lock(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.40");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.20");
        let r = join(&guest, &link, "Lena").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // A writer takes the lock (SQLite: BEGIN IMMEDIATE) and keeps an uncommitted row.
        let mut writer = app.state.services.db.begin(Scope::Tenant(tenant)).await.unwrap();
        writer
            .append_audit(
                tenant,
                &NewAuditEntry {
                    actor: None,
                    action: "test.uncommitted".into(),
                    subject: None,
                    details: json!({}),
                },
            )
            .await
            .unwrap();

        // The lock waits up to 10 s: a guest request that needed it would take that long and
        // then fail. Sixteen at once, each resuming the guest's session and reading a page.
        let started = Instant::now();
        let gallery = format!("/g/{event}/gallery");
        let pages = futures::future::join_all((0..16).map(|_| guest.get(&gallery))).await;
        let took = started.elapsed();
        for page in &pages {
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            assert!(!page.body.contains("locked"), "{}", page.body);
        }
        assert!(
            took < Duration::from_secs(3),
            "16 gallery pages took {took:?} beside the writer"
        );
        writer.commit().await.unwrap();
    }
);
