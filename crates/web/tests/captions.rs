//! Captions and photo details through the real router: a guest's caption when adding photos
//! (plain form, the script's upload, resumable) and on their own photos; members correcting a
//! photo's caption, uploader name and time taken (page and API), each change in the event's
//! log; where captions show (gallery, lightbox data, photo page, members' grid, ZIP names); and
//! who may not. SQLite and PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use domain::Role;
use serde_json::{Value, json};
use store::{AuditRepo, Scope};
use support::{
    Backing, Browser, TestApp, join, jpeg, live_event, member_with_role, process, set_status,
    tenant_of,
};
use test_support::db_test;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// The page script's upload of one photo, with `metadata` as its `Upload-Metadata` header.
fn script_upload(event: &str, bytes: Vec<u8>, metadata: Option<&str>) -> Request<Body> {
    let mut b = Request::post(format!("/g/{event}/photos"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost");
    if let Some(m) = metadata {
        b = b.header("upload-metadata", m);
    }
    b.body(Body::from(bytes)).expect("request")
}

/// The plain form: the token, the caption, then the files (the order the page sends them).
fn form_upload(event: &str, token: &str, caption: &str, files: Vec<Vec<u8>>) -> Request<Body> {
    let mut body = format!(
        "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --B\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n{caption}\r\n"
    )
    .into_bytes();
    for (i, f) in files.into_iter().enumerate() {
        body.extend(
            format!(
                "--B\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"p{i}.jpg\"\r\n\r\n"
            )
            .as_bytes(),
        );
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
}

async fn photo_json(host: &Browser<'_>, id: &str) -> Value {
    let r = host.get(&format!("/api/v1/photos/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// The event's log entries (newest first) as (action, details).
async fn log(app: &TestApp, host: &Browser<'_>, event: &str) -> Vec<(String, Value)> {
    let tenant = tenant_of(host).await;
    let mut tx = app
        .state
        .services
        .db
        .begin(Scope::Tenant(tenant))
        .await
        .expect("tx");
    let entries = tx
        .list_audit_for(tenant, &format!("event:{event}/"), 50)
        .await
        .expect("log");
    tx.commit().await.expect("commit");
    entries.into_iter().map(|e| (e.action, e.details)).collect()
}

/// A live event in Berlin time with `settings`; returns (event id, join path).
async fn berlin_event(host: &Browser<'_>, settings: Value) -> (String, String) {
    let r = host
        .json(
            "POST",
            "/api/v1/events",
            Some(json!({
                "name": "Anna & Ben", "slug": "anna-ben", "time_zone": "Europe/Berlin",
                "starts_at": "2026-06-20T14:00", "ends_at": "2027-06-21T02:00",
                "settings": settings,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    let id = v["id"].as_str().expect("id").to_owned();
    set_status(host, &id, "live").await;
    let url = v["join_url"].as_str().expect("url");
    (id, url[url.find("/j/").expect("join path")..].to_owned())
}

db_test!(
    async fn a_guest_adds_captions_with_photos_and_changes_them_in_my_photos(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.60");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let guest = app.browser("198.51.100.60");
        join(&guest, &link, "Lena").await;

        // The plain form: one caption for every photo of that submission.
        let home = guest.get(&format!("/g/{event}")).await;
        assert!(home.body.contains("name=\"caption\""), "the form asks for a caption");
        let token = home.input_value("csrf_token").expect("form token");
        let r = guest
            .request(form_upload(&event, &token, "  Cutting the cake  ", vec![jpeg(300, 200, 1), jpeg(200, 300, 2)]))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The script: the caption as tus-style metadata (UTF-8 in base64).
        let r = guest
            .request(script_upload(&event, jpeg(300, 200, 3), Some(&format!("filename {}, caption {}", b64("x.jpg"), b64("Fête à Noël 🎉")))))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["caption"], "Fête à Noël 🎉");
        let scripted = r.json()["id"].as_str().expect("id").to_owned();
        // No caption: none.
        let r = guest.request(script_upload(&event, jpeg(300, 200, 4), None)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let plain = r.json()["id"].as_str().expect("id").to_owned();

        // A resumable upload keeps the caption it started with.
        let photo = jpeg(400, 300, 5);
        let r = guest
            .request(
                Request::post(format!("/g/{event}/uploads"))
                    .header("upload-length", photo.len().to_string())
                    .header("upload-metadata", format!("caption {}", b64("First dance")))
                    .header(header::HOST, "localhost")
                    .header(header::ORIGIN, "http://localhost")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let url = r.header("location").to_owned();
        let r = guest
            .request(
                Request::patch(&url)
                    .header("upload-offset", "0")
                    .header(header::CONTENT_TYPE, "application/offset+octet-stream")
                    .header(header::HOST, "localhost")
                    .header(header::ORIGIN, "http://localhost")
                    .body(Body::from(photo))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["caption"], "First dance");

        let list = host.get(&format!("/api/v1/events/{event}/photos")).await.json();
        let items = list["photos"].as_array().expect("photos");
        assert_eq!(items.len(), 5);
        let captions: Vec<Value> = items.iter().map(|p| p["caption"].clone()).collect();
        assert_eq!(
            captions,
            [json!("First dance"), Value::Null, json!("Fête à Noël 🎉"), json!("Cutting the cake"), json!("Cutting the cake")],
            "newest first; trimmed; none where none was given"
        );
        for p in items {
            process(&app, tenant, p["id"].as_str().expect("id")).await;
        }

        // Shown: My photos, the gallery's lightbox data, the photo's page, the members' grid.
        let mine = guest.get(&format!("/g/{event}")).await;
        assert!(mine.body.contains("<p class=\"photo-caption\">Fête à Noël 🎉</p>"), "{}", mine.body);
        assert_eq!(mine.body.matches("class=\"caption-edit\"").count(), 5, "each own photo has the form");
        let gallery = guest.get(&format!("/g/{event}/gallery")).await;
        assert!(gallery.body.contains("data-caption=\"Fête à Noël 🎉 · Lena · "), "{}", gallery.body);
        assert!(gallery.body.contains("data-caption=\"Lena · "), "no caption, no separator");
        let page = guest.get(&format!("/g/{event}/photos/{scripted}/view")).await;
        assert!(page.body.contains("<figcaption><span class=\"photo-caption\">Fête à Noël 🎉</span><br>Lena"), "{}", page.body);
        let grid = host.get(&format!("/app/events/{event}/photos")).await;
        assert!(grid.body.contains("data-caption=\"Fête à Noël 🎉 · Lena\""), "{}", grid.body);

        // The guest changes one and removes another, without script (a form per photo).
        let r = guest
            .submit(&format!("/g/{event}"), &format!("/g/{event}/photos/{plain}/caption"), &[("caption", "Grandma's toast")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), format!("/g/{event}?captioned=1#photo-{plain}"));
        assert!(guest.get(r.location()).await.body.contains("Caption saved."));
        assert_eq!(photo_json(&host, &plain).await["caption"], "Grandma's toast");
        let r = guest
            .submit(&format!("/g/{event}"), &format!("/g/{event}/photos/{scripted}/caption"), &[("caption", "   ")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(photo_json(&host, &scripted).await["caption"], Value::Null);
        // The same caption again changes nothing (and logs nothing).
        guest
            .submit(&format!("/g/{event}"), &format!("/g/{event}/photos/{plain}/caption"), &[("caption", "Grandma's toast")])
            .await;

        let entries = log(&app, &host, &event).await;
        let captions: Vec<&(String, Value)> = entries.iter().filter(|(a, _)| a == "photo.caption").collect();
        assert_eq!(captions.len(), 2, "{entries:?}");
        assert_eq!(captions[0].1["caption"], json!({"from": "Fête à Noël 🎉", "to": null}));
        assert_eq!(captions[1].1["caption"], json!({"from": null, "to": "Grandma's toast"}));
        assert_eq!(captions[1].1["uploader"], "Lena");
        assert_eq!(captions[1].1["held"], false, "this event publishes at once");
        let moderation = host.get(&format!("/app/events/{event}/moderation")).await;
        assert!(moderation.body.contains("Lena changed the caption of their photo"), "{}", moderation.body);
    }
);

db_test!(
    async fn guests_change_only_their_own_captions_and_only_while_they_may(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.61");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({})).await;
        let lena = app.browser("198.51.100.61");
        join(&lena, &link, "Lena").await;
        let tom = app.browser("198.51.100.62");
        join(&tom, &link, "Tom").await;
        let r = lena.request(script_upload(&event, jpeg(300, 200, 1), None)).await;
        let id = r.json()["id"].as_str().expect("id").to_owned();
        process(&app, tenant, &id).await;

        // Another guest's photo, even one in the gallery: not found.
        let r = tom
            .submit(&format!("/g/{event}"), &format!("/g/{event}/photos/{id}/caption"), &[("caption", "mine now")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        // A guest of another event of another organization: not found either.
        let other_host = app.browser("203.0.113.62");
        other_host.register("Mallory", "Mallory's Events").await;
        let (other_event, other_link) = live_event(&other_host, json!({})).await;
        let mallory = app.browser("198.51.100.63");
        join(&mallory, &other_link, "Mallory").await;
        let r = mallory
            .submit(&format!("/g/{other_event}"), &format!("/g/{event}/photos/{id}/caption"), &[("caption", "x")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "not a guest of that event: {}", r.body);
        assert!(r.body.contains("You have not joined this event"), "{}", r.body);
        let r = mallory
            .submit(&format!("/g/{other_event}"), &format!("/g/{other_event}/photos/{id}/caption"), &[("caption", "x")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "another event's photo id");
        assert_eq!(photo_json(&host, &id).await["caption"], Value::Null);

        // Not a caption: the page again with what is wrong (422), nothing saved.
        for (bad, says) in [
            ("two\nlines", "characters that are not allowed"),
            ("evil\u{202E}gpj.exe", "characters that are not allowed"),
            ("nul\u{0}", "characters that are not allowed"),
            (&"x".repeat(141), "under 140 characters"),
        ] {
            let r = lena
                .submit(&format!("/g/{event}"), &format!("/g/{event}/photos/{id}/caption"), &[("caption", bad)])
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
            assert!(r.body.contains(says), "{bad:?}: {}", r.body);
            assert!(r.body.contains("Caption: "), "{}", r.body);
        }
        let r = lena.request(form_upload(&event, &lena.get(&format!("/g/{event}")).await.input_value("csrf_token").expect("token"), &"y".repeat(141), vec![jpeg(10, 10, 9)])).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the plain form refuses it before any photo");
        assert!(r.body.contains("under 140 characters"));
        let r = lena.request(script_upload(&event, jpeg(300, 200, 2), Some(&format!("caption {}", b64("bell\u{7}"))))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "invalid");
        assert_eq!(r.json()["error"]["fields"]["caption"], "This contains characters that are not allowed.");
        let r = lena.request(script_upload(&event, jpeg(300, 200, 2), Some("caption %%%not-base64"))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(host.get(&format!("/api/v1/events/{event}/photos")).await.json()["photos"].as_array().expect("photos").len(), 1, "nothing refused was stored");
        assert_eq!(photo_json(&host, &id).await["caption"], Value::Null);

        // Ended: still possible (words the morning after). Archived: no more.
        set_status(&host, &event, "ended").await;
        let r = lena
            .submit(&format!("/g/{event}"), &format!("/g/{event}/photos/{id}/caption"), &[("caption", "The morning after")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let token = lena.get(&format!("/g/{event}")).await.input_value("csrf_token").expect("token");
        set_status(&host, &event, "archived").await;
        let page = lena.get(&format!("/g/{event}")).await;
        assert!(!page.body.contains("class=\"caption-edit\""), "no form where it cannot work");
        let r = lena
            .post(&format!("/g/{event}/photos/{id}/caption"), &[("csrf_token", &token), ("caption", "Too late")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(r.body.contains("Captions can no longer be changed"), "{}", r.body);
        assert_eq!(photo_json(&host, &id).await["caption"], "The morning after");
    }
);

db_test!(
    async fn a_changed_caption_is_approved_again_where_the_event_approves_photos(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.63");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = live_event(&host, json!({"moderation": "approve"})).await;
        let lena = app.browser("198.51.100.64");
        join(&lena, &link, "Lena").await;
        let r = lena.request(script_upload(&event, jpeg(300, 200, 1), None)).await;
        let id = r.json()["id"].as_str().expect("id").to_owned();
        process(&app, tenant, &id).await;
        host.submit(
            &format!("/app/events/{event}/moderation"),
            &format!("/app/events/{event}/moderation/{id}/approve"),
            &[],
        )
        .await;
        assert_eq!(photo_json(&host, &id).await["status"], "published");
        assert!(lena.get(&format!("/g/{event}")).await.body.contains("a changed caption is approved again"));

        let r = lena
            .submit(&format!("/g/{event}"), &format!("/g/{event}/photos/{id}/caption"), &[("caption", "Something rude")])
            .await;
        assert_eq!(r.location(), format!("/g/{event}?captioned=2#photo-{id}"));
        assert!(lena.get(r.location()).await.body.contains("The hosts look at the photo again"));
        let p = photo_json(&host, &id).await;
        assert_eq!((p["status"].as_str(), p["caption"].as_str()), (Some("pending_review"), Some("Something rude")));
        let entries = log(&app, &host, &event).await;
        assert_eq!(entries[0].0, "photo.caption");
        assert_eq!(entries[0].1["held"], true);
        // A member's own correction does not send it back.
        host.submit(
            &format!("/app/events/{event}/moderation"),
            &format!("/app/events/{event}/moderation/{id}/approve"),
            &[],
        )
        .await;
        let r = host.json("PATCH", &format!("/api/v1/photos/{id}"), Some(json!({"caption": "Toast"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "published");

        // A guest a member stopped uploading cannot change their words either.
        let guest_id = {
            let mut tx = app.state.services.db.begin(Scope::Tenant(tenant)).await.expect("tx");
            let p = store::PhotoRepo::get_photo(&mut tx, tenant, id.parse().expect("id")).await.expect("get").expect("there");
            tx.commit().await.expect("commit");
            p.guest_id.expect("a guest's photo")
        };
        let token = lena.get(&format!("/g/{event}")).await.input_value("csrf_token").expect("token");
        let r = host
            .submit(&format!("/app/events/{event}/moderation"), &format!("/app/events/{event}/guests/{guest_id}/block"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(!lena.get(&format!("/g/{event}")).await.body.contains("class=\"caption-edit\""));
        let r = lena
            .post(&format!("/g/{event}/photos/{id}/caption"), &[("csrf_token", &token), ("caption", "Blocked words")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("captions cannot be changed"), "{}", r.body);
        assert_eq!(photo_json(&host, &id).await["caption"], "Toast");
    }
);

db_test!(
    async fn members_correct_a_photos_details_and_each_change_is_logged(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.64");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = berlin_event(&host, json!({})).await;
        let lena = app.browser("198.51.100.65");
        join(&lena, &link, "Lena").await;
        let mut ids = Vec::new();
        for seed in [1, 2] {
            let r = lena.request(script_upload(&event, jpeg(300, 200, seed), None)).await;
            let id = r.json()["id"].as_str().expect("id").to_owned();
            process(&app, tenant, &id).await;
            ids.push(id);
        }
        let id = &ids[0];

        // A plain member may: correcting is part of moderating.
        let member = member_with_role(&app, tenant, Role::Member).await;
        let grid = member.get(&format!("/app/events/{event}/photos")).await;
        assert!(grid.body.contains(&format!("/app/events/{event}/photos/{id}/edit")), "each tile links to its edit page");
        let form = member.get(&format!("/app/events/{event}/photos/{id}/edit")).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert_eq!(form.input_value("uploader_name").as_deref(), Some("Lena"));
        assert_eq!(form.input_value("taken_at").as_deref(), Some(""), "the test JPEG has no EXIF time");
        assert!(form.body.contains("type=\"datetime-local\""));
        assert!(form.body.contains("Europe/Berlin"));

        let r = member
            .submit(
                &format!("/app/events/{event}/photos/{id}/edit"),
                &format!("/app/events/{event}/photos/{id}/edit"),
                &[("caption", "Cutting the cake"), ("uploader_name", "  Lena   Lima "), ("taken_at", "2026-06-20T18:30")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), format!("/app/events/{event}/photos?edited=1#photo-{id}"));
        assert!(member.get(r.location()).await.body.contains("Photo details saved."));
        let p = photo_json(&host, id).await;
        assert_eq!(p["caption"], "Cutting the cake");
        assert_eq!(p["uploader_name"], "Lena Lima");
        assert_eq!(p["taken_at_local"], "2026-06-20T18:30:00", "the time as typed, in the event's zone");
        assert_eq!(p["taken_offset"], "+02:00", "Berlin in summer");
        let form = member.get(&format!("/app/events/{event}/photos/{id}/edit")).await;
        assert_eq!(form.input_value("taken_at").as_deref(), Some("2026-06-20T18:30"));
        assert_eq!(form.input_value("caption").as_deref(), Some("Cutting the cake"));

        let entries = log(&app, &host, &event).await;
        assert_eq!(entries[0].0, "photo.edit");
        assert_eq!(
            entries[0].1,
            json!({
                "uploader": "Lena",
                "changes": {
                    "caption": {"from": null, "to": "Cutting the cake"},
                    "uploader_name": {"from": "Lena", "to": "Lena Lima"},
                    "taken_at": {"from": null, "to": "2026-06-20T18:30:00+02:00"},
                },
            })
        );
        let moderation = host.get(&format!("/app/events/{event}/moderation")).await;
        assert!(moderation.body.contains("corrected the caption or details of a photo by Lena"), "{}", moderation.body);

        // The form sent back as it is changes nothing and logs nothing.
        let r = member
            .submit(
                &format!("/app/events/{event}/photos/{id}/edit"),
                &format!("/app/events/{event}/photos/{id}/edit"),
                &[("caption", "Cutting the cake"), ("uploader_name", "Lena Lima"), ("taken_at", "2026-06-20T18:30")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(log(&app, &host, &event).await.len(), entries.len());

        // The gallery's "who" follows the corrected name; its order does not move.
        let gallery = lena.get(&format!("/g/{event}/gallery")).await;
        assert!(gallery.body.contains("<option>Lena Lima</option>"), "{}", gallery.body);
        let first = gallery.body.find(&format!("photo-{}", ids[1])).expect("second photo");
        let second = gallery.body.find(&format!("photo-{}", ids[0])).expect("first photo");
        assert!(first < second, "still newest first by arrival");
        let by = lena.get(&format!("/g/{event}/gallery?who=Lena%20Lima")).await;
        assert!(by.body.contains(&format!("photo-{id}")) && !by.body.contains(&format!("photo-{}", ids[1])));

        // Not right: the form again with each field's message (422), nothing saved.
        let r = member
            .submit(
                &format!("/app/events/{event}/photos/{id}/edit"),
                &format!("/app/events/{event}/photos/{id}/edit"),
                &[("caption", &"c".repeat(141)), ("uploader_name", "Bad\u{1b}[31m"), ("taken_at", "2026-03-29T02:30")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("Please check the fields marked below."));
        assert!(r.body.contains("id=\"e-caption\">Please keep this under 140 characters."), "{}", r.body);
        assert!(r.body.contains("id=\"e-uploader_name\">This contains characters that are not allowed."));
        assert!(r.body.contains("id=\"e-taken_at\">That time does not exist in the event&#39;s time zone"), "{}", r.body);
        assert_eq!(photo_json(&host, id).await["caption"], "Cutting the cake");

        // ZIP names carry the caption, shortened and made safe; every name stays unique.
        host.json("PATCH", &format!("/api/v1/photos/{}", ids[1]), Some(json!({"caption": "Anna/Ben: the \"first\" dance? — and then everybody joined in"}))).await;
        let z = host.get(&format!("/app/events/{event}/download.zip")).await;
        assert_eq!(z.status, StatusCode::OK);
        let zip = async_zip::base::read::mem::ZipFileReader::new(z.bytes).await.expect("a ZIP");
        let mut names: Vec<String> = zip
            .file()
            .entries()
            .iter()
            .map(|e| e.filename().as_str().expect("name").to_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        let suffix = |id: &str| id.replace('-', "")[24..].to_owned();
        assert!(names[0].starts_with("Lena Lima/anna-ben-") && names[0].ends_with(&format!("-Cutting the cake-{}.jpg", suffix(id))), "{names:?}");
        assert!(names[1].starts_with("Lena/anna-ben-") && names[1].ends_with(&format!("-Anna-Ben- the -first- dance- — and then-{}.jpg", suffix(&ids[1]))), "{names:?}");
    }
);

db_test!(
    async fn the_api_corrects_photos_with_json_errors_and_no_reach_across_organizations(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.65");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, link) = berlin_event(&host, json!({})).await;
        let lena = app.browser("198.51.100.66");
        join(&lena, &link, "Lena").await;
        let r = lena.request(script_upload(&event, jpeg(300, 200, 1), Some(&format!("caption {}", b64("At the door"))))).await;
        let id = r.json()["id"].as_str().expect("id").to_owned();
        process(&app, tenant, &id).await;
        let url = format!("/api/v1/photos/{id}");

        // Only what is sent changes; RFC 3339 is moved into the event's zone.
        let r = host.json("PATCH", &url, Some(json!({"taken_at": "2026-01-10T12:00:00Z"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let p = r.json();
        assert_eq!((p["caption"].as_str(), p["uploader_name"].as_str()), (Some("At the door"), Some("Lena")));
        assert_eq!((p["taken_at_local"].as_str(), p["taken_offset"].as_str()), (Some("2026-01-10T13:00:00"), Some("+01:00")));
        // null clears; "" credits nobody.
        let r = host.json("PATCH", &url, Some(json!({"caption": null, "taken_at": null, "uploader_name": ""}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let p = r.json();
        assert_eq!((p["caption"].clone(), p["taken_at_local"].clone(), p["uploader_name"].clone()), (Value::Null, Value::Null, json!("")));
        let entries = log(&app, &host, &event).await;
        assert_eq!(entries[0].1["changes"]["caption"], json!({"from": "At the door", "to": null}));
        assert_eq!(entries[0].1["changes"]["taken_at"], json!({"from": "2026-01-10T13:00:00+01:00", "to": null}));
        assert_eq!(entries[0].1["changes"]["uploader_name"], json!({"from": "Lena", "to": ""}));
        assert!(lena.get(&format!("/g/{event}/gallery")).await.body.contains("data-caption=\"A guest · "), "a nameless photo is a guest's");

        // What is not right: the envelope with a sentence per field.
        let r = host.json("PATCH", &url, Some(json!({"caption": "a\u{0}b", "taken_at": "soon", "uploader_name": "x".repeat(101)}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let e = &r.json()["error"];
        assert_eq!(e["code"], "invalid");
        assert_eq!(e["fields"]["caption"], "This contains characters that are not allowed.");
        assert_eq!(e["fields"]["taken_at"], "Please enter a date and time (like 2026-06-20T14:03).");
        assert_eq!(e["fields"]["uploader_name"], "Please keep this under 100 characters.");
        let r = host.json("PATCH", &url, Some(json!({"taken_at": "1999-12-31T23:00"}))).await;
        assert_eq!(r.json()["error"]["fields"]["taken_at"], "Please enter a time between the years 2000 and 2100.");
        let r = host.json("PATCH", &url, Some(json!({"status": "published"}))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "unknown fields are refused: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "bad_request");
        let r = host.json("PATCH", "/api/v1/photos/not-an-id", Some(json!({"caption": "x"}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let anonymous = app.browser("203.0.113.66");
        let r = anonymous.json("PATCH", &url, Some(json!({"caption": "x"}))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        // Another organization's member: not found, by the API and by the pages.
        let other = app.browser("203.0.113.67");
        other.register("Mallory", "Mallory's Events").await;
        let r = other.json("PATCH", &url, Some(json!({"caption": "pwned"}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "not_found");
        assert_eq!(other.get(&format!("/app/events/{event}/photos/{id}/edit")).await.status, StatusCode::NOT_FOUND);
        let r = other
            .submit("/app/events/new", &format!("/app/events/{event}/photos/{id}/edit"), &[("caption", "pwned"), ("uploader_name", "x"), ("taken_at", "")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // Their own event's URL with this photo: not found either.
        let (theirs, _) = live_event(&other, json!({})).await;
        assert_eq!(other.get(&format!("/app/events/{theirs}/photos/{id}/edit")).await.status, StatusCode::NOT_FOUND);
        // Nor through another event of the same organization.
        let (second, _) = live_event(&host, json!({})).await;
        assert_eq!(host.get(&format!("/app/events/{second}/photos/{id}/edit")).await.status, StatusCode::NOT_FOUND);
        let p = photo_json(&host, &id).await;
        assert_eq!(p["caption"], Value::Null, "nothing changed");

        // A plain member may correct through the API too (the permission table's ModeratePhotos).
        let member = member_with_role(&app, tenant, Role::Member).await;
        let r = member.json("PATCH", &url, Some(json!({"caption": "By a member"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["caption"], "By a member");
    }
);
