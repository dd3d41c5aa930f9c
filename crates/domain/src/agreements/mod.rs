//! FEP-0837 agreements on offers between nodes. A node's platform asks a
//! followed peer for some of one of its offers (`Offer{object:
//! Agreement}`); the offer's owner checks the rules at once (a broken one
//! gets an automatic `Reject` with the reason) and otherwise keeps the
//! agreement pending until its platform or admin accepts (`Accept` with
//! the finalised agreement as `result`, the offer's available quantity
//! lowered and its `Update` published in the same change) or rejects.
//! Either side then completes or cancels it (`Update(Agreement)`).
//!
//! Every change commits with the activity it sends (signed, FEP-8b32),
//! its audit entry and its webhook event. One file per step: `asking`
//! (the asker's request), `owner` (the owner's receipt and decision),
//! `answers` (the asker's receipt of the decision), `later` (completion
//! and cancellation both ways), `stock` (the offer's available quantity),
//! `terms` (the rules), `amount` (exact decimals and money), `views`
//! (what the API and console show). Only approved followers may ask, and
//! what is refused before storing is counted (`Refusal`), not kept.

mod amount;
mod answers;
mod asking;
mod later;
mod owner;
mod stock;
pub mod terms;
mod views;

pub use answers::answer_received;
pub use asking::{AskQuantity, AskRequest, ask};
pub use later::{cancel, complete, update_received};
pub use owner::{accept, offer_received, reject};
pub use views::{AgreementView, list, show};

use crate::model::AgreementId;
use serde_json::json;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::AgreementState;
use crate::store::{AgreementRow, ChangeTx, PeerRow};
use crate::{audit, webhooks};

/// Who takes the decisions the rules take.
const RULES: &str = "agreement rules";

/// Why an agreement activity was refused before anything was stored: a
/// closed set, the labels of `agreements_refused_total` (a sender cannot
/// mint series, and refusals cost a counter, not rows).
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// An `Offer(Agreement)` from a peer that is not an approved follower.
    Stranger,
    /// Quantities or prices that are not decimals.
    Malformed,
    /// An `Accept` whose finalised agreement is not what was asked.
    Rewritten,
}

impl Refusal {
    const fn label(self) -> &'static str {
        match self {
            Refusal::Stranger => "stranger",
            Refusal::Malformed => "malformed",
            Refusal::Rewritten => "rewritten",
        }
    }

    /// Counts the refusal and hands back `error`, the sender's answer.
    fn count(self, ctx: &Context, error: Error) -> Error {
        ctx.metrics
            .agreements_refused
            .with_label_values(&[self.label()])
            .inc();
        tracing::info!(reason = self.label(), %error, "agreement activity refused, nothing stored");
        error
    }
}

fn events(state: AgreementState) -> (audit::Event, webhooks::Event) {
    match state {
        AgreementState::Pending => (
            audit::Event::AgreementOffered,
            webhooks::Event::AgreementOffered,
        ),
        AgreementState::Accepted => (
            audit::Event::AgreementAccepted,
            webhooks::Event::AgreementAccepted,
        ),
        AgreementState::Rejected => (
            audit::Event::AgreementRejected,
            webhooks::Event::AgreementRejected,
        ),
        AgreementState::Completed => (
            audit::Event::AgreementCompleted,
            webhooks::Event::AgreementCompleted,
        ),
        AgreementState::Cancelled => (
            audit::Event::AgreementCancelled,
            webhooks::Event::AgreementCancelled,
        ),
    }
}

/// Records that agreement `id` reached `state`, in `tx`: its audit entry
/// and the platform's webhook event.
async fn record(
    tx: &mut ChangeTx,
    id: AgreementId,
    peer: &PeerRow,
    state: AgreementState,
    decided_by: &str,
    reason: Option<&str>,
) -> Result<()> {
    let row = tx
        .agreement(id)
        .await?
        .ok_or_else(|| Error::Internal("agreement vanished inside its change".into()))?;
    let (audit_event, webhook_event) = events(state);
    let detail = format!(
        "agreement {id} ({}) with {} on {}: {} {} {}{}",
        row.side.as_str(),
        peer.handle,
        row.proposal_uri,
        state.as_str(),
        row.quantity_value,
        row.quantity_unit,
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    audit::record(tx, audit_event, Some(&peer.actor_uri), decided_by, &detail).await?;
    webhooks::emit(
        tx,
        webhook_event,
        &format!("{}|{}", row.offer_uri, state.as_str()),
        json!({
            "agreement": id,
            "side": row.side,
            "state": state,
            "peer": peer.actor_uri,
            "proposal": row.proposal_uri,
            "quantity": {"value": row.quantity_value, "unit": row.quantity_unit},
            "reason": reason,
        }),
    )
    .await
}

/// The agreement `id` and the peer on its other side.
async fn load(ctx: &Context, id: AgreementId) -> Result<(AgreementRow, PeerRow)> {
    let row = ctx
        .store
        .agreement(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no agreement {id}")))?;
    let peer = ctx
        .store
        .peer(row.peer_id)
        .await?
        .ok_or_else(|| Error::Internal("agreement without peer".into()))?;
    Ok((row, peer))
}

/// Refuses a move the agreement's state does not allow, changing nothing.
fn check_move(row: &AgreementRow, next: AgreementState) -> Result<()> {
    if row.state.may_become(next) {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "agreement {} is {}: it cannot become {}",
            row.id,
            row.state.as_str(),
            next.as_str()
        )))
    }
}
