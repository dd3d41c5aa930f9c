//! Following between real nodes: admin approval, rejection, undo, the
//! admission policies, block and allow lists, exclusion, key rotation.

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::rig::federation::{
    admin, ask_to_follow, follow_state, node_named, request_follow, wait_follow_state,
};
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(
    manual_approval_end_to_end,
    rejection_and_undo,
    charter_admission,
    block_and_allow_lists,
    exclusion_from_both_sides,
);

async fn collection_items(node: &TestNode, path: &str) -> (u64, Vec<String>) {
    let (_, collection) = node.get_activity_json(path).await;
    let total = collection["totalItems"].as_u64().unwrap();
    let (_, page) = node
        .get_activity_json(collection["first"].as_str().unwrap())
        .await;
    let items = page["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect();
    (total, items)
}

async fn audit_actions(node: &TestNode, token: &str) -> Vec<String> {
    let page = node.api("/api/v1/admin/audit", token).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn manual_approval_end_to_end(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    // A has committed to a charter: B's admin sees it with the request.
    let platform = a.token(Scope::Platform).await;
    a.put_json(
        "/api/v1/charters/pec-charter",
        &platform,
        &a.example("charter"),
    )
    .await;
    assert_eq!(
        a.put_json(
            "/api/v1/commitments/ours",
            &platform,
            &a.example("commitment")
        )
        .await
        .status(),
        201
    );

    let request = ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    assert_eq!(request["state"], "pending");
    assert_eq!(request["peer"]["name"], "foodhub cooperative");
    assert_eq!(request["peer"]["handle"], a.handle());
    assert_eq!(request["peer"]["summary"], "The foodhub platform.");
    assert!(request["reason"].as_str().unwrap().contains("manual"));
    let commitment = &request["commitments"][0];
    assert_eq!(
        commitment["charter"],
        a.url("/charters/pec-charter/versions/1")
    );
    assert_eq!(commitment["version"], 1);
    assert_eq!(commitment["valid"], true);
    assert_eq!(
        follow_state(&a, &a_admin, &b).await.as_deref(),
        Some("pending")
    );

    let id = request["id"].as_i64().unwrap();
    let response = b
        .post_json(
            &format!("/api/v1/admin/follow-requests/{id}/approve"),
            &b_admin,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    wait_follow_state(&a, &a_admin, &b, "active").await;

    // Both collections agree.
    assert_eq!(
        collection_items(&b, "/followers").await,
        (1, vec![a.actor()])
    );
    assert_eq!(
        collection_items(&a, "/following").await,
        (1, vec![b.actor()])
    );
    assert_eq!(collection_items(&a, "/followers").await.0, 0);

    // Peers list the relationship in both directions.
    let peers = b.api("/api/v1/admin/peers", &b_admin).await;
    assert_eq!(peers[0]["actor"], a.actor());
    assert_eq!(peers[0]["follower"], "approved");
    assert_eq!(peers[0]["following"], Value::Null);
    let peers = a.api("/api/v1/admin/peers", &a_admin).await;
    assert_eq!(peers[0]["following"], "active");

    let b_audit = audit_actions(&b, &b_admin).await;
    assert_eq!(b_audit, ["request.approved", "request.received"]);
    let a_audit = audit_actions(&a, &a_admin).await;
    assert_eq!(a_audit, ["follow.accepted", "follow.sent"]);
    let entry = &b.api("/api/v1/admin/audit", &b_admin).await["items"][0];
    assert!(
        entry["decided_by"]
            .as_str()
            .unwrap()
            .contains("admin token")
    );
    assert_eq!(entry["peer"], a.actor());
    a.stop().await;
    b.stop().await;
}

async fn rejection_and_undo(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let (a_admin, b_admin, c_admin) = (admin(&a).await, admin(&b).await, admin(&c).await);

    // C rejects A, with a reason.
    let request = ask_to_follow(&a, &a_admin, &c, &c_admin).await;
    let id = request["id"].as_i64().unwrap();
    let response = c
        .post_json(
            &format!("/api/v1/admin/follow-requests/{id}/reject"),
            &c_admin,
            &json!({"reason": "not a member of the network"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["state"], "rejected");
    assert_eq!(view["reason"], "not a member of the network");
    wait_follow_state(&a, &a_admin, &c, "rejected").await;
    assert_eq!(collection_items(&c, "/followers").await.0, 0);

    // B admits openly; then A leaves.
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    assert_eq!(collection_items(&b, "/followers").await.0, 1);
    let follows = a.api("/api/v1/admin/follows", &a_admin).await;
    let follow = follows
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["peer"]["actor"] == b.actor())
        .unwrap();
    let response = a
        .delete_with(&format!("/api/v1/admin/follows/{}", follow["id"]), &a_admin)
        .await;
    assert_eq!(response.status(), 204);
    eventually("B to lose its follower", 20, || async {
        (collection_items(&b, "/followers").await.0 == 0).then_some(())
    })
    .await;
    assert_eq!(follow_state(&a, &a_admin, &b).await, None);
    let b_audit = audit_actions(&b, &b_admin).await;
    assert_eq!(b_audit[0], "follower.undone");
    assert!(b_audit.contains(&"request.approved".to_owned()));
    assert!(
        audit_actions(&a, &a_admin)
            .await
            .contains(&"follow.undone".to_owned())
    );
    for node in [a, b, c] {
        node.stop().await;
    }
}

async fn charter_admission(db: TestDatabase) {
    // The coordinating node hosts the charter; A commits to it, C does not.
    let (coord, _coord_db) = node_named(&db, "network", |_| {}).await;
    let coord_platform = coord.token(Scope::Platform).await;
    coord
        .put_json(
            "/api/v1/charters/pec",
            &coord_platform,
            &coord.example("charter"),
        )
        .await;
    let version = coord.url("/charters/pec/versions/1");
    let accepted = url::Url::parse(&version).unwrap();
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Charter;
        s.federation.accepted_charters = vec![accepted];
    })
    .await;
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let (a_admin, b_admin, c_admin) = (admin(&a).await, admin(&b).await, admin(&c).await);

    let a_platform = a.token(Scope::Platform).await;
    let mut commitment = a.example("commitment");
    let text = serde_json::to_string(&commitment)
        .unwrap()
        .replace(&a.url("/charters/pec-charter/versions/1"), &version);
    commitment = serde_json::from_str(&text).unwrap();
    let response = a
        .put_json("/api/v1/commitments/pec", &a_platform, &commitment)
        .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);

    let request = ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    assert_eq!(request["commitments"][0]["valid"], true);
    let entries = b.api("/api/v1/admin/audit", &b_admin).await;
    let approval = entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "request.approved")
        .unwrap();
    assert!(
        approval["decided_by"]
            .as_str()
            .unwrap()
            .starts_with("policy"),
        "{approval}"
    );

    let request = ask_to_follow(&c, &c_admin, &b, &b_admin).await;
    assert_eq!(request["state"], "pending");
    assert!(
        request["reason"]
            .as_str()
            .unwrap()
            .contains("no charter commitment"),
        "{request}"
    );
    assert_eq!(
        follow_state(&c, &c_admin, &b).await.as_deref(),
        Some("pending")
    );
    for node in [a, b, c, coord] {
        node.stop().await;
    }
}

