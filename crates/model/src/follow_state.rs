//! Where a follow stands, in either direction: a request to follow this
//! node (decided here) and this node's follow of a peer (decided there).

use crate::names::closed_names;

/// A stored name that is not a state of the relationship it is read for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown follow state {0:?}")]
pub struct UnknownFollowState(pub String);

closed_names!(
    UnknownFollowState,
    /// A peer's request to follow this node: pending until this node's admin
    /// (or its policy) approves or rejects it.
    FollowerState {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
    }
);

closed_names!(
    UnknownFollowState,
    /// This node's follow of a peer: pending until the peer accepts
    /// (active) or rejects it.
    FollowingState {
        Pending => "pending",
        Active => "active",
        Rejected => "rejected",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in FollowerState::ALL {
            assert_eq!(state.as_str().parse::<FollowerState>(), Ok(*state));
            assert_eq!(
                serde_json::to_value(state).ok(),
                Some(state.as_str().into())
            );
        }
        for state in FollowingState::ALL {
            assert_eq!(state.as_str().parse::<FollowingState>(), Ok(*state));
            assert_eq!(
                serde_json::to_value(state).ok(),
                Some(state.as_str().into())
            );
        }
        assert!("active".parse::<FollowerState>().is_err());
        assert!("approved".parse::<FollowingState>().is_err());
    }
}
