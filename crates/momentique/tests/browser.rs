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

async fn fill(browser: &Browser, field: &str, value: &str) {
    let input = browser
        .client
        .find(Locator::Css(&format!("input[name='{field}']")))
        .await
        .unwrap_or_else(|e| panic!("no input {field}: {e}"));
    input.clear().await.expect("clear");
    input.send_keys(value).await.expect("type");
}

async fn click(browser: &Browser, css: &str) {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .expect("click");
}

async fn heading(browser: &Browser) -> String {
    browser
        .client
        .find(Locator::Css("h1"))
        .await
        .expect("a heading")
        .text()
        .await
        .expect("heading text")
}

/// Waits (up to 10 s) for a navigation to land on `expected`; a click does not wait for it.
async fn wait_path(browser: &Browser, expected: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let url = browser.client.current_url().await.expect("url");
        let ready = js(browser, "return document.readyState").await;
        if url.path() == expected && ready == "complete" {
            return;
        }
        if std::time::Instant::now() > deadline {
            let shot = browser.screenshot("wait-path-failed").await;
            panic!(
                "expected to be on {expected}, still on {url} (screenshot {})",
                shot.display()
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A host signs up, lands on the dashboard, logs out and logs in again, on a phone and on a
/// desktop, in light and dark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_dashboard_logout_login() {
    let app = App::start();
    for (label, width, height) in [("phone", 390, 844), ("desktop", 1280, 800)] {
        let browser = Browser::start(width, height).await;
        let email = format!("host-{label}@example.com");
        browser.client.goto(&app.url("/")).await.expect("home");
        click(&browser, ".home-cta a.button").await;
        wait_path(&browser, "/register").await;
        assert_eq!(heading(&browser).await, "Create your account");

        // A first try with a weak password: the form comes back with a message, keeping the rest.
        fill(&browser, "name", "Ada Host").await;
        fill(&browser, "email", &email).await;
        fill(&browser, "password", "password1").await;
        fill(&browser, "org_name", "Ada's Weddings").await;
        browser.screenshot(&format!("register-{label}")).await;
        click(&browser, "form button[type=submit]").await;
        let error = browser
            .client
            .wait()
            .for_element(Locator::Css("#e-password"))
            .await
            .expect("a message on the password field")
            .text()
            .await
            .expect("text");
        assert!(error.contains("too common"), "{error}");
        let kept = js(
            &browser,
            "return document.querySelector('#f-org_name').value",
        )
        .await;
        assert_eq!(kept, "Ada's Weddings");
        let pw = js(
            &browser,
            "return document.querySelector('#f-password').value",
        )
        .await;
        assert_eq!(pw, "", "the password is never sent back");
        browser.screenshot(&format!("register-error-{label}")).await;

        fill(&browser, "password", "violet-harbour-42").await;
        click(&browser, "form button[type=submit]").await;
        wait_path(&browser, "/app").await;
        assert_eq!(heading(&browser).await, "Welcome, Ada Host");
        let overflow = js(
            &browser,
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
        )
        .await;
        assert_eq!(overflow, 0, "{label}: the dashboard scrolls sideways");
        browser.screenshot(&format!("dashboard-{label}")).await;

        browser
            .client
            .goto(&app.url("/account"))
            .await
            .expect("account");
        assert_eq!(heading(&browser).await, "Your account");
        browser.screenshot(&format!("account-{label}")).await;

        click(&browser, ".site-nav button[type=submit]").await;
        wait_path(&browser, "/login").await;
        assert!(
            browser
                .client
                .source()
                .await
                .expect("source")
                .contains("You are logged out")
        );

        // Protected page → login → back to that page.
        browser
            .client
            .goto(&app.url("/account"))
            .await
            .expect("account");
        wait_path(&browser, "/login").await;
        fill(&browser, "email", &email).await;
        fill(&browser, "password", "violet-harbour-42").await;
        browser.screenshot(&format!("login-{label}")).await;
        click(&browser, "form button[type=submit]").await;
        wait_path(&browser, "/account").await;

        // Keyboard only: the first Tab lands on the skip link, which is then visible.
        browser.client.goto(&app.url("/app")).await.expect("app");
        browser
            .client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .send_keys("\u{E004}")
            .await
            .expect("tab");
        let focused = js(&browser, "return document.activeElement.className").await;
        assert_eq!(focused, "skip-link");
        browser.close().await;
    }

    // Dark mode (prefers-color-scheme: dark): the dark palette, and still legible.
    let browser = Browser::start_dark(390, 844).await;
    browser
        .client
        .goto(&app.url("/login?next=%2Fapp"))
        .await
        .expect("login");
    let dark = js(
        &browser,
        "return matchMedia('(prefers-color-scheme: dark)').matches",
    )
    .await;
    assert_eq!(dark, true, "the browser prefers dark");
    let bg = js(
        &browser,
        "return getComputedStyle(document.body).backgroundColor",
    )
    .await;
    assert_eq!(bg, "rgb(20, 17, 19)", "the dark background");
    fill(&browser, "email", "nobody@example.com").await;
    fill(&browser, "password", "wrong-password-1").await;
    click(&browser, "form button[type=submit]").await;
    let alert = browser
        .client
        .wait()
        .for_element(Locator::Css(".form-error"))
        .await
        .expect("an error message")
        .text()
        .await
        .expect("text");
    assert!(alert.contains("do not match"), "{alert}");
    browser.screenshot("login-error-phone-dark").await;
    browser.close().await;
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// Waits (up to 10 s) for an element; a click does not wait for the next page.
async fn wait_for(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    match tokio::time::timeout(
        std::time::Duration::from_secs(10),
        browser.client.wait().for_element(Locator::Css(css)),
    )
    .await
    {
        Ok(Ok(e)) => e,
        _ => {
            let shot = browser.screenshot("wait-for-failed").await;
            panic!("no {css} appeared (screenshot {})", shot.display());
        }
    }
}

async fn sideways_overflow(browser: &Browser) -> serde_json::Value {
    js(
        browser,
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
    )
    .await
}

/// Signs a new host up through the form and waits for the dashboard.
async fn sign_up(browser: &Browser, app: &App, email: &str) {
    browser
        .client
        .goto(&app.url("/register"))
        .await
        .expect("register");
    fill(browser, "name", "Ada Host").await;
    fill(browser, "email", email).await;
    fill(browser, "password", "violet-harbour-42").await;
    fill(browser, "org_name", "Ada's Weddings").await;
    click(browser, "form button[type=submit]").await;
    wait_path(browser, "/app").await;
}

/// Pages in a PDF (Chromium writes each page as an uncompressed `/Type /Page` object).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page").count() - text.matches("/Type /Pages").count()
}

/// From sign-up to a printed poster: a new host creates an event from the empty dashboard,
/// lands on its dashboard with the QR code, opens the poster, and prints it on A4 and on A5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_an_event_and_print_its_poster() {
    let app = App::start();
    for (label, width, height) in [("phone", 390, 844), ("desktop", 1280, 800)] {
        let browser = Browser::start(width, height).await;
        sign_up(&browser, &app, &format!("poster-{label}@example.com")).await;

        // The empty state leads to the form; app.js passed the browser's time zone along.
        click(&browser, ".empty-state a.button").await;
        wait_path(&browser, "/app/events/new").await;
        let url = browser.client.current_url().await.expect("url");
        assert!(
            url.query().is_some_and(|q| q.starts_with("tz=")),
            "time zone passed: {url}"
        );
        assert_eq!(heading(&browser).await, "New event");
        fill(&browser, "name", "Anna & Ben").await;
        fill(&browser, "venue", "Gut Kerkow").await;
        js(
            &browser,
            "document.querySelector('#f-starts_at').value = '2026-06-20T14:00';
             document.querySelector('#f-ends_at').value = '2026-06-21T01:30';
             document.querySelector('#f-time_zone').value = 'Europe/Berlin';
             return true",
        )
        .await;
        assert_eq!(
            sideways_overflow(&browser).await,
            0,
            "{label}: the form scrolls sideways"
        );
        browser.screenshot(&format!("event-form-{label}")).await;
        click(&browser, ".form-actions button[type=submit]").await;

        wait_for(&browser, ".share .qr svg").await;
        assert_eq!(heading(&browser).await, "Anna & Ben");
        let notice = browser
            .client
            .find(Locator::Css(".notice"))
            .await
            .expect("a notice")
            .text()
            .await
            .expect("text");
        assert!(notice.contains("ready as a draft"), "{notice}");
        let qr_width = js(
            &browser,
            "return document.querySelector('.share .qr svg').getBoundingClientRect().width",
        )
        .await;
        assert!(
            qr_width.as_f64().unwrap_or(0.0) >= 150.0,
            "QR code is {qr_width} px wide"
        );
        assert_eq!(
            sideways_overflow(&browser).await,
            0,
            "{label}: the event page scrolls sideways"
        );
        browser
            .screenshot(&format!("event-dashboard-{label}"))
            .await;

        // The share buttons show only where the browser can do what they say.
        let share = js(
            &browser,
            "const copy = document.querySelector('[data-copy-link]');
             const share = document.querySelector('[data-share-link]');
             return [copy.hidden, share.hidden === (typeof navigator.share === 'function')]",
        )
        .await;
        assert_eq!(
            share,
            serde_json::json!([false, false]),
            "{label}: share buttons"
        );

        click(&browser, "a[href$='/poster?design=sign']").await;
        for design in ["sign", "cards"] {
            if design == "cards" {
                click(&browser, ".poster-designs a[href$='design=cards']").await;
                wait_for(&browser, ".poster-cards .poster-qr svg").await;
            }
            wait_for(&browser, ".poster-qr svg").await;
            assert_eq!(
                sideways_overflow(&browser).await,
                0,
                "{label}: the {design} poster scrolls sideways"
            );
            let short = browser
                .client
                .find(Locator::Css(".poster-url strong"))
                .await
                .expect("the short address")
                .text()
                .await
                .expect("text");
            assert!(short.contains("/j/") && short.len() < 60, "{short}");
            // The typed address is one line that fits its sign or card, on a phone too (its
            // size follows its length; print CSS caps it; the PDFs are looked at by hand).
            let one_line = js(
                &browser,
                "return [...document.querySelectorAll('.poster-url strong')]
                   .every(s => s.getClientRects().length === 1
                     && s.getBoundingClientRect().width <= s.parentElement.clientWidth + 1)",
            )
            .await;
            assert_eq!(
                one_line,
                serde_json::json!(true),
                "{label} {design}: the address wraps or overflows"
            );
            browser
                .screenshot(&format!("poster-{design}-{label}"))
                .await;

            // Printing: one page on A4 and on A5, without the site's header and footer.
            for (paper, size) in [
                ("a4", fantoccini::wd::PrintSize::A4),
                (
                    "a5",
                    fantoccini::wd::PrintSize {
                        width: 14.8,
                        height: 21.0,
                    },
                ),
            ] {
                let config = fantoccini::wd::PrintConfiguration::builder()
                    .size(size)
                    .build()
                    .expect("print settings");
                let pdf = browser.client.print(config).await.expect("print");
                let path = test_support::artifacts_dir()
                    .join(format!("poster-{design}-{label}-{paper}.pdf"));
                std::fs::write(&path, &pdf).expect("save the PDF");
                assert_eq!(pdf_pages(&pdf), 1, "{label} {design} on {paper}: one page");
            }
        }
        browser.close().await;
    }
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// A JPEG photo-like test image: a gradient with a red left and blue right half.
fn write_jpeg(path: &std::path::Path, w: u32, h: u32) {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let shade = u8::try_from(y * 200 / h).unwrap_or(0);
        if x < w / 2 {
            image::Rgb([230, shade, 40])
        } else {
            image::Rgb([40, shade, 230])
        }
    });
    img.save(path).expect("write a test JPEG");
}

