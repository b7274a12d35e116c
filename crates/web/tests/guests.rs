//! Guests through the real router: joining from the link with a name, the guest session,
//! uploading (script and plain form) within the event's rules, "My photos", and that a guest
//! of one event reaches nothing of another event or organization. SQLite and PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::{
    Backing, Browser, Reply, TestApp, join, jpeg, live_event, process, set_status, tenant_of,
};
use test_support::db_test;

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

db_test!(
    async fn a_guest_joins_with_a_name_and_uploads(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.40");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({"max_photos_per_guest": 3})).await;

        let guest = app.browser("198.51.100.20");
        let page = guest.get(&link).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<h1>Anna &#38; Ben</h1>"));
        assert!(page.body.contains("Your name"));
        assert_eq!(page.header("referrer-policy"), "same-origin");

        // The name is required here: an empty one comes back with a message.
        let r = join(&guest, &link, "   ").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("this event asks for it"));
        let r = join(&guest, &link, &"x".repeat(61)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        let r = join(&guest, &link, "  Lena   Gast ").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), format!("/g/{event}"));
        let cookie = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("text").to_owned())
            .find(|c| c.starts_with("mq_g_"))
            .expect("a guest cookie");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        // Back on the link later: straight to the event page.
        assert_eq!(guest.get(&link).await.location(), format!("/g/{event}"));

        let home = guest.get(&format!("/g/{event}")).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("Hello, Lena Gast!"));
        assert!(home.body.contains("Add photos"));
        assert!(home.body.contains("You have shared 0 of up to 3 photos."));

        let r = upload(&guest, &event, jpeg(800, 600, 10)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        assert_eq!(r.json()["status"], "processing");
        assert!(r.json().get("original_url").is_none(), "guests get renditions only");
        let again = upload(&guest, &event, jpeg(800, 600, 10)).await;
        assert_eq!(again.status, StatusCode::OK, "the same photo twice is one photo");

        let status = guest.get(&format!("/g/{event}/photos/{id}")).await;
        assert_eq!(status.status, StatusCode::OK);
        assert_eq!(status.json()["id"], id.as_str());

        // The host sees the guest's photo under the guest's name.
        let list = host.get(&format!("/api/v1/events/{event}/photos")).await.json();
        assert_eq!(list["photos"][0]["uploader_name"], "Lena Gast");

        // The per-guest limit, with a message that says so.
        assert_eq!(upload(&guest, &event, jpeg(640, 480, 11)).await.status, StatusCode::CREATED);
        assert_eq!(upload(&guest, &event, jpeg(640, 480, 12)).await.status, StatusCode::CREATED);
        let r = upload(&guest, &event, jpeg(640, 480, 13)).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.json()["error"]["code"], "photo_limit");
        assert!(r.json()["error"]["message"].as_str().expect("msg").contains("3 photos"));
        let home = guest.get(&format!("/g/{event}")).await;
        assert_eq!(home.body.matches("class=\"photo-tile").count(), 3, "My photos");
        assert!(home.body.contains("the most this event takes from one guest"));
        assert!(!home.body.contains("data-uploader"), "no upload form at the limit");

        // Bad files get the same clear refusals as members'.
        let other = app.browser("198.51.100.21");
        join(&other, &link, "Tom").await;
        let r = upload(&other, &event, b"<html>".to_vec()).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(r.json()["error"]["code"], "unsupported_type");
    }
);

