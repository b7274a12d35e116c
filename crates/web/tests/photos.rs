//! Photo uploads through the real router, processed by the real job handler: the API and the
//! plain form, renditions and signed delivery, duplicates, every refusal with its status,
//! moderation, the dashboard figures, a restart between upload and processing, and another
//! organization. Every test runs on SQLite and PostgreSQL.

mod support;

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use support::{Backing, Browser, Reply, TestApp, process, tenant_of};
use test_support::db_test;

/// A JPEG of `w` × `h`: the left half red, the right half blue (so orientation shows).
fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            image::Rgb([220, 30, 30])
        } else {
            image::Rgb([30, 30, 220])
        }
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode a JPEG");
    out.into_inner()
}

/// A PNG header claiming 30,000 × 30,000 pixels (a decompression bomb's calling card).
fn png_bomb() -> Vec<u8> {
    let mut png = Vec::new();
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(b"IHDR");
    ihdr.extend_from_slice(&30_000u32.to_be_bytes());
    ihdr.extend_from_slice(&30_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
    png
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

async fn new_event(b: &Browser<'_>, settings: Value) -> String {
    let r = b
        .json(
            "POST",
            "/api/v1/events",
            Some(json!({
                "name": "Anna & Ben", "time_zone": "UTC",
                "starts_at": "2026-06-20T14:00", "ends_at": "2026-06-21T02:00",
                "settings": settings,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().expect("id").to_owned()
}

async fn upload(b: &Browser<'_>, event: &str, bytes: Vec<u8>) -> Reply {
    b.request(
        Request::post(format!("/api/v1/events/{event}/photos"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::CONTENT_LENGTH, bytes.len())
            .body(Body::from(bytes))
            .expect("request"),
    )
    .await
}

db_test!(
    async fn a_member_uploads_and_the_photo_is_processed_and_served(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.30");
        b.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&b).await;
        let event = new_event(&b, json!({})).await;

        let r = upload(&b, &event, jpeg(2400, 1600)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let v = r.json();
        assert_eq!(v["status"], "processing");
        assert_eq!(v["uploader_name"], "Ada Host");
        assert_eq!((v["width"].as_u64(), v["height"].as_u64()), (Some(2400), Some(1600)));
        let id = v["id"].as_str().expect("id").to_owned();

        // The same bytes again: the same photo, not a second one.
        let again = upload(&b, &event, jpeg(2400, 1600)).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.json()["id"], id.as_str());

        process(&app, tenant, &id).await;
        let v = b.get(&format!("/api/v1/photos/{id}")).await.json();
        assert_eq!(v["status"], "published", "{v}");
        let sizes: Vec<(u64, u64, u64)> = v["renditions"]
            .as_array()
            .expect("renditions")
            .iter()
            .map(|r| {
                (
                    r["max_edge"].as_u64().expect("edge"),
                    r["width"].as_u64().expect("w"),
                    r["height"].as_u64().expect("h"),
                )
            })
            .collect();
        assert_eq!(sizes, [(1920, 1920, 1280), (800, 800, 533), (150, 150, 100)]);
        assert!(v.get("gps").is_none());
        assert!(v["placeholder"].as_str().is_some_and(|p| !p.is_empty()));

        // Delivery: signed, immutable, the right type, and the pixels are the photo's.
        let url = v["renditions"][1]["url"].as_str().expect("url").to_owned();
        let img = b.get(&url).await;
        assert_eq!(img.status, StatusCode::OK);
        assert_eq!(img.header("content-type"), "image/webp");
        assert_eq!(img.header("cache-control"), "public, max-age=31536000, immutable");
        assert_eq!(img.header("x-content-type-options"), "nosniff");
        let decoded = image::load_from_memory(&img.bytes).expect("a WebP").to_rgb8();
        assert_eq!(decoded.dimensions(), (800, 533));
        let left = decoded.get_pixel(100, 266);
        let right = decoded.get_pixel(700, 266);
        assert!(left[0] > 150 && left[2] < 100, "left is red: {left:?}");
        assert!(right[2] > 150 && right[0] < 100, "right is blue: {right:?}");

        let tampered = url.replace("&s=", "&s=0");
        assert_eq!(b.get(&tampered).await.status, StatusCode::FORBIDDEN);
        let key = url
            .trim_start_matches("/media/")
            .split('?')
            .next()
            .expect("key")
            .to_owned();
        let stale = service::media_urls::signed_path(
            &app.state.services.secret,
            &key,
            domain::time::now() - chrono::Duration::hours(5),
        );
        let r = b.get(&stale).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "expired");
        assert!(r.body.contains("expired"));
        // Anyone with a valid link gets the photo (that is what the link is for); no link, no photo.
        let anon = app.browser("198.51.100.9");
        assert_eq!(anon.get(&url).await.status, StatusCode::OK);
        assert_eq!(anon.get(&format!("/media/{key}")).await.status, StatusCode::FORBIDDEN);

        // The original: only as a download.
        let original = b.get(v["original_url"].as_str().expect("url")).await;
        assert_eq!(original.status, StatusCode::OK);
        assert_eq!(original.header("content-type"), "image/jpeg");
        assert_eq!(original.header("content-disposition"), "attachment");
        assert_eq!(original.bytes, jpeg(2400, 1600));

        // The page lists it, and the dashboard counts it.
        let page = b.get(&format!("/app/events/{event}/photos")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&format!("id=\"photo-{id}\"")));
        assert!(page.body.contains("srcset=\""));
        let dash = b.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("<dt>Photos</dt><dd>1</dd>"), "{}", dash.body);
        assert!(dash.body.contains("<dt>Contributors</dt><dd>1</dd>"));
        assert!(dash.body.contains("class=\"chart\""));
        assert!(dash.body.contains("<li><span>Ada Host</span>"));
    }
);

db_test!(
    async fn bad_uploads_get_a_clear_refusal_and_leave_nothing(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.31");
        b.register("Ada Host", "Ada's Weddings").await;
        let event = new_event(&b, json!({"max_file_mb": 1})).await;

        let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
            ("html", b"<!doctype html><script>alert(1)</script>".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type"),
            ("svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type"),
            ("pdf", b"%PDF-1.7\n1 0 obj".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type"),
            ("exe", b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type"),
            ("empty", Vec::new(), StatusCode::BAD_REQUEST, "empty"),
            ("bomb", png_bomb(), StatusCode::UNPROCESSABLE_ENTITY, "too_many_pixels"),
            ("truncated", jpeg(800, 600)[..300].to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "corrupt"),
            ("too big", vec![0xFF; 2 * 1024 * 1024], StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        ];
        for (what, bytes, status, code) in cases {
            let r = upload(&b, &event, bytes).await;
            assert_eq!(r.status, status, "{what}: {}", r.body);
            let v = r.json();
            assert_eq!(v["error"]["code"], code, "{what}");
            assert!(v["error"]["message"].as_str().is_some_and(|m| m.len() > 20), "{what}");
        }
        // The message names what is accepted.
        let r = upload(&b, &event, b"GIF89a....".to_vec()).await;
        assert!(r.json()["error"]["message"].as_str().expect("msg").contains("JPEG, PNG, WebP or HEIC"));

        // Too big without announcing it (chunked): stopped while streaming.
        let stream = futures::stream::iter(
            (0..3).map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![0xFFu8; 512 * 1024]))),
        );
        let r = b
            .request(
                Request::post(format!("/api/v1/events/{event}/photos"))
                    .body(Body::from_stream(stream))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

        let list = b.get(&format!("/api/v1/events/{event}/photos")).await.json();
        assert!(list["photos"].as_array().expect("list").is_empty(), "no partial records");
        let leftovers = std::fs::read_dir(&app.state.services.uploads.tmp_dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("upload-"))
                    .count()
            })
            .unwrap_or(0);
        assert_eq!(leftovers, 0, "no temporary files left behind");

        // An archived event takes nothing.
        for to in ["live", "ended", "archived"] {
            b.json("POST", &format!("/api/v1/events/{event}/status"), Some(json!({"to": to}))).await;
        }
        let r = upload(&b, &event, jpeg(64, 64)).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.json()["error"]["code"], "event_closed");
    }
);

/// A whole, well-formed PNG of 16 × 16 whose pixel data is not zlib: it passes the upload
/// checks (header, chunks to IEND) and fails only when decoded.
fn png_with_broken_pixels() -> Vec<u8> {
    let chunk = |kind: &[u8; 4], data: &[u8]| {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&16u32.to_be_bytes());
    ihdr.extend_from_slice(&16u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &[0xAB; 64]));
    png.extend(chunk(b"IEND", &[]));
    png
}

