//! Every HTTP path the docs show (`GET /path` in tables and text, curl examples) is routed on a running node, for the method shown.

use std::collections::BTreeSet;

use passerelle::domain::tokens::Scope;
use serde_json::Value;

use super::{code_blocks, documents, prose};
use crate::rig::{Backend, TestDatabase, TestNode};

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// A documented path made requestable: no query, placeholders filled
/// (`{kind}` a kind, any other `{…}` an id), or `None` when it is only a
/// pattern (`…/reinclude`, `/api/v1/...`).
fn requestable(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    if !path.starts_with('/') || path.contains("...") || path.contains('…') || path.contains('*')
    {
        return None;
    }
    let path = path.trim_end_matches([',', '.', ':', ';', ')']);
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        out.push_str(match &rest[open + 1..close] {
            "kind" => "offers",
            "uuid" => "00000000-0000-4000-8000-000000000000",
            _ => "1",
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `(method, path)` of every request the docs show, with where.
fn documented_requests() -> BTreeSet<(String, String, String)> {
    let mut found = BTreeSet::new();
    for (doc, text) in documents() {
        // In text: `GET /path`, and the `/other` spans listed right after
        // it (`GET /offers`, `/members`) under the same method.
        let prose = prose(&text);
        let pieces: Vec<&str> = prose.split('`').collect();
        let mut method: Option<&str> = None;
        for (i, span) in pieces.iter().enumerate().skip(1).step_by(2) {
            let between = pieces[i - 1];
            if !between.chars().all(|c| c.is_whitespace() || c == ',') {
                method = None;
            }
            let (verb, path) = span.split_once(' ').unwrap_or(("", span));
            if METHODS.contains(&verb) {
                method = Some(verb);
                if let Some(path) = requestable(path.split(' ').next().unwrap_or(path)) {
                    found.insert((verb.to_owned(), path, doc.clone()));
                }
            } else if let (Some(verb), false) = (method, span.contains(' ')) {
                if let Some(path) = requestable(span) {
                    found.insert((verb.to_owned(), path, doc.clone()));
                }
            } else {
                method = None;
            }
        }
        // In examples: curl's URL on this node's origin, with its `-X`.
        for block in code_blocks(&text) {
            for line in block.body.replace("\\\n", " ").lines() {
                let line = line.trim_start().trim_start_matches("$ ");
                if !line.starts_with("curl ") {
                    continue;
                }
                let words: Vec<&str> = line.split_whitespace().collect();
                let method = words
                    .iter()
                    .position(|w| *w == "-X")
                    .and_then(|at| words.get(at + 1))
                    .copied()
                    .unwrap_or("GET");
                for word in &words {
                    let url = word.trim_matches(|c| c == '\'' || c == '"');
                    let Some(rest) = ["http://127.0.0.1:8080", "https://node.example.org"]
                        .iter()
                        .find_map(|origin| url.strip_prefix(origin))
                    else {
                        continue;
                    };
                    if let Some(path) = requestable(rest) {
                        found.insert((method.to_owned(), path, doc.clone()));
                    }
                }
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_path_is_routed() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let requests = documented_requests();
    assert!(requests.len() > 40, "{requests:#?}");
    let node = TestNode::start(&db).await;
    // A token keeps the calls off the per-address limit of calls without
    // one; what is checked is routing, before any scope is.
    let token = node.token(Scope::Platform).await;
    let mut unrouted = Vec::new();
    for (method, path, doc) in &requests {
        let request = node
            .client
            .request(method.parse().expect("method"), node.url(path))
            .bearer_auth(&token);
        let request = if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
            request.json(&serde_json::json!({}))
        } else {
            request
        };
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let detail = response
            .json::<Value>()
            .await
            .ok()
            .and_then(|body| body["detail"].as_str().map(str::to_owned))
            .unwrap_or_default();
        // The router's own answers, not a handler's 404 for an unknown id:
        // its fallback, and the catch-all `/{collection}` routes' answer
        // to a segment that names no collection (`/ready`).
        let router_404 = status == 404
            && (detail.contains("nothing at /") || detail.contains("no collection `"));
        if router_404 || status == 405 {
            unrouted.push(format!("{doc}: {method} {path}: {status} {detail}"));
        }
    }
    node.stop().await;
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:#?}"
    );
}

#[test]
fn placeholders_are_filled_and_patterns_left_out() {
    assert_eq!(
        requestable("/api/v1/{kind}/{id}?cursor=").as_deref(),
        Some("/api/v1/offers/1")
    );
    assert_eq!(requestable("/api/v1/..."), None);
    assert_eq!(requestable("…/reinclude"), None);
}
