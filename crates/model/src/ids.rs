//! Row ids as types: a peer's id cannot be passed where an amendment's is
//! expected. They are the database's integers on the wire (JSON numbers,
//! path segments) and in SQL.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! row_id {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[derive(sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map($name)
            }
        }
    )*};
}

row_id! {
    /// A peer: another node whose actor this node stored.
    PeerId;
    /// A charter amendment, hosted here or by a peer.
    AmendmentId;
    /// A member's draft of an amendment, offered to the charter's host.
    DraftId;
    /// A node's request to join a network (`Join`), on the host or the
    /// candidate.
    JoinId;
    /// This node's follow of a peer.
    FollowId;
    /// A peer's follow of this node: a request, then a follower.
    RequestId;
    /// An FEP-0837 agreement on one of the offers.
    AgreementId;
    /// A webhook subscription of the platform.
    WebhookId;
    /// One of this node's published objects.
    ObjectId;
    /// An API token of the platform or an admin.
    TokenId;
    /// A node admin's local override of a network's member directory.
    OverrideId;
    /// One admission to the member directory of a charter hosted here.
    MembershipId;
}
