//! The offer owner's side: a peer's `Offer(Agreement)` is checked against
//! the rules at once (a broken one is rejected automatically, with the
//! reason), then waits for the platform or an admin to accept it (the
//! offer's available quantity taken and its `Update` published in the
//! same change) or reject it.

use rust_decimal::Decimal;
use serde_json::Value;
use url::Url;

use crate::agreements::views::AgreementView;
use crate::agreements::{RULES, Refusal, amount, check_move, load, record, stock, terms};
use crate::apub::activities::agreement::{self, Agreement};
use crate::apub::activities::{self, answer};
use crate::apub::actor::actor_id;
use crate::apub::objects::offer::Proposal;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{AgreementState, FollowerState, ObjectKind, Side, units};
use crate::store::{AgreementRow, ChangeTx, NewAgreement, PeerRow};
use crate::visibility::ReaderRights;
use crate::{change, outgoing, publish};

/// Why a received agreement cannot stand, or its terms (the sender is an
/// approved follower).
async fn judge(
    ctx: &Context,
    sender: &PeerRow,
    proposal_uri: &Url,
    offered: &Agreement,
) -> Result<std::result::Result<terms::Terms, String>> {
    let object = match publish::parse_object_uri(ctx, proposal_uri) {
        Some((ObjectKind::Offer, local_id)) => {
            ctx.store.object(ObjectKind::Offer, &local_id).await?
        }
        _ => None,
    };
    let Some(object) = object.filter(|o| o.deleted_at.is_none()) else {
        return Ok(Err(format!("{proposal_uri} is not an offer of this node")));
    };
    if !ReaderRights::of(ctx, sender)
        .await?
        .may_read(&object.audience)
    {
        // Told as if it did not exist: its audience is not the asker's to know.
        return Ok(Err(format!("{proposal_uri} is not an offer of this node")));
    }
    let document: Value = serde_json::from_str(&object.document)?;
    let proposal: Proposal = serde_json::from_value(document)?;
    Ok(terms::check_received(proposal_uri, &proposal, offered))
}

/// Refuses, before anything is stored, an `Offer(Agreement)` from a peer
/// that is not an approved follower: a stranger's request costs this
/// node a counter, not an agreement, audit entries, webhooks and a
/// delivery stream.
async fn admit(ctx: &Context, sender: &PeerRow) -> Result<()> {
    let follower = ctx.store.follow_in_by_peer(sender.id).await?;
    if follower.map(|f| f.state) == Some(FollowerState::Approved) {
        return Ok(());
    }
    Err(Refusal::Stranger.count(
        ctx,
        Error::Forbidden(
            "only approved followers may ask for this node's offers: follow it and be approved first"
                .into(),
        ),
    ))
}

/// The quantity and the reciprocal's value as decimals, or a 422 (nothing
/// stored): what is stored is the validated decimal, never the raw text.
fn amounts(ctx: &Context, offered: &Agreement) -> Result<(Decimal, Option<Decimal>)> {
    let read = |value: &str, pointer: &str| {
        amount::parse(value).ok_or_else(|| {
            Refusal::Malformed.count(
                ctx,
                Error::UnprocessableAt(
                    pointer.into(),
                    "not a decimal number (digits, an optional fraction)".into(),
                ),
            )
        })
    };
    let quantity = read(
        &offered.stipulates.resource_quantity.has_numerical_value,
        "/object/stipulates/resourceQuantity/hasNumericalValue",
    )?;
    let reciprocal = offered
        .stipulates_reciprocal
        .as_ref()
        .map(|r| {
            read(
                &r.resource_quantity.has_numerical_value,
                "/object/stipulatesReciprocal/resourceQuantity/hasNumericalValue",
            )
        })
        .transpose()?;
    Ok((quantity, reciprocal))
}

