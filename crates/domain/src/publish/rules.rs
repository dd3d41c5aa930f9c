//! The publication rules a JSON Schema cannot express: unique charter
//! principle keys, and commitments that answer a charter version's
//! principles, each once.

use serde_json::Value;

use crate::apub::objects::charter::parse_version_uri;
use crate::context::Context;
use crate::error::{Error, Result, Violation};
use crate::model::payload::{CommitmentPayload, Payload};

/// Rules a JSON Schema cannot express.
pub(super) async fn check_rules(ctx: &Context, payload: &Payload) -> Result<()> {
    let mut violations = Vec::new();
    match payload {
        Payload::Charter(charter) => {
            for (index, principle) in charter.principles.iter().enumerate() {
                if charter.principles[..index]
                    .iter()
                    .any(|p| p.key == principle.key)
                {
                    violations.push(Violation {
                        pointer: format!("/principles/{index}/key"),
                        detail: format!("principle key `{}` is used twice", principle.key),
                    });
                }
            }
        }
        Payload::Commitment(commitment) => {
            check_commitment(ctx, commitment, &mut violations).await?
        }
        Payload::Offer(_) | Payload::Member(_) => {}
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Error::Unprocessable(violations))
    }
}

/// A commitment names principles of the charter version it commits to, each
/// once; when that charter is hosted here, it covers every principle.
async fn check_commitment(
    ctx: &Context,
    commitment: &CommitmentPayload,
    violations: &mut Vec<Violation>,
) -> Result<()> {
    let charter = &commitment.charter;
    if parse_version_uri(charter).is_none() {
        violations.push(Violation {
            pointer: "/charter".into(),
            detail: "must name a charter version (…/charters/{id}/versions/{n})".into(),
        });
        return Ok(());
    }
    for (index, statement) in commitment.statements.iter().enumerate() {
        let mut base = statement.principle.clone();
        base.set_fragment(None);
        if &base != charter || statement.principle.fragment().is_none_or(str::is_empty) {
            violations.push(Violation {
                pointer: format!("/statements/{index}/principle"),
                detail: format!("must be a principle of {charter} (that URI with the principle's key as fragment)"),
            });
        }
        if commitment.statements[..index]
            .iter()
            .any(|s| s.principle == statement.principle)
        {
            violations.push(Violation {
                pointer: format!("/statements/{index}/principle"),
                detail: "this principle already has a statement".into(),
            });
        }
    }
    if charter.origin() != ctx.settings.public_url.origin() {
        // A peer's charter: checked against the peer when commitments are
        // shown to admins, once following exists.
        return Ok(());
    }
    let Some((_, version)) = ctx.store.object_version_by_uri(charter.as_str()).await? else {
        violations.push(Violation {
            pointer: "/charter".into(),
            detail: format!("no charter version {charter} on this node"),
        });
        return Ok(());
    };
    let document: Value = serde_json::from_str(&version.document)?;
    let principles: Vec<String> = document["principles"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for principle in &principles {
        if !commitment
            .statements
            .iter()
            .any(|s| s.principle.as_str() == principle)
        {
            violations.push(Violation {
                pointer: "/statements".into(),
                detail: format!("no statement for principle {principle}"),
            });
        }
    }
    for (index, statement) in commitment.statements.iter().enumerate() {
        if !principles.iter().any(|p| p == statement.principle.as_str()) {
            violations.push(Violation {
                pointer: format!("/statements/{index}/principle"),
                detail: format!(
                    "{} is not a principle of this charter version",
                    statement.principle
                ),
            });
        }
    }
    Ok(())
}
