//! The audit log of governance decisions: appended, never changed.

use crate::error::Result;

/// Governance events, as named in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    RequestReceived,
    RequestApproved,
    RequestRejected,
    FollowerUndone,
    FollowSent,
    FollowAccepted,
    FollowRejected,
    FollowUndone,
    PeerExcluded,
    PeerReincluded,
    WebhookDisabled,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::RequestReceived => "request.received",
            Event::RequestApproved => "request.approved",
            Event::RequestRejected => "request.rejected",
            Event::FollowerUndone => "follower.undone",
            Event::FollowSent => "follow.sent",
            Event::FollowAccepted => "follow.accepted",
            Event::FollowRejected => "follow.rejected",
            Event::FollowUndone => "follow.undone",
            Event::PeerExcluded => "peer.excluded",
            Event::PeerReincluded => "peer.reincluded",
            Event::WebhookDisabled => "webhook.disabled",
        }
    }
}

/// Every audit entry is also a log line.
fn log(event: Event, peer: Option<&str>, decided_by: &str, detail: &str) {
    tracing::info!(
        event = event.as_str(),
        peer,
        decided_by,
        detail,
        "governance"
    );
}

/// Records a decision in the audit log inside `tx`, so the entry and the
/// change stand or fall together.
pub async fn record(
    tx: &mut crate::store::ChangeTx,
    event: Event,
    peer: Option<&str>,
    decided_by: &str,
    detail: &str,
) -> Result<()> {
    log(event, peer, decided_by, detail);
    tx.append_audit(event.as_str(), peer, decided_by, detail)
        .await
}
