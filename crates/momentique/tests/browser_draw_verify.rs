//! The public page's draw verifier (crates/web/static/draw-verify.js), an independent
//! JavaScript implementation, in a real headless Chromium against the real binary: it must reach
//! the same verdict as the Rust `domain::draw::verify` on every test vector and on tampered
//! copies of each, check by check and pick by pick; and its DOM hook must render the checks.

mod draw_support;
mod support;

use serde_json::{Value, json};
use support::{App, Browser};

/// Imports the module (same origin, its hashed URL) and verifies every record in the page.
const VERIFY_ALL: &str = r#"
const [url, records, done] = arguments;
import(url)
  .then(async (m) => {
    const reports = [];
    for (const r of records) reports.push(await m.verifyExport(r));
    done({ reports });
  })
  .catch((e) => done({ error: String(e && e.stack || e) }));
"#;

/// What both verifiers must agree on: the state, each check's name and verdict, and each
/// pick's verdict and computed winner.
fn verdict(report: &Value) -> Value {
    let checks: Vec<Value> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| json!([c["name"], c["ok"]]))
        .collect();
    let picks: Vec<Value> = report["picks"]
        .as_array()
        .expect("picks")
        .iter()
        .map(|p| {
            json!([
                p["tier"],
                p["round"],
                p["entry"],
                p["ok"],
                p.get("expected")
            ])
        })
        .collect();
    json!({ "state": report["state"], "checks": checks, "picks": picks })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_verifier_agrees_with_the_rust_one() {
    let app = App::start();
    let browser = Browser::start(1280, 800).await;
    browser.client.goto(&app.url("/")).await.expect("open home");

    let mut cases: Vec<(String, &'static str, Value)> = Vec::new();
    for (name, record) in draw_support::records() {
        for (kind, tampered) in draw_support::tampered(&record) {
            cases.push((name.clone(), kind, tampered));
        }
        cases.push((name, "honest", record));
    }
    let kinds: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.1).collect();
    assert!(kinds.len() >= 12, "{kinds:?}");

    let records: Vec<Value> = cases.iter().map(|c| c.2.clone()).collect();
    let answer = browser
        .client
        .execute_async(
            VERIFY_ALL,
            vec![json!(web::assets::url("draw-verify.js")), json!(records)],
        )
        .await
        .expect("the verify script ran");
    assert!(answer.get("error").is_none(), "{answer}");
    let reports = answer["reports"].as_array().expect("reports");
    assert_eq!(reports.len(), cases.len());

    let mut states = std::collections::BTreeMap::<String, usize>::new();
    for ((name, kind, record), js) in cases.iter().zip(reports) {
        let export: domain::draw::DrawExport =
            serde_json::from_value(record.clone()).expect("a parseable record");
        let rust = serde_json::to_value(domain::draw::verify::verify(&export)).expect("json");
        assert_eq!(
            verdict(js),
            verdict(&rust),
            "{name} / {kind}: the JavaScript verdict (left) differs from Rust's (right)\n\
             JS: {js:#}\nRust: {rust:#}"
        );
        if *kind == "honest" {
            assert_eq!(js["state"], "ok", "{name}: {js:#}");
            assert_eq!(js["summary"], rust["summary"], "{name}");
        }
        // Every check has a sentence.
        for check in js["checks"].as_array().expect("checks") {
            assert!(
                check["text"].as_str().is_some_and(|t| t.len() > 10),
                "{name} / {kind}: {check}"
            );
        }
        *states
            .entry(js["state"].as_str().unwrap_or("?").to_owned())
            .or_default() += 1;
    }
    // The cases cover all three verdicts, mostly failures.
    assert!(
        states.get("failed").copied().unwrap_or(0) > 100,
        "{states:?}"
    );
    assert!(
        states.get("pending").copied().unwrap_or(0) >= 8,
        "{states:?}"
    );
    assert!(states.get("ok").copied().unwrap_or(0) >= 8, "{states:?}");

    browser.close().await;
    assert!(
        !app.log().contains("ERROR"),
        "the server logged errors:\n{}",
        app.log()
    );
}

