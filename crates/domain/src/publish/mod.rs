//! Publication: the one path by which a platform's data becomes signed
//! ActivityStreams objects. The REST API, client-to-server `POST /outbox`
//! and the DFC import all end here. Each change is validated, signed,
//! stored and recorded as an activity in one transaction, so what the API
//! acknowledged is durable and a delivery queue can be fed from the
//! activity log without loss. One API in two steps: `prepare` validates a
//! payload outside any transaction, `publish_in` publishes it inside the
//! caller's change (an agreement's stock, an adopted charter, a DFC import
//! run commit with the caller's own, or not at all); `upsert` is the two
//! in a change of its own. `delete_in` withdraws inside a change.

mod client;
mod deletion;
mod publication;
mod rules;

use serde_json::Value;
use url::Url;

use crate::apub::activities::{self, create, delete, update};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::ActivityKind;
use crate::model::ObjectId;
use crate::model::kinds::{Audience, ObjectKind, valid_local_id};
use crate::model::time;
use crate::outgoing::sign;
use crate::store::{NewActivity, ObjectRow};

pub use client::apply_client_activity;
pub use deletion::{delete, delete_in};
pub use publication::{Prepared, prepare, publish_in, upsert};

/// What a publication request changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Created,
    Updated,
    Unchanged,
    Deleted,
}

#[derive(Debug, Clone)]
pub struct Published {
    pub change: Change,
    pub object: ObjectRow,
    /// The activity recorded, if the request published one.
    pub activity_uri: Option<String>,
}

/// The URL of a local object.
pub fn object_uri(ctx: &Context, kind: ObjectKind, local_id: &str) -> Url {
    ctx.settings
        .url_for(&format!("/{}/{local_id}", kind.collection()))
}

/// The kind and local id of a URL naming one of this node's objects.
pub fn parse_object_uri(ctx: &Context, uri: &Url) -> Option<(ObjectKind, String)> {
    if uri.origin() != ctx.settings.public_url.origin() {
        return None;
    }
    let mut segments = uri.path_segments()?;
    let kind = ObjectKind::from_collection(segments.next()?)?;
    let local_id = segments.next()?;
    (segments.next().is_none() && valid_local_id(local_id)).then(|| (kind, local_id.to_owned()))
}

pub(super) fn check_local_id(local_id: &str) -> Result<()> {
    if valid_local_id(local_id) {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "`{local_id}` is not a valid id: 1 to 128 characters among letters, digits, `-`, `_`, `.` and `~`"
        )))
    }
}

pub(super) fn to_json(value: &impl serde::Serialize) -> Result<String> {
    Ok(serde_json::to_string(value)?)
}

pub(super) fn change_type(change: Change) -> ActivityKind {
    match change {
        Change::Created => create::TYPE,
        Change::Deleted => delete::TYPE,
        Change::Updated | Change::Unchanged => update::TYPE,
    }
}

pub(super) async fn record_activity(
    tx: &mut crate::store::ChangeTx,
    id: &Url,
    kind: ActivityKind,
    object_id: ObjectId,
    audience: &Audience,
    signed: &Value,
) -> Result<()> {
    tx.insert_activity(&NewActivity {
        uri: id.as_str(),
        kind,
        object_id: Some(object_id),
        target_peer_id: None,
        audience,
        public: audience.is_public(),
        document: &to_json(signed)?,
    })
    .await?;
    Ok(())
}

/// A `Delete` of `object_uri` for one peer that holds the object but is no
/// longer in its audience (it was narrowed, or the peer stopped being a
/// follower). Its id derives from the activity that narrowed the audience
/// and the peer, so a retry sends the same activity.
pub fn withdrawal_for(
    ctx: &Context,
    object_uri: &str,
    because_of: &str,
    peer_actor: &str,
) -> Result<String> {
    let object = Url::parse(object_uri)?;
    let peer = Url::parse(peer_actor)?;
    let seed = format!("{because_of}|{peer_actor}");
    let id = ctx.settings.url_for(&format!(
        "{}/{}",
        crate::apub::activities::ACTIVITIES_PATH,
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes())
    ));
    let now = time::now();
    let activity = activities::document(
        &ctx.settings,
        delete::TYPE,
        id,
        Value::String(object.to_string()),
        &Audience::Peers(vec![peer]),
        &now,
    )?;
    to_json(&sign(ctx, &activity)?)
}
