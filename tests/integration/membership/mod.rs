//! Membership decided by the network (issue 27), between four real nodes:
//! A hosts the charter, B and C are members in `network` admission, D asks
//! to join (from its console). A opens an inclusion vote, B and C vote (B changes its mind:
//! counted once), a stranger's vote is refused; after the tally the mesh
//! forms without an admin touching B or C, and their catalogs hold D's
//! offers. Then C proposes to exclude D: D replies, B and C vote, B
//! excludes D within a delivery cycle (D's offers leave B's catalog, D
//! reads nothing followers-only of B's), C's local override keeps D and
//! shows as a difference. The directory and the votes verify offline.

mod bad_input;
pub mod helpers;

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use self::helpers::{answers, catalog_holds, console_form, console_page, vote};
use crate::amendments::{commit_and_follow, uncommitted_vote};
use crate::on_both_backends;
use crate::rig::federation::{admin, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually, verify_offline};
use crate::signing::SignedPost;

/// Seconds a vote stays open: the votes arrive well within it.
const VOTE_SECONDS: u64 = 8;

on_both_backends!(the_network_decides_who_joins_and_who_leaves);

/// A member node in `network` admission following A's network.
/// (Keep its database: dropping it deletes the node's SQLite file.)
async fn member(db: &TestDatabase, name: &str, network: &str) -> (TestNode, TestDatabase) {
    let network = url::Url::parse(network).unwrap();
    node_named(db, name, move |s| {
        s.federation.admission = Admission::Network;
        s.federation.networks = vec![network.clone()];
        s.federation.network_sync_every = std::time::Duration::from_secs(1);
    })
    .await
}

