//! Every console page through axe-core in the real Chromium, in English
//! and in French: no serious or critical violation. The same visit saves
//! each page as `NAME.LANG.png`, into `PASSERELLE_SCREENSHOTS` when set
//! (the README's: `PASSERELLE_SCREENSHOTS=docs/screenshots`, which also
//! removes the pictures of pages that are gone), else under
//! `target/screenshots/`.

use std::path::PathBuf;

use fantoccini::key::Key;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use super::harness::Browser;
use crate::console::PAGES;
use crate::rig::federation::{admin, ask_to_follow, node_named, request_follow};
use crate::rig::{Backend, TestDatabase, TestNode, eventually, skipped};

const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/node_modules/axe-core/axe.min.js"
);

/// axe-core's source, or `None` (with a notice) when `npm ci --prefix
/// tests/interop` was not run; under `CI=true` that fails the test.
fn axe_source() -> Option<String> {
    match std::fs::read_to_string(AXE) {
        Ok(source) => Some(source),
        Err(_) => {
            skipped(
                "axe-core",
                &format!("no {AXE}: run `npm ci --prefix tests/interop`, or scripts/test"),
            );
            None
        }
    }
}

/// The README's screenshots directory when `PASSERELLE_SCREENSHOTS` names
/// one (relative to the repository).
fn readme_screenshots() -> Option<PathBuf> {
    std::env::var("PASSERELLE_SCREENSHOTS")
        .ok()
        .filter(|dir| !dir.is_empty())
        .map(|dir| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir))
}

/// Where the screenshots go: the README's directory, or
/// `target/screenshots/`.
fn screenshot_dir() -> PathBuf {
    readme_screenshots()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"))
}

/// Removes the pictures in `dir` this run did not take (pages gone).
fn prune(dir: &std::path::Path, taken: &[String]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stem = name.trim_end_matches(".png");
        if name.ends_with(".png") && !taken.iter().any(|t| t == stem) {
            eprintln!("removing {name}: no console page has this name any more");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A page's screenshot name: `/admin` is the dashboard, others their last
/// path segment.
fn page_name(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    match path.trim_end_matches('/').rsplit('/').next() {
        Some("admin") | None => "dashboard".to_owned(),
        Some(last) => last.to_owned(),
    }
}

/// A node with something on every page: a charter in two versions, an
/// offer and a member published, a pending follow request, a followed
/// peer whose offer is in the catalog.
async fn seeded(db: &TestDatabase) -> (Vec<(TestNode, TestDatabase)>, String) {
    let (a, a_db) = node_named(db, "foodhub", |s| {
        s.platform.name = "Open Food Hub".into();
        s.platform.summary = "A food hub linking local producers with shops and families.".into();
        s.console.time_zone = "Europe/Paris".into();
    })
    .await;
    let (b, b_db) = node_named(db, "velocoop", |_| {}).await;
    let (d, d_db) = node_named(db, "carshare", |_| {}).await;
    let (a_admin, b_admin, d_admin) = (admin(&a).await, admin(&b).await, admin(&d).await);
    let (a_platform, d_platform) = (
        a.token(Scope::Platform).await,
        d.token(Scope::Platform).await,
    );
    let mut charter = a.example("charter");
    a.put_json("/api/v1/charters/pec-charter", &a_platform, &charter)
        .await;
    charter["content"] = json!("The platforms that sign this charter share data with partners.");
    a.put_json("/api/v1/charters/pec-charter", &a_platform, &charter)
        .await;
    a.put_json("/api/v1/offers/apples", &a_platform, &a.example("offer"))
        .await;
    a.put_json("/api/v1/members/coteau", &a_platform, &a.example("member"))
        .await;
    d.put_json("/api/v1/offers/van", &d_platform, &d.example("offer"))
        .await;
    ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    request_follow(&a, &a_admin, &d.handle()).await;
    let from_a = eventually("A's request to reach D", 20, || async {
        let requests = d.api("/api/v1/admin/follow-requests", &d_admin).await;
        requests.as_array()?.first().map(|r| r["id"].clone())
    })
    .await;
    d.post_json(
        &format!("/api/v1/admin/follow-requests/{from_a}/approve"),
        &d_admin,
        &json!({}),
    )
    .await;
    eventually("D's offer in A's catalog", 20, || async {
        let page = a.api("/api/v1/catalog/offers", &a_platform).await;
        (page["items"].as_array()?.len() == 1).then_some(())
    })
    .await;
    (vec![(a, a_db), (b, b_db), (d, d_db)], a_admin)
}

/// axe-core's serious and critical violations on the current page.
async fn violations(browser: &Browser, axe: &str) -> Vec<Value> {
    browser
        .client
        .execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .expect("axe-core loads");
    let found = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations), e => done([{ id: 'axe-error', impact: 'critical', description: String(e), nodes: [] }]));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    found
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect()
}