async fn block_and_allow_lists(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let a_domain = a.base.authority().to_owned();
    let c_domain = c.base.authority().to_owned();
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.blocklist = vec![a_domain.clone()]
    })
    .await;
    let (d, _d_db) = node_named(&db, "allowonly", |s| {
        s.federation.allowlist = vec![c_domain.clone()]
    })
    .await;
    let (a_admin, b_admin, c_admin, d_admin) = (
        admin(&a).await,
        admin(&b).await,
        admin(&c).await,
        admin(&d).await,
    );

    // B refuses A's follow outright: nothing stored, A's follow stays pending.
    request_follow(&a, &a_admin, &b.handle()).await;
    a.wait_until_delivered().await;
    let peers = a.api("/api/v1/admin/peers", &a_admin).await;
    assert!(peers[0]["delivery"]["last_success_at"].is_null(), "{peers}");
    assert_eq!(
        b.api("/api/v1/admin/follow-requests?state=all", &b_admin)
            .await,
        json!([])
    );
    // And B does not follow a blocked domain either.
    let response = b
        .post_json(
            "/api/v1/admin/follows",
            &b_admin,
            &json!({"target": a.handle()}),
        )
        .await;
    assert_eq!(response.status(), 403);

    // D only lets C in.
    ask_to_follow(&c, &c_admin, &d, &d_admin).await;
    request_follow(&a, &a_admin, &d.handle()).await;
    a.wait_until_attempted().await;
    let requests = d
        .api("/api/v1/admin/follow-requests?state=all", &d_admin)
        .await;
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
    assert_eq!(requests[0]["peer"]["actor"], c.actor());
    for node in [a, b, c, d] {
        node.stop().await;
    }
}

