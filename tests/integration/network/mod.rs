//! The network's member directory (issue 27): the charter's host admits
//! members and serves the signed directory; member nodes in `network`
//! admission follow and approve each other without their admins, exclude
//! a member the network removed (unless a local override keeps it), and
//! refuse directory changes from anyone but the host.

mod bad_input;
mod wake;

use std::time::Duration;

use passerelle::config::{Admission, Settings};
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};
use url::Url;

use crate::console::{page, sign_in};
use crate::jsonld::assert_terms_defined;
use crate::mock_peer::{MockPeer, new_key};
use crate::on_both_backends;
use crate::rig::federation::{admin, commit_to_charter, node_named};
use crate::rig::verify_offline;
use crate::rig::{TestDatabase, TestNode, eventually, holds_for};
use crate::signing::SignedPost;

on_both_backends!(the_network_decides_who_shares_with_whom);

pub const CHARTER: &str = "pec-charter";

/// `host` publishes its public charter; the network's URI.
pub async fn publish_charter(host: &TestNode) -> Url {
    let platform = host.token(Scope::Platform).await;
    let response = host
        .put_json(
            &format!("/api/v1/charters/{CHARTER}"),
            &platform,
            &host.example("charter"),
        )
        .await;
    assert_eq!(response.status(), 201);
    Url::parse(&host.url(&format!("/charters/{CHARTER}"))).unwrap()
}

/// Settings of a member node of `network`, applying it every second.
pub fn member_of(network: &Url) -> impl FnOnce(&mut Settings) + use<> {
    let network = network.clone();
    move |s: &mut Settings| {
        s.federation.admission = Admission::Network;
        s.federation.networks = vec![network];
        s.federation.network_sync_every = Duration::from_secs(1);
    }
}

pub async fn admit(host: &TestNode, token: &str, member: &TestNode) -> reqwest::Response {
    host.post_json(
        "/api/v1/network/members",
        token,
        &json!({"charter": CHARTER, "actor": member.actor()}),
    )
    .await
}

/// A GET of `path` on `origin`, signed by `reader`.
pub async fn signed_get(reader: &TestNode, origin: &TestNode, path: &str) -> reqwest::Response {
    SignedPost::get(
        &origin.url(path),
        &format!("{}#main-key", reader.actor()),
        &reader.context.keys().rsa_private,
    )
    .send(&reqwest::Client::new())
    .await
}

/// Whether `a` follows `b` (active) and has approved `b`'s follow.
async fn mutual(a: &TestNode, token: &str, b: &TestNode) -> bool {
    let follows = a.api("/api/v1/admin/follows", token).await;
    let following = follows
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["peer"]["actor"] == b.actor() && f["state"] == "active");
    let requests = a
        .api("/api/v1/admin/follow-requests?state=all", token)
        .await;
    let approved = requests
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["peer"]["actor"] == b.actor() && r["state"] == "approved");
    following && approved
}

/// Whether `node`'s catalog holds an offer of `origin`.
async fn holds_offer_of(node: &TestNode, token: &str, origin: &TestNode) -> bool {
    let offers = node.api("/api/v1/catalog/offers", token).await;
    offers["items"]
        .to_string()
        .contains(&origin.url("/offers/"))
}