/// What keeps the keyboard from working on the current page: a positive
/// `tabindex` (it breaks the reading order), or a control that shows no
/// focus outline when reached with Tab.
async fn keyboard_issues(browser: &Browser) -> Vec<String> {
    let mut issues = Vec::new();
    let positive = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[tabindex]')].filter(e => e.tabIndex > 0).map(e => e.outerHTML.slice(0, 80));",
            vec![],
        )
        .await
        .unwrap();
    for element in positive.as_array().cloned().unwrap_or_default() {
        issues.push(format!("positive tabindex: {element}"));
    }
    let mut seen = std::collections::HashSet::new();
    for _ in 0..60 {
        let active = browser.client.active_element().await.unwrap();
        active
            .send_keys(&char::from(Key::Tab).to_string())
            .await
            .unwrap();
        let focused = browser
            .client
            .execute(
                "const e = document.activeElement; const s = getComputedStyle(e);
                 return [e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.getAttribute('name') || e.getAttribute('href') || e.textContent.trim().slice(0, 30)),
                         e === document.body || (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)];",
                vec![],
            )
            .await
            .unwrap();
        let name = focused[0].as_str().unwrap_or_default().to_owned();
        if !seen.insert(name.clone()) {
            break;
        }
        if focused[1] != json!(true) {
            issues.push(format!("no visible focus on {name}"));
        }
    }
    issues
}

/// One line a violation: the rule, what it means, and where.
fn describe(page: &str, lang: &str, violation: &Value) -> String {
    let targets: Vec<String> = violation["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .map(|n| format!("{} ({})", n["target"], n["failureSummary"]))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "[{lang}] {page}: {} {}: {}\n    {}",
        violation["impact"],
        violation["id"],
        violation["help"].as_str().unwrap_or_default(),
        targets.join("\n    ")
    )
}

/// Signs in, then checks (and saves) every console page in `language`:
/// what is wrong, and the names of the pictures taken.
async fn audit_pages(
    node: &TestNode,
    token: &str,
    language: &str,
    axe: &str,
    peer_pages: &[String],
) -> (Vec<String>, Vec<String>) {
    let lang = &language[..2];
    let Some(browser) = Browser::start_in(language).await else {
        return (Vec::new(), Vec::new());
    };
    let mut taken = vec![format!("sign-in.{lang}")];
    browser
        .client
        .set_window_size(1100, 820)
        .await
        .expect("window size");
    let dir = screenshot_dir();
    let mut found = Vec::new();
    browser
        .client
        .goto(&node.url("/admin/sign-in"))
        .await
        .unwrap();
    for v in violations(&browser, axe).await {
        found.push(describe("/admin/sign-in", lang, &v));
    }
    browser
        .screenshot_into(&dir, &format!("sign-in.{lang}"))
        .await;
    browser.fill("#token", token).await;
    browser.click("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/admin");
    let error_page = "/admin/audit?before=yesterday";
    let peer_pages = peer_pages.iter().map(String::as_str);
    for path in PAGES.iter().copied().chain(peer_pages).chain([error_page]) {
        browser.client.goto(&node.url(path)).await.unwrap();
        let declared = browser
            .client
            .execute("return document.documentElement.lang", vec![])
            .await
            .unwrap();
        assert_eq!(declared, json!(lang), "{path}: the page's language");
        let time = browser
            .client
            .execute(
                "const t = document.querySelector('main time'); return t ? [t.textContent, t.title] : null;",
                vec![],
            )
            .await
            .unwrap();
        if let Some([shown, utc]) = time.as_array().map(Vec::as_slice) {
            let (shown, utc) = (shown.as_str().unwrap(), utc.as_str().unwrap());
            assert!(
                shown.ends_with("CET") || shown.ends_with("CEST"),
                "{path}: {shown}"
            );
            assert!(utc.ends_with(" UTC"), "{path}: {utc}");
        }
        for v in violations(&browser, axe).await {
            found.push(describe(path, lang, &v));
        }
        let name = if path == error_page {
            "error".to_owned()
        } else if let Some(id) = path.strip_prefix("/admin/peers/") {
            format!("peer-{id}")
        } else {
            page_name(path)
        };
        browser
            .screenshot_into(&dir, &format!("{name}.{lang}"))
            .await;
        taken.push(format!("{name}.{lang}"));
        for issue in keyboard_issues(&browser).await {
            found.push(format!("[{lang}] {path}: {issue}"));
        }
    }
    browser.quit().await;
    (found, taken)
}

#[ignore = "needs Chromium: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_passes_axe_in_english_and_french() {
    let Some(axe) = axe_source() else {
        return;
    };
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let (nodes, token) = seeded(&db).await;
    let a = &nodes[0].0;
    // Each peer's own page too: B follows A, A follows D.
    let peers = a.api("/api/v1/admin/peers", &token).await;
    let peer_pages: Vec<String> = peers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("/admin/peers/{}", p["id"]))
        .collect();
    assert_eq!(peer_pages.len(), 2, "{peers}");
    let (mut found, mut taken) = audit_pages(a, &token, "en-US", &axe, &peer_pages).await;
    let (french, french_taken) = audit_pages(a, &token, "fr-FR", &axe, &peer_pages).await;
    found.extend(french);
    taken.extend(french_taken);
    if let Some(dir) = readme_screenshots().filter(|_| !taken.is_empty()) {
        prune(&dir, &taken);
    }
    for (node, _db) in nodes {
        node.stop().await;
    }
    assert!(
        found.is_empty(),
        "{} serious or critical axe-core violations or keyboard issues:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn pages_are_named_for_their_screenshots() {
    assert_eq!(page_name("/admin"), "dashboard");
    assert_eq!(page_name("/admin/peers"), "peers");
    assert_eq!(page_name("/admin/catalog?q=van"), "catalog");
}