async fn the_network_decides_who_joins_and_who_leaves(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "pec", |s| s.federation.admission = Admission::Open).await;
    let a_admin = admin(&a).await;
    let a_platform = a.token(Scope::Platform).await;
    let charter = a.example("charter");
    let put = a
        .put_json("/api/v1/charters/pec-charter", &a_platform, &charter)
        .await;
    assert_eq!(put.status(), 201);
    let network = a.url("/charters/pec-charter");
    let (b, _b_db) = member(&db, "foodhub", &network).await;
    let (c, _c_db) = member(&db, "velocoop", &network).await;
    let (d, _d_db) = member(&db, "rideshare", &network).await;
    for node in [&b, &c, &d] {
        commit_and_follow(&a, node).await;
    }
    let (b_admin, c_admin, d_admin) = (admin(&b).await, admin(&c).await, admin(&d).await);

    // The founding members, admitted by the host's admin.
    for node in [&b, &c] {
        let admitted = a
            .post_json(
                "/api/v1/network/members",
                &a_admin,
                &json!({"charter": "pec-charter", "actor": node.actor()}),
            )
            .await;
        assert_eq!(admitted.status(), 201, "{:?}", admitted.text().await);
    }
    wait_follow_state(&b, &b_admin, &c, "active").await;
    wait_follow_state(&c, &c_admin, &b, "active").await;

    // D's admin asks to join from the console, answering each principle.
    let lines: Vec<String> = answers(&charter)
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, text)| format!("{key}: {}", text.as_str().unwrap()))
        .collect();
    let lines = lines.join("\n");
    let fields = [("network", network.as_str()), ("answers", lines.as_str())];
    console_form(&d, &d_admin, "/admin/membership/join", &fields).await;
    let request = eventually("D's request on A", 20, || async {
        let requests = a.api("/api/v1/network/requests", &a_admin).await;
        requests["received"]
            .as_array()
            .and_then(|r| r.first().cloned())
    })
    .await;
    assert_eq!(request["peer"], d.actor());
    assert_eq!(request["state"], "pending");
    let candidates = console_page(&a, &a_admin, "/admin/membership").await;
    let action = format!("/admin/membership/requests/{}/vote", request["id"]);
    assert!(candidates.contains(&action), "{candidates}");
    let opened = a
        .post_json(
            &format!("/api/v1/network/requests/{}/vote", request["id"]),
            &a_admin,
            &json!({"duration_seconds": VOTE_SECONDS}),
        )
        .await;
    assert_eq!(opened.status(), 201, "{:?}", opened.text().await);
    let opened: Value = opened.json().await.unwrap();
    assert_eq!(opened["subject"], "inclusion");
    assert_eq!(opened["tally"]["eligible"], 2, "{opened}");
    let question = opened["uri"].as_str().unwrap().to_owned();

    // B votes reject, then changes its mind; C approves; D is told but
    // does not vote on itself; a stranger's vote is refused.
    vote(&b, &b_admin, &question, "reject").await;
    let on_b = helpers::the_vote(&b, &b_admin, &question).await;
    let path = format!("/admin/membership/votes/{}/vote", on_b["id"]);
    console_form(&b, &b_admin, &path, &[("choice", "approve")]).await;
    vote(&c, &c_admin, &question, "approve").await;
    let on_d = helpers::the_vote(&d, &d_admin, &question).await;
    let own = d
        .post_json(
            &format!("/api/v1/network/votes/{}/vote", on_d["id"]),
            &d_admin,
            &json!({"choice": "approve"}),
        )
        .await;
    assert_eq!(own.status(), 409);
    assert_eq!(uncommitted_vote(&a, &question).await, 403);

    let closed = helpers::tallied(&a, &a_admin, &opened["id"], VOTE_SECONDS).await;
    assert_eq!(closed["outcome"], "adopted", "{closed}");
    assert_eq!(
        (
            closed["tally"]["approve"].as_u64(),
            closed["tally"]["reject"].as_u64()
        ),
        (Some(2), Some(0)),
        "B's replaced vote counts once: {closed}"
    );
    assert_eq!(closed["tally"]["voters"], 2);
    let (status, published) = a.get_activity_json(&question).await;
    assert_eq!(status, 200);
    assert_eq!(published["decides"], "inclusion");
    assert!(verify_offline(&a, &published).0);
    let (status, ballots) = a.get_activity_json(&format!("{question}/votes")).await;
    assert_eq!(status, 200);
    for ballot in ballots["items"].as_array().unwrap() {
        let (valid, said) = verify_offline(&a, ballot);
        assert!(valid, "{said}");
    }

    // The mesh forms: nobody touched B or C.
    for node in [&b, &c] {
        let node_admin = admin(node).await;
        wait_follow_state(node, &node_admin, &d, "active").await;
        wait_follow_state(&d, &d_admin, node, "active").await;
    }
    let sent = d.api("/api/v1/network/requests", &d_admin).await;
    assert_eq!(sent["sent"][0]["state"], "admitted", "{sent}");
    let (status, directory) = a.get_activity_json("/charters/pec-charter/members").await;
    assert_eq!(status, 200);
    assert_eq!(directory["totalItems"], 3, "{directory}");
    assert!(verify_offline(&a, &directory).0);
    let d_platform = d.token(Scope::Platform).await;
    let mut offer = d.example("offer");
    offer["audience"] = json!("followers");
    let put = d
        .put_json("/api/v1/offers/rides", &d_platform, &offer)
        .await;
    assert_eq!(put.status(), 201);
    let ride = d.url("/offers/rides");
    for node in [&b, &c] {
        catalog_holds(node, &ride, true).await;
    }

    // C overrides locally before the vote: it keeps D whatever happens.
    let kept = c
        .put_json(
            "/api/v1/network/overrides",
            &c_admin,
            &json!({"actor": d.actor(), "decision": "keep", "reason": "our riders use it"}),
        )
        .await;
    assert!(kept.status().is_success(), "{:?}", kept.text().await);

    // C proposes to exclude D; the host opens the vote; D replies.
    let proposed = c
        .post_json(
            "/api/v1/network/exclusions",
            &c_admin,
            &json!({"network": network, "member": d.actor(),
                "reasons": "D sells its riders' data.", "duration_seconds": VOTE_SECONDS}),
        )
        .await;
    assert_eq!(proposed.status(), 202, "{:?}", proposed.text().await);
    let exclusion = eventually("the exclusion vote on A", 20, || async {
        let votes = a.api("/api/v1/network/votes", &a_admin).await;
        votes
            .as_array()?
            .iter()
            .find(|v| v["subject"] == "exclusion" && v["state"] == "open")
            .cloned()
    })
    .await;
    assert_eq!(exclusion["candidate"], d.actor());
    let exclusion_uri = exclusion["uri"].as_str().unwrap().to_owned();
    let about_d = helpers::the_vote(&d, &d_admin, &exclusion_uri).await;
    let path = format!("/admin/membership/votes/{}/reply", about_d["id"]);
    let reply = [("content", "We never sold any data; here is our audit.")];
    console_form(&d, &d_admin, &path, &reply).await;
    vote(&b, &b_admin, &exclusion_uri, "approve").await;
    vote(&c, &c_admin, &exclusion_uri, "approve").await;
    let closed = helpers::tallied(&a, &a_admin, &exclusion["id"], VOTE_SECONDS).await;
    assert_eq!(closed["outcome"], "adopted", "{closed}");
    assert_eq!(
        closed["reply"], "We never sold any data; here is our audit.",
        "the reply is attached to the vote"
    );
    let (status, published) = a.get_activity_json(&exclusion_uri).await;
    assert_eq!(status, 200);
    assert_eq!(published["decides"], "exclusion");
    assert_eq!(published["reply"], closed["reply"]);
    let (valid, said) = verify_offline(&a, &published);
    assert!(valid, "{said}");

    // B applies the exclusion within a delivery cycle; C keeps D.
    catalog_holds(&b, &ride, false).await;
    let b_offer = b.example("offer");
    let b_platform = b.token(Scope::Platform).await;
    let mut private = b_offer.clone();
    private["audience"] = json!("followers");
    let put = b
        .put_json("/api/v1/offers/private", &b_platform, &private)
        .await;
    assert_eq!(put.status(), 201);
    let read = SignedPost::get(
        &b.url("/offers/private"),
        &format!("{}#main-key", d.actor()),
        &d.context.keys().rsa_private,
    )
    .send(&reqwest::Client::new())
    .await;
    assert!(
        matches!(read.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "an excluded node reads followers-only objects: {}",
        read.status()
    );
    catalog_holds(&c, &ride, true).await;
    let c_directory = c.api("/api/v1/network/directory", &c_admin).await;
    let shown = c_directory.to_string();
    assert!(
        shown.contains(&d.actor()) && shown.contains("keep"),
        "{c_directory}"
    );
}
