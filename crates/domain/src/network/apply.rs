//! Applying the mirrored directories (member side, `network` admission):
//! members are followed and their requests approved, members the network
//! removed are excluded once, and the admin's overrides win over both.
//! Each decision goes through the ordinary follow and exclusion paths, so
//! it is audited with the network (or the override) as the decider.

use std::collections::BTreeMap;

use crate::apub::actor::actor_id;
use crate::context::Context;
use crate::error::Result;
use crate::follows;
use crate::model::{FollowerState, FollowingState, OverrideDecision};
use crate::network::membership::decider;
use crate::store::{FollowInRow, FollowOutRow, MirrorRow, OverrideRow};

/// An exclusion this node's network machinery made (and may lift): by a
/// network's directory or by a local override.
fn ours(excluded_by: &str) -> bool {
    excluded_by.starts_with("network ")
}

/// What to do about one member.
enum Verdict<'a> {
    /// Follow, approve, lift our own exclusion: listed, or kept.
    Include { decided_by: String },
    /// Excluded by a local override.
    Exclude { decided_by: String, reason: &'a str },
    /// Removed by the network: exclude once, then record it applied.
    Removed { network: &'a str },
    /// Removed and already applied.
    Nothing,
}

/// Applies the mirrored directories of the configured networks.
pub(super) async fn apply(ctx: &Context) -> Result<()> {
    let us = actor_id(&ctx.settings);
    let configured = &ctx.settings.federation.networks;
    let mirror: Vec<MirrorRow> = ctx
        .store
        .network_mirror()
        .await?
        .into_iter()
        .filter(|row| row.actor_uri != us.as_str())
        .filter(|row| configured.iter().any(|n| n.as_str() == row.network))
        .collect();
    let overrides = ctx.store.network_overrides().await?;
    // One verdict per member, the listing network first.
    let mut members: BTreeMap<&str, Vec<&MirrorRow>> = BTreeMap::new();
    for row in &mirror {
        members.entry(&row.actor_uri).or_default().push(row);
    }
    for (actor, rows) in &members {
        let set = overrides.iter().find(|o| o.actor_uri == *actor);
        let outcome = match verdict(rows, set) {
            Verdict::Include { decided_by } => include(ctx, actor, &decided_by).await,
            Verdict::Exclude { decided_by, reason } => {
                exclude(ctx, actor, reason, &decided_by).await
            }
            Verdict::Removed { network } => removed(ctx, network, actor).await,
            Verdict::Nothing => Ok(()),
        };
        if let Err(e) = outcome {
            tracing::warn!(member = actor, error = %e, "could not apply the network directory");
        }
    }
    // An exclusion by override also holds for a node no directory lists.
    for set in &overrides {
        if set.decision == OverrideDecision::Exclude
            && !members.contains_key(set.actor_uri.as_str())
        {
            let decided_by = override_decider(set);
            if let Err(e) = exclude(ctx, &set.actor_uri, &set.reason, &decided_by).await {
                tracing::warn!(member = set.actor_uri, error = %e, "could not apply the override");
            }
        }
    }
    Ok(())
}

fn override_decider(set: &OverrideRow) -> String {
    format!("network override by {}", set.decided_by)
}

fn verdict<'a>(rows: &[&'a MirrorRow], set: Option<&'a OverrideRow>) -> Verdict<'a> {
    if let Some(set) = set {
        let decided_by = override_decider(set);
        return match set.decision {
            OverrideDecision::Exclude => Verdict::Exclude {
                decided_by,
                reason: &set.reason,
            },
            OverrideDecision::Keep => Verdict::Include { decided_by },
        };
    }
    if let Some(listing) = rows.iter().find(|row| row.listed) {
        return Verdict::Include {
            decided_by: decider(&listing.network),
        };
    }
    match rows.iter().find(|row| row.applied_at.is_none()) {
        Some(row) => Verdict::Removed {
            network: &row.network,
        },
        None => Verdict::Nothing,
    }
}

/// Follows `actor` unless this node does (or was refused), approves its
/// pending request, and lifts an exclusion the network machinery made.
async fn include(ctx: &Context, actor: &str, decided_by: &str) -> Result<()> {
    let mut peer = ctx.store.peer_by_uri(actor).await?;
    if let Some(known) = &peer {
        if let Some(exclusion) = ctx
            .store
            .exclusion(&known.domain.to_ascii_lowercase())
            .await?
        {
            if !ours(&exclusion.excluded_by) {
                // An admin's own exclusion stands.
                return Ok(());
            }
            follows::reinclude(ctx, known.id, decided_by).await?;
        }
    }
    let (ours, theirs) = match &peer {
        Some(known) => (
            ctx.store.follow_out_by_peer(known.id).await?,
            ctx.store.follow_in_by_peer(known.id).await?,
        ),
        None => (None, None),
    };
    if should_follow(ours.as_ref(), theirs.as_ref()) {
        let (found, _) = follows::follow(ctx, actor, decided_by).await?;
        peer = Some(found.row);
    }
    let Some(peer) = peer else {
        return Ok(());
    };
    if let Some(request) = ctx.store.follow_in_by_peer(peer.id).await? {
        if request.state == FollowerState::Pending {
            follows::approve(ctx, request.id, decided_by).await?;
        }
    }
    Ok(())
}

