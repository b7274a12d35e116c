//! The members' guests page through the real router: everyone who joined with their photo and
//! report figures (kept by triggers), a page at a time; blocking after a confirmation (no more
//! uploads, reactions or reports) and unblocking, both in the event's log; the JSON twins;
//! another organization's 404s; what a plain member may do. SQLite and PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::Role;
use serde_json::{Value, json};
use support::{
    Backing, Browser, Reply, TestApp, join, jpeg, live_event, member_with_role, process, tenant_of,
};
use test_support::db_test;

/// A guest's upload from their page, as the phone sends it.
async fn guest_upload(guest: &Browser<'_>, event: &str, seed: u8) -> Reply {
    guest
        .request(
            Request::post(format!("/g/{event}/photos"))
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(jpeg(320, 240, seed)))
                .expect("request"),
        )
        .await
}

/// The event's guests as the API lists them (one page of up to 100).
async fn guests_json(host: &Browser<'_>, event: &str) -> Vec<Value> {
    let r = host
        .get(&format!("/api/v1/events/{event}/guests?limit=100"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["guests"].as_array().expect("guests").clone()
}

/// The one guest called `name`.
async fn guest_named(host: &Browser<'_>, event: &str, name: &str) -> Value {
    guests_json(host, event)
        .await
        .into_iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no guest {name}"))
}

/// (photos, published, waiting, reports) of the guest called `name`, from the API.
async fn figures(host: &Browser<'_>, event: &str, name: &str) -> (i64, i64, i64, i64) {
    let g = guest_named(host, event, name).await;
    let n = |v: &Value| v.as_i64().expect("a number");
    (
        n(&g["photos"]["total"]),
        n(&g["photos"]["published"]),
        n(&g["photos"]["waiting"]),
        n(&g["reports"]),
    )
}

/// The `<main>` of a page.
fn main_of(body: &str) -> String {
    let from = body.find("<main").expect("a main");
    let to = body[from..].find("</main>").expect("its end") + from + "</main>".len();
    body[from..to].to_owned()
}

/// Snapshot settings: what changes between runs is redacted.
fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    for (re, with) in [
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[uuid]",
        ),
        (
            r#"name="csrf_token" value="[^"]*""#,
            r#"name="csrf_token" value="[csrf]""#,
        ),
        (r"[0-9a-f]{32}@example\.com", "[email]"),
        (
            r"(Joined|Blocked) [A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}, \d{2}:\d{2}",
            "$1 [when]",
        ),
    ] {
        s.add_filter(re, with);
    }
    s
}

