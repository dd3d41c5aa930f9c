//! Where a follow stands, in either direction: a request to follow this
//! node (decided here) and this node's follow of a peer (decided there).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A stored name that is not a state of the relationship it is read for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown follow state {0:?}")]
pub struct UnknownFollowState(pub String);

/// One enum per direction, with the names stored in the database and shown
/// in the API; written once so the two cannot diverge in behaviour.
macro_rules! follow_states {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownFollowState;

            fn from_str(name: &str) -> Result<$name, UnknownFollowState> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|state| state.as_str() == name)
                    .ok_or_else(|| UnknownFollowState(name.to_owned()))
            }
        }
    };
}

follow_states!(
    /// A peer's request to follow this node: pending until this node's admin
    /// (or its policy) approves or rejects it.
    FollowerState {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
    }
);

follow_states!(
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