async fn exclusion_from_both_sides(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |s| s.federation.admission = Admission::Open).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    wait_follow_state(&b, &b_admin, &a, "active").await;

    let peers = b.api("/api/v1/admin/peers", &b_admin).await;
    let a_peer = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["actor"] == a.actor())
        .unwrap();
    let path = format!("/api/v1/admin/peers/{}/exclude", a_peer["id"]);
    assert_eq!(
        b.post_json(&path, &b_admin, &json!({"reason": ""}))
            .await
            .status(),
        422
    );
    let response = b
        .post_json(&path, &b_admin, &json!({"reason": "left the network"}))
        .await;
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["excluded"]["reason"], "left the network");
    assert!(
        view["excluded"]["by"]
            .as_str()
            .unwrap()
            .contains("admin token")
    );

    // A is told: its follow of B is rejected, and B no longer follows A.
    wait_follow_state(&a, &a_admin, &b, "rejected").await;
    eventually("A to lose B as a follower", 20, || async {
        (collection_items(&a, "/followers").await.0 == 0).then_some(())
    })
    .await;
    assert_eq!(collection_items(&b, "/followers").await.0, 0);
    assert_eq!(collection_items(&b, "/following").await.0, 0);
    assert!(
        audit_actions(&b, &b_admin)
            .await
            .contains(&"peer.excluded".to_owned())
    );

    // A's new follow is refused by B's policy.
    request_follow(&a, &a_admin, &b.handle()).await;
    a.wait_until_attempted().await;
    let request = &b
        .api("/api/v1/admin/follow-requests?state=all", &b_admin)
        .await[0];
    assert_eq!(request["state"], "rejected");

    // Re-inclusion is explicit; afterwards A may ask again.
    let path = format!("/api/v1/admin/peers/{}/reinclude", a_peer["id"]);
    assert_eq!(b.post_json(&path, &b_admin, &json!({})).await.status(), 200);
    assert_eq!(b.post_json(&path, &b_admin, &json!({})).await.status(), 409);
    assert_eq!(audit_actions(&b, &b_admin).await[0], "peer.reincluded");
    let follows = a.api("/api/v1/admin/follows", &a_admin).await;
    let id = follows[0]["id"].clone();
    a.delete_with(&format!("/api/v1/admin/follows/{id}"), &a_admin)
        .await;
    let request = ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    eventually("the renewed request", 20, || async {
        let requests = b
            .api("/api/v1/admin/follow-requests?state=all", &b_admin)
            .await;
        (requests[0]["state"] == "approved").then_some(())
    })
    .await;
    assert_eq!(request["peer"]["actor"], a.actor());
    a.stop().await;
    b.stop().await;
}

on_both_backends!(key_rotation_is_followed, governance_from_the_command_line);

/// The binary, configured as `node` (its URL, database and slug).
fn cli_for(node: &TestNode) -> std::process::Command {
    crate::rig::passerelle_as(&node.settings)
}

fn run_cli(node: &TestNode, args: &[&str]) -> String {
    run_cli_with(&node.settings, args)
}