db_test!(
    async fn a_photo_that_cannot_be_processed_says_why_in_words(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.35");
        b.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&b).await;
        let event = new_event(&b, json!({})).await;
        let r = upload(&b, &event, png_with_broken_pixels()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        process(&app, tenant, &id).await;

        // Stored and sent as a stable code, worded by the catalogue.
        let v = b.get(&format!("/api/v1/photos/{id}")).await.json();
        assert_eq!(v["status"], "failed", "{v}");
        assert_eq!(v["failure"], "media_corrupt");
        let words = "This photo is damaged or incomplete, so no sizes could be made of it.";
        assert!(v["failure_message"].as_str().expect("words").starts_with(words), "{v}");
        let page = b.get(&format!("/app/events/{event}/photos")).await;
        assert!(page.body.contains(words), "{}", page.body);
        assert!(!page.body.contains("media_corrupt"));
    }
);

db_test!(
    async fn the_plain_form_works_without_javascript(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.32");
        b.register("Ada Host", "Ada's Weddings").await;
        let event = new_event(&b, json!({"moderation": "approve"})).await;
        let page = b.get(&format!("/app/events/{event}/photos")).await;
        assert!(page.body.contains("enctype=\"multipart/form-data\""));
        assert!(page.body.contains("No photos yet"));
        let token = page.input_value("csrf_token").expect("token");

        let multipart = |token: &str, files: &[(&str, Vec<u8>)]| {
            let boundary = "XyZ-boundary";
            let mut body = Vec::new();
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n").as_bytes(),
            );
            for (name, bytes) in files {
                body.extend_from_slice(
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            Request::post(format!("/app/events/{event}/photos"))
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(body))
                .expect("request")
        };

        let forged = b.request(multipart("not-the-token", &[("a.jpg", jpeg(64, 48))])).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        let r = b
            .request(multipart(&token, &[("a.jpg", jpeg(640, 480)), ("b.jpg", jpeg(480, 640))]))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = b.get(r.location()).await;
        assert!(page.body.contains("2 photos received"), "{}", page.body);
        assert_eq!(page.body.matches("class=\"photo-tile").count(), 2);

        // On "hold for approval" only guests' photos wait: the host's own are published.
        let tenant = tenant_of(&b).await;
        let list = b.get(&format!("/api/v1/events/{event}/photos")).await.json();
        for p in list["photos"].as_array().expect("list") {
            process(&app, tenant, p["id"].as_str().expect("id")).await;
        }
        let list = b.get(&format!("/api/v1/events/{event}/photos")).await.json();
        for p in list["photos"].as_array().expect("list") {
            assert_eq!(p["status"], "published");
        }
        let dash = b.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("<dt>Waiting for approval</dt><dd>0</dd>"), "{}", dash.body);

        // A text file in the form: the page says why, with its status.
        let r = b.request(multipart(&token, &[("notes.txt", b"hello".to_vec())])).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(r.body.contains("JPEG, PNG, WebP or HEIC"));
        let r = b.request(multipart(&token, &[])).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("Choose at least one photo"));
    }
);