/// Elements set up before the module loads, as a page would have them; `fetch` answers the
/// two record URLs (the page's own origin), the third URL is a real 404.
const DOM_HOOK: &str = r#"
const [url, honest, tampered, done] = arguments;
const realFetch = window.fetch;
window.fetch = async (u, o) => {
  if (u === "/draw-honest.json") return new Response(JSON.stringify(honest), { headers: { "content-type": "application/json" } });
  if (u === "/draw-tampered.json") return new Response(JSON.stringify(tampered), { headers: { "content-type": "application/json" } });
  return realFetch(u, o);
};
const make = (id, exportUrl, withOutput) => {
  const el = document.createElement("section");
  el.id = id;
  el.setAttribute("data-draw-verify", "");
  el.setAttribute("data-export-url", exportUrl);
  if (withOutput) {
    const out = document.createElement("div");
    out.setAttribute("data-verify-output", "");
    out.textContent = "Checking…";
    el.append(out);
  }
  document.body.append(el);
  return el;
};
const els = [make("honest", "/draw-honest.json", true), make("tampered", "/draw-tampered.json", false), make("missing", "/no-such-draw.json", false)];
const describe = (el) => ({
  state: el.getAttribute("data-verify-state"),
  outputs: el.querySelectorAll("[data-verify-output]").length,
  items: [...el.querySelectorAll("ol.verify-checks > li")].map((li) => [li.dataset.check, li.dataset.ok, li.textContent]),
  summary: el.querySelector("[data-verify-output] p.verify-summary")?.textContent ?? null,
});
import(url).then(() => {
  const started = Date.now();
  const wait = () => {
    if (els.every((el) => el.hasAttribute("data-verify-state"))) done(els.map(describe));
    else if (Date.now() - started > 10000) done({ timeout: els.map(describe) });
    else setTimeout(wait, 20);
  };
  wait();
}).catch((e) => done({ error: String(e) }));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dom_hook_verifies_and_renders_each_marked_element() {
    let app = App::start();
    let browser = Browser::start(1280, 800).await;
    browser.client.goto(&app.url("/")).await.expect("open home");
    let (_, honest) = draw_support::records()
        .into_iter()
        .find(|(name, _)| name == "weighted")
        .expect("the weighted vector");
    let mut tampered = honest.clone();
    tampered["entries"][0]["weight"] = json!(7);

    let answer = browser
        .client
        .execute_async(
            DOM_HOOK,
            vec![json!(web::assets::url("draw-verify.js")), honest, tampered],
        )
        .await
        .expect("the DOM script ran");
    let els = answer.as_array().unwrap_or_else(|| panic!("{answer:#}"));

    let ok = &els[0];
    assert_eq!(ok["state"], "ok", "{ok:#}");
    assert_eq!(ok["outputs"], 1, "the existing output is reused: {ok:#}");
    let items = ok["items"].as_array().expect("items");
    assert_eq!(items.len(), 8, "{ok:#}");
    assert!(items.iter().all(|i| i[1] == "true"), "{ok:#}");
    assert_eq!(items[6][0], "winners");
    assert_eq!(
        ok["summary"],
        "All 3 winners check out: nobody could have chosen them."
    );

    let bad = &els[1];
    assert_eq!(bad["state"], "failed", "{bad:#}");
    assert_eq!(bad["outputs"], 1, "an output is created: {bad:#}");
    let hash = bad["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i[0] == "entry_list_hash")
        .expect("a hash check")
        .clone();
    assert_eq!(hash[1], "false", "{bad:#}");
    assert!(
        hash[2]
            .as_str()
            .expect("text")
            .contains("not the one locked at close"),
        "{hash}"
    );
    assert!(
        bad["summary"]
            .as_str()
            .expect("summary")
            .starts_with("This record does not check out"),
        "{bad:#}"
    );

    let missing = &els[2];
    assert_eq!(missing["state"], "error", "{missing:#}");
    assert!(
        missing["summary"]
            .as_str()
            .expect("summary")
            .contains("could not be loaded (the server answered 404)"),
        "{missing:#}"
    );
    browser.screenshot("draw-verify-dom").await;
    browser.close().await;
}
