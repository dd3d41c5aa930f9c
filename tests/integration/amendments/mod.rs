//! Charter amendments voted across nodes: the host opens an amendment to
//! its charter, committed member nodes vote (once each: a vote is final),
//! a node that was not addressed is refused and counted, the
//! tally after `endTime` adopts the next version on the host and the
//! members see it; bad input changes nothing; members' drafts open votes;
//! the tally runs once with two processes on one database.

mod bad_input;
mod drafts;
mod replicas;

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::mock_peer::{MockPeer, new_key, stranger_posts};
use crate::on_both_backends;
use crate::rig::federation::{
    admin, commit_to_charter, node_named, request_follow, wait_follow_state,
};
use crate::rig::{TestDatabase, TestNode, eventually, metric_value};

/// Seconds the vote stays open: long enough for the votes to arrive on a
/// loaded machine, short enough for the test.
pub const VOTE_SECONDS: u64 = 8;

on_both_backends!(an_amendment_is_voted_and_adopted_across_nodes);

/// `member` commits to version 1 of `host`'s charter and follows `host`.
pub async fn commit_and_follow(host: &TestNode, member: &TestNode) {
    commit_to_charter(host, member).await;
    let member_admin = admin(member).await;
    request_follow(member, &member_admin, &host.handle()).await;
    wait_follow_state(member, &member_admin, host, "active").await;
}

/// The charter with one principle changed, one added, one removed.
pub fn proposed(host: &TestNode) -> Value {
    let mut charter = host.example("charter");
    let principles = charter["principles"].as_array_mut().unwrap();
    principles.retain(|p| p["key"] != "cooperation");
    principles[0]["content"] = json!("Members decide together, one node one vote.");
    principles.push(json!({"key": "openness", "name": "Openness",
        "content": "Any platform that signs the charter may join."}));
    charter
}

pub async fn open_amendment(host: &TestNode, host_admin: &str) -> Value {
    let response = host
        .post_json(
            "/api/v1/amendments",
            host_admin,
            &json!({"charter": "pec-charter", "summary": "One node, one vote; openness.",
                "proposed": proposed(host), "duration_seconds": VOTE_SECONDS}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// The one amendment `node` knows, once it is there.
pub async fn the_amendment(node: &TestNode, token: &str) -> Value {
    eventually("the amendment to reach the node", 20, || async {
        node.api("/api/v1/amendments", token)
            .await
            .as_array()
            .and_then(|list| list.first().cloned())
    })
    .await
}

pub async fn vote(node: &TestNode, token: &str, id: &Value, choice: &str) -> reqwest::Response {
    node.post_json(
        &format!("/api/v1/amendments/{id}/vote"),
        token,
        &json!({"choice": choice}),
    )
    .await
}

/// A node that never committed (nor was addressed) sends a vote, signed at
/// the transport.
pub async fn uncommitted_vote(host: &TestNode, question: &str) -> u16 {
    stranger_posts(host, |actor, peer| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.url("/activities/vote-1"), "type": "Create", "actor": actor,
            "object": {"id": peer.url("/votes/1"), "type": "Note", "attributedTo": actor,
                "inReplyTo": question, "name": "approve", "to": [host.actor()]},
        })
    })
    .await
}

