//! The lucky draw through the real router: set up by a host, entered by guests' published
//! photos, closed (by hand and by its job at the set time), run pick by pick with a redraw, and
//! checked from its public record with the same code `momentique draw verify` uses. Roles,
//! other organizations, bad input. SQLite and PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::draw::{self as math, DrawExport, Outcome};
use serde_json::{Value, json};
use support::{Backing, Browser, TestApp, jpeg, process, tenant_of};
use test_support::db_test;

struct Party<'a> {
    host: Browser<'a>,
    guests: Vec<(String, Browser<'a>)>,
    event: String,
    tenant: domain::TenantId,
}

async fn party<'a>(app: &'a TestApp, names: &[&str]) -> Party<'a> {
    let host = app.browser("198.51.100.1");
    host.register("Ada Host", "Ada's Weddings").await;
    let tenant = tenant_of(&host).await;
    let (event, link) = support::live_event(&host, json!({})).await;
    let mut guests = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let g = app.browser(&format!("198.51.100.{}", 40 + i));
        support::join(&g, &link, name).await;
        guests.push(((*name).to_owned(), g));
    }
    Party {
        host,
        guests,
        event,
        tenant,
    }
}

async fn upload(app: &TestApp, p: &Party<'_>, guest: usize, seed: u8) -> String {
    let r = p.guests[guest]
        .1
        .request(
            Request::post(format!("/g/{}/photos", p.event))
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(jpeg(160, 120, seed)))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    process(app, p.tenant, &id).await;
    id
}

