//! Accounts through the real router: sign-up, login, logout, the account page, sessions, CSRF,
//! rate limits, lockout, return paths, and tenant isolation. Every test runs on SQLite and
//! PostgreSQL, and with sessions and limits both in-process/database and in Redis.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use support::{BACKINGS, Backing, STRONG_PASSWORD, TestApp};
use test_support::db_test;

const SESSION: &str = "mq_session";

db_test!(
    async fn sign_up_logs_in_and_shows_the_dashboard(tdb) {
        for backing in BACKINGS {
            let app = TestApp::new(&tdb, backing).await;
            let b = app.browser("203.0.113.1");
            let page = b.get("/register").await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains("<label for=\"f-email\">Email</label>"));
            let email = b.register("Ada Host", "Ada's Weddings").await;
            assert!(b.cookie(SESSION).is_some(), "{backing:?}: logged in");

            let dash = b.get("/app").await;
            assert_eq!(dash.status, StatusCode::OK, "{backing:?}");
            assert!(dash.body.contains("Welcome, Ada Host"));
            assert!(dash.body.contains("Ada&#39;s Weddings"), "escaped org name");
            assert!(dash.body.contains("No events yet"));

            let me = b.get("/api/v1/me").await;
            assert_eq!(me.status, StatusCode::OK);
            let v = me.json();
            assert_eq!(v["user"]["email"], email);
            assert_eq!(v["organization"]["name"], "Ada's Weddings");
            assert_eq!(v["role"], "owner");

            // Signed in: the forms send you on.
            assert_eq!(b.get("/register").await.status, StatusCode::SEE_OTHER);
            assert_eq!(b.get("/login").await.location(), "/app");
        }
    }
);