db_test!(
    async fn an_accepted_upload_survives_a_restart_before_processing(tdb) {
        let first = TestApp::new(&tdb, Backing::Local).await;
        let b = first.browser("203.0.113.33");
        b.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&b).await;
        let event = new_event(&b, json!({})).await;
        let r = upload(&b, &event, jpeg(1000, 700)).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let id = r.json()["id"].as_str().expect("id").to_owned();

        // The process stops here: its job was committed with the photo. A new process over the
        // same database and storage finds the job and processes the photo.
        let services = service::Services::clone(&first.state.services);
        drop(b);
        let queued = {
            use store::JobQueue;
            services
                .db
                .queue_stats(domain::time::now())
                .await
                .expect("stats")
        };
        // The processing job waits, beside the host's email-verification mail.
        assert_eq!(queued.ready, 2, "the processing job waits: {queued:?}");
        let restarted = TestApp::with_services(services).await;
        process(&restarted, tenant, &id).await;
        let b = restarted.browser("203.0.113.33");
        let _ = &b;
        let mut tx = restarted
            .state
            .services
            .db
            .begin(store::Scope::Tenant(tenant))
            .await
            .expect("begin");
        use store::PhotoRepo;
        let p = tx
            .get_photo(tenant, id.parse().expect("id"))
            .await
            .expect("get")
            .expect("there");
        tx.commit().await.expect("commit");
        assert_eq!(p.status, domain::PhotoStatus::Published);
        assert_eq!(p.renditions.len(), 3, "1000 px: 1000, 800, 150");
        assert_eq!(p.renditions[0].width, 1000, "never upscaled");
    }
);

