//! Draft amendments member nodes offered to this node (their host), and
//! the admin's decision on each; on a member, the drafts it offered (its
//! `Offer` activities), to know who may answer them.

use passerelle_model::DraftId;
use passerelle_model::PeerId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store, now_millis};
use passerelle_model::error::{Error, Result};
use passerelle_model::{ActivityKind, AmendmentId, DraftState};

#[derive(Debug, Clone)]
pub struct DraftRow {
    pub id: DraftId,
    pub offer_uri: String,
    pub proposer: String,
    pub proposer_peer_id: PeerId,
    pub charter_local_id: String,
    pub summary: String,
    pub proposal: String,
    pub state: DraftState,
    pub received_at: i64,
    pub amendment_id: Option<AmendmentId>,
}

const DRAFT_COLUMNS: &str = "id, offer_uri, proposer, proposer_peer_id, charter_local_id, summary, \
    proposal, state, received_at, amendment_id";

fn draft_row(row: &AnyRow) -> Result<DraftRow> {
    Ok(DraftRow {
        id: row.try_get("id")?,
        offer_uri: row.try_get("offer_uri")?,
        proposer: row.try_get("proposer")?,
        proposer_peer_id: row.try_get("proposer_peer_id")?,
        charter_local_id: row.try_get("charter_local_id")?,
        summary: row.try_get("summary")?,
        proposal: row.try_get("proposal")?,
        state: {
            let text: String = row.try_get("state")?;
            text.parse()
                .map_err(|_| Error::Internal(format!("stored draft state {text:?}")))?
        },
        received_at: row.try_get("received_at")?,
        amendment_id: row.try_get("amendment_id")?,
    })
}

impl Store {
    pub async fn amendment_drafts(&self) -> Result<Vec<DraftRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {DRAFT_COLUMNS} FROM amendment_drafts ORDER BY id DESC"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(draft_row).collect()
    }

    pub async fn amendment_draft(&self, id: DraftId) -> Result<Option<DraftRow>> {
        let row = sqlx::query(&format!(
            "SELECT {DRAFT_COLUMNS} FROM amendment_drafts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(draft_row).transpose()
    }
}

/// A draft this node offered: to whom, and the `Offer` as sent.
#[derive(Debug, Clone)]
pub struct OfferedDraft {
    /// The peer the `Offer` was sent to: the only one that may answer it.
    pub host_peer_id: PeerId,
    /// The signed `Offer`.
    pub document: String,
}

impl Store {
    /// The `Offer` this node sent with id `offer_uri`, if it did.
    pub async fn offered_draft(&self, offer_uri: &str) -> Result<Option<OfferedDraft>> {
        let row = sqlx::query(
            "SELECT target_peer_id, document FROM activities \
             WHERE uri = $1 AND kind = $2 AND target_peer_id IS NOT NULL",
        )
        .bind(offer_uri)
        .bind(ActivityKind::Offer.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(OfferedDraft {
                host_peer_id: row.try_get("target_peer_id")?,
                document: row.try_get("document")?,
            })
        })
        .transpose()
    }
}

impl ChangeTx {
    pub async fn insert_draft(&mut self, draft: &DraftRow) -> Result<DraftId> {
        let id = sqlx::query_scalar(
            "INSERT INTO amendment_drafts (offer_uri, proposer, proposer_peer_id, charter_local_id, \
             summary, proposal, state, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (offer_uri) DO NOTHING RETURNING id",
        )
        .bind(&draft.offer_uri)
        .bind(&draft.proposer)
        .bind(draft.proposer_peer_id)
        .bind(&draft.charter_local_id)
        .bind(&draft.summary)
        .bind(&draft.proposal)
        .bind(DraftState::Pending.as_str())
        .bind(now_millis())
        .fetch_optional(self.connection())
        .await?;
        Ok(id.unwrap_or_default())
    }

    /// Decides a pending draft; false if it was decided already.
    pub async fn decide_draft(
        &mut self,
        id: DraftId,
        state: DraftState,
        amendment_id: Option<AmendmentId>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE amendment_drafts SET state = $1, decided_at = $2, amendment_id = $3 \
             WHERE id = $4 AND state = $5",
        )
        .bind(state.as_str())
        .bind(now_millis())
        .bind(amendment_id)
        .bind(id)
        .bind(DraftState::Pending.as_str())
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
