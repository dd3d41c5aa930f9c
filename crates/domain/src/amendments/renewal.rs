//! A member renews its commitments once an amendment it voted on was
//! adopted: each commitment to the amended version is republished for the
//! adopted one.

use url::Url;

use crate::amendments::member::member_row;
use crate::amendments::views::our_commitments;
use crate::amendments::{AmendmentView, view};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::payload::{CharterPayload, CommitmentPayload};
use crate::model::{AmendmentId, ObjectKind, Outcome};
use crate::{audit, change, publish};

/// Republishes this node's commitments to the amended version as
/// commitments to the adopted one (statements of removed principles
/// dropped; added principles wait for the platform's statement).
pub async fn renew(ctx: &Context, id: AmendmentId, decided_by: &str) -> Result<AmendmentView> {
    let row = member_row(ctx, id).await?;
    let adopted = row
        .adopted_version
        .as_deref()
        .filter(|_| row.outcome == Some(Outcome::Adopted))
        .ok_or_else(|| Error::Conflict(format!("amendment {id} adopted no new version")))?;
    let adopted = Url::parse(adopted)?;
    let proposal: CharterPayload = serde_json::from_str(&row.proposal)?;
    let outdated: Vec<_> = our_commitments(ctx)
        .await?
        .into_iter()
        .filter(|(_, c)| c.charter.as_str() == row.base_version)
        .collect();
    if outdated.is_empty() {
        return Err(Error::Conflict(format!(
            "no commitment of this node names {}",
            row.base_version
        )));
    }
    let mut renewals = Vec::with_capacity(outdated.len());
    for (object, commitment) in &outdated {
        let document = serde_json::to_value(renewed(commitment, &adopted, &proposal))?;
        let prepared = publish::prepare(ctx, ObjectKind::Commitment, &document).await?;
        renewals.push((object, prepared));
    }
    let mut tx = change::begin(ctx).await?;
    for (object, prepared) in &renewals {
        publish::publish_in(ctx, &mut tx, &object.local_id, prepared).await?;
        let detail = format!("commitment `{}` renewed for {adopted}", object.local_id);
        audit::record(
            &mut tx,
            audit::Event::CommitmentRenewed,
            None,
            decided_by,
            &detail,
        )
        .await?;
    }
    change::commit(ctx, tx).await?;
    view(ctx, id).await
}

fn renewed(
    commitment: &CommitmentPayload,
    adopted: &Url,
    proposal: &CharterPayload,
) -> CommitmentPayload {
    let mut renewed = commitment.clone();
    renewed.charter = adopted.clone();
    renewed.statements = commitment
        .statements
        .iter()
        .filter_map(|s| {
            let key = s.principle.fragment()?;
            proposal.principles.iter().any(|p| p.key == key).then(|| {
                let mut statement = s.clone();
                let mut principle = adopted.clone();
                principle.set_fragment(Some(key));
                statement.principle = principle;
                statement
            })
        })
        .collect();
    renewed
}