db_test!(
    async fn another_organization_cannot_reach_the_photos(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let a = app.browser("203.0.113.34");
        a.register("Ada Host", "Ada's Weddings").await;
        let event = new_event(&a, json!({})).await;
        let id = upload(&a, &event, jpeg(320, 240)).await.json()["id"]
            .as_str()
            .expect("id")
            .to_owned();

        let m = app.browser("203.0.113.35");
        m.register("Mallory", "Mallory's Events").await;
        for path in [
            format!("/app/events/{event}/photos"),
            format!("/api/v1/events/{event}/photos"),
            format!("/api/v1/photos/{id}"),
        ] {
            assert_eq!(m.get(&path).await.status, StatusCode::NOT_FOUND, "GET {path}");
        }
        let r = upload(&m, &event, jpeg(100, 100)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "upload into another's event");
        let page = m.get("/app/events/new").await;
        let token = page.input_value("csrf_token").expect("token");
        let body = format!(
            "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--B\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"x.jpg\"\r\n\r\n"
        );
        let mut bytes = body.into_bytes();
        bytes.extend(jpeg(50, 50));
        bytes.extend_from_slice(b"\r\n--B--\r\n");
        let r = m
            .request(
                Request::post(format!("/app/events/{event}/photos"))
                    .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
                    .body(Body::from(bytes))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "form upload into another's event");
        let list = a.get(&format!("/api/v1/events/{event}/photos")).await.json();
        assert_eq!(list["photos"].as_array().expect("list").len(), 1, "nothing added");
    }
);

/// A plain HTTP/1.1 GET of an absolute `http://` URL: (status, body).
async fn http_get(url: &str) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head[9..12].parse().expect("status");
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk size");
            let size = usize::from_str_radix(
                std::str::from_utf8(&rest[..line_end]).expect("hex").trim(),
                16,
            )
            .expect("chunk size");
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
            rest = &rest[line_end + 2 + size + 2..];
        }
        body = out;
    }
    (status, body)
}

db_test!(
    async fn photos_go_to_s3_and_are_delivered_presigned(tdb) {
        let blobs = media::BlobStore::s3(support::test_s3()).expect("the test S3 store");
        let app = TestApp::with_blobs(&tdb, blobs.clone()).await;
        let b = app.browser("203.0.113.36");
        b.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&b).await;
        let event = new_event(&b, json!({})).await;
        let r = upload(&b, &event, jpeg(1600, 1200)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        let again = upload(&b, &event, jpeg(1600, 1200)).await;
        assert_eq!(again.status, StatusCode::OK, "idempotent on S3 too");
        process(&app, tenant, &id).await;

        let v = b.get(&format!("/api/v1/photos/{id}")).await.json();
        assert_eq!(v["status"], "published");
        let key_prefix = format!("{tenant}/{event}/{id}/");
        assert_eq!(
            blobs.head(&format!("{key_prefix}original.jpg")).await.expect("head"),
            Some(jpeg(1600, 1200).len() as u64),
            "the original is in the bucket under tenant/event/photo"
        );

        // Our signed link answers with a presigned URL of the bucket, which serves the WebP.
        let url = v["renditions"][1]["url"].as_str().expect("url");
        let r = b.get(url).await;
        assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
        let presigned = r.header("location").to_owned();
        assert!(presigned.starts_with(&std::env::var("MOMENTIQUE_TEST_S3_ENDPOINT").expect("endpoint")));
        let (status, body) = http_get(&presigned).await;
        assert_eq!(status, 200);
        let img = image::load_from_memory(&body).expect("a WebP").to_rgb8();
        assert_eq!(img.dimensions(), (800, 600));
        let (status, _) = http_get(&presigned.replace("X-Amz-Signature=", "X-Amz-Signature=0")).await;
        assert_eq!(status, 403, "S3 refuses a tampered signature");
        // A wrong signature on our side never reaches the bucket.
        assert_eq!(b.get(&url.replace("&s=", "&s=x")).await.status, StatusCode::FORBIDDEN);
    }
);

