//! Snapshots (insta) of what the pages and the API show, through the real router: the `<head>`
//! of every page (its title, assets and nonce), the fragments several pages share (a photo in
//! the gallery grid, the lightbox, the event figures) and the main JSON answers. Whatever
//! changes between runs (nonces, asset hashes, ids, tokens, signatures, times) is redacted by
//! regex before the comparison, so a snapshot changes only when the markup does.
//!
//! Both backends run and compare against the same snapshot files (the module is left out of
//! the names): the pages do not depend on the database, and a difference would be a bug.
//! Review a change with `cargo insta review`, or run with `INSTA_UPDATE=always` and read the
//! diff of tests/snapshots/; CI (`CI=true`) never writes snapshots, it fails.

mod support;

use std::io::Cursor;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::{Backing, Browser, Reply, TestApp, process, tenant_of};
use test_support::db_test;

/// A small JPEG whose bytes are the same on every run (so are its renditions and hashes).
fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([200, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode a JPEG");
    out.into_inner()
}

/// What varies between runs, replaced by a fixed word. Order matters: ids before hex runs.
const REDACTIONS: &[(&str, &str)] = &[
    (r#"nonce="[^"]*""#, r#"nonce="[nonce]""#),
    (
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[uuid]",
    ),
    // Asset and rendition content hashes, simple UUIDs (e-mail addresses of the test users).
    (r"\b[0-9a-f]{12,}\b", "[hex]"),
    // Signed media links: expiry and signature.
    (
        r"\?e=\d+&(amp;|#38;)?s=[A-Za-z0-9_%=-]+",
        "?e=[expiry]&s=[signature]",
    ),
    (r"/j/[A-Za-z0-9_-]+", "/j/[token]"),
    (
        r#"(name="csrf_token" value=|data-csrf=)"[^"]*""#,
        r#"$1"[csrf]""#,
    ),
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[time]",
    ),
    // The time a photo arrived, as the gallery shows it.
    (
        r#"<span class="field-hint">\d{2}:\d{2}</span>"#,
        r#"<span class="field-hint">[hh:mm]</span>"#,
    ),
    // The same time in the lightbox's caption.
    (
        r#"data-caption="([^"·]*) · \d{2}:\d{2}"#,
        r#"data-caption="$1 · [hh:mm]"#,
    ),
    (r"<code>[^<]*</code>", "<code>[request id]</code>"),
    // Placeholder pixels: they follow the JPEG decoder the build found (libjpeg-turbo or
    // jpeg-decoder); their size is bounded by the media crate's placeholder test.
    (
        r"data:image/png;base64,[A-Za-z0-9+/=]+",
        "data:image/png;base64,[placeholder]",
    ),
    (
        r#""placeholder": "[^"]*""#,
        r#""placeholder": "[placeholder]""#,
    ),
    // When a photo arrived, on its edit page.
    (
        r"Arrived \w{3} \d{1,2} \w{3}, \d{2}:\d{2}",
        "Arrived [day time]",
    ),
];

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    // One set of files for both backends.
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    for (re, with) in REDACTIONS {
        s.add_filter(re, *with);
    }
    s
}

