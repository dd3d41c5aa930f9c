//! After acceptance: either side completes or cancels an agreement, and
//! tells the other with `Update(Agreement)` carrying its new
//! `agreementState`. A cancelled agreement gives its quantity back to the
//! offer on the owner's side.

use serde_json::Value;
use url::Url;

use crate::agreements::views::AgreementView;
use crate::agreements::{check_move, load, record, stock};
use crate::apub::activities::agreement::{self, Agreement};
use crate::apub::activities::{self, update};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{AgreementState, Side};
use crate::{change, outgoing};

/// Completes accepted agreement `id`.
pub async fn complete(ctx: &Context, id: &str, decided_by: &str) -> Result<AgreementView> {
    change_state(ctx, id, AgreementState::Completed, None, decided_by).await
}

/// Cancels accepted agreement `id`, with an optional reason (kept here).
pub async fn cancel(
    ctx: &Context,
    id: &str,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<AgreementView> {
    change_state(ctx, id, AgreementState::Cancelled, reason, decided_by).await
}

async fn change_state(
    ctx: &Context,
    id: &str,
    next: AgreementState,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<AgreementView> {
    let (row, peer) = load(ctx, crate::model::parse_id(id)?).await?;
    check_move(&row, next)?;
    let mut agreement: Agreement = serde_json::from_str(&row.document)?;
    if agreement.id.is_none() {
        return Err(Error::Internal("an accepted agreement without id".into()));
    }
    agreement.agreement_state = Some(next);
    let document = serde_json::to_string(&agreement)?;
    ctx.store.ensure_delivery_stream(peer.id).await?;
    let mut tx = change::begin(ctx).await?;
    let moved = tx
        .set_agreement_state(
            row.id,
            AgreementState::Accepted,
            next,
            None,
            reason,
            Some(&document),
        )
        .await?;
    if !moved {
        return Err(Error::Conflict(format!(
            "agreement {} changed meanwhile: it cannot become {}",
            row.id,
            next.as_str()
        )));
    }
    if row.side == Side::Owner && next == AgreementState::Cancelled {
        stock::give_back(ctx, &mut tx, &row).await?;
    }
    let update_id = activities::new_activity_id(&ctx.settings);
    let activity = agreement::activity(
        &ctx.settings,
        update::TYPE,
        &update_id,
        &serde_json::to_value(&agreement)?,
        &Url::parse(&peer.actor_uri)?,
    );
    outgoing::record_for_peer(ctx, &mut tx, peer.id, update::TYPE, &update_id, &activity).await?;
    record(&mut tx, row.id, &peer, next, decided_by, reason).await?;
    change::commit(ctx, tx).await?;
    super::views::show(ctx, &row.id.to_string()).await
}

/// A peer's `Update(Agreement)` (its proof verified): the agreement
/// between us completed or cancelled on its side.
pub async fn update_received(ctx: &Context, sender: &Url, object: &Value) -> Result<()> {
    let agreement = Agreement::read(object, "/object")?;
    let (Some(id), Some(next)) = (&agreement.id, agreement.agreement_state) else {
        return Err(Error::UnprocessableAt(
            "/object".into(),
            "an Update of an Agreement names it and its agreementState".into(),
        ));
    };
    let peer = ctx
        .store
        .peer_by_uri(sender.as_str())
        .await?
        .ok_or_else(|| Error::Internal("a verified sender is a known peer".into()))?;
    let mut tx = change::begin(ctx).await?;
    let row = tx
        .agreement_by_uri(id.as_str())
        .await?
        .filter(|row| row.peer_id == peer.id)
        .ok_or_else(|| {
            Error::UnprocessableAt(
                "/object/id".into(),
                format!("{id} is no agreement with this node"),
            )
        })?;
    if row.state == next {
        return Ok(());
    }
    if !matches!(next, AgreementState::Completed | AgreementState::Cancelled) {
        return Err(Error::UnprocessableAt(
            "/object/agreementState".into(),
            "an Update completes or cancels an agreement".into(),
        ));
    }
    check_move(&row, next)?;
    let mut held: Agreement = serde_json::from_str(&row.document)?;
    held.agreement_state = Some(next);
    tx.set_agreement_state(
        row.id,
        AgreementState::Accepted,
        next,
        None,
        None,
        Some(&serde_json::to_string(&held)?),
    )
    .await?;
    if row.side == Side::Owner && next == AgreementState::Cancelled {
        stock::give_back(ctx, &mut tx, &row).await?;
    }
    record(&mut tx, row.id, &peer, next, &peer.actor_uri, None).await?;
    change::commit(ctx, tx).await
}
