//! Agreement activities (`Offer(Agreement)`, the `Accept` or `Reject` of
//! such an `Offer`, `Update(Agreement)`) and sharing terms (their `Offer`,
//! its `Accept`) commit both sides to something:
//! each must carry a FEP-8b32 integrity proof by its sender's
//! `assertionMethod` key, verified here before anything is stored. So must
//! a receipt (issue 26): an auditor checks it later against that key.

use serde_json::Value;

use crate::apub::activities::agreement::Agreement;
use crate::apub::activities::answer::object_id;
use crate::apub::activities::inbox::Inbound;
use crate::apub::verification::{VerificationError, verify_with_actor};
use crate::catalog::refreshed_actor;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::PeerRow;

/// Whether `activity` is about an agreement.
async fn about_agreement(ctx: &Context, activity: &Inbound) -> Result<bool> {
    Ok(match activity {
        Inbound::AgreementOffered(_) | Inbound::AgreementUpdated(_) | Inbound::TermsOffered(_) => {
            true
        }
        Inbound::Answer(answer) => {
            answer.result.as_ref().is_some_and(Agreement::is_agreement)
                || match object_id(&answer.object) {
                    Some(id) => {
                        ctx.store.agreement_by_offer(id.as_str()).await?.is_some()
                            || ctx.store.sent_terms_by_offer(id.as_str()).await?.is_some()
                    }
                    None => false,
                }
        }
        _ => false,
    })
}

/// Refuses an agreement activity whose integrity proof does not verify
/// with the sender's key (401: nothing is stored).
pub(super) async fn check_agreement_proof(
    ctx: &Context,
    activity: &Inbound,
    envelope: &Value,
    sender: &PeerRow,
) -> Result<()> {
    let receipt = matches!(activity, Inbound::Receipt(_));
    if !receipt && !about_agreement(ctx, activity).await? {
        return Ok(());
    }
    let refused = |e: &dyn std::fmt::Display| {
        Error::Unauthorized(format!(
            "this activity needs a valid integrity proof by its sender: {e}"
        ))
    };
    let actor: Value = serde_json::from_str(&sender.actor_json)?;
    match verify_with_actor(&actor, envelope) {
        // The sender may have rotated its proof key since its actor was
        // stored: one refetch, within the key-fetch bounds.
        Err(VerificationError::NotListed(_)) => {
            let refreshed = refreshed_actor(ctx, sender)
                .await
                .map_err(|e| refused(&e))?;
            verify_with_actor(&refreshed, envelope).map_err(|e| refused(&e))
        }
        verified => verified.map_err(|e| refused(&e)),
    }
}
