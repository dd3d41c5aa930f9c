//! Intake: `Create(Proposal)` activities carrying FEP-8b32 proofs, from
//! followed peers, POSTed concurrently to one node's inbox (RFC 9421
//! signed with each peer's Ed25519 key, as Passerelle nodes sign), until
//! every one is verified and in the node's catalog.
//!
//! The activities are made and signed before the clock starts, with the
//! peers' own keys and the node's own proof code: what is timed is the
//! receiving node's work.

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use passerelle::apub::message_signature::{self, PrivateKey};
use passerelle::domain::{follows, outgoing};
use passerelle::model::ActivityKind;
use serde_json::Value;

use crate::fanout::publish_offers;
use crate::harness::{Backend, Running, postgres_server_cpu, process_cpu, start, until};

async fn catalog_size(node: &Running) -> i64 {
    node.node_state
        .store
        .count_catalog_by_kind()
        .await
        .expect("count")
        .iter()
        .map(|(_, count)| count)
        .sum()
}

/// The `Create` a peer published for its template offer, to vary.
async fn template(peer: &Running) -> Value {
    let activities = peer
        .node_state
        .store
        .public_activities_before(None, 20)
        .await
        .expect("activities");
    let create = activities
        .iter()
        .find(|row| row.kind == ActivityKind::Create)
        .expect("the template's Create");
    serde_json::from_str(&create.document).expect("stored activity")
}

/// The `n`th new offer of `peer`, as a signed `Create` and the headers of
/// an RFC 9421 POST to `inbox`.
fn signed_create(
    peer: &Running,
    template: &Value,
    n: usize,
    inbox: &url::Url,
) -> (String, Vec<(&'static str, String)>) {
    let ctx = peer.node_state.app.clone();
    let mut object = template["object"].clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("proof");
    }
    let object_id = format!("{}/offers/ingress-{n}", peer.base);
    object["id"] = Value::from(object_id.clone());
    object["name"] = Value::from(format!("Ingress {n}"));
    let object = outgoing::sign(&ctx, &object).expect("proof");
    let mut activity = template.clone();
    if let Some(map) = activity.as_object_mut() {
        map.remove("proof");
    }
    activity["id"] = Value::from(format!("{object_id}/create-ingress"));
    activity["object"] = object;
    let activity = if template.get("proof").is_some() {
        outgoing::sign(&ctx, &activity).expect("activity proof")
    } else {
        activity
    };
    let body = activity.to_string();
    let key_id = passerelle::apub::actor::ed25519_key_id(&ctx.settings, &ctx.keys()).to_string();
    let headers = message_signature::sign(
        &axum::http::Method::POST,
        inbox,
        Some(("application/activity+json", body.as_bytes())),
        &[],
        &key_id,
        &PrivateKey::Ed25519(&ctx.keys().ed25519),
        &[],
    )
    .expect("RFC 9421 signature");
    (body, headers)
}

/// Activities/s accepted and stored by a node on `backend`, from `peers`
/// followed peers sending `per_peer` proposals each, all at once.
pub async fn proposals(
    dir: &std::path::Path,
    backend: Backend,
    peers: usize,
    per_peer: usize,
) -> f64 {
    let node = start(dir, &format!("ingress{}", backend.label()), backend).await;
    let mut senders = Vec::new();
    for n in 0..peers {
        let peer = start(
            dir,
            &format!("ingress{}peer{n}", backend.label()),
            Backend::Sqlite,
        )
        .await;
        follows::follow(&node.node_state, &peer.handle, "bench")
            .await
            .expect("follow");
        senders.push(peer);
    }
    let store = &node.node_state.store;
    until(Duration::from_secs(120), || async {
        store
            .follows_out(Some(passerelle::model::FollowingState::Active))
            .await
            .expect("follows")
            .len()
            == peers
    })
    .await;
    // One offer each, delivered the ordinary way: the node then knows
    // every peer's keys, and the offer's shape is the template.
    for peer in &senders {
        publish_offers(&peer.node_state, "Template", 1).await;
    }
    let baseline = peers as i64;
    let known = until(Duration::from_secs(120), || async {
        catalog_size(&node).await >= baseline
    })
    .await;
    assert!(known, "the template offers did not arrive");

    let inbox = node.node_state.settings.url_for("/inbox");
    let mut requests = Vec::new();
    for peer in &senders {
        let template = template(peer).await;
        for n in 0..per_peer {
            requests.push(signed_create(peer, &template, n, &inbox));
        }
    }
    let client = reqwest::Client::new();
    let total = requests.len();
    let cpu_before = (process_cpu(), postgres_server_cpu());
    let started = Instant::now();
    let refused = futures::stream::iter(requests)
        .map(|(body, headers)| {
            let mut request = client
                .post(inbox.clone())
                .header("content-type", "application/activity+json")
                .body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            async move {
                let response = request.send().await.expect("POST");
                let status = response.status();
                if status.is_success() {
                    return 0;
                }
                eprintln!(
                    "intake refused: {status} {}",
                    response.text().await.unwrap_or_default()
                );
                1
            }
        })
        .buffer_unordered(peers.max(1))
        .fold(0, |sum, refused| async move { sum + refused })
        .await;
    let answered = started.elapsed();
    assert_eq!(refused, 0, "the node refused proposals");
    let expected = baseline + total as i64;
    until(Duration::from_secs(600), || async {
        catalog_size(&node).await >= expected
    })
    .await;
    let elapsed = started.elapsed();
    let node_cpu = process_cpu() - cpu_before.0;
    let server_cpu = postgres_server_cpu().saturating_sub(cpu_before.1);
    let stored = catalog_size(&node).await - baseline;
    let rate = stored as f64 / elapsed.as_secs_f64();
    // The template offers came one at a time, before the clock started:
    // they count as batches of one.
    let batches = node.node_state.metrics.inbox_batch_size.get_sample_count();
    let batched = node.node_state.metrics.inbox_batch_size.get_sample_sum();
    println!(
        "intake ({}): {total} Create(Proposal) from {peers} peers, all answered in {answered:.2?} \
         ({refused} refused), {stored} stored in {elapsed:.2?} = {rate:.0}/s; \
         {batched:.0} activities written in {batches} transactions",
        backend.label()
    );
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "intake ({}): CPU over those {elapsed:.2?} × {cores} cores: the bench process \
         (the node, its idle peers, the client) {node_cpu:.2?}, PostgreSQL's server \
         processes {server_cpu:.2?}",
        backend.label()
    );
    for running in senders.into_iter().chain(std::iter::once(node)) {
        running.stop().await;
    }
    rate
}
