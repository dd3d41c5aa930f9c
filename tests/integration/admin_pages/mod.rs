//! The console pages an admin needs beyond the daily lists (issue 28):
//! webhooks, DFC sources, one page per peer, proposing an amendment —
//! over plain HTTP with a console session and its CSRF token; each action
//! audited, bad input changing nothing.

mod dfc;
pub mod peer;
mod propose;
pub(crate) mod sink;
pub mod webhooks;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};

use crate::console::{Session, client};
use crate::rig::TestNode;

/// Posts a console form; the status and where it redirects (if it does).
pub async fn post_form(
    node: &TestNode,
    session: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form: Vec<(&str, &str)> = vec![("csrf", session.csrf.as_str())];
    form.extend_from_slice(fields);
    let response = client()
        .post(node.url(path))
        .header(COOKIE, &session.cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), location)
}

/// Text as a console page shows it (minijinja escapes `/` too).
pub fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('/', "&#x2f;")
}

/// The audit log's actions, newest first.
pub async fn audit_actions(node: &TestNode, admin: &str) -> Vec<String> {
    let audit = node.api("/api/v1/admin/audit", admin).await;
    audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}
