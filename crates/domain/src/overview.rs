//! Read models for the admin console: the node at a glance, what we publish
//! and who received it, our charters and their versions, the commitments
//! our peers published, and the federated catalog with its peers' names.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::context::Context;
use crate::error::Result;
use crate::listing::{Page, PageRequest};
use crate::model::PeerId;
use crate::model::kinds::ObjectKind;
use crate::model::time::format_millis;
use crate::model::{FollowerState, FollowingState, PeerHealth};
use crate::peers::{self, PeerSummary};
use crate::store::{ObjectRow, PeerRow};

#[derive(Serialize)]
pub struct Overview {
    pub admission: String,
    pub followers: usize,
    pub following: usize,
    pub pending_requests: usize,
    pub peers: usize,
    pub excluded: usize,
    /// Live objects we publish, per kind.
    pub published: HashMap<String, i64>,
    /// Objects held in the federated catalog, per kind.
    pub catalog: HashMap<String, i64>,
    pub delivery_backlog: i64,
    pub webhook_backlog: i64,
    /// Peers in each delivery health state, every state listed (most
    /// serious first), as [`peers::health_state`] decides it.
    pub health: Vec<HealthCount>,
}

#[derive(Serialize)]
pub struct HealthCount {
    pub state: PeerHealth,
    pub peers: usize,
}

/// How many of `views` are in each health state.
pub fn health_counts(views: &[peers::PeerView]) -> Vec<HealthCount> {
    PeerHealth::ALL
        .iter()
        .map(|state| HealthCount {
            state: *state,
            peers: views.iter().filter(|p| p.health == Some(*state)).count(),
        })
        .collect()
}

pub async fn overview(ctx: &Context) -> Result<Overview> {
    let peer_views = peers::list(ctx).await?;
    let (delivery_backlog, webhook_backlog) = ctx.store.queue_depths().await?;
    Ok(Overview {
        admission: format!("{:?}", ctx.settings.federation.admission).to_lowercase(),
        followers: peer_views
            .iter()
            .filter(|p| p.follower == Some(FollowerState::Approved))
            .count(),
        following: peer_views
            .iter()
            .filter(|p| p.following == Some(FollowingState::Active))
            .count(),
        pending_requests: peer_views
            .iter()
            .filter(|p| p.follower == Some(FollowerState::Pending))
            .count(),
        peers: peer_views.len(),
        excluded: peer_views.iter().filter(|p| p.excluded.is_some()).count(),
        published: ctx
            .store
            .count_live_objects_by_kind()
            .await?
            .into_iter()
            .collect(),
        catalog: ctx
            .store
            .count_catalog_by_kind()
            .await?
            .into_iter()
            .collect(),
        delivery_backlog,
        webhook_backlog,
        health: health_counts(&peer_views),
    })
}

#[derive(Serialize)]
pub struct ReceivedBy {
    pub peer: PeerSummary,
    pub delivered_at: String,
}

#[derive(Serialize)]
pub struct PublishedObject {
    pub id: String,
    pub local_id: String,
    pub name: String,
    pub version: i64,
    /// `public`, `followers` or the named peers.
    pub audience: Value,
    pub updated_at: String,
    pub recipients: Vec<ReceivedBy>,
}

fn payload_name(payload: &str) -> String {
    let payload: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    ["name", "title", "summary"]
        .iter()
        .find_map(|key| payload.get(key).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned()
}

async fn peers_by_id(ctx: &Context) -> Result<HashMap<PeerId, PeerRow>> {
    Ok(ctx
        .store
        .peers()
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Our live objects of a kind, newest first, each with who received it
/// (the first 1,000: the charter page's commitments).
/// A page of our live objects of a kind, newest first (the cursor is the
/// last row id shown), each with who received it.
pub async fn published_page(
    ctx: &Context,
    kind: ObjectKind,
    page: &PageRequest,
) -> Result<Page<PublishedObject>> {
    let rows = ctx
        .store
        .live_objects_before(kind, page.cursor, page.limit + 1, false)
        .await?;
    let (rows, next_cursor) = crate::listing::split_page(rows, page.limit, |row| row.id.0);
    let mut recipients: HashMap<crate::model::ObjectId, Vec<ReceivedBy>> = HashMap::new();
    if let (Some(last), Some(first)) = (rows.first(), rows.last()) {
        let peers = peers_by_id(ctx).await?;
        for (object_id, peer_id, at) in ctx.store.recipients_between(first.id, last.id).await? {
            if let Some(peer) = peers.get(&peer_id) {
                recipients.entry(object_id).or_default().push(ReceivedBy {
                    peer: PeerSummary::of(peer),
                    delivered_at: format_millis(at),
                });
            }
        }
    }
    Ok(Page {
        items: rows
            .into_iter()
            .map(|row| published_object(row, &mut recipients))
            .collect(),
        next_cursor,
    })
}

fn published_object(
    row: ObjectRow,
    recipients: &mut HashMap<crate::model::ObjectId, Vec<ReceivedBy>>,
) -> PublishedObject {
    PublishedObject {
        name: payload_name(&row.payload),
        audience: serde_json::to_value(&row.audience).unwrap_or(Value::Null),
        updated_at: format_millis(row.updated_at),
        recipients: recipients.remove(&row.id).unwrap_or_default(),
        id: row.uri,
        local_id: row.local_id,
        version: row.version,
    }
}

#[derive(Serialize)]
pub struct CharterVersion {
    pub version: i64,
    pub uri: String,
    pub published_at: String,
    /// The version's object, pretty-printed.
    pub text: String,
}

#[derive(Serialize)]
pub struct HostedCharter {
    pub local_id: String,
    pub name: String,
    pub versions: Vec<CharterVersion>,
}

fn pretty(document: &str) -> String {
    serde_json::from_str::<Value>(document)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| document.to_owned())
}

/// The charters we host, each with all its versions (oldest first).
pub async fn charters(ctx: &Context) -> Result<Vec<HostedCharter>> {
    let mut charters = Vec::new();
    for row in ctx
        .store
        .list_objects(ObjectKind::Charter, 0, 1000, false)
        .await?
    {
        if row.deleted_at.is_some() {
            continue;
        }
        let versions = ctx.store.object_versions(row.id).await?;
        charters.push(HostedCharter {
            name: payload_name(&row.payload),
            local_id: row.local_id,
            versions: versions
                .into_iter()
                .map(|v| CharterVersion {
                    version: v.version,
                    uri: v.uri,
                    published_at: format_millis(v.created_at),
                    text: pretty(&v.document),
                })
                .collect(),
        });
    }
    Ok(charters)
}

/// One line of a diff between two texts.
#[derive(Serialize)]
pub struct DiffLine {
    /// `+`, `-` or ` `.
    pub sign: &'static str,
    pub text: String,
}

/// A line diff from `old` to `new`.
pub fn diff(old: &str, new: &str) -> Vec<DiffLine> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|change| DiffLine {
            sign: match change.tag() {
                similar::ChangeTag::Delete => "-",
                similar::ChangeTag::Insert => "+",
                similar::ChangeTag::Equal => " ",
            },
            text: change.value().trim_end_matches('\n').to_owned(),
        })
        .collect()
}
