//! The guests' pages as a phone sees them, through the real router: the gallery as a grid of
//! photos whose tiles link to each photo's own page (its reactions, download and report work
//! without the script), and what the tiles carry for the lightbox. SQLite and PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::{Backing, Browser, Reply, TestApp, join, jpeg, live_event, process, tenant_of};
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

fn id_of(r: &Reply) -> String {
    r.json()["id"].as_str().expect("id").to_owned()
}

db_test!(
    async fn the_gallery_is_a_grid_whose_tiles_open_a_page_with_the_actions(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.90");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let lena = app.browser("198.51.100.90");
        join(&lena, &link, "Lena").await;
        let tom = app.browser("198.51.100.91");
        join(&tom, &link, "Tom").await;
        let first = id_of(&upload(&lena, &event, jpeg(600, 400, 1)).await);
        let second = id_of(&upload(&lena, &event, jpeg(400, 600, 2)).await);
        let waiting = id_of(&upload(&lena, &event, jpeg(300, 300, 3)).await);
        process(&app, tenant, &first).await;
        process(&app, tenant, &second).await;

        let g = tom.get(&format!("/g/{event}/gallery")).await;
        assert_eq!(g.status, StatusCode::OK);
        // Each tile is one link (no buttons on it): to the photo's own page, with what the
        // lightbox needs. What every tile shares is on the grid, once: where the photos live
        // (the script makes /react, /report, /download of it and the tile's id) and that
        // downloads are on. No reactions yet: no reaction data on the tiles.
        assert!(g.body.contains(&format!("data-gallery data-photos=\"/g/{event}/photos/\" data-downloads>")), "{}", g.body);
        for id in [&first, &second] {
            let at = g.body.find(&format!("id=\"photo-{id}\"")).expect("the tile");
            let tile = &g.body[at..at + g.body[at..].find("</li>").expect("end of tile")];
            assert!(tile.contains(&format!("href=\"/g/{event}/photos/{id}/view\"")), "{tile}");
            assert!(!tile.contains("data-react=") && !tile.contains("data-download="), "{tile}");
            assert!(!tile.contains("data-reactions="), "{tile}");
            assert!(!tile.contains("<button") && !tile.contains("<form"), "{tile}");
        }
        assert!(!g.body.contains(&format!("photo-{waiting}")), "not published yet");
        // One set of reaction buttons, in the lightbox.
        assert_eq!(g.body.matches("data-react>").count() + g.body.matches("data-react >").count(), 1);
        assert!(g.body.contains("class=\"lightbox-actions\""));

        // Without the script: the photo's page reacts, downloads and reports.
        let page = tom.get(&format!("/g/{event}/photos/{first}/view")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains(&format!("action=\"/g/{event}/photos/{first}/react\"")));
        assert!(page.body.contains(&format!("href=\"/g/{event}/photos/{first}/download\" download")));
        assert!(page.body.contains(&format!("href=\"/g/{event}/photos/{first}/report\"")));
        assert!(page.body.contains("sizes=\"(max-width: 960px) 100vw, 960px\""));
        assert!(page.body.contains(" 1920w") || page.body.contains(" 600w"), "the large rendition in the srcset");
        assert!(page.body.contains("value=\"heart\" aria-pressed=\"false\""));
        let r = tom
            .submit(
                &format!("/g/{event}/photos/{first}/view"),
                &format!("/g/{event}/photos/{first}/react"),
                &[("kind", "heart")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), format!("/g/{event}/photos/{first}/view"));
        let page = tom.get(&format!("/g/{event}/photos/{first}/view")).await;
        assert!(page.body.contains("value=\"heart\" aria-pressed=\"true\""));
        assert!(page.body.contains("<span class=\"count\">1</span>"));
        let g = lena.get(&format!("/g/{event}/gallery")).await;
        assert!(g.body.contains("data-reactions=\"heart:1:0\""), "Lena sees Tom's heart, not as hers");

        // A photo still processing, one that does not exist, or nonsense: not found.
        for id in [waiting.as_str(), "018f0000-0000-7000-8000-000000000000", "nope"] {
            assert_eq!(tom.get(&format!("/g/{event}/photos/{id}/view")).await.status, StatusCode::NOT_FOUND, "{id}");
        }
        // Downloads off: no download button on the page.
        host.json("PATCH", &format!("/api/v1/events/{event}"), Some(json!({"settings": {"guest_downloads": false}})))
            .await;
        let page = tom.get(&format!("/g/{event}/photos/{first}/view")).await;
        assert!(!page.body.contains("/download\""), "{}", page.body);
        let g = tom.get(&format!("/g/{event}/gallery")).await;
        assert!(g.body.contains(&format!("data-photos=\"/g/{event}/photos/\">")), "no data-downloads: {}", g.body);
        // A guest of another event sees nothing of it.
        let (_, other_link) = live_event(&host, json!({})).await;
        let eve = app.browser("198.51.100.92");
        join(&eve, &other_link, "Eve").await;
        assert_eq!(eve.get(&format!("/g/{event}/photos/{first}/view")).await.status, StatusCode::FORBIDDEN);
    }
);

