//! Two-factor sign-in through the real router, as a person does it: set up from the account
//! page by scanning the QR code (decoded here) and typing a code computed from it; log in with
//! a code and with a recovery code; codes never accepted twice; wrong codes lock the account
//! like wrong passwords; an owner requires it of everyone; an admin resets a member's after a
//! lost phone; and none of it reaches another organization, a lower role, a guest or nobody.
//! SQLite and PostgreSQL.

mod support;

use axum::http::StatusCode;
use domain::Role;
use service::totp;
use support::{Backing, Browser, Reply, STRONG_PASSWORD, TestApp, member_with_role, tenant_of};
use test_support::db_test;

/// Decodes the QR code in the page's SVG (a path of 1×1 squares) as a phone's camera would.
fn scanned_uri(page: &str) -> String {
    let qr_at = page
        .find("class=\"totp-qr\"")
        .expect("the page shows a QR code");
    let svg_at = qr_at + page[qr_at..].find("<svg").expect("an SVG");
    let svg = &page[svg_at..svg_at + page[svg_at..].find("</svg>").expect("svg end")];
    let side: usize = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a viewBox");
    let d = svg
        .split(" d=\"")
        .nth(1)
        .expect("a path")
        .split('"')
        .next()
        .expect("path data");
    let scale = 8;
    let mut img = image::GrayImage::from_pixel(
        (side * scale) as u32,
        (side * scale) as u32,
        image::Luma([255]),
    );
    for square in d.split('M').filter(|s| !s.is_empty()) {
        let xy = square.split('h').next().expect("x y");
        let (x, y) = xy.split_once(' ').expect("x y");
        let (x, y): (usize, usize) = (x.parse().expect("x"), y.parse().expect("y"));
        for dx in 0..scale {
            for dy in 0..scale {
                img.put_pixel(
                    (x * scale + dx) as u32,
                    (y * scale + dy) as u32,
                    image::Luma([0]),
                );
            }
        }
    }
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("it decodes").1
}