db_test!(
    async fn the_event_rules_decide_when_guests_may_upload(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.41");
        host.register("Ada Host", "Ada's Weddings").await;

        // A draft: the link says "not open yet", and joining is refused.
        let r = host
            .json(
                "POST",
                "/api/v1/events",
                Some(json!({"name": "Later", "time_zone": "UTC",
                    "starts_at": "2026-06-20T14:00", "ends_at": "2027-06-21T02:00",
                    "settings": {"guest_name_required": false}})),
            )
            .await;
        let draft = r.json();
        let draft_link = {
            let u = draft["join_url"].as_str().expect("url");
            u[u.find("/j/").expect("path")..].to_owned()
        };
        let guest = app.browser("198.51.100.22");
        let page = guest.get(&draft_link).await;
        assert!(page.body.contains("not open yet"));
        assert!(!page.body.contains("name=\"name\""), "no join form for a draft");

        // Live, name optional: joining without a name works.
        let id = draft["id"].as_str().expect("id").to_owned();
        set_status(&host, &id, "live").await;
        let r = join(&guest, &draft_link, "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(upload(&guest, &id, jpeg(320, 240, 1)).await.status, StatusCode::CREATED);

        // Uploads off, a window in the future, a window past: each says what happened.
        let cases = [
            (json!({"uploads_enabled": false}), "paused photo uploads"),
            (json!({"uploads_enabled": true, "upload_opens_at": "2027-06-20T20:00", "upload_closes_at": null}), "Photo uploads open on"),
            (json!({"upload_opens_at": "2026-06-20T14:00", "upload_closes_at": "2026-06-20T20:00"}), "Photo uploads closed on"),
        ];
        for (settings, message) in cases {
            let r = host
                .json("PATCH", &format!("/api/v1/events/{id}"), Some(json!({"settings": settings})))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let r = upload(&guest, &id, jpeg(320, 240, 2)).await;
            assert_eq!(r.status, StatusCode::CONFLICT, "{message}");
            assert_eq!(r.json()["error"]["code"], "uploads_closed");
            assert!(r.json()["error"]["message"].as_str().expect("m").contains(message), "{message}");
            assert!(guest.get(&format!("/g/{id}")).await.body.contains(message));
        }
        host.json(
            "PATCH",
            &format!("/api/v1/events/{id}"),
            Some(json!({"settings": {"upload_opens_at": null, "upload_closes_at": null}})),
        )
        .await;

        // Ended: the guest still sees their photos; uploads are closed.
        set_status(&host, &id, "ended").await;
        let home = guest.get(&format!("/g/{id}")).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("This event has ended"));
        assert_eq!(home.body.matches("class=\"photo-tile").count(), 1);
        assert_eq!(upload(&guest, &id, jpeg(320, 240, 3)).await.status, StatusCode::CONFLICT);
        // Archived: the link is gone.
        set_status(&host, &id, "archived").await;
        assert_eq!(guest.get(&draft_link).await.status, StatusCode::GONE);
    }
);

db_test!(
    async fn the_plain_form_works_for_guests_without_javascript(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.42");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.23");
        join(&guest, &link, "Lena").await;
        let home = guest.get(&format!("/g/{event}")).await;
        let token = home.input_value("csrf_token").expect("form token");
        let form = |token: &str, files: Vec<Vec<u8>>| {
            let mut body = format!(
                "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            )
            .into_bytes();
            for (i, f) in files.into_iter().enumerate() {
                body.extend(format!("--B\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"p{i}.jpg\"\r\n\r\n").as_bytes());
                body.extend(f);
                body.extend(b"\r\n");
            }
            body.extend(b"--B--\r\n");
            Request::post(format!("/g/{event}/photos"))
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(body))
                .expect("request")
        };
        let forged = guest.request(form("nope", vec![jpeg(100, 100, 1)])).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let r = guest
            .request(form(&token, vec![jpeg(300, 200, 1), jpeg(200, 300, 2)]))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = guest.get(r.location()).await;
        assert!(page.body.contains("2 photos received. Thank you!"));
        assert_eq!(page.body.matches("class=\"photo-tile").count(), 2);
    }
);