/// Creates an event through the form (times set by script: datetime inputs take no typing),
/// optionally holding photos for approval, and waits for its page.
async fn create_event(browser: &Browser, app: &App, name: &str, ends_at: &str, approve: bool) {
    browser
        .client
        .goto(&app.url("/app/events/new"))
        .await
        .expect("new event");
    fill(browser, "name", name).await;
    js(
        browser,
        &format!(
            "document.querySelector('#f-starts_at').value = '2026-06-20T14:00';
             document.querySelector('#f-ends_at').value = '{ends_at}';
             return true"
        ),
    )
    .await;
    if approve {
        click(browser, "input[name='moderation'][value='approve']").await;
    }
    click(browser, ".form-actions button[type=submit]").await;
    wait_for(browser, ".stats-card").await;
}

/// Makes the event on screen live; returns its guest link.
async fn go_live(browser: &Browser) -> String {
    click(browser, ".actions form button[type=submit]").await;
    wait_for(browser, ".status-live").await;
    js(
        browser,
        "return document.querySelector('.join-url a').getAttribute('href')",
    )
    .await
    .as_str()
    .expect("the join link")
    .to_owned()
}

/// Chooses `files` in the uploader and waits (up to 30 s) until every queued file is `state`.
async fn upload_and_wait(browser: &Browser, files: &[&std::path::Path], state: &str) {
    let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    browser
        .client
        .find(Locator::Css("#f-photos"))
        .await
        .expect("the file input")
        .send_keys(&paths.join("\n"))
        .await
        .expect("choose the files");
    let expected = serde_json::json!(vec![state; files.len()]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let states = js(
            browser,
            "return [...document.querySelectorAll('.upload-item')].map(li => li.dataset.state)",
        )
        .await;
        if states == expected {
            return;
        }
        if std::time::Instant::now() > deadline {
            let shot = browser.screenshot("upload-stuck").await;
            panic!("uploads stuck at {states} (screenshot {})", shot.display());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A photo-sized noisy JPEG (several MB: large enough to go up in resumable pieces).
fn write_noisy_jpeg(path: &std::path::Path, w: u32, h: u32) {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    img.save(path).expect("write a test JPEG");
}

/// A host uploads two photos from the event's photo page (the script's queue with progress,
/// then processing by the real worker), sees them in the grid, and the dashboard counts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_photos_and_see_them_processed() {
    let app = App::start();
    let photos = tempfile::tempdir().expect("tempdir");
    let a = photos.path().join("first-dance.jpg");
    let b = photos.path().join("cake.jpg");
    write_jpeg(&a, 2400, 1600);
    write_jpeg(&b, 1200, 1800);
    for (label, width, height) in [("phone", 390, 844), ("desktop", 1280, 800)] {
        let browser = Browser::start(width, height).await;
        sign_up(&browser, &app, &format!("photos-{label}@example.com")).await;
        create_event(&browser, &app, "Anna & Ben", "2026-06-21T01:30", false).await;
        click(&browser, ".stats-card a.button").await;
        wait_for(&browser, "form.uploader.is-enhanced").await;
        browser.screenshot(&format!("photos-empty-{label}")).await;
        // Both go up, get processed by the worker, and say so.
        upload_and_wait(&browser, &[&a, &b], "published").await;
        assert_eq!(
            sideways_overflow(&browser).await,
            0,
            "{label}: the upload page scrolls sideways"
        );
        browser
            .screenshot(&format!("photos-uploaded-{label}"))
            .await;

        // Reloaded: the grid shows both, with their images actually loaded.
        browser.client.refresh().await.expect("reload");
        wait_for(&browser, ".photo-grid").await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let loaded = js(
                &browser,
                "return [...document.querySelectorAll('.photo-grid img:not(.ph)')].filter(i => i.complete && i.naturalWidth > 0).length",
            )
            .await;
            if loaded == 2 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "grid images did not load: {loaded}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        browser.screenshot(&format!("photos-grid-{label}")).await;

        click(&browser, ".breadcrumb a").await;
        wait_for(&browser, ".stats-card").await;
        let photos_count = js(
            &browser,
            "return document.querySelector('.stats div:first-child dd').textContent",
        )
        .await;
        assert_eq!(photos_count, "2");
        assert!(
            browser
                .client
                .find(Locator::Css(".stats-card svg.chart rect"))
                .await
                .is_ok(),
            "the chart has a bar"
        );
        browser
            .screenshot(&format!("event-dashboard-photos-{label}"))
            .await;
        browser.close().await;
    }
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// A guest at a table: opens the join link on a phone, types a name, adds two photos, and sees
/// them in "My photos"; the host's dashboard counts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_joins_and_adds_photos_on_a_phone() {
    let app = App::start();
    let photos = tempfile::tempdir().expect("tempdir");
    let a = photos.path().join("IMG_0001.jpg");
    let b = photos.path().join("IMG_0002.jpg");
    write_jpeg(&a, 1600, 1200);
    // Over 1 MB: this one goes up in resumable pieces.
    write_noisy_jpeg(&b, 1600, 1200);
    assert!(std::fs::metadata(&b).expect("size").len() > 1024 * 1024);

    // The host: sign up, create the event, make it live, read the guest link.
    let host = Browser::start(1280, 800).await;
    sign_up(&host, &app, "guest-host@example.com").await;
    create_event(&host, &app, "Anna & Ben", "2027-06-21T01:30", false).await;
    let link = go_live(&host).await;
    let event_page = host.client.current_url().await.expect("url");

    // The guest, on a phone.
    let guest = Browser::start(390, 844).await;
    guest.client.goto(&link).await.expect("open the join link");
    wait_for(&guest, "#f-name").await;
    assert_eq!(heading(&guest).await, "Anna & Ben");
    assert_eq!(
        sideways_overflow(&guest).await,
        0,
        "the join page scrolls sideways"
    );
    guest.screenshot("guest-join-phone").await;
    fill(&guest, "name", "Lena").await;
    click(&guest, "form button[type=submit]").await;
    wait_for(&guest, "form.uploader.is-enhanced").await;
    guest.screenshot("guest-home-phone").await;
    upload_and_wait(&guest, &[&a, &b], "published").await;
    guest.screenshot("guest-uploaded-phone").await;
    // Without a reload: both photos in "My photos", the count, and the queue's summary.
    let live = js(
        &guest,
        "return [document.querySelectorAll('[data-mine] .photo-tile a[data-full] img[srcset]').length, document.querySelector('[data-shared]').textContent, document.querySelector('[data-upload-summary]').hidden, document.querySelector('[data-upload-summary]').textContent.trim()]",
    )
    .await;
    assert_eq!(live[0], 2, "My photos follow the uploads: {live}");
    assert!(
        live[1]
            .as_str()
            .is_some_and(|t| t.starts_with("You have shared 2 of")),
        "{live}"
    );
    assert_eq!(live[2], false, "{live}");
    assert!(
        live[3]
            .as_str()
            .is_some_and(|t| t.starts_with("2 of 2 added.")),
        "{live}"
    );
    guest.client.refresh().await.expect("reload");
    wait_for(&guest, ".photo-grid").await;
    let mine = js(
        &guest,
        "return document.querySelectorAll('.photo-grid .photo-tile').length",
    )
    .await;
    assert_eq!(mine, 2, "My photos");
    assert_eq!(
        sideways_overflow(&guest).await,
        0,
        "the guest page scrolls sideways"
    );
    guest.screenshot("guest-my-photos-phone").await;

    // Everyone's photos: a tight grid, three square photos across on a phone, no buttons.
    click(&guest, ".actions a[href$='/gallery']").await;
    wait_for(&guest, "[data-gallery] .photo-tile").await;
    let grid = js(
        &guest,
        "const g = document.querySelector('[data-gallery]'); const a = g.querySelector('a.frame').getBoundingClientRect(); return [getComputedStyle(g).gridTemplateColumns.split(' ').length, Math.round(a.width), Math.round(a.height), g.querySelectorAll('button').length]",
    )
    .await;
    assert_eq!(grid[0], 3, "three across: {grid}");
    assert_eq!(grid[1], grid[2], "square tiles: {grid}");
    assert!(grid[1].as_i64().is_some_and(|w| w > 110), "{grid}");
    assert_eq!(grid[3], 0, "the actions are in the lightbox: {grid}");
    assert_eq!(
        sideways_overflow(&guest).await,
        0,
        "the gallery scrolls sideways"
    );
    guest.screenshot("guest-gallery-phone").await;

    // The lightbox: the photo with its reactions, download and report.
    click(&guest, "[data-gallery] a[data-full]").await;
    wait_for(&guest, "dialog[data-lightbox][open]").await;
    let first = js(
        &guest,
        "return document.querySelector('dialog[data-lightbox] img').src",
    )
    .await;
    let caption = js(
        &guest,
        "return document.querySelector('.lightbox-caption').textContent",
    )
    .await;
    assert!(
        caption.as_str().is_some_and(|c| c.starts_with("Lena")),
        "{caption}"
    );
    let links = js(
        &guest,
        "const d = document.querySelector('dialog[data-lightbox]'); return [d.querySelector('[data-report]').getAttribute('href'), d.querySelector('[data-dl]').getAttribute('href'), d.querySelector('form[data-react]').getAttribute('action')]",
    )
    .await;
    for (i, end) in ["/report", "/download", "/react"].iter().enumerate() {
        assert!(
            links[i].as_str().is_some_and(|h| h.ends_with(end)),
            "{links}"
        );
    }
    // React with a heart: the script toggles it in place and counts it.
    let heart = |pressed: &'static str| {
        let guest = &guest;
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let b = js(
                    guest,
                    "const b = document.querySelector(\"dialog[data-lightbox] button[value='heart']\"); return [b.getAttribute('aria-pressed'), b.textContent.trim()]",
                )
                .await;
                if b[0] == pressed {
                    return b;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the heart is not {pressed}: {b}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(heart("false").await[1], "❤️");
    click(&guest, "dialog[data-lightbox] button[value='heart']").await;
    assert_eq!(heart("true").await[1], "❤️1");
    let tile = js(
        &guest,
        "return document.querySelector('[data-gallery] a[data-full]').dataset.reactions",
    )
    .await;
    assert!(
        tile.as_str().is_some_and(|r| r.contains("heart:1:1")),
        "{tile}"
    );
    guest.screenshot("guest-lightbox-phone").await;
    // Next photo: its own (no) reactions; back: the heart is still there.
    click(&guest, "dialog[data-lightbox] [data-next]").await;
    assert_eq!(heart("false").await[1], "❤️");
    click(&guest, "dialog[data-lightbox] [data-prev]").await;
    assert_eq!(heart("true").await[1], "❤️1");
    guest
        .client
        .find(Locator::Css("dialog[data-lightbox]"))
        .await
        .expect("the lightbox")
        .send_keys("\u{E014}")
        .await
        .expect("arrow right");
    let second = js(
        &guest,
        "return document.querySelector('dialog[data-lightbox] img').src",
    )
    .await;
    assert_ne!(first, second, "the arrow key shows the next photo");
    guest
        .client
        .find(Locator::Css("dialog[data-lightbox]"))
        .await
        .expect("the lightbox")
        .send_keys("\u{E00C}")
        .await
        .expect("escape");
    let open = js(
        &guest,
        "return document.querySelector('dialog[data-lightbox]').open",
    )
    .await;
    assert_eq!(open, false, "Esc closes it");
    guest.close().await;

    host.client
        .goto(event_page.as_str())
        .await
        .expect("event page");
    wait_for(&host, ".stats-card").await;
    let count = js(
        &host,
        "return document.querySelector('.stats div:first-child dd').textContent",
    )
    .await;
    assert_eq!(count, "2");
    host.close().await;
    // The large photo went up in resumable pieces (PATCH /g/…/uploads/…).
    assert!(
        app.log().contains("PATCH") && app.log().contains("/g/{event}/uploads/{id}"),
        "no resumable upload in the log:\n{}",
        app.log()
    );
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// On an event that holds photos for approval: the guest's photo waits, the host approves it
/// from the moderation page in another browser, and the guest then finds it in the gallery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_photo_is_approved_in_another_browser() {
    let app = App::start();
    let photos = tempfile::tempdir().expect("tempdir");
    let a = photos.path().join("IMG_0100.jpg");
    write_jpeg(&a, 1200, 900);

    let host = Browser::start(1280, 800).await;
    sign_up(&host, &app, "approval-host@example.com").await;
    create_event(&host, &app, "Company dinner", "2027-06-20T23:30", true).await;
    let link = go_live(&host).await;
    let event_url = host.client.current_url().await.expect("url");

    let guest = Browser::start(390, 844).await;
    guest.client.goto(&link).await.expect("join link");
    wait_for(&guest, "#f-name").await;
    fill(&guest, "name", "Sam").await;
    click(&guest, "form button[type=submit]").await;
    wait_for(&guest, "form.uploader.is-enhanced").await;
    upload_and_wait(&guest, &[&a], "pending_review").await;
    guest.screenshot("guest-waiting-approval-phone").await;
    let gallery_url = app.url(&format!(
        "{}/gallery",
        guest.client.current_url().await.expect("url").path()
    ));
    guest.client.goto(&gallery_url).await.expect("gallery");
    assert_eq!(
        js(
            &guest,
            "return document.querySelectorAll('[data-gallery] .photo-tile').length"
        )
        .await,
        0,
        "not in the gallery before approval"
    );

    host.client
        .goto(&app.url(&format!("{}/moderation", event_url.path())))
        .await
        .expect("moderation");
    wait_for(&host, ".moderation-grid .photo-tile").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while js(
        &host,
        "const i = document.querySelector('.moderation-grid img'); return !!i && i.complete && i.naturalWidth > 0",
    )
    .await
        != true
    {
        assert!(std::time::Instant::now() < deadline, "the queued photo does not show");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    host.screenshot("moderation-queue-desktop").await;
    // By keyboard: focus the photo's checkbox, press A.
    host.client
        .find(Locator::Css(".moderation-grid input[type=checkbox]"))
        .await
        .expect("the photo's checkbox")
        .send_keys("a")
        .await
        .expect("press A");
    wait_for(&host, ".notice").await;
    assert!(
        host.client
            .source()
            .await
            .expect("source")
            .contains("Nothing is waiting for approval."),
        "the queue is empty after approving"
    );

    guest.client.refresh().await.expect("reload");
    wait_for(&guest, "[data-gallery] .photo-tile").await;
    guest.screenshot("guest-gallery-after-approval-phone").await;
    guest.close().await;
    host.close().await;
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// The host's photos page on an event that holds guests' photos: the host's own uploads are
/// published at once, the guest's wait; a shift-click selects a range, "Select all" all, and
/// the bar counts them. Seen at 1280×800 and 390×844.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_selects_a_range_on_the_photos_page() {
    let app = App::start();
    let photos = tempfile::tempdir().expect("tempdir");
    let files: Vec<std::path::PathBuf> = (0..3)
        .map(|i| {
            let p = photos.path().join(format!("host-{i}.jpg"));
            write_jpeg(&p, 1200 + i * 200, 900);
            p
        })
        .collect();
    let guest_file = photos.path().join("IMG_0200.jpg");
    write_jpeg(&guest_file, 900, 1200);

    let host = Browser::start(1280, 800).await;
    sign_up(&host, &app, "range-host@example.com").await;
    create_event(&host, &app, "Summer party", "2027-06-20T23:30", true).await;
    let link = go_live(&host).await;
    let event_url = host.client.current_url().await.expect("url");
    let photos_url = app.url(&format!("{}/photos", event_url.path()));
    host.client.goto(&photos_url).await.expect("photos page");
    wait_for(&host, "form.uploader.is-enhanced").await;
    let refs: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    upload_and_wait(&host, &refs, "published").await;

    let guest = Browser::start(390, 844).await;
    guest.client.goto(&link).await.expect("join link");
    wait_for(&guest, "#f-name").await;
    fill(&guest, "name", "Sam").await;
    click(&guest, "form button[type=submit]").await;
    wait_for(&guest, "form.uploader.is-enhanced").await;
    upload_and_wait(&guest, &[&guest_file], "pending_review").await;
    guest.close().await;

    host.client.goto(&photos_url).await.expect("photos page");
    wait_for(&host, "[data-bulk] .bulk-all:not([hidden])").await;
    assert_eq!(
        js(
            &host,
            "return document.querySelectorAll('.photo-grid .photo-tile').length"
        )
        .await,
        4
    );
    assert_eq!(
        js(
            &host,
            "return document.querySelectorAll('.photo-grid .status-pending_review').length"
        )
        .await,
        1,
        "only the guest's photo waits"
    );
    // Click the first box, shift-click the third: three are chosen.
    let picked = js(
        &host,
        "const b = [...document.querySelectorAll('input[data-pick]')];
         b[0].click();
         b[2].dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, shiftKey: true}));
         return [b.filter(x => x.checked).length, document.querySelector('[data-bulk-count]').textContent]",
    )
    .await;
    assert_eq!(picked, serde_json::json!([3, "3"]));
    host.screenshot("photos-range-desktop").await;
    click(&host, "[data-select-all]").await;
    assert_eq!(
        js(
            &host,
            "return document.querySelector('[data-bulk-count]').textContent"
        )
        .await,
        "4"
    );
    host.close().await;

    // The same host on a phone (390×844): logged in, sent back to the photos page.
    let phone = Browser::start(390, 844).await;
    phone.client.goto(&photos_url).await.expect("photos page");
    wait_path(&phone, "/login").await;
    fill(&phone, "email", "range-host@example.com").await;
    fill(&phone, "password", "violet-harbour-42").await;
    click(&phone, "form button[type=submit]").await;
    wait_for(&phone, "[data-bulk] .bulk-all:not([hidden])").await;
    click(&phone, "[data-select-all]").await;
    assert_eq!(
        sideways_overflow(&phone).await,
        0,
        "the photos page scrolls sideways on a phone"
    );
    phone.screenshot("photos-range-phone").await;
    js(
        &phone,
        "document.querySelector('.photo-grid').scrollIntoView(); return true",
    )
    .await;
    phone.screenshot("photos-grid-phone").await;
    // The waiting badge fits inside its tile on a phone.
    let fits = js(
        &phone,
        "const s = document.querySelector('.photo-grid .status-pending_review');
         const t = s.closest('.photo-tile');
         return s.getBoundingClientRect().right <= t.getBoundingClientRect().right + 0.5",
    )
    .await;
    assert_eq!(fits, true, "the waiting badge overflows its tile");
    // Three tiles across, each with one main action and the rest behind "⋯", whose menu
    // opens on the screen (not cut off by its tile or the screen's edge).
    let across = js(
        &phone,
        "const t = [...document.querySelectorAll('.photo-grid .photo-tile')];
         return t.filter(x => x.getBoundingClientRect().top === t[0].getBoundingClientRect().top).length",
    )
    .await;
    assert_eq!(across, 3, "tiles across a phone");
    for nth in [1, 3] {
        let menu = js(
            &phone,
            &format!(
                "document.querySelectorAll('.tile-more').forEach(d => d.open = false);
                 const d = document.querySelectorAll('.photo-grid .photo-tile')[{nth} - 1].querySelector('.tile-more');
                 d.scrollIntoView({{block: 'center'}});
                 d.querySelector('summary').click();
                 const r = d.querySelector('.tile-menu').getBoundingClientRect();
                 const top = document.elementFromPoint(r.left + r.width / 2, r.top + 8);
                 return [d.open, r.left >= 0 && r.right <= innerWidth, d.querySelector('.tile-menu').contains(top),
                         d.querySelectorAll('.tile-menu .button').length >= 3]"
            ),
        )
        .await;
        assert_eq!(
            menu,
            serde_json::json!([true, true, true, true]),
            "tile {nth}'s menu"
        );
    }
    phone.screenshot("photos-tile-menu-phone").await;
    phone.close().await;
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// Logs a member in through the form and waits for the dashboard.
async fn log_in(browser: &Browser, app: &App, email: &str) {
    browser
        .client
        .goto(&app.url("/login"))
        .await
        .expect("login");
    fill(browser, "email", email).await;
    fill(browser, "password", "violet-harbour-42").await;
    click(browser, "form button[type=submit]").await;
    wait_path(browser, "/app").await;
}

/// The guests page on a laptop and on a phone: every row fits the width (a long name wraps,
/// the figures wrap onto their own line), blocking goes through its confirmation page and the
/// blocked row is marked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guests_page_on_a_laptop_and_a_phone() {
    let app = App::start();
    let photos = tempfile::tempdir().expect("tempdir");
    let a = photos.path().join("IMG_0001.jpg");
    write_jpeg(&a, 1600, 1200);
    let host = Browser::start(1280, 800).await;
    sign_up(&host, &app, "guests-host@example.com").await;
    create_event(&host, &app, "Anna & Ben", "2027-06-21T01:30", false).await;
    let link = go_live(&host).await;
    let event_page = host.client.current_url().await.expect("url");

    // Three guests join from one phone, one after the other; the first shares a photo.
    let guest = Browser::start(390, 844).await;
    for name in [
        "Lena",
        "Maximiliane Alexandra von Hohenzollern-Sigmaringen",
        "Zoe",
    ] {
        if name != "Lena" {
            // A new guest on the same phone: the previous one's cookie goes.
            guest
                .client
                .delete_all_cookies()
                .await
                .expect("a new guest");
        }
        guest.client.goto(&link).await.expect("open the join link");
        wait_for(&guest, "#f-name").await;
        fill(&guest, "name", name).await;
        click(&guest, "form button[type=submit]").await;
        wait_for(&guest, "form.uploader.is-enhanced").await;
        if name == "Lena" {
            upload_and_wait(&guest, &[&a], "published").await;
        }
    }
    guest.close().await;

    host.client.goto(event_page.as_str()).await.expect("event");
    click(&host, "a[href$='/guests']").await;
    wait_for(&host, ".guest-list").await;
    assert_eq!(heading(&host).await, "Guests");
    let rows = js(
        &host,
        "return document.querySelectorAll('.guest-row').length",
    )
    .await;
    assert_eq!(rows, 3);
    assert_eq!(sideways_overflow(&host).await, 0, "laptop: sideways");
    host.screenshot("guests-laptop").await;

    let phone = Browser::start(390, 844).await;
    log_in(&phone, &app, "guests-host@example.com").await;
    phone
        .client
        .goto(&app.url(&format!("{}/guests", event_page.path())))
        .await
        .expect("guests page");
    wait_for(&phone, ".guest-list").await;
    assert_eq!(sideways_overflow(&phone).await, 0, "phone: sideways");
    // Every row, its figures and its button stay inside the screen.
    let fits = js(
        &phone,
        "return [...document.querySelectorAll('.guest-row, .guest-figures li, .guest-actions .button')].every(e => { const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; })",
    )
    .await;
    assert_eq!(fits, true, "something sticks out of the phone's width");
    phone.screenshot("guests-phone").await;

    // Block Zoe (the newest, first row): the confirmation first, then the marked row.
    click(&phone, ".guest-row .guest-actions a.button").await;
    wait_for(&phone, "form button.danger").await;
    assert_eq!(heading(&phone).await, "Block Zoe?");
    assert_eq!(sideways_overflow(&phone).await, 0, "confirmation: sideways");
    phone.screenshot("guest-block-phone").await;
    click(&phone, "form button.danger").await;
    wait_for(&phone, ".guest-row.is-blocked").await;
    assert_eq!(sideways_overflow(&phone).await, 0, "blocked: sideways");
    phone.screenshot("guests-blocked-phone").await;
    host.client.refresh().await.expect("reload");
    wait_for(&host, ".guest-row.is-blocked").await;
    host.screenshot("guests-blocked-laptop").await;
    phone.close().await;
    host.close().await;
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

// ===== Live pages (issue 13): the feed moves the pages by itself =====

/// A Chrome DevTools command through ChromeDriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(&'static str, serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.0, "params": self.1 });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Every page this browser opens from now on finds its WebSockets refused, as behind a proxy
/// that blocks them: each one really connects, to an address of the site that is no socket.
async fn refuse_websockets(browser: &Browser) {
    browser
        .client
        .issue_cmd(Cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": "{ const Real = window.WebSocket; window.WebSocket = function () { return new Real(location.origin.replace('http', 'ws') + '/no-sockets-here'); }; }" }),
        ))
        .await
        .expect("inject the WebSocket refusal");
}

/// Waits (up to `secs`) until `script` returns `expected`; returns how long it took.
async fn wait_js(
    browser: &Browser,
    script: &str,
    expected: serde_json::Value,
    secs: u64,
) -> std::time::Duration {
    let start = std::time::Instant::now();
    loop {
        let got = js(browser, script).await;
        if got == expected {
            return start.elapsed();
        }
        if start.elapsed() > std::time::Duration::from_secs(secs) {
            let shot = browser.screenshot("wait-js-failed").await;
            panic!(
                "{script:?} gave {got}, not {expected}, for {secs} s (screenshot {})",
                shot.display()
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Joins the event as `name` from its guest link; returns the guest page's path.
async fn join_as(browser: &Browser, link: &str, name: &str) -> String {
    browser.client.goto(link).await.expect("open the join link");
    wait_for(browser, "#f-name").await;
    fill(browser, "name", name).await;
    click(browser, "form button[type=submit]").await;
    wait_for(browser, "form.uploader.is-enhanced").await;
    browser
        .client
        .current_url()
        .await
        .expect("url")
        .path()
        .to_owned()
}

/// Two guests on phones: one watches everyone's photos (an empty gallery), the other adds a
/// photo; it appears at the top of the first one's gallery without a reload, opens in the
/// lightbox, and the page says it is live. Then with WebSockets refused (a blocking proxy),
/// the same gallery still moves, through polling the feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_a_guests_photo_appears_in_another_guests_gallery() {
    let app = App::start();
    let photos = tempfile::tempdir().expect("tempdir");
    let a = photos.path().join("IMG_0201.jpg");
    let b = photos.path().join("IMG_0202.jpg");
    write_jpeg(&a, 1600, 1200);
    write_jpeg(&b, 1200, 1600);

    let host = Browser::start(1280, 800).await;
    sign_up(&host, &app, "live-gallery@example.com").await;
    create_event(&host, &app, "Garden party", "2027-06-21T01:30", false).await;
    let link = go_live(&host).await;

    let watcher = Browser::start(390, 844).await;
    let home = join_as(&watcher, &link, "Mia").await;
    watcher
        .client
        .goto(&app.url(&format!("{home}/gallery")))
        .await
        .expect("gallery");
    wait_js(
        &watcher,
        "return [document.documentElement.dataset.live, document.documentElement.dataset.liveVia, document.querySelector('[data-live-status]').textContent]",
        serde_json::json!(["live", "socket", "Live"]),
        10,
    )
    .await;
    assert_eq!(
        js(
            &watcher,
            "return document.querySelectorAll('[data-gallery] .photo-tile').length"
        )
        .await,
        0
    );

    let adder = Browser::start(390, 844).await;
    join_as(&adder, &link, "Noah").await;
    upload_and_wait(&adder, &[&a], "published").await;
    // Within a few seconds, without a reload: the tile, its image loaded, its lightbox link.
    wait_js(
        &watcher,
        "const i = document.querySelector('[data-gallery] .photo-tile img'); return !!i && i.complete && i.naturalWidth > 0",
        serde_json::json!(true),
        5,
    )
    .await;
    let tile = js(
        &watcher,
        "const a = document.querySelector('[data-gallery] .photo-tile a.frame'); return [document.querySelectorAll('[data-gallery] .photo-tile').length, a.getAttribute('href').endsWith('/view'), a.dataset.full.startsWith('/media/'), a.dataset.caption.includes('Noah'), !!document.querySelector('[data-gallery-empty]')]",
    )
    .await;
    assert_eq!(
        tile,
        serde_json::json!([1, true, true, true, false]),
        "{tile}"
    );
    assert_eq!(sideways_overflow(&watcher).await, 0);
    watcher.screenshot("live-gallery-new-photo-phone").await;
    click(&watcher, "[data-gallery] a[data-full]").await;
    wait_js(
        &watcher,
        "return document.querySelector('dialog[data-lightbox]').open",
        serde_json::json!(true),
        5,
    )
    .await;
    watcher.close().await;

    // WebSockets refused: the page falls back to polling and still moves.
    let behind_proxy = Browser::start(390, 844).await;
    refuse_websockets(&behind_proxy).await;
    let home = join_as(&behind_proxy, &link, "Ola").await;
    behind_proxy
        .client
        .goto(&app.url(&format!("{home}/gallery")))
        .await
        .expect("gallery");
    wait_js(
        &behind_proxy,
        "return [document.documentElement.dataset.live, document.documentElement.dataset.liveVia]",
        serde_json::json!(["live", "poll"]),
        15,
    )
    .await;
    adder.client.refresh().await.expect("a fresh upload queue");
    wait_for(&adder, "form.uploader.is-enhanced").await;
    upload_and_wait(&adder, &[&b], "published").await;
    wait_js(
        &behind_proxy,
        "return document.querySelectorAll('[data-gallery] .photo-tile').length",
        serde_json::json!(2),
        8,
    )
    .await;
    behind_proxy.screenshot("live-gallery-polling-phone").await;
    behind_proxy.close().await;
    adder.close().await;
    host.close().await;
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// Clicks `css` on the host's page and waits for the wall to be `done` (a script returning
/// true); returns the milliseconds from the click to the `live:{message}` event on the wall.
async fn timed_on_wall(
    host: &Browser,
    wall: &Browser,
    css: &str,
    message: &str,
    done: &str,
) -> f64 {
    js(
        wall,
        &format!("window.__at = 0; document.addEventListener('live:{message}', () => {{ window.__at = Date.now(); }}, {{ once: true }}); return true"),
    )
    .await;
    let t0 = js(host, "return Date.now()")
        .await
        .as_f64()
        .expect("a time");
    click(host, css).await;
    wait_js(wall, done, serde_json::json!(true), 3).await;
    let t1 = js(wall, "return window.__at")
        .await
        .as_f64()
        .expect("a time");
    assert!(t1 > 0.0, "no {message} arrived");
    #[expect(
        clippy::print_stderr,
        reason = "the measured time, in the test's output"
    )]
    {
        eprintln!("{message}: {} ms from the click to the wall", t1 - t0);
    }
    t1 - t0
}

/// The projector wall at 1920×1080, opened from its link in a browser of its own: a guest's
/// photo shows within 2 s of being published (hold delay 0), "Blank all screens" blanks it
/// within a second and "Resume" brings it back, the host's switch to the mosaic reloads it by
/// itself, and a photo the host hides leaves the wall within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_the_projector_wall() {
    let app = App::start();
    let photos = tempfile::tempdir().expect("tempdir");
    // Five different photos (the same bytes twice would be one photo).
    let files: Vec<_> = [
        (1600, 1200),
        (1200, 1600),
        (1500, 1000),
        (1000, 1500),
        (1400, 1050),
    ]
    .iter()
    .enumerate()
    .map(|(i, &(w, h))| {
        let p = photos.path().join(format!("IMG_03{i:02}.jpg"));
        write_jpeg(&p, w, h);
        p
    })
    .collect();

    let host = Browser::start(1280, 800).await;
    sign_up(&host, &app, "live-wall@example.com").await;
    create_event(&host, &app, "Summer ball", "2027-06-21T01:30", false).await;
    let link = go_live(&host).await;
    let event_path = host
        .client
        .current_url()
        .await
        .expect("url")
        .path()
        .to_owned();

    // A wall with no hold delay.
    let walls = app.url(&format!("{event_path}/walls"));
    host.client.goto(&walls).await.expect("walls page");
    fill(&host, "name", "Main hall").await;
    fill(&host, "hold_seconds", "0").await;
    fill(&host, "slide_seconds", "8").await;
    click(&host, "form[action$='/walls'] button[type=submit]").await;
    let wall_url = wait_for(&host, ".wall-link a")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("the wall's link");

    let wall = Browser::start(1920, 1080).await;
    wall.client.goto(&wall_url).await.expect("open the wall");
    wait_js(
        &wall,
        "return [document.documentElement.dataset.live, document.body.classList.contains('is-waiting')]",
        serde_json::json!(["live", true]),
        10,
    )
    .await;
    wall.screenshot("wall-waiting-1080p").await;

    // A guest's photo: on the wall within 2 s of being published. The wall notes when each
    // photo goes on screen; the message says when it was published (to the second, rounded
    // down: the measure errs on the long side).
    js(
        &wall,
        "window.__shown = {}; new MutationObserver((ms) => { for (const m of ms) { const id = m.target.dataset.photo; if (id && !window.__shown[id]) window.__shown[id] = Date.now(); } }).observe(document.querySelector('[data-single]'), { subtree: true, attributes: true, attributeFilter: ['data-photo'] }); document.addEventListener('live:photo.published', (e) => { window.__published = e.detail.photo.published_at; }); return true",
    )
    .await;
    let guest = Browser::start(390, 844).await;
    join_as(&guest, &link, "Lena").await;
    upload_and_wait(&guest, &[&files[0]], "published").await;
    let first = js(
        &guest,
        "return document.querySelector('[data-mine] .photo-tile').id.slice('photo-'.length)",
    )
    .await;
    let first = first.as_str().expect("the photo's id").to_owned();
    wait_js(
        &wall,
        &format!(
            "const s = document.querySelector('.slide.is-shown'); return !!s && s.dataset.photo === '{first}' && s.querySelector('img').naturalWidth > 0"
        ),
        serde_json::json!(true),
        2,
    )
    .await;
    let took = js(
        &wall,
        &format!("return window.__shown['{first}'] - Date.parse(window.__published)"),
    )
    .await
    .as_f64()
    .expect("when it was shown");
    #[expect(
        clippy::print_stderr,
        reason = "the measured time, in the test's output"
    )]
    {
        eprintln!("the wall showed the photo at most {took} ms after it was published");
    }
    assert!(
        took < 2000.0,
        "the wall showed the photo {took} ms after it was published"
    );
    // The guest's phone says so: the wall told the server what it shows.
    wait_js(
        &guest,
        "const n = document.querySelector('[data-on-wall-note]'); return !!n && !n.hidden && !!document.querySelector('[data-mine] [data-on-wall-badge]')",
        serde_json::json!(true),
        3,
    )
    .await;
    guest.screenshot("guest-photo-on-the-wall").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let fit = js(
        &wall,
        "const i = document.querySelector('.slide.is-shown img'); const r = i.getBoundingClientRect(); return [getComputedStyle(i).objectFit, Math.round(r.width) >= 1900, document.documentElement.scrollWidth, document.documentElement.scrollHeight, getComputedStyle(document.querySelector('.wall-qr')).display]",
    )
    .await;
    assert_eq!(
        fit,
        serde_json::json!(["contain", true, 1920, 1080, "flex"]),
        "{fit}"
    );
    wall.screenshot("wall-single-1080p").await;

    // Blank all screens: the wall is blank within a second; Resume brings it back.
    // Timed from the tap to the message's arrival on the wall (its handler blanks the screen
    // then and there), both read from the same machine's clock.
    let blanked = timed_on_wall(
        &host,
        &wall,
        "form[action$='/walls/blank'] button[type=submit]",
        "wall.blank",
        "return document.body.classList.contains('is-blank') && getComputedStyle(document.querySelector('.wall-blank')).display !== 'none'",
    )
    .await;
    assert!(blanked < 1000.0, "blank took {blanked} ms");
    wall.screenshot("wall-blank-1080p").await;
    // A wall that reconnects while blanked comes back blank.
    wall.client.refresh().await.expect("reload the wall");
    wait_js(
        &wall,
        "return [document.documentElement.dataset.live, document.body.classList.contains('is-blank')]",
        serde_json::json!(["live", true]),
        10,
    )
    .await;
    host.client.goto(&walls).await.expect("walls page");
    click(&host, "form[action$='/walls/blank'] button[type=submit]").await;
    wait_js(
        &wall,
        "return !document.body.classList.contains('is-blank') && !!document.querySelector('.slide.is-shown img')",
        serde_json::json!(true),
        3,
    )
    .await;

    // More photos, then the mosaic: the host's change reloads the wall by itself.
    guest.client.refresh().await.expect("a fresh upload queue");
    wait_for(&guest, "form.uploader.is-enhanced").await;
    let more: Vec<&std::path::Path> = files[1..].iter().map(|p| p.as_path()).collect();
    upload_and_wait(&guest, &more, "published").await;
    host.client.goto(&walls).await.expect("walls page");
    click(&host, "details.wall-settings summary").await;
    click(
        &host,
        "details.wall-settings input[name=layout][value=mosaic]",
    )
    .await;
    click(&host, "details.wall-settings form button[type=submit]").await;
    // Five photos: a 2 × 2 mosaic (one photo waiting its turn), no dark cell.
    wait_js(
        &wall,
        "const cells = [...document.querySelectorAll('.cell')].filter(c => !c.hidden && c.getBoundingClientRect().width > 0); return [document.body.classList.contains('is-mosaic'), cells.length, cells.filter(c => [...c.querySelectorAll('img.is-shown')].some(i => i.naturalWidth > 0)).length]",
        serde_json::json!([true, 4, 4]),
        15,
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    wall.screenshot("wall-mosaic-1080p").await;

    // The host hides the first photo: off the wall within a second. Four cells for five
    // photos: wait until it is one of those on screen.
    wait_js(
        &wall,
        &format!("return !!document.querySelector('.cell[data-photo=\"{first}\"]')"),
        serde_json::json!(true),
        30,
    )
    .await;
    host.client
        .goto(&app.url(&format!("{event_path}/photos")))
        .await
        .expect("photos page");
    let hidden = timed_on_wall(
        &host,
        &wall,
        &format!("#photo-{first} button[value=hide]"),
        "photo.removed",
        &format!("return window.__at > 0 && !document.querySelector('[data-photo=\"{first}\"]')"),
    )
    .await;
    assert!(hidden < 1000.0, "hiding took {hidden} ms");
    // Nothing grew: the wall reuses its elements.
    assert_eq!(
        js(&wall, "return document.querySelectorAll('img').length").await,
        serde_json::json!(2 + 24 + 1)
    );

    wall.close().await;
    guest.close().await;
    host.close().await;
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// The members' pages and the guest's "My photos" move by themselves, on an event that holds
/// guests' photos: the moderation page takes in the new photo and its tab says "(1) …"; once
/// approved, the guest's "My photos" says it is in the gallery without a reload; the event
/// page's figures count the next one and say who is watching.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_members_pages_and_my_photos() {
    let app = App::start();
    let photos = tempfile::tempdir().expect("tempdir");
    let a = photos.path().join("IMG_0401.jpg");
    let b = photos.path().join("IMG_0402.jpg");
    write_jpeg(&a, 1600, 1200);
    write_jpeg(&b, 1200, 1600);

    let host = Browser::start(1280, 800).await;
    sign_up(&host, &app, "live-members@example.com").await;
    create_event(&host, &app, "Board dinner", "2027-06-21T01:30", true).await;
    let link = go_live(&host).await;
    let event_path = host
        .client
        .current_url()
        .await
        .expect("url")
        .path()
        .to_owned();
    host.client
        .goto(&app.url(&format!("{event_path}/moderation")))
        .await
        .expect("moderation");
    wait_js(
        &host,
        "return document.documentElement.dataset.live",
        serde_json::json!("live"),
        10,
    )
    .await;

    let guest = Browser::start(390, 844).await;
    join_as(&guest, &link, "Sam").await;
    upload_and_wait(&guest, &[&a], "pending_review").await;
    wait_js(
        &host,
        "const n = document.querySelector('[data-live-new]'); return [document.title.startsWith('(1) '), document.querySelector('#queue-h').textContent.includes('(1)'), !n.hidden && n.textContent]",
        serde_json::json!([true, true, "1 new photo waiting"]),
        5,
    )
    .await;
    host.screenshot("live-moderation-desktop").await;
    // The queue was empty when the page was made: the count is a link to it.
    click(&host, "[data-live-new]").await;
    wait_for(&host, ".moderation-grid .photo-tile").await;

    // Approved on the host's page: the guest's page says so by itself.
    click(&host, ".moderation-grid .tile-actions button.primary").await;
    wait_js(
        &guest,
        "const s = document.querySelector('[data-mine] .photo-tile .status'); return [s.textContent, s.classList.contains('status-published'), document.querySelector('.upload-item').dataset.state]",
        serde_json::json!(["In the gallery", true, "published"]),
        5,
    )
    .await;
    guest.screenshot("live-my-photos-phone").await;

    // The event page: the next photo waits, the figure says so; the guest's phone is watching.
    host.client
        .goto(&app.url(&event_path))
        .await
        .expect("event page");
    wait_js(
        &host,
        "return document.documentElement.dataset.live",
        serde_json::json!("live"),
        10,
    )
    .await;
    guest.client.refresh().await.expect("a fresh upload queue");
    wait_for(&guest, "form.uploader.is-enhanced").await;
    upload_and_wait(&guest, &[&b], "pending_review").await;
    wait_js(
        &host,
        "return document.querySelector('[data-stat=pending] dd').textContent.trim()",
        serde_json::json!("1"),
        5,
    )
    .await;
    wait_js(
        &host,
        "const p = document.querySelector('[data-presence]'); return !p.hidden && p.textContent.includes('phones: 1')",
        serde_json::json!(true),
        15,
    )
    .await;
    host.screenshot("live-event-page-desktop").await;

    guest.close().await;
    host.close().await;
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// Dispatches a key press on the page, as the projector's keyboard would.
async fn press(browser: &Browser, key: &str) {
    js(
        browser,
        &format!(
            "document.dispatchEvent(new KeyboardEvent('keydown', {{ key: '{key}' }})); return true"
        ),
    )
    .await;
}

/// The lucky draw, end to end: a host sets up a draw, two guests' uploads enter them, the host
/// closes the entries and runs the draw on the projector with the keyboard while a guest's
/// phone watches; the first winner is not there and the prize is drawn again; the draw ends and
/// the public page recomputes every winner in the browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lucky_draw_on_the_projector_and_the_phones() {
    let app = App::start();
    let photos = tempfile::tempdir().expect("tempdir");
    let files: Vec<_> = [(1600, 1200), (1200, 1600)]
        .iter()
        .enumerate()
        .map(|(i, &(w, h))| {
            let p = photos.path().join(format!("IMG_07{i:02}.jpg"));
            write_jpeg(&p, w, h);
            p
        })
        .collect();

    let host = Browser::start(1280, 800).await;
    sign_up(&host, &app, "draw-host@example.com").await;
    create_event(&host, &app, "Winter gala", "2027-06-21T01:30", false).await;
    let link = go_live(&host).await;
    let event_path = host
        .client
        .current_url()
        .await
        .expect("url")
        .path()
        .to_owned();

    // The draw: one prize, one entry per guest with a photo.
    host.client
        .goto(&app.url(&format!("{event_path}/draws")))
        .await
        .expect("draws page");
    fill(&host, "name", "Gala prizes").await;
    fill(&host, "tier_name", "Hot-air balloon ride").await;
    click(&host, "form.draw-form button[type=submit]").await;
    wait_for(&host, "#participants").await;
    let draw_path = host
        .client
        .current_url()
        .await
        .expect("url")
        .path()
        .to_owned();
    host.screenshot("draw-setup").await;

    // Two guests on phones; their published photos enter them.
    let lena = Browser::start(390, 844).await;
    join_as(&lena, &link, "Lena Berger").await;
    upload_and_wait(&lena, &[&files[0]], "published").await;
    let max = Browser::start(390, 844).await;
    join_as(&max, &link, "Max Moser").await;
    upload_and_wait(&max, &[&files[1]], "published").await;
    lena.client.refresh().await.expect("reload");
    wait_js(
        &lena,
        "const p = document.querySelector('.draw-in'); return !!p && p.textContent.includes('You are in the draw: 1 entry')",
        serde_json::json!(true),
        10,
    )
    .await;
    lena.screenshot("draw-guest-entered").await;
    assert_eq!(sideways_overflow(&lena).await, serde_json::json!(0));

    // The host closes the entries: the seal is published.
    host.client
        .goto(&app.url(&draw_path))
        .await
        .expect("draw page");
    click(&host, "form[action$='/close'] button[type=submit]").await;
    wait_for(&host, ".draw-proof").await;
    host.screenshot("draw-closed").await;

    // The projector: the host's screen at 1080p, driven by the keyboard.
    let screen = Browser::start(1920, 1080).await;
    log_in(&screen, &app, "draw-host@example.com").await;
    screen
        .client
        .goto(&app.url(&format!("{draw_path}/show")))
        .await
        .expect("the screen");
    wait_js(
        &screen,
        "return document.documentElement.dataset.live",
        serde_json::json!("live"),
        10,
    )
    .await;
    screen.screenshot("draw-screen-sealed").await;
    for phone in [&lena, &max] {
        phone.client.refresh().await.expect("reload");
        wait_js(
            phone,
            "return document.documentElement.dataset.live",
            serde_json::json!("live"),
            10,
        )
        .await;
    }

    // Space: the reel spins and lands on the winner the server drew.
    press(&screen, " ").await;
    wait_js(
        &screen,
        "return document.body.dataset.spinning === 'on'",
        serde_json::json!(true),
        5,
    )
    .await;
    screen.screenshot("draw-screen-spinning").await;
    wait_js(
        &screen,
        "const w = document.querySelector('[data-winner]'); return !w.hidden && w.dataset.seq === '1' && !document.body.dataset.spinning",
        serde_json::json!(true),
        15,
    )
    .await;
    screen.screenshot("draw-screen-winner").await;
    let first = js(
        &screen,
        "return document.querySelector('[data-winner-name]').textContent",
    )
    .await;
    let first = first.as_str().expect("a name").to_owned();
    let (winner, other) = if first == "Lena Berger" {
        (&lena, &max)
    } else {
        (&max, &lena)
    };
    assert!(first == "Lena Berger" || first == "Max Moser", "{first}");
    // The winner's phone says so; the other's does not.
    wait_js(
        winner,
        "return !document.querySelector('[data-draw-won]').hidden",
        serde_json::json!(true),
        10,
    )
    .await;
    winner.screenshot("draw-guest-won").await;
    assert_eq!(
        js(
            other,
            "return document.querySelector('[data-draw-won]').hidden"
        )
        .await,
        serde_json::json!(true)
    );

    // N: not there. Space again: the same prize, a new round, the other guest.
    press(&screen, "n").await;
    wait_js(
        &screen,
        "return document.querySelector('[data-winner]').dataset.outcome",
        serde_json::json!("not_present"),
        10,
    )
    .await;
    press(&screen, " ").await;
    wait_js(
        &screen,
        "const w = document.querySelector('[data-winner]'); return !w.hidden && w.dataset.seq === '2' && !document.body.dataset.spinning",
        serde_json::json!(true),
        15,
    )
    .await;
    let second = js(
        &screen,
        "return document.querySelector('[data-winner-name]').textContent",
    )
    .await;
    assert_ne!(
        second.as_str(),
        Some(first.as_str()),
        "nobody is drawn twice"
    );
    // P: present.
    press(&screen, "p").await;
    wait_js(
        &screen,
        "return document.querySelector('[data-winner]').dataset.outcome",
        serde_json::json!("present"),
        10,
    )
    .await;
    screen.screenshot("draw-screen-present").await;
    // B blanks the screen and B brings it back.
    press(&screen, "b").await;
    wait_js(
        &screen,
        "return document.body.classList.contains('is-blank')",
        serde_json::json!(true),
        10,
    )
    .await;
    press(&screen, "b").await;
    wait_js(
        &screen,
        "return document.body.classList.contains('is-blank')",
        serde_json::json!(false),
        10,
    )
    .await;

    // The remote (the host's laptop here) ends the draw; the seed is published.
    host.client
        .goto(&app.url(&format!("{draw_path}/remote")))
        .await
        .expect("remote");
    click(&host, "form.finish-form button[type=submit]").await;
    wait_path(&host, &format!("{draw_path}/remote")).await;
    wait_js(
        &screen,
        "return document.querySelector('[data-status]').textContent.includes(\"That's all\")",
        serde_json::json!(true),
        10,
    )
    .await;

    // The other guest's page lists the winner; anyone's browser checks the draw.
    other.client.refresh().await.expect("reload");
    wait_for(other, ".guest-winners").await;
    other.screenshot("draw-guest-winners").await;
    host.client
        .goto(&app.url(&draw_path))
        .await
        .expect("draw page");
    let public_url = js(
        &host,
        "return document.querySelector('.page-head a[href^=\"http\"]').getAttribute('href')",
    )
    .await;
    let nobody = Browser::start(390, 844).await;
    nobody
        .client
        .goto(public_url.as_str().expect("the public page"))
        .await
        .expect("public page");
    wait_js(
        &nobody,
        "return document.querySelector('[data-draw-verify]').dataset.verifyState",
        serde_json::json!("ok"),
        20,
    )
    .await;
    let checks = js(
        &nobody,
        "return [...document.querySelectorAll('.verify-checks li')].map(li => li.dataset.ok)",
    )
    .await;
    let checks = checks.as_array().expect("checks").clone();
    assert!(
        !checks.is_empty() && checks.iter().all(|c| c == "true"),
        "{checks:?}"
    );
    nobody.screenshot("draw-verified").await;
    assert_eq!(sideways_overflow(&nobody).await, serde_json::json!(0));
}

/// The path (with query) of the first link in `text` that contains `prefix`.
fn mailed_path(text: &str, prefix: &str) -> String {
    test_support::links_in(text)
        .into_iter()
        .find_map(|l| l.find(prefix).map(|at| l[at..].to_owned()))
        .unwrap_or_else(|| panic!("no {prefix} link in:\n{text}"))
}

/// A host and their planner run one event together: the host verifies their address from the
/// mail, invites the planner as an admin; the planner opens the mail's link on a phone, signs
/// up and sees the event; later they forget their password and reset it from the mail. Mail
/// goes through the real SMTP server (aiosmtpd) that scripts/test starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planner_is_invited_by_mail_and_recovers_their_password() {
    let (smtp, maildir) = test_support::smtp();
    let app = App::start_with(&[("MOMENTIQUE_SMTP_URL", &smtp)]);
    let wait = std::time::Duration::from_secs(20);
    let host_email = format!("host-{}@example.com", uuid::Uuid::new_v4().simple());
    let planner_email = format!("planner-{}@example.com", uuid::Uuid::new_v4().simple());

    let laptop = Browser::start(1280, 900).await;
    sign_up(&laptop, &app, &host_email).await;
    let banner = wait_for(&laptop, ".banner")
        .await
        .text()
        .await
        .expect("text");
    assert!(banner.contains(&host_email), "{banner}");
    let verify = test_support::wait_for_mail(&maildir, &host_email, wait).await;
    laptop
        .client
        .goto(&app.url(&mailed_path(&verify.text, "/verify/")))
        .await
        .expect("verify link");
    assert_eq!(heading(&laptop).await, "Email address");
    create_event(&laptop, &app, "June wedding", "2026-06-21T02:00", false).await;

    laptop
        .client
        .goto(&app.url("/members"))
        .await
        .expect("members");
    assert_eq!(heading(&laptop).await, "Team");
    fill(&laptop, "email", &planner_email).await;
    js(
        &laptop,
        "document.querySelector('#f-role').value = 'admin'; return true",
    )
    .await;
    click(&laptop, ".invite-form button[type=submit]").await;
    let notice = wait_for(&laptop, ".notice[role=status]").await;
    assert!(
        notice.text().await.expect("text").contains("on its way"),
        "the invitation is sent"
    );
    laptop.screenshot("team-members-desktop").await;
    laptop
        .client
        .goto(&app.url("/activity"))
        .await
        .expect("activity");
    assert_eq!(heading(&laptop).await, "Activity");
    let log = wait_for(&laptop, ".activity-list")
        .await
        .text()
        .await
        .expect("text");
    assert!(log.contains("Invited someone"), "{log}");
    laptop.screenshot("team-activity-desktop").await;

    let invitation = test_support::wait_for_mail(&maildir, &planner_email, wait).await;
    assert!(
        invitation.subject.contains("Ada's Weddings"),
        "{}",
        invitation.subject
    );
    let phone = Browser::start(390, 844).await;
    phone
        .client
        .goto(&app.url(&mailed_path(&invitation.text, "/invitations/")))
        .await
        .expect("invitation link");
    assert_eq!(heading(&phone).await, "Join Ada's Weddings");
    assert_eq!(
        sideways_overflow(&phone).await,
        0,
        "the invitation fits a phone"
    );
    phone.screenshot("team-invitation-phone").await;
    fill(&phone, "name", "Pat Planner").await;
    fill(&phone, "password", "violet-harbour-42").await;
    click(&phone, "form button[type=submit]").await;
    wait_path(&phone, "/app").await;
    phone
        .client
        .goto(&app.url("/app/events"))
        .await
        .expect("events");
    let list = wait_for(&phone, "main").await.text().await.expect("text");
    assert!(
        list.contains("June wedding"),
        "the planner sees the event: {list}"
    );
    phone
        .client
        .goto(&app.url("/members"))
        .await
        .expect("members");
    assert_eq!(
        sideways_overflow(&phone).await,
        0,
        "the team page fits a phone"
    );
    phone.screenshot("team-members-phone").await;

    // The planner forgets their password.
    click(&phone, ".site-nav button[type=submit]").await;
    wait_path(&phone, "/login").await;
    click(&phone, "a[href='/password/forgot']").await;
    wait_path(&phone, "/password/forgot").await;
    fill(&phone, "email", &planner_email).await;
    click(&phone, "form button[type=submit]").await;
    wait_for(&phone, ".notice[role=status]").await;
    phone.screenshot("team-forgot-sent-phone").await;
    let reset = test_support::wait_for_mail(&maildir, &planner_email, wait).await;
    phone
        .client
        .goto(&app.url(&mailed_path(&reset.text, "/password/reset/")))
        .await
        .expect("reset link");
    assert_eq!(heading(&phone).await, "Choose a new password");
    fill(&phone, "new_password", "lantern-meadow-93").await;
    fill(&phone, "confirm_password", "lantern-meadow-93").await;
    phone.screenshot("team-reset-phone").await;
    click(&phone, "form button[type=submit]").await;
    wait_path(&phone, "/login").await;
    fill(&phone, "email", &planner_email).await;
    fill(&phone, "password", "lantern-meadow-93").await;
    click(&phone, "form button[type=submit]").await;
    wait_path(&phone, "/app").await;
    phone.close().await;
    laptop.close().await;
}

