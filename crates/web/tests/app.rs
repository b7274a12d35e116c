//! The web layer end to end, in process: the real router, middleware and services (a fresh
//! database on each backend, a media folder, real Redis), driven request by request.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use support::{Backing, TestApp};
use test_support::db_test;

db_test!(
    async fn home_page_renders_with_a_fresh_nonce_and_security_headers(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let a = app.get("/").await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.header("content-type").starts_with("text/html"));
        assert!(a.body.contains("<h1>Every guest&#39;s photos of your event"), "{}", a.body);
        assert!(a.body.contains("<html lang=\"en\">"));

        let csp = a.header("content-security-policy").to_owned();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .expect("CSP carries a nonce");
        assert!(nonce.len() >= 16, "nonce too short: {nonce}");
        assert!(
            a.body.contains(&format!("nonce=\"{nonce}\"")),
            "the script tag carries the header's nonce"
        );
        assert!(csp.contains("default-src 'self'") || csp.contains("default-src 'none'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(a.header("x-content-type-options"), "nosniff");
        assert_eq!(a.header("x-frame-options"), "DENY");
        assert!(!a.header("referrer-policy").is_empty());
        // Plain http: no HSTS (it would pin a dev machine's localhost to https).
        assert!(a.headers.get("strict-transport-security").is_none());

        let b = app.get("/").await;
        assert_ne!(
            b.header("content-security-policy"),
            csp,
            "every response gets its own nonce"
        );
    }
);

db_test!(
    async fn unknown_pages_get_a_friendly_404_and_the_api_gets_json(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let page = app.get("/no/such/page").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.header("content-type").starts_with("text/html"));
        assert!(page.body.contains("Page not found"));
        assert!(page.body.contains("href=\"/\""), "links back home");

        let api = app.get("/api/v1/nothing-here").await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert!(api.header("content-type").starts_with("application/json"));
        let v = api.json();
        assert_eq!(v["error"]["code"], "not_found");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
);

db_test!(
    async fn a_wrong_method_is_a_405_page_not_a_bare_status(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let r = app
            .send(
                Request::builder()
                    .method(Method::DELETE)
                    .uri("/healthz")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(r.header("content-type").starts_with("text/html"));
        assert!(r.body.contains("That action is not possible here."));
    }
);

db_test!(
    async fn probes_report_alive_and_ready(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let alive = app.get("/healthz").await;
        assert_eq!(alive.status, StatusCode::OK);
        assert_eq!(alive.json()["status"], "ok");

        let ready = app.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
        let v = ready.json();
        assert_eq!(v["status"], "ready");
        assert_eq!(v["checks"]["database"], "ok");
        assert_eq!(v["checks"]["storage"], "ok");
        assert_eq!(v["checks"]["redis"], "ok");
        assert_eq!(ready.header("cache-control"), "no-store");
    }
);

db_test!(
    async fn readyz_is_503_and_names_the_storage_when_it_fails(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        // The media folder disappears and a plain file takes its place: nothing can be written.
        let path = app.media.path().to_owned();
        std::fs::remove_dir_all(&path).expect("remove media dir");
        std::fs::write(&path, b"not a folder").expect("put a file there");

        let r = app.get("/readyz").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        let v = r.json();
        assert_eq!(v["status"], "unavailable");
        assert_eq!(v["checks"]["database"], "ok");
        assert_eq!(v["checks"]["redis"], "ok");
        let storage = v["checks"]["storage"].as_str().expect("storage check");
        assert!(storage.contains("storage"), "names what failed: {storage}");
        std::fs::remove_file(&path).expect("clean up");
    }
);

db_test!(
    async fn readyz_is_503_and_names_the_database_when_it_is_closed(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        app.state.services.db.close().await;
        let r = app.get("/readyz").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        let v = r.json();
        assert!(
            v["checks"]["database"]
                .as_str()
                .is_some_and(|s| s.contains("database")),
            "{v}"
        );
        assert_eq!(v["checks"]["storage"], "ok");
    }
);

db_test!(
    async fn metrics_count_requests_by_route_and_status_and_show_the_queue(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        app.get("/").await;
        app.get("/no/such/page").await;
        let m = app.get("/metrics").await;
        assert_eq!(m.status, StatusCode::OK);
        assert!(m.header("content-type").contains("openmetrics-text"));
        let has = |needle: &str| m.body.lines().any(|l| l.contains(needle));
        assert!(has("momentique_http_requests_total{"), "{}", m.body);
        assert!(
            m.body
                .lines()
                .any(|l| l.starts_with("momentique_http_requests_total{") && l.contains("route=\"/\"") && l.contains("status=\"200\"")),
            "{}",
            m.body
        );
        // Unknown paths are counted under one label, not one series per path.
        assert!(!m.body.contains("/no/such/page"), "{}", m.body);
        assert!(has("momentique_http_request_duration_seconds_bucket{"), "{}", m.body);
        assert!(has("momentique_job_queue{state=\"ready\"}"), "{}", m.body);
    }
);

db_test!(
    async fn static_assets_are_served_under_hashed_names_with_a_long_cache(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let css_url = web::assets::url("app.css");
        assert!(css_url.starts_with("/static/app."), "{css_url}");
        assert_ne!(css_url, "/static/app.css");
        let css = app.get(&css_url).await;
        assert_eq!(css.status, StatusCode::OK);
        assert!(css.header("content-type").starts_with("text/css"));
        assert!(css.header("cache-control").contains("immutable"));
        assert!(css.body.contains("prefers-color-scheme"));

        let js = app.get(&web::assets::url("app.js")).await;
        assert!(js.header("content-type").starts_with("text/javascript"));

        let home = app.get("/").await;
        assert!(home.body.contains(&css_url), "the page links the hashed name");

        let stale = app.get("/static/app.000000000000.css").await;
        assert_eq!(stale.status, StatusCode::NOT_FOUND);
    }
);

db_test!(
    async fn request_ids_are_echoed_or_generated(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let given = app
            .send(
                Request::get("/healthz")
                    .header("x-request-id", "lb-1234_abc")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(given.header("x-request-id"), "lb-1234_abc");

        let fresh = app.get("/healthz").await;
        let id = fresh.header("x-request-id").to_owned();
        assert!(id.len() >= 16, "{id}");
        let other = app.get("/healthz").await;
        assert_ne!(other.header("x-request-id"), id);

        // A hostile id (it would end up in logs) is replaced, not echoed.
        let hostile = app
            .send(
                Request::get("/healthz")
                    .header("x-request-id", "evil id\twith spaces")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_ne!(hostile.header("x-request-id"), "evil id\twith spaces");
        assert!(!hostile.header("x-request-id").contains(' '));

    }
);