db_test!(
    async fn an_unreachable_store_gives_503_and_records_nothing(tdb) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let blobs = media::BlobStore::s3(media::S3Config {
            endpoint: Some(format!("http://127.0.0.1:{port}")),
            bucket: "photos".into(),
            region: "garage".into(),
            access_key_id: "GK0000".into(),
            secret_access_key: "secret".into(),
            path_style: true,
            allow_http: true,
        })
        .expect("a store (connects lazily)");
        let app = TestApp::with_blobs(&tdb, blobs).await;
        let b = app.browser("203.0.113.37");
        b.register("Ada Host", "Ada's Weddings").await;
        let event = new_event(&b, json!({})).await;
        let started = std::time::Instant::now();
        let r = upload(&b, &event, jpeg(640, 480)).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "storage_unavailable");
        assert!(r.json()["error"]["message"].as_str().expect("msg").contains("not saved"));
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "no hang");
        let list = b.get(&format!("/api/v1/events/{event}/photos")).await.json();
        assert!(list["photos"].as_array().expect("list").is_empty(), "nothing recorded");

        let ready = app.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
        let v = ready.json();
        assert!(
            v["checks"].as_object().expect("checks").iter().any(|(name, problem)| {
                name.contains("storage") && problem.as_str().is_some_and(|p| p.contains("unreachable"))
            }),
            "readyz names the store: {v}"
        );
    }
);

/// The files in a ZIP: (path, bytes), read back with a real reader.
async fn unzip(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    use futures::AsyncReadExt;
    let zip = async_zip::base::read::mem::ZipFileReader::new(bytes)
        .await
        .expect("a valid ZIP");
    let mut out = Vec::new();
    for i in 0..zip.file().entries().len() {
        let name = zip.file().entries()[i]
            .filename()
            .as_str()
            .expect("a UTF-8 name")
            .to_owned();
        let mut reader = zip.reader_without_entry(i).await.expect("an entry");
        let mut data = Vec::new();
        reader.read_to_end(&mut data).await.expect("entry data");
        out.push((name, data));
    }
    out.sort();
    out
}

db_test!(
    async fn members_download_the_originals_as_a_streamed_zip(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let b = app.browser("203.0.113.38");
        b.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&b).await;
        let event = new_event(&b, json!({})).await;
        let photos = [jpeg(640, 480), jpeg(480, 640), jpeg(320, 320)];
        let mut ids = Vec::new();
        for p in &photos {
            let r = upload(&b, &event, p.clone()).await;
            let id = r.json()["id"].as_str().expect("id").to_owned();
            process(&app, tenant, &id).await;
            ids.push(id);
        }
        // One is hidden: not part of the download.
        b.submit(
            &format!("/app/events/{event}/photos"),
            &format!("/app/events/{event}/moderation"),
            &[("action", "hide"), ("photo", &ids[2])],
        )
        .await;

        let r = b
            .request(
                Request::get(format!("/app/events/{event}/download.zip"))
                    .header(header::ACCEPT_ENCODING, "br, gzip")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-type"), "application/zip");
        assert!(r.headers.get("content-encoding").is_none(), "not compressed again");
        assert_eq!(r.header("content-disposition"), "attachment; filename=\"anna-ben.zip\"");
        let files = unzip(r.bytes).await;
        assert_eq!(files.len(), 2, "{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>());
        for (path, data) in &files {
            assert!(path.starts_with("Ada Host/anna-ben-") && path.ends_with(".jpg"), "{path}");
            assert!(photos[..2].contains(data), "the original bytes, unchanged");
        }
        // A selection: just those (a hidden photo too: members keep every file).
        let r = b
            .get(&format!("/app/events/{event}/download.zip?photo={}&photo={}", ids[2], uuid::Uuid::new_v4()))
            .await;
        let files = unzip(r.bytes).await;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].1, photos[2]);
        // Another organization gets nothing.
        let m = app.browser("203.0.113.39");
        m.register("Mallory", "Mallory's Events").await;
        assert_eq!(m.get(&format!("/app/events/{event}/download.zip")).await.status, StatusCode::NOT_FOUND);
    }
);
