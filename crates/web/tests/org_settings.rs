//! The organization's settings through the real router, on SQLite and PostgreSQL: owners and
//! admins change the name, colour, logo and the defaults of new events (page and API); a
//! member, another organization, a guest and nobody are refused; bad colours and files get a
//! clear 4xx; new events start with the defaults; guest pages and walls link the brand
//! stylesheet, which carries the colour and the logo; mail queued afterwards (delivered by the
//! real SMTP server) carries them too.

mod support;

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::Role;
use serde_json::json;
use support::{Backing, Browser, Mailbox, Reply, TestApp, member_with_role, tenant_of};
use test_support::db_test;

/// A PNG logo of `w` × `h` with a transparent edge.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        let alpha = if x < 4 || y < 4 { 0 } else { 255 };
        image::Rgba([10, 123, 60, alpha])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode a PNG");
    out.into_inner()
}

/// Posts the logo form (token first, then the file) as the page's form would.
async fn upload_logo(b: &Browser<'_>, bytes: &[u8], file_name: &str) -> Reply {
    let page = b.get("/settings").await;
    let token = page.input_value("csrf_token").unwrap_or_default();
    let boundary = "logo-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    b.request(
        Request::post("/settings/logo")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, "http://localhost")
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body))
            .expect("request"),
    )
    .await
}

/// The settings form with every field, as a browser sends it.
async fn save(b: &Browser<'_>, fields: &[(&str, &str)]) -> Reply {
    let mut all = vec![
        ("name", "Olive's Weddings"),
        ("accent", ""),
        ("moderation", "publish"),
        ("max_photos_per_guest", "200"),
        ("max_file_mb", "30"),
        ("guest_name_required", "on"),
        ("guest_visibility", "everyone"),
        ("guest_downloads", "on"),
    ];
    for (k, v) in fields {
        all.retain(|(f, _)| f != k);
        if !v.is_empty() || *k == "accent" {
            all.push((k, v));
        }
    }
    b.submit("/settings", "/settings", &all).await
}