/// The secret an authenticator app takes from the scanned URI.
fn secret_of(uri: &str) -> Vec<u8> {
    let b32 = uri
        .split("secret=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("a secret in the URI");
    data_encoding::BASE32_NOPAD
        .decode(b32.as_bytes())
        .expect("RFC 4648 base32")
}

/// What the app shows `steps_ahead` time steps from now (the next one, so a code is never the
/// one just used).
fn app_code(secret: &[u8], steps_ahead: i64) -> String {
    let now = domain::time::now().timestamp();
    totp::code_for_step(secret, totp::step_at(now) + steps_ahead)
}

/// The recovery codes on the page shown after set-up.
fn recovery_codes(page: &Reply) -> Vec<String> {
    page.body
        .split("<li><code>")
        .skip(1)
        .map(|p| p.split("</code>").next().expect("code end").to_owned())
        .collect()
}

/// Sets up two-factor sign-in for the logged-in person; returns the secret and the codes.
async fn set_up(b: &Browser<'_>) -> (Vec<u8>, Vec<String>) {
    let r = b
        .submit(
            "/account/two-factor",
            "/account/two-factor/setup",
            &[("password", STRONG_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get("/account/two-factor").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("cache-control"), "no-store, private");
    let uri = scanned_uri(&page.body);
    assert!(uri.starts_with("otpauth://totp/Momentique:"), "{uri}");
    let secret = secret_of(&uri);
    // The key to type matches the one in the QR code.
    let typed = page
        .body
        .split("class=\"totp-secret\" translate=\"no\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the key to type")
        .replace(' ', "");
    assert_eq!(typed, totp::secret_base32(&secret));
    let r = b
        .submit(
            "/account/two-factor",
            "/account/two-factor/confirm",
            &[("code", &app_code(&secret, 0))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("cache-control"), "no-store, private");
    let codes = recovery_codes(&r);
    assert_eq!(codes.len(), 10, "{}", r.body);
    (secret, codes)
}

/// Logs in with the password; returns the reply (the code step's redirect when it is on).
async fn password_step(b: &Browser<'_>, email: &str) -> Reply {
    b.login(email, STRONG_PASSWORD).await
}

async fn code_step(b: &Browser<'_>, field: &str, code: &str) -> Reply {
    b.submit("/login/code", "/login/code", &[(field, code)])
        .await
}

db_test!(
    async fn a_host_sets_up_two_factor_and_logs_in_with_codes_and_a_recovery_code(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.10");
        let email = host.register("Hana Host", "Hana's Parties").await;
        let page = host.get("/account/two-factor").await;
        assert!(page.body.contains("Two-factor sign-in is off"), "{}", page.body);

        // The password is asked first.
        let r = host
            .submit(
                "/account/two-factor",
                "/account/two-factor/setup",
                &[("password", "not-my-password-1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("not your password"), "{}", r.body);
        // Confirming with a wrong code leaves it off.
        let r = host
            .submit(
                "/account/two-factor",
                "/account/two-factor/setup",
                &[("password", STRONG_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = host
            .submit(
                "/account/two-factor",
                "/account/two-factor/confirm",
                &[("code", "000000")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("code is not right"), "{}", r.body);

        let (secret, codes) = set_up(&host).await;
        let page = host.get("/account/two-factor").await;
        assert!(page.body.contains("Two-factor sign-in is on"), "{}", page.body);
        assert!(page.body.contains("10 of 10"), "{}", page.body);

        // Another browser: the password alone does not log in.
        let phone = app.browser("198.51.100.20");
        let r = password_step(&phone, &email).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login/code"), "{}", r.location());
        assert!(phone.cookie("mq_2fa").is_some());
        assert_ne!(phone.get("/api/v1/me").await.status, StatusCode::OK);
        let r = code_step(&phone, "code", "123 456").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let code = app_code(&secret, 1);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        let r = code_step(&phone, "code", &spaced).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(phone.get("/api/v1/me").await.status, StatusCode::OK);
        assert!(phone.cookie("mq_2fa").is_none(), "the proof is spent");

        // The same code never works twice.
        let laptop = app.browser("198.51.100.21");
        password_step(&laptop, &email).await;
        let r = code_step(&laptop, "code", &code).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

        // A recovery code works once, typed in capitals and without the dash.
        let typed = codes[3].replace('-', "").to_uppercase();
        let r = code_step(&laptop, "recovery_code", &typed).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let tablet = app.browser("198.51.100.22");
        password_step(&tablet, &email).await;
        let r = code_step(&tablet, "recovery_code", &codes[3]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(laptop.get("/account/two-factor").await.body.contains("9 of 10"));

        // New recovery codes replace the old ones.
        let r = laptop
            .submit(
                "/account/two-factor",
                "/account/two-factor/recovery-codes",
                &[("password", STRONG_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let fresh = recovery_codes(&r);
        assert_eq!(fresh.len(), 10);
        let r = code_step(&tablet, "recovery_code", &codes[0]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "old codes stop working");
        let r = code_step(&tablet, "recovery_code", &fresh[0]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // A forged or stale proof of the password step sends back to the login.
        let stranger = app.browser("198.51.100.23");
        stranger.get("/login").await;
        let forged = format!(
            "{}.{}.{}.{}",
            domain::UserId::new(),
            tenant_of(&host).await,
            domain::time::now().timestamp() + 300,
            "00".repeat(32)
        );
        stranger.set_cookie("mq_2fa", &forged);
        let r = code_step(&stranger, "code", &app_code(&secret, 1)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/login?expired=1");

        // Turning it off needs the password and a code.
        let r = host
            .submit(
                "/account/two-factor",
                "/account/two-factor/disable",
                &[("password", STRONG_PASSWORD), ("code", "000000")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = host
            .submit(
                "/account/two-factor",
                "/account/two-factor/disable",
                &[("password", STRONG_PASSWORD), ("code", &fresh[1])],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let again = app.browser("198.51.100.24");
        let r = password_step(&again, &email).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(!r.location().starts_with("/login/code"), "{}", r.location());
    }
);

db_test!(
    async fn wrong_codes_lock_the_account_like_wrong_passwords(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.11");
        let email = host.register("Lou Lock", "Lou's Dinners").await;
        let (secret, _) = set_up(&host).await;
        let thief = app.browser("198.51.100.30");
        password_step(&thief, &email).await;
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(code_step(&thief, "code", "999999").await);
        }
        assert!(
            statuses[..4]
                .iter()
                .all(|r| r.status == StatusCode::UNPROCESSABLE_ENTITY),
            "the first wrong codes are just wrong"
        );
        let locked = &statuses[4];
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.body);
        assert!(locked.body.contains("Too many failed attempts"), "{}", locked.body);
        assert!(!locked.header("retry-after").is_empty());
        // While locked even the right code is refused, and the right password again does not
        // clear the count.
        let r = code_step(&thief, "code", &app_code(&secret, 1)).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        let r = password_step(&app.browser("198.51.100.31"), &email).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    }
);

db_test!(
    async fn an_owner_requires_two_factor_and_members_set_it_up_before_anything_else(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let owner = app.browser("203.0.113.12");
        owner.register("Ola Owner", "Ola's Weddings").await;
        let tenant = tenant_of(&owner).await;
        let admin = member_with_role(&app, tenant, Role::Admin).await;
        let member = member_with_role(&app, tenant, Role::Member).await;

        // Only owners may require it, and only once their own is on.
        for b in [&admin, &member] {
            let r = b
                .submit("/members", "/members/two-factor", &[("required", "1")])
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        }
        let r = owner
            .submit("/members", "/members/two-factor", &[("required", "1")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(r.body.contains("for your own account first"), "{}", r.body);
        set_up(&owner).await;
        let r = owner
            .submit("/members", "/members/two-factor", &[("required", "1")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(owner.get("/members").await.body.contains("must use two-factor"));

        // Another organization is not affected.
        let other = app.browser("203.0.113.13");
        other.register("Oz Other", "Oz's Parties").await;
        assert_eq!(other.get("/app").await.status, StatusCode::OK);

        // The member is sent to set it up; the API says why.
        let r = member.get("/app").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/account/two-factor?required=1");
        let r = member.get("/api/v1/events").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.json()["error"]["code"], "two_factor_required", "{}", r.body);
        let page = member.get("/account/two-factor?required=1").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("requires two-factor"), "{}", page.body);
        let (secret, _) = set_up(&member).await;
        assert_eq!(member.get("/app").await.status, StatusCode::OK);
        // And cannot turn it off while it is required.
        let r = member
            .submit(
                "/account/two-factor",
                "/account/two-factor/disable",
                &[("password", STRONG_PASSWORD), ("code", &app_code(&secret, 1))],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

        // Optional again.
        let r = owner
            .submit("/members", "/members/two-factor", &[("required", "0")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(admin.get("/app").await.status, StatusCode::OK);
    }
);

db_test!(
    async fn an_admin_resets_a_members_two_factor_after_a_lost_phone(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let owner = app.browser("203.0.113.14");
        owner.register("Omar Owner", "Omar's Events").await;
        let tenant = tenant_of(&owner).await;
        let admin = member_with_role(&app, tenant, Role::Admin).await;
        let member = member_with_role(&app, tenant, Role::Member).await;
        set_up(&member).await;
        set_up(&owner).await;
        let id_of = |me: serde_json::Value| me["user"]["id"].as_str().expect("an id").to_owned();
        let member_id = id_of(member.get("/api/v1/me").await.json());
        let owner_id = id_of(owner.get("/api/v1/me").await.json());
        let members = admin.get("/members").await.body;
        assert!(members.contains("Two-factor sign-in: On"), "{members}");

        // Nobody else may: a member, another organization's owner, a guest or nobody.
        let reset = |id: &str| format!("/members/{id}/two-factor/reset");
        let r = member.submit("/members", &reset(&owner_id), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let other = app.browser("203.0.113.15");
        other.register("Otto Other", "Otto's Org").await;
        let r = other.submit("/members", &reset(&member_id), &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        // Admins do not reset owners.
        let r = admin.submit("/members", &reset(&owner_id), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let (_, link) = support::live_event(&owner, serde_json::json!({})).await;
        let guest = app.browser("198.51.100.41");
        support::join(&guest, &link, "Gina Guest").await;
        for outsider in [&guest, &app.browser("198.51.100.40")] {
            let token = outsider.get("/login").await.input_value("csrf_token").expect("token");
            let r = outsider
                .post(&reset(&member_id), &[("csrf_token", token.as_str())])
                .await;
            assert!(
                r.status == StatusCode::SEE_OTHER && r.location().starts_with("/login"),
                "{} {}",
                r.status,
                r.location()
            );
        }

        let r = admin.submit("/members", &reset(&member_id), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // Their sessions ended; the password alone logs them in now.
        assert_ne!(member.get("/api/v1/me").await.status, StatusCode::OK);
        let email = admin.get("/members").await.body;
        assert!(email.contains("Two-factor sign-in: Off"), "{email}");
    }
);
