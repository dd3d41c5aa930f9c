//! The inbox against bad requests: each gets the right status and nothing
//! is stored.

use std::time::{Duration, SystemTime};

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::rig::federation::node_named;
use crate::rig::{TestDatabase, TestNode};
use crate::signing::SignedPost;

on_both_backends!(inbox_refuses_bad_requests);

fn follow_from(from: &TestNode, to: &TestNode) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": from.url(&format!("/activities/{}", uuid::Uuid::new_v4())),
        "type": "Follow",
        "actor": from.actor(),
        "object": to.actor(),
    })
}

fn signed(from: &TestNode, to: &TestNode, body: Vec<u8>) -> SignedPost {
    SignedPost::new(
        &to.url("/inbox"),
        body,
        &format!("{}#main-key", from.actor()),
        &from.context.keys().rsa_private,
    )
}

async fn inbox_refuses_bad_requests(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (c, _c_db) = node_named(&db, "blocked", |_| {}).await;
    let c_domain = c.base.authority().to_owned();
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.blocklist = vec![c_domain.clone()];
        s.federation.max_body_bytes = 8 * 1024;
    })
    .await;
    let b_admin = b.token(Scope::Admin).await;
    let client = reqwest::Client::new();
    let body = |v: &Value| serde_json::to_vec(v).unwrap();
    let status = |r: reqwest::Response| r.status().as_u16();

    // No signature at all.
    let unsigned = client
        .post(b.url("/inbox"))
        .header("content-type", "application/activity+json")
        .body(body(&follow_from(&a, &b)))
        .send()
        .await
        .unwrap();
    assert_eq!(status(unsigned), 401);

    // A signature that is not a signature of this request.
    let mut forged = signed(&a, &b, body(&follow_from(&a, &b)));
    forged.key = c.context.keys().rsa_private.clone();
    assert_eq!(status(forged.send(&client).await), 401);

    // Signed by another actor than the activity's.
    let mut other = signed(&a, &b, body(&follow_from(&a, &b)));
    other.key_id = format!("{}#main-key", c.actor());
    other.key = c.context.keys().rsa_private.clone();
    assert_eq!(status(other.send(&client).await), 401);

    // A signature that leaves out the digest.
    let mut partial = signed(&a, &b, body(&follow_from(&a, &b)));
    partial.signed_headers = "(request-target) host date";
    assert_eq!(status(partial.send(&client).await), 401);

    // A stale Date, correctly signed.
    let mut stale = signed(&a, &b, body(&follow_from(&a, &b)));
    stale.date = SystemTime::now() - Duration::from_secs(2 * 60 * 60);
    assert_eq!(status(stale.send(&client).await), 401);

    // A Digest of another body.
    let mut wrong_digest = signed(&a, &b, body(&follow_from(&a, &b)));
    wrong_digest.digest_of = Some(b"something else".to_vec());
    assert_eq!(status(wrong_digest.send(&client).await), 400);

    // Malformed JSON, signed.
    assert_eq!(
        status(
            signed(&a, &b, b"{\"type\": \"Follow\",".to_vec())
                .send(&client)
                .await
        ),
        400
    );

    // Over the size limit.
    let mut huge = follow_from(&a, &b);
    huge["summary"] = json!("x".repeat(9 * 1024));
    assert_eq!(status(signed(&a, &b, body(&huge)).send(&client).await), 413);

    // An actor on a blocked domain, with a valid signature.
    assert_eq!(
        status(
            signed(&c, &b, body(&follow_from(&c, &b)))
                .send(&client)
                .await
        ),
        403
    );

    // A type the node handles, in a shape it cannot read: a Follow of a
    // number, an Undo of nothing. Refused, not acknowledged and ignored.
    let mut odd_follow = follow_from(&a, &b);
    odd_follow["object"] = json!(42);
    assert_eq!(
        status(signed(&a, &b, body(&odd_follow)).send(&client).await),
        400
    );
    let empty_undo =
        json!({"id": a.url("/activities/undo-nothing"), "type": "Undo", "actor": a.actor()});
    assert_eq!(
        status(signed(&a, &b, body(&empty_undo)).send(&client).await),
        400
    );

    // Nothing of the above was stored.
    assert_eq!(
        b.api("/api/v1/admin/follow-requests?state=all", &b_admin)
            .await,
        json!([])
    );
    assert_eq!(
        b.api("/api/v1/admin/audit", &b_admin).await["items"],
        json!([])
    );

    // A valid Follow, then the same activity again: processed once.
    let follow = body(&follow_from(&a, &b));
    assert_eq!(
        status(signed(&a, &b, follow.clone()).send(&client).await),
        202
    );
    assert_eq!(status(signed(&a, &b, follow).send(&client).await), 202);
    let requests = b.api("/api/v1/admin/follow-requests", &b_admin).await;
    assert_eq!(requests.as_array().unwrap().len(), 1);
    let audit = b.api("/api/v1/admin/audit", &b_admin).await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);

    // An activity type the node does not handle is acknowledged, ignored.
    let like = json!({"id": a.url("/activities/like-1"), "type": "Like", "actor": a.actor(), "object": b.actor()});
    assert_eq!(status(signed(&a, &b, body(&like)).send(&client).await), 202);
    assert_eq!(
        b.api("/api/v1/admin/audit", &b_admin).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for node in [a, b, c] {
        node.stop().await;
    }
}