/// A host with a live event on "wait for my approval", and guests Lena (two photos: one
/// approved, one waiting), Max (none) and Zoe (one approved). Returns the event and Lena's
/// photos and browsers for the three guests.
async fn party<'a>(
    app: &'a TestApp,
    host: &Browser<'a>,
) -> (String, Vec<String>, [Browser<'a>; 3]) {
    host.register("Ada Host", "Ada's Weddings").await;
    let tenant = tenant_of(host).await;
    let (event, link) = live_event(host, json!({"moderation": "approve"})).await;
    let lena = app.browser("198.51.100.70");
    let max = app.browser("198.51.100.71");
    let zoe = app.browser("198.51.100.72");
    join(&lena, &link, "Lena").await;
    join(&max, &link, "Max").await;
    join(&zoe, &link, "Zoe").await;
    let mut ids = Vec::new();
    for seed in [1, 2] {
        let r = guest_upload(&lena, &event, seed).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        process(app, tenant, &id).await;
        ids.push(id);
    }
    let r = guest_upload(&zoe, &event, 3).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let zoes = r.json()["id"].as_str().expect("id").to_owned();
    process(app, tenant, &zoes).await;
    for photo in [ids[0].clone(), zoes] {
        let r = host
            .submit(
                &format!("/app/events/{event}/moderation"),
                &format!("/app/events/{event}/moderation"),
                &[("action", "approve"), ("photo", &photo)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    (event, ids, [lena, max, zoe])
}

db_test!(
    async fn the_guests_page_lists_everyone_who_joined_with_their_photos_and_reports(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.70");
        let (event, lena_photos, [_lena, _max, zoe]) = party(&app, &host).await;
        // Zoe reports Lena's published photo.
        let report = format!("/g/{event}/photos/{}/report", lena_photos[0]);
        let r = zoe.submit(&report, &report, &[("reason", "blurry")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        assert_eq!(figures(&host, &event, "Lena").await, (2, 1, 1, 1));
        assert_eq!(figures(&host, &event, "Max").await, (0, 0, 0, 0));
        assert_eq!(figures(&host, &event, "Zoe").await, (1, 1, 0, 0));
        let names: Vec<String> = guests_json(&host, &event)
            .await
            .iter()
            .map(|g| g["name"].as_str().expect("name").to_owned())
            .collect();
        assert_eq!(names, ["Zoe", "Max", "Lena"], "newest first");

        let page = host.get(&format!("/app/events/{event}/guests")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("3 guests joined"), "{}", page.body);
        assert!(page.body.contains("<li><a href=\"/app/events/"), "photo counts link to the photos");
        assert!(page.body.contains("2 photos</a>"));
        assert!(page.body.contains("<li>1 in the gallery</li>"));
        assert!(page.body.contains("1 waiting for approval"));
        assert!(page.body.contains("<li class=\"badge-reports\">1 report</li>"), "one, not ones");
        assert!(page.body.contains("<li>0 photos</li>"), "Max, without a link");
        assert!(page.body.contains("?who=Lena"));
        assert!(!page.body.contains("is-blocked"));
        snapshot_settings().bind(|| {
            insta::assert_snapshot!("guests_page_main", main_of(&page.body));
        });

        // The event page links to it with the count, and counts guests among its figures.
        let dash = host.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains(&format!("href=\"/app/events/{event}/guests\">Guests (3)</a>")), "{}", dash.body);
        assert!(dash.body.contains("<dt>Guests</dt><dd>3</dd>"));

        // A member's decision settles the report; deleting a photo takes it off the figures.
        let r = host
            .submit(
                &format!("/app/events/{event}/moderation"),
                &format!("/app/events/{event}/moderation"),
                &[("action", "keep"), ("photo", &lena_photos[0])],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(figures(&host, &event, "Lena").await, (2, 1, 1, 0));
        let r = zoe.submit(&report, &report, &[("reason", "still blurry")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(figures(&host, &event, "Lena").await, (2, 1, 1, 1));
        let delete = format!("/app/events/{event}/photos/{}/delete", lena_photos[0]);
        let r = host.submit(&delete, &delete, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            figures(&host, &event, "Lena").await,
            (1, 0, 1, 0),
            "the photo and the report on it are gone from her figures"
        );
    }
);

db_test!(
    async fn a_long_list_comes_a_page_at_a_time(tdb) {
        use store::{GuestRepo, Scope};
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.71");
        host.register("Ada Host", "Ada's Weddings").await;
        let tenant = tenant_of(&host).await;
        let (event, _) = live_event(&host, json!({})).await;
        let event_id: domain::EventId = event.parse().expect("id");
        // 53 guests, one second apart (a festival has thousands: the page reads 50).
        let start = domain::time::now() - chrono::Duration::hours(1);
        let mut tx = app.state.services.db.begin(Scope::Tenant(tenant)).await.expect("tx");
        for i in 0..53 {
            let at = start + chrono::Duration::seconds(i);
            let g = store::Guest {
                id: domain::GuestId::new(),
                tenant_id: tenant,
                event_id,
                name: format!("Guest {i:02}"),
                blocked_at: None,
                created_at: at,
                last_seen_at: at,
            };
            tx.insert_guest(tenant, &g, &format!("hash-{i}")).await.expect("guest");
        }
        tx.commit().await.expect("commit");

        let first = host.get(&format!("/app/events/{event}/guests")).await;
        assert!(first.body.contains("53 guests joined"));
        assert_eq!(first.body.matches("class=\"guest-row").count(), 50);
        assert!(first.body.contains("Guest 52") && first.body.contains("Guest 03"));
        assert!(!first.body.contains("Guest 02"));
        let at = first.body.find("rel=\"next\"").expect("a next page");
        let href_at = first.body[..at].rfind("href=\"").expect("its link") + 6;
        let href = &first.body[href_at..href_at + first.body[href_at..].find('"').expect("end")];
        let second = host.get(&href.replace("&amp;", "&")).await;
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(second.body.matches("class=\"guest-row").count(), 3);
        assert!(second.body.contains("Guest 00") && !second.body.contains("Guest 03"));
        assert!(!second.body.contains("rel=\"next\""), "the last page");
        assert!(second.body.contains(&format!("href=\"/app/events/{event}/guests\"")), "back to the first");

        // The API pages the same way.
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let r = host.get(&format!("/api/v1/events/{event}/guests?limit=20&after={after}")).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let v = r.json();
            seen.extend(v["guests"].as_array().expect("guests").iter().map(|g| g["name"].clone()));
            match v["next_cursor"].as_str() {
                Some(c) => after = c.to_owned(),
                None => break,
            }
        }
        assert_eq!(seen.len(), 53);
        assert_eq!(seen[0], "Guest 52");
        assert_eq!(seen[52], "Guest 00");
        // A cursor that is no cursor means the first page, not an error.
        let r = host.get(&format!("/app/events/{event}/guests?after=12_not-an-id")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Guest 52"));
    }
);

db_test!(
    async fn blocking_asks_first_stops_uploads_reactions_and_reports_and_unblocking_lets_them_back(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.72");
        let (event, lena_photos, [lena, _max, zoe]) = party(&app, &host).await;
        let tenant = tenant_of(&host).await;
        let zoe_id = guest_named(&host, &event, "Zoe").await["id"].as_str().expect("id").to_owned();
        let block = format!("/app/events/{event}/guests/{zoe_id}/block");

        // The link asks first: nothing happens on GET.
        let page = host.get(&format!("/app/events/{event}/guests")).await;
        assert!(page.body.contains(&format!("href=\"{block}\"")), "a block link per guest");
        let confirm = host.get(&block).await;
        assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
        assert!(confirm.body.contains("Block Zoe?"));
        assert!(confirm.body.contains("will no longer be able to add photos, react or report"));
        assert!(confirm.body.contains("name=\"hide\""), "hiding their photos is a choice");
        assert_eq!(guest_named(&host, &event, "Zoe").await["blocked"], false, "GET changed nothing");
        // Without the form's token nothing happens either.
        let r = host.post(&block, &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(guest_named(&host, &event, "Zoe").await["blocked"], false);

        let r = host.submit(&block, &block, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), format!("/app/events/{event}/guests?blocked=1"));
        let page = host.get(r.location()).await;
        assert!(page.body.contains("The guest is blocked: they can no longer upload, react or report."));
        assert!(page.body.contains("<span class=\"status status-blocked\">Blocked</span>"));
        assert!(page.body.contains("3 guests joined · 1 blocked"), "{}", page.body);
        assert_eq!(page.body.matches("is-blocked").count(), 1);
        assert!(page.body.contains(&format!("action=\"/app/events/{event}/guests/{zoe_id}/unblock\"")));
        let zoe_json = guest_named(&host, &event, "Zoe").await;
        assert_eq!(zoe_json["blocked"], true);
        assert_eq!(zoe_json["photos"]["published"], 1, "her photos stay unless asked");
        let dash = host.get(&format!("/app/events/{event}")).await;
        assert!(dash.body.contains("<span class=\"badge badge-reports\">1 blocked</span>"), "{}", dash.body);

        // Zoe can look, but not upload, react or report; each refusal says why.
        let r = guest_upload(&zoe, &event, 9).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("The hosts have turned off uploads for you."), "{}", r.body);
        let gallery = zoe.get(&format!("/g/{event}/gallery")).await;
        assert_eq!(gallery.status, StatusCode::OK);
        let view = format!("/g/{event}/photos/{}/view", lena_photos[0]);
        let r = zoe.submit(&view, &format!("/g/{event}/photos/{}/react", lena_photos[0]), &[("kind", "heart")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("The hosts have turned off uploads, reactions and reports for you."));
        let report = format!("/g/{event}/photos/{}/report", lena_photos[0]);
        let r = zoe.submit(&report, &report, &[("reason", "meh")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("The hosts have turned off uploads, reactions and reports for you."));
        assert_eq!(figures(&host, &event, "Lena").await.3, 0, "the report was not taken");
        // Lena, not blocked, still can.
        let r = lena.submit(&view, &format!("/g/{event}/photos/{}/react", lena_photos[0]), &[("kind", "heart")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // Unblocking lets her back, with no confirmation needed (it takes nothing away).
        let page = host.get(&format!("/app/events/{event}/guests")).await;
        let r = host
            .submit(&format!("/app/events/{event}/guests"), &format!("/app/events/{event}/guests/{zoe_id}/unblock"), &[])
            .await;
        assert!(page.body.contains("Unblock"));
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(host.get(r.location()).await.body.contains("The guest can upload, react and report again."));
        assert_eq!(guest_named(&host, &event, "Zoe").await["blocked"], false);
        let r = guest_upload(&zoe, &event, 10).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        process(&app, tenant, r.json()["id"].as_str().expect("id")).await;
        let r = zoe.submit(&report, &report, &[("reason", "meh")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(figures(&host, &event, "Lena").await.3, 1);

        // Both are in the event's log, by the member who did it.
        let log = host.get(&format!("/app/events/{event}/moderation")).await;
        assert!(log.body.contains("stopped Zoe from uploading"), "{}", log.body);
        assert!(log.body.contains("let Zoe upload again"));
        assert!(log.body.contains("<td>Ada Host</td><td>let Zoe upload again</td>"));

        // The API: block with the photos hidden; reports on them are settled.
        let lena_id = guest_named(&host, &event, "Lena").await["id"].as_str().expect("id").to_owned();
        let r = host
            .json("POST", &format!("/api/v1/events/{event}/guests/{lena_id}/block"), Some(json!({"hide_photos": true})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = r.json();
        assert_eq!(v["blocked"], true);
        assert_eq!(v["photos"], json!({"total": 2, "published": 0, "waiting": 0}));
        assert_eq!(v["reports"], 0);
        for id in &lena_photos {
            let p = host.get(&format!("/api/v1/photos/{id}")).await.json();
            assert_eq!(p["status"], "hidden");
        }
        // Again: already blocked, nothing more to do, no second entry.
        let r = host.json("POST", &format!("/api/v1/events/{event}/guests/{lena_id}/block"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["blocked_at"], v["blocked_at"], "the first time is kept");
        let log = host.get(&format!("/app/events/{event}/moderation")).await;
        assert_eq!(log.body.matches("stopped Lena from uploading").count(), 1);
        let r = host.json("POST", &format!("/api/v1/events/{event}/guests/{lena_id}/unblock"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["blocked"], false);
        assert_eq!(r.json()["photos"]["published"], 0, "hidden photos stay hidden");
        // A body that is not JSON is refused with the envelope.
        let r = host
            .request(
                Request::post(format!("/api/v1/events/{event}/guests/{lena_id}/block"))
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from("hide"))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "unsupported_media_type");
        assert_eq!(guest_named(&host, &event, "Lena").await["blocked"], false);
    }
);

db_test!(
    async fn the_moderation_page_blocks_through_the_same_confirmation(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.73");
        let (event, lena_photos, [_lena, max, zoe]) = party(&app, &host).await;
        let report = format!("/g/{event}/photos/{}/report", lena_photos[0]);
        for g in [&max, &zoe] {
            let r = g.submit(&report, &report, &[("reason", "spam")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
        }
        let lena_id = guest_named(&host, &event, "Lena").await["id"].as_str().expect("id").to_owned();
        let page = host.get(&format!("/app/events/{event}/moderation")).await;
        let confirm = format!("/app/events/{event}/guests/{lena_id}/block?back=moderation");
        assert!(page.body.contains(&format!("href=\"{confirm}\"")), "{}", page.body);
        let c = host.get(&confirm).await;
        assert!(c.body.contains("name=\"back\" value=\"moderation\""));
        assert!(c.body.contains(&format!("href=\"/app/events/{event}/moderation\"")), "cancel goes back there");
        let r = host
            .submit(&confirm, &format!("/app/events/{event}/guests/{lena_id}/block"), &[("back", "moderation"), ("hide", "on")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), format!("/app/events/{event}/moderation?blocked=1"));
        assert_eq!(figures(&host, &event, "Lena").await, (2, 0, 0, 0), "hidden, reports settled");
        // Blocked already: the confirmation offers only to hide.
        let c = host.get(&confirm).await;
        assert!(c.body.contains("Lena is already blocked."));
        assert!(c.body.contains("Hide their photos"));
    }
);

db_test!(
    async fn another_organization_gets_404_on_every_guest_route(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.74");
        let (event, _, _) = party(&app, &host).await;
        let lena_id = guest_named(&host, &event, "Lena").await["id"].as_str().expect("id").to_owned();
        let other = app.browser("203.0.113.75");
        other.register("Mallory", "Mallory's Events").await;
        let (own_event, _) = live_event(&other, json!({})).await;
        for path in [
            format!("/app/events/{event}/guests"),
            format!("/app/events/{event}/guests/{lena_id}/block"),
            // Her own event with a guest of another organization's event.
            format!("/app/events/{own_event}/guests/{lena_id}/block"),
            format!("/api/v1/events/{event}/guests"),
            format!("/api/v1/events/{event}/guests/{lena_id}"),
            format!("/api/v1/events/{own_event}/guests/{lena_id}"),
        ] {
            assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND, "GET {path}");
        }
        let own_guests = format!("/app/events/{own_event}/guests");
        for path in [
            format!("/app/events/{event}/guests/{lena_id}/block"),
            format!("/app/events/{event}/guests/{lena_id}/unblock"),
            format!("/app/events/{own_event}/guests/{lena_id}/block"),
            format!("/app/events/{own_event}/guests/{lena_id}/unblock"),
        ] {
            let r = other.submit("/app/events/new", &path, &[("hide", "on")]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {path}");
        }
        for path in [
            format!("/api/v1/events/{event}/guests/{lena_id}/block"),
            format!("/api/v1/events/{event}/guests/{lena_id}/unblock"),
            format!("/api/v1/events/{own_event}/guests/{lena_id}/block"),
        ] {
            let r = other.json("POST", &path, Some(json!({"hide_photos": true}))).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {path}");
            assert_eq!(r.json()["error"]["code"], "not_found");
        }
        // Nothing changed for Lena, and the other organization's own list is empty.
        let lena = guest_named(&host, &event, "Lena").await;
        assert_eq!(lena["blocked"], false);
        assert_eq!(lena["photos"]["published"], 1);
        let page = other.get(&own_guests).await;
        assert!(page.body.contains("No guest has joined yet."));
        assert!(page.body.contains("0 guests joined"));
        // An id that is no guest at all, in the host's own event.
        let r = host.get(&format!("/app/events/{event}/guests/{}/block", domain::GuestId::new())).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = host.get(&format!("/app/events/{event}/guests/not-a-guest/block")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
);

db_test!(
    async fn a_plain_member_sees_the_guests_and_may_block_a_guest_but_not_a_visitor_or_a_guest(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let host = app.browser("203.0.113.76");
        let (event, _, [lena, _, _]) = party(&app, &host).await;
        let tenant = tenant_of(&host).await;
        let lena_id = guest_named(&host, &event, "Lena").await["id"].as_str().expect("id").to_owned();
        // Members help at the party: stopping a guest who misbehaves is theirs to do
        // (Action::ModeratePhotos, which every role has), and it is logged under their name.
        let member = member_with_role(&app, tenant, Role::Member).await;
        let page = member.get(&format!("/app/events/{event}/guests")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("3 guests joined"));
        let block = format!("/app/events/{event}/guests/{lena_id}/block");
        let r = member.submit(&block, &block, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let log = host.get(&format!("/app/events/{event}/moderation")).await;
        assert!(log.body.contains("<td>The member</td><td>stopped Lena from uploading</td>"), "{}", log.body);
        let r = member.json("POST", &format!("/api/v1/events/{event}/guests/{lena_id}/unblock"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // A visitor is sent to log in; the API says 401; a guest's cookie is no member's.
        let visitor = app.browser("203.0.113.77");
        let r = visitor.get(&format!("/app/events/{event}/guests")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login"), "{}", r.location());
        let r = visitor.get(&format!("/api/v1/events/{event}/guests")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = lena.get(&format!("/api/v1/events/{event}/guests")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = lena.json("POST", &format!("/api/v1/events/{event}/guests/{lena_id}/unblock"), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
);
