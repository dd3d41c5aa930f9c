//! The shared vocabulary: the kinds of objects, audiences, follow states,
//! payloads, units, keys and time formats that the store, the domain, the
//! federation shapes and the HTTP layer all speak, and the one error type
//! they report in. The bottom layer: it depends on no other crate of the
//! workspace.

mod names;

pub mod activity_kind;
pub mod agreement;
pub mod amendment;
pub mod error;
pub mod follow_state;
pub mod health;
pub mod ids;
pub mod keys;
pub mod kinds;
pub mod network;
pub mod payload;
pub mod sharing;
pub mod time;
pub mod units;

pub use activity_kind::ActivityKind;
pub use agreement::{AgreementState, Side};
pub use amendment::{
    AmendmentRole, AmendmentState, Choice, DraftState, JoinRole, JoinState, Outcome, VoteSubject,
};
pub use follow_state::{FollowerState, FollowingState};
pub use health::{HealthFacts, PeerHealth};
pub use ids::{
    AgreementId, AmendmentId, DraftId, FollowId, JoinId, MembershipId, ObjectId, OverrideId,
    PeerId, RequestId, TokenId, WebhookId,
};
pub use kinds::{Audience, AudienceName, ObjectKind};
pub use network::OverrideDecision;
pub use sharing::SharingScope;

/// A row id from a URL path or a command line: anything else names nothing
/// (404).
pub fn parse_id<Id: std::str::FromStr>(text: &str) -> Result<Id, crate::error::Error> {
    text.parse()
        .map_err(|_| crate::error::Error::NotFound(format!("`{text}` is not an id")))
}

/// A length as the store counts (SQL integers are `i64`); saturates rather
/// than wrapping.
pub fn count(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

/// A length as a count on the wire (`u64`); saturates rather than wrapping.
pub fn unsigned(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// A validated, positive `i64` page size or limit as a length.
pub fn length(limit: i64) -> usize {
    usize::try_from(limit).unwrap_or(0)
}
