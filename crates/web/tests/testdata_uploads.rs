//! The real camera photos in `shared/testdata/photos` (an iPhone HEIC among them) through every
//! way a phone sends one: the members' API, the guest page's script (one request), the guest
//! page's plain form (multipart) and the resumable guest upload in pieces. Each must be accepted,
//! processed by the real job and published with its renditions. SQLite and PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use support::{Backing, Browser, TestApp, join, live_event, process, tenant_of};
use test_support::db_test;

/// Beside the repository, locally and in CI (which clones `shared/` next to it).
const TESTDATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/photos"
);

/// Every photo there: (file name, bytes). Missing is a failure, never a skip.
fn testdata() -> Vec<(String, Vec<u8>)> {
    let mut photos: Vec<(String, Vec<u8>)> = std::fs::read_dir(TESTDATA)
        .unwrap_or_else(|e| panic!("{TESTDATA}: {e} (shared/ must be beside the repository)"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "heic"))
        })
        .map(|path| {
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("read the photo"))
        })
        .collect();
    photos.sort();
    assert!(
        photos.len() >= 5,
        "only {} photos in {TESTDATA}",
        photos.len()
    );
    assert!(
        photos.iter().any(|(name, _)| name.ends_with(".heic")),
        "the iPhone HEIC is there"
    );
    photos
}

fn mime(name: &str) -> &'static str {
    if name.ends_with(".heic") {
        "image/heic"
    } else {
        "image/jpeg"
    }
}

/// After the job ran: published, three renditions, the largest 1920 px on its long edge, no
/// failure, and the rendition really served as WebP.
async fn assert_published(b: &Browser<'_>, status_url: &str, name: &str) {
    let v: Value = b.get(status_url).await.json();
    assert_eq!(v["status"], "published", "{name}: {v}");
    assert!(v["failure"].is_null(), "{name}: {v}");
    let renditions = v["renditions"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: {v}"));
    let edges: Vec<u64> = renditions
        .iter()
        .map(|r| {
            r["width"]
                .as_u64()
                .expect("w")
                .max(r["height"].as_u64().expect("h"))
        })
        .collect();
    assert_eq!(edges, [1920, 800, 150], "{name}: {v}");
    let url = renditions[2]["url"].as_str().expect("a rendition URL");
    let img = b.get(url).await;
    assert_eq!(img.status, StatusCode::OK, "{name}");
    assert_eq!(img.header("content-type"), "image/webp", "{name}");
    let (w, h) = image::load_from_memory(&img.bytes)
        .expect("a WebP")
        .to_rgb8()
        .dimensions();
    assert_eq!(w.max(h), 150, "{name}");
}

fn photo_id(name: &str, r: &support::Reply) -> String {
    assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "processing", "{name}: {v}");
    v["id"].as_str().expect("id").to_owned()
}

db_test!(
    async fn members_upload_every_real_photo_through_the_api(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.90");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, _) = live_event(&host, json!({})).await;
        for (name, bytes) in testdata() {
            let r = host
                .request(
                    Request::post(format!("/api/v1/events/{event}/photos"))
                        .header(header::CONTENT_TYPE, mime(&name))
                        .header(header::CONTENT_LENGTH, bytes.len())
                        .body(Body::from(bytes))
                        .expect("request"),
                )
                .await;
            let id = photo_id(&name, &r);
            assert_eq!(r.json()["kind"], if name.ends_with(".heic") { "heic" } else { "jpeg" });
            process(&app, tenant, &id).await;
            assert_published(&host, &format!("/api/v1/photos/{id}"), &name).await;
        }

        // The iPhone photo cut short (in its image data, or right after its meta box, where the
        // top-level boxes still add up) is refused, with the catalogue's message.
        let (_, heic) = testdata().into_iter().find(|(n, _)| n.ends_with(".heic")).expect("HEIC");
        for cut in [heic.len() - 1, 1 << 20, 3934, 100] {
            let r = host
                .request(
                    Request::post(format!("/api/v1/events/{event}/photos"))
                        .header(header::CONTENT_TYPE, "image/heic")
                        .body(Body::from(heic[..cut].to_vec()))
                        .expect("request"),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "cut at {cut}: {}", r.body);
            let v = r.json();
            assert_eq!(v["error"]["code"], "corrupt", "cut at {cut}");
            assert!(v["error"]["message"].as_str().expect("msg").contains("damaged or incomplete"));
        }
    }
);