db_test!(
    async fn my_photos_are_sharp_open_in_the_lightbox_and_the_page_can_add_more(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.93");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({"max_photos_per_guest": 5})).await;
        let lena = app.browser("198.51.100.93");
        join(&lena, &link, "Lena").await;

        // Before any photo: the empty note, an empty grid and the tile the script copies.
        let home = lena.get(&format!("/g/{event}")).await;
        assert!(home.body.contains("photos-empty"));
        assert!(home.body.contains("<ul class=\"photo-grid mine\" data-mine>"));
        assert!(home.body.contains("<template data-mine-tile data-published=\"In the gallery\""));
        assert!(home.body.contains(&format!("data-delete=\"/g/{event}/photos/\"")));
        assert!(
            home.body.contains("data-shared=\"0\" data-shared-text=\"You have shared {n} of up to 5 photos.\""),
            "the count, for the script to follow"
        );
        assert!(home.body.contains("dialog class=\"lightbox\""), "a lightbox for My photos");

        let id = id_of(&upload(&lena, &event, jpeg(1200, 900, 4)).await);
        process(&app, tenant, &id).await;
        let home = lena.get(&format!("/g/{event}")).await;
        assert!(!home.body.contains("photos-empty"));
        assert!(home.body.contains("data-shared=\"1\""));
        assert!(home.body.contains("You have shared 1 of up to 5 photos."));
        let at = home.body.find(&format!("id=\"photo-{id}\"")).expect("the tile");
        let tile = &home.body[at..at + home.body[at..].find("</li>").expect("end")];
        // Every rendition in the srcset (the 800 one is what a 2x phone picks), the largest
        // for the lightbox.
        for w in ["150w", "800w", "1200w"] {
            assert!(tile.contains(&format!(" {w}")), "{w} in {tile}");
        }
        assert!(tile.contains("sizes=\"(max-width: 600px) 50vw, 12rem\""), "{tile}");
        assert!(tile.contains("data-full=\"/media/") && tile.contains("-1920.webp"), "{tile}");
        assert!(tile.contains(&format!("/g/{event}/photos/{id}/delete")));
        // What the script reads as each photo finishes: every rendition with its width.
        let s = lena.get(&format!("/g/{event}/photos/{id}")).await.json();
        assert_eq!(s["status"], "published");
        let widths: Vec<i64> = s["renditions"].as_array().expect("renditions").iter().map(|r| r["width"].as_i64().expect("width")).collect();
        assert_eq!(widths.len(), 3, "{s}");
        assert!(widths.contains(&150) && widths.contains(&1200), "{s}");
    }
);

