//! Usage against a plan's limits through the real router: the usage page and the dashboard
//! warn from 80 %; at 100 % new events, invitations, reactivations, guests and photos are
//! refused with a sentence saying which limit (a guest's photo before a byte is sent); another
//! organization's usage is its own. SQLite and PostgreSQL.

mod support;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::Role;
use domain::plan::PlanLimits;
use serde_json::json;
use service::usage::Plans;
use store::{Scope, UserRepo};
use support::{
    Backing, Browser, Reply, TestApp, join, jpeg, live_event, member_with_role, tenant_of,
};
use test_support::db_test;

fn small_plan() -> Plans {
    Plans {
        default: "small".into(),
        plans: BTreeMap::from([(
            "small".to_owned(),
            PlanLimits {
                photos: Some(3),
                storage_bytes: Some(50 << 20),
                guests: Some(2),
                members: Some(3),
                events: Some(2),
            },
        )]),
    }
}

async fn small_app(tdb: &test_support::TestDatabase) -> TestApp {
    let base = TestApp::new(tdb, Backing::Local).await;
    TestApp::with_services(service::Services::clone(&base.state.services).with_plans(small_plan()))
        .await
}

async fn new_event(host: &Browser<'_>, name: &str) -> Reply {
    host.json(
        "POST",
        "/api/v1/events",
        Some(json!({"name": name, "time_zone": "UTC",
            "starts_at": "2026-06-20T14:00", "ends_at": "2026-06-21T02:00"})),
    )
    .await
}

async fn upload(guest: &Browser<'_>, event: &str, bytes: Vec<u8>) -> Reply {
    guest
        .request(
            Request::post(format!("/g/{event}/photos"))
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(bytes))
                .expect("request"),
        )
        .await
}

db_test!(
    async fn limits_warn_at_80_percent_and_refuse_at_100_with_a_reason(tdb) {
        let app = small_app(&tdb).await;
        let host = app.browser("203.0.113.60");
        let email = host.register("Pia Plan", "Pia's Parties").await;
        let tenant = tenant_of(&host).await;

        // Events: 2.
        let page = host.get("/usage").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Plan: small"), "{}", page.body);
        let (event, link) = live_event(&host, json!({})).await;
        let r = new_event(&host, "Second").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let dash = host.get("/app").await.body;
        assert!(dash.contains("Events: your plan"), "{dash}");
        let r = new_event(&host, "Third").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let v = r.json();
        assert_eq!(v["error"]["code"], "plan_limit_reached", "{v}");
        assert!(
            v["error"]["message"].as_str().unwrap_or_default().contains("allows 2 events"),
            "{v}"
        );

        // Members: 3 seats (members and open invitations).
        {
            let db = &app.state.services.db;
            let mut tx = db.begin(Scope::Tenant(tenant)).await.expect("tx");
            let me = tx
                .find_user_by_email(&domain::Email::parse(&email).expect("email"))
                .await
                .expect("find")
                .expect("me");
            tx.set_email_verified(me.id, domain::time::now()).await.expect("verify");
            tx.commit().await.expect("commit");
        }
        let helper = member_with_role(&app, tenant, Role::Member).await;
        let invite = |to: String| {
            let host = &host;
            async move {
                host.submit("/members", "/members/invite", &[("email", &to), ("role", "member")])
                    .await
            }
        };
        let r = invite("first@example.org".into()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = invite("second@example.org".into()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("allows 3 members"), "{}", r.body);
        // Inviting the same address again replaces the invitation: no new seat.
        let r = invite("first@example.org".into()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // A deactivated member frees a seat; reactivating needs one.
        let helper_id = helper.get("/api/v1/me").await.json()["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let r = host
            .submit("/members", &format!("/members/{helper_id}/deactivate"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = invite("third@example.org".into()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = host
            .submit("/members", &format!("/members/{helper_id}/reactivate"), &[])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

        // Guests: 2.
        let g1 = app.browser("198.51.100.60");
        let g2 = app.browser("198.51.100.61");
        let g3 = app.browser("198.51.100.62");
        assert_eq!(join(&g1, &link, "Gus").await.status, StatusCode::SEE_OTHER);
        assert_eq!(join(&g2, &link, "Gia").await.status, StatusCode::SEE_OTHER);
        let r = join(&g3, &link, "Gil").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("cannot take more guests"), "{}", r.body);

        // Photos: 3. The fourth is refused, before the resumable upload sends a byte too.
        for seed in 0..3 {
            let r = upload(&g1, &event, jpeg(64, 48, seed)).await;
            assert!(r.status.is_success(), "{} {}", r.status, r.body);
        }
        let page = host.get("/usage").await.body;
        assert!(page.contains("usage-full"), "{page}");
        let r = upload(&g2, &event, jpeg(64, 48, 9)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("nothing is lost"), "{}", r.body);
        assert!(r.body.contains("allows 3 photos"), "{}", r.body);
        let r = g2
            .request(
                Request::post(format!("/g/{event}/uploads"))
                    .header("upload-length", "1000")
                    .header(header::HOST, "localhost")
                    .header(header::ORIGIN, "http://localhost")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

        // Another organization on the same plan starts from zero.
        let other = app.browser("203.0.113.61");
        other.register("Oli Other", "Oli's Org").await;
        let r = new_event(&other, "Theirs").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let page = other.get("/usage").await.body;
        assert!(!page.contains("usage-full"), "{page}");

        // Nobody sees the usage page.
        let nobody = app.browser("198.51.100.63").get("/usage").await;
        assert_eq!(nobody.status, StatusCode::SEE_OTHER);
        assert!(nobody.location().starts_with("/login"), "{}", nobody.location());
        let guest = g1.get("/usage").await;
        assert_eq!(guest.status, StatusCode::SEE_OTHER, "a guest is not a member");
    }
);

db_test!(
    async fn storage_counts_originals_and_a_big_file_is_refused(tdb) {
        let mut plans = small_plan();
        if let Some(p) = plans.plans.get_mut("small") {
            p.photos = None;
            p.storage_bytes = Some(30_000);
        }
        let base = TestApp::new(&tdb, Backing::Local).await;
        let app = TestApp::with_services(service::Services::clone(&base.state.services).with_plans(plans)).await;
        let host = app.browser("203.0.113.62");
        host.register("Sam Store", "Sam's Storage").await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.64");
        join(&guest, &link, "Sue").await;
        let small = jpeg(64, 48, 1);
        assert!(small.len() < 10_000, "{}", small.len());
        let r = upload(&guest, &event, small).await;
        assert!(r.status.is_success(), "{}", r.body);
        let big = jpeg(1600, 1200, 2);
        assert!(big.len() > 30_000, "{}", big.len());
        let r = upload(&guest, &event, big).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("of storage"), "{}", r.body);
    }
);
