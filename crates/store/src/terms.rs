//! Sharing terms both ways: those this node sent each follower (and
//! whether it accepted them), those each followed peer sent us.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store};
use passerelle_model::error::{Error, Result};
use passerelle_model::{PeerId, SharingScope};

/// Terms sent to a follower: the `Offer` that carried them, since when
/// they hold, when sent and when accepted (ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentTermsRow {
    pub peer_id: PeerId,
    pub offer_uri: String,
    pub terms: SharingScope,
    pub since: i64,
    pub sent_at: i64,
    pub accepted_at: Option<i64>,
}

/// The latest terms a followed peer sent us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedTermsRow {
    pub peer_id: PeerId,
    pub offer_uri: String,
    pub terms: SharingScope,
    pub since: i64,
    pub received_at: i64,
}

fn stored(text: &str) -> Result<SharingScope> {
    serde_json::from_str(text).map_err(|e| Error::Internal(format!("stored sharing terms: {e}")))
}

fn sent_row(row: &AnyRow) -> Result<SentTermsRow> {
    Ok(SentTermsRow {
        peer_id: row.try_get("peer_id")?,
        offer_uri: row.try_get("offer_uri")?,
        terms: stored(row.try_get("terms")?)?,
        since: row.try_get("since")?,
        sent_at: row.try_get("sent_at")?,
        accepted_at: row.try_get("accepted_at")?,
    })
}

fn received_row(row: &AnyRow) -> Result<ReceivedTermsRow> {
    Ok(ReceivedTermsRow {
        peer_id: row.try_get("peer_id")?,
        offer_uri: row.try_get("offer_uri")?,
        terms: stored(row.try_get("terms")?)?,
        since: row.try_get("since")?,
        received_at: row.try_get("received_at")?,
    })
}

const SENT: &str = "SELECT peer_id, offer_uri, terms, since, sent_at, accepted_at FROM sent_terms";
const RECEIVED: &str = "SELECT peer_id, offer_uri, terms, since, received_at FROM received_terms";

impl Store {
    /// The terms last sent to `peer_id`.
    pub async fn sent_terms(&self, peer_id: PeerId) -> Result<Option<SentTermsRow>> {
        let row = sqlx::query(&format!("{SENT} WHERE peer_id = $1"))
            .bind(peer_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(sent_row).transpose()
    }

    /// The terms the `Offer` `offer_uri` carried, if it is the latest
    /// this node sent.
    pub async fn sent_terms_by_offer(&self, offer_uri: &str) -> Result<Option<SentTermsRow>> {
        let row = sqlx::query(&format!("{SENT} WHERE offer_uri = $1"))
            .bind(offer_uri)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(sent_row).transpose()
    }

    /// The terms `peer_id` sent us.
    pub async fn received_terms(&self, peer_id: PeerId) -> Result<Option<ReceivedTermsRow>> {
        let row = sqlx::query(&format!("{RECEIVED} WHERE peer_id = $1"))
            .bind(peer_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(received_row).transpose()
    }

    /// Every peer's terms that limit how long we keep what it shared.
    pub async fn received_terms_all(&self) -> Result<Vec<ReceivedTermsRow>> {
        let rows = sqlx::query(&format!("{RECEIVED} ORDER BY peer_id"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(received_row).collect()
    }
}

impl ChangeTx {
    /// Records the terms sent to `peer_id` in `offer_uri` (replacing the
    /// previous ones: not accepted yet).
    pub async fn record_sent_terms(
        &mut self,
        peer_id: PeerId,
        offer_uri: &str,
        terms: &SharingScope,
        since: i64,
        sent_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sent_terms (peer_id, offer_uri, terms, since, sent_at, accepted_at) \
             VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT (peer_id) DO UPDATE SET \
             offer_uri = $2, terms = $3, since = $4, sent_at = $5, accepted_at = NULL",
        )
        .bind(peer_id)
        .bind(offer_uri)
        .bind(serde_json::to_string(terms)?)
        .bind(since)
        .bind(sent_at)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// The peer accepted the terms of `offer_uri`; false when they are no
    /// longer the latest sent (or were accepted before).
    pub async fn accept_sent_terms(&mut self, offer_uri: &str, at: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sent_terms SET accepted_at = $2 WHERE offer_uri = $1 AND accepted_at IS NULL",
        )
        .bind(offer_uri)
        .bind(at)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records the terms `peer_id` sent us, replacing the previous ones.
    pub async fn record_received_terms(
        &mut self,
        peer_id: PeerId,
        offer_uri: &str,
        terms: &SharingScope,
        since: i64,
        received_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO received_terms (peer_id, offer_uri, terms, since, received_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (peer_id) DO UPDATE SET \
             offer_uri = $2, terms = $3, since = $4, received_at = $5",
        )
        .bind(peer_id)
        .bind(offer_uri)
        .bind(serde_json::to_string(terms)?)
        .bind(since)
        .bind(received_at)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Forgets the terms `peer_id` sent us (we no longer hold anything
    /// of it).
    pub async fn forget_received_terms(&mut self, peer_id: PeerId) -> Result<()> {
        sqlx::query("DELETE FROM received_terms WHERE peer_id = $1")
            .bind(peer_id)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    /// What the catalog holds from `peer_id` not updated since `before`
    /// (ms): (object URI, kind).
    pub async fn catalog_updated_before(
        &mut self,
        peer_id: PeerId,
        before: i64,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT object_uri, kind FROM catalog WHERE peer_id = $1 AND updated_at < $2 ORDER BY id",
        )
        .bind(peer_id)
        .bind(before)
        .fetch_all(self.connection())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("object_uri")?, row.try_get("kind")?)))
            .collect()
    }
}
