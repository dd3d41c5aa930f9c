//! Where an FEP-0837 agreement stands, and which side of it this node is
//! on: the names stored in the database, shown in the API and carried on
//! the wire (`agreementState`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The life of an agreement: offered (pending), then accepted or
/// rejected by the offer's owner; an accepted one is later completed or
/// cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgreementState {
    Pending,
    Accepted,
    Rejected,
    Completed,
    Cancelled,
}

impl AgreementState {
    pub const ALL: [AgreementState; 5] = [
        AgreementState::Pending,
        AgreementState::Accepted,
        AgreementState::Rejected,
        AgreementState::Completed,
        AgreementState::Cancelled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AgreementState::Pending => "pending",
            AgreementState::Accepted => "accepted",
            AgreementState::Rejected => "rejected",
            AgreementState::Completed => "completed",
            AgreementState::Cancelled => "cancelled",
        }
    }

    /// Whether an agreement in this state may move to `next`: pending
    /// ones are accepted or rejected, accepted ones completed or
    /// cancelled; the others are final.
    pub fn may_become(self, next: AgreementState) -> bool {
        matches!(
            (self, next),
            (
                AgreementState::Pending,
                AgreementState::Accepted | AgreementState::Rejected
            ) | (
                AgreementState::Accepted,
                AgreementState::Completed | AgreementState::Cancelled
            )
        )
    }
}

impl fmt::Display for AgreementState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgreementState {
    type Err = Error;

    fn from_str(name: &str) -> Result<AgreementState, Error> {
        AgreementState::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
            .ok_or_else(|| {
                Error::BadRequest(format!(
                    "`{name}` is not an agreement state: pending, accepted, rejected, completed or cancelled"
                ))
            })
    }
}

/// Which side of an agreement this node is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// This node asked a peer for some of the peer's offer.
    Asker,
    /// A peer asked this node for some of its offer: this node decides.
    Owner,
}

impl Side {
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Asker => "asker",
            Side::Owner => "owner",
        }
    }
}

impl FromStr for Side {
    type Err = Error;

    fn from_str(name: &str) -> Result<Side, Error> {
        match name {
            "asker" => Ok(Side::Asker),
            "owner" => Ok(Side::Owner),
            _ => Err(Error::BadRequest(format!(
                "`{name}` is not a side: asker or owner"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AgreementState;

    #[test]
    fn agreement_states_round_trip_and_only_move_forward() {
        for state in AgreementState::ALL {
            assert_eq!(state.as_str().parse::<AgreementState>().ok(), Some(state));
        }
        assert!(AgreementState::Pending.may_become(AgreementState::Accepted));
        assert!(AgreementState::Accepted.may_become(AgreementState::Completed));
        assert!(!AgreementState::Pending.may_become(AgreementState::Completed));
        assert!(!AgreementState::Rejected.may_become(AgreementState::Accepted));
        assert!(!AgreementState::Completed.may_become(AgreementState::Cancelled));
    }
}
