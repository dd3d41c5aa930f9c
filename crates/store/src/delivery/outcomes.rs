//! How a pass over a stream ends: the cursor moved on, a failure counted
//! with the next attempt's time, an activity skipped, the peer gone.

use crate::delivery::receipts::{Receipt, insert_receipts};
use crate::{Store, now_millis};
use passerelle_model::PeerId;
use passerelle_model::error::Result;

/// Where a stream stands when an attempt fails.
#[derive(Debug, Clone, Copy)]
pub struct StreamProgress {
    /// The last activity handled (delivered or passed over).
    pub cursor: i64,
    /// Something was delivered in this pass.
    pub delivered_any: bool,
    /// Failed attempts in a row, this one included.
    pub failures: i64,
}

impl Store {
    /// Marks the peer gone (its inbox answered 404 or 410): its stream is
    /// left alone, cursor unmoved, until the peer is heard from again.
    pub async fn delivery_gone(&self, peer_id: PeerId, owner: &str, why: &str) -> Result<()> {
        sqlx::query(
            "UPDATE delivery_streams SET gone_at = $1, last_error = $2 \
             WHERE peer_id = $3 AND lease_owner = $4",
        )
        .bind(now_millis())
        .bind(why)
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A peer marked gone sent a verified request: it is delivered to again.
    /// Read first: every verified activity asks, almost none is from a
    /// peer marked gone, and a read does not wait for SQLite's one writer.
    pub async fn delivery_peer_back(&self, peer_id: PeerId) -> Result<()> {
        let gone: Option<i64> = sqlx::query_scalar(
            "SELECT peer_id FROM delivery_streams WHERE peer_id = $1 AND gone_at IS NOT NULL",
        )
        .bind(peer_id)
        .fetch_optional(self.pool())
        .await?;
        if gone.is_none() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE delivery_streams SET gone_at = NULL, next_attempt_at = 0, failures = 0 \
             WHERE peer_id = $1 AND gone_at IS NOT NULL",
        )
        .bind(peer_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Counts an activity the peer refused for good, with why; its failed
    /// attempts are over (the cursor moves past it at the end of the pass).
    pub async fn delivery_skipped(&self, peer_id: PeerId, owner: &str, why: &str) -> Result<()> {
        sqlx::query(
            "UPDATE delivery_streams SET skipped = skipped + 1, last_skipped = $1, failures = 0 \
             WHERE peer_id = $2 AND lease_owner = $3",
        )
        .bind(why)
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a failed attempt, receipts aside (see `end_delivery_pass`).
    pub async fn delivery_failed(
        &self,
        peer_id: PeerId,
        owner: &str,
        progress: &StreamProgress,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<()> {
        let end = PassEnd::Failed {
            progress: *progress,
            error,
            next_attempt_at,
        };
        self.end_delivery_pass(peer_id, owner, &[], &end, false)
            .await
    }

    /// Writes where a pass leaves the stream, in one transaction with the
    /// receipts it collected and, when `release`, its lease given back:
    /// one commit per pass rather than three. Only the lease holder moves
    /// a stream.
    pub async fn end_delivery_pass(
        &self,
        peer_id: PeerId,
        owner: &str,
        receipts: &[Receipt],
        end: &PassEnd<'_>,
        release: bool,
    ) -> Result<()> {
        let statement = end_statement(end, release);
        let update = bind_end(sqlx::query(&statement), end)
            .bind(peer_id)
            .bind(owner);
        if receipts.is_empty() {
            update.execute(self.pool()).await?;
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        insert_receipts(&mut tx, peer_id, receipts).await?;
        update.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Where a pass leaves its stream.
#[derive(Debug, Clone, Copy)]
pub enum PassEnd<'a> {
    /// Everything up to `cursor` is delivered (or skipped for good).
    Advanced { cursor: i64, delivered_any: bool },
    /// An attempt failed: the stream stands at `progress`, counts its
    /// failures in a row (the caller computed them: one when something
    /// went through in this pass, one more than before otherwise) and
    /// waits until `next_attempt_at`.
    Failed {
        progress: StreamProgress,
        error: &'a str,
        next_attempt_at: i64,
    },
}

fn end_statement(end: &PassEnd<'_>, release: bool) -> String {
    let set = match end {
        PassEnd::Advanced { .. } => {
            "cursor = $1, failures = 0, next_attempt_at = 0, \
             last_success_at = COALESCE($2, last_success_at), last_error = NULL"
        }
        PassEnd::Failed { .. } => {
            "cursor = $1, failures = $2, next_attempt_at = $3, last_error = $4, \
             last_success_at = COALESCE($5, last_success_at)"
        }
    };
    let release = if release { ", lease_until = 0" } else { "" };
    let (peer, owner) = match end {
        PassEnd::Advanced { .. } => ("$3", "$4"),
        PassEnd::Failed { .. } => ("$6", "$7"),
    };
    format!(
        "UPDATE delivery_streams SET {set}{release} WHERE peer_id = {peer} AND lease_owner = {owner}"
    )
}

fn bind_end<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    end: &PassEnd<'q>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match *end {
        PassEnd::Advanced {
            cursor,
            delivered_any,
        } => query.bind(cursor).bind(delivered_any.then(now_millis)),
        PassEnd::Failed {
            progress,
            error,
            next_attempt_at,
        } => query
            .bind(progress.cursor)
            .bind(progress.failures)
            .bind(next_attempt_at)
            .bind(error)
            .bind(progress.delivered_any.then(now_millis)),
    }
}
