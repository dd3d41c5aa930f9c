//! Charter amendments voted across nodes. The charter's host opens an
//! amendment (the proposed next version and a FEP-9967 `Question`) for the
//! nodes committed to the current version; each of those nodes, and only
//! they, votes once (a vote is final); at `endTime` the host tallies
//! once, publishes the results and, if adopted, the next charter version.
//! Members may offer drafts, which the host's admin opens or rejects.

mod ballot;
mod drafts;
mod member;
pub mod preview;
mod proposal;
pub(crate) mod question;
mod renewal;
mod tally;
mod views;

use std::time::Duration;

use crate::error::{Error, Result, Violation};
use crate::model::Choice;

pub use ballot::receive_vote;
pub use drafts::{
    Acceptance, DraftRequest, DraftView, accept_draft, drafts, offer_draft, receive_answer,
    receive_draft, reject_draft,
};
pub(crate) use member::{member_row, note_to_host};
pub use member::{receive_closed, receive_opened, vote};
pub use proposal::{Proposal, open};
pub(crate) use proposal::{is_committed, local_charter, send_to_each};
pub use renewal::renew;
pub use tally::tally_due;
pub use views::{AmendmentView, CommitmentStatus, Tally, list, list_membership, view};
pub(crate) use views::{adopts, our_commitments};

/// The default voting period.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);
/// The shortest voting period (tests use a few seconds).
pub const MIN_DURATION: Duration = Duration::from_secs(2);
/// The longest voting period.
pub const MAX_DURATION: Duration = Duration::from_secs(90 * 24 * 3600);
/// By default, half of the addressed nodes must vote.
pub const DEFAULT_QUORUM_PERCENT: u64 = 50;
/// How often the host looks for amendments whose end time passed.
pub const TALLY_EVERY: Duration = Duration::from_secs(1);

/// How many approvals adopt an amendment, among approve + reject
/// (abstentions count for the quorum only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Majority {
    /// More approvals than rejections.
    Simple,
    /// At least two thirds approvals.
    TwoThirds,
}

impl Majority {
    pub fn as_str(self) -> &'static str {
        match self {
            Majority::Simple => "simple",
            Majority::TwoThirds => "two-thirds",
        }
    }

    pub fn parse(name: &str) -> Option<Majority> {
        [Majority::Simple, Majority::TwoThirds]
            .into_iter()
            .find(|m| m.as_str() == name)
    }

    pub fn adopts(self, approve: u64, reject: u64) -> bool {
        match self {
            Majority::Simple => approve > reject,
            Majority::TwoThirds => approve > 0 && approve * 3 >= (approve + reject) * 2,
        }
    }
}

/// A vote's option, checked against the three of every amendment.
pub fn parse_choice(choice: &str, pointer: &str) -> Result<Choice> {
    choice.parse().map_err(|_| {
        Error::Unprocessable(vec![Violation {
            pointer: pointer.into(),
            detail: format!("`{choice}` is not one of approve, reject, abstain"),
        }])
    })
}

/// Whether `voters` of `eligible` nodes meet a quorum of `percent`.
pub fn quorum_met(voters: u64, eligible: u64, percent: u64) -> bool {
    eligible > 0 && voters * 100 >= eligible * percent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majorities_and_quorum() {
        assert!(Majority::Simple.adopts(2, 1));
        assert!(!Majority::Simple.adopts(1, 1));
        assert!(Majority::TwoThirds.adopts(2, 1));
        assert!(!Majority::TwoThirds.adopts(3, 2));
        assert!(!Majority::TwoThirds.adopts(0, 0));
        assert!(quorum_met(1, 2, 50));
        assert!(!quorum_met(1, 3, 50));
        assert!(!quorum_met(0, 0, 0));
        assert_eq!(parse_choice("approve", "/choice").unwrap(), Choice::Approve);
        assert!(parse_choice("yes", "/choice").is_err());
    }
}
