//! The team through the real router, with mail delivered by the real SMTP server: invitations
//! (accepted by a new person and by someone with an account, resent, revoked), the members page
//! (roles, deactivation, removal, the last owner), email verification and password reset, and
//! every change refused to another organization, a lower role, a guest and nobody. SQLite and
//! PostgreSQL.

mod support;

use axum::http::StatusCode;
use domain::Role;
use support::{Backing, Browser, Mailbox, STRONG_PASSWORD, TestApp, member_with_role, tenant_of};
use test_support::db_test;

/// The path of the first link in a mail that goes to `prefix` (`/invitations/`).
fn link_path(mail: &test_support::ReceivedMail, prefix: &str) -> String {
    test_support::links_in(&mail.text)
        .into_iter()
        .find_map(|l| l.find(prefix).map(|at| l[at..].to_owned()))
        .unwrap_or_else(|| panic!("no {prefix} link in the mail:\n{}", mail.text))
}

/// Signs up a host and follows the verification mail, as a real host would.
async fn verified_host(b: &Browser<'_>, mailbox: &Mailbox, name: &str, org: &str) -> String {
    let email = b.register(name, org).await;
    let mail = mailbox.wait_for(&email).await;
    let r = b.get(&link_path(&mail, "/verify/")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let welcome = mailbox.wait_for(&email).await;
    assert!(welcome.subject.contains("Welcome"), "{}", welcome.subject);
    email
}

/// A page without its per-response CSP nonce, to compare two answers.
fn without_nonce(page: &str) -> String {
    page.split("nonce=\"")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_owned()
            } else {
                part.split_once('"')
                    .map_or_else(String::new, |(_, rest)| rest.to_owned())
            }
        })
        .collect()
}

async fn invite(b: &Browser<'_>, email: &str, role: &str) -> support::Reply {
    b.submit(
        "/members",
        "/members/invite",
        &[("email", email), ("role", role)],
    )
    .await
}

fn fresh_email() -> String {
    format!("{}@example.org", uuid::Uuid::new_v4().simple())
}