/// A peer's `Offer(Agreement)`, its integrity proof verified.
pub async fn offer_received(
    ctx: &Context,
    sender: &PeerRow,
    offer_id: &Url,
    offered: &Agreement,
) -> Result<()> {
    admit(ctx, sender).await?;
    if ctx
        .store
        .agreement_by_offer(offer_id.as_str())
        .await?
        .is_some()
    {
        return Ok(());
    }
    let (quantity, reciprocal_value) = amounts(ctx, offered)?;
    let mut proposal_uri = offered.stipulates.satisfies.clone();
    proposal_uri.set_fragment(None);
    let verdict = judge(ctx, sender, &proposal_uri, offered).await?;
    let quantity_value = amount::text(quantity);
    let reciprocal = offered
        .stipulates_reciprocal
        .as_ref()
        .zip(reciprocal_value)
        .map(|(r, value)| {
            (
                units::om_name(&r.resource_quantity.has_unit),
                amount::text(value),
            )
        });
    let currency = verdict
        .as_ref()
        .ok()
        .and_then(|t| t.reciprocal.as_ref())
        .and_then(|r| r.currency.clone());
    // Kept (and later finalised) as validated: `5`, never ` 5`.
    let mut document = offered.clone();
    document.stipulates.resource_quantity.has_numerical_value = quantity_value.clone();
    if let (Some(r), Some((_, value))) = (document.stipulates_reciprocal.as_mut(), &reciprocal) {
        r.resource_quantity.has_numerical_value = value.clone();
    }
    ctx.store.ensure_delivery_stream(sender.id).await?;
    let mut tx = change::begin(ctx).await?;
    let id = tx
        .insert_agreement(&NewAgreement {
            side: Side::Owner,
            peer_id: sender.id,
            offer_uri: offer_id.as_str(),
            proposal_uri: proposal_uri.as_str(),
            state: AgreementState::Pending,
            quantity_unit: &units::om_name(&offered.stipulates.resource_quantity.has_unit),
            quantity_value: &quantity_value,
            reciprocal: reciprocal
                .as_ref()
                .map(|(unit, value)| (unit.as_str(), value.as_str(), currency.as_deref())),
            note: offered.content.as_deref(),
            reason: None,
            document: &serde_json::to_string(&document)?,
        })
        .await?;
    record(
        &mut tx,
        id,
        sender,
        AgreementState::Pending,
        &sender.actor_uri,
        None,
    )
    .await?;
    if let Err(reason) = verdict {
        tracing::info!(offer = %offer_id, reason, "agreement: refused by the rules");
        let row = tx
            .agreement(id)
            .await?
            .ok_or_else(|| Error::Internal("agreement vanished inside its change".into()))?;
        reject_in(ctx, &mut tx, &row, sender, Some(&reason), RULES).await?;
    }
    change::commit(ctx, tx).await
}

/// Accepts agreement `id` (one a peer asked this node for): the offer's
/// quantity is taken and the peer told with `Accept` and the finalised
/// agreement.
pub async fn accept(ctx: &Context, id: &str, decided_by: &str) -> Result<AgreementView> {
    let (row, peer) = decidable(ctx, id, AgreementState::Accepted).await?;
    ctx.store.ensure_delivery_stream(peer.id).await?;
    let mut tx = change::begin(ctx).await?;
    let row = current(&mut tx, &row, AgreementState::Accepted).await?;
    stock::take(ctx, &mut tx, &row).await?;
    let finalised = finalise(ctx, &row)?;
    let agreement_uri = finalised.id.clone().map(|u| u.to_string());
    let answer_id = activities::new_activity_id(&ctx.settings);
    let document = agreement::answer(
        &ctx.settings,
        answer::ACCEPT,
        &answer_id,
        &Url::parse(&row.offer_uri)?,
        &Url::parse(&peer.actor_uri)?,
        Some(&finalised),
        None,
    )?;
    outgoing::record_for_peer(ctx, &mut tx, peer.id, answer::ACCEPT, &answer_id, &document).await?;
    tx.set_agreement_state(
        row.id,
        AgreementState::Pending,
        AgreementState::Accepted,
        agreement_uri.as_deref(),
        None,
        Some(&serde_json::to_string(&finalised)?),
    )
    .await?;
    record(
        &mut tx,
        row.id,
        &peer,
        AgreementState::Accepted,
        decided_by,
        None,
    )
    .await?;
    change::commit(ctx, tx).await?;
    super::views::show(ctx, &row.id.to_string()).await
}