db_test!(
    async fn a_guest_reaches_nothing_of_another_event_or_organization(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.43");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event_a, link_a) = live_event(&host, json!({})).await;
        let (event_b, _) = live_event(&host, json!({})).await;
        let other_host = app.browser("203.0.113.44");
        other_host.register("Bo Host", "Bo's Parties").await;
        let (event_c, _) = live_event(&other_host, json!({})).await;

        let guest = app.browser("198.51.100.24");
        join(&guest, &link_a, "Lena").await;
        let id = upload(&guest, &event_a, jpeg(320, 240, 7)).await.json()["id"]
            .as_str()
            .expect("id")
            .to_owned();

        // Another event of the same organization, and another organization's event.
        for event in [&event_b, &event_c] {
            let page = guest.get(&format!("/g/{event}")).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{event}");
            assert!(page.body.contains("Scan the event"));
            let r = upload(&guest, event, jpeg(100, 100, 8)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
            assert_eq!(
                guest.get(&format!("/g/{event}/photos/{id}")).await.status,
                StatusCode::FORBIDDEN
            );
        }
        // Their cookie copied under another event's name does not open it.
        let cookie_a = guest
            .cookie(&format!("mq_g_{}", event_a.replace('-', "")))
            .expect("guest cookie");
        let thief = app.browser("198.51.100.25");
        thief.set_cookie(&format!("mq_g_{}", event_c.replace('-', "")), &cookie_a);
        assert_eq!(thief.get(&format!("/g/{event_c}")).await.status, StatusCode::FORBIDDEN);
        // A made-up cookie for the right event does nothing either.
        let forger = app.browser("198.51.100.26");
        let tenant = cookie_a.split('.').next().expect("tenant");
        forger.set_cookie(
            &format!("mq_g_{}", event_a.replace('-', "")),
            &format!("{tenant}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        );
        assert_eq!(forger.get(&format!("/g/{event_a}")).await.status, StatusCode::FORBIDDEN);

        // Another guest of the same event cannot see this guest's photo.
        let other_guest = app.browser("198.51.100.27");
        join(&other_guest, &link_a, "Tom").await;
        assert_eq!(
            other_guest.get(&format!("/g/{event_a}/photos/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            other_guest.get(&format!("/g/{event_a}")).await.body.matches("class=\"photo-tile").count(),
            0
        );
        // A guest is not a member: the host's pages and the API stay closed.
        assert_eq!(guest.get(&format!("/app/events/{event_a}")).await.status, StatusCode::SEE_OTHER);
        assert_eq!(guest.get(&format!("/api/v1/photos/{id}")).await.status, StatusCode::UNAUTHORIZED);
    }
);

db_test!(
    async fn guests_see_everyones_published_photos_and_download_them(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.45");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let lena = app.browser("198.51.100.40");
        join(&lena, &link, "Lena").await;
        let tom = app.browser("198.51.100.41");
        join(&tom, &link, "Tom").await;
        let mut ids = Vec::new();
        for (i, who) in [&lena, &tom, &lena].into_iter().enumerate() {
            let r = upload(who, &event, jpeg(900, 600, i as u8)).await;
            let id = r.json()["id"].as_str().expect("id").to_owned();
            process(&app, tenant, &id).await;
            ids.push(id);
        }
        // The host hides one: guests no longer see it.
        host.submit(
            &format!("/app/events/{event}/moderation"),
            &format!("/app/events/{event}/moderation"),
            &[("action", "hide"), ("photo", &ids[1])],
        )
        .await;

        let g = tom.get(&format!("/g/{event}/gallery")).await;
        assert_eq!(g.status, StatusCode::OK);
        assert_eq!(g.body.matches("class=\"photo-tile\"").count(), 2, "hidden photo left out");
        assert!(g.body.contains(&format!("id=\"photo-{}\"", ids[0])));
        assert!(!g.body.contains(&format!("id=\"photo-{}\"", ids[1])));
        assert!(g.body.contains("data-caption=\"Lena · "), "who took it, in the lightbox caption");

        // Download: the 1920 rendition with a sensible name, never the original.
        let d = tom.get(&format!("/g/{event}/photos/{}/download", ids[0])).await;
        assert_eq!(d.status, StatusCode::OK);
        assert_eq!(d.header("content-type"), "image/webp");
        let name = d.header("content-disposition").to_owned();
        assert!(name.starts_with("attachment; filename=\"anna-ben-lena-"), "{name}");
        assert!(image::load_from_memory(&d.bytes).is_ok());
        // Tom's own hidden photo: still downloadable by him; not by Lena.
        assert_eq!(tom.get(&format!("/g/{event}/photos/{}/download", ids[1])).await.status, StatusCode::OK);
        assert_eq!(lena.get(&format!("/g/{event}/photos/{}/download", ids[1])).await.status, StatusCode::NOT_FOUND);

        // Downloads off, and a drop-box event: each says so.
        host.json("PATCH", &format!("/api/v1/events/{event}"), Some(json!({"settings": {"guest_downloads": false}})))
            .await;
        let d = tom.get(&format!("/g/{event}/photos/{}/download", ids[0])).await;
        assert_eq!(d.status, StatusCode::FORBIDDEN);
        assert!(d.body.contains("not allowed downloads"));
        assert!(!tom.get(&format!("/g/{event}/gallery")).await.body.contains("/download"));
        host.json("PATCH", &format!("/api/v1/events/{event}"), Some(json!({"settings": {"guest_visibility": "own"}})))
            .await;
        let g = tom.get(&format!("/g/{event}/gallery")).await;
        assert!(g.body.contains("each guest sees only their own"));
        assert_eq!(g.body.matches("class=\"photo-tile\"").count(), 0);

        // Not a guest of this event: no gallery.
        let stranger = app.browser("198.51.100.42");
        assert_eq!(stranger.get(&format!("/g/{event}/gallery")).await.status, StatusCode::FORBIDDEN);
    }
);

db_test!(
    async fn guests_react_once_per_kind_and_the_host_sees_the_count(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.46");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let lena = app.browser("198.51.100.50");
        join(&lena, &link, "Lena").await;
        let tom = app.browser("198.51.100.51");
        join(&tom, &link, "Tom").await;
        let id = upload(&lena, &event, jpeg(500, 400, 9)).await.json()["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let react = |who: &Browser<'_>, kind: &str, json: bool| {
            let token = who.cookie("mq_csrf").unwrap_or_default();
            let body = serde_urlencoded::to_string([("csrf_token", token.as_str()), ("kind", kind)])
                .expect("form");
            let mut req = Request::post(format!("/g/{event}/photos/{id}/react"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost");
            if json {
                req = req.header(header::ACCEPT, "application/json");
            }
            req.body(Body::from(body)).expect("request")
        };
        // Not published yet (processing): nothing to react to.
        assert_eq!(tom.request(react(&tom, "heart", true)).await.status, StatusCode::NOT_FOUND);
        process(&app, tenant, &id).await;

        let r = tom.request(react(&tom, "heart", true)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json(), json!({"kind": "heart", "on": true, "count": 1}));
        let r = lena.request(react(&lena, "heart", true)).await;
        assert_eq!(r.json()["count"], 2);
        // Toggling back is taking it back: one of each kind per person.
        let r = tom.request(react(&tom, "heart", true)).await;
        assert_eq!(r.json(), json!({"kind": "heart", "on": false, "count": 1}));
        let r = tom.request(react(&tom, "party", false)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "without script: back to the photo");
        assert_eq!(r.location(), format!("/g/{event}/photos/{id}/view"));
        assert_eq!(tom.request(react(&tom, "thumbs-down", true)).await.status, StatusCode::NOT_FOUND);

        let g = tom.get(&format!("/g/{event}/gallery")).await;
        assert!(g.body.contains("heart:1:0"), "the tile carries the counts for the lightbox");
        assert!(g.body.contains("party:1:1"), "and Tom's own reaction");
        let page = tom.get(&format!("/g/{event}/photos/{id}/view")).await;
        assert!(page.body.contains("value=\"party\" aria-pressed=\"true\""), "Tom's own reaction shows");
        assert!(page.body.contains("value=\"heart\" aria-pressed=\"false\""));
        let dash = host.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("<dt>Reactions</dt><dd>2</dd>"), "heart (Lena) + party (Tom)");
        // Members react too, one of each kind, from their photo page.
        let r = host
            .submit(
                &format!("/app/events/{event}/photos"),
                &format!("/app/events/{event}/photos/{id}/react"),
                &[("kind", "heart")],
            )
            .await;
        assert_eq!(r.location(), format!("/app/events/{event}/photos#photo-{id}"));
        let page = host.get(&format!("/app/events/{event}/photos")).await;
        assert!(page.body.contains("value=\"heart\" aria-pressed=\"true\""));
        assert!(host.get(&format!("/app/events/{event}")).await.body.contains("<dt>Reactions</dt><dd>3</dd>"));

        // A guest of another event cannot react here.
        let (_, other_link) = live_event(&host, json!({})).await;
        let stranger = app.browser("198.51.100.52");
        join(&stranger, &other_link, "Eve").await;
        assert_eq!(stranger.request(react(&stranger, "heart", true)).await.status, StatusCode::FORBIDDEN);
    }
);

db_test!(
    async fn the_guest_pages_weigh_under_30_kb_compressed(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.47");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.70");
        let get = |path: String| {
            Request::get(path)
                .header(header::ACCEPT_ENCODING, "br, gzip")
                .body(Body::empty())
                .expect("request")
        };
        let join_page = guest.request(get(link.clone())).await;
        join(&guest, &link, "Lena").await;
        let home = guest.request(get(format!("/g/{event}"))).await;
        let gallery = guest.request(get(format!("/g/{event}/gallery"))).await;
        let find = |html: &str, marker: &str| {
            let at = html.find(marker).expect("the asset link") + marker.len();
            html[at..at + html[at..].find('"').expect("quote")].to_owned()
        };
        // The page bodies are compressed: decode one to read its asset links.
        let plain = guest.get(&format!("/g/{event}")).await;
        let css = guest.request(get(find(&plain.body, "rel=\"stylesheet\" href=\""))).await;
        let js = guest.request(get(find(&plain.body, "<script type=\"module\" src=\""))).await;
        for r in [&join_page, &home, &gallery, &css, &js] {
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.header("content-encoding"), "br", "sent compressed");
        }
        // What a guest's phone downloads: the heaviest page, the stylesheet and the script.
        let page = join_page.bytes.len().max(home.bytes.len()).max(gallery.bytes.len());
        let total = page + css.bytes.len() + js.bytes.len();
        assert!(
            total <= 30 * 1024,
            "guest page weight (brotli): page {page} B + css {} B + js {} B = {total} B",
            css.bytes.len(),
            js.bytes.len()
        );
    }
);

db_test!(
    async fn a_cut_connection_resumes_to_one_intact_photo(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.48");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({"max_file_mb": 5})).await;
        let guest = app.browser("198.51.100.80");
        join(&guest, &link, "Lena").await;
        let photo = jpeg(1600, 1200, 42);
        let len = photo.len();

        let start = |length: usize| {
            Request::post(format!("/g/{event}/uploads"))
                .header("upload-length", length.to_string())
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::empty())
                .expect("request")
        };
        let patch = |url: &str, offset: usize, body: Body| {
            Request::patch(url)
                .header("upload-offset", offset.to_string())
                .header(header::CONTENT_TYPE, "application/offset+octet-stream")
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(body)
                .expect("request")
        };
        let r = guest.request(start(len)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let url = r.header("location").to_owned();
        assert_eq!(r.header("upload-offset"), "0");

        // The connection drops after two pieces: what arrived is kept.
        let cut = len * 2 / 5;
        let (a, b) = (photo[..cut / 2].to_vec(), photo[cut / 2..cut].to_vec());
        let pieces = futures::stream::iter(vec![
            Ok(axum::body::Bytes::from(a)),
            Ok(axum::body::Bytes::from(b)),
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "Wi-Fi gone")),
        ]);
        guest.request(patch(&url, 0, Body::from_stream(pieces))).await;
        let status = guest.get(&url).await;
        assert_eq!(status.status, StatusCode::OK);
        assert_eq!(status.header("upload-offset"), cut.to_string());

        // Resending from the start is refused with where to go on from.
        let r = guest.request(patch(&url, 0, Body::from(photo.clone()))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.header("upload-offset"), cut.to_string());
        assert_eq!(r.json()["error"]["code"], "offset_mismatch");

        // Another guest cannot look at or add to it.
        let other = app.browser("198.51.100.81");
        join(&other, &link, "Tom").await;
        assert_eq!(other.get(&url).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            other.request(patch(&url, cut, Body::from(photo[cut..].to_vec()))).await.status,
            StatusCode::NOT_FOUND
        );

        // The rest: one photo, intact.
        let r = guest.request(patch(&url, cut, Body::from(photo[cut..].to_vec()))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        let stored = app
            .state
            .services
            .blobs
            .get(&format!("{}/{event}/{id}/original.jpg", tenant_of(&host).await))
            .await
            .expect("the original");
        assert_eq!(stored.as_ref(), &photo[..], "byte for byte");
        assert_eq!(guest.get(&url).await.status, StatusCode::NOT_FOUND, "finished uploads are gone");

        // Sending the same photo again (a retry after a reload) gives the same photo.
        let again = guest.request(start(len)).await.header("location").to_owned();
        let r = guest.request(patch(&again, 0, Body::from(photo.clone()))).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["id"], id.as_str());
        let list = host.get(&format!("/api/v1/events/{event}/photos")).await.json();
        assert_eq!(list["photos"].as_array().expect("list").len(), 1, "no duplicate");

        // Too long for the event, or more bytes than announced: refused.
        let r = guest.request(start(6 * 1024 * 1024)).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        let small = guest.request(start(10)).await.header("location").to_owned();
        let r = guest.request(patch(&small, 0, Body::from(vec![0u8; 20]))).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        let r = guest
            .request(
                Request::post(format!("/g/{event}/uploads"))
                    .header(header::HOST, "localhost")
                    .header(header::ORIGIN, "http://localhost")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "no length");
    }
);

db_test!(
    async fn the_gallery_filters_sorts_and_counts_views(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.49");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let lena = app.browser("198.51.100.90");
        join(&lena, &link, "Lena").await;
        let tom = app.browser("198.51.100.91");
        join(&tom, &link, "Tom").await;
        let mut ids = Vec::new();
        for (i, who) in [&lena, &tom, &lena].into_iter().enumerate() {
            let id = upload(who, &event, jpeg(300, 200, 100 + i as u8)).await.json()["id"]
                .as_str()
                .expect("id")
                .to_owned();
            process(&app, tenant, &id).await;
            ids.push(id);
        }
        let post = |who: &Browser<'_>, path: String, fields: Vec<(&str, String)>| {
            let token = who.cookie("mq_csrf").unwrap_or_default();
            let mut all = vec![("csrf_token", token)];
            all.extend(fields);
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(serde_urlencoded::to_string(all).expect("form")))
                .expect("request")
        };
        // Photo 0 gets two reactions, photo 1 one.
        for (who, photo, kind) in [(&lena, 0, "heart"), (&tom, 0, "party"), (&tom, 1, "clap")] {
            let r = who
                .request(post(who, format!("/g/{event}/photos/{}/react", ids[photo]), vec![("kind", kind.into())]))
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
        }
        let order = |html: &str| -> Vec<usize> {
            let mut found: Vec<(usize, usize)> = ids
                .iter()
                .enumerate()
                .filter_map(|(i, id)| html.find(&format!("id=\"photo-{id}\"")).map(|at| (at, i)))
                .collect();
            found.sort();
            found.into_iter().map(|(_, i)| i).collect()
        };
        let g = |q: &str| {
            let path = format!("/g/{event}/gallery{q}");
            let tom = &tom;
            async move { tom.get(&path).await }
        };
        assert_eq!(order(&g("").await.body), [2, 1, 0], "newest first");
        assert_eq!(order(&g("?sort=oldest").await.body), [0, 1, 2]);
        assert_eq!(order(&g("?sort=reacted").await.body), [0, 1, 2], "most reactions first");
        assert_eq!(order(&g("?who=Tom").await.body), [1]);
        assert_eq!(order(&g("?who=Lena&sort=oldest").await.body), [0, 2]);
        assert_eq!(order(&g("?reacted=on").await.body), [1, 0]);
        let none = g("?day=2001-01-01").await;
        assert!(order(&none.body).is_empty());
        assert!(none.body.contains("No photos match these filters."));
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert_eq!(order(&g(&format!("?day={today}")).await.body).len(), 3, "the event is in UTC");
        let page = g("?who=Tom").await;
        assert!(page.body.contains("<option selected>Tom</option>"), "filters are kept on the page");

        // "Download these": the ZIP follows the gallery's filters.
        let z = tom.get(&format!("/g/{event}/download.zip?who=Lena")).await;
        assert_eq!(z.status, StatusCode::OK);
        let zip = async_zip::base::read::mem::ZipFileReader::new(z.bytes).await.expect("a ZIP");
        let names: Vec<String> = zip
            .file()
            .entries()
            .iter()
            .map(|e| e.filename().as_str().expect("name").to_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("Lena/") && n.ends_with(".webp")));
        assert!(tom.get(&format!("/g/{event}/gallery?who=Lena")).await.body.contains("download.zip?who=Lena"));

        // Views: once per guest, whatever they do.
        for who in [&tom, &tom, &lena] {
            let r = who.request(post(who, format!("/g/{event}/photos/{}/view", ids[0]), vec![])).await;
            assert_eq!(r.status, StatusCode::NO_CONTENT);
        }
        let dash = host.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("<dt>Photo views</dt><dd>2</dd>"));
        assert!(dash.body.contains("<dt>Reactions</dt><dd>3</dd>"));
    }
);

