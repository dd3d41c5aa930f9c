//! Published documents as the ActivityPub side serves them: an object (to
//! whom it exists), a charter's earlier version, an activity, an
//! amendment's `Question` and, once tallied, its counted votes. Whatever is
//! not for the reader does not exist (404, not 403: existence does not
//! leak).

use serde_json::Value;

use crate::apub::activities::ACTIVITIES_PATH;
use crate::apub::signer::SignedRequest;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::kinds::ObjectKind;
use crate::model::{AmendmentRole, AmendmentState};
use crate::visibility;

/// A document to serve, and how.
#[derive(Debug, Clone)]
pub struct Served {
    pub document: Value,
    /// Deleted or withdrawn: served with 410 Gone as a tombstone.
    pub gone: bool,
    /// Readable only by some signers: not to be kept in shared caches.
    pub private: bool,
}

/// A document as stored: written by this node, so unreadable JSON is ours.
pub fn parse_stored(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::Internal(format!("stored document: {e}")))
}

/// The object `local_id` of `kind`. A followers-only or named-peer object
/// exists only for a request signed by a peer allowed to read it; an
/// object outside a signer's sharing scope does not exist for it.
pub async fn object(
    data: &Context,
    kind: ObjectKind,
    local_id: &str,
    request: &SignedRequest<'_>,
) -> Result<Served> {
    let hidden = || Error::NotFound(format!("no {} `{local_id}`", kind.as_str()));
    let row = data
        .store
        .object(kind, local_id)
        .await?
        .ok_or_else(hidden)?;
    // A signed read is judged on the signer's rights and sharing scope
    // (an object outside its scope does not exist for it, even public);
    // an anonymous one sees public objects.
    let allowed = match visibility::signed_reader(data, request).await? {
        Some(rights) => rights.may_read_object(&row),
        None => row.public,
    };
    if !allowed {
        return Err(hidden());
    }
    Ok(Served {
        document: parse_stored(&row.document)?,
        gone: row.deleted_at.is_some(),
        private: !row.public,
    })
}

/// An earlier version of a public charter.
pub async fn charter_version(ctx: &Context, local_id: &str, version: &str) -> Result<Served> {
    let uri = ctx
        .settings
        .url_for(&format!("/charters/{local_id}/versions/{version}"));
    let missing = || Error::NotFound(format!("no version {version} of charter `{local_id}`"));
    let (object_id, found) = ctx
        .store
        .object_version_by_uri(uri.as_str())
        .await?
        .ok_or_else(missing)?;
    let charter = ctx
        .store
        .object(ObjectKind::Charter, local_id)
        .await?
        .ok_or_else(missing)?;
    if charter.id != object_id || !charter.public {
        return Err(missing());
    }
    Ok(Served {
        document: parse_stored(&found.document)?,
        gone: false,
        private: false,
    })
}

/// A hosted amendment of a public charter, by the last segment of its id.
async fn hosted_amendment(ctx: &Context, id: &str) -> Result<crate::store::AmendmentRow> {
    let uri = ctx.settings.url_for(&format!("/amendments/{id}"));
    let missing = || Error::NotFound(format!("no amendment {uri}"));
    let row = ctx
        .store
        .amendment_by_uri(uri.as_str())
        .await?
        .filter(|row| row.role == AmendmentRole::Host)
        .ok_or_else(missing)?;
    let local_id = row.charter_local_id.as_deref().ok_or_else(missing)?;
    let charter = ctx.store.object(ObjectKind::Charter, local_id).await?;
    if !charter.is_some_and(|c| c.public) {
        return Err(missing());
    }
    Ok(row)
}

/// An amendment's signed `Question`, with its results once tallied.
pub async fn amendment(ctx: &Context, id: &str) -> Result<Served> {
    let row = hosted_amendment(ctx, id).await?;
    Ok(Served {
        document: parse_stored(&row.question)?,
        gone: false,
        private: false,
    })
}

/// The counted votes of a tallied amendment, each with its voter's proof,
/// so anyone can check the tally (none while the vote is open).
pub async fn amendment_votes(ctx: &Context, id: &str) -> Result<Served> {
    let row = hosted_amendment(ctx, id).await?;
    if row.state != AmendmentState::Closed {
        return Err(Error::NotFound(format!(
            "the votes on {} are published once tallied",
            row.uri
        )));
    }
    // Exactly the votes the tally counted (the published `votes`).
    let counted: Vec<String> = row
        .result
        .as_deref()
        .map(serde_json::from_str::<crate::amendments::Tally>)
        .transpose()?
        .map(|tally| tally.votes)
        .unwrap_or_default();
    let votes = ctx
        .store
        .amendment_vote_documents(row.id)
        .await?
        .iter()
        .map(|text| parse_stored(text))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|v| {
            v["id"]
                .as_str()
                .is_some_and(|id| counted.iter().any(|c| c == id))
        })
        .collect::<Vec<_>>();
    let document = serde_json::json!({
        "@context": crate::apub::context::ACTIVITY_STREAMS,
        "id": format!("{}/votes", row.uri),
        "type": "Collection",
        "totalItems": votes.len(),
        "items": votes,
    });
    Ok(Served {
        document,
        gone: false,
        private: false,
    })
}

/// A public activity of this node's outbox, by the last segment of its id.
pub async fn activity(ctx: &Context, id: &str) -> Result<Served> {
    let uri = ctx.settings.url_for(&format!("{ACTIVITIES_PATH}/{id}"));
    let row = ctx
        .store
        .activity_by_uri(uri.as_str())
        .await?
        .filter(|row| row.public)
        .ok_or_else(|| Error::NotFound(format!("no activity {uri}")))?;
    Ok(Served {
        document: parse_stored(&row.document)?,
        gone: row.withdrawn,
        private: false,
    })
}
