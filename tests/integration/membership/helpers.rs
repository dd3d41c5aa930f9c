//! What the membership test asks of the nodes, named.

use serde_json::{Map, Value, json};

use crate::rig::{TestNode, eventually};

/// An answer to the entry question for each principle of `charter`.
pub fn answers(charter: &Value) -> Value {
    let mut answers = Map::new();
    for principle in charter["principles"].as_array().unwrap() {
        let key = principle["key"].as_str().unwrap();
        answers.insert(key.into(), json!(format!("We live `{key}` every day.")));
    }
    Value::Object(answers)
}

/// The membership vote `question` as `node` knows it, once there.
pub async fn the_vote(node: &TestNode, token: &str, question: &str) -> Value {
    eventually("the vote to reach the node", 20, || async {
        let votes = node.api("/api/v1/network/votes", token).await;
        votes
            .as_array()?
            .iter()
            .find(|v| v["uri"] == question)
            .cloned()
    })
    .await
}

/// `node`'s admin votes `choice` on `question` (202).
pub async fn vote(node: &TestNode, token: &str, question: &str, choice: &str) {
    let known = the_vote(node, token, question).await;
    let response = node
        .post_json(
            &format!("/api/v1/network/votes/{}/vote", known["id"]),
            token,
            &json!({"choice": choice}),
        )
        .await;
    assert_eq!(response.status(), 202, "{:?}", response.text().await);
}

/// The hosted vote `id` once tallied.
pub async fn tallied(host: &TestNode, token: &str, id: &Value, seconds: u64) -> Value {
    eventually("the tally", seconds + 20, || async {
        let view = host
            .api(&format!("/api/v1/network/votes/{id}"), token)
            .await;
        (view["state"] == "closed").then_some(view)
    })
    .await
}

/// Waits until `node`'s catalog holds (or no longer holds) `object`.
pub async fn catalog_holds(node: &TestNode, object: &str, held: bool) {
    let platform = node
        .token(passerelle::domain::tokens::Scope::Platform)
        .await;
    eventually("the catalog to change", 20, || async {
        let offers = node.api("/api/v1/catalog/offers", &platform).await;
        let found = offers["items"]
            .as_array()?
            .iter()
            .any(|item| item.to_string().contains(object));
        (found == held).then_some(())
    })
    .await;
}

/// Posts a console form as `node`'s admin (signed in with `token`); the
/// page it redirects to, which must carry no error.
pub async fn console_form(
    node: &TestNode,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> String {
    let session = crate::console::sign_in(node, token).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", &session.csrf));
    let response = crate::console::client()
        .post(node.url(path))
        .header(reqwest::header::COOKIE, &session.cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER, "{path}");
    let location = response.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.contains("done="), "{path}: {location}");
    location
}

/// A console page of `node`, as its admin sees it.
pub async fn console_page(node: &TestNode, token: &str, path: &str) -> String {
    let session = crate::console::sign_in(node, token).await;
    let (status, html) = crate::console::page(node, &session.cookie, path).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{path}: {html}");
    html
}
