//! Where a follow request stands, in either direction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A follow request is pending until the followed node's admin (or its
/// policy) approves or rejects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowState {
    Pending,
    Approved,
    Rejected,
}

impl FollowState {
    pub const ALL: [FollowState; 3] = [
        FollowState::Pending,
        FollowState::Approved,
        FollowState::Rejected,
    ];

    /// The name stored in the database and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowState::Pending => "pending",
            FollowState::Approved => "approved",
            FollowState::Rejected => "rejected",
        }
    }
}

impl fmt::Display for FollowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a follow state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown follow state {0:?}: expected pending, approved or rejected")]
pub struct UnknownFollowState(pub String);

impl FromStr for FollowState {
    type Err = UnknownFollowState;

    fn from_str(name: &str) -> Result<FollowState, UnknownFollowState> {
        FollowState::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
            .ok_or_else(|| UnknownFollowState(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in FollowState::ALL {
            assert_eq!(state.as_str().parse::<FollowState>(), Ok(state));
            assert_eq!(
                serde_json::to_value(state).expect("serialises"),
                state.as_str()
            );
        }
        assert!("approve".parse::<FollowState>().is_err());
    }
}
