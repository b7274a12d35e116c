//! Notification mails through the real router and the real SMTP server: each member's own
//! choices (page and API, nobody else's), the digest of new photos (counts per event, the
//! organization's own only, nothing when nothing is new, never twice), photos waiting for
//! approval (a burst is one mail at once; bundles wait for their quarter hour), draw results
//! with the verification link, and nothing for a deactivated member. Time is a manual clock,
//! moved by the test; the notification runs are claimed from the queue as a worker would.
//! SQLite and PostgreSQL.

mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use domain::Role;
use domain::time::{Clock, ManualClock};
use jobs::{Handler, Job, JobContext};
use serde_json::json;
use service::notifications::{ApprovalsRun, DigestRun, DrawResultsRun, GRACE, RunHandler};
use store::JobQueue;
use support::{Backing, Browser, Mailbox, TestApp, jpeg, member_with_role, process, tenant_of};
use test_support::db_test;

/// An app whose services read a manual clock, a little ahead of the real one (so a member
/// added with the real time has joined before anything the test does), on a whole minute
/// `past_quarter` minutes after a quarter hour.
async fn app_with_clock(
    tdb: &test_support::TestDatabase,
    past_quarter: i64,
) -> (TestApp, Arc<ManualClock>) {
    let mut app = TestApp::new(tdb, Backing::Local).await;
    // A quarter past a whole hour, whatever the time of day: the quarters a test moves
    // through then never reach the next whole hour, when the hourly digest run falls due too.
    let quarter = domain::notifications::ceil_to(
        domain::time::now() + Duration::minutes(1),
        Duration::minutes(60),
    ) + Duration::minutes(15);
    let clock = Arc::new(ManualClock::new(quarter + Duration::minutes(past_quarter)));
    app.state.services = std::sync::Arc::new(
        service::Services::clone(&app.state.services).with_clock(clock.clone()),
    );
    (app, clock)
}

/// Claims and runs every due notification run at the clock's time, as a worker would;
/// returns how many ran.
async fn run_notifications(app: &TestApp) -> usize {
    let services = &app.state.services;
    let handler = RunHandler {
        services: service::Services::clone(services),
    };
    let kinds = [DigestRun::KIND, ApprovalsRun::KIND, DrawResultsRun::KIND];
    let mut ran = 0;
    while let Some(job) = services
        .db
        .claim_job(
            "test",
            &kinds,
            std::time::Duration::from_secs(60),
            services.now(),
        )
        .await
        .expect("claim")
    {
        let ctx = JobContext {
            id: job.id,
            tenant: job.tenant,
            attempt: job.attempt,
            max_attempts: job.max_attempts,
        };
        let p = job.payload.clone();
        match job.kind.as_str() {
            DigestRun::KIND => Handler::<DigestRun>::run(
                &handler,
                serde_json::from_value(p).expect("payload"),
                &ctx,
            ),
            ApprovalsRun::KIND => Handler::<ApprovalsRun>::run(
                &handler,
                serde_json::from_value(p).expect("payload"),
                &ctx,
            ),
            _ => Handler::<DrawResultsRun>::run(
                &handler,
                serde_json::from_value(p).expect("payload"),
                &ctx,
            ),
        }
        .await
        .expect("the run succeeds");
        assert!(
            services
                .db
                .complete_job(job.id, job.lease_token, services.now())
                .await
                .expect("complete")
        );
        ran += 1;
    }
    ran
}

