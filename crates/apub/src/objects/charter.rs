//! Charters: versioned documents with an ordered list of principles. The
//! object at `/charters/{id}` is the current version; each version is also
//! served at `/charters/{id}/versions/{n}`, which is what commitments name.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::error::Result;
use crate::model::payload::{CharterPayload, Principle};
use crate::objects::field;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipleObject {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CharterBody {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    pub version: i64,
    pub current_version: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<Url>,
    pub principles: Vec<PrincipleObject>,
}

/// URI of version `version` of the charter at `charter_uri`.
pub fn version_uri(charter_uri: &Url, version: i64) -> Url {
    let mut uri = charter_uri.clone();
    uri.set_fragment(None);
    let path = format!("{}/versions/{version}", uri.path().trim_end_matches('/'));
    uri.set_path(&path);
    uri
}

/// The charter URI and version number a version URI designates, if it has
/// the shape this node gives version URIs.
pub fn parse_version_uri(uri: &Url) -> Option<(Url, i64)> {
    let path = uri.path();
    let (charter_path, version) = path.rsplit_once("/versions/")?;
    let version: i64 = version.parse().ok().filter(|v| *v >= 1)?;
    let mut charter = uri.clone();
    charter.set_path(charter_path);
    charter.set_fragment(None);
    charter.set_query(None);
    Some((charter, version))
}

impl CharterBody {
    pub fn from_payload(uri: &Url, version: i64, charter: &CharterPayload) -> CharterBody {
        let current = version_uri(uri, version);
        CharterBody {
            name: charter.name.clone(),
            content: charter.content.clone(),
            url: charter.url.clone(),
            version,
            previous_version: (version > 1).then(|| version_uri(uri, version - 1)),
            principles: charter
                .principles
                .iter()
                .map(|p| {
                    let mut id = current.clone();
                    id.set_fragment(Some(&p.key));
                    PrincipleObject {
                        id,
                        kind: "Principle".to_owned(),
                        name: p.name.clone(),
                        content: p.content.clone(),
                    }
                })
                .collect(),
            current_version: current,
        }
    }
}

/// The document of one version: the charter as it was, under the version's
/// own id and linked to the charter it is a version of.
pub fn version_document(charter_document: &Value, version_uri: &Url) -> Value {
    let mut document = charter_document.clone();
    if let Value::Object(fields) = &mut document {
        let charter_id = fields.get("id").cloned().unwrap_or(Value::Null);
        fields.remove("proof");
        fields.remove("currentVersion");
        fields.insert("id".to_owned(), Value::String(version_uri.to_string()));
        fields.insert("versionOf".to_owned(), charter_id);
    }
    document
}

#[derive(Deserialize)]
struct IncomingCharter {
    name: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    url: Option<Url>,
    principles: Vec<IncomingPrinciple>,
}

#[derive(Deserialize)]
struct IncomingPrinciple {
    #[serde(default)]
    id: Option<Url>,
    name: String,
    content: String,
}

/// The charter payload a `Charter` object expresses; each principle's key is
/// its id's fragment (or its position when it has none).
pub fn payload_from_object(object: &Value) -> Result<Value> {
    let charter: IncomingCharter = field(object)?;
    let principles = charter
        .principles
        .into_iter()
        .enumerate()
        .map(|(index, p)| Principle {
            key: p
                .id
                .as_ref()
                .and_then(Url::fragment)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("p{}", index + 1)),
            name: p.name,
            content: p.content,
        })
        .collect();
    Ok(serde_json::to_value(CharterPayload {
        name: charter.name,
        content: charter.content,
        principles,
        url: charter.url,
        audience: None,
    })?)
}