async fn the_network_decides_who_shares_with_whom(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "pec", |_| {}).await;
    let network = publish_charter(&a).await;
    let (b, _b_db) = node_named(&db, "foodhub", member_of(&network)).await;
    let (c, _c_db) = node_named(&db, "velocoop", member_of(&network)).await;
    commit_to_charter(&a, &b).await;
    commit_to_charter(&a, &c).await;
    // What C shares: an offer (public) and a member (followers-only) on B.
    let (b_platform, c_platform) = (
        b.token(Scope::Platform).await,
        c.token(Scope::Platform).await,
    );
    let offer = c.example("offer");
    let put = c
        .put_json("/api/v1/offers/carrots", &c_platform, &offer)
        .await;
    assert!(put.status().is_success());
    let member = json!({"type": "Person", "name": "Early Member", "role": "founder"});
    let put = b
        .put_json("/api/v1/members/early", &b_platform, &member)
        .await;
    assert!(put.status().is_success());
    assert_eq!(signed_get(&c, &b, "/members/early").await.status(), 404);

    let hook = MockPeer::with_actor(&new_key(), None).await;
    let registered = a
        .post_json(
            "/api/v1/webhooks",
            &a.token(Scope::Platform).await,
            &json!({"url": hook.url("/hook"),
                "events": ["network.member_joined", "network.member_left"]}),
        )
        .await;
    assert_eq!(registered.status(), 201);

    // A's admin admits B and C; nobody touches B or C.
    let a_admin = admin(&a).await;
    for node in [&b, &c] {
        let response = admit(&a, &a_admin, node).await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
    }
    let again = admit(&a, &a_admin, &b).await;
    assert_eq!(again.status(), 409);
    assert_eq!(again.headers()["content-type"], "application/problem+json");
    let (status, directory) = a
        .get_activity_json(&format!("/charters/{CHARTER}/members"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(directory["type"], "OrderedCollection");
    assert_eq!(directory["attributedTo"], a.actor());
    assert_eq!(directory["network"], network.as_str());
    assert_eq!(directory["totalItems"], 2);
    let entry = &directory["orderedItems"][0];
    assert_eq!(entry["type"], "NetworkMember");
    assert_eq!(entry["actor"], b.actor());
    assert_eq!(entry["version"], a.url("/charters/pec-charter/versions/1"));
    let (valid, said) = verify_offline(&a, &directory);
    assert!(valid, "{said}");
    assert_terms_defined(&a, "the directory", &directory);

    let (b_admin, c_admin) = (admin(&b).await, admin(&c).await);
    eventually("B and C to follow and approve each other", 30, || async {
        (mutual(&b, &b_admin, &c).await && mutual(&c, &c_admin, &b).await).then_some(())
    })
    .await;
    let audit = b.api("/api/v1/admin/audit", &b_admin).await;
    assert!(
        audit["items"].as_array().unwrap().iter().any(|e| {
            e["action"] == "follow.sent" && e["decided_by"] == format!("network {network}")
        }),
        "{audit:#}"
    );
    assert_eq!(signed_get(&c, &b, "/members/early").await.status(), 200);
    eventually("C's offer in B's catalog", 20, || async {
        holds_offer_of(&b, &b_platform, &c).await.then_some(())
    })
    .await;

    // Only the host may change the directory: C's Add to B is refused.
    let forged = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": c.url("/activities/forged-add"), "type": "Add", "actor": c.actor(),
        "object": {"type": "NetworkMember", "actor": c.actor()},
        "target": format!("{network}/members"), "to": [b.actor()]});
    let refused = SignedPost::by_node(&c, &b.url("/inbox"), serde_json::to_vec(&forged).unwrap())
        .send(&reqwest::Client::new())
        .await;
    assert_eq!(refused.status(), 403);

    // B keeps C by override; A removes C: C stays, shown as a difference.
    let kept = b
        .put_json(
            "/api/v1/network/overrides",
            &b_admin,
            &json!({"actor": c.actor(), "decision": "keep", "reason": "our delivery partner"}),
        )
        .await;
    assert_eq!(kept.status(), 200);
    let kept: Value = kept.json().await.unwrap();
    let c_peer = a
        .context
        .store
        .peer_by_uri(&c.actor())
        .await
        .unwrap()
        .unwrap()
        .id;
    let removed = a
        .delete_with(
            &format!("/api/v1/network/members/{c_peer}?charter={CHARTER}&reason=left"),
            &a_admin,
        )
        .await;
    assert_eq!(removed.status(), 204);
    let (_, directory) = a
        .get_activity_json(&format!("/charters/{CHARTER}/members"))
        .await;
    assert_eq!(directory["totalItems"], 1);
    let view = eventually("B to see C removed", 20, || async {
        let view = b.api("/api/v1/network/directory", &b_admin).await;
        (!view["differences"].as_array()?.is_empty()).then_some(view)
    })
    .await;
    assert!(
        view["differences"][0]
            .as_str()
            .unwrap()
            .contains("kept here by override"),
        "{view:#}"
    );
    let session = sign_in(&b, &b_admin).await;
    let (status, html) = page(&b, &session.cookie, "/admin/network").await;
    assert_eq!(status, 200);
    assert!(html.contains("kept here by override"), "{html}");
    holds_for("C kept on B", Duration::from_secs(3), || async {
        mutual(&b, &b_admin, &c).await
    })
    .await;

    // The override removed, the directory applies: B excludes C.
    let dropped = b
        .delete_with(
            &format!("/api/v1/network/overrides/{}", kept["id"]),
            &b_admin,
        )
        .await;
    assert_eq!(dropped.status(), 204);
    eventually("B to exclude C", 10, || async {
        (!holds_offer_of(&b, &b_platform, &c).await).then_some(())
    })
    .await;
    assert_eq!(signed_get(&c, &b, "/members/early").await.status(), 404);
    // Exclusion is by host and port: A, on the same host name, is not hit.
    let excluded = |node: &TestNode| format!("localhost:{}", node.base.port().unwrap());
    let store = &b.context.store;
    assert!(store.exclusion(&excluded(&c)).await.unwrap().is_some());
    assert!(store.exclusion(&excluded(&a)).await.unwrap().is_none());
    assert_eq!(signed_get(&a, &b, "/offers").await.status(), 200);
    let audit = b.api("/api/v1/admin/audit", &b_admin).await;
    assert!(
        audit["items"].as_array().unwrap().iter().any(|e| {
            e["action"] == "peer.excluded" && e["decided_by"] == format!("network {network}")
        }),
        "{audit:#}"
    );
    // A admits C again: B re-includes it and the mesh forms again.
    let readmitted = admit(&a, &a_admin, &c).await;
    assert_eq!(readmitted.status(), 201, "{:?}", readmitted.text().await);
    eventually("B and C to follow each other again", 30, || async {
        (mutual(&b, &b_admin, &c).await && mutual(&c, &c_admin, &b).await).then_some(())
    })
    .await;
    assert!(store.exclusion(&excluded(&c)).await.unwrap().is_none());
    assert_eq!(signed_get(&c, &b, "/members/early").await.status(), 200);

    // B excludes C by override though the network lists it; lifted, the
    // directory applies again.
    let excluded_here = b
        .put_json(
            "/api/v1/network/overrides",
            &b_admin,
            &json!({"actor": c.actor(), "decision": "exclude", "reason": "late deliveries"}),
        )
        .await;
    assert_eq!(excluded_here.status(), 200);
    let excluded_here: Value = excluded_here.json().await.unwrap();
    let exclusion = eventually("B to exclude C by override", 10, || async {
        store.exclusion(&excluded(&c)).await.unwrap()
    })
    .await;
    assert!(
        exclusion.excluded_by.starts_with("network override by"),
        "{exclusion:?}"
    );
    let view = b.api("/api/v1/network/directory", &b_admin).await;
    assert!(
        view["differences"]
            .to_string()
            .contains("excluded here by override"),
        "{view:#}"
    );
    let lifted = b
        .delete_with(
            &format!("/api/v1/network/overrides/{}", excluded_here["id"]),
            &b_admin,
        )
        .await;
    assert_eq!(lifted.status(), 204);
    eventually("B and C to follow each other once more", 30, || async {
        (mutual(&b, &b_admin, &c).await && mutual(&c, &c_admin, &b).await).then_some(())
    })
    .await;

    // The Add and Remove A sent: every term defined by their contexts.
    let sent = a.context.store.activities_after(0, 100).await.unwrap();
    let changes: Vec<Value> = sent
        .iter()
        .map(|row| serde_json::from_str::<Value>(&row.document).unwrap())
        .filter(|document| document["type"] == "Add" || document["type"] == "Remove")
        .collect();
    // Add(B) to B, Add(C) to B and C, Remove(C) to B and C, Add(C) again.
    assert_eq!(changes.len(), 7, "{changes:#?}");
    for change in &changes {
        assert_eq!(change["target"], format!("{network}/members"));
        assert!(change["proof"].is_object());
        assert_terms_defined(&a, "a directory change", change);
    }
    // Joined B, joined C, C left, C joined again: four events.
    eventually("the network.* webhook events", 20, || async {
        (hook.hits("POST", "/hook") == 4).then_some(())
    })
    .await;
    let a_audit = a.api("/api/v1/admin/audit", &a_admin).await;
    assert!(a_audit.to_string().contains("network.member_removed"));
    for node in [a, b, c] {
        node.stop().await;
    }
}