fn run_cli_with(settings: &passerelle::Settings, args: &[&str]) -> String {
    let output = crate::rig::passerelle_as(settings)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "passerelle {args:?}: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

/// B replaces its RSA key while A follows it: A refetches B's key when the
/// first request signed with the new key arrives, and keeps accepting.
async fn key_rotation_is_followed(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    let a_admin = admin(&a).await;
    let b_admin = admin(&b).await;
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    let old_key = b.context.keys().rsa_public_pem.clone();

    let b_settings = b.settings.clone();
    b.stop().await;
    let output = run_cli_with(&b_settings, &["keys", "rotate"]);
    assert!(output.contains("1 peer(s)"), "{output}");
    let b = TestNode::start_on(b_settings).await;
    let new_key = b.context.keys().rsa_public_pem.clone();
    assert_ne!(old_key, new_key);

    // The actor Update, signed with the new key, is accepted by A.
    eventually("A to hold B's new key", 20, || async {
        let peer = a
            .context
            .store
            .peer_by_uri(&b.actor())
            .await
            .unwrap()
            .unwrap();
        (peer.public_key_pem == new_key).then_some(())
    })
    .await;
    eventually("B's delivery to A to succeed", 20, || async {
        let peers = b.api("/api/v1/admin/peers", &b_admin).await;
        let delivery = &peers[0]["delivery"];
        (delivery["backlog"] == 0 && delivery["last_error"].is_null() && delivery["failures"] == 0)
            .then_some(())
    })
    .await;
    // And later messages too: B rejects A, signed with the new key.
    let id = b
        .api("/api/v1/admin/follow-requests?state=all", &b_admin)
        .await[0]["id"]
        .clone();
    b.post_json(
        &format!("/api/v1/admin/follow-requests/{id}/reject"),
        &b_admin,
        &json!({}),
    )
    .await;
    wait_follow_state(&a, &a_admin, &b, "rejected").await;
    a.stop().await;
    b.stop().await;
}

/// An admin who only uses the command line: follow, list, approve, look at
/// peers, exclude, read the audit log.
async fn governance_from_the_command_line(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let a_admin = admin(&a).await;

    let output = run_cli(&a, &["follow", &b.handle()]);
    assert!(output.contains("pending"), "{output}");
    let listing = eventually("the request to reach B", 20, || async {
        let listing = run_cli(&b, &["requests", "list"]);
        listing.contains(&a.handle()).then_some(listing)
    })
    .await;
    assert!(listing.contains("foodhub cooperative"), "{listing}");
    assert!(listing.contains("no commitment found"), "{listing}");
    let id = listing
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let output = run_cli(&b, &["requests", "approve", &id]);
    assert!(output.contains("approved"), "{output}");
    wait_follow_state(&a, &a_admin, &b, "active").await;

    let peers = run_cli(&b, &["peers", "list"]);
    assert!(peers.contains("follows us: approved"), "{peers}");
    let output = run_cli(
        &b,
        &[
            "peers",
            "exclude",
            &a.handle(),
            "--reason",
            "breach of the charter",
        ],
    );
    assert!(output.contains("excluded"), "{output}");
    wait_follow_state(&a, &a_admin, &b, "rejected").await;
    let audit = run_cli(&b, &["audit"]);
    assert!(
        audit.contains("peer.excluded") && audit.contains("breach of the charter"),
        "{audit}"
    );
    assert!(audit.contains("cli ("), "{audit}");

    // Bad input: one line, non-zero exit, nothing changed.
    let output = cli_for(&b)
        .args(["requests", "approve", "999"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr)
            .trim_end()
            .lines()
            .count(),
        1
    );
    let output = cli_for(&b)
        .args([
            "peers",
            "exclude",
            "@nobody@nowhere.invalid",
            "--reason",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let output = cli_for(&a)
        .args(["follow", "not a handle"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    a.stop().await;
    b.stop().await;
}

on_both_backends!(followers_only_objects_for_approved_followers);

/// A followers-only member is readable by a request signed by an approved
/// follower, and by no one else; a named-peer object only by that peer.
async fn followers_only_objects_for_approved_followers(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (c, _c_db) = node_named(&db, "carshare", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;

    let platform = b.token(Scope::Platform).await;
    let person = json!({"type": "Person", "name": "Camille Martin", "role": "worker"});
    b.put_json("/api/v1/members/camille", &platform, &person)
        .await;
    let mut for_c = person.clone();
    for_c["audience"] = json!([c.actor()]);
    b.put_json("/api/v1/members/for-c", &platform, &for_c).await;
    let mut for_a = person.clone();
    for_a["audience"] = json!([a.actor()]);
    b.put_json("/api/v1/members/for-a", &platform, &for_a).await;

    let client = reqwest::Client::new();
    let fetch = |node: &TestNode, path: &str| {
        crate::signing::SignedPost::get(
            &b.url(path),
            &format!("{}#main-key", node.actor()),
            &node.context.keys().rsa_private,
        )
    };
    let response = fetch(&a, "/members/camille").send(&client).await;
    assert_eq!(response.status(), 200);
    let member: Value = response.json().await.unwrap();
    assert_eq!(member["name"], "Camille Martin");
    assert_eq!(
        fetch(&a, "/members/for-a").send(&client).await.status(),
        200
    );
    // Not a follower, or not the named peer, or not signed: no such object.
    assert_eq!(
        fetch(&c, "/members/camille").send(&client).await.status(),
        404
    );
    assert_eq!(
        fetch(&c, "/members/for-c").send(&client).await.status(),
        404
    );
    assert_eq!(
        fetch(&a, "/members/for-c").send(&client).await.status(),
        404
    );
    assert_eq!(b.get_activity_json("/members/camille").await.0, 404);
    // A signature made with another key than the signer's.
    let mut forged = fetch(&a, "/members/camille");
    forged.key = c.context.keys().rsa_private.clone();
    assert_eq!(forged.send(&client).await.status(), 404);
    for node in [a, b, c] {
        node.stop().await;
    }
}