db_test!(
    async fn gallery_tiles_carry_an_instant_placeholder(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.57");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.95");
        join(&guest, &link, "Lena").await;
        let id = upload(&guest, &event, jpeg(600, 400, 7)).await.json()["id"]
            .as_str()
            .expect("id")
            .to_owned();
        process(&app, tenant, &id).await;
        for page in [format!("/g/{event}/gallery"), format!("/app/events/{event}/photos")] {
            let who = if page.starts_with("/g/") { &guest } else { &host };
            let body = who.get(&page).await.body;
            let marker = "class=\"ph\" src=\"data:image/png;base64,";
            let at = body.find(marker).unwrap_or_else(|| panic!("{page} has a placeholder")) + marker.len();
            let b64 = &body[at..at + body[at..].find('"').expect("quote")];
            use base64::Engine;
            let png = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
            let img = image::load_from_memory(&png).expect("a PNG");
            assert!(img.width() <= 8 && png.len() < 400, "tiny: {} bytes", png.len());
        }
    }
);

db_test!(
    async fn guests_delete_their_own_photos_and_nobody_elses(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.58");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({})).await;
        let lena = app.browser("198.51.100.96");
        join(&lena, &link, "Lena").await;
        let tom = app.browser("198.51.100.97");
        join(&tom, &link, "Tom").await;
        let id = upload(&lena, &event, jpeg(200, 200, 3)).await.json()["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let path = format!("/g/{event}/photos/{id}/delete");
        assert!(lena.get(&format!("/g/{event}")).await.body.contains(&path), "a delete link on My photos");
        assert_eq!(tom.get(&path).await.status, StatusCode::NOT_FOUND, "not Tom's photo");
        let r = tom.submit(&format!("/g/{event}"), &path, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let confirm = lena.get(&path).await;
        assert!(confirm.body.contains("Delete your photo?"));
        let r = lena.submit(&path, &path, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(lena.get(r.location()).await.body.contains("Your photo is deleted."));
        assert_eq!(host.get(&format!("/api/v1/photos/{id}")).await.status, StatusCode::NOT_FOUND);
        let log = host.get(&format!("/app/events/{event}/moderation")).await;
        assert!(log.body.contains("A guest</td><td>Lena deleted their own photo"));
    }
);

db_test!(
    async fn a_gallery_photo_becomes_the_events_cover(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.59");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let visitor = app.browser("198.51.100.98");
        let page = visitor.get(&link).await;
        assert!(page.body.contains("cover cover-default"), "a default cover at first");

        let guest = app.browser("198.51.100.99");
        join(&guest, &link, "Lena").await;
        let id = upload(&guest, &event, jpeg(900, 600, 5)).await.json()["id"]
            .as_str()
            .expect("id")
            .to_owned();
        // Not yet published: cannot be the cover.
        let r = host
            .submit(&format!("/app/events/{event}/photos"), &format!("/app/events/{event}/cover"), &[("photo", &id)])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        process(&app, tenant, &id).await;
        let photos = host.get(&format!("/app/events/{event}/photos")).await;
        assert!(photos.body.contains("Use as cover"));
        let other = app.browser("203.0.113.60");
        other.register("Mallory", "Mallory's Events").await;
        let r = other
            .submit("/app/events/new", &format!("/app/events/{event}/cover"), &[("photo", &id)])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "another organization");
        let r = host
            .submit(&format!("/app/events/{event}/photos"), &format!("/app/events/{event}/cover"), &[("photo", &id)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(host.get(r.location()).await.body.contains("now the event&#39;s cover"));
        let page = visitor.get(&link).await;
        assert!(page.body.contains("<img class=\"cover\" src=\"/media/"), "the chosen cover");
        let home = guest.get(&format!("/g/{event}")).await;
        assert!(home.body.contains("<img class=\"cover\""));
        // The posters print the cover too, for the host's organization only.
        for design in ["sign", "cards"] {
            let poster = host.get(&format!("/app/events/{event}/poster?design={design}")).await;
            assert_eq!(poster.status, StatusCode::OK);
            assert!(poster.body.contains("<img class=\"poster-cover\" src=\"/media/"), "{design}");
            assert!(poster.body.contains("/j/"), "{design}: the short address");
            let r = other.get(&format!("/app/events/{event}/poster?design={design}")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{design}: another organization");
        }
    }
);
