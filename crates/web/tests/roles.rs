//! Roles through the real router: for each role and each action a member can take, the
//! answer is exactly what the permission table (`domain::Role::can`) says. SQLite and
//! PostgreSQL.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::{Action, Role};
use serde_json::json;
use support::{Backing, Browser, TestApp, jpeg, member_with_role, process, tenant_of};
use test_support::db_test;

/// A live event of the owner's organization with one processed, published photo.
async fn owners_event(app: &TestApp, owner: &Browser<'_>) -> (String, String) {
    let r = owner
        .json(
            "POST",
            "/api/v1/events",
            Some(json!({"name": "Team party", "time_zone": "UTC",
                "starts_at": "2026-06-20T14:00", "ends_at": "2027-06-21T02:00"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let event = r.json()["id"].as_str().expect("id").to_owned();
    let photo = upload(owner, &event, 200).await;
    assert_eq!(photo.0, StatusCode::CREATED);
    process(app, tenant_of(owner).await, &photo.1).await;
    (event, photo.1)
}

async fn upload(b: &Browser<'_>, event: &str, seed: u8) -> (StatusCode, String) {
    let r = b
        .request(
            Request::post(format!("/api/v1/events/{event}/photos"))
                .header(header::HOST, "localhost")
                .header(header::ORIGIN, "http://localhost")
                .body(Body::from(jpeg(320, 240, seed)))
                .expect("request"),
        )
        .await;
    let id = if r.status.is_success() {
        r.json()["id"].as_str().expect("id").to_owned()
    } else {
        String::new()
    };
    (r.status, id)
}

/// Tries `action` as `b` on the owner's event; true when it was allowed (and done), false
/// when the answer was a 403 that says the role does not allow it.
async fn attempt(b: &Browser<'_>, action: Action, event: &str, photo: &str, n: u8) -> bool {
    let refused = |status: StatusCode, body: &str| {
        assert!(
            status == StatusCode::FORBIDDEN && body.contains("role"),
            "{action:?}: expected allowed or a 403 naming the role, got {status}: {body}"
        );
        false
    };
    let page = format!("/app/events/{event}");
    match action {
        Action::ViewEvents => {
            let r = b.get(&page).await;
            r.status == StatusCode::OK || refused(r.status, &r.body)
        }
        Action::UploadPhotos => {
            let (status, _) = upload(b, event, n).await;
            status == StatusCode::CREATED
        }
        Action::React => {
            let r = b
                .submit(
                    &format!("{page}/photos"),
                    &format!("{page}/photos/{photo}/react"),
                    &[("kind", "heart")],
                )
                .await;
            r.status == StatusCode::SEE_OTHER || refused(r.status, &r.body)
        }
        Action::ModeratePhotos => {
            let hide = b
                .submit(
                    &format!("{page}/moderation"),
                    &format!("{page}/moderation/{photo}/hide"),
                    &[],
                )
                .await;
            if hide.status != StatusCode::SEE_OTHER {
                let edit = b.get(&format!("{page}/photos/{photo}/edit")).await;
                refused(edit.status, &edit.body);
                let api = b
                    .json(
                        "PATCH",
                        &format!("/api/v1/photos/{photo}"),
                        Some(json!({"caption": "no"})),
                    )
                    .await;
                assert_eq!(api.status, StatusCode::FORBIDDEN, "{}", api.body);
                return refused(hide.status, &hide.body);
            }
            let back = b
                .submit(
                    &format!("{page}/moderation"),
                    &format!("{page}/moderation/{photo}/restore"),
                    &[],
                )
                .await;
            assert_eq!(back.status, StatusCode::SEE_OTHER);
            // Correcting a photo's details is moderating too: the page and the API.
            let caption = format!("Role check {n}");
            let edit = b
                .submit(
                    &format!("{page}/moderation"),
                    &format!("{page}/photos/{photo}/edit"),
                    &[
                        ("caption", &caption),
                        ("uploader_name", "Olive Owner"),
                        ("taken_at", ""),
                    ],
                )
                .await;
            assert_eq!(edit.status, StatusCode::SEE_OTHER, "{}", edit.body);
            let api = b
                .json(
                    "PATCH",
                    &format!("/api/v1/photos/{photo}"),
                    Some(json!({"caption": format!("{caption} (API)")})),
                )
                .await;
            assert_eq!(api.status, StatusCode::OK, "{}", api.body);
            assert_eq!(api.json()["caption"], format!("{caption} (API)"));
            true
        }
        Action::DownloadOriginals => {
            let r = b.get(&format!("{page}/download.zip")).await;
            r.status == StatusCode::OK || refused(r.status, &r.body)
        }
        Action::ManageEvents => {
            // Create, edit, change status, replace the link: all or nothing for a role.
            let create = b
                .json(
                    "POST",
                    "/api/v1/events",
                    Some(json!({"name": "Another", "time_zone": "UTC",
                        "starts_at": "2026-07-01T14:00", "ends_at": "2026-07-01T20:00"})),
                )
                .await;
            let edit = b
                .json(
                    "PATCH",
                    &format!("/api/v1/events/{event}"),
                    Some(json!({"venue": format!("Hall {n}")})),
                )
                .await;
            let link = b
                .json("POST", &format!("/api/v1/events/{event}/join-link"), None)
                .await;
            let form = b
                .submit("/app/events/new", "/app/events/new", &[("name", "Form")])
                .await;
            let answers = [create.status, edit.status, link.status, form.status];
            if answers.iter().all(|s| *s == StatusCode::FORBIDDEN) {
                assert_eq!(create.json()["error"]["code"], "not_permitted");
                return false;
            }
            assert_eq!(create.status, StatusCode::CREATED, "{}", create.body);
            assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
            assert_eq!(link.status, StatusCode::OK, "{}", link.body);
            // The form without a start is refused for its fields, not for the role.
            assert_eq!(form.status, StatusCode::UNPROCESSABLE_ENTITY);
            true
        }
        Action::DeletePhotos => {
            let (status, id) = upload(b, event, n.wrapping_add(100)).await;
            let owner_photo = if status == StatusCode::CREATED {
                id
            } else {
                photo.to_owned()
            };
            let r = b
                .submit(
                    &format!("{page}/photos"),
                    &format!("{page}/photos/{owner_photo}/delete"),
                    &[],
                )
                .await;
            r.status == StatusCode::SEE_OTHER || refused(r.status, &r.body)
        }
        Action::ManageDraws => {
            // The page's form and the API: both allowed, or both refused for the role.
            let name = format!("Role draw {n}");
            let form = b
                .submit(
                    &format!("{page}/draws"),
                    &format!("{page}/draws"),
                    &[
                        ("name", name.as_str()),
                        ("rule_kind", "per_guest"),
                        ("min_photos", "1"),
                        ("tier_name", "Mug"),
                        ("tier_winners", "1"),
                    ],
                )
                .await;
            let api = b
                .json(
                    "POST",
                    &format!("/api/v1/events/{event}/draws"),
                    Some(json!({"name": name, "prizes": [{"name": "Mug"}]})),
                )
                .await;
            if form.status == StatusCode::SEE_OTHER {
                assert_eq!(api.status, StatusCode::CREATED, "{}", api.body);
                true
            } else {
                assert_eq!(api.status, StatusCode::FORBIDDEN, "{}", api.body);
                refused(form.status, &form.body)
            }
        }
        Action::RunDraws => {
            let r = b.get(&format!("{page}/draws")).await;
            r.status == StatusCode::OK || refused(r.status, &r.body)
        }
        // No pages for these yet (the teams issue): `ROUTED` leaves them out.
        Action::ManageMembers
        | Action::ManageSettings
        | Action::ViewAuditLog
        | Action::DeleteOrganization
        | Action::RequireTwoFactor => unreachable!("{action:?} has no route yet"),
    }
}

const ROUTED: [Action; 9] = [
    Action::ViewEvents,
    Action::UploadPhotos,
    Action::React,
    Action::ModeratePhotos,
    Action::DownloadOriginals,
    Action::ManageEvents,
    Action::DeletePhotos,
    Action::ManageDraws,
    Action::RunDraws,
];

db_test!(
    async fn each_role_gets_exactly_what_the_permission_table_says(tdb) {
        let app = TestApp::new(&tdb, Backing::Local).await;
        let owner = app.browser("203.0.113.90");
        owner.register("Olive Owner", "Olive's Parties").await;
        let tenant = tenant_of(&owner).await;
        let (event, photo) = owners_event(&app, &owner).await;
        let mut seed = 1u8;
        for role in Role::ALL {
            let b = if role == Role::Owner {
                None
            } else {
                Some(member_with_role(&app, tenant, role).await)
            };
            let who = b.as_ref().unwrap_or(&owner);
            for action in ROUTED {
                seed += 1;
                let allowed = attempt(who, action, &event, &photo, seed).await;
                assert_eq!(
                    allowed,
                    role.can(action),
                    "{role} {action:?}: the router and the permission table disagree"
                );
            }
        }
        // A refusal changes nothing: the event still has the owner's photo, published.
        let r = owner.get(&format!("/api/v1/photos/{photo}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
);
