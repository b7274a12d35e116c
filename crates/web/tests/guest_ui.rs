//! The guests' pages as a phone sees them, through the real router: the gallery as a grid of
//! photos whose tiles link to each photo's own page (its reactions, download and report work
//! without the script), and what the tiles carry for the lightbox. SQLite and PostgreSQL.

mod support;

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::{Backing, Browser, Reply, TestApp, join, live_event, process, tenant_of};
use test_support::db_test;

fn jpeg(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([seed, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode a JPEG");
    out.into_inner()
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
        // lightbox needs.
        for id in [&first, &second] {
            let at = g.body.find(&format!("id=\"photo-{id}\"")).expect("the tile");
            let tile = &g.body[at..at + g.body[at..].find("</li>").expect("end of tile")];
            assert!(tile.contains(&format!("href=\"/g/{event}/photos/{id}/view\"")), "{tile}");
            assert!(tile.contains(&format!("data-react=\"/g/{event}/photos/{id}/react\"")));
            assert!(tile.contains(&format!("data-report=\"/g/{event}/photos/{id}/report\"")));
            assert!(tile.contains(&format!("data-download=\"/g/{event}/photos/{id}/download\"")));
            assert!(tile.contains("data-reactions=\"heart:0:0 "), "{tile}");
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
        assert!(g.body.contains("data-reactions=\"heart:1:0 "), "Lena sees Tom's heart, not as hers");

        // A photo still processing, one that does not exist, or nonsense: not found.
        for id in [waiting.as_str(), "018f0000-0000-7000-8000-000000000000", "nope"] {
            assert_eq!(tom.get(&format!("/g/{event}/photos/{id}/view")).await.status, StatusCode::NOT_FOUND, "{id}");
        }
        // Downloads off: no download button on the page.
        host.json("PATCH", &format!("/api/v1/events/{event}"), Some(json!({"settings": {"guest_downloads": false}})))
            .await;
        let page = tom.get(&format!("/g/{event}/photos/{first}/view")).await;
        assert!(!page.body.contains("/download\""), "{}", page.body);
        // A guest of another event sees nothing of it.
        let (_, other_link) = live_event(&host, json!({})).await;
        let eve = app.browser("198.51.100.92");
        join(&eve, &other_link, "Eve").await;
        assert_eq!(eve.get(&format!("/g/{event}/photos/{first}/view")).await.status, StatusCode::FORBIDDEN);
    }
);
