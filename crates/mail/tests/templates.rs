//! Every email, subject + text + HTML, as insta snapshots (tests/snapshots/); escaping of what
//! people type; the accent colour kept out of CSS unless it is `#rrggbb`.

use chrono::{TimeZone, Utc};
use mail::{Branding, Rendered, templates};

fn brand() -> Branding {
    Branding {
        org_name: "Lumen Weddings".into(),
        accent: Some("#0f766e".into()),
        logo_url: Some("https://cdn.example.com/lumen/logo.png".into()),
    }
}

fn plain() -> Branding {
    Branding {
        org_name: "Ada's Parties".into(),
        accent: None,
        logo_url: None,
    }
}

const MANAGE: &str = "https://photos.example.com/account/notifications";

fn show(r: &Rendered) -> String {
    format!(
        "subject: {}\n----- text -----\n{}\n----- html -----\n{}",
        r.subject, r.text, r.html
    )
}

fn all(b: &Branding) -> Vec<(&'static str, Rendered)> {
    let expires = Utc.with_ymd_and_hms(2026, 12, 10, 18, 30, 0).unwrap();
    vec![
        (
            "invitation",
            templates::invitation(
                b,
                "Ada Lovelace",
                "admin",
                "https://photos.example.com/invitations/abc123?x=1&y=2",
                expires,
            ),
        ),
        (
            "welcome",
            templates::welcome(b, "Grace", "https://photos.example.com/app"),
        ),
        (
            "verify_email",
            templates::verify_email(b, "Grace", "https://photos.example.com/verify/tok"),
        ),
        (
            "password_reset",
            templates::password_reset(b, "Grace", "https://photos.example.com/reset/tok", 30),
        ),
        (
            "new_photos_digest",
            templates::new_photos_digest(
                b,
                "Grace",
                &[templates::DigestEvent {
                    name: "Maya & Tom's wedding",
                    photos: 42,
                    contributors: 7,
                    url: "https://photos.example.com/app/events/e1",
                }],
                "https://photos.example.com/app/events",
                MANAGE,
            ),
        ),
        (
            "new_photos_digest_many",
            templates::new_photos_digest(
                b,
                "Grace",
                &[
                    templates::DigestEvent {
                        name: "Maya & Tom's wedding",
                        photos: 42,
                        contributors: 7,
                        url: "https://photos.example.com/app/events/e1",
                    },
                    templates::DigestEvent {
                        name: "Rehearsal <dinner>",
                        photos: 1,
                        contributors: 1,
                        url: "https://photos.example.com/app/events/e2",
                    },
                ],
                "https://photos.example.com/app/events",
                MANAGE,
            ),
        ),
        (
            "approval_waiting",
            templates::approval_waiting(
                b,
                "Grace",
                "Maya & Tom's wedding",
                1,
                "https://photos.example.com/app/events/e1/moderation",
                MANAGE,
            ),
        ),
        (
            "draw_results",
            templates::draw_results(
                b,
                "Maya & Tom's wedding",
                "Midnight draw",
                &[
                    ("Weekend in Paris".into(), "Chloé".into()),
                    ("Bottle of champagne".into(), "Sam".into()),
                ],
                "https://photos.example.com/d/xyz/verify",
                MANAGE,
            ),
        ),
        (
            "test_message",
            templates::test_message(b, "SMTP smtp.example.com:587 (STARTTLS)"),
        ),
    ]
}

#[test]
fn every_email_looks_as_approved() {
    for (name, rendered) in all(&brand()) {
        insta::assert_snapshot!(name, show(&rendered));
    }
}

#[test]
fn without_a_logo_or_colour_the_defaults_are_used() {
    let (_, r) = all(&plain()).remove(0);
    insta::assert_snapshot!("invitation_plain_branding", show(&r));
    assert!(r.html.contains("#6d28d9"));
    assert!(!r.html.contains("<img"));
}

#[test]
fn singular_counts_read_well() {
    let one = templates::DigestEvent {
        name: "E",
        photos: 1,
        contributors: 1,
        url: "https://x.test/e",
    };
    let r = templates::new_photos_digest(&plain(), "G", &[one], "https://x.test/", MANAGE);
    assert!(
        r.text.contains("1 new photo from 1 guest arrived"),
        "{}",
        r.text
    );
    let r = templates::password_reset(&plain(), "G", "https://x.test/", 1);
    assert!(r.text.contains("valid for 1 minute and"), "{}", r.text);
    let r = templates::draw_results(&plain(), "E", "D", &[], "https://x.test/", MANAGE);
    assert!(r.text.contains("Nobody won"), "{}", r.text);
}

