//! Pages in a real headless Chromium, against the real binary. Screenshots land in
//! `target/test-artifacts/`.

mod support;

use fantoccini::Locator;
use support::{App, Browser};

async fn js(browser: &Browser, script: &str) -> serde_json::Value {
    browser
        .client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script {script:?} failed: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_on_a_phone_and_a_desktop() {
    let app = App::start();
    for (label, width, height) in [("phone", 390, 844), ("desktop", 1280, 800)] {
        let browser = Browser::start(width, height).await;
        browser.client.goto(&app.url("/")).await.expect("open home");

        let h1 = browser
            .client
            .find(Locator::Css("h1"))
            .await
            .expect("a heading")
            .text()
            .await
            .expect("heading text");
        assert_eq!(h1, "Every guest's photos of your event, in one gallery.");
        let title = browser.client.title().await.expect("title");
        assert!(title.starts_with("Momentique"), "{title}");

        // Our module script ran: the CSP nonce works and nothing blocked it.
        let js_on = js(
            &browser,
            "return document.documentElement.dataset.js ?? null",
        )
        .await;
        assert_eq!(js_on, "on", "app.js did not run (CSP nonce?)");

        // The stylesheet applied (not a bare page) and nothing overflows sideways on a phone.
        let styled = js(
            &browser,
            "return getComputedStyle(document.body).display === 'flex'",
        )
        .await;
        assert_eq!(styled, true, "app.css is not applied");
        let overflow = js(
            &browser,
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
        )
        .await;
        assert_eq!(overflow, 0, "{label}: the page scrolls sideways");

        // Keyboard users get a skip link first.
        let first_link = js(
            &browser,
            "return document.querySelector('a').getAttribute('href')",
        )
        .await;
        assert_eq!(first_link, "#main");

        let viewport = js(&browser, "return [window.innerWidth, window.innerHeight]").await;
        assert_eq!(
            viewport,
            serde_json::json!([width, height]),
            "{label} viewport"
        );

        let shot = browser.screenshot(&format!("home-{label}")).await;
        assert!(std::fs::metadata(&shot).expect("screenshot saved").len() > 5_000);
        browser.close().await;
    }
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}
