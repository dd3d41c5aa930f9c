//! The node's actor: one `Organization` per platform.

use activitypub_federation::protocol::public_key::PublicKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::context::{
    ACTIVITY_STREAMS, DATA_INTEGRITY, MULTIKEY_V1, NETWORK_CONTEXT_PATH, SECURITY_V1,
};
use crate::model::keys::NodeKeys;
use crate::model::time::format_millis;
use passerelle_config::Settings;

/// Paths of the node's actor and its collections, relative to the public URL.
pub const ACTOR_PATH: &str = "/actor";
pub const INBOX_PATH: &str = "/inbox";
pub const OUTBOX_PATH: &str = "/outbox";
pub const FOLLOWERS_PATH: &str = "/followers";
pub const FOLLOWING_PATH: &str = "/following";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: Url,
}

/// A FEP-521a verification method advertising an Ed25519 proof key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Multikey {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub controller: Url,
    pub public_key_multibase: String,
    /// Controlled Identifiers' `revoked`: when a rotation retired the key.
    /// Proofs it made before then stay valid; later ones are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationActor {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub preferred_username: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    pub url: Url,
    pub inbox: Url,
    pub outbox: Url,
    pub followers: Url,
    pub following: Url,
    /// The node's charter commitments (network vocabulary), so a node
    /// deciding on a follow request can check them.
    pub commitments: Url,
    pub endpoints: Endpoints,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub public_key: PublicKey,
    pub assertion_method: Vec<Multikey>,
    /// FEP-844e: what the node implements beyond ActivityPub (RFC 9421
    /// signatures, with Ed25519 keys).
    pub implements: Value,
    /// The node's earlier addresses (FEP-7628): peers follow its `Move`
    /// only to an actor that lists the old one here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_known_as: Vec<Url>,
    /// Where the node moved, once it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<Url>,
}

impl OrganizationActor {
    pub fn for_node(settings: &Settings, keys: &NodeKeys) -> OrganizationActor {
        let id = actor_id(settings);
        OrganizationActor {
            context: json!([
                ACTIVITY_STREAMS,
                SECURITY_V1,
                DATA_INTEGRITY,
                MULTIKEY_V1,
                settings.url_for(NETWORK_CONTEXT_PATH)
            ]),
            kind: "Organization".to_owned(),
            preferred_username: settings.platform.slug.clone(),
            name: settings.platform.name.clone(),
            summary: settings.platform.summary.clone(),
            url: id.clone(),
            inbox: settings.url_for(INBOX_PATH),
            outbox: settings.url_for(OUTBOX_PATH),
            followers: settings.url_for(FOLLOWERS_PATH),
            following: settings.url_for(FOLLOWING_PATH),
            commitments: settings.url_for("/commitments"),
            endpoints: Endpoints {
                shared_inbox: settings.url_for(INBOX_PATH),
            },
            manually_approves_followers: true,
            discoverable: true,
            public_key: PublicKey {
                id: format!("{id}#main-key"),
                owner: id.clone(),
                public_key_pem: keys.rsa_public_pem.clone(),
            },
            assertion_method: assertion_methods(settings, keys),
            implements: crate::knocking::implements(),
            also_known_as: Vec::new(),
            moved_to: None,
            id,
        }
    }

    /// The actor with the node's other addresses.
    pub fn with_addresses(mut self, also_known_as: Vec<Url>, moved_to: Option<Url>) -> Self {
        self.also_known_as = also_known_as;
        self.moved_to = moved_to;
        self
    }
}

pub fn actor_id(settings: &Settings) -> Url {
    settings.url_for(ACTOR_PATH)
}

/// The signing Ed25519 key, then the keys it replaced (most recent
/// first), each marked with the time it was retired.
fn assertion_methods(settings: &Settings, keys: &NodeKeys) -> Vec<Multikey> {
    let method = |fragment: &str, public_key_multibase: String, revoked: Option<String>| {
        let mut id = actor_id(settings);
        id.set_fragment(Some(fragment));
        Multikey {
            id,
            kind: "Multikey".to_owned(),
            controller: actor_id(settings),
            public_key_multibase,
            revoked,
        }
    };
    let mut methods = vec![method(
        &keys.ed25519_fragment,
        keys.ed25519_multibase(),
        None,
    )];
    methods.extend(keys.retired_ed25519.iter().rev().map(|retired| {
        method(
            &retired.fragment,
            retired.public_key_multibase.clone(),
            Some(format_millis(retired.retired_at)),
        )
    }));
    methods
}

/// Id of the verification method that signs integrity proofs now.
pub fn ed25519_key_id(settings: &Settings, keys: &NodeKeys) -> Url {
    let mut id = actor_id(settings);
    id.set_fragment(Some(&keys.ed25519_fragment));
    id
}
