//! The activity types this node records, sends and keeps receipts of.

use std::fmt;

use serde::{Serialize, Serializer};

/// An activity's `type`, as on the wire and in the activity log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    Create,
    Update,
    Delete,
    Follow,
    Accept,
    Reject,
    Undo,
    /// FEP-0837: an `Agreement` offered in answer to a `Proposal`.
    Offer,
    /// A signed receipt (`["Read", "Receipt"]`): what a peer holds of ours.
    Read,
    /// A node asks the host of a network's charter to join the network.
    Join,
    /// A member added to a network's directory (sent by its host).
    Add,
    /// A member removed from a network's directory (sent by its host).
    Remove,
    /// The node moved to a new address (its actor's `movedTo`).
    Move,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 13] = [
        ActivityKind::Create,
        ActivityKind::Update,
        ActivityKind::Delete,
        ActivityKind::Follow,
        ActivityKind::Accept,
        ActivityKind::Reject,
        ActivityKind::Undo,
        ActivityKind::Offer,
        ActivityKind::Read,
        ActivityKind::Join,
        ActivityKind::Add,
        ActivityKind::Remove,
        ActivityKind::Move,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Create => "Create",
            ActivityKind::Update => "Update",
            ActivityKind::Delete => "Delete",
            ActivityKind::Follow => "Follow",
            ActivityKind::Accept => "Accept",
            ActivityKind::Reject => "Reject",
            ActivityKind::Undo => "Undo",
            ActivityKind::Offer => "Offer",
            ActivityKind::Read => "Read",
            ActivityKind::Join => "Join",
            ActivityKind::Add => "Add",
            ActivityKind::Remove => "Remove",
            ActivityKind::Move => "Move",
        }
    }

    pub fn parse(name: &str) -> Option<ActivityKind> {
        ActivityKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ActivityKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ActivityKind;

    #[test]
    fn names_round_trip() {
        for kind in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ActivityKind::parse("Note"), None);
    }
}