async fn an_amendment_is_voted_and_adopted_across_nodes(db: TestDatabase) {
    let (a, a_db) = node_named(&db, "pec", |s| s.federation.admission = Admission::Open).await;
    let (b, _b_db) = node_named(&db, "foodhub", |_| {}).await;
    let (c, _c_db) = node_named(&db, "velocoop", |_| {}).await;
    let a_admin = admin(&a).await;
    let a_platform = a.token(Scope::Platform).await;
    let response = a
        .put_json(
            "/api/v1/charters/pec-charter",
            &a_platform,
            &a.example("charter"),
        )
        .await;
    assert_eq!(response.status(), 201);
    commit_and_follow(&a, &b).await;
    commit_and_follow(&a, &c).await;

    let hook = MockPeer::with_actor(&new_key(), None).await;
    let registered = a
        .post_json(
            "/api/v1/webhooks",
            &a_platform,
            &json!({"url": hook.url("/hook"), "events": ["amendment.opened", "amendment.closed"]}),
        )
        .await;
    assert_eq!(registered.status(), 201);

    let opened = open_amendment(&a, &a_admin).await;
    assert_eq!(opened["role"], "host");
    assert_eq!(opened["state"], "open");
    assert_eq!(opened["tally"]["eligible"], 2, "{opened}");
    assert_eq!(opened["changes"]["added"], json!(["openness"]));
    assert_eq!(opened["changes"]["removed"], json!(["cooperation"]));
    assert_eq!(opened["changes"]["changed"], json!(["governance"]));
    let question = opened["uri"].as_str().unwrap().to_owned();

    let (b_admin, c_admin) = (admin(&b).await, admin(&c).await);
    let on_b = the_amendment(&b, &b_admin).await;
    let on_c = the_amendment(&c, &c_admin).await;
    assert_eq!(on_b["uri"], question.as_str());
    assert_eq!(on_b["role"], "member");
    assert_eq!(on_b["amends"], a.url("/charters/pec-charter/versions/1"));
    // A vote is final (FEP-9967, as Mastodon polls): B's second is refused.
    assert_eq!(
        vote(&b, &b_admin, &on_b["id"], "approve").await.status(),
        202
    );
    assert_eq!(
        vote(&b, &b_admin, &on_b["id"], "reject").await.status(),
        409
    );
    assert_eq!(
        vote(&c, &c_admin, &on_c["id"], "approve").await.status(),
        202
    );
    assert_eq!(uncommitted_vote(&a, &question).await, 403);
    let audit = a.api("/api/v1/admin/audit", &a_admin).await;
    let refused = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "amendment.vote_refused")
        .expect("the refusal in the audit log");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("was not addressed"),
        "{refused}"
    );

    let id = opened["id"].clone();
    let closed = eventually("the tally", VOTE_SECONDS + 20, || async {
        let view = a.api(&format!("/api/v1/amendments/{id}"), &a_admin).await;
        (view["state"] == "closed").then_some(view)
    })
    .await;
    assert_eq!(closed["outcome"], "adopted", "{closed}");
    let tally = &closed["tally"];
    assert_eq!(
        (tally["approve"].as_u64(), tally["reject"].as_u64()),
        (Some(2), Some(0)),
        "{tally}"
    );
    assert_eq!(tally["voters"], 2);
    assert_eq!(tally["refused"], 1);
    assert_eq!(tally["votes"].as_array().unwrap().len(), 2);
    let v2 = a.url("/charters/pec-charter/versions/2");
    assert_eq!(closed["adopted_version"], v2.as_str());
    let (status, version) = a
        .get_activity_json("/charters/pec-charter/versions/2")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        version["previousVersion"],
        a.url("/charters/pec-charter/versions/1")
    );
    assert!(
        version["principles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Openness")
    );
    let metrics = a.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        metric_value(
            &metrics,
            "passerelle_amendment_votes_total{outcome=\"refused\"}"
        ),
        1
    );
    assert_eq!(
        metric_value(
            &metrics,
            "passerelle_amendment_votes_total{outcome=\"counted\"}"
        ),
        2
    );

    // Anyone can check the tally: the signed Question and the signed votes.
    let (status, published) = a.get_activity_json(&question).await;
    assert_eq!(status, 200);
    assert_eq!(published["type"], "Question");
    assert_eq!(published["outcome"], "adopted");
    assert_eq!(published["oneOf"][0]["replies"]["totalItems"], 2);
    assert!(published["proof"].is_object());
    let (status, ballots) = a.get_activity_json(&format!("{question}/votes")).await;
    assert_eq!(status, 200);
    assert_eq!(ballots["totalItems"], 2);
    for ballot in ballots["items"].as_array().unwrap() {
        assert!(ballot["proof"].is_object(), "{ballot}");
        assert!(
            published["votes"]
                .as_array()
                .unwrap()
                .contains(&ballot["id"])
        );
    }

    // A vote after the end time is answered 409 and kept nowhere.
    assert_eq!(uncommitted_vote(&a, &question).await, 409);
    let after = a.api(&format!("/api/v1/amendments/{id}"), &a_admin).await;
    assert_eq!(after["tally"], closed["tally"]);
    assert_eq!(
        a_db.query_i64("SELECT COUNT(*) FROM amendment_refusals")
            .await,
        1
    );

    // The members learn the result; their commitments name the old version.
    for (member, token) in [(&b, &b_admin), (&c, &c_admin)] {
        let view = eventually("the result to reach the member", 20, || async {
            let view = member
                .api(
                    &format!("/api/v1/amendments/{}", amendment_id(member, token).await),
                    token,
                )
                .await;
            (view["state"] == "closed").then_some(view)
        })
        .await;
        assert_eq!(view["outcome"], "adopted");
        assert_eq!(view["adopted_version"], v2.as_str());
        assert_eq!(view["tally"]["approve"], 2);
        assert_eq!(view["commitments"][0]["outdated"], true, "{view}");
        assert_eq!(view["commitments"][0]["current"], v2.as_str());
    }
    // B also holds version 2 of the charter in its catalog (it follows A).
    eventually("version 2 in B's catalog", 20, || async {
        let platform = b.token(Scope::Platform).await;
        let charters = b.api("/api/v1/catalog/charters", &platform).await;
        charters["items"]
            .as_array()
            .and_then(|items| items.iter().find(|c| c["object"]["version"] == 2).cloned())
    })
    .await;
    // The platform heard of the opening and of the result.
    eventually("both webhook events", 20, || async {
        (hook.hits("POST", "/hook") == 2).then_some(())
    })
    .await;
    // C renews its commitment for version 2.
    let renewed = c
        .post_json(
            &format!("/api/v1/amendments/{}/renew", on_c["id"]),
            &c_admin,
            &json!({}),
        )
        .await;
    assert_eq!(renewed.status(), 200);
    let renewed: Value = renewed.json().await.unwrap();
    assert_eq!(
        renewed["commitments"][0]["charter"],
        v2.as_str(),
        "{renewed}"
    );
    assert_eq!(renewed["commitments"][0]["outdated"], false);
    let commitment = c
        .api("/api/v1/commitments/pec", &c.token(Scope::Platform).await)
        .await;
    assert_eq!(
        commitment["payload"]["charter"],
        v2.as_str(),
        "{commitment}"
    );
    // A vote after the end is refused, and changes nothing.
    let late = vote(&c, &c_admin, &on_c["id"], "reject").await;
    assert_eq!(late.status(), 409);
    assert_eq!(late.headers()["content-type"], "application/problem+json");
    let after = c
        .api(&format!("/api/v1/amendments/{}", on_c["id"]), &c_admin)
        .await;
    assert_eq!(after["our_choice"], "approve");
    for node in [a, b, c] {
        node.stop().await;
    }
}

/// The id under which `member` lists its one amendment.
async fn amendment_id(member: &TestNode, token: &str) -> Value {
    the_amendment(member, token).await["id"].clone()
}
