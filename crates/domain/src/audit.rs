//! The audit log of governance decisions: appended, never changed.

use serde::Serialize;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::listing::{Page, PageRequest};
use crate::model::time::format_millis;
use crate::store::AuditFilter;

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
    WebhookEnabled,
    WebhookTested,
    DfcRun,
    DfcForgotten,
    AgreementOffered,
    AgreementAccepted,
    AgreementRejected,
    AgreementCompleted,
    AgreementCancelled,
    AmendmentOpened,
    AmendmentClosed,
    AmendmentVoted,
    VoteCounted,
    VoteRefused,
    DraftOffered,
    DraftReceived,
    DraftAccepted,
    DraftRejected,
    CommitmentRenewed,
    ScopeSet,
    FollowSyncUndone,
    FollowSyncEnded,
    TermsReceived,
    TermsAccepted,
    NetworkJoinSent,
    NetworkJoinReceived,
    NetworkJoinRefused,
    NetworkJoinAnswered,
    NetworkVoteOpened,
    NetworkVoteClosed,
    NetworkVoted,
    NetworkExclusionProposed,
    NetworkReplied,
    NetworkMemberAdmitted,
    NetworkMemberRemoved,
    NetworkOverrideSet,
    NetworkOverrideRemoved,
    TokenCreated,
    TokenRevoked,
    KeysRotated,
    NodeMoved,
    PeerMoved,
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
            Event::WebhookEnabled => "webhook.enabled",
            Event::WebhookTested => "webhook.tested",
            Event::DfcRun => "dfc.run",
            Event::DfcForgotten => "dfc.forgotten",
            Event::AgreementOffered => "agreement.offered",
            Event::AgreementAccepted => "agreement.accepted",
            Event::AgreementRejected => "agreement.rejected",
            Event::AgreementCompleted => "agreement.completed",
            Event::AgreementCancelled => "agreement.cancelled",
            Event::AmendmentOpened => "amendment.opened",
            Event::AmendmentClosed => "amendment.closed",
            Event::AmendmentVoted => "amendment.voted",
            Event::VoteCounted => "amendment.vote_counted",
            Event::VoteRefused => "amendment.vote_refused",
            Event::DraftOffered => "amendment.draft_offered",
            Event::DraftReceived => "amendment.draft_received",
            Event::DraftAccepted => "amendment.draft_accepted",
            Event::DraftRejected => "amendment.draft_rejected",
            Event::CommitmentRenewed => "commitment.renewed",
            Event::ScopeSet => "sharing.scope_set",
            Event::FollowSyncUndone => "follow.sync_undone",
            Event::FollowSyncEnded => "follow.sync_ended",
            Event::TermsReceived => "sharing.terms_received",
            Event::TermsAccepted => "sharing.terms_accepted",
            Event::NetworkJoinSent => "network.join_sent",
            Event::NetworkJoinReceived => "network.join_received",
            Event::NetworkJoinRefused => "network.join_refused",
            Event::NetworkJoinAnswered => "network.join_answered",
            Event::NetworkVoteOpened => "network.vote_opened",
            Event::NetworkVoteClosed => "network.vote_closed",
            Event::NetworkVoted => "network.voted",
            Event::NetworkExclusionProposed => "network.exclusion_proposed",
            Event::NetworkReplied => "network.replied",
            Event::NetworkMemberAdmitted => "network.member_admitted",
            Event::NetworkMemberRemoved => "network.member_removed",
            Event::NetworkOverrideSet => "network.override_set",
            Event::NetworkOverrideRemoved => "network.override_removed",
            Event::TokenCreated => "token.created",
            Event::TokenRevoked => "token.revoked",
            Event::KeysRotated => "keys.rotated",
            Event::NodeMoved => "node.moved",
            Event::PeerMoved => "peer.moved",
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

/// One logged decision, as the API and the console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub action: String,
    pub peer: Option<String>,
    pub decided_by: String,
    pub detail: String,
}

/// The log, newest first: the entries before the page's cursor.
pub async fn page(ctx: &Context, page: &PageRequest) -> Result<Page<AuditEntry>> {
    filtered(ctx, page, &AuditFilter::default()).await
}

/// What an admin asked the log for, as typed (the API's and the console's
/// query parameters); empty values ask for nothing.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuditSearch {
    /// An action name (`peer.excluded`).
    pub action: Option<String>,
    /// A known peer: id, `@name@host` or actor URL.
    pub peer: Option<String>,
    /// From (RFC 3339, or a date: its start).
    pub since: Option<String>,
    /// Up to (RFC 3339, or a date: its end).
    pub until: Option<String>,
}

fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// The filter `search` asks for: 400 for a time that cannot be read, 404
/// for a peer that is not known.
pub async fn filter(ctx: &Context, search: &AuditSearch) -> Result<AuditFilter> {
    let bound = |name: &str, text: Option<&str>, end: bool| {
        text.map(|t| {
            crate::model::time::parse_bound(t, end).ok_or_else(|| {
                Error::BadRequest(format!("`{name}` is a date or RFC 3339 time, not `{t}`"))
            })
        })
        .transpose()
    };
    let peer = match given(&search.peer) {
        Some(target) => Some(crate::peers::find_known(ctx, target).await?.actor_uri),
        None => None,
    };
    Ok(AuditFilter {
        action: given(&search.action).map(str::to_owned),
        peer,
        since: bound("since", given(&search.since), false)?,
        until: bound("until", given(&search.until), true)?,
    })
}

/// The actions the log holds (for a filter's choices).
pub async fn actions(ctx: &Context) -> Result<Vec<String>> {
    ctx.store.audit_actions().await
}

/// The entries matching `filter`, newest first, before the page's cursor.
pub async fn filtered(
    ctx: &Context,
    page: &PageRequest,
    filter: &AuditFilter,
) -> Result<Page<AuditEntry>> {
    let rows = ctx
        .store
        .audit_filtered(page.cursor, page.limit + 1, filter)
        .await?;
    Ok(Page::of_rows(
        rows,
        page.limit,
        |row| row.id,
        |row| AuditEntry {
            id: row.id,
            at: format_millis(row.at),
            action: row.action.clone(),
            peer: row.peer.clone(),
            decided_by: row.decided_by.clone(),
            detail: row.detail.clone(),
        },
    ))
}
