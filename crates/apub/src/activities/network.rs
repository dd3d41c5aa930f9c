//! A network's member directory on the wire: the signed
//! `OrderedCollection` of `NetworkMember` entries the charter's host
//! serves at `{charter}/members`, and the `Add` / `Remove` of one entry it
//! sends every member. Read leniently (unknown properties are ignored).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::actor::actor_id;
use crate::context::object_context;
use crate::error::{Error, Result};
use crate::model::ActivityKind;
use passerelle_config::Settings;

/// The type of a directory entry.
pub const MEMBER_TYPE: &str = "NetworkMember";
/// Where a charter's directory is served, below the charter's id.
pub const MEMBERS_SEGMENT: &str = "members";

/// The directory of the charter at `charter`: `{charter}/members`.
pub fn directory_uri(charter: &Url) -> Url {
    let mut uri = charter.clone();
    uri.set_path(&format!(
        "{}/{MEMBERS_SEGMENT}",
        charter.path().trim_end_matches('/')
    ));
    uri.set_query(None);
    uri.set_fragment(None);
    uri
}

/// One member of a network: since when, under which charter version.
/// In a `Remove`, only `actor` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkMember {
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Url>,
}

impl NetworkMember {
    pub fn new(actor: Url, since: Option<String>, version: Option<Url>) -> NetworkMember {
        NetworkMember {
            kind: MEMBER_TYPE.to_owned(),
            actor,
            since,
            version,
        }
    }

    /// Whether `object` is a directory entry.
    pub fn is_member(object: &Value) -> bool {
        object.get("type").and_then(Value::as_str) == Some(MEMBER_TYPE)
    }
}

/// The directory as served (before its proof is added).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct DirectoryDocument<'a> {
    #[serde(rename = "@context")]
    context: Value,
    id: Url,
    #[serde(rename = "type")]
    kind: &'static str,
    attributed_to: Url,
    network: &'a Url,
    updated: &'a str,
    total_items: usize,
    ordered_items: &'a [NetworkMember],
}

/// The unsigned directory of the network whose charter is `charter`.
pub fn directory_document(
    settings: &Settings,
    charter: &Url,
    updated: &str,
    members: &[NetworkMember],
) -> Result<Value> {
    serde_json::to_value(DirectoryDocument {
        context: object_context(settings),
        id: directory_uri(charter),
        kind: "OrderedCollection",
        attributed_to: actor_id(settings),
        network: charter,
        updated,
        total_items: members.len(),
        ordered_items: members,
    })
    .map_err(|e| Error::Internal(format!("directory shape: {e}")))
}

/// A directory as fetched from a network's host.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    pub id: Url,
    pub attributed_to: Url,
    pub network: Url,
    #[serde(default)]
    pub ordered_items: Vec<NetworkMember>,
}

/// `Add` or `Remove` of a directory entry, as sent.
#[derive(Debug, Clone, Serialize)]
struct ChangeDocument<'a> {
    #[serde(rename = "@context")]
    context: Value,
    id: &'a Url,
    #[serde(rename = "type")]
    kind: ActivityKind,
    actor: Url,
    object: &'a NetworkMember,
    target: Url,
    to: &'a [Url],
    published: &'a str,
}

/// The unsigned `Add` (`Remove`) of `member` to (from) the directory of
/// `charter`, addressed to `to`.
pub fn change_document(
    settings: &Settings,
    kind: ActivityKind,
    id: &Url,
    charter: &Url,
    member: &NetworkMember,
    to: &[Url],
    published: &str,
) -> Result<Value> {
    serde_json::to_value(ChangeDocument {
        context: object_context(settings),
        id,
        kind,
        actor: actor_id(settings),
        object: member,
        target: directory_uri(charter),
        to,
        published,
    })
    .map_err(|e| Error::Internal(format!("directory change shape: {e}")))
}

/// Whether a received change adds or removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ChangeKind {
    Add,
    Remove,
}

/// A received `Add` / `Remove` of a directory entry.
#[derive(Debug, Clone, Deserialize)]
pub struct DirectoryChange {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: ChangeKind,
    pub actor: Url,
    pub object: NetworkMember,
    pub target: Url,
}

impl DirectoryChange {
    /// Whether `envelope` is an `Add` / `Remove` of a directory entry (an
    /// `Add` of anything else, a featured post, is not).
    pub fn is_change(envelope: &Value) -> bool {
        matches!(
            envelope.get("type").and_then(Value::as_str),
            Some("Add" | "Remove")
        ) && envelope.get("object").is_some_and(NetworkMember::is_member)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_is_beside_the_charter() {
        let charter = Url::parse("https://a.example/charters/pec").unwrap();
        assert_eq!(
            directory_uri(&charter).as_str(),
            "https://a.example/charters/pec/members"
        );
    }

    #[test]
    fn changes_are_told_from_other_adds() {
        let add = serde_json::json!({"id": "https://a.example/activities/1", "type": "Add",
            "actor": "https://a.example/actor", "target": "https://a.example/charters/pec/members",
            "object": {"type": "NetworkMember", "actor": "https://b.example/actor", "extra": 1}});
        assert!(DirectoryChange::is_change(&add));
        let change: DirectoryChange = serde_json::from_value(add).unwrap();
        assert_eq!(change.kind, ChangeKind::Add);
        let featured = serde_json::json!({"type": "Add", "object": {"type": "Note"}});
        assert!(!DirectoryChange::is_change(&featured));
    }
}