/// Makes a draw with the page's form; returns its id.
async fn make_draw(p: &Party<'_>, fields: &[(&str, &str)]) -> String {
    let page = format!("/app/events/{}/draws", p.event);
    let r = p.host.submit(&page, &page, fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location().to_owned();
    let id = loc
        .trim_start_matches(&format!("{page}/"))
        .split('?')
        .next()
        .expect("id")
        .to_owned();
    assert!(id.len() == 36, "{loc}");
    id
}

fn export_of(v: Value) -> DrawExport {
    serde_json::from_value(v).expect("a draw export")
}

db_test!(
    async fn a_draw_runs_from_the_guests_photos_to_winners_anyone_can_check(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, &["Lena Berger", "Max", "Zoe", "Noor"]).await;
        let draw = make_draw(
            &p,
            &[
                ("name", "Big prizes"),
                ("rule_kind", "per_photo"),
                ("cap", "2"),
                ("min_photos", "1"),
                ("mask_names", "1"),
                ("tier_name", "Hot-air balloon ride"),
                ("tier_winners", "1"),
                ("tier_photo", ""),
                ("tier_name", "Mug"),
                ("tier_winners", "2"),
                ("tier_photo", ""),
                ("tier_name", ""),
                ("tier_winners", "1"),
                ("tier_photo", ""),
            ],
        )
        .await;
        let base = format!("/app/events/{}/draws/{draw}", p.event);
        let guest_page = format!("/g/{}", p.event);

        // Lena: three photos (capped at two entries); Max one; Zoe one, later hidden; Noor none.
        for s in 1..=3 {
            upload(&app, &p, 0, s).await;
        }
        upload(&app, &p, 1, 4).await;
        let zoe = upload(&app, &p, 2, 5).await;
        let lena_page = p.guests[0].1.get(&guest_page).await;
        assert!(lena_page.body.contains("You are in the draw: 2 entries"), "{}", lena_page.body);
        assert!(p.guests[2].1.get(&guest_page).await.body.contains("You are in the draw: 1 entry"));
        assert!(p.guests[3].1.get(&guest_page).await.body.contains("Share photos to enter the draw."));
        let mod_page = format!("/app/events/{}/moderation", p.event);
        let r = p.host.submit(&mod_page, &format!("{mod_page}/{zoe}/hide"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(p.guests[2].1.get(&guest_page).await.body.contains("Share photos to enter the draw."));

        // A walk-in, and Max excluded then let back in; the list with search and as CSV.
        let r = p.host.submit(&base, &format!("{base}/walk-ins"), &[("name", "Wally Walk-in"), ("note", "came late")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = p.host.get(&base).await;
        assert!(page.body.contains("Wally Walk-in") && page.body.contains("Lena Berger"), "{}", page.body);
        let max_id = {
            let b = &page.body;
            let at = b.find("Max").expect("Max listed");
            let g = &b[at..];
            let v = g.find("name=\"guest\" value=\"").expect("exclude form") + 20;
            g[v..v + 36].to_owned()
        };
        let r = p.host.submit(&base, &format!("{base}/exclude"), &[("guest", &max_id), ("on", "1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(p.guests[1].1.get(&guest_page).await.body.contains("Share photos to enter the draw."));
        let r = p.host.submit(&base, &format!("{base}/exclude"), &[("guest", &max_id), ("on", "0")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let searched = p.host.get(&format!("{base}?q=lena")).await;
        assert!(searched.body.contains("Lena Berger") && !searched.body.contains(">Max<"));
        let csv = p.host.get(&format!("{base}/participants.csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.header("content-type").starts_with("text/csv"));
        assert!(csv.body.contains("\"Lena Berger\",guest,3,2,"), "{}", csv.body);
        assert!(csv.body.contains("\"Wally Walk-in\",walk_in,0,1,"), "{}", csv.body);

        // The public page before the close: the rules, no entry list.
        let public = format!("/d/{}/{draw}", p.tenant);
        let nobody = app.browser("203.0.113.77");
        let r = nobody.get(&public).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("One entry per photo in the gallery, at most 2 per guest"), "{}", r.body);

        // Close: Lena 2, Max 1, Wally 1 (Zoe's photo is hidden, Noor has none).
        let r = p.host.submit(&base, &format!("{base}/close"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let ex = export_of(nobody.get(&format!("{public}/export.json")).await.json());
        let mut weights: Vec<u32> = ex.entries.iter().map(|e| e.weight).collect();
        weights.sort_unstable();
        assert_eq!(weights, [1, 1, 2]);
        assert_eq!(ex.entry_list_hash, math::hex(&math::entry_list_hash(&ex.entries).expect("hash")));
        assert_eq!(ex.commitment.len(), 64);
        assert!(ex.seed.is_none(), "the seed stays secret until the end");
        let body = serde_json::to_string(&ex).expect("json");
        for name in ["Lena", "Max", "Wally", "Zoe"] {
            assert!(!body.contains(name), "no names in the public record: {body}");
        }
        // Lena's phone shows her two ids, which are in the published list.
        let lena_page = p.guests[0].1.get(&guest_page).await.body;
        assert!(lena_page.contains("You are in with 2 entries"), "{lena_page}");
        let mine: Vec<&math::Entry> = ex.entries.iter().filter(|e| lena_page.contains(&e.id)).collect();
        assert_eq!(mine.len(), 1, "her one entry (weight 2) is named on her page");
        assert_eq!(mine[0].weight, 2);

        // Locked: no change to rules, walk-ins or exclusions, by page or API.
        let r = p.host.submit(&base, &base, &[("name", "Other"), ("rule_kind", "per_guest"), ("min_photos", "1"), ("tier_name", "X"), ("tier_winners", "1")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let api = format!("/api/v1/events/{}/draws/{draw}", p.event);
        let r = p.host.json("PATCH", &api, Some(json!({"name": "Other"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.json()["error"]["code"], "draw_locked");
        let r = p.host.json("POST", &format!("{api}/walk-ins"), Some(json!({"name": "Late"}))).await;
        assert_eq!(r.json()["error"]["code"], "draw_locked");
        assert_eq!(p.host.json("DELETE", &api, None).await.status, StatusCode::CONFLICT);

        // On stage: a phrase, then winners; one is not there and their prize is drawn again.
        let r = p.host.json("POST", &format!("{api}/phrase"), Some(json!({"phrase": "Vive les mariés! 🎈"}))).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let first = p.host.json("POST", &format!("{api}/next"), None).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        assert_eq!(first.json()["tier"], 1);
        // Too late for a phrase now.
        let r = p.host.json("POST", &format!("{api}/phrase"), Some(json!({"phrase": "again"}))).await;
        assert_eq!(r.json()["error"]["code"], "draw_phrase_too_late");
        let r = p.host.json("POST", &format!("{api}/picks/1/outcome"), Some(json!({"present": false}))).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        // Only the latest pick, once.
        let r = p.host.json("POST", &format!("{api}/picks/1/outcome"), Some(json!({"present": true}))).await;
        assert_eq!(r.json()["error"]["code"], "draw_not_markable");
        let second = p.host.json("POST", &format!("{api}/next"), None).await.json();
        assert_eq!((second["tier"].clone(), second["round"].clone()), (json!(1), json!(2)), "{second}");
        assert_ne!(second["entry"], first.json()["entry"], "nobody is drawn twice");
        // The remote's form marks them present.
        let remote = format!("{base}/remote");
        let r = p.host.submit(&remote, &format!("{base}/mark"), &[("seq", "2"), ("present", "1"), ("back", "remote")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), remote);
        // The Mugs: one entry is left for two mugs; the second finds nobody, and says so.
        let r = p.host.submit(&remote, &format!("{base}/next"), &[("back", "remote")]).await;
        assert_eq!(r.location(), remote, "{}", r.body);
        let r = p.host.submit(&remote, &format!("{base}/next"), &[("back", "remote")]).await;
        assert_eq!(r.location(), format!("{remote}?problem=nobody_left"));
        let shown = p.host.get(r.location()).await;
        assert!(shown.body.contains("nobody is left for this prize"), "{}", shown.body);
        let r = p.host.json("POST", &format!("{api}/next"), None).await;
        assert_eq!(r.json()["error"]["code"], "draw_nobody_left", "{}", r.body);
        // The state the screens show: the names masked as the draw asks.
        let st = p.host.get(&format!("{base}/state.json")).await.json();
        assert_eq!(st["picks"].as_array().expect("picks").len(), 3);
        assert!(st["picks"].as_array().expect("picks").iter().any(|x| x["name"] == "Lena B."), "{st}");
        assert!(st["seed"].is_null());
        let screen = p.host.get(&format!("{base}/show")).await;
        assert_eq!(screen.status, StatusCode::OK);
        assert!(screen.body.contains("data-draw-show"));

        // Lena's phone was told when she won; the feed has the draw's steps for every guest.
        let feed = p.guests[0].1.get(&format!("/g/{}/feed?since=0", p.event)).await.json();
        let msgs = feed["messages"].as_array().expect("messages");
        let lena_entry = &mine[0].id;
        let won_lena = st["picks"].as_array().expect("picks").iter().any(|x| x["entry"] == json!(lena_entry));
        let won_msgs = msgs.iter().filter(|m| m["type"] == "draw.won").count();
        assert_eq!(won_msgs > 0, won_lena, "draw.won reaches the one drawn, when drawn: {feed}");
        assert!(msgs.iter().any(|m| m["type"] == "draw.state" && m["step"] == "picked"));
        let noor_feed = p.guests[3].1.get(&format!("/g/{}/feed?since=0", p.event)).await.json();
        assert!(noor_feed["messages"].as_array().expect("m").iter().all(|m| m["type"] != "draw.won"));

        // The end: the seed is published and the whole record checks out.
        let r = p.host.submit(&remote, &format!("{base}/finish"), &[("back", "remote")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let ex = export_of(nobody.get(&format!("{public}/export.json")).await.json());
        let seed = math::parse_hex32(ex.seed.as_deref().expect("seed revealed")).expect("hex seed");
        assert_eq!(math::hex(&math::commitment(&seed)), ex.commitment);
        assert_eq!(ex.phrase.as_deref(), Some("Vive les mariés! 🎈"));
        assert_eq!(ex.picks.len(), 3);
        assert_eq!(ex.picks[0].outcome, Outcome::NotPresent);
        let checks = math::replay(&ex.entries, &seed, ex.phrase.as_deref().unwrap_or(""), &ex.tiers, &ex.picks).expect("replay");
        assert!(checks.iter().all(Result::is_ok), "{checks:?}");
        // A winner changed in the record is caught.
        let mut forged = ex.picks.clone();
        let other = ex.entries.iter().find(|e| e.id != forged[1].entry).expect("another entry");
        forged[1].entry = other.id.clone();
        let checks = math::replay(&ex.entries, &seed, ex.phrase.as_deref().unwrap_or(""), &ex.tiers, &forged).expect("replay");
        assert!(checks[1].is_err());
        // The public page shows the seed and the verifier; the results CSV lists every pick.
        let r = nobody.get(&public).await;
        assert!(r.body.contains(ex.seed.as_deref().expect("seed")) && r.body.contains("data-draw-verify"));
        let csv = p.host.get(&format!("{base}/results.csv")).await.body;
        assert_eq!(csv.lines().count(), 4, "{csv}");
        assert!(csv.contains(",not_present"), "{csv}");
        // Guests see the winners on their page.
        let noor = p.guests[3].1.get(&guest_page).await.body;
        assert!(noor.contains("Winners") && noor.contains("Hot-air balloon ride:"), "{noor}");
        // Nothing more can happen.
        let r = p.host.json("POST", &format!("{api}/next"), None).await;
        assert_eq!(r.json()["error"]["code"], "draw_finished");
    }
);

db_test!(
    async fn earlier_winners_are_left_out_and_entries_close_at_the_set_time(tdb) {
        use domain::time::ManualClock;
        let mut app = TestApp::new(&tdb, Backing::Local).await;
        let clock = std::sync::Arc::new(ManualClock::new(domain::time::now()));
        app.state.services = std::sync::Arc::new(service::Services::clone(&app.state.services).with_clock(clock.clone()));
        let p = party(&app, &["Lena", "Max"]).await;
        upload(&app, &p, 0, 1).await;
        upload(&app, &p, 1, 2).await;
        let api = format!("/api/v1/events/{}/draws", p.event);
        // The first draw: one prize, run to the end.
        let first = p.host.json("POST", &api, Some(json!({"name": "Early", "prizes": [{"name": "Cake"}]}))).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let first = first.json()["id"].as_str().expect("id").to_owned();
        assert_eq!(p.host.json("POST", &format!("{api}/{first}/close"), None).await.status, StatusCode::OK);
        let won = p.host.json("POST", &format!("{api}/{first}/next"), None).await.json();
        assert_eq!(won["tier"], 1);

        // The second closes by itself in an hour; earlier winners are not entered.
        let at = (clock_now(&app) + chrono::Duration::hours(1)).to_rfc3339();
        let second = p.host.json("POST", &api, Some(json!({
            "name": "Later", "prizes": [{"name": "Wine", "winners": 2}], "closes_at": at,
            "exclude_earlier_winners": true,
        }))).await;
        assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
        let second_id: domain::DrawId = second.json()["id"].as_str().expect("id").parse().expect("draw id");
        let at = second.json()["closes_at"].as_str().expect("closes_at").parse::<chrono::DateTime<chrono::Utc>>().expect("time");
        let job = service::draws::CloseDraw {
            tenant: p.tenant,
            event: p.event.parse().expect("event id"),
            draw: second_id,
            at,
        };
        let handler = service::draws::CloseDrawHandler { services: service::Services::clone(&app.state.services) };
        let ctx = jobs::JobContext { id: domain::JobId::new(), tenant: Some(p.tenant), attempt: 1, max_attempts: 10 };
        use jobs::Handler;
        // Early: nothing happens.
        handler.run(job.clone(), &ctx).await.expect("job runs");
        let v = p.host.json("GET", &format!("{api}/{second_id}"), None).await.json();
        assert_eq!(v["status"], "open");
        clock.advance(chrono::Duration::minutes(61));
        handler.run(job, &ctx).await.expect("job runs");
        let v = p.host.json("GET", &format!("{api}/{second_id}"), None).await.json();
        assert_eq!(v["status"], "closed", "{v}");
        let ex = export_of(app.browser("203.0.113.5").get(&format!("/d/{}/{second_id}/export.json", p.tenant)).await.json());
        assert_eq!(ex.entries.len(), 1, "the first draw's winner is left out: {ex:?}");
        assert!(ex.rules.contains("Winners of the event's earlier draws are not entered."));
    }
);

fn clock_now(app: &TestApp) -> chrono::DateTime<chrono::Utc> {
    app.state.services.now()
}

db_test!(
    async fn draws_are_the_organizations_own_and_roles_decide_who_sets_them_up(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, &["Lena"]).await;
        upload(&app, &p, 0, 1).await;
        let draw = make_draw(&p, &[("name", "Ours"), ("rule_kind", "per_guest"), ("min_photos", "1"), ("tier_name", "Cake"), ("tier_winners", "1")]).await;
        let ev = &p.event;
        let base = format!("/app/events/{ev}/draws/{draw}");
        let api = format!("/api/v1/events/{ev}/draws/{draw}");

        // Another organization's member: every page and endpoint of the draw is a 404.
        let other = app.browser("203.0.113.9");
        other.register("Olga Other", "Other Org").await;
        for path in [
            format!("/app/events/{ev}/draws"), base.clone(), format!("{base}/show"), format!("{base}/remote"),
            format!("{base}/state.json"), format!("{base}/participants.csv"), format!("{base}/results.csv"),
            format!("/api/v1/events/{ev}/draws"), api.clone(), format!("{api}/state"), format!("{api}/participants"),
        ] {
            assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        }
        for (method, path) in [("POST", format!("{api}/close")), ("POST", format!("{api}/next")), ("PATCH", api.clone()), ("DELETE", api.clone())] {
            let r = other.json(method, &path, Some(json!({}))).await;
            assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST, "{method} {path}: {}", r.status);
        }
        // Their own event's id with our draw: still nothing.
        let (their_event, _) = support::live_event(&other, json!({})).await;
        assert_eq!(other.get(&format!("/app/events/{their_event}/draws/{draw}")).await.status, StatusCode::NOT_FOUND);
        // The public page under the wrong organization's id is a 404 too.
        let their_tenant = tenant_of(&other).await;
        assert_eq!(other.get(&format!("/d/{their_tenant}/{draw}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.get(&format!("/d/{}/{draw}", p.tenant)).await.status, StatusCode::OK);
        // A guest is not a member.
        assert_ne!(p.guests[0].1.get(&base).await.status, StatusCode::OK);

        // A plain member runs draws but does not set them up.
        let member = support::member_with_role(&app, p.tenant, domain::Role::Member).await;
        assert_eq!(member.get(&base).await.status, StatusCode::OK);
        let r = member.json("POST", &format!("/api/v1/events/{ev}/draws"), Some(json!({"name": "Mine", "prizes": [{"name": "X"}]}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.json()["error"]["code"], "not_permitted");
        let r = member.json("POST", &format!("{api}/close"), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(p.host.json("POST", &format!("{api}/close"), None).await.status, StatusCode::OK);
        let r = member.json("POST", &format!("{api}/next"), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        // A wall of the event opens its draws; another event's wall does not.
        let wall = p.host.json("POST", &format!("/api/v1/events/{ev}/walls"), Some(json!({"name": "Stage"}))).await.json();
        let url = wall["url"].as_str().expect("url");
        let token = &url[url.find("/w/").expect("wall path") + 3..];
        assert!(p.host.get(&base).await.body.contains(&format!("/w/{token}/draws/{draw}")), "the draw's page links the wall's screen");
        assert!(!member.get(&base).await.body.contains(&format!("/w/{token}")), "only those who see wall links");
        let nobody = app.browser("203.0.113.10");
        let r = nobody.get(&format!("/w/{token}/draws/{draw}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.contains("data-control"), "a wall's screen only watches");
        assert_eq!(nobody.get(&format!("/w/{token}/draws/{draw}/state.json")).await.status, StatusCode::OK);
        let their_wall = other.json("POST", &format!("/api/v1/events/{their_event}/walls"), Some(json!({"name": "Theirs"}))).await.json();
        let turl = their_wall["url"].as_str().expect("url");
        let ttoken = &turl[turl.find("/w/").expect("wall path") + 3..];
        assert_eq!(nobody.get(&format!("/w/{ttoken}/draws/{draw}")).await.status, StatusCode::NOT_FOUND);
    }
);

db_test!(
    async fn bad_input_gets_a_sentence_never_a_500(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let p = party(&app, &["Lena"]).await;
        let page = format!("/app/events/{}/draws", p.event);
        // The form: no name, a rule out of range, a prize without a name, a closing time past.
        let r = p.host.submit(&page, &page, &[("name", " "), ("rule_kind", "per_photo"), ("cap", "0"), ("tier_name", ""), ("tier_winners", "500"), ("tier_photo", "not-a-photo"), ("closes_at", "2001-01-01T10:00")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        for msg in ["Give it a name.", "whole number from 1 to 1,000", "already passed"] {
            assert!(r.body.contains(msg), "{msg}: {}", r.body);
        }
        let r = p.host.submit(&page, &page, &[("name", "Ok"), ("rule_kind", "per_guest"), ("min_photos", "1")]).await;
        assert!(r.body.contains("Add at least one prize."), "{}", r.body);
        let api = format!("/api/v1/events/{}/draws", p.event);
        let r = p.host.json("POST", &api, Some(json!({"name": "X", "prizes": [{"name": "Y", "winners": 0}]}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = p.host.json("POST", &api, Some(json!({"name": "X", "surprise": 1}))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = p.host.json("POST", &api, Some(json!({"name": "X", "prizes": [{"name": "Y"}], "closes_at": "tomorrow"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = p.host.json("POST", &api, Some(json!({"name": "X", "prizes": [{"name": "Y"}], "rule": {"kind": "per_photo", "cap": 5000}}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        // A prize picture that is another event's photo (or nobody's).
        let r = p.host.json("POST", &api, Some(json!({"name": "X", "prizes": [{"name": "Y", "photo": domain::PhotoId::new().to_string()}]}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

        let draw = make_draw(&p, &[("name", "Empty"), ("rule_kind", "per_guest"), ("min_photos", "1"), ("tier_name", "Cake"), ("tier_winners", "1")]).await;
        let base = format!("{page}/{draw}");
        // Nobody entered yet: closing says so.
        let r = p.host.json("POST", &format!("{api}/{draw}/close"), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.json()["error"]["code"], "draw_no_entries");
        // Running before the close, odd ids and values.
        assert_eq!(p.host.json("POST", &format!("{api}/{draw}/next"), None).await.json()["error"]["code"], "draw_not_closed");
        assert_eq!(p.host.get(&format!("{page}/not-an-id")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(p.host.get(&format!("/d/nope/{draw}")).await.status, StatusCode::NOT_FOUND);
        let r = p.host.submit(&base, &format!("{base}/mark"), &[("seq", "x"), ("present", "1")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let r = p.host.submit(&base, &format!("{base}/exclude"), &[("guest", "zzz"), ("on", "1")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = p.host.submit(&base, &format!("{base}/walk-ins"), &[("name", ""), ("note", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Give it a name."));
        let long = "x".repeat(300);
        let r = p.host.json("POST", &format!("{api}/{draw}/walk-ins"), Some(json!({"name": "A", "note": long}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = p.host.json("POST", &format!("{api}/{draw}/phrase"), Some(json!({"phrase": long}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = p.host.json("POST", &format!("{api}/{draw}/picks/abc/outcome"), Some(json!({"present": true}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // A NUL byte anywhere, a year 262142: refused with a sentence, never a 500.
        assert_eq!(p.host.get(&format!("{base}?q=a%00b")).await.status, StatusCode::BAD_REQUEST);
        let r = p.host.submit(&base, &format!("{base}/walk-ins"), &[("name", "Ann\0e"), ("note", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = p.host.json("POST", &api, Some(json!({"name": "N\u{0000}", "prizes": [{"name": "Y"}]}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = p.host.json("PATCH", &format!("{api}/{draw}"), Some(json!({"closes_at": "+262142-01-01T00:00:00Z"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = p.host.submit(&base, &base, &[("name", "Empty"), ("rule_kind", "per_guest"), ("min_photos", "1"), ("tier_name", "Cake"), ("tier_winners", "1"), ("closes_at", "262142-01-01T10:00")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(p.host.get(&format!("{page}/{}", "0".repeat(36))).await.status, StatusCode::NOT_FOUND);
    }
);