#[test]
fn notification_emails_link_to_the_preferences_and_others_do_not() {
    for (name, r) in all(&brand()) {
        let notification = matches!(
            name,
            "new_photos_digest" | "new_photos_digest_many" | "approval_waiting" | "draw_results"
        );
        for part in [&r.text, &r.html] {
            assert_eq!(part.contains(MANAGE), notification, "{name}: {part}");
        }
    }
}

#[test]
fn a_digest_of_several_events_links_each() {
    let (_, r) = all(&brand())
        .into_iter()
        .find(|(n, _)| *n == "new_photos_digest_many")
        .expect("the digest");
    assert_eq!(r.subject, "New photos in 2 events");
    assert!(
        r.text
            .contains("- Maya & Tom's wedding: 42 new photos from 7 guests")
    );
    assert!(
        r.text
            .contains("- Rehearsal <dinner>: 1 new photo from 1 guest")
    );
    assert!(
        r.html
            .contains("href=\"https://photos.example.com/app/events/e2\"")
    );
    assert!(r.html.contains("Rehearsal &#60;dinner&#62;"), "{}", r.html);
}

#[test]
fn no_sentence_is_missing_from_the_catalogue() {
    for b in [brand(), plain()] {
        for (name, r) in all(&b) {
            for part in [&r.subject, &r.text, &r.html] {
                // A missing key would show as `table.key`; a forgotten placeholder as `{name}`.
                for table in [
                    "invitation.",
                    "welcome.",
                    "verify_email.",
                    "password_reset.",
                    "digest.",
                    "approval.",
                    "draw.",
                    "layout.",
                    "role.",
                    "date.",
                    "test_message.",
                ] {
                    assert!(!part.contains(table), "{name}: {table} in {part}");
                }
                assert!(
                    !part.contains('{'),
                    "{name}: a placeholder is left in {part}"
                );
            }
        }
    }
}

#[test]
fn what_people_type_is_escaped_and_the_colour_cannot_inject_css() {
    let hostile = Branding {
        org_name: "<script>alert(1)</script> \"Evil\" & 'Co'".into(),
        accent: Some("red;background:url(x)".into()),
        logo_url: Some("javascript:alert(1)".into()),
    };
    let expires = Utc.with_ymd_and_hms(2026, 12, 10, 18, 30, 0).unwrap();
    let r = templates::invitation(
        &hostile,
        "<img src=x onerror=alert(1)> \"Mallory\"",
        "member",
        "https://photos.example.com/i/\"><script>",
        expires,
    );
    for bad in [
        "<script>",
        "<img src=x",
        "\"Mallory\"",
        "\"Evil\"",
        "red;background",
        "url(x)",
        "javascript:",
    ] {
        assert!(
            !r.html.contains(bad),
            "{bad:?} reached the HTML:\n{}",
            r.html
        );
    }
    assert!(
        r.html.contains(
            "&#60;script&#62;alert(1)&#60;/script&#62; &#34;Evil&#34; &#38; &#39;Co&#39;"
        ),
        "{}",
        r.html
    );
    assert!(
        r.html
            .contains("&#60;img src=x onerror=alert(1)&#62; &#34;Mallory&#34;"),
        "{}",
        r.html
    );
    assert!(
        r.html.contains("border-top:4px solid #6d28d9;"),
        "the default colour replaces it"
    );
    assert!(
        !r.html.contains("<img"),
        "a logo that is no web URL is left out"
    );
    // A link that is not a clean absolute URL makes no button (and no href).
    assert!(!r.html.contains("href="), "{}", r.html);
    // The plain text is not HTML: it shows the names as typed.
    assert!(
        r.text
            .contains("<img src=x onerror=alert(1)> \"Mallory\" invited you")
    );
    // With a clean link, the button has the default colour too.
    let r = templates::welcome(&hostile, "Mallory", "https://photos.example.com/app");
    assert!(r.html.contains("background-color:#6d28d9;"), "{}", r.html);
    assert!(!r.html.contains("url(x)"));
    // A name that looks like a placeholder is copied, not filled.
    let r = templates::welcome(&plain(), "{org}", "https://x.test/");
    assert!(r.text.contains("Welcome, {org}!"), "{}", r.text);
}
