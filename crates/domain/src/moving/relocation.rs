//! The archive for the node's new address (`passerelle export
//! --moving-to URL`): every row as `archive::export` writes it, except that
//! what the node published (its objects, their versions, its activities)
//! names the new address, with its integrity proofs made again by the same
//! key under the new actor's verification method, and that the new node
//! lists the old actor as an earlier address (its `alsoKnownAs`). The keys,
//! the relationships, the ledger and the history are carried as they are.

use serde_json::{Map, Value, json};
use url::Url;

use crate::apub::actor::{actor_id, ed25519_key_id};
use crate::apub::proof::{self, ProofOptions};
use crate::archive::RowRewrite;
use crate::error::{Error, Result};
use crate::identity;
use crate::model::keys::NodeKeys;
use crate::model::time;
use crate::store::{Store, now_millis};
use passerelle_config::Settings;

/// The tables of what the node published, whose ids name its address.
const PUBLISHED: [&str; 3] = ["objects", "object_versions", "activities"];

/// How the rows change for the new address.
pub struct Relocation {
    /// The old address's origin, as every id of the node starts (`https://old.example/`).
    from: String,
    /// The new one's.
    to: String,
    old_actor: String,
    new_actor: String,
    /// The verification method of the signing key under the new actor.
    method: String,
    keys: NodeKeys,
    created: String,
    recorded_at: i64,
}

/// The origin of a node's address, as its ids start.
fn base(url: &Url) -> String {
    format!("{}/", url.origin().ascii_serialization())
}

/// The settings of the node at its new public URL.
pub fn at_new_address(settings: &Settings, to: &Url) -> Result<Settings> {
    if !matches!(to.scheme(), "http" | "https")
        || to.host_str().is_none()
        || to.path() != "/"
        || to.query().is_some()
        || to.fragment().is_some()
    {
        return Err(Error::BadRequest(format!(
            "{to} is not a node's public URL (scheme, host and port only, as `public_url`)"
        )));
    }
    if to.origin() == settings.public_url.origin() {
        return Err(Error::BadRequest(format!(
            "{to} is this node's own address"
        )));
    }
    let mut moved = settings.clone();
    moved.public_url = to.clone();
    Ok(moved)
}

impl Relocation {
    /// The rewrite of this node's rows for its new public URL `to`.
    pub async fn prepare(store: &Store, settings: &Settings, to: &Url) -> Result<Relocation> {
        let moved = at_new_address(settings, to)?;
        let keys = identity::stored_keys(store).await?;
        Ok(Relocation {
            from: base(&settings.public_url),
            to: base(to),
            old_actor: actor_id(settings).to_string(),
            new_actor: actor_id(&moved).to_string(),
            method: ed25519_key_id(&moved, &keys).to_string(),
            created: time::proof_created(),
            recorded_at: now_millis(),
            keys,
        })
    }

    /// Makes again, bottom up (an embedded object before the activity
    /// around it), every proof of the node's in `value`.
    fn sign_again(&self, value: &mut Value) -> Result<()> {
        match value {
            Value::Object(map) => {
                for (name, child) in map.iter_mut() {
                    if name != "proof" {
                        self.sign_again(child)?;
                    }
                }
                let ours = map
                    .get("proof")
                    .and_then(|proof| proof.get("verificationMethod"))
                    .and_then(Value::as_str)
                    .is_some_and(|method| method.starts_with(&self.new_actor));
                if ours {
                    *value = proof::sign(
                        value,
                        &self.keys.ed25519,
                        &ProofOptions {
                            verification_method: &self.method,
                            created: &self.created,
                        },
                    )
                    .map_err(|e| Error::Internal(format!("signing: {e}")))?;
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.sign_again(item)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl RowRewrite for Relocation {
    fn rewrite(&self, table: &str, row: &mut Map<String, Value>) -> Result<bool> {
        if table == "node_addresses" {
            // The new node has not moved, and is not its own earlier address.
            let uri = row.get("actor_uri").and_then(Value::as_str);
            let relation = row.get("relation").and_then(Value::as_str);
            return Ok(relation == Some("earlier") && uri != Some(self.new_actor.as_str()));
        }
        if !PUBLISHED.contains(&table) {
            return Ok(true);
        }
        for (column, cell) in row.iter_mut() {
            let Value::String(text) = cell else { continue };
            if !text.contains(&self.from) {
                continue;
            }
            let moved = text.replace(&self.from, &self.to);
            *text = if column == "document" {
                let mut document: Value = serde_json::from_str(&moved)?;
                self.sign_again(&mut document)?;
                serde_json::to_string(&document)?
            } else {
                moved
            };
        }
        Ok(true)
    }

    fn added(&self, table: &str) -> Vec<Map<String, Value>> {
        if table != "node_addresses" {
            return Vec::new();
        }
        let row = json!({
            "actor_uri": self.old_actor,
            "relation": "earlier",
            "recorded_at": self.recorded_at,
        });
        row.as_object().cloned().into_iter().collect()
    }
}
