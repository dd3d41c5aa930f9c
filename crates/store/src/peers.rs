//! Peers: other nodes' actors as last fetched.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store, now_millis};
use passerelle_model::PeerId;
use passerelle_model::error::Result;

#[derive(Debug, Clone)]
pub struct PeerRow {
    pub id: PeerId,
    pub actor_uri: String,
    pub domain: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub handle: String,
    pub name: String,
    pub summary: String,
    pub public_key_pem: String,
    pub actor_json: String,
    pub fetched_at: i64,
}

/// A peer's actor as fetched, to store.
#[derive(Debug, Clone)]
pub struct PeerActor<'a> {
    pub actor_uri: &'a str,
    pub domain: &'a str,
    pub inbox: &'a str,
    pub shared_inbox: Option<&'a str>,
    pub handle: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
    pub public_key_pem: &'a str,
    pub actor_json: &'a str,
}

pub(crate) const COLUMNS: &str = "id, actor_uri, domain, inbox, shared_inbox, handle, name, summary, \
                       public_key_pem, actor_json, fetched_at";

pub(crate) fn peer_row(row: &AnyRow) -> Result<PeerRow> {
    Ok(PeerRow {
        id: PeerId(row.try_get("id")?),
        actor_uri: row.try_get("actor_uri")?,
        domain: row.try_get("domain")?,
        inbox: row.try_get("inbox")?,
        shared_inbox: row.try_get("shared_inbox")?,
        handle: row.try_get("handle")?,
        name: row.try_get("name")?,
        summary: row.try_get("summary")?,
        public_key_pem: row.try_get("public_key_pem")?,
        actor_json: row.try_get("actor_json")?,
        fetched_at: row.try_get("fetched_at")?,
    })
}

impl Store {
    pub async fn peer_by_uri(&self, actor_uri: &str) -> Result<Option<PeerRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM peers WHERE actor_uri = $1"))
            .bind(actor_uri)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(peer_row).transpose()
    }

    pub async fn peer(&self, id: PeerId) -> Result<Option<PeerRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM peers WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(peer_row).transpose()
    }

    pub async fn peers(&self) -> Result<Vec<PeerRow>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM peers ORDER BY id"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(peer_row).collect()
    }

    /// The peers the node delivers to (those with a delivery stream).
    pub async fn delivery_peers(&self) -> Result<Vec<PeerRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM peers WHERE id IN (SELECT peer_id FROM delivery_streams) \
             ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(peer_row).collect()
    }

    /// Inserts or refreshes a peer's actor; returns the stored row.
    pub async fn upsert_peer(&self, actor: &PeerActor<'_>) -> Result<PeerRow> {
        let now = now_millis();
        bind_actor(
            sqlx::query(
                "INSERT INTO peers (actor_uri, domain, inbox, shared_inbox, handle, name, summary, \
                 public_key_pem, actor_json, fetched_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                 ON CONFLICT (actor_uri) DO UPDATE SET domain = $2, inbox = $3, shared_inbox = $4, \
                 handle = $5, name = $6, summary = $7, public_key_pem = $8, actor_json = $9, \
                 fetched_at = $10",
            ),
            actor,
        )
        .bind(now)
        .execute(self.pool())
        .await?;
        self.peer_by_uri(actor.actor_uri).await?.ok_or_else(|| {
            passerelle_model::error::Error::Internal("peer vanished after upsert".into())
        })
    }
}

impl ChangeTx {
    /// The peer moved: its row takes the new actor's fields, so everything
    /// tied to the peer (follows both ways, scope, agreements, history,
    /// delivery stream) now concerns the new actor.
    pub async fn move_peer(&mut self, id: PeerId, actor: &PeerActor<'_>) -> Result<()> {
        bind_actor(
            sqlx::query(
                "UPDATE peers SET actor_uri = $1, domain = $2, inbox = $3, shared_inbox = $4, \
                 handle = $5, name = $6, summary = $7, public_key_pem = $8, actor_json = $9, \
                 fetched_at = $10 WHERE id = $11",
            ),
            actor,
        )
        .bind(now_millis())
        .bind(id)
        .execute(self.connection())
        .await?;
        Ok(())
    }
}

/// Binds an actor's fields as `$1`…`$9`, in the order of `PeerActor`.
fn bind_actor<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    actor: &PeerActor<'q>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(actor.actor_uri)
        .bind(actor.domain)
        .bind(actor.inbox)
        .bind(actor.shared_inbox)
        .bind(actor.handle)
        .bind(actor.name)
        .bind(actor.summary)
        .bind(actor.public_key_pem)
        .bind(actor.actor_json)
}