/// Rejects agreement `id`, with an optional reason told to the peer.
pub async fn reject(
    ctx: &Context,
    id: &str,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<AgreementView> {
    let (row, peer) = decidable(ctx, id, AgreementState::Rejected).await?;
    ctx.store.ensure_delivery_stream(peer.id).await?;
    let mut tx = change::begin(ctx).await?;
    let row = current(&mut tx, &row, AgreementState::Rejected).await?;
    reject_in(ctx, &mut tx, &row, &peer, reason, decided_by).await?;
    change::commit(ctx, tx).await?;
    super::views::show(ctx, &row.id.to_string()).await
}

/// The agreement `id`, if this node owns its offer and may move it to
/// `next`.
async fn decidable(
    ctx: &Context,
    id: &str,
    next: AgreementState,
) -> Result<(AgreementRow, PeerRow)> {
    let (row, peer) = load(ctx, crate::model::parse_id(id)?).await?;
    if row.side != Side::Owner {
        return Err(Error::Conflict(format!(
            "agreement {} was asked by this node: only the offer's owner accepts or rejects it",
            row.id
        )));
    }
    check_move(&row, next)?;
    Ok((row, peer))
}

/// The agreement as the change sees it, still able to move to `next`
/// (another decision may have committed since it was read).
async fn current(
    tx: &mut ChangeTx,
    row: &AgreementRow,
    next: AgreementState,
) -> Result<AgreementRow> {
    let row = tx
        .agreement(row.id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no agreement {}", row.id)))?;
    check_move(&row, next)?;
    Ok(row)
}

/// The agreement as offered, with its ids and the proposer.
fn finalise(ctx: &Context, row: &AgreementRow) -> Result<Agreement> {
    let mut agreement: Agreement = serde_json::from_str(&row.document)?;
    let id = ctx
        .settings
        .url_for(&format!("/agreements/{}", uuid::Uuid::new_v4()));
    let fragment = |name: &str| {
        let mut commitment = id.clone();
        commitment.set_fragment(Some(name));
        commitment
    };
    agreement.stipulates.id = Some(fragment("primary"));
    if let Some(reciprocal) = agreement.stipulates_reciprocal.as_mut() {
        reciprocal.id = Some(fragment("reciprocal"));
    }
    agreement.attributed_to = Some(actor_id(&ctx.settings));
    agreement.agreement_state = Some(AgreementState::Accepted);
    agreement.id = Some(id);
    Ok(agreement)
}

/// Rejects a pending agreement in `tx`: the `Reject` (with the reason as
/// its `content`), the state and the records commit together.
async fn reject_in(
    ctx: &Context,
    tx: &mut ChangeTx,
    row: &AgreementRow,
    peer: &PeerRow,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<()> {
    let answer_id = activities::new_activity_id(&ctx.settings);
    let document = agreement::answer(
        &ctx.settings,
        answer::REJECT,
        &answer_id,
        &Url::parse(&row.offer_uri)?,
        &Url::parse(&peer.actor_uri)?,
        None,
        reason,
    )?;
    outgoing::record_for_peer(ctx, tx, peer.id, answer::REJECT, &answer_id, &document).await?;
    let moved = tx
        .set_agreement_state(
            row.id,
            AgreementState::Pending,
            AgreementState::Rejected,
            None,
            reason,
            None,
        )
        .await?;
    if !moved {
        return Err(Error::Conflict(format!(
            "agreement {} was decided meanwhile",
            row.id
        )));
    }
    record(
        tx,
        row.id,
        peer,
        AgreementState::Rejected,
        decided_by,
        reason,
    )
    .await
}