/// Sets the browser's member's choices through the API.
async fn choose(b: &Browser<'_>, digest: &str, approvals: &str, draw_results: bool) {
    let r = b
        .json(
            "PUT",
            "/api/v1/me/notifications",
            Some(json!({"digest": digest, "approvals": approvals, "draw_results": draw_results})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Takes the "confirm your address" mail a sign-up sends.
async fn drain(mailbox: &Mailbox, to: &str) {
    let mail = mailbox.wait_for(to).await;
    assert_eq!(mail.subject, "Confirm your email address");
}

async fn email_of(b: &Browser<'_>) -> String {
    b.get("/api/v1/me").await.json()["user"]["email"]
        .as_str()
        .expect("email")
        .to_owned()
}

/// A live event of `host`'s (`settings` as the API takes them); returns (id, join path).
async fn event(host: &Browser<'_>, name: &str, settings: serde_json::Value) -> (String, String) {
    let r = host
        .json(
            "POST",
            "/api/v1/events",
            Some(json!({
                "name": name, "time_zone": "UTC",
                "starts_at": "2026-06-20T14:00", "ends_at": "2099-06-21T02:00",
                "settings": settings,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    let id = v["id"].as_str().expect("id").to_owned();
    support::set_status(host, &id, "live").await;
    let url = v["join_url"].as_str().expect("url");
    (id, url[url.find("/j/").expect("join path")..].to_owned())
}

/// A guest of `event` (of `tenant`, joined at `link`) who sends `n` photos (seeds from `seed`), each processed.
async fn guest_sends(
    app: &TestApp,
    (tenant, event, link): (domain::TenantId, &str, &str),
    name: &str,
    ip: &str,
    n: u8,
    seed: u8,
) {
    let guest = app.browser(ip);
    support::join(&guest, link, name).await;
    for i in 0..n {
        let r = guest
            .request(
                Request::post(format!("/g/{event}/photos"))
                    .header(header::HOST, "localhost")
                    .header(header::ORIGIN, "http://localhost")
                    .body(Body::from(jpeg(64, 48, seed.wrapping_add(i))))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        process(app, tenant, &id).await;
    }
}

fn next_hour(clock: &ManualClock) -> DateTime<Utc> {
    domain::notifications::next_hour(clock.now())
}

/// Moves the clock to `at` plus the runs' grace.
fn move_to(clock: &ManualClock, at: DateTime<Utc>) {
    clock.advance(at + GRACE - clock.now());
}

db_test!(
    async fn each_member_sets_their_own_choices_on_the_page_and_in_the_api(tdb) {
        let (app, _clock) = app_with_clock(&tdb, 2).await;
        let owner = app.browser("203.0.113.10");
        owner.register("Olive Owner", "Olive's Weddings").await;

        // Owners start with the hosts' defaults, marked as such.
        let page = owner.get("/account/notifications").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("value=\"daily\" checked"), "{}", page.body);
        assert!(page.body.contains("value=\"bundled\" checked"));
        assert!(page.body.contains("name=\"draw_results\" value=\"on\" checked"));
        assert!(page.body.contains("Once a day (default)"));
        assert!(owner.get("/account").await.body.contains("href=\"/account/notifications\""));

        // The form saves (an unticked checkbox is absent).
        let r = owner
            .submit(
                "/account/notifications",
                "/account/notifications",
                &[("digest", "hourly"), ("approvals", "at_once")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/account/notifications?done=saved");
        let page = owner.get("/account/notifications?done=saved").await.body;
        assert!(page.contains("Your choices are saved"), "{page}");
        assert!(page.contains("value=\"hourly\" checked"), "{page}");
        assert!(page.contains("value=\"at_once\" checked"));
        assert!(!page.contains("value=\"on\" checked"), "draw results are off now");
        let v = owner.get("/api/v1/me/notifications").await.json();
        assert_eq!(
            (v["digest"].clone(), v["approvals"].clone(), v["draw_results"].clone()),
            (json!("hourly"), json!("at_once"), json!(false))
        );
        assert_eq!(v["defaults"]["digest"], "daily");

        // A choice that is not one: a sentence, nothing saved.
        let r = owner
            .submit(
                "/account/notifications",
                "/account/notifications",
                &[("digest", "weekly"), ("approvals", "at_once")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("That is not one of the choices"), "{}", r.body);
        let r = owner
            .json(
                "PUT",
                "/api/v1/me/notifications",
                Some(json!({"digest": "weekly", "approvals": "loud", "draw_results": true})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "invalid");
        let r = owner
            .json(
                "PUT",
                "/api/v1/me/notifications",
                Some(json!({"digest": "off", "approvals": "off", "draw_results": true, "user": "x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(owner.get("/api/v1/me/notifications").await.json()["digest"], "hourly");

        // A member of the same organization has their own (their role's defaults), and
        // changing them leaves the owner's alone.
        let tenant = tenant_of(&owner).await;
        let member = member_with_role(&app, tenant, Role::Member).await;
        let v = member.get("/api/v1/me/notifications").await.json();
        assert_eq!(
            (v["digest"].clone(), v["approvals"].clone(), v["draw_results"].clone()),
            (json!("off"), json!("off"), json!(false))
        );
        choose(&member, "daily", "bundled", true).await;
        assert_eq!(owner.get("/api/v1/me/notifications").await.json()["digest"], "hourly");

        // Another organization's owner: only their own, whatever they send.
        let other = app.browser("198.51.100.20");
        other.register("Mallory", "Mallory's Parties").await;
        assert_eq!(other.get("/api/v1/me/notifications").await.json()["digest"], "daily");
        choose(&other, "off", "off", false).await;
        let v = owner.get("/api/v1/me/notifications").await.json();
        assert_eq!((v["digest"].clone(), v["approvals"].clone()), (json!("hourly"), json!("at_once")));

        // A guest and nobody.
        let (_, link) = event(&owner, "June wedding", json!({})).await;
        let guest = app.browser("198.51.100.30");
        support::join(&guest, &link, "Lena").await;
        for b in [&guest, &app.browser("198.51.100.31")] {
            let r = b.get("/api/v1/me/notifications").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
            let r = b
                .json(
                    "PUT",
                    "/api/v1/me/notifications",
                    Some(json!({"digest": "off", "approvals": "off", "draw_results": false})),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            let r = b.get("/account/notifications").await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert!(r.location().starts_with("/login"), "{}", r.location());
        }
        let r = app
            .browser("198.51.100.32")
            .post(
                "/account/notifications",
                &[("digest", "off"), ("approvals", "off")],
            )
            .await;
        assert!(r.status.is_client_error() || r.status == StatusCode::SEE_OTHER, "{}", r.status);
        assert_eq!(owner.get("/api/v1/me/notifications").await.json()["digest"], "hourly");
    }
);

db_test!(
    async fn the_digest_counts_each_events_new_photos_in_the_members_organization_only(tdb) {
        let (app, clock) = app_with_clock(&tdb, 2).await;
        let mailbox = Mailbox::start(&app);
        let owner = app.browser("203.0.113.10");
        let owner_email = owner.register("Olive Owner", "Olive's Weddings").await;
        drain(&mailbox, &owner_email).await;
        let tenant = tenant_of(&owner).await;
        choose(&owner, "hourly", "off", false).await;
        // An admin who also wants it, then is deactivated.
        let admin = member_with_role(&app, tenant, Role::Admin).await;
        choose(&admin, "hourly", "off", false).await;
        let admin_email = email_of(&admin).await;
        let admin_id = admin.get("/api/v1/me").await.json()["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let r = owner.submit("/members", &format!("/members/{admin_id}/deactivate"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // Another organization with photos of its own.
        let other = app.browser("198.51.100.20");
        let other_email = other.register("Mallory", "Mallory's Parties").await;
        drain(&mailbox, &other_email).await;
        let other_tenant = tenant_of(&other).await;
        choose(&other, "hourly", "off", false).await;

        // The photos come a minute after everyone joined (the clock stands still otherwise).
        clock.advance(Duration::minutes(1));
        let (wedding, wedding_link) = event(&owner, "June wedding", json!({})).await;
        let (brunch, brunch_link) = event(&owner, "Sunday brunch", json!({})).await;
        let (party, party_link) = event(&other, "Secret party", json!({})).await;
        guest_sends(&app, (tenant, &wedding, &wedding_link), "Lena", "198.51.100.40", 2, 1).await;
        guest_sends(&app, (tenant, &wedding, &wedding_link), "Max", "198.51.100.41", 1, 10).await;
        guest_sends(&app, (tenant, &brunch, &brunch_link), "Zoe", "198.51.100.42", 1, 20).await;
        guest_sends(&app, (other_tenant, &party, &party_link), "Eve", "198.51.100.43", 4, 30).await;

        // Nothing before the hour.
        assert_eq!(run_notifications(&app).await, 0);
        let at = next_hour(&clock);
        move_to(&clock, at);
        // Two instances running the hour at once: one mail.
        let services = &app.state.services;
        let (a, b) = tokio::join!(
            service::notifications::digests(services, tenant, at),
            service::notifications::digests(services, tenant, at),
        );
        assert_eq!(a.expect("run") + b.expect("run"), 1, "the owner's digest, once");
        assert!(run_notifications(&app).await >= 2, "one run per organization");

        let mail = mailbox.wait_for(&owner_email).await;
        assert_eq!(mail.subject, "New photos in 2 events");
        assert!(mail.text.contains("- June wedding: 3 new photos from 2 guests"), "{}", mail.text);
        assert!(mail.text.contains("- Sunday brunch: 1 new photo from 1 guest"), "{}", mail.text);
        assert!(mail.text.contains(&format!("/app/events/{wedding}")), "{}", mail.text);
        assert!(mail.text.contains("/account/notifications"), "{}", mail.text);
        assert!(mail.html.contains("/account/notifications"));
        assert!(!mail.text.contains("Secret party") && !mail.html.contains("Secret party"));
        let theirs = mailbox.wait_for(&other_email).await;
        assert_eq!(theirs.subject, "New photos in Secret party");
        assert!(theirs.text.contains("4 new photos from 1 guest"), "{}", theirs.text);
        assert!(!theirs.text.contains("June wedding") && !theirs.text.contains("Sunday brunch"));
        mailbox.expect_none(&admin_email).await;

        // The same run again (a restart, a second instance): nothing more.
        assert_eq!(
            service::notifications::digests(&app.state.services, tenant, at).await.expect("run"),
            0
        );
        // Next hour with nothing new: no mail (saving queues a run, which finds nothing).
        choose(&owner, "hourly", "off", false).await;
        move_to(&clock, next_hour(&clock));
        assert_eq!(run_notifications(&app).await, 1);
        mailbox.expect_none(&owner_email).await;
        // One more photo: only it is in the next digest.
        guest_sends(&app, (tenant, &brunch, &brunch_link), "Noor", "198.51.100.44", 1, 40).await;
        move_to(&clock, next_hour(&clock));
        assert_eq!(run_notifications(&app).await, 1);
        let mail = mailbox.wait_for(&owner_email).await;
        assert_eq!(mail.subject, "New photos in Sunday brunch");
        assert!(mail.text.contains("1 new photo from 1 guest arrived in Sunday brunch"), "{}", mail.text);
        // Turned off: nothing, at once.
        choose(&owner, "off", "off", false).await;
        guest_sends(&app, (tenant, &brunch, &brunch_link), "Ola", "198.51.100.45", 1, 50).await;
        move_to(&clock, next_hour(&clock));
        run_notifications(&app).await;
        mailbox.expect_none(&owner_email).await;
    }
);

db_test!(
    async fn a_burst_waiting_for_approval_is_one_mail_at_once_and_bundles_wait(tdb) {
        // Two minutes past a quarter hour.
        let (app, clock) = app_with_clock(&tdb, 2).await;
        let start = clock.now();
        let mailbox = Mailbox::start(&app);
        let owner = app.browser("203.0.113.10");
        let owner_email = owner.register("Olive Owner", "Olive's Weddings").await;
        drain(&mailbox, &owner_email).await;
        let tenant = tenant_of(&owner).await;
        choose(&owner, "off", "at_once", false).await;
        let admin = member_with_role(&app, tenant, Role::Admin).await;
        choose(&admin, "off", "bundled", false).await;
        let admin_email = email_of(&admin).await;
        // A member with the defaults (nothing).
        let member = member_with_role(&app, tenant, Role::Member).await;
        let member_email = email_of(&member).await;

        let (wedding, link) = event(&owner, "June wedding", json!({"moderation": "approve"})).await;
        // A minute after everyone joined (the clock stands still otherwise).
        clock.advance(Duration::minutes(1));
        guest_sends(&app, (tenant, &wedding, &link), "Lena", "198.51.100.40", 12, 1).await;

        move_to(&clock, domain::notifications::next_minute(clock.now()));
        assert_eq!(run_notifications(&app).await, 1, "the burst is one run");
        let mail = mailbox.wait_for(&owner_email).await;
        assert_eq!(mail.subject, "Photos are waiting for your approval in June wedding");
        assert!(mail.text.contains("12 photos in June wedding"), "{}", mail.text);
        assert!(mail.text.contains(&format!("/app/events/{wedding}/moderation")), "{}", mail.text);
        assert!(mail.text.contains("/account/notifications"));
        mailbox.expect_none(&owner_email).await;
        // The bundle waits for the quarter hour.
        mailbox.expect_none(&admin_email).await;

        let quarter = start - Duration::minutes(2) + Duration::minutes(15);
        move_to(&clock, quarter);
        assert_eq!(run_notifications(&app).await, 1);
        let bundle = mailbox.wait_for(&admin_email).await;
        assert!(bundle.text.contains("12 photos in June wedding"), "{}", bundle.text);
        mailbox.expect_none(&owner_email).await;

        // Two more a minute later: "at once" again (the queue now holds 14); the bundle waits.
        guest_sends(&app, (tenant, &wedding, &link), "Max", "198.51.100.41", 2, 100).await;
        move_to(&clock, domain::notifications::next_minute(clock.now()));
        run_notifications(&app).await;
        let mail = mailbox.wait_for(&owner_email).await;
        assert!(mail.text.contains("14 photos in June wedding"), "{}", mail.text);
        mailbox.expect_none(&admin_email).await;
        move_to(&clock, quarter + Duration::minutes(15));
        run_notifications(&app).await;
        let bundle = mailbox.wait_for(&admin_email).await;
        assert!(bundle.text.contains("14 photos in June wedding"), "{}", bundle.text);
        mailbox.expect_none(&member_email).await;
    }
);

db_test!(
    async fn draw_results_reach_the_members_who_want_them_with_the_verification_link(tdb) {
        let (app, clock) = app_with_clock(&tdb, 2).await;
        let mailbox = Mailbox::start(&app);
        let owner = app.browser("203.0.113.10");
        let owner_email = owner.register("Olive Owner", "Olive's Weddings").await;
        drain(&mailbox, &owner_email).await;
        let tenant = tenant_of(&owner).await;
        choose(&owner, "off", "off", true).await;
        let admin = member_with_role(&app, tenant, Role::Admin).await;
        choose(&admin, "off", "off", false).await;
        let admin_email = email_of(&admin).await;
        let member = member_with_role(&app, tenant, Role::Member).await;
        choose(&member, "off", "off", true).await;
        let member_email = email_of(&member).await;

        let (ev, link) = event(&owner, "June wedding", json!({})).await;
        guest_sends(&app, (tenant, &ev, &link), "Lena", "198.51.100.40", 1, 1).await;
        let page = format!("/app/events/{ev}/draws");
        let r = owner
            .submit(
                &page,
                &page,
                &[("name", "Cake draw"), ("rule_kind", "per_guest"), ("min_photos", "1"),
                  ("tier_name", "The cake"), ("tier_winners", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let draw = r.location().trim_start_matches(&format!("{page}/")).split('?').next().expect("id").to_owned();
        let base = format!("{page}/{draw}");
        let r = owner.submit(&base, &format!("{base}/close"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let api = format!("/api/v1/events/{ev}/draws/{draw}");
        let r = owner.json("POST", &format!("{api}/next"), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(run_notifications(&app).await, 0, "nothing until the draw ends");
        let r = owner.json("POST", &format!("{api}/finish"), None).await;
        assert!(r.status.is_success(), "{} {}", r.status, r.body);
        clock.advance(Duration::seconds(1));
        assert_eq!(run_notifications(&app).await, 1);

        for to in [&owner_email, &member_email] {
            let mail = mailbox.wait_for(to).await;
            assert_eq!(mail.subject, "The winners of the draw “Cake draw”");
            assert!(mail.text.contains("- The cake: Lena"), "{}", mail.text);
            assert!(mail.text.contains(&format!("/d/{tenant}/{draw}")), "{}", mail.text);
            assert!(mail.text.contains("/account/notifications"));
        }
        mailbox.expect_none(&admin_email).await;
        // The run again: nothing twice.
        assert_eq!(run_notifications(&app).await, 0);
        let again = service::notifications::draw_results(
            &app.state.services,
            tenant,
            draw.parse().expect("draw id"),
        )
        .await
        .expect("run");
        assert_eq!(again, 2, "it queues the same two mails, which are one each");
        mailbox.expect_none(&owner_email).await;
    }
);
