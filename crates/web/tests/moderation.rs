//! Moderation through the real router: the approval queue one by one and in bulk, hiding and
//! putting back, the log, and who may not moderate. SQLite and PostgreSQL.

mod support;

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use jobs::{Handler, JobContext};
use serde_json::json;
use support::{Backing, Browser, TestApp, process, tenant_of};
use test_support::db_test;

fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(400, 300, |x, y| {
        image::Rgb([seed, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode");
    out.into_inner()
}

async fn status(host: &Browser<'_>, photo: &str) -> String {
    host.get(&format!("/api/v1/photos/{photo}")).await.json()["status"]
        .as_str()
        .expect("status")
        .to_owned()
}

/// A host with a live event on "hold for approval", and a guest's two processed photos.
async fn setup(app: &TestApp, host: &Browser<'_>) -> (String, Vec<String>) {
    host.register("Ada Host", "Ada's Weddings").await;
    let tenant = tenant_of(host).await;
    let r = host
        .json(
            "POST",
            "/api/v1/events",
            Some(json!({"name": "Anna & Ben", "time_zone": "UTC",
                "starts_at": "2026-06-20T14:00", "ends_at": "2027-06-21T02:00",
                "settings": {"moderation": "approve"}})),
        )
        .await;
    let event = r.json()["id"].as_str().expect("id").to_owned();
    let url = r.json()["join_url"].as_str().expect("url").to_owned();
    let link = url[url.find("/j/").expect("path")..].to_owned();
    host.json(
        "POST",
        &format!("/api/v1/events/{event}/status"),
        Some(json!({"to": "live"})),
    )
    .await;
    let guest = app.browser("198.51.100.30");
    guest.submit(&link, &link, &[("name", "Lena")]).await;
    let mut ids = Vec::new();
    for seed in [1, 2] {
        let r = guest
            .request(
                Request::post(format!("/g/{event}/photos"))
                    .header(header::HOST, "localhost")
                    .header(header::ORIGIN, "http://localhost")
                    .body(Body::from(jpeg(seed)))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        process(app, tenant, &id).await;
        ids.push(id);
    }
    let mine = guest.get(&format!("/g/{event}")).await;
    assert_eq!(
        mine.body
            .matches(">Waiting for the host&#39;s approval</span>")
            .count(),
        2,
        "both tiles in My photos say so"
    );
    (event, ids)
}

db_test!(
    async fn a_hosts_own_upload_is_published_while_guests_photos_wait(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.51");
        let (event, guest_ids) = setup(&app, &host).await;
        let tenant = tenant_of(&host).await;
        let bytes = jpeg(9);
        let r = host
            .request(
                Request::post(format!("/api/v1/events/{event}/photos"))
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .header(header::CONTENT_LENGTH, bytes.len())
                    .body(Body::from(bytes))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let mine = r.json()["id"].as_str().expect("id").to_owned();
        process(&app, tenant, &mine).await;
        assert_eq!(status(&host, &mine).await, "published", "the host's own photo does not wait");
        for id in &guest_ids {
            assert_eq!(status(&host, id).await, "pending_review", "guests' photos still wait");
        }
        let page = host.get(&format!("/app/events/{event}/moderation")).await;
        assert!(page.body.contains("Waiting for approval (2)"), "only the guest's two are queued");
    }
);

db_test!(
    async fn the_queue_is_worked_one_by_one_and_in_bulk_and_logged(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.50");
        let (event, ids) = setup(&app, &host).await;
        assert_eq!(status(&host, &ids[0]).await, "pending_review");

        let dash = host.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("Moderation (2)"), "the dashboard points at the queue");
        let page = host.get(&format!("/app/events/{event}/moderation")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Waiting for approval (2)"));

        // Reject one with its own button; approve the other as a "bulk" selection.
        let r = host
            .submit(
                &format!("/app/events/{event}/moderation"),
                &format!("/app/events/{event}/moderation/{}/reject", ids[0]),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(status(&host, &ids[0]).await, "rejected");
        let r = host
            .submit(
                &format!("/app/events/{event}/moderation"),
                &format!("/app/events/{event}/moderation"),
                &[("action", "approve"), ("photo", &ids[0]), ("photo", &ids[1])],
            )
            .await;
        assert!(r.location().ends_with("done=1"), "only the waiting one moves: {}", r.location());
        assert_eq!(status(&host, &ids[1]).await, "published");
        assert_eq!(status(&host, &ids[0]).await, "rejected", "approve does not apply to rejected");

        // Undo, hide from the photos page, put back.
        host.submit(
            &format!("/app/events/{event}/moderation"),
            &format!("/app/events/{event}/moderation"),
            &[("action", "restore"), ("photo", &ids[0])],
        )
        .await;
        assert_eq!(status(&host, &ids[0]).await, "published");
        let r = host
            .submit(
                &format!("/app/events/{event}/photos"),
                &format!("/app/events/{event}/moderation"),
                &[("action", "hide"), ("photo", &ids[1]), ("back", "photos")],
            )
            .await;
        assert_eq!(r.location(), format!("/app/events/{event}/photos"));
        assert_eq!(status(&host, &ids[1]).await, "hidden");

        let page = host.get(&format!("/app/events/{event}/moderation")).await;
        assert!(page.body.contains("Nothing is waiting for approval."));
        assert!(page.body.contains("Rejected and hidden (1)"));
        for line in [
            "Ada Host</td><td>rejected a photo by Lena",
            "Ada Host</td><td>approved a photo by Lena",
            "Ada Host</td><td>put back a photo by Lena",
            "Ada Host</td><td>hid a photo by Lena",
        ] {
            assert!(page.body.contains(line), "the log says {line:?}");
        }
        let dash = host.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("<dt>Photos</dt><dd>1</dd>"), "hidden photos are not counted");

        // Nonsense is refused clearly.
        let r = host
            .submit(
                &format!("/app/events/{event}/moderation"),
                &format!("/app/events/{event}/moderation"),
                &[("action", "delete-everything"), ("photo", &ids[0])],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = host
            .submit(
                &format!("/app/events/{event}/moderation"),
                &format!("/app/events/{event}/moderation"),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
);

db_test!(
    async fn nobody_else_can_moderate(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.51");
        let (event, ids) = setup(&app, &host).await;

        // Another organization: 404 on the page and on both kinds of post.
        let other = app.browser("203.0.113.52");
        other.register("Mallory", "Mallory's Events").await;
        assert_eq!(
            other.get(&format!("/app/events/{event}/moderation")).await.status,
            StatusCode::NOT_FOUND
        );
        let r = other
            .submit(
                "/app/events/new",
                &format!("/app/events/{event}/moderation"),
                &[("action", "approve"), ("photo", &ids[0])],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = other
            .submit(
                "/app/events/new",
                &format!("/app/events/{event}/moderation/{}/approve", ids[0]),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // The same organization's other event cannot reach this event's photos.
        let r = host
            .json(
                "POST",
                "/api/v1/events",
                Some(json!({"name": "Other", "time_zone": "UTC",
                    "starts_at": "2026-06-20T14:00", "ends_at": "2026-06-21T02:00"})),
            )
            .await;
        let other_event = r.json()["id"].as_str().expect("id").to_owned();
        let r = host
            .submit(
                &format!("/app/events/{other_event}/moderation"),
                &format!("/app/events/{other_event}/moderation"),
                &[("action", "approve"), ("photo", &ids[0])],
            )
            .await;
        assert!(r.location().ends_with("done=0"));

        // A guest is not a member: sent to log in, nothing changes.
        let guest = app.browser("198.51.100.31");
        let r = guest
            .post(
                &format!("/app/events/{event}/moderation/{}/approve", ids[0]),
                &[("csrf_token", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login"));
        for id in &ids {
            assert_eq!(status(&host, id).await, "pending_review");
        }
    }
);

db_test!(
    async fn deleting_a_photo_removes_it_and_its_files(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.53");
        let (event, ids) = setup(&app, &host).await;
        let tenant = tenant_of(&host).await;
        let prefix = format!("{tenant}/{event}/{}", ids[0]);
        let original = format!("{prefix}/original.jpg");
        assert!(app.state.services.blobs.head(&original).await.expect("head").is_some());

        let confirm = host.get(&format!("/app/events/{event}/photos/{}/delete", ids[0])).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.body.contains("This cannot be undone"));
        // Another organization cannot delete it (nor see the confirmation).
        let other = app.browser("203.0.113.54");
        other.register("Mallory", "Mallory's Events").await;
        assert_eq!(
            other.get(&format!("/app/events/{event}/photos/{}/delete", ids[0])).await.status,
            StatusCode::NOT_FOUND
        );
        let r = other
            .submit("/app/events/new", &format!("/app/events/{event}/photos/{}/delete", ids[0]), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        let r = host
            .submit(
                &format!("/app/events/{event}/photos/{}/delete", ids[0]),
                &format!("/app/events/{event}/photos/{}/delete", ids[0]),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(host.get(r.location()).await.body.contains("The photo is deleted."));
        assert_eq!(host.get(&format!("/api/v1/photos/{}", ids[0])).await.status, StatusCode::NOT_FOUND);
        assert!(
            host.get(&format!("/app/events/{event}/moderation")).await.body.contains("Ada Host</td><td>deleted a photo by Lena")
        );

        // The files go with the job queued in the same transaction.
        use service::moderation::{DeletePhotoFiles, DeletePhotoFilesHandler};
        DeletePhotoFilesHandler { blobs: app.state.services.blobs.clone() }
            .run(
                DeletePhotoFiles { tenant, prefix: prefix.clone() },
                &JobContext { id: domain::JobId::new(), tenant: Some(tenant), attempt: 1, max_attempts: 10 },
            )
            .await
            .expect("files deleted");
        assert!(app.state.services.blobs.head(&original).await.expect("head").is_none());
        let other_photo = format!("{tenant}/{event}/{}/original.jpg", ids[1]);
        assert!(app.state.services.blobs.head(&other_photo).await.expect("head").is_some(), "only that photo");
        // The handler refuses anything broader than one photo.
        let broad = DeletePhotoFilesHandler { blobs: app.state.services.blobs.clone() }
            .run(
                DeletePhotoFiles { tenant, prefix: format!("{tenant}/{event}") },
                &JobContext { id: domain::JobId::new(), tenant: Some(tenant), attempt: 1, max_attempts: 10 },
            )
            .await;
        assert!(broad.is_err());
        assert!(app.state.services.blobs.head(&other_photo).await.expect("head").is_some());
    }
);

db_test!(
    async fn reports_take_a_photo_out_until_the_host_decides_and_guests_can_be_blocked(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.55");
        let (event, ids) = setup(&app, &host).await;
        // Publish both, as on an event without approval.
        host.submit(
            &format!("/app/events/{event}/moderation"),
            &format!("/app/events/{event}/moderation"),
            &[("action", "approve"), ("photo", &ids[0]), ("photo", &ids[1])],
        )
        .await;
        let link = {
            let v = host.get(&format!("/api/v1/events/{event}")).await.json();
            let u = v["join_url"].as_str().expect("url").to_owned();
            u[u.find("/j/").expect("path")..].to_owned()
        };
        let mut reporters = Vec::new();
        for (i, ip) in ["198.51.100.60", "198.51.100.61", "198.51.100.62"].into_iter().enumerate() {
            let g = app.browser(ip);
            g.submit(&link, &link, &[("name", &format!("Reporter {i}"))]).await;
            reporters.push(g);
        }
        let report_path = format!("/g/{event}/photos/{}/report", ids[0]);
        let form = reporters[0].get(&report_path).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("Tell the hosts what is wrong"));
        // Reporting twice counts once.
        reporters[0].submit(&report_path, &report_path, &[("reason", "first try")]).await;
        for (i, g) in reporters.iter().enumerate() {
            let r = g.submit(&report_path, &report_path, &[("reason", "Not appropriate")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            if i < 2 {
                assert_eq!(status(&host, &ids[0]).await, "published", "below the threshold");
            }
        }
        assert_eq!(status(&host, &ids[0]).await, "pending_review", "three reports hold it");
        let gallery = reporters[0].get(&format!("/g/{event}/gallery")).await;
        assert!(!gallery.body.contains(&format!("photo-{}", ids[0])), "out of the gallery");

        let page = host.get(&format!("/app/events/{event}/moderation")).await;
        assert!(page.body.contains("Reported 3 times"), "{}", page.body);
        assert!(page.body.contains("“Not appropriate”"));
        assert!(page.body.contains("took a photo by Lena out of the gallery after reports"));
        // The event page counts them, and the moderation link carries a badge.
        let dash = host.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("<dt>Open reports</dt><dd>3</dd>"), "{}", dash.body);
        assert!(dash.body.contains("<span class=\"badge badge-reports\">3 reports</span>"));

        // The host keeps it: back in the gallery, reports settled.
        host.submit(
            &format!("/app/events/{event}/moderation"),
            &format!("/app/events/{event}/moderation"),
            &[("action", "keep"), ("photo", &ids[0])],
        )
        .await;
        assert_eq!(status(&host, &ids[0]).await, "published");
        assert!(host.get(&format!("/app/events/{event}/moderation")).await.body.contains("No photo is reported."));
        let dash = host.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("<dt>Open reports</dt><dd>0</dd>"));
        assert!(!dash.body.contains("badge-reports"), "no badge without reports");

        // Block the uploader and hide their photos.
        reporters[0].submit(&report_path, &report_path, &[("reason", "spam")]).await;
        let dash = host.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("<span class=\"badge badge-reports\">1 report</span>"), "one, not ones");
        let page = host.get(&format!("/app/events/{event}/moderation")).await;
        let marker = format!("/app/events/{event}/guests/");
        let at = page.body.find(&marker).expect("a block form for the guest's photo") + marker.len();
        let guest = page.body[at..at + 36].to_owned();
        let r = host
            .submit(
                &format!("/app/events/{event}/moderation"),
                &format!("/app/events/{event}/guests/{guest}/block"),
                &[("hide", "on"), ("back", "moderation")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(status(&host, &ids[0]).await, "hidden");
        assert_eq!(status(&host, &ids[1]).await, "hidden");
        let page = host.get(r.location()).await;
        assert!(page.body.contains("The guest can no longer upload."));
        assert!(page.body.contains("stopped Lena from uploading"), "{}", &page.body[page.body.find("log-h").unwrap_or(0)..]);
        // Another organization cannot block anyone here.
        let other = app.browser("203.0.113.56");
        other.register("Mallory", "Mallory's Events").await;
        let r = other
            .submit("/app/events/new", &format!("/app/events/{event}/guests/{guest}/block"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
);