db_test!(
    async fn owners_and_admins_change_the_settings_and_members_may_not(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let owner = app.browser("203.0.113.10");
        owner.register("Olive Owner", "Olive's Weddings").await;
        let tenant = tenant_of(&owner).await;

        let page = owner.get("/settings").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("href=\"/settings\" aria-current=\"page\""), "the nav links it");
        assert_eq!(page.input_value("name").as_deref(), Some("Olive&#39;s Weddings"));

        let r = save(
            &owner,
            &[
                ("name", "Olive & Co"),
                ("accent", "#0A7B3C"),
                ("moderation", "approve"),
                ("max_photos_per_guest", "12"),
                ("max_file_mb", "8"),
                ("guest_name_required", ""),
                ("guest_visibility", "own"),
                ("guest_downloads", ""),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/settings?done=saved");
        let page = owner.get("/settings?done=saved").await;
        assert!(page.body.contains("Settings saved"), "{}", page.body);
        assert_eq!(page.input_value("accent").as_deref(), Some("#0a7b3c"));
        assert_eq!(page.input_value("max_photos_per_guest").as_deref(), Some("12"));
        assert!(page.body.contains("value=\"approve\" checked"));
        assert!(page.body.contains("value=\"own\" checked"));
        assert!(!page.body.contains("name=\"guest_downloads\" value=\"on\" checked"));
        // The header follows the new name.
        let app_page = owner.get("/app").await.body;
        assert!(app_page.contains("Olive &#38; Co") || app_page.contains("Olive &amp; Co"), "{app_page}");

        let v = owner.get("/api/v1/organization").await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);
        let v = v.json();
        assert_eq!(v["id"], tenant.to_string());
        assert_eq!(v["name"], "Olive & Co");
        assert_eq!(v["accent_colour"], "#0a7b3c");
        assert_eq!(v["event_defaults"]["moderation"], "approve");
        assert_eq!(v["event_defaults"]["max_file_mb"], 8);
        assert_eq!(v["event_defaults"]["guest_visibility"], "own");
        assert_eq!(v["logo_url"], serde_json::Value::Null);

        // An admin may too, through the API.
        let admin = member_with_role(&app, tenant, Role::Admin).await;
        assert!(admin.get("/app").await.body.contains("href=\"/settings\""));
        let r = admin
            .json(
                "PATCH",
                "/api/v1/organization",
                Some(json!({"accent_colour": "#123456", "event_defaults": {"max_photos_per_guest": 40}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = r.json();
        assert_eq!(v["accent_colour"], "#123456");
        assert_eq!(v["event_defaults"]["max_photos_per_guest"], 40);
        assert_eq!(v["event_defaults"]["max_file_mb"], 8, "what is left out stays");
        assert_eq!(v["name"], "Olive & Co");
        let r = admin.json("PATCH", "/api/v1/organization", Some(json!({"accent_colour": null}))).await;
        assert_eq!(r.json()["accent_colour"], serde_json::Value::Null, "null is the product's colour");
        assert_eq!(upload_logo(&admin, &png(300, 100), "logo.png").await.status, StatusCode::SEE_OTHER);

        // A member may not: no link, 403 on the page, the form, the logo and the API.
        let member = member_with_role(&app, tenant, Role::Member).await;
        assert!(!member.get("/app").await.body.contains("href=\"/settings\""));
        let r = member.get("/settings").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("Only admins and owners"), "{}", r.body);
        let csrf = member.get("/account").await.input_value("csrf_token").expect("token");
        let r = member
            .post("/settings", &[("csrf_token", &csrf), ("name", "Mine now"), ("accent", "#000000")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = member.post("/settings/logo/remove", &[("csrf_token", &csrf)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(member.get("/api/v1/organization").await.status, StatusCode::FORBIDDEN);
        let r = member.json("PATCH", "/api/v1/organization", Some(json!({"name": "Mine now"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "not_permitted");
        let v = owner.get("/api/v1/organization").await.json();
        assert_eq!(v["name"], "Olive & Co", "nothing the member sent changed anything");
        assert!(v["logo_url"].as_str().is_some_and(|u| u.starts_with(&format!("/o/{tenant}/logo.webp?v="))));

        // Every change is in the activity log.
        let log = owner.get("/activity").await.body;
        assert!(log.contains("Changed the organization&#39;s settings"), "{log}");
        assert!(log.contains("Uploaded a new logo"), "{log}");
        let r = owner.submit("/settings", "/settings/logo/remove", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(owner.get("/api/v1/organization").await.json()["logo_url"], serde_json::Value::Null);
        assert!(owner.get("/activity").await.body.contains("Removed the logo"));
    }
);

db_test!(
    async fn another_organization_cannot_read_or_change_them(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let a = app.browser("203.0.113.20");
        a.register("Ann", "Ann's Parties").await;
        let a_tenant = tenant_of(&a).await;
        assert_eq!(save(&a, &[("name", "Ann's Parties"), ("accent", "#aa0000"), ("max_file_mb", "7")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(upload_logo(&a, &png(64, 64), "a.png").await.status, StatusCode::SEE_OTHER);

        let b = app.browser("203.0.113.21");
        b.register("Ben", "Ben's Dinners").await;
        let b_tenant = tenant_of(&b).await;
        // Ben's page and API show Ben's organization only.
        let page = b.get("/settings").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Ben&#39;s Dinners") && !page.body.contains("Ann"), "{}", page.body);
        assert!(!page.body.contains("#aa0000") && !page.body.contains(&a_tenant.to_string()));
        let v = b.get("/api/v1/organization").await.json();
        assert_eq!(v["id"], b_tenant.to_string());
        assert_eq!(v["accent_colour"], serde_json::Value::Null);
        assert_eq!(v["event_defaults"]["max_file_mb"], 30);

        // Ben's changes land on Ben's organization; Ann's stay as they were.
        let r = b.json("PATCH", "/api/v1/organization", Some(json!({"name": "Taken over", "accent_colour": "#00ff00"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["id"], b_tenant.to_string());
        assert_eq!(upload_logo(&b, &png(32, 32), "b.png").await.status, StatusCode::SEE_OTHER);
        let v = a.get("/api/v1/organization").await.json();
        assert_eq!(v["name"], "Ann's Parties");
        assert_eq!(v["accent_colour"], "#aa0000");
        assert_eq!(v["event_defaults"]["max_file_mb"], 7);
        let a_logo = v["logo_url"].as_str().expect("Ann's logo").to_owned();
        let b_logo = b.get("/api/v1/organization").await.json()["logo_url"].as_str().expect("Ben's logo").to_owned();
        assert_ne!(a_logo, b_logo);
        // Each brand stylesheet is its own organization's.
        let a_css = app.browser("198.51.100.1").get(&format!("/o/{a_tenant}/brand.css")).await.body;
        assert!(a_css.contains("#aa0000") && a_css.contains(&a_logo) && !a_css.contains("#00ff00"), "{a_css}");
        // Ann's logo key under Ben's organization is not served.
        let v = a_logo.split("?v=").nth(1).expect("version");
        let r = app.browser("198.51.100.1").get(&format!("/o/{}/logo.webp?v={v}", uuid::Uuid::new_v4())).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // Junk in the path is a clear 404.
        assert_eq!(app.browser("198.51.100.1").get("/o/not-a-uuid/brand.css").await.status, StatusCode::NOT_FOUND);
    }
);

db_test!(
    async fn guests_and_nobody_are_refused(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.30");
        host.register("Hana", "Hana's Events").await;
        let (_, link) = support::live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.30");
        let r = support::join(&guest, &link, "Gus").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        for who in [&guest, &app.browser("198.51.100.31")] {
            let r = who.get("/settings").await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "the page asks to log in");
            assert!(r.location().starts_with("/login"), "{}", r.location());
            let r = who.get("/api/v1/organization").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
            let r = who.json("PATCH", "/api/v1/organization", Some(json!({"name": "Guests' party"}))).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
            let r = who.post("/settings", &[("csrf_token", "x"), ("name", "Guests' party")]).await;
            assert!(r.status == StatusCode::FORBIDDEN || r.status == StatusCode::SEE_OTHER, "{}", r.status);
            let r = upload_logo(who, &png(16, 16), "x.png").await;
            assert!(r.status == StatusCode::FORBIDDEN || r.status == StatusCode::SEE_OTHER, "{}", r.status);
        }
        let v = host.get("/api/v1/organization").await.json();
        assert_eq!(v["name"], "Hana's Events");
        assert_eq!(v["logo_url"], serde_json::Value::Null);
    }
);

db_test!(
    async fn bad_colours_and_files_get_a_clear_answer(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let owner = app.browser("203.0.113.40");
        owner.register("Olive", "Olive's").await;

        let r = save(&owner, &[("accent", "red;background:url(x)"), ("max_file_mb", "0")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("# and six hex digits"), "{}", r.body);
        assert!(r.body.contains("Use a number from 1 to 200."), "{}", r.body);
        assert_eq!(r.input_value("accent").as_deref(), Some("red;background:url(x)"), "what was typed stays");
        let r = owner.json("PATCH", "/api/v1/organization", Some(json!({"accent_colour": "#12345"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "invalid");
        assert!(r.body.contains("six hex digits"), "{}", r.body);
        let r = owner.json("PATCH", "/api/v1/organization", Some(json!({"name": "  "}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = owner.json("PATCH", "/api/v1/organization", Some(json!({"colour": "#123456"}))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "an unknown field is named: {}", r.body);
        assert_eq!(owner.get("/api/v1/organization").await.json()["accent_colour"], serde_json::Value::Null);

        let r = upload_logo(&owner, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg").await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
        assert!(r.body.contains("not an image we can use"), "{}", r.body);
        let mut big = png(64, 64);
        big.resize(domain::org_settings::LOGO_MAX_BYTES + 1, 0);
        let r = upload_logo(&owner, &big, "huge.png").await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
        assert!(r.body.contains("larger than 5 MB"), "{}", r.body);
        let r = upload_logo(&owner, b"", "").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains("Choose an image file"), "{}", r.body);
        let mut cut = png(64, 64);
        cut.truncate(cut.len() / 2);
        let r = upload_logo(&owner, &cut, "cut.png").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(owner.get("/api/v1/organization").await.json()["logo_url"], serde_json::Value::Null);
    }
);

db_test!(
    async fn new_events_start_with_the_defaults(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let owner = app.browser("203.0.113.50");
        owner.register("Olive", "Olive's").await;
        let r = owner
            .json(
                "PATCH",
                "/api/v1/organization",
                Some(json!({"event_defaults": {"moderation": "approve", "max_photos_per_guest": 15,
                    "max_file_mb": 9, "guest_name_required": false, "guest_visibility": "own",
                    "guest_downloads": false}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        let form = owner.get("/app/events/new").await;
        assert_eq!(form.input_value("max_photos_per_guest").as_deref(), Some("15"));
        assert_eq!(form.input_value("max_file_mb").as_deref(), Some("9"));
        assert!(form.body.contains("value=\"approve\" checked") && form.body.contains("value=\"own\" checked"));
        assert!(!form.body.contains("name=\"guest_name_required\" value=\"on\" checked"));

        let r = owner
            .json(
                "POST",
                "/api/v1/events",
                Some(json!({"name": "June", "time_zone": "UTC",
                    "starts_at": "2026-06-20T14:00", "ends_at": "2026-06-21T02:00",
                    "settings": {"max_file_mb": 11}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let s = &r.json()["settings"];
        assert_eq!(s["moderation"], "approve");
        assert_eq!(s["max_photos_per_guest"], 15);
        assert_eq!(s["max_file_mb"], 11, "what the request gives wins");
        assert_eq!(s["guest_name_required"], false);
        assert_eq!(s["guest_visibility"], "own");
        assert_eq!(s["guest_downloads"], false);

        // Another organization keeps the product's defaults.
        let other = app.browser("203.0.113.51");
        other.register("Otto", "Otto's").await;
        let form = other.get("/app/events/new").await;
        assert_eq!(form.input_value("max_photos_per_guest").as_deref(), Some("200"));
        assert!(form.body.contains("value=\"publish\" checked"));
    }
);

db_test!(
    async fn guest_pages_and_walls_wear_the_brand(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.60");
        host.register("Hana", "Hana's Events").await;
        let tenant = tenant_of(&host).await;
        let css_path = format!("/o/{tenant}/brand.css");
        let nobody = app.browser("198.51.100.60");
        let plain = nobody.get(&css_path).await;
        assert_eq!(plain.status, StatusCode::OK);
        assert!(!plain.body.contains("--accent"), "no colour before one is chosen: {}", plain.body);

        assert_eq!(save(&host, &[("name", "Hana's Events"), ("accent", "#0a7b3c")]).await.status, StatusCode::SEE_OTHER);
        let r = upload_logo(&host, &png(1024, 512), "logo.png").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let logo = host.get("/api/v1/organization").await.json()["logo_url"].as_str().expect("logo").to_owned();

        let (event, link) = support::live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.61");
        let join = guest.get(&link).await;
        assert!(join.body.contains(&format!("<link rel=\"stylesheet\" href=\"{css_path}\">")), "{}", join.body);
        assert!(join.body.contains("class=\"org-logo\""));
        support::join(&guest, &link, "Gus").await;
        let page = guest.get(&format!("/g/{event}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&css_path), "the guest page links the brand stylesheet");
        let gallery = guest.get(&format!("/g/{event}/gallery")).await;
        assert!(gallery.body.contains(&css_path));
        // Members' pages keep the product's look.
        assert!(!host.get("/app").await.body.contains(&css_path));

        let css = nobody.get(&css_path).await;
        assert_eq!(css.status, StatusCode::OK);
        assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
        assert!(css.body.contains("--accent: #0a7b3c;"), "{}", css.body);
        assert!(css.body.contains("--accent-text: #ffffff;"), "{}", css.body);
        assert!(css.body.contains(&format!("url(\"{logo}\")")), "{}", css.body);
        assert!(css.header("cache-control").contains("max-age"));
        let etag = css.header("etag").to_owned();
        let again = nobody
            .request(Request::get(&css_path).header(header::IF_NONE_MATCH, &etag).body(Body::empty()).expect("request"))
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);

        // The logo: a small WebP with no metadata, cached, revalidated by its ETag.
        let img = nobody.get(&logo).await;
        assert_eq!(img.status, StatusCode::OK);
        assert_eq!(img.header("content-type"), "image/webp");
        assert!(img.header("cache-control").starts_with("public"));
        assert_eq!(&img.bytes[..4], b"RIFF");
        assert_eq!(&img.bytes[8..12], b"WEBP");
        assert!(!img.bytes.windows(4).any(|w| w == b"EXIF" || w == b"ICCP" || w == b"XMP "));
        // VP8X (the logo has transparency): canvas width and height minus one, 24 bits each.
        assert_eq!(&img.bytes[12..16], b"VP8X");
        let side = |at: usize| u32::from_le_bytes([img.bytes[at], img.bytes[at + 1], img.bytes[at + 2], 0]) + 1;
        assert_eq!((side(24), side(27)), (256, 128), "at most 256 px, never upscaled");
        let etag = img.header("etag").to_owned();
        let again = nobody
            .request(Request::get(&logo).header(header::IF_NONE_MATCH, &etag).body(Body::empty()).expect("request"))
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);

        // The wall links it too.
        let r = host.json("POST", &format!("/api/v1/events/{event}/walls"), Some(json!({"name": "Hall"}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let at = r.body.find("/w/").expect("the wall's link");
        let token: String = r.body[at + 3..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let wall = nobody.get(&format!("/w/{token}")).await;
        assert_eq!(wall.status, StatusCode::OK, "{}", wall.body);
        assert!(wall.body.contains(&format!("<link rel=\"stylesheet\" href=\"{css_path}\">")), "{}", wall.body);
        assert!(wall.body.contains("class=\"org-logo\""));
    }
);

db_test!(
    async fn mail_sent_after_the_change_wears_the_colour_and_logo(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let mailbox = Mailbox::start(&app);
        let owner = app.browser("203.0.113.70");
        let email = owner.register("Olive", "Olive's Weddings").await;
        let first = mailbox.wait_for(&email).await;
        assert!(!first.html.contains("#0a7b3c"), "before the change: the product's colour");

        assert_eq!(save(&owner, &[("name", "Olive's Weddings"), ("accent", "#0a7b3c")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(upload_logo(&owner, &png(200, 80), "logo.png").await.status, StatusCode::SEE_OTHER);
        let logo = owner.get("/api/v1/organization").await.json()["logo_url"].as_str().expect("logo").to_owned();

        // A new verification mail (queued after the change) carries both.
        let r = owner.submit("/app", "/account/verify/resend", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mail = mailbox.wait_for(&email).await;
        assert!(mail.html.contains("#0a7b3c"), "{}", mail.html);
        let src = mail
            .html
            .split("src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("the logo's image in the mail");
        assert!(src.starts_with("http") && src.ends_with(&logo), "{src}");
        // The address in the mail answers with the logo.
        let path = &src[src.find("/o/").expect("path")..];
        let img = app.browser("198.51.100.70").get(&path.replace("&amp;", "&")).await;
        assert_eq!(img.status, StatusCode::OK);
        assert_eq!(img.header("content-type"), "image/webp");
    }
);
