//! How a pass over a stream ends: the cursor moved on, a failure counted
//! with the next attempt's time, an activity skipped, the peer gone.

use crate::error::Result;
use crate::store::{Store, now_millis};

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
    pub async fn delivery_gone(&self, peer_id: i64, owner: &str, why: &str) -> Result<()> {
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
    pub async fn delivery_peer_back(&self, peer_id: i64) -> Result<()> {
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
    pub async fn delivery_skipped(&self, peer_id: i64, owner: &str, why: &str) -> Result<()> {
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

    /// Everything up to `cursor` is delivered (or skipped for good). Only
    /// the lease holder moves the cursor.
    pub async fn advance_delivery_stream(
        &self,
        peer_id: i64,
        owner: &str,
        cursor: i64,
        delivered: bool,
    ) -> Result<()> {
        let success = if delivered { Some(now_millis()) } else { None };
        sqlx::query(
            "UPDATE delivery_streams SET cursor = $1, failures = 0, next_attempt_at = 0, \
             last_success_at = COALESCE($2, last_success_at), last_error = NULL \
             WHERE peer_id = $3 AND lease_owner = $4",
        )
        .bind(cursor)
        .bind(success)
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a failed attempt in one statement: the stream moves up to
    /// `progress` (what was delivered before the failure) and counts
    /// `failures` in a row, which the caller computed (one when something
    /// went through in this pass, one more than before otherwise).
    pub async fn delivery_failed(
        &self,
        peer_id: i64,
        owner: &str,
        progress: &StreamProgress,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<()> {
        let success = progress.delivered_any.then(now_millis);
        sqlx::query(
            "UPDATE delivery_streams SET cursor = $1, failures = $2, next_attempt_at = $3, \
             last_error = $4, last_success_at = COALESCE($5, last_success_at) \
             WHERE peer_id = $6 AND lease_owner = $7",
        )
        .bind(progress.cursor)
        .bind(progress.failures)
        .bind(next_attempt_at)
        .bind(error)
        .bind(success)
        .bind(peer_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
