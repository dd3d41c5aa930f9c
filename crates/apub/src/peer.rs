//! Other nodes' actors: the fields the node relies on, checked and stored
//! as peers, so the signatures of their requests can be verified.

use activitypub_federation::protocol::verification::verify_domains_match;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::error::{Error, Result};
use crate::store::{PeerActor, PeerRow};
use passerelle_context::Context;

/// The fields of a remote actor the node relies on.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorFields {
    pub id: Url,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    pub inbox: Url,
    #[serde(default)]
    pub outbox: Option<Url>,
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
    /// One key (Mastodon, GoToSocial, Lemmy) or several (an array): the
    /// first is the main one.
    #[serde(deserialize_with = "one_or_many")]
    pub public_key: Vec<PublicKeyFields>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default)]
    pub shared_inbox: Option<Url>,
}

/// A key as actors publish it, inline or as a document of its own
/// (GoToSocial serves one at a path such as `/users/x/main-key`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyFields {
    pub id: Url,
    /// Who holds the key: `owner` (security v1) or `controller` (Multikey).
    #[serde(default, alias = "controller")]
    pub owner: Option<Url>,
    pub public_key_pem: String,
}

fn one_or_many<'de, D>(deserializer: D) -> std::result::Result<Vec<PublicKeyFields>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(PublicKeyFields),
        Many(Vec<PublicKeyFields>),
    }
    let keys = match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(key) => vec![key],
        OneOrMany::Many(keys) => keys,
    };
    if keys.is_empty() {
        return Err(serde::de::Error::custom("the actor publishes no key"));
    }
    Ok(keys)
}

impl ActorFields {
    pub fn parse(document: &Value) -> Result<ActorFields> {
        serde_json::from_value(document.clone())
            .map_err(|e| Error::BadRequest(format!("not an actor this node can use: {e}")))
    }

    /// The actor's main key (the first it lists).
    pub fn main_key(&self) -> &PublicKeyFields {
        &self.public_key[0]
    }

    /// The key the actor lists under `key_id`.
    pub fn key(&self, key_id: &Url) -> Option<&PublicKeyFields> {
        self.public_key.iter().find(|key| key.id == *key_id)
    }

    /// The shared inbox, when it is on the actor's own origin: deliveries
    /// never go to another origin than the actor's (an actor document
    /// could otherwise aim the node's signed requests anywhere).
    pub fn same_origin_shared_inbox(&self) -> Option<&Url> {
        let shared = self.endpoints.as_ref()?.shared_inbox.as_ref()?;
        if shared.origin() == self.id.origin() {
            Some(shared)
        } else {
            tracing::warn!(actor = %self.id, shared_inbox = %shared, "shared inbox on another origin: ignored, the actor's inbox is used");
            None
        }
    }
}

/// Whether `url` is one the peer may name as its own: on its actor's
/// origin, and `https` (`http` only where private addresses are allowed,
/// for tests and the demo). Anything else (`javascript:`, another host)
/// is refused before storage.
pub fn is_peer_own(peer: &PeerRow, url: &Url, allow_http: bool) -> bool {
    let scheme_ok = url.scheme() == "https" || (allow_http && url.scheme() == "http");
    scheme_ok && Url::parse(&peer.actor_uri).is_ok_and(|actor| actor.origin() == url.origin())
}

/// The inbox to deliver to: the shared inbox when it shares the actor's
/// origin, else the actor's own inbox (also for rows stored before the
/// rule existed).
pub fn delivery_inbox(peer: &PeerRow) -> Option<Url> {
    let actor = Url::parse(&peer.actor_uri).ok()?;
    let same_origin = |url: &str| {
        Url::parse(url)
            .ok()
            .filter(|u| u.origin() == actor.origin())
    };
    peer.shared_inbox
        .as_deref()
        .and_then(same_origin)
        .or_else(|| same_origin(&peer.inbox))
}

/// `host[:port]` of a URL: how domains are named in block and allow lists.
pub fn domain_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => String::new(),
    }
}

