//! What a stranger can send, through the real router on SQLite and PostgreSQL: NUL bytes and
//! control characters in fields and filters, years like +262142, malformed ids, an absurd
//! `Host`, and every route enumerated from the router given them. Each is a 4xx with a message
//! a person can read (an HTML page, or the JSON envelope under /api/), never a 500 or a panic.
//! Also: private answers are never cached, the guest cookie's `__Host-` prefix over https, and
//! a resumable upload refused at its next piece once the event has ended.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use support::{Backing, Browser, Reply, TestApp, jpeg, process, tenant_of};
use test_support::db_test;
use web::WebConfig;

/// A host's live event; returns (event id, join path).
async fn live_event(host: &Browser<'_>, settings: Value) -> (String, String) {
    let r = host
        .json(
            "POST",
            "/api/v1/events",
            Some(json!({
                "name": "Anna & Ben", "time_zone": "UTC",
                "starts_at": "2026-06-20T14:00", "ends_at": "2027-06-21T02:00",
                "settings": settings,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    let id = v["id"].as_str().expect("id").to_owned();
    let s = host
        .json(
            "POST",
            &format!("/api/v1/events/{id}/status"),
            Some(json!({"to": "live"})),
        )
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let url = v["join_url"].as_str().expect("url");
    (id, url[url.find("/j/").expect("join path")..].to_owned())
}

async fn join(guest: &Browser<'_>, link: &str, name: &str) -> Reply {
    guest.submit(link, link, &[("name", name)]).await
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

/// A refusal a person can read: a 4xx with the JSON envelope under /api/, else an HTML page
/// with its message. Returns the message (or the page).
#[track_caller]
fn refused(r: &Reply, what: &str) -> String {
    assert!(
        r.status.is_client_error(),
        "{what}: expected a 4xx, got {} {}",
        r.status,
        r.body
    );
    let ct = r
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if ct.starts_with("application/json") {
        let v = r.json();
        let code = v["error"]["code"].as_str().unwrap_or_default();
        let msg = v["error"]["message"].as_str().unwrap_or_default();
        assert!(!code.is_empty(), "{what}: no error code in {}", r.body);
        assert!(msg.len() > 10, "{what}: no message in {}", r.body);
        msg.to_owned()
    } else {
        assert!(ct.starts_with("text/html"), "{what}: {ct} {}", r.body);
        assert!(r.body.contains("<html"), "{what}: not a page: {}", r.body);
        r.body.clone()
    }
}

#[track_caller]
fn never_5xx(r: &Reply, what: &str) {
    assert!(
        !r.status.is_server_error(),
        "{what}: {} {}",
        r.status,
        r.body
    );
    if r.status.is_client_error() {
        refused(r, what);
    }
}

/// The API's own JSON envelope.
#[track_caller]
fn api_refused(r: &Reply, status: StatusCode, code: &str, what: &str) -> String {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert!(
        r.header("content-type").starts_with("application/json"),
        "{what}: {}",
        r.body
    );
    assert_eq!(r.json()["error"]["code"], code, "{what}: {}", r.body);
    refused(r, what)
}

fn with_host(uri: &str, host: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, host)
        .body(Body::empty())
        .expect("request")
}

db_test!(
    async fn filters_ids_and_queries_from_a_stranger_are_4xx_with_a_message(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.60");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, _) = live_event(&host, json!({})).await;

        // A year past any sum (+262142) or before PostgreSQL's (-262143) in the list filters:
        // read as the edge of the supported years, so the 2026 event is inside both bounds.
        for path in ["/app/events", "/api/v1/events"] {
            for q in ["to=%2B262142-12-31", "from=-262143-01-01", "from=-262143-01-01&to=%2B262142-12-31"] {
                let r = host.get(&format!("{path}?{q}")).await;
                assert_eq!(r.status, StatusCode::OK, "{path}?{q}: {}", r.body);
                assert!(r.body.contains("Anna &#38; Ben") || r.body.contains("Anna & Ben"), "{path}?{q}");
            }
            let r = host.get(&format!("{path}?from=%2B262142-01-01")).await;
            assert_eq!(r.status, StatusCode::OK);
            assert!(!r.body.contains("Anna &#38; Ben") && !r.body.contains("\"Anna & Ben\""), "nothing starts after 2100");
            // NUL and other control characters in the search or any filter: a 400 that says so.
            for q in ["q=%00", "q=Anna%00", "q=%1B%5B2J", "status=%00", "sort=live%00", "after=%00", "to=2026-01-01%00"] {
                let r = host.get(&format!("{path}?{q}")).await;
                let msg = refused(&r, &format!("{path}?{q}"));
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}?{q}");
                assert!(msg.contains("characters that are not allowed"), "{path}?{q}: {msg}");
            }
        }

        // Cursors crafted to carry a NUL or a time no database takes: read as no cursor, or
        // as the edge of the supported years.
        use base64::Engine;
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("2026-06-20T12:00:00+00:00|{event}|a\u{0}b"));
        for path in [format!("/app/events?after={cursor}"), format!("/api/v1/events?after={cursor}")] {
            let r = host.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        }
        for before in ["-8210266876800000000", "8210266876800000000", "9223372036854775807"] {
            let c = format!("{before}_{}", uuid::Uuid::nil());
            for path in [format!("/api/v1/events/{event}/photos?before={c}"), format!("/app/events/{event}/photos?before={c}")] {
                let r = host.get(&path).await;
                assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
            }
        }

        // The API answers bad parameters with its envelope, not axum's plain text.
        let msg = api_refused(&host.get("/api/v1/events?limit=abc").await, StatusCode::BAD_REQUEST, "bad_query", "limit=abc");
        assert!(msg.contains("limit"), "{msg}");
        api_refused(&host.get("/api/v1/events?limit=-1").await, StatusCode::BAD_REQUEST, "bad_query", "limit=-1");
        api_refused(&host.get(&format!("/api/v1/events/{event}/photos?limit=abc")).await, StatusCode::BAD_REQUEST, "bad_query", "photos limit");
        api_refused(&host.get(&format!("/api/v1/events/{event}/qr.png?size=abc")).await, StatusCode::BAD_REQUEST, "bad_query", "qr size");
        for id in ["%FF", "not-a-uuid", "%00", "00000000-0000-0000-0000-000000000000", "%E2%80%AE"] {
            for path in [
                format!("/api/v1/events/{id}"),
                format!("/api/v1/events/{id}/photos"),
                format!("/api/v1/events/{id}/qr.svg"),
                format!("/api/v1/photos/{id}"),
            ] {
                api_refused(&host.get(&path).await, StatusCode::NOT_FOUND, "not_found", &path);
            }
            for (method, path, body) in [
                ("PATCH", format!("/api/v1/events/{id}"), Some(json!({"name": "Party"}))),
                ("POST", format!("/api/v1/events/{id}/status"), Some(json!({"to": "ended"}))),
                ("POST", format!("/api/v1/events/{id}/join-link"), None),
            ] {
                let r = host.json(method, &path, body).await;
                api_refused(&r, StatusCode::NOT_FOUND, "not_found", &path);
            }
        }
        // Pages answer the same mistakes with an HTML page.
        for path in ["/app/events?limit=abc", "/app/events?limit=%00"] {
            let r = host.get(path).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
            refused(&r, path);
        }
        for id in ["%FF", "not-a-uuid", "%00"] {
            for path in [
                format!("/app/events/{id}"),
                format!("/app/events/{id}/edit"),
                format!("/app/events/{id}/photos"),
                format!("/app/events/{id}/qr.svg"),
                format!("/app/events/{event}/photos/{id}/delete"),
            ] {
                let r = host.get(&path).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
                refused(&r, &path);
            }
        }
    }
);

db_test!(
    async fn text_with_control_characters_and_far_years_are_refused_on_their_field(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.61");
        host.register("Ada Host", "Ada's Weddings").await;
        let base = json!({"name": "Party", "time_zone": "UTC", "starts_at": "2026-06-20T14:00", "ends_at": "2026-06-20T23:00"});
        let with = |k: &str, v: Value| {
            let mut b = base.clone();
            b[k] = v;
            b
        };
        let cases = [
            ("ends_at", with("ends_at", json!("+262142-12-31T23:00")), "between the years 2000 and 2100"),
            ("starts_at", with("starts_at", json!("-262143-01-01T00:00")), "between the years 2000 and 2100"),
            ("starts_at", with("starts_at", json!("1999-12-31T23:00")), "between the years 2000 and 2100"),
            ("name", with("name", json!("Par\u{0}ty")), "not allowed"),
            ("name", with("name", json!("Par\nty")), "not allowed"),
            ("venue", with("venue", json!("Hall\u{202E}A")), "not allowed"),
            ("description", with("description", json!("Bring\u{1b}[2J")), "not allowed"),
        ];
        for (field, body, message) in cases {
            let r = host.json("POST", "/api/v1/events", Some(body.clone())).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.body);
            let m = r.json()["error"]["fields"][field].as_str().unwrap_or_default().to_owned();
            assert!(m.contains(message), "{field}: {m} in {}", r.body);
        }
        let mut b = base.clone();
        b["settings"] = json!({"upload_closes_at": "+262142-01-01T00:00"});
        let r = host.json("POST", "/api/v1/events", Some(b)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.json()["error"]["fields"]["upload_closes_at"].as_str().unwrap_or_default().contains("2100"));
        // A multi-line description is fine.
        let r = host.json("POST", "/api/v1/events", Some(with("description", json!("Dinner at 7.\nDancing after.")))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        let r = host.json("PATCH", &format!("/api/v1/events/{id}"), Some(json!({"ends_at": "+262142-12-31T23:00"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

        // The page form says it on the field too.
        let r = host
            .submit("/app/events/new", "/app/events/new", &[
                ("name", "Party"), ("time_zone", "UTC"), ("starts_at", "2026-06-20T14:00"),
                ("ends_at", "+262142-12-31T23:00"), ("venue", "Hall\u{0}"), ("moderation", "publish"),
                ("guest_visibility", "everyone"), ("max_photos_per_guest", "10"), ("max_file_mb", "10"),
            ])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("Please choose a time between the years 2000 and 2100."), "{}", r.body);
        assert!(r.body.contains("This contains characters that are not allowed."));

        // Guests: a NUL in the name, the report reason, the gallery's and the ZIP's `who=`.
        let (event, link) = live_event(&host, json!({"guest_name_required": false})).await;
        let guest = app.browser("198.51.100.61");
        for bad in ["Le\u{0}na", "\u{202E}anel", "Lena\u{7}"] {
            let r = join(&guest, &link, bad).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {}", r.body);
            assert!(r.body.contains("This contains characters that are not allowed."), "{bad:?}");
        }
        assert_eq!(join(&guest, &link, "Lena").await.status, StatusCode::SEE_OTHER);
        let r = upload(&guest, &event, jpeg(640, 480, 3)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let photo = r.json()["id"].as_str().expect("id").to_owned();
        let tenant = tenant_of(&host).await;
        process(&app, tenant, &photo).await;
        let report = format!("/g/{event}/photos/{photo}/report");
        let r = guest.submit(&report, &report, &[("reason", "spam\u{0}")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(refused(&r, "report").contains("This contains characters that are not allowed."));
        let r = guest.submit(&report, &report, &[("reason", "Not from\nour party")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "a reason may have lines: {}", r.body);
        for path in [
            format!("/g/{event}/gallery?who=%00"),
            format!("/g/{event}/gallery?who=Lena%00"),
            format!("/g/{event}/download.zip?who=%00"),
            format!("/g/{event}/gallery?day=%00"),
            format!("/g/{event}?who=%00"),
        ] {
            let r = guest.get(&path).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
            assert!(refused(&r, &path).contains("characters that are not allowed"));
        }
        // Days and cursors beyond the supported years are read as its edges.
        for q in ["day=-262143-01-01", "day=%2B262142-12-31", "before=0_-8210266876800000000_00000000-0000-0000-0000-000000000000"] {
            let r = guest.get(&format!("/g/{event}/gallery?{q}")).await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
            let r = guest.get(&format!("/g/{event}/download.zip?{q}")).await;
            assert_eq!(r.status, StatusCode::OK, "zip {q}: {}", r.body);
        }
        // Without the NUL the same filters work.
        assert_eq!(guest.get(&format!("/g/{event}/gallery?who=Lena")).await.status, StatusCode::OK);
        // Accounts: a NUL in a name is refused on the field.
        let r = host.submit("/account", "/account/name", &[("name", "Ada\u{0}")]).await;
        never_5xx(&r, "account name");
        assert!(r.status.is_client_error(), "{}", r.body);
    }
);

db_test!(
    async fn an_absurd_host_header_is_a_400_and_a_long_valid_one_still_gets_its_qr_code(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.62");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, _) = live_event(&host, json!({})).await;
        let get = |uri: &str, h: &str| host.request(with_host(uri, h));
        let long = "a".repeat(3000);
        let spaced = "photos example.com";
        for bad in [long.as_str(), spaced, "example.com/../x", "example.com:99999", "evil.example@good"] {
            for uri in [format!("/app/events/{event}"), format!("/app/events/{event}/qr.svg"), format!("/app/events/{event}/poster")] {
                let r = get(&uri, bad).await;
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri} Host {bad:.20}: {}", r.body);
                assert!(refused(&r, &uri).contains("not a valid address"));
            }
            let r = get(&format!("/api/v1/events/{event}"), bad).await;
            let msg = api_refused(&r, StatusCode::BAD_REQUEST, "bad_host", "api with a bad host");
            assert!(msg.contains("not a valid address"));
        }
        // The longest host name there can be (253 characters) and a port: the page, its QR
        // code and the poster all work, and the link is built from it.
        let label = "a".repeat(63);
        let longest = format!("{label}.{label}.{label}.{}.example:8443", "b".repeat(53));
        assert!(longest.len() > 253);
        for uri in [format!("/app/events/{event}"), format!("/app/events/{event}/qr.svg"), format!("/app/events/{event}/qr-512.png"), format!("/app/events/{event}/poster")] {
            let r = get(&uri, &longest).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        }
        let r = get(&format!("/api/v1/events/{event}"), &longest).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.json()["join_url"].as_str().expect("url").starts_with(&format!("http://{longest}/j/")));
        for ok in ["[::1]:8080", "127.0.0.1", "localhost"] {
            assert_eq!(get(&format!("/app/events/{event}"), ok).await.status, StatusCode::OK, "{ok}");
        }
    }
);

/// Every (method, path) the router declares, read from its source: each `.route("path", …)`
/// call and the `get(`/`post(`/`patch(`/`put(`/`delete(` method routers inside it.
fn router_routes() -> Vec<(String, String)> {
    let sources = [
        include_str!("../src/lib.rs"),
        include_str!("../src/api/mod.rs"),
    ];
    let mut routes = Vec::new();
    for source in sources {
        for call in source.split(".route(").skip(1) {
            let call = call.trim_start();
            let Some(rest) = call.strip_prefix('"') else {
                continue;
            };
            let path = &rest[..rest.find('"').expect("a closing quote")];
            // The method routers come before the next top-level call of the builder chain.
            let end = [rest.find("\n        ."), rest.find("\n}")]
                .into_iter()
                .flatten()
                .min();
            let body = &rest[..end.unwrap_or(rest.len())];
            for method in ["get", "post", "patch", "put", "delete"] {
                let called = body.match_indices(&format!("{method}(")).any(|(i, _)| {
                    !body[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                });
                if called {
                    routes.push((method.to_uppercase(), path.replace("{*key}", "{key}")));
                }
            }
        }
    }
    routes
}

/// Real values for a route's parameters: `{id}` is the photo under `/g/` and
/// `/api/v1/photos/`, the event elsewhere.
fn params<'a>(
    route: &str,
    event: &'a str,
    photo: &'a str,
    link: &'a str,
) -> Vec<(&'static str, &'a str)> {
    let id = if route.starts_with("/g/") || route.starts_with("/api/v1/photos/") {
        photo
    } else {
        event
    };
    let token = link.trim_start_matches("/j/");
    vec![
        ("{id}", id),
        ("{event}", event),
        ("{photo}", photo),
        ("{guest}", photo),
        ("{file}", "qr.svg"),
        ("{key}", "x/y.webp"),
        ("{token}", token),
        ("{action}", "approve"),
        // A real id that is no wall: the bad values below replace it in turn.
        ("{wall}", photo),
    ]
    .into_iter()
    .filter(|(p, _)| route.contains(p))
    .collect()
}

db_test!(
    async fn every_route_given_nul_far_years_and_bad_ids_never_answers_500(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.63");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.63");
        assert_eq!(join(&guest, &link, "Lena").await.status, StatusCode::SEE_OTHER);
        let r = upload(&guest, &event, jpeg(640, 480, 9)).await;
        let photo = r.json()["id"].as_str().expect("id").to_owned();
        process(&app, tenant_of(&host).await, &photo).await;
        let stranger = app.browser("192.0.2.63");

        // Every route of the router, read from its source (crates/web/src/lib.rs and
        // api/mod.rs), so a route added later is covered without editing this list.
        let routes = router_routes();
        for known in [("GET", "/g/{event}/photos/{id}/view"), ("POST", "/app/events/{id}/photos/bulk"), ("PATCH", "/api/v1/events/{id}")] {
            assert!(routes.iter().any(|(m, p)| (m.as_str(), p.as_str()) == known), "{known:?} in {routes:?}");
        }
        assert!(routes.len() >= 60, "only {} routes read from the router", routes.len());
        let bad_params = ["%00", "%FF", "not-a-uuid", "%2B262142-12-31"];
        let query = "?q=%00&who=%00&day=%00&from=-262143-01-01&to=%2B262142-12-31&status=%00&sort=%00\
                     &after=%00&limit=abc&size=%00&next=%00&e=%00&s=%00&photo=%00&edit=%00\
                     &code=%00&design=%00&before=%00&caption=%00&since=%00";
        let fields: &[(&str, &str)] = &[
            ("name", "N\u{0}"), ("email", "a\u{0}@example.com"), ("password", "x\u{0}"),
            ("org_name", "O\u{0}"), ("reason", "r\u{0}"), ("to", "ended\u{0}"),
            ("starts_at", "+262142-12-31T23:00"), ("ends_at", "-262143-01-01T00:00"),
            ("venue", "\u{0}"), ("description", "\u{0}"), ("time_zone", "UTC\u{0}"),
            ("kind", "\u{0}"), ("action", "\u{0}"), ("photo", "\u{0}"), ("current_password", "\u{0}"),
                        ("new_password", "\u{0}"), ("on", "\u{0}"), ("off", "+262142"), ("back", "\u{0}"),
            ("hold_seconds", "+262142"), ("slide_seconds", "\u{0}"), ("layout", "\u{0}"),
        ];
        let report = format!("/g/{event}/photos/{photo}/report");
        // Real form tokens, taken before anything is deleted, so the forms reach their handlers.
        let mut tokens = Vec::new();
        for (who, form_page) in [(&host, "/app/events/new"), (&guest, report.as_str()), (&stranger, "/login")] {
            let page = who.get(form_page).await;
            let token = page
                .input_value("csrf_token")
                .unwrap_or_else(|| panic!("a form token on {form_page}: {} {}", page.status, page.body));
            tokens.push((who, token));
        }
        for (who, token) in &tokens {
            let mut with_token = vec![("csrf_token", token.as_str())];
            with_token.extend_from_slice(fields);
            let fields = with_token.as_slice();
            for (method, route) in &routes {
                let (method, route) = (method.as_str(), route.as_str());
                if matches!(route, "/logout" | "/account/sessions/logout-others") {
                    continue; // would end the session the rest of the loop uses
                }
                for bad in bad_params {
                    // Each parameter bad in turn, the others real.
                    let ids = params(route, &event, &photo, &link);
                    for &(target, _) in &ids {
                        if !route.contains(target) {
                            continue;
                        }
                        let mut path = route.to_string();
                        for &(p, real) in &ids {
                            path = path.replace(p, if p == target { bad } else { real });
                        }
                        let r = match method {
                            "GET" => who.get(&path).await,
                            "POST" if path.starts_with("/api/") => who.json("POST", &path, Some(json!({"name": "N\u{0}", "to": "x\u{0}"}))).await,
                            "POST" => who.post(&path, fields).await,
                            m => who.json(m, &path, Some(json!({"name": "N\u{0}"}))).await,
                        };
                        never_5xx(&r, &format!("{method} {path}"));
                    }
                }
                // The real parameters, with every filter bad.
                let mut path = route.to_owned();
                for (p, real) in params(route, &event, &photo, &link) {
                    path = path.replace(p, real);
                }
                let r = match method {
                    "GET" => who.get(&format!("{path}{query}")).await,
                    "POST" if path.starts_with("/api/") => {
                        who.json("POST", &format!("{path}{query}"), Some(json!({"name": "N\u{0}", "ends_at": "+262142-12-31T23:00", "to": "x\u{0}"}))).await
                    }
                    "POST" => who.post(&format!("{path}{query}"), fields).await,
                    m => who.json(m, &format!("{path}{query}"), Some(json!({"ends_at": "-262143-01-01T00:00"}))).await,
                };
                never_5xx(&r, &format!("{method} {path}{query}"));
            }
        }
    }
);

db_test!(
    async fn an_event_row_ending_in_year_262142_does_not_panic_anything(tdb) {
        use store::EventRepo;
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.64");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({})).await;
        // A row saved before event times were bounded: written past the service's checks.
        let tenant = tenant_of(&host).await;
        let services = &app.state.services;
        let id: domain::EventId = event.parse().expect("id");
        let ctx = services.system_ctx(tenant);
        let mut e = service::events::get_event(services, &ctx, id).await.expect("event");
        e.ends_at = "+262142-12-31T23:00:00Z".parse().expect("a far time");
        let mut tx = services.db.begin(store::Scope::Tenant(tenant)).await.expect("tx");
        tx.update_event(tenant, &e).await.expect("stored");
        tx.commit().await.expect("commit");

        let guest = app.browser("198.51.100.64");
        let r = join(&guest, &link, "Lena").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let cookie = r.header("set-cookie").to_owned();
        let age: u64 = cookie
            .split("Max-Age=")
            .nth(1)
            .and_then(|s| s.split(';').next())
            .and_then(|s| s.parse().ok())
            .expect("a max age");
        assert!(age <= 400 * 86_400, "browsers keep cookies 400 days at most: {age}");
        assert_eq!(guest.get(&format!("/g/{event}")).await.status, StatusCode::OK);
        for path in [format!("/app/events/{event}"), "/app/events".to_owned(), format!("/api/v1/events/{event}"), "/app".to_owned()] {
            let r = host.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        }
    }
);

db_test!(
    async fn private_answers_say_no_store_and_public_files_stay_cacheable(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.65");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.65");
        join(&guest, &link, "Lena").await;
        let r = upload(&guest, &event, jpeg(640, 480, 5)).await;
        let photo = r.json()["id"].as_str().expect("id").to_owned();
        process(&app, tenant_of(&host).await, &photo).await;

        let r = host.get(&format!("/api/v1/events/{event}")).await;
        assert!(r.json()["join_url"].is_string(), "the secret link is in here");
        assert_eq!(r.header("cache-control"), "no-store");
        for path in ["/app", "/app/events", "/account", "/api/v1/me", "/api/v1/events"] {
            assert_eq!(host.get(path).await.header("cache-control"), "no-store", "{path}");
        }
        for path in [format!("/app/events/{event}"), format!("/app/events/{event}/photos"), format!("/api/v1/events/{event}/photos"), format!("/app/events/{event}/qr.svg")] {
            let r = host.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert!(r.header("cache-control").contains("no-store"), "{path}: {}", r.header("cache-control"));
        }
        for path in [format!("/g/{event}"), format!("/g/{event}/gallery"), format!("/g/{event}/photos/{photo}"), link.clone()] {
            let r = guest.get(&path).await;
            assert!(r.header("cache-control").contains("no-store"), "{path}: {}", r.header("cache-control"));
        }
        // Redirects and error pages too.
        assert_eq!(app.browser("192.0.2.65").get("/app").await.header("cache-control"), "no-store");

        // Hashed assets and renditions keep their long public caching.
        let css = web::assets::url("app.css");
        assert_eq!(app.get(&css).await.header("cache-control"), "public, max-age=31536000, immutable");
        let status = guest.get(&format!("/g/{event}/photos/{photo}")).await.json();
        let rendition = status["renditions"][0]["url"].as_str().expect("a rendition url");
        let r = guest.get(rendition).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("cache-control"), "public, max-age=31536000, immutable");
    }
);

db_test!(
    async fn over_https_the_guest_cookie_has_the_host_prefix(tdb) {
        let config = WebConfig {
            public_url: Some("https://photos.example.com".into()),
            ..WebConfig::default()
        };
        let app = TestApp::with_config(&tdb, Backing::Local, config).await;
        let host = app.browser("203.0.113.66");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.66");
        let r = join(&guest, &link, "Lena").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let id: domain::EventId = event.parse().expect("id");
        let name = format!("__Host-mq_g_{}", id.as_uuid().simple());
        let cookie = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("text").to_owned())
            .find(|c| c.starts_with("__Host-mq_g_"))
            .expect("a __Host- guest cookie");
        assert!(cookie.starts_with(&format!("{name}=")), "{cookie}");
        for attr in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        assert!(!cookie.contains("Domain"), "{cookie}");
        // The guest is known by that cookie, and not by the unprefixed one.
        assert!(guest.get(&format!("/g/{event}")).await.body.contains("Hello, Lena!"));
        let value = guest.cookie(&name).expect("in the jar");
        let other = app.browser("198.51.100.67");
        other.set_cookie(&format!("mq_g_{}", id.as_uuid().simple()), &value);
        assert!(!other.get(&format!("/g/{event}")).await.body.contains("Hello, Lena!"));
    }
);

db_test!(
    async fn a_resumable_upload_is_refused_at_the_next_piece_once_uploads_closed(tdb) {
        use domain::time::{Clock, ManualClock};
        let mut app = TestApp::new(&tdb, Backing::Local).await;
        let clock = std::sync::Arc::new(ManualClock::new(domain::time::now()));
        app.state.services = std::sync::Arc::new(service::Services::clone(&app.state.services).with_clock(clock.clone()));
        let host = app.browser("203.0.113.68");
        host.register("Ada Host", "Ada's Weddings").await;
        // Uploads close in an hour.
        let closes = (chrono::Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M").to_string();
        let (event, link) = live_event(&host, json!({"upload_closes_at": closes})).await;
        let guest = app.browser("198.51.100.68");
        join(&guest, &link, "Lena").await;
        let photo = jpeg(1200, 900, 77);
        let start = Request::post(format!("/g/{event}/uploads"))
            .header("upload-length", photo.len().to_string())
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, "http://localhost")
            .body(Body::empty())
            .expect("request");
        let r = guest.request(start).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let url = r.header("location").to_owned();
        let patch = |offset: usize, bytes: Vec<u8>| {
            Request::patch(&url)
                .header("upload-offset", offset.to_string())
                .header(header::CONTENT_TYPE, "application/offset+octet-stream")
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(bytes))
                .expect("request")
        };
        let third = photo.len() / 3;
        let r = guest.request(patch(0, photo[..third].to_vec())).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);

        // The services' clock moves past the close: the next piece is refused at once, with
        // the reason a new upload gets, and nothing more is written.
        let closed_at = chrono::DateTime::parse_from_str(&format!("{closes}:00 +0000"), "%Y-%m-%dT%H:%M:%S %z")
            .expect("close time")
            .with_timezone(&chrono::Utc);
        let r = guest.request(patch(third, photo[third..2 * third].to_vec())).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "taken before the close: {}", r.body);
        clock.advance(chrono::Duration::hours(2));
        assert!(clock.now() > closed_at);
        let r = guest.request(patch(2 * third, photo[2 * third..].to_vec())).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "uploads_closed");
        assert!(r.json()["error"]["message"].as_str().expect("m").contains("closed"), "{}", r.body);
        let status = guest.get(&url).await;
        assert_eq!(status.header("upload-offset"), (2 * third).to_string(), "the refused piece was not written");
        clock.advance(chrono::Duration::hours(-2));

        // Through HTTP: the host ends the event; the very next piece is refused with the same
        // message a new upload gets, not taken in and refused at the last one.
        let r = host.json("POST", &format!("/api/v1/events/{event}/status"), Some(json!({"to": "ended"}))).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = guest.request(patch(2 * third, photo[2 * third..2 * third + 10].to_vec())).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "uploads_closed");
        let fresh = upload(&guest, &event, jpeg(320, 240, 78)).await;
        assert_eq!(fresh.status, StatusCode::CONFLICT);
        assert_eq!(r.json()["error"]["message"], fresh.json()["error"]["message"]);
        assert!(r.json()["error"]["message"].as_str().expect("m").contains("This event has ended"));
        let status = guest.get(&url).await;
        assert_eq!(status.header("upload-offset"), (2 * third).to_string(), "the refused piece was not written");
    }
);