/// Whether to (again) ask to follow a member: not followed yet, or our
/// follow was rejected before the member last (re)asked to follow us (it
/// was excluded, then came back); a member that rejects again is not
/// asked again until it follows anew.
fn should_follow(ours: Option<&FollowOutRow>, theirs: Option<&FollowInRow>) -> bool {
    match ours {
        None => true,
        Some(ours) if ours.state == FollowingState::Rejected => theirs.is_some_and(|theirs| {
            theirs.state != FollowerState::Rejected && theirs.updated_at > ours.updated_at
        }),
        Some(_) => false,
    }
}

/// Excludes `actor` (once: an exclusion already there is left as it is).
async fn exclude(ctx: &Context, actor: &str, reason: &str, decided_by: &str) -> Result<()> {
    let Some(peer) = ctx.store.peer_by_uri(actor).await? else {
        return Ok(());
    };
    if ctx
        .store
        .exclusion(&peer.domain.to_ascii_lowercase())
        .await?
        .is_some()
    {
        return Ok(());
    }
    let reason = if reason.trim().is_empty() {
        "excluded by a local override"
    } else {
        reason
    };
    follows::exclude(ctx, peer.id, reason, decided_by).await
}

/// Applies the network's removal of `actor`, once.
async fn removed(ctx: &Context, network: &str, actor: &str) -> Result<()> {
    let reason = format!("removed from the network {network}");
    exclude(ctx, actor, &reason, &decider(network)).await?;
    ctx.store.mirror_removal_applied(network, actor).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FollowId, OverrideId, PeerId, RequestId};

    fn mirrored(network: &str, listed: bool, applied: bool) -> MirrorRow {
        MirrorRow {
            network: network.into(),
            actor_uri: "https://c.example/actor".into(),
            since: 1,
            version: "https://a.example/charters/pec/versions/1".into(),
            listed,
            removed_at: (!listed).then_some(2),
            applied_at: applied.then_some(3),
        }
    }

    fn set(decision: OverrideDecision) -> OverrideRow {
        OverrideRow {
            id: OverrideId(1),
            actor_uri: "https://c.example/actor".into(),
            decision,
            reason: "why".into(),
            decided_by: "admin token `a`".into(),
            decided_at: 1,
        }
    }

    #[test]
    fn overrides_win_then_a_listing_then_a_removal_once() {
        let (listed, removed, applied) = (
            mirrored("n1", true, false),
            mirrored("n2", false, false),
            mirrored("n2", false, true),
        );
        let keep = set(OverrideDecision::Keep);
        let exclude = set(OverrideDecision::Exclude);
        assert!(matches!(
            verdict(&[&listed], Some(&exclude)),
            Verdict::Exclude { .. }
        ));
        assert!(matches!(
            verdict(&[&removed], Some(&keep)),
            Verdict::Include { .. }
        ));
        // Listed by one network, removed by another: still a member.
        match verdict(&[&removed, &listed], None) {
            Verdict::Include { decided_by } => assert_eq!(decided_by, "network n1"),
            _ => panic!("a listed member is included"),
        }
        assert!(matches!(
            verdict(&[&removed], None),
            Verdict::Removed { network: "n2" }
        ));
        assert!(matches!(verdict(&[&applied], None), Verdict::Nothing));
    }

    fn ours(state: FollowingState, updated_at: i64) -> FollowOutRow {
        FollowOutRow {
            id: FollowId(1),
            peer_id: PeerId(1),
            follow_uri: "https://b.example/activities/1".into(),
            state,
            created_at: 0,
            updated_at,
        }
    }

    fn theirs(state: FollowerState, updated_at: i64) -> FollowInRow {
        FollowInRow {
            id: RequestId(1),
            peer_id: PeerId(1),
            follow_uri: "https://c.example/activities/1".into(),
            state,
            reason: None,
            snapshot: String::new(),
            commitments: String::new(),
            created_at: 0,
            updated_at,
        }
    }

    #[test]
    fn a_rejected_follow_is_asked_again_only_after_the_member_came_back() {
        assert!(should_follow(None, None));
        let active = ours(FollowingState::Active, 5);
        assert!(!should_follow(Some(&active), None));
        let rejected = ours(FollowingState::Rejected, 5);
        assert!(!should_follow(Some(&rejected), None));
        let before = theirs(FollowerState::Approved, 4);
        assert!(!should_follow(Some(&rejected), Some(&before)));
        let since = theirs(FollowerState::Approved, 6);
        assert!(should_follow(Some(&rejected), Some(&since)));
        let refused = theirs(FollowerState::Rejected, 6);
        assert!(!should_follow(Some(&rejected), Some(&refused)));
    }
}
