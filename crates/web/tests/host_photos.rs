//! The members' photos page at party size: the selection and its bulk actions (approve, hide,
//! download, delete with a confirmation), nothing selected, who may do what, and other
//! organizations. SQLite and PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::Role;
use serde_json::json;
use store::{JobQueue, JobState};
use support::{Backing, Browser, TestApp, jpeg, member_with_role, process, tenant_of};
use test_support::db_test;

async fn status(host: &Browser<'_>, photo: &str) -> StatusCode {
    host.get(&format!("/api/v1/photos/{photo}")).await.status
}

async fn photo_status(host: &Browser<'_>, photo: &str) -> String {
    host.get(&format!("/api/v1/photos/{photo}")).await.json()["status"]
        .as_str()
        .expect("status")
        .to_owned()
}

/// A host with a live event on "hold for approval", and a guest's three processed photos.
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
    let guest = app.browser("198.51.100.40");
    guest.submit(&link, &link, &[("name", "Lena")]).await;
    let mut ids = Vec::new();
    for seed in [1, 2, 3] {
        let r = guest
            .request(
                Request::post(format!("/g/{event}/photos"))
                    .header(header::HOST, "localhost")
                    .header(header::ORIGIN, "http://localhost")
                    .body(Body::from(jpeg(320, 240, seed)))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        process(app, tenant, &id).await;
        ids.push(id);
    }
    (event, ids)
}

async fn delete_jobs(app: &TestApp) -> usize {
    app.state
        .services
        .db
        .list_jobs(JobState::Queued, 100)
        .await
        .expect("jobs")
        .iter()
        .filter(|j| j.kind == "photos.delete_files")
        .count()
}

db_test!(
    async fn the_selection_is_approved_hidden_downloaded_and_deleted_in_bulk(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.60");
        let (event, ids) = setup(&app, &host).await;
        let page_url = format!("/app/events/{event}/photos");
        let bulk = format!("/app/events/{event}/photos/bulk");
        let page = host.get(&page_url).await;
        assert!(page.body.contains(&format!("action=\"{bulk}\"")), "the bulk form");
        assert_eq!(page.body.matches("form=\"bulk\" data-pick").count(), 3, "a box per photo");

        // Nothing selected: the page again, saying so.
        for action in ["approve", "hide", "delete", "download"] {
            let r = host.submit(&page_url, &bulk, &[("action", action)]).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{action}");
            assert!(r.body.contains("Select at least one photo first."), "{action}: {}", r.body);
            assert!(r.body.contains("data-bulk"), "{action}: it is the photos page");
        }
        let r = host.submit(&page_url, &bulk, &[("action", "dance"), ("photo", &ids[0])]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("Choose approve, reject, hide or put back."));

        // Approve two, then hide one of them.
        let r = host
            .submit(&page_url, &bulk, &[("action", "approve"), ("photo", &ids[0]), ("photo", &ids[1])])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), format!("{page_url}?done=2"));
        assert!(host.get(r.location()).await.body.contains("2 photos updated."));
        assert_eq!(photo_status(&host, &ids[0]).await, "published");
        assert_eq!(photo_status(&host, &ids[1]).await, "published");
        assert_eq!(photo_status(&host, &ids[2]).await, "pending_review");
        let r = host.submit(&page_url, &bulk, &[("action", "hide"), ("photo", &ids[1])]).await;
        assert!(host.get(r.location()).await.body.contains("1 photo updated."));
        assert_eq!(photo_status(&host, &ids[1]).await, "hidden");

        // Download the selection: a ZIP of exactly those.
        let r = host
            .submit(&page_url, &bulk, &[("action", "download"), ("photo", &ids[0]), ("photo", &ids[2])])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-type"), "application/zip");
        let zip = async_zip::base::read::mem::ZipFileReader::new(r.bytes.clone())
            .await
            .expect("a ZIP");
        assert_eq!(zip.file().entries().len(), 2);

        // Delete: a confirmation that counts, then every one goes with its log line and job.
        let jobs_before = delete_jobs(&app).await;
        let r = host
            .submit(&page_url, &bulk, &[("action", "delete"), ("photo", &ids[0]), ("photo", &ids[1]), ("photo", &ids[0])])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("2 photos and every size of them"), "{}", r.body);
        assert_eq!(r.body.matches("name=\"photo\"").count(), 2);
        assert_eq!(status(&host, &ids[0]).await, StatusCode::OK, "nothing is deleted before confirming");
        let confirm = format!("/app/events/{event}/photos/delete");
        let r = host.submit(&page_url, &confirm, &[("photo", &ids[0]), ("photo", &ids[1])]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(host.get(r.location()).await.body.contains("2 photos are deleted."));
        assert_eq!(status(&host, &ids[0]).await, StatusCode::NOT_FOUND);
        assert_eq!(status(&host, &ids[1]).await, StatusCode::NOT_FOUND);
        assert_eq!(status(&host, &ids[2]).await, StatusCode::OK);
        assert_eq!(delete_jobs(&app).await, jobs_before + 2, "a file-deletion job per photo");
        let log = host.get(&format!("/app/events/{event}/moderation")).await.body;
        assert_eq!(log.matches("Ada Host</td><td>deleted a photo by Lena").count(), 2);
        let r = host.submit(&page_url, &confirm, &[]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("Select at least one photo first."));
    }
);

