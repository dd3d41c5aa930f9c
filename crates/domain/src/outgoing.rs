//! Messages to one peer (Follow, Accept, Reject, Undo, key updates): signed
//! and recorded in the activity log, where the delivery workers pick them
//! up, so a decision is never lost between the database and the network.

use crate::model::PeerId;
use serde_json::{Value, json};
use url::Url;

use crate::apub::activities;
use crate::apub::actor::{actor_id, ed25519_key_id};
use crate::apub::context::PUBLIC_COLLECTION;
use crate::apub::proof::{self, ProofOptions};
use crate::change;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::ActivityKind;
use crate::model::Audience;
use crate::model::time;
use crate::store::{ChangeTx, NewActivity, PeerRow};

/// Adds the node's integrity proof to an activity.
pub fn sign(ctx: &Context, document: &Value) -> Result<Value> {
    let keys = ctx.keys();
    let method = ed25519_key_id(&ctx.settings, &keys).to_string();
    let created = time::proof_created();
    proof::sign(
        document,
        &keys.ed25519,
        &ProofOptions {
            verification_method: &method,
            created: &created,
        },
    )
    .map_err(|e| Error::Internal(format!("signing: {e}")))
}

/// Records an activity for one peer; the delivery workers send it.
pub async fn send_to_peer(
    ctx: &Context,
    peer_id: PeerId,
    kind: ActivityKind,
    id: &Url,
    document: &Value,
) -> Result<()> {
    ctx.store.ensure_delivery_stream(peer_id).await?;
    let mut tx = change::begin(ctx).await?;
    record_for_peer(ctx, &mut tx, peer_id, kind, id, document).await?;
    change::commit(ctx, tx).await
}

/// Records an activity for one peer inside `tx`, with the change that
/// caused it; the caller commits, then wakes the delivery workers. The
/// peer's delivery stream must exist (`Store::ensure_delivery_stream`).
pub async fn record_for_peer(
    ctx: &Context,
    tx: &mut ChangeTx,
    peer_id: PeerId,
    kind: ActivityKind,
    id: &Url,
    document: &Value,
) -> Result<()> {
    let signed = sign(ctx, document)?;
    let text = serde_json::to_string(&signed)?;
    tx.insert_activity(&NewActivity {
        uri: id.as_str(),
        kind,
        object_id: None,
        target_peer_id: Some(peer_id),
        audience: &Audience::Peers(Vec::new()),
        public: false,
        document: &text,
    })
    .await?;
    Ok(())
}

/// Records one activity of `kind` for each of `peers`, the document built
/// by `build` from its fresh id and the peer's actor; the caller commits.
/// Their delivery streams must exist.
pub(crate) async fn send_each(
    ctx: &Context,
    tx: &mut ChangeTx,
    peers: &[PeerRow],
    kind: ActivityKind,
    build: impl Fn(&Url, &Url) -> Result<Value>,
) -> Result<()> {
    for peer in peers {
        let actor = Url::parse(&peer.actor_uri)?;
        let id = activities::new_activity_id(&ctx.settings);
        let activity = build(&id, &actor)?;
        record_for_peer(ctx, tx, peer.id, kind, &id, &activity).await?;
    }
    Ok(())
}

/// Tells every peer the node talks to that its actor changed (after a key
/// rotation): an `Update` of the actor, signed with the new key.
pub async fn announce_actor(ctx: &Context) -> Result<usize> {
    let actor = serde_json::to_value(crate::moving::actor(ctx).await?)?;
    let peers = ctx.store.delivery_peer_ids().await?;
    for peer_id in &peers {
        let id = activities::new_activity_id(&ctx.settings);
        let update = json!({
            "@context": actor["@context"],
            "id": id,
            "type": activities::update::TYPE,
            "actor": actor_id(&ctx.settings),
            "object": actor,
            "to": [PUBLIC_COLLECTION],
        });
        send_to_peer(ctx, *peer_id, activities::update::TYPE, &id, &update).await?;
    }
    Ok(peers.len())
}
