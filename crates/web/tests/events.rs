//! Events through the real router: the forms and their messages, the list with its filters and
//! pages, status changes, the join link, its QR code (decoded here) and poster, the JSON API, and
//! that another organization sees none of it. Every test runs on SQLite and PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::{Backing, Browser, Reply, TestApp};
use test_support::db_test;
use web::WebConfig;

/// The form a host fills in, with `overrides` replacing or adding fields.
fn event_fields<'a>(name: &'a str, overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", name),
        ("slug", ""),
        ("venue", ""),
        ("description", ""),
        ("time_zone", "Europe/Berlin"),
        ("starts_at", "2026-06-20T14:00"),
        ("ends_at", "2026-06-21T02:00"),
        ("uploads_enabled", "on"),
        ("moderation", "publish"),
        ("upload_opens_at", ""),
        ("upload_closes_at", ""),
        ("max_photos_per_guest", "200"),
        ("max_file_mb", "30"),
        ("guest_name_required", "on"),
        ("guest_visibility", "everyone"),
        ("guest_downloads", "on"),
    ];
    for (k, v) in overrides {
        match fields.iter_mut().find(|(f, _)| f == k) {
            Some(slot) => slot.1 = v,
            None => fields.push((k, v)),
        }
    }
    fields
}

/// Creates an event through the form; returns its id.
async fn create(b: &Browser<'_>, name: &str, overrides: &[(&str, &str)]) -> String {
    let r = b
        .submit(
            "/app/events/new",
            "/app/events/new",
            &event_fields(name, overrides),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "create failed: {}", r.body);
    let loc = r.location();
    assert!(loc.ends_with("?created=1"), "{loc}");
    loc.trim_start_matches("/app/events/")
        .split('?')
        .next()
        .expect("an id")
        .to_owned()
}

/// The join link shown on the event's page.
fn join_url(page: &Reply) -> String {
    let marker = "<p class=\"join-url\"><a href=\"";
    let at = page
        .body
        .find(marker)
        .expect("the page shows the join link")
        + marker.len();
    let end = page.body[at..].find('"').expect("closing quote");
    page.body[at..at + end].to_owned()
}

fn path_of(url: &str) -> String {
    let at = url.find("/j/").expect("a join path");
    url[at..].to_owned()
}

