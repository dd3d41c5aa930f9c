//! Network membership's closed vocabularies: a node admin's local override
//! of its network's member directory.

use crate::names::closed_names;

/// A stored or received name outside the set it is read for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown override decision {0:?} (keep or exclude)")]
pub struct UnknownOverride(pub String);

closed_names!(
    UnknownOverride,
    /// What a node's admin decided about one network member, against the
    /// directory: keep it though the network removed it, or exclude it
    /// though the network lists it.
    OverrideDecision {
        Keep => "keep",
        Exclude => "exclude",
    }
);

#[cfg(test)]
mod tests {
    use super::OverrideDecision;

    #[test]
    fn names_round_trip() {
        for decision in OverrideDecision::ALL {
            assert_eq!(decision.as_str().parse::<OverrideDecision>(), Ok(*decision));
        }
        assert!("ignore".parse::<OverrideDecision>().is_err());
    }
}
