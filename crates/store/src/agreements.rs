//! FEP-0837 agreements, both sides: what was offered, by whom, for which
//! proposal, and where it stands. Every change happens inside a
//! `ChangeTx`, with the activity it sends and its audit entry.

use passerelle_model::AgreementId;
use passerelle_model::PeerId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store, now_millis};
use passerelle_model::error::{Error, Result};
use passerelle_model::{AgreementState, Side};

#[derive(Debug, Clone)]
pub struct AgreementRow {
    pub id: AgreementId,
    pub side: Side,
    pub peer_id: PeerId,
    pub offer_uri: String,
    pub agreement_uri: Option<String>,
    pub proposal_uri: String,
    pub state: AgreementState,
    pub quantity_unit: String,
    pub quantity_value: String,
    pub reciprocal_unit: Option<String>,
    pub reciprocal_value: Option<String>,
    pub reciprocal_currency: Option<String>,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub document: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An agreement to record: offered by us or to us.
#[derive(Debug, Clone)]
pub struct NewAgreement<'a> {
    pub side: Side,
    pub peer_id: PeerId,
    pub offer_uri: &'a str,
    pub proposal_uri: &'a str,
    pub state: AgreementState,
    pub quantity_unit: &'a str,
    pub quantity_value: &'a str,
    pub reciprocal: Option<(&'a str, &'a str, Option<&'a str>)>,
    pub note: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub document: &'a str,
}

/// Filters of a listing of agreements.
#[derive(Debug, Clone, Copy, Default)]
pub struct AgreementFilter {
    pub state: Option<AgreementState>,
    pub side: Option<Side>,
}

const COLUMNS: &str = "id, side, peer_id, offer_uri, agreement_uri, proposal_uri, state, \
    quantity_unit, quantity_value, reciprocal_unit, reciprocal_value, reciprocal_currency, \
    note, reason, document, created_at, updated_at";

fn agreement_row(row: &AnyRow) -> Result<AgreementRow> {
    let side: String = row.try_get("side")?;
    let state: String = row.try_get("state")?;
    Ok(AgreementRow {
        id: row.try_get("id")?,
        side: side
            .parse()
            .map_err(|_| Error::Internal(format!("stored agreement side {side:?}")))?,
        peer_id: row.try_get("peer_id")?,
        offer_uri: row.try_get("offer_uri")?,
        agreement_uri: row.try_get("agreement_uri")?,
        proposal_uri: row.try_get("proposal_uri")?,
        state: state
            .parse()
            .map_err(|_| Error::Internal(format!("stored agreement state {state:?}")))?,
        quantity_unit: row.try_get("quantity_unit")?,
        quantity_value: row.try_get("quantity_value")?,
        reciprocal_unit: row.try_get("reciprocal_unit")?,
        reciprocal_value: row.try_get("reciprocal_value")?,
        reciprocal_currency: row.try_get("reciprocal_currency")?,
        note: row.try_get("note")?,
        reason: row.try_get("reason")?,
        document: row.try_get("document")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

async fn agreement_where<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    column: &str,
    value: &str,
) -> Result<Option<AgreementRow>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM agreements WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(agreement_row).transpose()
}

impl Store {
    pub async fn agreement(&self, id: AgreementId) -> Result<Option<AgreementRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM agreements WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(agreement_row).transpose()
    }

    /// The agreement a peer's `Offer` (or ours) opened, by the Offer's id.
    pub async fn agreement_by_offer(&self, offer_uri: &str) -> Result<Option<AgreementRow>> {
        agreement_where(self.pool(), "offer_uri", offer_uri).await
    }

    /// Agreements after row id `after`, oldest first.
    pub async fn list_agreements(
        &self,
        filter: AgreementFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AgreementRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM agreements WHERE id > $1 AND ($2 = '' OR state = $2) \
             AND ($3 = '' OR side = $3) ORDER BY id LIMIT $4"
        ))
        .bind(after)
        .bind(filter.state.map_or("", AgreementState::as_str))
        .bind(filter.side.map_or("", Side::as_str))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(agreement_row).collect()
    }
}

impl ChangeTx {
    /// The agreement as this change sees it (after the write lock: what a
    /// concurrent decision committed is seen here).
    pub async fn agreement(&mut self, id: AgreementId) -> Result<Option<AgreementRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM agreements WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.connection())
            .await?;
        row.as_ref().map(agreement_row).transpose()
    }

    pub async fn agreement_by_offer(&mut self, offer_uri: &str) -> Result<Option<AgreementRow>> {
        agreement_where(self.connection(), "offer_uri", offer_uri).await
    }

    pub async fn agreement_by_uri(&mut self, agreement_uri: &str) -> Result<Option<AgreementRow>> {
        agreement_where(self.connection(), "agreement_uri", agreement_uri).await
    }

    pub async fn insert_agreement(&mut self, new: &NewAgreement<'_>) -> Result<AgreementId> {
        let now = now_millis();
        let (unit, value, currency) = match new.reciprocal {
            Some((unit, value, currency)) => (Some(unit), Some(value), currency),
            None => (None, None, None),
        };
        let id: AgreementId = sqlx::query_scalar(
            "INSERT INTO agreements (side, peer_id, offer_uri, proposal_uri, state, quantity_unit, \
             quantity_value, reciprocal_unit, reciprocal_value, reciprocal_currency, note, reason, \
             document, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
        )
        .bind(new.side.as_str())
        .bind(new.peer_id)
        .bind(new.offer_uri)
        .bind(new.proposal_uri)
        .bind(new.state.as_str())
        .bind(new.quantity_unit)
        .bind(new.quantity_value)
        .bind(unit)
        .bind(value)
        .bind(currency)
        .bind(new.note)
        .bind(new.reason)
        .bind(new.document)
        .bind(now)
        .fetch_one(self.connection())
        .await?;
        Ok(id)
    }

    /// Moves an agreement to `state`, only from `from` (false when another
    /// change moved it first); the finalised id and document when given.
    pub async fn set_agreement_state(
        &mut self,
        id: AgreementId,
        from: AgreementState,
        state: AgreementState,
        agreement_uri: Option<&str>,
        reason: Option<&str>,
        document: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE agreements SET state = $1, agreement_uri = COALESCE($2, agreement_uri), \
             reason = COALESCE($3, reason), document = COALESCE($4, document), updated_at = $5 \
             WHERE id = $6 AND state = $7",
        )
        .bind(state.as_str())
        .bind(agreement_uri)
        .bind(reason)
        .bind(document)
        .bind(now_millis())
        .bind(id)
        .bind(from.as_str())
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
