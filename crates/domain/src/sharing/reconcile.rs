//! What a change of a follower's scope sends it, inside the same change:
//! a `Delete` of each object it holds (by the ledger) or could have read
//! (backfill) that the new scope no longer covers, and the objects the new
//! scope newly covers.

use serde_json::Value;
use url::Url;

use crate::apub::activities::{self, create};
use crate::context::Context;
use crate::documents::parse_stored;
use crate::error::Result;
use crate::model::{ActivityKind, Audience, SharingScope};
use crate::outgoing;
use crate::publish;
use crate::sharing::covers_stored;
use crate::store::{ChangeTx, NewActivity, ObjectRow, PeerRow};
use crate::visibility::ReaderRights;

/// What a scope change recorded for the peer.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    /// `Delete`s of objects it holds and may no longer hold.
    pub withdrawn: usize,
    /// Objects newly covered, sent to it.
    pub sent: usize,
}

/// Who the scope changes for, looked up before the change begins.
pub struct ScopeChange<'a> {
    pub peer: &'a PeerRow,
    /// The peer's reading rights (audiences), to send it only objects
    /// whose audience includes it.
    pub rights: &'a ReaderRights,
    pub approved_follower: bool,
    pub before: &'a SharingScope,
    pub after: &'a SharingScope,
    /// When the new scope took effect (ms), which names its activities.
    pub since: i64,
}

/// Records, in `tx`, the activities the peer is owed by the change. The
/// peer's delivery stream must exist.
pub async fn reconcile(
    ctx: &Context,
    tx: &mut ChangeTx,
    change: &ScopeChange<'_>,
) -> Result<Reconciled> {
    let mut done = Reconciled::default();
    for (object, held) in tx.live_objects_held_by(change.peer.id).await? {
        let covered = covers_stored(change.after, object.kind, &object.payload);
        let covered_before = covers_stored(change.before, object.kind, &object.payload);
        // What it may read as a follower: it may hold it without the
        // ledger knowing (its backfill read it), so it is told too.
        let readable =
            change.approved_follower && (object.public || change.rights.may_read(&object.audience));
        if !covered && (held || (covered_before && readable)) {
            withdraw(ctx, tx, change, &object).await?;
            done.withdrawn += 1;
        } else if !held && covered && !covered_before && readable {
            send(ctx, tx, change, &object).await?;
            done.sent += 1;
        }
    }
    Ok(done)
}

/// A `Delete` of `object` for the peer alone, as a narrowed audience sends.
async fn withdraw(
    ctx: &Context,
    tx: &mut ChangeTx,
    change: &ScopeChange<'_>,
    object: &ObjectRow,
) -> Result<()> {
    // The id derives from the scope change, the object and the peer, so a
    // retry of the delivery sends the same activity.
    let because_of = format!("scope:{}:{}", change.since, object.uri);
    let document = publish::withdrawal_for(ctx, &object.uri, &because_of, &change.peer.actor_uri)?;
    let id = serde_json::from_str::<Value>(&document)?
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_default();
    insert_for_peer(tx, change, object, ActivityKind::Delete, &id, &document).await
}

/// A `Create` of `object` (its current signed document) for the peer alone.
async fn send(
    ctx: &Context,
    tx: &mut ChangeTx,
    change: &ScopeChange<'_>,
    object: &ObjectRow,
) -> Result<()> {
    let id = activities::new_activity_id(&ctx.settings);
    let peer = Url::parse(&change.peer.actor_uri)?;
    let activity = activities::document(
        &ctx.settings,
        create::TYPE,
        id.clone(),
        parse_stored(&object.document)?,
        &Audience::Peers(vec![peer]),
        &crate::model::time::now(),
    )?;
    let document = serde_json::to_string(&outgoing::sign(ctx, &activity)?)?;
    insert_for_peer(tx, change, object, create::TYPE, id.as_str(), &document).await
}

async fn insert_for_peer(
    tx: &mut ChangeTx,
    change: &ScopeChange<'_>,
    object: &ObjectRow,
    kind: ActivityKind,
    id: &str,
    document: &str,
) -> Result<()> {
    let audience = Audience::Peers(vec![Url::parse(&change.peer.actor_uri)?]);
    tx.insert_activity(&NewActivity {
        uri: id,
        kind,
        object_id: Some(object.id),
        target_peer_id: Some(change.peer.id),
        audience: &audience,
        public: false,
        document,
    })
    .await?;
    Ok(())
}
