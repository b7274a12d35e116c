//! What a guest may see of other guests' photos, through the real router: in a drop box
//! (guests see only their own photos) another guest's photo answers 404 everywhere (report
//! page, view counter, download, reaction), exactly like a photo that does not exist; and the
//! gallery's "who" filter names only people with photos in the gallery, never someone whose
//! photos wait for approval or are held after reports. SQLite and PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::{Backing, Browser, TestApp, join, jpeg, live_event, process, tenant_of};
use test_support::db_test;

async fn guest_upload(g: &Browser<'_>, event: &str, seed: u8) -> String {
    let r = g
        .request(
            Request::post(format!("/g/{event}/photos"))
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(jpeg(320, 240, seed)))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().expect("id").to_owned()
}

/// Everything a guest can ask about one photo id; each must be a 404 for a photo they may not
/// see.
async fn every_photo_route(g: &Browser<'_>, event: &str, photo: &str) -> Vec<(String, StatusCode)> {
    // The guest's own page carries the form token in every kind of event.
    let page = format!("/g/{event}");
    let mut out = Vec::new();
    for path in [
        format!("/g/{event}/photos/{photo}/report"),
        format!("/g/{event}/photos/{photo}/download"),
        format!("/g/{event}/photos/{photo}/delete"),
        format!("/g/{event}/photos/{photo}"),
    ] {
        let r = g.get(&path).await;
        out.push((path, r.status));
    }
    for (path, fields) in [
        (format!("/g/{event}/photos/{photo}/view"), vec![]),
        (
            format!("/g/{event}/photos/{photo}/react"),
            vec![("kind", "heart")],
        ),
        (
            format!("/g/{event}/photos/{photo}/report"),
            vec![("reason", "x")],
        ),
    ] {
        let r = g.submit(&page, &path, &fields).await;
        out.push((path, r.status));
    }
    out
}

db_test!(
    async fn in_a_drop_box_a_guest_sees_nothing_of_another_guests_photo(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.120");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(
            &host,
            json!({"guest_visibility": "own", "guest_downloads": true}),
        )
        .await;
        let lena = app.browser("198.51.100.120");
        join(&lena, &link, "Lena").await;
        let photo = guest_upload(&lena, &event, 1).await;
        process(&app, tenant, &photo).await;
        // Lena sees her own photo (published), in the drop box.
        assert_eq!(
            lena.get(&format!("/g/{event}/photos/{photo}/download")).await.status,
            StatusCode::OK
        );

        let mallory = app.browser("198.51.100.121");
        join(&mallory, &link, "Mallory").await;
        for (path, status) in every_photo_route(&mallory, &event, &photo).await {
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        // Nothing she tried was counted or recorded.
        let dash = host.get(&format!("/app/events/{event}")).await;
        assert_eq!(dash.status, StatusCode::OK);
        let r = host.get(&format!("/api/v1/photos/{photo}")).await;
        assert_eq!(r.json()["status"], "published");
        let gallery = mallory.get(&format!("/g/{event}/gallery")).await;
        assert!(!gallery.body.contains(&photo), "no trace of the photo in her gallery");
        assert!(!gallery.body.contains("Lena"), "nor of who took it");
    }
);

db_test!(
    async fn the_who_filter_names_only_people_with_photos_in_the_gallery(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.122");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({"moderation": "approve"})).await;
        let (lena, pia, olga) = (
            app.browser("198.51.100.122"),
            app.browser("198.51.100.123"),
            app.browser("198.51.100.124"),
        );
        join(&lena, &link, "Lena Published").await;
        join(&pia, &link, "Pia Pending").await;
        join(&olga, &link, "Olga Reported").await;
        let shown = guest_upload(&lena, &event, 10).await;
        let waiting = guest_upload(&pia, &event, 11).await;
        let reported = guest_upload(&olga, &event, 12).await;
        for p in [&shown, &waiting, &reported] {
            process(&app, tenant, p).await;
        }
        // Approve Lena's and Olga's; Pia's waits.
        let r = host
            .submit(
                &format!("/app/events/{event}/moderation"),
                &format!("/app/events/{event}/moderation"),
                &[("action", "approve"), ("photo", &shown), ("photo", &reported)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        // Olga's is reported by three guests: held for a decision.
        for (i, who) in [&lena, &pia, &olga].into_iter().enumerate() {
            let r = who
                .submit(
                    &format!("/g/{event}/gallery"),
                    &format!("/g/{event}/photos/{reported}/report"),
                    &[("reason", &format!("report {i}"))],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        assert_eq!(
            host.get(&format!("/api/v1/photos/{reported}")).await.json()["status"],
            "pending_review"
        );
        let viewer = app.browser("198.51.100.125");
        join(&viewer, &link, "Vera").await;
        let gallery = viewer.get(&format!("/g/{event}/gallery")).await;
        assert_eq!(gallery.status, StatusCode::OK);
        assert!(gallery.body.contains("Lena Published"));
        assert!(!gallery.body.contains("Pia Pending"), "waiting for approval");
        assert!(!gallery.body.contains("Olga Reported"), "held after reports");
        // And the held photo is gone from every route for other guests.
        for (path, status) in every_photo_route(&viewer, &event, &reported).await {
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
    }
);
