//! Reading a peer's charter commitments, to show admins (and the charter
//! admission policy) whether a requester committed to the charter, and
//! whether its commitment is really signed by it.

use serde_json::Value;
use url::Url;

use crate::apub::fetch;
use crate::apub::objects::charter::parse_version_uri;
use crate::apub::objects::kind_of;
use crate::apub::peer::{Peer, domain_of};
use crate::apub::verification::verify_with_actor;
use crate::context::Context;
use crate::model::kinds::ObjectKind;
use crate::policy::CommitmentCheck;

/// Commitments listed beyond this are not examined.
const MAX_COMMITMENTS: usize = 20;

/// The peer's public commitments, each with its proof checked against the
/// peer's `assertionMethod` key. Unreachable collections give an empty list
/// (logged): the admin then sees "no commitment found".
pub async fn check_peer_commitments(data: &Context, peer: &Peer) -> Vec<CommitmentCheck> {
    match fetch_commitments(data, peer).await {
        Ok(checks) => checks,
        Err(reason) => {
            tracing::info!(peer = %peer.row.actor_uri, reason, "could not read the peer's commitments");
            Vec::new()
        }
    }
}

async fn fetch_commitments(data: &Context, peer: &Peer) -> Result<Vec<CommitmentCheck>, String> {
    let actor = peer.actor_document();
    let Some(collection) = actor.get("commitments").and_then(Value::as_str) else {
        return Ok(Vec::new());
    };
    let collection = Url::parse(collection).map_err(|e| e.to_string())?;
    if domain_of(&collection) != peer.row.domain {
        return Err("the commitments collection is on another host".into());
    }
    let client = data.http.clone();
    let document = fetch::fetch_document(&client, &collection)
        .await
        .map_err(|e| e.to_string())?;
    let page = match document.get("first") {
        Some(Value::String(first)) => {
            let first = Url::parse(first).map_err(|e| e.to_string())?;
            if domain_of(&first) != peer.row.domain {
                return Err("the commitments page is on another host".into());
            }
            fetch::fetch_document(&client, &first)
                .await
                .map_err(|e| e.to_string())?
        }
        Some(embedded @ Value::Object(_)) => embedded.clone(),
        _ => document,
    };
    let items = page
        .get("orderedItems")
        .or_else(|| page.get("items"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(items
        .iter()
        .filter(|item| kind_of(item) == Some(ObjectKind::Commitment))
        .take(MAX_COMMITMENTS)
        .map(|item| check(&actor, peer, item))
        .collect())
}

fn check(actor: &Value, peer: &Peer, commitment: &Value) -> CommitmentCheck {
    let id = commitment
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let charter = commitment
        .get("charter")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let version = charter
        .as_deref()
        .and_then(|c| Url::parse(c).ok())
        .and_then(|c| parse_version_uri(&c))
        .map(|(_, v)| v);
    let problem = verify(actor, peer, &id, commitment).err();
    CommitmentCheck {
        id,
        charter,
        version,
        valid: problem.is_none(),
        problem,
        published: commitment
            .get("published")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

fn verify(actor: &Value, peer: &Peer, id: &str, commitment: &Value) -> Result<(), String> {
    let id = Url::parse(id).map_err(|_| "the commitment has no valid id".to_owned())?;
    if domain_of(&id) != peer.row.domain {
        return Err("the commitment is not on the peer's host".into());
    }
    verify_with_actor(actor, commitment).map_err(|e| e.to_string())
}