db_test!(
    async fn a_member_role_moderates_but_does_not_delete_in_bulk(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.61");
        let (event, ids) = setup(&app, &host).await;
        let member = member_with_role(&app, tenant_of(&host).await, Role::Member).await;
        let page_url = format!("/app/events/{event}/photos");
        let bulk = format!("/app/events/{event}/photos/bulk");
        let r = member.submit(&page_url, &bulk, &[("action", "approve"), ("photo", &ids[0])]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(photo_status(&host, &ids[0]).await, "published");
        let r = member.submit(&page_url, &bulk, &[("action", "delete"), ("photo", &ids[1])]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "no confirmation for who may not delete");
        let r = member
            .submit(&page_url, &format!("/app/events/{event}/photos/delete"), &[("photo", &ids[1])])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(status(&host, &ids[1]).await, StatusCode::OK, "still there");
    }
);

db_test!(
    async fn another_organization_and_guests_cannot_act_on_the_selection(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.62");
        let (event, ids) = setup(&app, &host).await;
        let bulk = format!("/app/events/{event}/photos/bulk");
        let confirm = format!("/app/events/{event}/photos/delete");

        let other = app.browser("203.0.113.63");
        other.register("Mallory", "Mallory's Events").await;
        for action in ["approve", "hide", "delete", "download"] {
            let r = other.submit("/app/events/new", &bulk, &[("action", action), ("photo", &ids[0])]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}");
        }
        let r = other.submit("/app/events/new", &confirm, &[("photo", &ids[0])]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // Their own event id with this organization's photos: nothing of ours is touched.
        let r = other
            .json("POST", "/api/v1/events", Some(json!({"name": "Mine", "time_zone": "UTC",
                "starts_at": "2026-06-20T14:00", "ends_at": "2026-06-21T02:00"})))
            .await;
        let theirs = r.json()["id"].as_str().expect("id").to_owned();
        let r = other
            .submit("/app/events/new", &format!("/app/events/{theirs}/photos/delete"), &[("photo", &ids[0])])
            .await;
        assert!(r.location().ends_with("removed=0"), "{}", r.location());
        let r = other
            .submit("/app/events/new", &format!("/app/events/{theirs}/photos/bulk"), &[("action", "approve"), ("photo", &ids[0])])
            .await;
        assert!(r.location().ends_with("done=0"), "{}", r.location());

        let guest = app.browser("198.51.100.41");
        for path in [&bulk, &confirm] {
            let r = guest.post(path, &[("csrf_token", "x"), ("action", "delete"), ("photo", &ids[0])]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert!(r.location().starts_with("/login"), "{}", r.location());
        }
        for id in &ids {
            assert_eq!(photo_status(&host, id).await, "pending_review", "nothing changed");
        }
    }
);

db_test!(
    async fn the_grid_filters_by_who_day_and_status(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.64");
        let (event, _ids) = setup(&app, &host).await;
        let bytes = jpeg(320, 240, 9);
        let r = host
            .request(
                Request::post(format!("/api/v1/events/{event}/photos"))
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .header(header::CONTENT_LENGTH, bytes.len())
                    .body(Body::from(bytes))
                    .expect("request"),
            )
            .await;
        let mine = r.json()["id"].as_str().expect("id").to_owned();
        process(&app, tenant_of(&host).await, &mine).await;

        let tiles = |q: &str| {
            let url = format!("/app/events/{event}/photos{q}");
            let host = &host;
            async move {
                let page = host.get(&url).await;
                assert_eq!(page.status, StatusCode::OK, "{url}");
                (page.body.matches("<li class=\"photo-tile ").count(), page.body)
            }
        };
        assert_eq!(tiles("").await.0, 4);
        let (n, body) = tiles("?status=pending_review").await;
        assert_eq!(n, 3);
        assert!(body.contains("<option value=\"pending_review\" selected>"), "the choice is kept");
        assert_eq!(tiles("?status=published").await.0, 1);
        assert_eq!(tiles("?who=Lena").await.0, 3);
        assert!(tiles("").await.1.contains("<option>Ada Host</option>"), "who has photos");
        let (n, body) = tiles("?who=Lena&status=published").await;
        assert_eq!(n, 0);
        assert!(body.contains("No photos match these filters."));
        assert!(body.contains("Show all photos"));
        let today = app.state.services.now().format("%Y-%m-%d").to_string();
        assert_eq!(tiles(&format!("?day={today}")).await.0, 4);
        assert_eq!(tiles("?day=2020-01-01").await.0, 0);
        assert_eq!(tiles("?status=nonsense&day=not-a-day").await.0, 4, "unknown filters are ignored");
    }
);
