//! Bad input on each agreement endpoint: malformed JSON, unknown ids,
//! wrong filters, moves the agreement's state does not allow, the wrong
//! side deciding. Each gets a problem document and changes nothing.

use serde_json::{Value, json};

use super::{agreement_in_state, pair, post};
use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(agreement_endpoints_refuse_bad_input);

/// A request with a raw body; the status and the problem document.
async fn send(
    node: &TestNode,
    method: &str,
    path: &str,
    token: &str,
    body: Option<(&str, &str)>,
) -> (u16, Value) {
    let mut request = node
        .client
        .request(method.parse().unwrap(), node.url(path))
        .bearer_auth(token);
    if let Some((content_type, body)) = body {
        request = request
            .header("content-type", content_type)
            .body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status >= 400 {
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
    let problem: Value = response.json().await.unwrap_or(Value::Null);
    if status >= 400 {
        assert_eq!(problem["status"], status, "{problem}");
    }
    (status, problem)
}

fn json_body(text: &str) -> Option<(&'static str, &str)> {
    Some(("application/json", text))
}

async fn agreement_endpoints_refuse_bad_input(db: TestDatabase) {
    let p = pair(&db).await;
    let (a, b) = (&p.a, &p.b);
    let (status, asked) = post(
        a,
        "/api/v1/agreements",
        &p.a_platform,
        &json!({"proposal": p.apples, "quantity": 3}),
    )
    .await;
    assert_eq!(status, 202, "{asked}");
    let on_b = agreement_in_state(
        b,
        &p.b_platform,
        "offer",
        asked["offer"].as_str().unwrap(),
        "pending",
    )
    .await;
    let (mine, theirs) = (asked["id"].to_string(), on_b["id"].to_string());

    // Asking.
    let long_note =
        json!({"proposal": p.apples, "quantity": 3, "note": "x".repeat(2001)}).to_string();
    for (body, expected) in [
        (json_body("{"), 400),
        (json_body(r#"{"proposal": "x"}"#), 422),
        (json_body(r#"{"proposal": 5, "quantity": 1}"#), 422),
        (json_body(r#"{"proposal": "x", "quantity": "five"}"#), 422),
        (
            json_body(r#"{"proposal": "x", "quantity": 1, "price": 2}"#),
            422,
        ),
        (
            Some(("text/plain", r#"{"proposal": "x", "quantity": 1}"#)),
            415,
        ),
        (
            json_body(r#"{"proposal": "https://nowhere.example/offers/x", "quantity": 1}"#),
            404,
        ),
        (json_body(&long_note), 422),
    ] {
        let (status, problem) = send(a, "POST", "/api/v1/agreements", &p.a_platform, body).await;
        assert_eq!(status, expected, "{body:?}: {problem}");
    }

    // Listing and reading.
    for query in [
        "?state=bogus",
        "?side=everyone",
        "?limit=0",
        "?limit=500",
        "?cursor=soon",
    ] {
        let (status, problem) = send(
            a,
            "GET",
            &format!("/api/v1/agreements{query}"),
            &p.a_platform,
            None,
        )
        .await;
        assert_eq!(status, 400, "{query}: {problem}");
    }
    for id in ["999999", "abc"] {
        assert_eq!(
            send(
                a,
                "GET",
                &format!("/api/v1/agreements/{id}"),
                &p.a_platform,
                None
            )
            .await
            .0,
            404
        );
        for action in ["accept", "reject", "complete", "cancel"] {
            let path = format!("/api/v1/agreements/{id}/{action}");
            assert_eq!(
                send(a, "POST", &path, &p.a_platform, None).await.0,
                404,
                "{path}"
            );
        }
    }
    let admin = passerelle::domain::tokens::Scope::Admin;
    assert_eq!(
        send(a, "GET", "/api/v1/agreements", &a.token(admin).await, None)
            .await
            .0,
        403
    );
    assert_eq!(
        send(a, "GET", "/api/v1/agreements", "nonsense", None)
            .await
            .0,
        401
    );

    // Moves the state or the side does not allow.
    for action in ["accept", "reject"] {
        let path = format!("/api/v1/agreements/{mine}/{action}");
        let (status, problem) = send(a, "POST", &path, &p.a_platform, None).await;
        assert_eq!(status, 409, "the asker does not decide: {problem}");
    }
    for action in ["complete", "cancel"] {
        assert_eq!(
            send(
                a,
                "POST",
                &format!("/api/v1/agreements/{mine}/{action}"),
                &p.a_platform,
                None
            )
            .await
            .0,
            409
        );
        assert_eq!(
            send(
                b,
                "POST",
                &format!("/api/v1/agreements/{theirs}/{action}"),
                &p.b_platform,
                None
            )
            .await
            .0,
            409
        );
    }
    let reject = format!("/api/v1/agreements/{theirs}/reject");
    assert_eq!(
        send(b, "POST", &reject, &p.b_platform, json_body("{"))
            .await
            .0,
        400
    );
    assert_eq!(
        send(
            b,
            "POST",
            &reject,
            &p.b_platform,
            json_body(r#"{"reason": 5}"#)
        )
        .await
        .0,
        422
    );

    // Nothing changed.
    assert_eq!(
        b.api(&format!("/api/v1/agreements/{theirs}"), &p.b_platform)
            .await["state"],
        "pending"
    );
    assert_eq!(
        a.api("/api/v1/agreements", &p.a_platform).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        b.api("/api/v1/offers/apples", &p.b_platform).await["payload"]["available"]["value"],
        json!(120)
    );

    // A rejection with its reason reaches the asker; it is final.
    let (status, rejected) = send(
        b,
        "POST",
        &reject,
        &p.b_platform,
        json_body(r#"{"reason": "sold out at the market"}"#),
    )
    .await;
    assert_eq!(status, 200, "{rejected}");
    let on_a = agreement_in_state(
        a,
        &p.a_platform,
        "offer",
        asked["offer"].as_str().unwrap(),
        "rejected",
    )
    .await;
    assert_eq!(on_a["reason"], "sold out at the market");
    let accept = format!("/api/v1/agreements/{theirs}/accept");
    assert_eq!(send(b, "POST", &accept, &p.b_platform, None).await.0, 409);
    let listed = b
        .api("/api/v1/agreements?state=pending", &p.b_platform)
        .await;
    assert_eq!(listed["items"], json!([]));

    p.a.stop().await;
    p.b.stop().await;
}