/// The text in a QR code image.
fn decode_qr(png: &[u8]) -> String {
    let img = image::load_from_memory(png).expect("a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("it decodes").1
}

/// The names in the list, in order.
fn listed(page: &Reply) -> Vec<String> {
    let marker = "class=\"event-link\" href=\"";
    page.body
        .match_indices(marker)
        .map(|(i, _)| {
            let rest = &page.body[i..];
            let start = rest.find('>').expect("tag end") + 1;
            let end = rest.find("</a>").expect("link end");
            rest[start..end].to_owned()
        })
        .collect()
}

async fn status_of(b: &Browser<'_>, id: &str) -> String {
    let v = b.get(&format!("/api/v1/events/{id}")).await.json();
    v["status"].as_str().expect("a status").to_owned()
}

async fn move_to(b: &Browser<'_>, id: &str, to: &str) -> Reply {
    b.submit(
        &format!("/app/events/{id}"),
        &format!("/app/events/{id}/status"),
        &[("to", to)],
    )
    .await
}

db_test!(
    async fn hosts_create_edit_and_find_their_events(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.10");
        b.register("Ada Host", "Ada's Weddings").await;

        let empty = b.get("/app/events").await;
        assert_eq!(empty.status, StatusCode::OK);
        assert!(empty.body.contains("No events yet"), "empty state");

        // The browser's zone (sent by app.js) is chosen, from a list the host can search.
        let form = b.get("/app/events/new?tz=America/New_York").await;
        assert_eq!(form.input_value("time_zone").as_deref(), Some("America/New_York"));
        assert!(form.body.contains("list=\"zones\""));
        assert!(form.body.contains("<option value=\"Europe/Berlin\"></option>"));
        let bad_zone = b.get("/app/events/new?tz=Mars/Olympus").await;
        assert_eq!(bad_zone.input_value("time_zone").as_deref(), Some("UTC"));
        // The party is suggested for this evening: 18:00 today until 02:00 the next day.
        let day = |v: Option<String>, time: &str| {
            let v = v.expect("a prefilled time");
            let (d, t) = v.split_once('T').expect("a datetime-local value");
            assert_eq!(t, time, "{v}");
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("a date")
        };
        let starts = day(form.input_value("starts_at"), "18:00");
        let ends = day(form.input_value("ends_at"), "02:00");
        assert_eq!(ends, starts.succ_opt().expect("a next day"));
        // The sections a host works through, the short name tucked away under "Advanced".
        for legend in ["The event", "Guests", "Uploads"] {
            assert!(form.body.contains(&format!("<legend>{legend}</legend>")), "{legend}");
        }
        assert!(form.body.contains("<summary>Advanced</summary>"));

        let id = create(&b, "Anna & Ben", &[("venue", "Gut Kerkow")]).await;
        let page = b.get(&format!("/app/events/{id}?created=1")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<h1>Anna &#38; Ben</h1>"));
        assert!(page.body.contains("Sat 20 Jun 2026, 14:00 – 02:00 (Europe/Berlin) · Gut Kerkow"));
        assert!(page.body.contains("ready as a draft"), "created notice");
        assert!(page.body.contains("status-draft"));
        assert!(page.body.contains("<svg xmlns"), "QR code inline");
        assert!(page.body.contains("Make it live"));
        // Honest figures for a new event, and reactions not faked before they exist.
        assert!(page.body.contains("<dt>Photos</dt><dd>0</dd>"));
        assert!(page.body.contains("<dt>Storage used</dt><dd>0 bytes</dd>"));
        assert!(page.body.contains("<dt>Reactions</dt><dd>0</dd>"));
        assert!(!page.body.contains("class=\"chart\""), "no chart without uploads");

        let edit = b.get(&format!("/app/events/{id}/edit")).await;
        assert_eq!(edit.input_value("slug").as_deref(), Some("anna-ben"));
        assert_eq!(edit.input_value("starts_at").as_deref(), Some("2026-06-20T14:00"));
        let saved = b
            .submit(
                &format!("/app/events/{id}/edit"),
                &format!("/app/events/{id}/edit"),
                &event_fields(
                    "Anna & Ben",
                    &[("slug", "anna-ben"), ("venue", "Schloss Ribbeck"), ("max_photos_per_guest", "25")],
                ),
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let page = b.get(saved.location()).await;
        assert!(page.body.contains("Your changes are saved."));
        assert!(page.body.contains("Schloss Ribbeck"));
        assert!(page.body.contains("<dd>25</dd>"), "settings summary");

        // Two events with the same name get different addresses.
        let twin = create(&b, "Anna & Ben", &[]).await;
        let twin_form = b.get(&format!("/app/events/{twin}/edit")).await;
        assert_eq!(twin_form.input_value("slug").as_deref(), Some("anna-ben-2"));

        create(
            &b,
            "Company dinner",
            &[("venue", "Rathaus"), ("starts_at", "2026-09-03T19:00"), ("ends_at", "2026-09-03T23:30")],
        )
        .await;

        let dash = b.get("/app").await;
        assert!(dash.body.contains("Company dinner"), "dashboard lists events");

        let all = b.get("/app/events").await;
        assert_eq!(listed(&all), ["Company dinner", "Anna &#38; Ben", "Anna &#38; Ben"]);
        let by_venue = b.get("/app/events?q=RATHAUS").await;
        assert_eq!(listed(&by_venue), ["Company dinner"]);
        let by_name = b.get("/app/events?q=anna").await;
        assert_eq!(listed(&by_name).len(), 2);
        let percent = b.get("/app/events?q=%25").await;
        assert!(listed(&percent).is_empty(), "LIKE wildcards are literal");
        assert!(percent.body.contains("No events match these filters."));
        let july_on = b.get("/app/events?from=2026-07-01").await;
        assert_eq!(listed(&july_on), ["Company dinner"]);
        let june = b.get("/app/events?from=2026-06-01&to=2026-06-30").await;
        assert_eq!(listed(&june).len(), 2);
        let by_name_sort = b.get("/app/events?sort=name").await;
        assert_eq!(listed(&by_name_sort)[2], "Company dinner");

        // Pages of two, following the "next" link.
        let mut seen = Vec::new();
        let mut href = "/app/events?sort=starts_asc&limit=2".to_owned();
        let mut pages = 0;
        loop {
            let page = b.get(&href).await;
            assert_eq!(page.status, StatusCode::OK);
            seen.extend(listed(&page));
            pages += 1;
            let marker = "rel=\"next\"";
            let Some(at) = page.body.find(marker) else { break };
            let tag = &page.body[page.body[..at].rfind("<a").expect("link")..at];
            let start = tag.find("href=\"").expect("href") + 6;
            let end = tag[start..].find('"').expect("quote");
            href = format!("{}&limit=2", tag[start..start + end].replace("&#38;", "&"));
        }
        assert_eq!(pages, 2);
        assert_eq!(seen.len(), 3, "every event once: {seen:?}");
    }
);

db_test!(
    async fn the_form_says_what_is_wrong_and_keeps_what_was_typed(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.11");
        b.register("Ada Host", "Ada's Weddings").await;
        let cases: [(&[(&str, &str)], &str); 8] = [
            (&[("slug", "Bad Slug!")], "Use lower-case letters, digits and single hyphens"),
            (&[("slug", "ab")], "Use at least 3 characters."),
            (&[("ends_at", "2026-06-20T13:00")], "The event must end after it starts."),
            (
                &[("upload_opens_at", "2026-07-01T10:00"), ("upload_closes_at", "2026-07-02T10:00")],
                "The upload window must overlap the event itself.",
            ),
            (
                &[("upload_opens_at", "2026-06-20T18:00"), ("upload_closes_at", "2026-06-20T16:00")],
                "Uploads must close after they open.",
            ),
            (&[("time_zone", "Mars/Olympus")], "Please pick a time zone from the list."),
            (&[("max_photos_per_guest", "lots")], "Please give a whole number."),
            (&[("starts_at", "next saturday")], "Please give a date and time."),
        ];
        for (overrides, message) in cases {
            let r = b
                .submit(
                    "/app/events/new",
                    "/app/events/new",
                    &event_fields("Typed & kept", overrides),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{overrides:?}");
            assert!(r.body.contains(message), "{overrides:?}: {message}");
            assert!(r.body.contains("aria-invalid=\"true\""));
            assert_eq!(r.input_value("name").as_deref(), Some("Typed &#38; kept"));
        }
        // Everything wrong is said on the first submit, not one field at a time.
        let r = b
            .submit(
                "/app/events/new",
                "/app/events/new",
                &event_fields(
                    "",
                    &[
                        ("slug", "Bad Slug!"),
                        ("ends_at", "2026-06-20T13:00"),
                        ("upload_opens_at", "2026-07-01T10:00"),
                        ("max_photos_per_guest", "0"),
                        ("max_file_mb", "many"),
                    ],
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for (field, message) in [
            ("name", "Please fill this in."),
            ("slug", "Use lower-case letters, digits and single hyphens"),
            ("ends_at", "The event must end after it starts."),
            ("upload_opens_at", "The upload window must overlap the event itself."),
            ("max_photos_per_guest", "Use a number from 1 to"),
            ("max_file_mb", "Please give a whole number."),
        ] {
            assert!(r.body.contains(&format!("id=\"e-{field}\"")), "{field} is marked");
            assert!(r.body.contains(message), "{field}: {message}");
        }
        assert!(r.body.contains("<details class=\"card advanced\" open>"), "the slug's error is shown");
        assert!(b.get("/api/v1/events").await.json()["events"].as_array().expect("list").is_empty());

        // A typed address that is taken is the host's to change.
        create(&b, "Party", &[("slug", "party")]).await;
        let r = b
            .submit("/app/events/new", "/app/events/new", &event_fields("Other party", &[("slug", "party")]))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("already uses this address"));

        // Another organization may use the same address.
        let other = app.browser("203.0.113.12");
        other.register("Bo Host", "Bo's Parties").await;
        create(&other, "Party", &[("slug", "party")]).await;
    }
);

db_test!(
    async fn status_changes_only_where_allowed(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.13");
        b.register("Ada Host", "Ada's Weddings").await;
        let id = create(&b, "Anna & Ben", &[]).await;
        let link = path_of(&join_url(&b.get(&format!("/app/events/{id}")).await));

        let draft_join = b.get(&link).await;
        assert_eq!(draft_join.status, StatusCode::OK);
        assert!(draft_join.body.contains("not open yet"));

        for refused in ["ended", "archived", "draft"] {
            let r = move_to(&b, &id, refused).await;
            assert_eq!(r.status, StatusCode::CONFLICT, "draft → {refused}");
            assert!(r.body.contains("cannot move to that status"));
        }
        assert_eq!(move_to(&b, &id, "sideways").await.status, StatusCode::BAD_REQUEST);
        assert_eq!(status_of(&b, &id).await, "draft");

        assert_eq!(move_to(&b, &id, "live").await.status, StatusCode::SEE_OTHER);
        let page = b.get(&format!("/app/events/{id}?status=1")).await;
        assert!(page.body.contains("The event is now Live."));
        assert!(b.get(&link).await.body.contains("Welcome!"));

        // Ending asks first.
        let confirm = b.get(&format!("/app/events/{id}/status?to=ended")).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.body.contains("End “Anna &#38; Ben”?"));
        assert!(confirm.body.contains("Uploads close for everyone."));
        let refused_confirm = b.get(&format!("/app/events/{id}/status?to=draft")).await;
        assert_eq!(refused_confirm.status, StatusCode::CONFLICT);
        assert_eq!(move_to(&b, &id, "ended").await.status, StatusCode::SEE_OTHER);
        assert!(b.get(&link).await.body.contains("has ended"));

        assert_eq!(move_to(&b, &id, "live").await.status, StatusCode::SEE_OTHER, "reopened");
        assert_eq!(move_to(&b, &id, "ended").await.status, StatusCode::SEE_OTHER);
        assert_eq!(move_to(&b, &id, "archived").await.status, StatusCode::SEE_OTHER);
        assert_eq!(status_of(&b, &id).await, "archived");
        for refused in ["live", "ended", "draft"] {
            assert_eq!(move_to(&b, &id, refused).await.status, StatusCode::CONFLICT, "archived → {refused}");
        }
        let gone = b.get(&link).await;
        assert_eq!(gone.status, StatusCode::GONE);
        assert!(gone.body.contains("closed and archived"));

        // Out of the default list, found by its filter.
        assert!(listed(&b.get("/app/events").await).is_empty());
        assert_eq!(listed(&b.get("/app/events?status=archived").await), ["Anna &#38; Ben"]);
    }
);

db_test!(
    async fn the_join_link_its_qr_code_and_the_poster(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.14");
        b.register("Ada Host", "Ada's Weddings").await;
        let id = create(&b, "Anna & Ben", &[]).await;
        let page = b.get(&format!("/app/events/{id}")).await;
        let url = join_url(&page);
        assert!(url.starts_with("http://127.0.0.1:8080/j/"), "{url}");
        assert!(page.body.contains("MOMENTIQUE_PUBLIC_URL"), "says the host is guessed");
        let token = url.rsplit('/').next().expect("token").to_owned();
        assert_eq!(token.len(), 26, "128 bits in base32");

        for size in [256, 512, 1024, 2048] {
            let png = b.get(&format!("/app/events/{id}/qr-{size}.png")).await;
            assert_eq!(png.status, StatusCode::OK);
            assert_eq!(png.header("content-type"), "image/png");
            assert!(png.header("content-disposition").starts_with("attachment;"));
            let img = image::load_from_memory(&png.bytes).expect("png");
            assert_eq!((img.width(), img.height()), (size, size));
            if size == 512 {
                assert_eq!(decode_qr(&png.bytes), url, "the code leads to the join link");
            }
        }
        let svg = b.get(&format!("/app/events/{id}/qr.svg")).await;
        assert_eq!(svg.header("content-type"), "image/svg+xml");
        assert!(svg.body.starts_with("<svg"));
        assert_eq!(b.get(&format!("/app/events/{id}/qr-300.png")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(b.get(&format!("/app/events/{id}/other.txt")).await.status, StatusCode::NOT_FOUND);

        let poster = b.get(&format!("/app/events/{id}/poster")).await;
        assert_eq!(poster.status, StatusCode::OK);
        assert!(poster.body.contains("class=\"poster-qr\""));
        assert!(poster.body.contains("Share your photos!"));
        // The address to type is grouped in fives, and works as typed, in any case.
        let grouped: String = token
            .as_bytes()
            .chunks(5)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect::<Vec<_>>()
            .join("-");
        assert!(poster.body.contains(&format!("127.0.0.1:8080/j/{grouped}")), "short URL");
        // The designs: the sign (the default) and four table cards, each with the code and the
        // short address; without a cover photo a band in the brand colour stands in.
        for (design, qrs) in [("sign", 1), ("cards", 4)] {
            let r = b.get(&format!("/app/events/{id}/poster?design={design}")).await;
            assert_eq!(r.status, StatusCode::OK, "{design}");
            assert_eq!(r.body.matches("class=\"poster-qr\"").count(), qrs, "{design}");
            assert_eq!(r.body.matches(&format!("<strong>127.0.0.1:8080/j/{grouped}</strong>")).count(), qrs, "{design}");
            assert!(r.body.contains("class=\"poster-band\""), "{design}: no cover yet");
            assert!(!r.body.contains("poster-cover"), "{design}");
            assert!(r.body.contains(&format!("href=\"/app/events/{id}/poster?design={design}\" aria-current=\"page\"")));
        }
        assert!(poster.body.contains("poster-sign"), "the sign is the default");
        assert_eq!(b.get(&format!("/app/events/{id}/poster?design=banner")).await.status, StatusCode::NOT_FOUND);
        let show = b.get(&format!("/app/events/{id}")).await;
        for design in ["sign", "cards"] {
            assert!(show.body.contains(&format!("href=\"/app/events/{id}/poster?design={design}\"")), "{design}");
        }
        assert!(show.body.contains("data-copy-link hidden"), "the copy button waits for the script");
        assert!(show.body.contains("data-share-link hidden"), "the share button waits for the script");
        let typed = b.get(&format!("/j/{}", grouped.to_uppercase())).await;
        assert_eq!(typed.status, StatusCode::OK);
        assert!(typed.body.contains("Anna &#38; Ben"));
        assert_eq!(typed.header("referrer-policy"), "same-origin");

        // Replacing the link: the old one says so, the new one works.
        let confirm = b.get(&format!("/app/events/{id}/rotate-link")).await;
        assert!(confirm.body.contains("stop working"));
        let r = b
            .submit(
                &format!("/app/events/{id}/rotate-link"),
                &format!("/app/events/{id}/rotate-link"),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = b.get(r.location()).await;
        assert!(page.body.contains("The guest link is replaced."));
        let new_url = join_url(&page);
        assert_ne!(new_url, url);
        let old = b.get(&path_of(&url)).await;
        assert_eq!(old.status, StatusCode::GONE);
        assert!(old.body.contains("This link was replaced"));
        assert_eq!(b.get(&path_of(&new_url)).await.status, StatusCode::OK);
        let png = b.get(&format!("/app/events/{id}/qr-512.png")).await;
        assert_eq!(decode_qr(&png.bytes), new_url, "the QR code follows the new link");

        for unknown in ["/j/0000000000000000000000000", "/j/short", "/j/%F0%9F%8E%89"] {
            assert_eq!(b.get(unknown).await.status, StatusCode::NOT_FOUND, "{unknown}");
        }

        // With a public URL, every link and code uses it and the warning goes.
        let public = TestApp::with_config(
            &tdb,
            Backing::Local,
            WebConfig {
                public_url: Some("https://photos.example.com/".into()),
                ..WebConfig::default()
            },
        )
        .await;
        let p = public.browser("203.0.113.15");
        p.register("Cy Host", "Cy's Events").await;
        let pid = create(&p, "Launch party", &[]).await;
        let page = p.get(&format!("/app/events/{pid}")).await;
        let url = join_url(&page);
        assert!(url.starts_with("https://photos.example.com/j/"), "{url}");
        assert!(!page.body.contains("MOMENTIQUE_PUBLIC_URL"));
        let png = p.get(&format!("/app/events/{pid}/qr-256.png")).await;
        assert_eq!(decode_qr(&png.bytes), url);
    }
);

db_test!(
    async fn another_organization_gets_404_for_every_event_page_and_endpoint(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let a = app.browser("203.0.113.16");
        a.register("Ada Host", "Ada's Weddings").await;
        let id = create(&a, "Anna & Ben", &[]).await;
        let link = path_of(&join_url(&a.get(&format!("/app/events/{id}")).await));

        let b = app.browser("203.0.113.17");
        b.register("Mallory", "Mallory's Events").await;
        let unknown = uuid::Uuid::new_v4().to_string();
        for event in [id.as_str(), unknown.as_str(), "not-an-id"] {
            for path in [
                format!("/app/events/{event}"),
                format!("/app/events/{event}/edit"),
                format!("/app/events/{event}/poster"),
                format!("/app/events/{event}/poster?design=cards"),
                format!("/app/events/{event}/qr.svg"),
                format!("/app/events/{event}/qr-512.png"),
                format!("/app/events/{event}/status?to=live"),
                format!("/app/events/{event}/rotate-link"),
                format!("/api/v1/events/{event}"),
                format!("/api/v1/events/{event}/qr.svg"),
                format!("/api/v1/events/{event}/qr.png?size=512"),
            ] {
                let r = b.get(&path).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {path}");
                if path.starts_with("/api/") {
                    assert_eq!(r.json()["error"]["code"], "not_found", "{path}");
                }
            }
            // Writes with Mallory's own valid form token.
            for (path, fields) in [
                (format!("/app/events/{event}/edit"), event_fields("Pwned", &[])),
                (format!("/app/events/{event}/status"), vec![("to", "live")]),
                (format!("/app/events/{event}/rotate-link"), vec![]),
            ] {
                let r = b.submit("/app/events/new", &path, &fields).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {path}");
            }
            for (method, path, body) in [
                ("PATCH", format!("/api/v1/events/{event}"), Some(json!({"name": "Pwned"}))),
                ("POST", format!("/api/v1/events/{event}/status"), Some(json!({"to": "live"}))),
                ("POST", format!("/api/v1/events/{event}/join-link"), None),
            ] {
                let r = b.json(method, &path, body).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
                assert_eq!(r.json()["error"]["code"], "not_found");
            }
        }
        assert!(listed(&b.get("/app/events?q=anna").await).is_empty());
        assert!(b.get("/api/v1/events").await.json()["events"].as_array().expect("list").is_empty());
        assert!(!b.get("/app").await.body.contains("Anna"));

        // Nothing changed for Ada.
        let v = a.get(&format!("/api/v1/events/{id}")).await.json();
        assert_eq!(v["name"], "Anna & Ben");
        assert_eq!(v["status"], "draft");
        assert_eq!(path_of(v["join_url"].as_str().expect("url")), link);
        assert_eq!(a.get(&link).await.status, StatusCode::OK, "the link still works");
    }
);

db_test!(
    async fn the_api_does_what_the_pages_do(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let anon = app.browser("203.0.113.18");
        let r = anon.get("/api/v1/events").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["error"]["code"], "unauthorized");

        let b = app.browser("203.0.113.19");
        b.register("Ada Host", "Ada's Weddings").await;
        let r = b
            .json(
                "POST",
                "/api/v1/events",
                Some(json!({
                    "name": "Anna & Ben",
                    "time_zone": "Europe/Berlin",
                    "starts_at": "2026-06-20T12:00:00Z",
                    "ends_at": "2026-06-21T02:00",
                    "venue": "Gut Kerkow",
                    "settings": { "moderation": "approve", "max_photos_per_guest": 10 }
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let e = r.json();
        let id = e["id"].as_str().expect("id").to_owned();
        assert_eq!(r.header("location"), format!("/api/v1/events/{id}"));
        assert_eq!(e["slug"], "anna-ben");
        assert_eq!(e["status"], "draft");
        assert_eq!(e["starts_at_local"], "2026-06-20T14:00", "UTC given, local shown");
        assert_eq!(e["starts_at"], "2026-06-20T12:00:00Z");
        assert_eq!(e["ends_at"], "2026-06-21T00:00:00Z");
        assert_eq!(e["settings"]["moderation"], "approve");
        assert_eq!(e["settings"]["max_photos_per_guest"], 10);
        assert_eq!(e["settings"]["guest_downloads"], true, "defaults for the rest");
        assert_eq!(e["allowed_transitions"], json!(["live"]));

        let invalid = b
            .json(
                "POST",
                "/api/v1/events",
                Some(json!({
                    "name": "", "slug": "No Good", "time_zone": "Europe/Berlin",
                    "starts_at": "2026-06-20T14:00", "ends_at": "2026-06-20T10:00"
                })),
            )
            .await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        let v = invalid.json();
        assert_eq!(v["error"]["code"], "invalid");
        assert!(v["error"]["fields"]["slug"].as_str().expect("slug").contains("lower-case"));
        assert!(v["error"]["fields"]["name"].is_string());
        assert_eq!(v["error"]["fields"]["ends_at"], "The event must end after it starts.");

        let plain = b
            .request(
                Request::post("/api/v1/events")
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from("{}"))
                    .expect("request"),
            )
            .await;
        assert_eq!(plain.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(plain.json()["error"]["code"], "unsupported_media_type");
        for bad in ["{not json", "{\"nmae\": \"typo\"}", "{\"name\": 5}"] {
            let r = b
                .request(
                    Request::post("/api/v1/events")
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(bad))
                        .expect("request"),
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(r.json()["error"]["code"], "bad_request");
        }

        // A page posted from another site is refused, JSON or not.
        let cross = b
            .request(
                Request::post("/api/v1/events")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::HOST, "localhost")
                    .header(header::ORIGIN, "https://evil.example")
                    .header("sec-fetch-site", "cross-site")
                    .body(Body::from(json!({"name": "x"}).to_string()))
                    .expect("request"),
            )
            .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);
        assert_eq!(cross.json()["error"]["code"], "csrf_rejected");

        for (name, day) in [("B event", "2026-07-01"), ("C event", "2026-08-01")] {
            let r = b
                .json(
                    "POST",
                    "/api/v1/events",
                    Some(json!({
                        "name": name, "time_zone": "UTC",
                        "starts_at": format!("{day}T18:00"), "ends_at": format!("{day}T23:00")
                    })),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED);
        }
        // Cursor pages: every event once, in order.
        let mut names = Vec::new();
        let mut uri = "/api/v1/events?sort=starts_asc&limit=2".to_owned();
        loop {
            let v = b.get(&uri).await.json();
            for e in v["events"].as_array().expect("list") {
                names.push(e["name"].as_str().expect("name").to_owned());
            }
            match v["next_cursor"].as_str() {
                Some(c) => uri = format!("/api/v1/events?sort=starts_asc&limit=2&after={c}"),
                None => break,
            }
        }
        assert_eq!(names, ["Anna & Ben", "B event", "C event"]);
        let v = b.get("/api/v1/events?q=kerkow").await.json();
        assert_eq!(v["events"].as_array().expect("list").len(), 1);
        assert_eq!(b.get("/api/v1/events?status=bogus").await.status, StatusCode::BAD_REQUEST);

        // A partial update changes only what it names.
        let r = b
            .json("PATCH", &format!("/api/v1/events/{id}"), Some(json!({"venue": "Schloss"})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = r.json();
        assert_eq!(v["venue"], "Schloss");
        assert_eq!(v["name"], "Anna & Ben");
        assert_eq!(v["settings"]["moderation"], "approve");
        assert_eq!(v["starts_at"], "2026-06-20T12:00:00Z");
        let r = b
            .json(
                "PATCH",
                &format!("/api/v1/events/{id}"),
                Some(json!({"settings": {"upload_opens_at": "2026-06-20T15:00", "upload_closes_at": null}})),
            )
            .await;
        assert_eq!(r.json()["settings"]["upload_opens_at"], "2026-06-20T13:00:00Z");

        // Transitions.
        let status = format!("/api/v1/events/{id}/status");
        let r = b.json("POST", &status, Some(json!({"to": "ended"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.json()["error"]["code"], "bad_transition");
        assert_eq!(r.json()["error"]["allowed"], json!(["live"]));
        let r = b.json("POST", &status, Some(json!({"to": "live"}))).await;
        assert_eq!(r.json()["status"], "live");
        let r = b.json("POST", &status, Some(json!({"to": "nope"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Rotation and QR.
        let old = e["join_url"].as_str().expect("url").to_owned();
        let r = b.json("POST", &format!("/api/v1/events/{id}/join-link"), None).await;
        assert_eq!(r.status, StatusCode::OK);
        let new = r.json()["join_url"].as_str().expect("url").to_owned();
        assert_ne!(old, new);
        assert_eq!(b.get(&path_of(&old)).await.status, StatusCode::GONE);
        let png = b.get(&format!("/api/v1/events/{id}/qr.png?size=1024")).await;
        assert_eq!(png.header("content-type"), "image/png");
        assert_eq!(decode_qr(&png.bytes), new);
        let r = b.get(&format!("/api/v1/events/{id}/qr.png?size=300")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.json()["error"]["message"].as_str().expect("msg").contains("256, 512, 1024, 2048"));
    }
);