db_test!(
    async fn an_invited_person_signs_up_from_the_mail_and_sees_the_organizations_events(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let mailbox = Mailbox::start(&app);
        let owner = app.browser("203.0.113.10");
        verified_host(&owner, &mailbox, "Olive Owner", "Olive's Weddings").await;
        let r = owner
            .json(
                "POST",
                "/api/v1/events",
                Some(serde_json::json!({"name": "June wedding", "time_zone": "UTC",
                    "starts_at": "2026-06-20T14:00", "ends_at": "2026-06-21T02:00"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        let planner = fresh_email();
        let r = invite(&owner, &planner, "admin").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = owner.get("/members").await;
        assert!(page.body.contains(&planner), "the invitation is listed");
        assert!(page.body.contains("Pending"), "{}", page.body);

        let mail = mailbox.wait_for(&planner).await;
        assert!(mail.subject.contains("Olive's Weddings"), "{}", mail.subject);
        assert!(mail.html.contains("Olive Owner"), "the inviter is named");
        let link = link_path(&mail, "/invitations/");

        // Another browser, nobody logged in.
        let newcomer = app.browser("198.51.100.7");
        let r = newcomer.get(&link).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("Join Olive"), "{}", r.body);
        assert!(r.body.contains(&planner), "the address comes from the invitation");
        let r = newcomer
            .submit(
                &link,
                &format!("{link}/signup"),
                &[("name", "Pat Planner"), ("password", STRONG_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let events = newcomer.get("/app/events").await;
        assert_eq!(events.status, StatusCode::OK);
        assert!(events.body.contains("June wedding"), "{}", events.body);
        let me = newcomer.get("/api/v1/me").await.json();
        assert_eq!(me["role"], "admin");
        // The invitation verified the address: no banner.
        assert!(!newcomer.get("/app").await.body.contains("verify your email"));

        // The link worked once.
        let again = app.browser("198.51.100.8").get(&link).await;
        assert_eq!(again.status, StatusCode::GONE, "{}", again.body);
        let members = owner.get("/members").await.body;
        assert!(members.contains("Pat Planner") && members.contains("Accepted"), "{members}");
    }
);

db_test!(
    async fn someone_with_an_account_logs_in_and_joins_a_second_organization(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let mailbox = Mailbox::start(&app);
        let a = app.browser("203.0.113.11");
        verified_host(&a, &mailbox, "Ann", "Ann's Parties").await;
        let b = app.browser("203.0.113.12");
        let b_email = verified_host(&b, &mailbox, "Ben", "Ben's Dinners").await;
        let b_tenant = tenant_of(&b).await;

        assert_eq!(invite(&a, &b_email, "member").await.status, StatusCode::SEE_OTHER);
        let link = link_path(&mailbox.wait_for(&b_email).await, "/invitations/");

        // Logged out, the page asks them to log in first.
        let fresh = app.browser("203.0.113.13");
        let r = fresh.get(&link).await;
        assert!(r.body.contains("Log in to accept"), "{}", r.body);
        // Someone else logged in cannot take it.
        let r = a.get(&link).await;
        assert!(r.body.contains("logged in with another account"), "{}", r.body);
        let r = a.submit(&link, &format!("{link}/join"), &[]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

        let r = b.submit(&link, &format!("{link}/join"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_ne!(tenant_of(&b).await, b_tenant, "now working in Ann's organization");
        assert_eq!(b.get("/api/v1/me").await.json()["role"], "member");
    }
);

db_test!(
    async fn resend_replaces_the_link_and_revoke_ends_it(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let mailbox = Mailbox::start(&app);
        let owner = app.browser("203.0.113.20");
        verified_host(&owner, &mailbox, "Olive", "Olive's").await;
        let guest_email = fresh_email();
        invite(&owner, &guest_email, "member").await;
        let first = link_path(&mailbox.wait_for(&guest_email).await, "/invitations/");
        let page = owner.get("/members").await.body;
        let id = page
            .split("/members/invitations/")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .expect("an invitation id on the page")
            .to_owned();
        let r = owner
            .submit("/members", &format!("/members/invitations/{id}/resend"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let second = link_path(&mailbox.wait_for(&guest_email).await, "/invitations/");
        assert_ne!(first, second);
        let x = app.browser("198.51.100.20");
        assert_eq!(x.get(&first).await.status, StatusCode::GONE);
        assert_eq!(x.get(&second).await.status, StatusCode::OK);
        let r = owner
            .submit("/members", &format!("/members/invitations/{id}/revoke"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(x.get(&second).await.status, StatusCode::GONE);
        assert!(owner.get("/members").await.body.contains("Revoked"));
    }
);

db_test!(
    async fn roles_deactivation_removal_and_the_last_owner(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let owner = app.browser("203.0.113.30");
        owner.register("Olive", "Olive's").await;
        let tenant = tenant_of(&owner).await;
        let admin = member_with_role(&app, tenant, Role::Admin).await;
        let member = member_with_role(&app, tenant, Role::Member).await;
        let me_of = |v: serde_json::Value| v["user"]["id"].as_str().expect("id").to_owned();
        let owner_id = me_of(owner.get("/api/v1/me").await.json());
        let admin_id = me_of(admin.get("/api/v1/me").await.json());
        let member_id = me_of(member.get("/api/v1/me").await.json());

        // The only owner cannot step down or leave.
        let r = owner
            .submit("/members", &format!("/members/{owner_id}/role"), &[("role", "admin")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(r.body.contains("at least one active owner"), "{}", r.body);
        let r = owner
            .submit("/members", &format!("/members/{owner_id}/remove"), &[])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);

        // A member may see the team, not change it.
        let page = member.get("/members").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("/members/invite"), "no invite form for members");
        let r = member
            .submit("/members", &format!("/members/{admin_id}/role"), &[("role", "member")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // An admin may not touch the owner, nor make owners.
        let r = admin
            .submit("/members", &format!("/members/{owner_id}/deactivate"), &[])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = admin
            .submit("/members", &format!("/members/{member_id}/role"), &[("role", "owner")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // An admin promotes the member to admin; the owner makes them an owner.
        let r = admin
            .submit("/members", &format!("/members/{member_id}/role"), &[("role", "admin")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(member.get("/api/v1/me").await.json()["role"], "admin");

        // Deactivated: the session ends at once, login says why; reactivated: back in.
        let r = owner
            .submit("/members", &format!("/members/{admin_id}/deactivate"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = admin.get("/app").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "the session is over");
        assert!(r.location().starts_with("/login"));
        assert!(owner.get("/members").await.body.contains("Deactivated"));
        let r = owner
            .submit("/members", &format!("/members/{admin_id}/reactivate"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // Removed: out at once.
        let r = owner
            .submit("/members", &format!("/members/{member_id}/remove"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(member.get("/app").await.status, StatusCode::SEE_OTHER);
        assert!(!owner.get("/members").await.body.contains(&member_id));
    }
);

db_test!(
    async fn a_deactivated_member_is_told_at_login(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let owner = app.browser("203.0.113.40");
        owner.register("Olive", "Olive's").await;
        let tenant = tenant_of(&owner).await;
        let helper = member_with_role(&app, tenant, Role::Member).await;
        let me = helper.get("/api/v1/me").await.json();
        let (id, email) = (
            me["user"]["id"].as_str().expect("id").to_owned(),
            me["user"]["email"].as_str().expect("email").to_owned(),
        );
        owner
            .submit("/members", &format!("/members/{id}/deactivate"), &[])
            .await;
        let again = app.browser("203.0.113.41");
        let r = again.login(&email, STRONG_PASSWORD).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("turned off"), "{}", r.body);
        // A wrong password still says only that.
        let r = again.login(&email, "not-the-password-1").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
);

db_test!(
    async fn another_organization_a_guest_and_nobody_cannot_touch_the_team(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let a = app.browser("203.0.113.50");
        a.register("Ann", "Ann's").await;
        let a_tenant = tenant_of(&a).await;
        let a_member = member_with_role(&app, a_tenant, Role::Member).await;
        let a_member_id = a_member.get("/api/v1/me").await.json()["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let b = app.browser("203.0.113.51");
        b.register("Ben", "Ben's").await;

        // Ben's owner: Ann's member is not in his team.
        for action in ["role", "deactivate", "reactivate", "remove"] {
            let r = b
                .submit(
                    "/members",
                    &format!("/members/{a_member_id}/{action}"),
                    &[("role", "admin")],
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}: {}", r.body);
        }
        assert!(!b.get("/members").await.body.contains(&a_member_id));
        assert_eq!(a_member.get("/api/v1/me").await.json()["role"], "member");

        // Nobody: the login form.
        let nobody = app.browser("198.51.100.50");
        let r = nobody.get("/members").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login"));
        let r = nobody
            .submit("/login", &format!("/members/{a_member_id}/remove"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().starts_with("/login"));
        // A bad id is a 404, never a 500.
        let r = a.submit("/members", "/members/not-an-id/remove", &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = a
            .submit("/members", "/members/invitations/%00/revoke", &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = nobody.get("/invitations/%00%00").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = nobody.get("/invitations/short").await;
        assert_eq!(r.status, StatusCode::GONE, "a link that is not ours reads as used");
    }
);

db_test!(
    async fn inviting_waits_for_a_verified_address(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let mailbox = Mailbox::start(&app);
        let owner = app.browser("203.0.113.60");
        let email = owner.register("Olive", "Olive's").await;
        let page = owner.get("/app").await.body;
        assert!(page.contains(&format!("we sent a link to {email}")), "{page}");
        let r = invite(&owner, &fresh_email(), "member").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("Verify your email address first"), "{}", r.body);
        // Send again: the first link stops working, the second verifies.
        let first = link_path(&mailbox.wait_for(&email).await, "/verify/");
        let r = owner.submit("/app", "/account/verify/resend", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let second = link_path(&mailbox.wait_for(&email).await, "/verify/");
        assert_eq!(owner.get(&first).await.status, StatusCode::GONE);
        assert_eq!(owner.get(&second).await.status, StatusCode::OK);
        assert!(!owner.get("/app").await.body.contains("we sent a link to"));
        let welcome = mailbox.wait_for(&email).await;
        assert!(welcome.text.contains("Olive"), "the welcome mail: {}", welcome.text);
        let r = invite(&owner, &fresh_email(), "member").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
);

db_test!(
    async fn a_forgotten_password_is_reset_from_the_mail_once(tdb) {
        let app = TestApp::new(&tdb, Backing::Redis).await;
        let mailbox = Mailbox::start(&app);
        let host = app.browser("203.0.113.70");
        let email = verified_host(&host, &mailbox, "Olive", "Olive's").await;
        let other = app.browser("203.0.113.71");
        assert_eq!(
            other.login(&email, STRONG_PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );

        let stranger = app.browser("198.51.100.70");
        let unknown = stranger
            .submit("/password/forgot", "/password/forgot", &[("email", "nobody@example.net")])
            .await;
        let known = stranger
            .submit("/password/forgot", "/password/forgot", &[("email", &email)])
            .await;
        assert_eq!(unknown.status, StatusCode::OK);
        assert_eq!(known.status, StatusCode::OK);
        assert_eq!(
            without_nonce(&unknown.body.replace("nobody@example.net", "X")),
            without_nonce(&known.body.replace(&email, "X")),
            "the same answer for an unknown address"
        );
        let link = link_path(&mailbox.wait_for(&email).await, "/password/reset/");
        let new_password = "lantern-meadow-93";
        let r = stranger
            .submit(
                &link,
                &link,
                &[("new_password", new_password), ("confirm_password", new_password)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // Every session ended; the old password is gone; the new one works.
        assert_eq!(host.get("/app").await.status, StatusCode::SEE_OTHER);
        assert_eq!(other.get("/app").await.status, StatusCode::SEE_OTHER);
        let fresh = app.browser("203.0.113.72");
        assert_eq!(
            fresh.login(&email, STRONG_PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            fresh.login(&email, new_password).await.status,
            StatusCode::SEE_OTHER
        );
        // Once only.
        let r = stranger.get(&link).await;
        assert_eq!(r.status, StatusCode::GONE);
        assert!(r.body.contains("no longer works"), "{}", r.body);
    }
);

db_test!(
    async fn reset_mails_are_rate_limited_per_address(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let mailbox = Mailbox::start(&app);
        let host = app.browser("203.0.113.80");
        let email = verified_host(&host, &mailbox, "Olive", "Olive's").await;
        let asker = app.browser("198.51.100.80");
        for _ in 0..5 {
            let r = asker
                .submit("/password/forgot", "/password/forgot", &[("email", &email)])
                .await;
            assert_eq!(r.status, StatusCode::OK);
        }
        // Three mails an hour for one address; the page answered the same each time.
        for _ in 0..3 {
            mailbox.wait_for(&email).await;
        }
        mailbox.expect_none(&email).await;
    }
);

db_test!(
    async fn the_activity_page_filters_by_who_and_what_and_stays_in_the_organization(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let owner = app.browser("203.0.113.90");
        owner.register("Olive Owner", "Olive's").await;
        let tenant = tenant_of(&owner).await;
        let admin = member_with_role(&app, tenant, Role::Admin).await;
        let member = member_with_role(&app, tenant, Role::Member).await;
        let member_id = member.get("/api/v1/me").await.json()["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let r = admin
            .submit("/members", &format!("/members/{member_id}/role"), &[("role", "admin")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let admin_id = admin.get("/api/v1/me").await.json()["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned();

        let all = owner.get("/activity").await;
        assert_eq!(all.status, StatusCode::OK, "{}", all.body);
        assert!(all.body.contains("Signed up and created the organization"), "{}", all.body);
        assert!(all.body.contains("Changed a member&#39;s role"), "{}", all.body);
        let theirs = owner.get(&format!("/activity?who={admin_id}&what=member.")).await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert!(theirs.body.contains("Changed a member&#39;s role"));
        assert!(!theirs.body.contains("Signed up"), "only the admin's member changes");
        let none = owner.get(&format!("/activity?who={admin_id}&what=draw.")).await;
        assert!(none.body.contains("Nothing matches these filters"), "{}", none.body);

        // A member may not read it; another organization's owner sees only their own.
        let a_member = member_with_role(&app, tenant, Role::Member).await;
        assert_eq!(a_member.get("/activity").await.status, StatusCode::FORBIDDEN);
        let other = app.browser("203.0.113.91");
        other.register("Ben", "Ben's").await;
        let r = other.get(&format!("/activity?who={admin_id}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Nothing matches"), "{}", r.body);
        assert!(!other.get("/activity").await.body.contains("Changed a member"));
        // Bad filters are a 400 that says so, never a 500.
        for q in ["who=nope", "what=secret.", "before=1.2", "before=%00", "before=99999999999999999999.x"] {
            let r = owner.get(&format!("/activity?{q}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
        }
        assert_eq!(app.browser("198.51.100.9").get("/activity").await.status, StatusCode::SEE_OTHER);
    }
);

db_test!(
    async fn a_changed_email_is_verified_again_from_a_link_sent_to_it(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let mailbox = Mailbox::start(&app);
        let host = app.browser("203.0.113.95");
        let old = verified_host(&host, &mailbox, "Olive", "Olive's").await;
        let new = fresh_email();
        let taken = app.browser("203.0.113.96").register("Ben", "Ben's").await;

        let r = host
            .submit("/account", "/account/email", &[("email", &new), ("email_password", "wrong-pass-1")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("not your current password"), "{}", r.body);
        let r = host
            .submit("/account", "/account/email", &[("email", &taken), ("email_password", STRONG_PASSWORD)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = host
            .submit("/account", "/account/email", &[("email", &new), ("email_password", STRONG_PASSWORD)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = host.get("/app").await.body;
        assert!(page.contains(&format!("we sent a link to {new}")), "{page}");
        let link = link_path(&mailbox.wait_for(&new).await, "/verify/");
        assert_eq!(host.get(&link).await.status, StatusCode::OK);
        assert!(!host.get("/app").await.body.contains("we sent a link to"));
        let fresh = app.browser("203.0.113.97");
        assert_eq!(fresh.login(&old, STRONG_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(fresh.login(&new, STRONG_PASSWORD).await.status, StatusCode::SEE_OTHER);
    }
);
