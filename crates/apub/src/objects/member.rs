//! Members: `Person` or `Organization` objects (not actors) with the
//! network vocabulary's membership terms.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::actor::actor_id;
use crate::error::Result;
use crate::model::payload::MemberPayload;
use crate::objects::field;
use passerelle_config::Settings;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberBody {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    /// The platform the member belongs to.
    pub member_of: Url,
}

impl MemberBody {
    pub fn from_payload(settings: &Settings, member: &MemberPayload) -> MemberBody {
        MemberBody {
            name: member.name.clone(),
            summary: member.summary.clone(),
            role: member.role.clone(),
            joined: member.joined.clone(),
            region: member.region.clone(),
            url: member.url.clone(),
            member_of: actor_id(settings),
        }
    }
}

#[derive(Deserialize)]
struct IncomingMember {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    summary: Option<String>,
    role: String,
    #[serde(default)]
    joined: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    url: Option<Url>,
}

/// The member payload a `Person` / `Organization` object expresses.
pub fn payload_from_object(object: &Value) -> Result<Value> {
    let member: IncomingMember = field(object)?;
    Ok(serde_json::to_value(MemberPayload {
        kind: member.kind,
        name: member.name,
        summary: member.summary,
        role: member.role,
        joined: member.joined,
        region: member.region,
        url: member.url,
        audience: None,
    })?)
}
