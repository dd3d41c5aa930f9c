//! How deliveries to a peer stand, as the delivery engine knows it: one
//! state a peer, shown as itself by the console, the API and the metrics.

use crate::names::closed_names;

/// A stored or asked-for name that is not a health state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown peer health {0:?}")]
pub struct UnknownPeerHealth(pub String);

closed_names!(
    UnknownPeerHealth,
    /// A peer's delivery health, the most serious first: excluded by this
    /// node (nothing of ours is sent), refused by policy (blocklist or
    /// allowlist), gone (its inbox answered 404 or 410; nothing is sent
    /// until it is heard from), unreachable (failing for longer than
    /// `delivery.dead_after`, only probed), failing (retried with
    /// backoff), healthy.
    PeerHealth {
        Excluded => "excluded",
        Refused => "refused",
        Gone => "gone",
        Unreachable => "unreachable",
        Failing => "failing",
        Healthy => "healthy",
    }
);

/// What decides a peer's health: its exclusion, the policy, its stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct HealthFacts {
    pub excluded: bool,
    /// The block or allow list refuses the peer's domain.
    pub refused_by_policy: bool,
    pub gone: bool,
    /// Consecutive failed attempts.
    pub failures: i64,
    /// Failing since longer than `delivery.dead_after`.
    pub failing_too_long: bool,
}

impl PeerHealth {
    /// The one decision of a peer's health, the most serious fact first.
    pub fn of(facts: HealthFacts) -> PeerHealth {
        if facts.excluded {
            PeerHealth::Excluded
        } else if facts.refused_by_policy {
            PeerHealth::Refused
        } else if facts.gone {
            PeerHealth::Gone
        } else if facts.failures > 0 && facts.failing_too_long {
            PeerHealth::Unreachable
        } else if facts.failures > 0 {
            PeerHealth::Failing
        } else {
            PeerHealth::Healthy
        }
    }

    /// Whether deliveries go through.
    pub fn is_healthy(self) -> bool {
        self == PeerHealth::Healthy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gone_is_never_healthy() {
        let gone = HealthFacts {
            gone: true,
            ..HealthFacts::default()
        };
        assert_eq!(PeerHealth::of(gone), PeerHealth::Gone);
        let excluded_and_gone = HealthFacts {
            excluded: true,
            ..gone
        };
        assert_eq!(PeerHealth::of(excluded_and_gone), PeerHealth::Excluded);
        let failing = HealthFacts {
            failures: 2,
            ..HealthFacts::default()
        };
        assert_eq!(PeerHealth::of(failing), PeerHealth::Failing);
        let dead = HealthFacts {
            failing_too_long: true,
            ..failing
        };
        assert_eq!(PeerHealth::of(dead), PeerHealth::Unreachable);
        assert_eq!(PeerHealth::of(HealthFacts::default()), PeerHealth::Healthy);
    }

    #[test]
    fn names_round_trip() {
        for state in PeerHealth::ALL {
            assert_eq!(state.as_str().parse::<PeerHealth>(), Ok(*state));
        }
    }
}