/// From the first `start` to the end of the first `end` after it.
fn fragment(body: &str, start: &str, end: &str) -> String {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in the page:\n{body}"));
    let len = body[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"));
    body[from..from + len + end.len()].to_owned()
}

fn head(r: &Reply) -> String {
    fragment(&r.body, "<head>", "</head>")
}

/// What one run collects: named text snapshots and JSON ones, compared at the end.
#[derive(Default)]
struct Shots {
    text: Vec<(String, String)>,
    json: Vec<(String, Value)>,
}

impl Shots {
    /// The page's `<head>`, after checking the page answered `status`.
    fn head(&mut self, name: &str, r: &Reply, status: StatusCode) {
        assert_eq!(r.status, status, "{name}: {}", r.body);
        assert!(
            r.header("content-type").starts_with("text/html"),
            "{name} is a page"
        );
        self.text.push((format!("head_{name}"), head(r)));
    }

    fn text(&mut self, name: &str, text: String) {
        self.text.push((name.to_owned(), text));
    }

    fn json(&mut self, name: &str, r: &Reply, status: StatusCode) {
        assert_eq!(r.status, status, "{name}: {}", r.body);
        self.json.push((name.to_owned(), r.json()));
    }

    fn check(self) {
        settings().bind(|| {
            for (name, text) in &self.text {
                insta::assert_snapshot!(name.as_str(), text);
            }
            for (name, value) in &self.json {
                insta::assert_json_snapshot!(name.as_str(), value);
            }
        });
    }
}

async fn set_status(host: &Browser<'_>, id: &str, to: &str) {
    let r = host
        .json(
            "POST",
            &format!("/api/v1/events/{id}/status"),
            Some(json!({"to": to})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

db_test!(
    async fn every_page_and_the_main_answers(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let mut shots = Shots::default();
        let ok = StatusCode::OK;

        // A visitor's pages.
        let visitor = app.browser("203.0.113.90");
        shots.head("home", &visitor.get("/").await, ok);
        shots.head("login", &visitor.get("/login").await, ok);
        shots.head("register", &visitor.get("/register").await, ok);
        let missing = visitor.get("/no-such-page").await;
        shots.head("error_404", &missing, StatusCode::NOT_FOUND);
        shots.text(
            "error_404_page",
            fragment(&missing.body, "<section class=\"error-page\">", "</section>"),
        );

        // A member's pages, with a live event.
        let host = app.browser("203.0.113.91");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let r = host
            .json(
                "POST",
                "/api/v1/events",
                Some(json!({
                    "name": "Anna & Ben", "time_zone": "UTC",
                    "starts_at": "2026-06-20T14:00", "ends_at": "2027-06-21T02:00",
                    "settings": {"guest_downloads": true},
                })),
            )
            .await;
        shots.json("api_event_created", &r, StatusCode::CREATED);
        let event = r.json()["id"].as_str().expect("event id").to_owned();
        set_status(&host, &event, "live").await;
        let join_url = r.json()["join_url"].as_str().expect("join url").to_owned();
        let link = join_url[join_url.find("/j/").expect("join path")..].to_owned();

        shots.head("dashboard", &host.get("/app").await, ok);
        shots.head("account", &host.get("/account").await, ok);
        let settings_page = host.get("/settings").await;
        shots.head("settings", &settings_page, ok);
        shots.text(
            "settings_main",
            fragment(&settings_page.body, "<main", "</main>"),
        );
        shots.json("api_organization", &host.get("/api/v1/organization").await, ok);
        shots.head("events_list", &host.get("/app/events").await, ok);
        shots.head("event_new", &host.get("/app/events/new").await, ok);
        let ev = format!("/app/events/{event}");
        shots.head("event_edit", &host.get(&format!("{ev}/edit")).await, ok);
        shots.head("poster", &host.get(&format!("{ev}/poster")).await, ok);
        shots.head(
            "confirm_status",
            &host.get(&format!("{ev}/status?to=ended")).await,
            ok,
        );
        shots.head(
            "confirm_rotate",
            &host.get(&format!("{ev}/rotate-link")).await,
            ok,
        );

        // A guest joins, uploads one photo (published at once) and reacts to it.
        let stranger = app.browser("198.51.100.92");
        // A forwarded guest link, opened by someone who has not joined: how to join.
        let forwarded = stranger.get(&format!("/g/{event}/gallery")).await;
        shots.head("guest_not_joined", &forwarded, StatusCode::FORBIDDEN);
        shots.text(
            "guest_not_joined_main",
            fragment(&forwarded.body, "<section class=\"auth-card join lost\"", "</section>"),
        );
        // A mistyped code: the same page, saying so.
        let mistyped = stranger.get("/j/ABCDEFGHJKMNPQRSTVWXYZ0123").await;
        shots.head("guest_unknown_code", &mistyped, StatusCode::NOT_FOUND);
        let guest = app.browser("198.51.100.93");
        shots.head("join", &guest.get(&link).await, ok);
        let r = guest.submit(&link, &link, &[("name", "Lena Gast")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = guest
            .request(
                axum::http::Request::post(format!("/g/{event}/photos"))
                    .header("content-type", "application/octet-stream")
                    .header("host", "localhost")
                    .header("origin", "http://localhost")
                    .body(axum::body::Body::from(jpeg(640, 480)))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let photo = r.json()["id"].as_str().expect("photo id").to_owned();
        process(&app, tenant, &photo).await;
        let token = guest.cookie("mq_csrf").expect("a form token cookie");
        let r = guest
            .post(
                &format!("/g/{event}/photos/{photo}/react"),
                &[("csrf_token", token.as_str()), ("kind", "heart")],
            )
            .await;
        assert!(r.status.is_redirection() || r.status == ok, "{}", r.body);

        let g = format!("/g/{event}");
        shots.head("guest_event", &guest.get(&g).await, ok);
        let gallery = guest.get(&format!("{g}/gallery")).await;
        shots.head("guest_gallery", &gallery, ok);
        assert_eq!(
            gallery.body.matches("<dialog").count(),
            1,
            "one lightbox on the gallery"
        );
        shots.text(
            "guest_gallery_grid",
            fragment(&gallery.body, "<ul class=\"photo-grid gallery guest-grid\"", "</ul>"),
        );
        shots.text(
            "guest_gallery_lightbox",
            fragment(&gallery.body, "<dialog", "</dialog>"),
        );
        let photo_page = guest.get(&format!("{g}/photos/{photo}/view")).await;
        shots.head("guest_photo", &photo_page, ok);
        shots.text(
            "guest_photo_main",
            fragment(&photo_page.body, "<figure", "</main>"),
        );
        shots.head(
            "guest_report",
            &guest.get(&format!("{g}/photos/{photo}/report")).await,
            ok,
        );
        shots.head(
            "guest_delete",
            &guest.get(&format!("{g}/photos/{photo}/delete")).await,
            ok,
        );

        // The member's pages about that photo.
        let show = host.get(&ev).await;
        shots.head("event_show", &show, ok);
        shots.text(
            "event_figures",
            fragment(&show.body, "<dl class=\"stats\">", "</dl>"),
        );
        let photos = host.get(&format!("{ev}/photos")).await;
        shots.head("photos", &photos, ok);
        assert_eq!(
            photos.body.matches("<dialog").count(),
            1,
            "one lightbox on the photos page"
        );
        shots.text(
            "photos_grid",
            fragment(&photos.body, "<form id=\"bulk\"", "</ul>"),
        );
        shots.text(
            "photos_lightbox",
            fragment(&photos.body, "<dialog", "</dialog>"),
        );
        shots.head("moderation", &host.get(&format!("{ev}/moderation")).await, ok);
        shots.head(
            "photo_delete",
            &host.get(&format!("{ev}/photos/{photo}/delete")).await,
            ok,
        );
        let edit = host.get(&format!("{ev}/photos/{photo}/edit")).await;
        shots.head("photo_edit", &edit, ok);
        shots.text(
            "photo_edit_form",
            fragment(&edit.body, "<section class=\"auth-card photo-edit\">", "</section>"),
        );

        // The API's main answers.
        shots.json("api_events", &host.get("/api/v1/events").await, ok);
        shots.json("api_event", &host.get(&format!("/api/v1/events/{event}")).await, ok);
        shots.json("api_photo", &host.get(&format!("/api/v1/photos/{photo}")).await, ok);
        shots.json(
            "api_error_not_found",
            &host
                .get("/api/v1/events/00000000-0000-4000-8000-000000000000")
                .await,
            StatusCode::NOT_FOUND,
        );

        // Lucky draws: the list with its form, a draw's page, its screens, the public page and
        // the guest's block.
        let d = host
            .json(
                "POST",
                &format!("/api/v1/events/{event}/draws"),
                Some(json!({
                    "name": "Big prizes",
                    "prizes": [{"name": "Balloon ride"}, {"name": "Mug", "winners": 2}],
                    "rule": {"kind": "per_photo", "cap": 3},
                })),
            )
            .await;
        shots.json("api_draw_created", &d, StatusCode::CREATED);
        let draw = d.json()["id"].as_str().expect("draw id").to_owned();
        let list = host.get(&format!("{ev}/draws")).await;
        shots.head("draws", &list, ok);
        shots.text(
            "draws_form",
            fragment(&list.body, "<form method=\"post\" action=\"/app/events/", "</form>"),
        );
        let detail = host.get(&format!("{ev}/draws/{draw}")).await;
        shots.head("draw", &detail, ok);
        shots.text(
            "draw_participants",
            fragment(&detail.body, "<section class=\"card\" id=\"participants\"", "</section>"),
        );
        let closed = host
            .json("POST", &format!("/api/v1/events/{event}/draws/{draw}/close"), None)
            .await;
        assert_eq!(closed.status, ok, "{}", closed.body);
        shots.head("draw_show", &host.get(&format!("{ev}/draws/{draw}/show")).await, ok);
        shots.head("draw_remote", &host.get(&format!("{ev}/draws/{draw}/remote")).await, ok);
        let public = visitor.get(&format!("/d/{tenant}/{draw}")).await;
        shots.head("draw_public", &public, ok);
        shots.text(
            "draw_public_proof",
            fragment(&public.body, "<section class=\"card\" aria-labelledby=\"proof-h\">", "</section>"),
        );
        shots.text(
            "guest_draws",
            fragment(&guest.get(&g).await.body, "<section class=\"guest-draws\"", "</section>"),
        );

        shots.check();
    }
);