/// Two-factor sign-in on a phone, as a host sets it up: the password, the QR code with the key
/// to type (read off the page here, as a person types it into their app), a code computed from
/// it, the recovery codes; then a login with the app's code and one with a recovery code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_turns_on_two_factor_and_logs_in_with_a_code_and_a_recovery_code() {
    let app = App::start();
    let email = format!("tf-{}@example.com", uuid::Uuid::new_v4().simple());
    let phone = Browser::start(390, 844).await;
    sign_up(&phone, &app, &email).await;
    phone
        .client
        .goto(&app.url("/account/two-factor"))
        .await
        .expect("two-factor page");
    assert_eq!(heading(&phone).await, "Two-factor sign-in");
    fill(&phone, "password", "violet-harbour-42").await;
    click(&phone, "form[action='/account/two-factor/setup'] button").await;
    let key = wait_for(&phone, ".totp-secret")
        .await
        .text()
        .await
        .expect("the key");
    phone.screenshot("two-factor-setup-phone").await;
    assert_eq!(
        sideways_overflow(&phone).await,
        0,
        "the set-up fits a phone"
    );
    let secret = data_encoding::BASE32_NOPAD
        .decode(key.replace(' ', "").as_bytes())
        .expect("an RFC 4648 key");
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs() as i64
    };
    fill(&phone, "code", &service::totp::code_at(&secret, now())).await;
    click(&phone, "form[action='/account/two-factor/confirm'] button").await;
    let codes = wait_for(&phone, ".recovery-codes")
        .await
        .text()
        .await
        .expect("the codes");
    let codes: Vec<&str> = codes.split_whitespace().collect();
    assert_eq!(codes.len(), 10, "{codes:?}");
    phone.screenshot("two-factor-recovery-codes-phone").await;

    // Log out and in again: the password, then the app's next code.
    phone.client.goto(&app.url("/app")).await.expect("app");
    click(&phone, ".site-nav button[type=submit]").await;
    wait_path(&phone, "/login").await;
    fill(&phone, "email", &email).await;
    fill(&phone, "password", "violet-harbour-42").await;
    click(&phone, "form button[type=submit]").await;
    wait_path(&phone, "/login/code").await;
    assert_eq!(heading(&phone).await, "Enter your code");
    let step = service::totp::step_at(now()) + 1;
    fill(&phone, "code", &service::totp::code_for_step(&secret, step)).await;
    phone.screenshot("two-factor-login-phone").await;
    click(&phone, "form[action='/login/code'] button[type=submit]").await;
    wait_path(&phone, "/app").await;

    // A lost phone: a recovery code instead.
    click(&phone, ".site-nav button[type=submit]").await;
    wait_path(&phone, "/login").await;
    fill(&phone, "email", &email).await;
    fill(&phone, "password", "violet-harbour-42").await;
    click(&phone, "form button[type=submit]").await;
    wait_path(&phone, "/login/code").await;
    click(&phone, "details.recovery summary").await;
    fill(&phone, "recovery_code", codes[0]).await;
    phone.screenshot("two-factor-recovery-login-phone").await;
    click(&phone, "form[action='/login/code'] button[type=submit]").await;
    wait_path(&phone, "/app").await;
    phone
        .client
        .goto(&app.url("/account/two-factor"))
        .await
        .expect("two-factor page");
    let left = wait_for(&phone, "main").await.text().await.expect("text");
    assert!(left.contains("9 of 10"), "{left}");
    phone.close().await;
}