/// A peer node's actor.
#[derive(Debug, Clone)]
pub struct Peer {
    pub row: PeerRow,
    id: Url,
}

impl Peer {
    /// The peer's actor id.
    pub fn id(&self) -> &Url {
        &self.id
    }

    pub fn from_row(row: PeerRow) -> Result<Peer> {
        let id = Url::parse(&row.actor_uri)
            .map_err(|e| Error::Internal(format!("stored peer URI: {e}")))?;
        Ok(Peer { row, id })
    }

    pub fn actor_document(&self) -> Value {
        serde_json::from_str(&self.row.actor_json).unwrap_or(Value::Null)
    }
}

/// An actor document is usable when its keys and inbox are on its own
/// origin, and that origin is the one it was fetched from.
pub(crate) fn verify_actor_document(json: &Value, expected_domain: &Url) -> Result<()> {
    let fields = ActorFields::parse(json)?;
    verify_domains_match(&fields.id, expected_domain).map_err(|_| {
        Error::BadRequest(format!("actor {} is not on {expected_domain}", fields.id))
    })?;
    for key in &fields.public_key {
        if key.owner.as_ref().is_some_and(|owner| *owner != fields.id)
            || key.id.origin() != fields.id.origin()
        {
            return Err(Error::BadRequest(format!(
                "a key of {} belongs to someone else",
                fields.id
            )));
        }
    }
    if fields.inbox.origin() != fields.id.origin() {
        return Err(Error::BadRequest(format!(
            "the inbox of {} is on another origin",
            fields.id
        )));
    }
    Ok(())
}

impl Peer {
    /// The stored peer of `actor`, if any.
    pub(crate) async fn stored(actor: &Url, data: &Context) -> Result<Option<Peer>> {
        data.store
            .peer_by_uri(actor.as_str())
            .await?
            .map(Peer::from_row)
            .transpose()
    }

    /// Stores a verified actor document, with the key its requests are
    /// checked by: `key_pem` (the one a request was just verified with)
    /// or else its main key.
    pub async fn store(json: Value, key_pem: Option<&str>, data: &Context) -> Result<Peer> {
        let fields = StoredActor::of(&json, key_pem)?;
        let row = data.store.upsert_peer(&fields.as_row()).await?;
        Peer::from_row(row)
    }
}

/// What is stored of a checked actor document.
pub struct StoredActor {
    actor_uri: String,
    domain: String,
    inbox: String,
    shared_inbox: Option<String>,
    handle: String,
    name: String,
    summary: String,
    public_key_pem: String,
    actor_json: String,
}

impl StoredActor {
    /// Its requests are verified with `key_pem` (the key one was just
    /// verified with) or else its main key.
    pub fn of(json: &Value, key_pem: Option<&str>) -> Result<StoredActor> {
        let fields = ActorFields::parse(json)?;
        let domain = domain_of(&fields.id);
        let username = fields.preferred_username.clone().unwrap_or_default();
        Ok(StoredActor {
            handle: format!("{username}@{domain}"),
            actor_json: serde_json::to_string(json)?,
            shared_inbox: fields.same_origin_shared_inbox().map(Url::to_string),
            inbox: fields.inbox.to_string(),
            name: fields.name.clone().unwrap_or_else(|| username.clone()),
            summary: fields.summary.clone().unwrap_or_default(),
            public_key_pem: key_pem
                .map_or_else(|| fields.main_key().public_key_pem.clone(), str::to_owned),
            actor_uri: fields.id.to_string(),
            domain,
        })
    }

    pub fn as_row(&self) -> PeerActor<'_> {
        PeerActor {
            actor_uri: &self.actor_uri,
            domain: &self.domain,
            inbox: &self.inbox,
            shared_inbox: self.shared_inbox.as_deref(),
            handle: &self.handle,
            name: &self.name,
            summary: &self.summary,
            public_key_pem: &self.public_key_pem,
            actor_json: &self.actor_json,
        }
    }
}