db_test!(
    async fn dead_ends_lead_guests_back_to_their_event(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.94");
        host.register("Ada Host", "Ada's Weddings").await;
        let (event, link) = live_event(&host, json!({})).await;
        let stranger = app.browser("198.51.100.94");

        // A mistyped code: a guest page (no host menu) that says so, with the code to fix.
        for (typo, kept) in [("/j/ABCDEFGHJKMNPQRSTVWXYZ012", "ABCDEFGHJKMNPQRSTVWXYZ012"), ("/j/short", "short"), ("/j/%F0%9F%8E%89", "")] {
            let r = stranger.get(typo).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{typo}");
            assert!(r.body.contains("We could not find that event"), "{}", r.body);
            assert!(r.body.contains("<form method=\"get\" action=\"/j\">"));
            assert!(r.body.contains(&format!("name=\"code\" type=\"text\" value=\"{kept}\"")), "{typo}");
            assert!(!r.body.contains("href=\"/login\"") && !r.body.contains("href=\"/app\""), "no host menu");
        }
        // Typing the code (or pasting the whole link) leads to the join page.
        let token = &link["/j/".len()..];
        let r = stranger.get(&format!("/j?code=+{}+", token.to_lowercase())).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), format!("/j/{}", token.to_lowercase()));
        assert_eq!(stranger.get(r.location()).await.status, StatusCode::OK, "codes are case-insensitive");
        let pasted = serde_urlencoded::to_string([("code", format!("https://momentique.example{link}"))]).expect("query");
        assert_eq!(stranger.get(&format!("/j?{pasted}")).await.location(), link);
        let r = stranger.get("/j?code=").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Find your event"));
        assert_eq!(stranger.get("/j").await.status, StatusCode::OK);

        // A forwarded gallery link: how to join instead of a bare "not allowed".
        let r = stranger.get(&format!("/g/{event}/gallery")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Join the event first"), "{}", r.body);
        assert!(r.body.contains("Scan the event&#39;s QR code"));
        assert!(r.body.contains("<form method=\"get\" action=\"/j\">"));
        assert!(!r.body.contains("href=\"/login\""), "a guest page, no host menu");
        assert!(!r.body.contains(&link[3..]), "the page cannot know the code");
        // Scripts still get the error itself.
        let r = stranger
            .request(
                Request::get(format!("/g/{event}/photos/018f0000-0000-7000-8000-000000000000"))
                    .header(header::ACCEPT, "application/json")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(!r.body.contains("Join the event first"));

        // A guest who joined keeps going after the host replaced the link.
        let lena = app.browser("198.51.100.95");
        join(&lena, &link, "Lena").await;
        let r = host
            .submit(
                &format!("/app/events/{event}/rotate-link"),
                &format!("/app/events/{event}/rotate-link"),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = lena.get(&link).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), format!("/g/{event}"));
        let r = stranger.get(&link).await;
        assert_eq!(r.status, StatusCode::GONE);
        assert!(r.body.contains("This link was replaced"));
    }
);

db_test!(
    async fn after_the_end_the_join_page_says_what_is_left(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.96");
        host.register("Ada Host", "Ada's Weddings").await;
        let (shared, shared_link) = live_event(&host, json!({})).await;
        let (drop_box, drop_link) = live_event(&host, json!({"guest_visibility": "own"})).await;
        support::set_status(&host, &shared, "ended").await;
        support::set_status(&host, &drop_box, "ended").await;
        let late = app.browser("198.51.100.96");

        let r = late.get(&shared_link).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("This event has ended, so new photos are closed. Tell us your name to look through everyone"), "{}", r.body);
        assert!(r.body.contains("<form method=\"post\""), "they may still join to look");
        let r = join(&late, &shared_link, "Max").await;
        assert_eq!(r.location(), format!("/g/{shared}"));
        assert_eq!(late.get(&format!("/g/{shared}/gallery")).await.status, StatusCode::OK);

        let r = late.get(&drop_link).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("no longer takes photos. Thank you for sharing the day!"), "{}", r.body);
        assert!(!r.body.contains("<form method=\"post\""), "nothing to join for");
    }
);