db_test!(
    async fn forms_keep_what_was_typed_and_say_what_is_wrong_on_each_field(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.2");
        let r = b
            .submit(
                "/register",
                "/register",
                &[
                    ("name", "  "),
                    ("email", "not-an-email"),
                    ("password", "password1"),
                    ("org_name", "Smith Family"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-name\">Please fill this in."), "{}", r.body);
        assert!(r.body.contains("id=\"e-email\">That does not look like an email address"));
        assert!(r.body.contains("id=\"e-password\">This password is too common"));
        assert!(!r.body.contains("e-org_name"), "a good field has no message");
        assert_eq!(r.input_value("email").as_deref(), Some("not-an-email"));
        assert_eq!(r.input_value("org_name").as_deref(), Some("Smith Family"));
        assert_eq!(r.input_value("password").as_deref(), Some(""), "never the password");
        assert!(r.body.contains("aria-invalid=\"true\""));
        assert!(b.cookie(SESSION).is_none());

        // The same email twice, in another case: refused on the email field.
        let email = b.register("First", "First Org").await;
        let other = app.browser("203.0.113.3");
        let upper = email.to_uppercase();
        let r = other
            .submit(
                "/register",
                "/register",
                &[
                    ("name", "Second"),
                    ("email", &upper),
                    ("password", STRONG_PASSWORD),
                    ("org_name", "Second Org"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-email\">An account with this email already exists"));
    }
);

db_test!(
    async fn logout_ends_the_session_and_login_starts_a_new_one(tdb) {
        for backing in BACKINGS {
            let app = TestApp::new(&tdb, backing).await;
            let b = app.browser("203.0.113.4");
            let email = b.register("Bea", "Bea Events").await;
            let first = b.cookie(SESSION).expect("session cookie");

            let out = b.submit("/app", "/logout", &[]).await;
            assert_eq!(out.status, StatusCode::SEE_OTHER);
            assert_eq!(out.location(), "/login?bye=1");
            assert!(b.cookie(SESSION).is_none(), "cookie cleared");
            // The old cookie is dead on the server too, not only forgotten by the browser.
            let thief = app.browser("198.51.100.9");
            thief.set_cookie(SESSION, &first);
            let r = thief.get("/app").await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{backing:?}");
            assert!(r.location().starts_with("/login"));
            assert!(b.get("/login?bye=1").await.body.contains("You are logged out"));

            let wrong = b.login(&email, "not-my-password-9").await;
            assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
            assert!(wrong.body.contains("That email and password do not match"));
            assert_eq!(wrong.input_value("email").as_deref(), Some(email.as_str()));

            let ok = b.login(&email, STRONG_PASSWORD).await;
            assert_eq!(ok.status, StatusCode::SEE_OTHER);
            assert_eq!(ok.location(), "/app");
            let second = b.cookie(SESSION).expect("new session");
            assert_ne!(first, second);
            assert_eq!(b.get("/app").await.status, StatusCode::OK);
        }
    }
);

db_test!(
    async fn login_replaces_a_planted_session_id(tdb) {
        for backing in BACKINGS {
            let app = TestApp::new(&tdb, backing).await;
            // An attacker's own valid session, planted in the victim's browser.
            let attacker = app.browser("198.51.100.1");
            attacker.register("Mallory", "Mallory Inc").await;
            let planted = attacker.cookie(SESSION).expect("attacker session");

            let setup = app.browser("203.0.113.5");
            let email = setup.register("Victim", "Victim Org").await;

            let victim = app.browser("203.0.113.6");
            victim.set_cookie(SESSION, &planted);
            let r = victim.login_from_planted(&email).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{backing:?}: {}", r.body);
            let now = victim.cookie(SESSION).expect("a session");
            assert_ne!(now, planted, "a fresh id at login");
            let me = victim.get("/api/v1/me").await.json();
            assert_eq!(me["user"]["email"], email);
        }
    }
);

trait PlantedLogin {
    async fn login_from_planted(&self, email: &str) -> support::Reply;
}

impl PlantedLogin for support::Browser<'_> {
    /// With a planted session the login form redirects, so post with that session's token
    /// read from the dashboard (what the attacker's page would hold).
    async fn login_from_planted(&self, email: &str) -> support::Reply {
        self.submit(
            "/app",
            "/login",
            &[("email", email), ("password", STRONG_PASSWORD)],
        )
        .await
    }
}

db_test!(
    async fn state_changing_requests_need_the_form_token_and_our_origin(tdb) {
        for backing in BACKINGS {
            let app = TestApp::new(&tdb, backing).await;
            let b = app.browser("203.0.113.7");
            b.register("Cy", "Cy Org").await;

            // No token.
            let r = b.post("/account/name", &[("name", "Hacked")]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{backing:?}");
            assert!(r.header("content-type").starts_with("text/html"));
            assert!(r.body.contains("This form has expired or was sent from another site"));
            // A wrong token.
            let r = b
                .post("/account/name", &[("csrf_token", "x".repeat(43).as_str()), ("name", "Hacked")])
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
            // Another visitor's (anonymous) token is no good for a session either.
            let anon = app.browser("203.0.113.8");
            let their = anon.get("/login").await.input_value("csrf_token").expect("token");
            let r = b
                .post("/account/name", &[("csrf_token", their.as_str()), ("name", "Hacked")])
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);

            // The right token, but the browser says the request comes from another site.
            let token = b.get("/account").await.input_value("csrf_token").expect("token");
            for (h, v) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
                let body = format!("csrf_token={token}&name=Hacked");
                let mut req = Request::post("/account/name")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::HOST, "localhost")
                    .body(Body::from(body))
                    .expect("request");
                req.headers_mut().insert(h, v.parse().expect("value"));
                let r = b.request(req).await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{h}: {v}");
            }
            let me = b.get("/api/v1/me").await.json();
            assert_eq!(me["user"]["name"], "Cy", "nothing changed");

            // And with everything right, it works.
            let r = b.submit("/account", "/account/name", &[("name", "Cy Renamed")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert_eq!(b.get("/api/v1/me").await.json()["user"]["name"], "Cy Renamed");

            // Logged-out forms are protected too (by the visitor's CSRF cookie).
            let visitor = app.browser("203.0.113.9");
            visitor.get("/login").await;
            let r = visitor
                .post("/login", &[("email", "a@example.com"), ("password", "x")])
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
        }
    }
);

db_test!(
    async fn pages_need_a_session_and_return_only_inside_the_site(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.10");
        let r = b.get("/account?tab=x").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/login?next=%2Faccount%3Ftab%3Dx");
        let api = b.get("/api/v1/me").await;
        assert_eq!(api.status, StatusCode::UNAUTHORIZED);
        assert_eq!(api.json()["error"]["code"], "unauthorized");

        let email = app.browser("203.0.113.11").register("Dee", "Dee Org").await;
        // The login form carries the return path through, and honours only local ones.
        let form = b.get("/login?next=%2Faccount").await;
        assert_eq!(form.input_value("next").as_deref(), Some("/account"));
        for (next, expected) in [
            ("/account", "/account"),
            ("//evil.example/x", "/app"),
            ("https://evil.example", "/app"),
            ("/\\evil.example", "/app"),
        ] {
            let b = app.browser("203.0.113.12");
            let r = b
                .submit(
                    "/login",
                    "/login",
                    &[("email", &email), ("password", STRONG_PASSWORD), ("next", next)],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert_eq!(r.location(), expected, "next={next}");
        }
    }
);

db_test!(
    async fn too_many_logins_get_429_with_retry_after(tdb) {
        for backing in BACKINGS {
            let app = TestApp::new(&tdb, backing).await;
            let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
            // Per email: 10 attempts in 10 minutes, from any address.
            for i in 0..10 {
                let b = app.browser(&format!("192.0.2.{}", i + 1));
                let r = b.login(&email, "wrong-password-1").await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
            }
            let b = app.browser("192.0.2.99");
            let r = b.login(&email, "wrong-password-1").await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{backing:?}");
            let secs: u64 = r.header("retry-after").parse().expect("seconds");
            assert!((1..=600).contains(&secs), "{secs}");
            assert!(r.body.contains("Slow down a little"), "a friendly page");

            // Per address: 30 attempts, whatever the email.
            let ip = app.browser("192.0.2.200");
            for i in 0..30 {
                let r = ip.login(&format!("x{i}@example.com"), "wrong-password-1").await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
            }
            let r = ip.login("another@example.com", "wrong-password-1").await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);

            // The API gets the JSON envelope for the same status.
            let api = app.get("/api/v1/me").await;
            assert_eq!(api.status, StatusCode::UNAUTHORIZED);
        }
    }
);

db_test!(
    async fn repeated_failures_lock_the_account_and_say_until_when(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let email = app.browser("203.0.113.20").register("Eve", "Eve Org").await;
        let b = app.browser("203.0.113.21");
        for _ in 0..4 {
            assert_eq!(b.login(&email, "wrong-password-1").await.status, StatusCode::UNAUTHORIZED);
        }
        let locked = b.login(&email, "wrong-password-1").await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(locked.body.contains("you can try again in 30 seconds"), "{}", locked.body);
        assert_eq!(locked.header("retry-after"), "30");
        // Even the right password waits.
        let r = b.login(&email, STRONG_PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(b.cookie(SESSION).is_none());
    }
);

db_test!(
    async fn the_account_page_changes_name_and_password_and_lists_sessions(tdb) {
        for backing in BACKINGS {
            let app = TestApp::new(&tdb, backing).await;
            let laptop = app.browser("203.0.113.30");
            let email = laptop.register("Finn", "Finn Org").await;
            let phone = app.browser("203.0.113.31");
            assert_eq!(phone.login(&email, STRONG_PASSWORD).await.status, StatusCode::SEE_OTHER);

            let page = laptop.get("/account").await;
            assert_eq!(page.status, StatusCode::OK);
            assert_eq!(page.body.matches("<li>").count(), 2, "two sessions listed");
            assert!(page.body.contains("this device"));

            // A wrong current password: a message on that field, nothing changes.
            let r = laptop
                .submit(
                    "/account",
                    "/account/password",
                    &[
                        ("current_password", "wrong-password-1"),
                        ("new_password", "harbour-violet-77"),
                        ("confirm_password", "harbour-violet-77"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r.body.contains("id=\"e-current_password\">That is not your current password."));
            let r = laptop
                .submit(
                    "/account",
                    "/account/password",
                    &[
                        ("current_password", STRONG_PASSWORD),
                        ("new_password", "harbour-violet-77"),
                        ("confirm_password", "harbour-violet-78"),
                    ],
                )
                .await;
            assert!(r.body.contains("id=\"e-confirm_password\">The two new passwords are not the same."));

            let r = laptop
                .submit(
                    "/account",
                    "/account/password",
                    &[
                        ("current_password", STRONG_PASSWORD),
                        ("new_password", "harbour-violet-77"),
                        ("confirm_password", "harbour-violet-77"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{backing:?}: {}", r.body);
            let done = laptop.get(r.location()).await;
            assert!(done.body.contains("Other sessions logged out: 1."), "{}", done.body);
            assert_eq!(laptop.get("/app").await.status, StatusCode::OK, "this one stays");
            assert_eq!(phone.get("/app").await.status, StatusCode::SEE_OTHER, "the phone is out");

            let other = app.browser("203.0.113.32");
            assert_eq!(other.login(&email, STRONG_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
            assert_eq!(other.login(&email, "harbour-violet-77").await.status, StatusCode::SEE_OTHER);

            // Log out other sessions.
            let r = laptop.submit("/account", "/account/sessions/logout-others", &[]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert_eq!(other.get("/app").await.status, StatusCode::SEE_OTHER);
            assert_eq!(laptop.get("/app").await.status, StatusCode::OK);

            // Rename.
            let r = laptop.submit("/account", "/account/name", &[("name", "")]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r.body.contains("id=\"e-name\">Please fill this in."));
            let r = laptop.submit("/account", "/account/name", &[("name", "Finnegan")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert!(laptop.get("/app").await.body.contains("Welcome, Finnegan"));
        }
    }
);

db_test!(
    async fn each_member_sees_only_their_own_organization(tdb) {
        for backing in BACKINGS {
            let app = TestApp::new(&tdb, backing).await;
            let a = app.browser("203.0.113.40");
            a.register("Alma", "Alpha Org").await;
            let b = app.browser("203.0.113.41");
            b.register("Bruno", "Beta Org").await;

            let me_a = a.get("/api/v1/me").await.json();
            let me_b = b.get("/api/v1/me").await.json();
            assert_eq!(me_a["organization"]["name"], "Alpha Org");
            assert_eq!(me_b["organization"]["name"], "Beta Org");
            assert_ne!(me_a["organization"]["id"], me_b["organization"]["id"]);
            let dash_a = a.get("/app").await.body;
            assert!(dash_a.contains("Alpha Org") && !dash_a.contains("Beta Org"));
            let account_b = b.get("/account").await.body;
            assert!(!account_b.contains("Alma") && !account_b.contains("Alpha"));
            assert_eq!(account_b.matches("<li>").count(), 1, "only B's own session");
        }
    }
);

db_test!(
    async fn security_headers_are_on_pages_and_on_errors(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.50");
        for (uri, status) in [
            ("/login", StatusCode::OK),
            ("/register", StatusCode::OK),
            ("/nope", StatusCode::NOT_FOUND),
            ("/api/v1/me", StatusCode::UNAUTHORIZED),
        ] {
            let r = b.get(uri).await;
            assert_eq!(r.status, status, "{uri}");
            let csp = r.header("content-security-policy");
            assert!(csp.contains("script-src 'nonce-"), "{uri}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"));
            assert!(!csp.contains("unsafe-inline"));
            assert_eq!(r.header("x-content-type-options"), "nosniff");
            assert!(!r.header("referrer-policy").is_empty());
            assert!(!r.header("permissions-policy").is_empty());
        }
        let forbidden = b.post("/logout", &[]).await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
        assert!(forbidden.headers.get("content-security-policy").is_some());
        // Pages carry no inline style or script attributes (the CSP would block them).
        for uri in ["/", "/login", "/register"] {
            let body = app.get(uri).await.body;
            assert!(!body.contains(" style=\""), "{uri}");
            assert!(!body.contains(" onclick="), "{uri}");
        }
    }
);

db_test!(
    async fn cookies_are_secure_and_host_prefixed_behind_https(tdb) {
        let config = web::WebConfig {
            public_url: Some("https://photos.example.com".into()),
            client_ip_header: None,
            media_origin: None,
        };
        let app = TestApp::with_config(&tdb, Backing::Local, config).await;
        let r = app.get("/login").await;
        let set = r.header("set-cookie");
        assert!(set.starts_with("__Host-mq_csrf="), "{set}");
        for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(set.contains(attr), "{set}");
        }
        assert!(r.header("strict-transport-security").contains("max-age="));
    }
);

db_test!(
    async fn a_failure_inside_shows_a_500_page_with_a_reference_and_no_internals(tdb) {
        // Sessions in Redis, so the session is found and the database fails after it.
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let b = app.browser("203.0.113.60");
        b.register("Gus", "Gus Org").await;
        app.state.services.db.close().await;

        let page = b.get("/app").await;
        assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(page.body.contains("Something went wrong on our side"));
        let id = page.header("x-request-id").to_owned();
        assert!(page.body.contains(&id), "the page shows the reference");
        for internal in ["pool", "closed", "sqlx", "Sqlx", "database"] {
            assert!(!page.body.contains(internal), "leaks {internal:?}");
        }
        let api = b.get("/api/v1/me").await;
        assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(api.json()["error"]["code"], "internal");

        // Sessions in the database: the session store itself is down → 503, said plainly.
        let local = TestApp::new(&tdb, Backing::Local).await;
        let c = local.browser("203.0.113.61");
        c.register("Hal", "Hal Org").await;
        local.state.services.db.close().await;
        let r = c.get("/app").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.body.contains("not available right now"), "{}", r.body);
    }
);