db_test!(
    async fn guests_send_every_real_photo_from_the_page_and_the_plain_form(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.91");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (script_event, script_link) = live_event(&host, json!({})).await;
        let (form_event, form_link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.90");
        join(&guest, &script_link, "Lena").await;
        join(&guest, &form_link, "Lena").await;

        for (name, bytes) in testdata() {
            // The page's script: the file as the body of one request.
            let r = guest
                .request(
                    Request::post(format!("/g/{script_event}/photos"))
                        .header(header::CONTENT_TYPE, "application/octet-stream")
                        .header(header::HOST, "localhost")
                        .header(header::ORIGIN, "http://localhost")
                        .body(Body::from(bytes.clone()))
                        .expect("request"),
                )
                .await;
            let id = photo_id(&name, &r);
            process(&app, tenant, &id).await;
            assert_published(&guest, &format!("/g/{script_event}/photos/{id}"), &name).await;

            // The plain form, as a browser without script posts it: multipart, token first.
            let page = guest.get(&format!("/g/{form_event}")).await;
            let token = page.input_value("csrf_token").expect("form token");
            let mut body = format!(
                "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
                 --B\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{name}\"\r\n\
                 Content-Type: {}\r\n\r\n",
                mime(&name)
            )
            .into_bytes();
            body.extend(&bytes);
            body.extend(b"\r\n--B--\r\n");
            let r = guest
                .request(
                    Request::post(format!("/g/{form_event}/photos"))
                        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
                        .header(header::HOST, "localhost")
                        .header(header::ORIGIN, "http://localhost")
                        .body(Body::from(body))
                        .expect("request"),
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.body);
            let after = guest.get(r.location()).await;
            assert!(after.body.contains("1 photos received"), "{name}: {}", after.body);
            // The newest photo of the event is this one.
            let list = host.get(&format!("/api/v1/events/{form_event}/photos")).await.json();
            let newest = list["photos"]
                .as_array()
                .expect("photos")
                .iter()
                .find(|p| p["status"] == "processing")
                .unwrap_or_else(|| panic!("{name}: no photo waiting in {list}"));
            assert_eq!(newest["bytes"].as_u64(), Some(bytes.len() as u64), "{name}");
            let id = newest["id"].as_str().expect("id").to_owned();
            process(&app, tenant, &id).await;
            assert_published(&guest, &format!("/g/{form_event}/photos/{id}"), &name).await;
        }
    }
);

db_test!(
    async fn guests_send_every_real_photo_in_resumable_pieces(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.92");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.91");
        join(&guest, &link, "Lena").await;
        // The page's piece size.
        const PIECE: usize = 1024 * 1024;

        for (name, bytes) in testdata() {
            let r = guest
                .request(
                    Request::post(format!("/g/{event}/uploads"))
                        .header("upload-length", bytes.len().to_string())
                        .header(header::HOST, "localhost")
                        .header(header::ORIGIN, "http://localhost")
                        .body(Body::empty())
                        .expect("request"),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.body);
            let url = r.header("location").to_owned();
            let mut offset = 0;
            let last = loop {
                let end = (offset + PIECE).min(bytes.len());
                let r = guest
                    .request(
                        Request::patch(&url)
                            .header("upload-offset", offset.to_string())
                            .header(header::CONTENT_TYPE, "application/offset+octet-stream")
                            .header(header::HOST, "localhost")
                            .header(header::ORIGIN, "http://localhost")
                            .body(Body::from(bytes[offset..end].to_vec()))
                            .expect("request"),
                    )
                    .await;
                if end == bytes.len() {
                    break r;
                }
                assert_eq!(r.status, StatusCode::NO_CONTENT, "{name} at {offset}: {}", r.body);
                assert_eq!(r.header("upload-offset"), end.to_string());
                offset = end;
            };
            let id = photo_id(&name, &last);
            process(&app, tenant, &id).await;
            assert_published(&guest, &format!("/g/{event}/photos/{id}"), &name).await;
        }
    }
);
