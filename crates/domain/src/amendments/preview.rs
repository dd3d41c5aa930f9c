//! What an amendment would change, before it is opened: the charters
//! hosted here (to edit one), and a proposal checked as `open` checks it
//! with the principles it adds, removes and changes (`question::changes`).

use serde::Serialize;
use url::Url;

use crate::amendments::Proposal;
use crate::amendments::proposal::checked_charter;
use crate::amendments::question;
use crate::apub::objects::charter::version_uri;
use crate::context::Context;
use crate::documents::parse_stored;
use crate::error::{Error, Result, Violation};
use crate::model::ObjectKind;
use crate::model::payload::{CharterPayload, Principle};

/// Charters read per query while listing them.
const BATCH: i64 = 200;

/// A charter hosted on this node, as its current version says.
#[derive(Debug, Serialize)]
pub struct HostedCharter {
    pub local_id: String,
    pub version: i64,
    pub charter: CharterPayload,
}

/// Every charter this node hosts (not deleted), oldest first.
pub async fn hosted_charters(ctx: &Context) -> Result<Vec<HostedCharter>> {
    let mut charters = Vec::new();
    let mut after = 0;
    loop {
        let rows = ctx
            .store
            .list_objects(ObjectKind::Charter, after, BATCH, false)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id.0;
        for row in rows.iter().filter(|r| r.deleted_at.is_none()) {
            charters.push(HostedCharter {
                local_id: row.local_id.clone(),
                version: row.version,
                charter: serde_json::from_str(&row.payload)?,
            });
        }
    }
    Ok(charters)
}

/// One hosted charter, or 404.
pub async fn hosted_charter(ctx: &Context, local_id: &str) -> Result<HostedCharter> {
    hosted_charters(ctx)
        .await?
        .into_iter()
        .find(|c| c.local_id == local_id)
        .ok_or_else(|| Error::NotFound(format!("no charter `{local_id}` on this node")))
}

/// A principle changed by the proposal: before and after.
#[derive(Debug, Serialize)]
pub struct Changed {
    pub before: Principle,
    pub after: Principle,
}

/// What opening the proposal would put to the vote.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub charter: String,
    pub current: CharterPayload,
    pub proposed: CharterPayload,
    pub added: Vec<Principle>,
    pub removed: Vec<Principle>,
    pub changed: Vec<Changed>,
    /// The charter's own name or text changed.
    pub text_changed: bool,
}

/// Checks `proposal` as opening it would (its rules, the proposed
/// charter, that it changes something) and says what it changes.
pub async fn preview(ctx: &Context, proposal: &Proposal) -> Result<Preview> {
    let mut proposed = checked_charter(proposal)?;
    let hosted = hosted_charter(ctx, &proposal.charter).await?;
    let current = hosted.charter;
    // What the form does not edit (audience, link) stays as it is.
    if proposed.audience.is_none() {
        proposed.audience.clone_from(&current.audience);
    }
    if proposed.url.is_none() {
        proposed.url.clone_from(&current.url);
    }
    if current == proposed {
        return Err(Error::Unprocessable(vec![Violation {
            pointer: "/proposed".into(),
            detail: "proposes no change to the current version".into(),
        }]));
    }
    let row = ctx
        .store
        .object(ObjectKind::Charter, &proposal.charter)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no charter `{}`", proposal.charter)))?;
    let base = version_uri(&Url::parse(&row.uri)?, row.version);
    let (_, version) = ctx
        .store
        .object_version_by_uri(base.as_str())
        .await?
        .ok_or_else(|| Error::NotFound(format!("no version {base}")))?;
    let changes = question::changes(&parse_stored(&version.document)?, &proposed);
    let keys = |name: &str| -> Vec<String> {
        changes[name]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let find = |list: &[Principle], key: &str| list.iter().find(|p| p.key == key).cloned();
    Ok(Preview {
        charter: proposal.charter.clone(),
        added: keys("added")
            .iter()
            .filter_map(|k| find(&proposed.principles, k))
            .collect(),
        removed: keys("removed")
            .iter()
            .filter_map(|k| find(&current.principles, k))
            .collect(),
        changed: keys("changed")
            .iter()
            .filter_map(|k| {
                Some(Changed {
                    before: find(&current.principles, k)?,
                    after: find(&proposed.principles, k)?,
                })
            })
            .collect(),
        text_changed: changes["text"].as_bool().unwrap_or(false),
        current,
        proposed,
    })
}
