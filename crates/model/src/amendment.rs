//! Charter amendments' closed vocabularies: where an amendment stands,
//! which side of it this node is on, how it closed, the choices of a vote,
//! and where an amendment draft offered to the host stands.

use crate::names::closed_names;

/// A stored or received name outside the set it is read for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown amendment name {0:?}")]
pub struct UnknownAmendmentName(pub String);

closed_names!(
    UnknownAmendmentName,
    /// An amendment is open for votes until its end time, then closed
    /// once, by the tally; a closed one never opens again.
    AmendmentState {
        Open => "open",
        Closed => "closed",
    }
);

impl AmendmentState {
    /// Whether an amendment in this state may move to `next`.
    pub fn may_become(self, next: AmendmentState) -> bool {
        matches!((self, next), (AmendmentState::Open, AmendmentState::Closed))
    }
}

closed_names!(
    UnknownAmendmentName,
    /// This node hosts the charter (it opened the vote and tallies) or is a
    /// member asked to vote.
    AmendmentRole {
        Host => "host",
        Member => "member",
    }
);

closed_names!(
    UnknownAmendmentName,
    /// How a closed amendment ended: `superseded` when the charter changed
    /// during the vote.
    Outcome {
        Adopted => "adopted",
        Rejected => "rejected",
        Superseded => "superseded",
    }
);

closed_names!(
    UnknownAmendmentName,
    /// A vote's choice (FEP-9967 poll options).
    Choice {
        Approve => "approve",
        Reject => "reject",
        Abstain => "abstain",
    }
);

closed_names!(
    UnknownAmendmentName,
    /// A draft a member offered the host: pending until the host accepts
    /// (and opens a vote on it) or rejects it.
    DraftState {
        Pending => "pending",
        Accepted => "accepted",
        Rejected => "rejected",
    }
);

closed_names!(
    UnknownAmendmentName,
    /// What a vote decides: the next version of a charter (an amendment),
    /// or whether a node enters or leaves the charter's network.
    VoteSubject {
        Charter => "charter",
        Inclusion => "inclusion",
        Exclusion => "exclusion",
    }
);

impl VoteSubject {
    /// Whether the vote is about a node's membership: then a voter may
    /// replace its vote until the end time, and the latest counts.
    pub fn is_membership(self) -> bool {
        self != VoteSubject::Charter
    }
}

closed_names!(
    UnknownAmendmentName,
    /// Which side of a `Join` this node is on.
    JoinRole {
        Host => "host",
        Candidate => "candidate",
    }
);

closed_names!(
    UnknownAmendmentName,
    /// A request to join a network: pending until the host refuses it or
    /// opens an inclusion vote on it, then admitted or refused.
    JoinState {
        Pending => "pending",
        Voting => "voting",
        Admitted => "admitted",
        Refused => "refused",
    }
);

impl JoinState {
    /// Whether a request in this state may move to `next`.
    pub fn may_become(self, next: JoinState) -> bool {
        matches!(
            (self, next),
            (JoinState::Pending, JoinState::Voting)
                | (JoinState::Pending | JoinState::Voting, JoinState::Admitted)
                | (JoinState::Pending | JoinState::Voting, JoinState::Refused)
        )
    }

    /// Whether the request still waits for a decision.
    pub fn is_open(self) -> bool {
        matches!(self, JoinState::Pending | JoinState::Voting)
    }
}

impl DraftState {
    /// Whether a draft in this state may move to `next`: a pending one is
    /// answered once.
    pub fn may_become(self, next: DraftState) -> bool {
        self == DraftState::Pending && next != DraftState::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_closed_is_final() {
        for choice in Choice::ALL {
            assert_eq!(choice.as_str().parse::<Choice>(), Ok(*choice));
        }
        assert!("maybe".parse::<Choice>().is_err());
        assert!(AmendmentState::Open.may_become(AmendmentState::Closed));
        assert!(!AmendmentState::Closed.may_become(AmendmentState::Open));
        assert!(DraftState::Pending.may_become(DraftState::Accepted));
        assert!(!DraftState::Rejected.may_become(DraftState::Accepted));
        assert!(JoinState::Pending.may_become(JoinState::Voting));
        assert!(JoinState::Voting.may_become(JoinState::Admitted));
        assert!(!JoinState::Refused.may_become(JoinState::Admitted));
        assert!(!JoinState::Admitted.may_become(JoinState::Voting));
        assert!(VoteSubject::Exclusion.is_membership());
        assert!(!VoteSubject::Charter.is_membership());
    }
}
