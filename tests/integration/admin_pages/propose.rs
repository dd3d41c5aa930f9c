//! Proposing an amendment from the console: the form holds the charter's
//! principles, the preview names what is added, removed and changed, and
//! *Open the vote* opens it; bad input shows an error and opens nothing.

use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use super::{audit_actions, post_form};
use crate::console::{Session, client, page, sign_in};
use crate::on_both_backends;
use crate::rig::federation::{admin, node_named};
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(an_amendment_is_proposed_previewed_and_opened_from_the_console);

/// The console's answer to a form posted to `path` that renders a page.
async fn rendered(
    node: &TestNode,
    session: &Session,
    path: &str,
    form: &[(String, String)],
) -> (StatusCode, String) {
    let mut fields = vec![("csrf".to_owned(), session.csrf.clone())];
    fields.extend_from_slice(form);
    let response = client()
        .post(node.url(path))
        .header(COOKIE, &session.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// An attribute's value as the browser reads it back.
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect(name) + marker.len();
    unescape(&html[start..start + html[start..].find('"').unwrap()])
}

/// The form for the example charter: the first principle changed, the
/// one keyed `cooperation` removed, `openness` added in an empty row.
fn edited(charter: &serde_json::Value) -> Vec<(String, String)> {
    let mut form = vec![
        ("charter".to_owned(), "pec-charter".to_owned()),
        (
            "name".to_owned(),
            charter["name"].as_str().unwrap().to_owned(),
        ),
        (
            "content".to_owned(),
            charter["content"].as_str().unwrap_or_default().to_owned(),
        ),
        (
            "summary".to_owned(),
            "One node, one vote; openness.".to_owned(),
        ),
        ("duration_days".to_owned(), "7".to_owned()),
        ("quorum_percent".to_owned(), "50".to_owned()),
        ("majority".to_owned(), "simple".to_owned()),
    ];
    let principles = charter["principles"].as_array().unwrap();
    for (i, p) in principles.iter().enumerate() {
        let content = if i == 0 {
            "Members decide together, one node one vote."
        } else {
            p["content"].as_str().unwrap()
        };
        form.push((format!("key_{i}"), p["key"].as_str().unwrap().to_owned()));
        form.push((format!("name_{i}"), p["name"].as_str().unwrap().to_owned()));
        form.push((format!("content_{i}"), content.to_owned()));
        if p["key"] == "cooperation" {
            form.push((format!("remove_{i}"), "yes".to_owned()));
        }
    }
    let n = principles.len();
    form.push((format!("key_{n}"), "openness".to_owned()));
    form.push((format!("name_{n}"), "Openness".to_owned()));
    form.push((
        format!("content_{n}"),
        "Any platform that signs the charter may join.".to_owned(),
    ));
    form.push((format!("key_{}", n + 1), String::new()));
    form
}

fn with(form: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut form: Vec<_> = form.iter().filter(|(k, _)| k != name).cloned().collect();
    form.push((name.to_owned(), value.to_owned()));
    form
}

async fn an_amendment_is_proposed_previewed_and_opened_from_the_console(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "pec", |_| {}).await;
    let (admin, platform) = (admin(&a).await, a.token(Scope::Platform).await);
    let charter = a.example("charter");
    a.put_json("/api/v1/charters/pec-charter", &platform, &charter)
        .await;
    let session = sign_in(&a, &admin).await;

    let (status, html) = page(&a, &session.cookie, "/admin/amendments/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"key_0\"") && html.contains("value=\"cooperation\""),
        "{html}"
    );
    assert_eq!(
        page(&a, &session.cookie, "/admin/amendments/new?charter=nope")
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Bad input: the form comes back with the error, nothing is opened.
    let form = edited(&charter);
    let unchanged: Vec<(String, String)> = {
        let mut same = with(
            &form,
            "content_0",
            charter["principles"][0]["content"].as_str().unwrap(),
        );
        same.retain(|(k, _)| {
            !k.starts_with("remove_")
                && !k.ends_with(&format!(
                    "_{}",
                    charter["principles"].as_array().unwrap().len()
                ))
        });
        same
    };
    for bad in [
        with(&form, "duration_days", "soon"),
        with(&form, "quorum_percent", "150"),
        with(&form, "majority", "most"),
        with(&form, "summary", ""),
        with(&form, "key_1", "openness"),
        unchanged,
    ] {
        let (status, html) = rendered(&a, &session, "/admin/amendments/preview", &bad).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("role=\"alert\""), "{bad:?}: {html}");
        assert!(html.contains("name=\"key_0\""), "the form again");
    }

    // The preview names each change; opening it opens the vote.
    let (status, html) = rendered(&a, &session, "/admin/amendments/preview", &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("role=\"alert\""), "{html}");
    assert!(
        html.contains("#openness") && html.contains("#cooperation"),
        "{html}"
    );
    assert!(html.contains("one node one vote"), "{html}");
    let proposal = hidden(&html, "proposal");
    assert!(
        a.api("/api/v1/amendments", &admin)
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (_, location) =
        post_form(&a, &session, "/admin/amendments/open", &[("proposal", "{")]).await;
    assert!(
        location.starts_with("/admin/amendments?error="),
        "{location}"
    );
    let (_, location) = post_form(
        &a,
        &session,
        "/admin/amendments/open",
        &[("proposal", &proposal)],
    )
    .await;
    assert_eq!(location, "/admin/amendments?done=amendment_opened");
    let amendments = a.api("/api/v1/amendments", &admin).await;
    assert_eq!(amendments.as_array().unwrap().len(), 1, "{amendments}");
    assert_eq!(audit_actions(&a, &admin).await[0], "amendment.opened");
    // The same proposal again: one amendment at a time per charter.
    let (_, location) = post_form(
        &a,
        &session,
        "/admin/amendments/open",
        &[("proposal", &proposal)],
    )
    .await;
    assert!(
        location.starts_with("/admin/amendments?error="),
        "{location}"
    );
    a.stop().await;
}
