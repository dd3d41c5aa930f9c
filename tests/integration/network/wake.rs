//! A member node applies a directory change when the host announces it,
//! not at its next period: the host's `Add` / `Remove` wake its task.

use std::time::Duration;

use serde_json::Value;

use super::{CHARTER, admit, member_of, publish_charter};
use crate::on_both_backends;
use crate::rig::federation::commit_to_charter;
use crate::rig::federation::{admin, node_named};
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(announced_changes_are_applied_at_once);

/// Whether `member` lists `node` in its mirror of the network, as `listed`.
async fn mirrored_as(member: &TestNode, token: &str, node: &TestNode, listed: bool) -> bool {
    let view = member.api("/api/v1/network/directory", token).await;
    view["networks"][0]["members"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|m: &Value| m["actor"] == node.actor() && m["listed"] == listed)
}

async fn announced_changes_are_applied_at_once(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "pec", |_| {}).await;
    let network = publish_charter(&a).await;
    // A period far longer than the test: only the announcement can wake it.
    let (b, _b_db) = node_named(&db, "foodhub", |s| {
        member_of(&network)(s);
        s.federation.network_sync_every = Duration::from_secs(3600);
    })
    .await;
    commit_to_charter(&a, &b).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let view = b.api("/api/v1/network/directory", &b_admin).await;
    assert_eq!(view["networks"][0]["network"], network.as_str());
    assert_eq!(admit(&a, &a_admin, &b).await.status(), 201);
    eventually("B to mirror its admission", 10, || async {
        mirrored_as(&b, &b_admin, &b, true).await.then_some(())
    })
    .await;
    let b_peer = a
        .context
        .store
        .peer_by_uri(&b.actor())
        .await
        .unwrap()
        .unwrap()
        .id;
    let removed = a
        .delete_with(
            &format!("/api/v1/network/members/{b_peer}?charter={CHARTER}"),
            &a_admin,
        )
        .await;
    assert_eq!(removed.status(), 204);
    eventually("B to mirror its removal", 10, || async {
        mirrored_as(&b, &b_admin, &b, false).await.then_some(())
    })
    .await;
    a.stop().await;
    b.stop().await;
}
