//! The four kinds of objects a platform publishes, and who may see them.

use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Offer,
    Member,
    Charter,
    Commitment,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 4] = [
        ObjectKind::Offer,
        ObjectKind::Member,
        ObjectKind::Charter,
        ObjectKind::Commitment,
    ];

    /// The name stored in the database and used in schemas' file names.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Offer => "offer",
            ObjectKind::Member => "member",
            ObjectKind::Charter => "charter",
            ObjectKind::Commitment => "commitment",
        }
    }

    /// The path segment of the kind's URLs: `/offers/{id}`, `/api/v1/offers`.
    pub fn collection(self) -> &'static str {
        match self {
            ObjectKind::Offer => "offers",
            ObjectKind::Member => "members",
            ObjectKind::Charter => "charters",
            ObjectKind::Commitment => "commitments",
        }
    }

    pub fn from_collection(segment: &str) -> Option<ObjectKind> {
        ObjectKind::ALL
            .into_iter()
            .find(|k| k.collection() == segment)
    }

    /// The kind whose collection is at `/{segment}`: any other path is
    /// not found.
    pub fn from_collection_path(segment: &str) -> Result<ObjectKind, crate::error::Error> {
        ObjectKind::from_collection(segment).ok_or_else(|| {
            crate::error::Error::NotFound(format!(
                "no collection `{segment}`: use offers, members, charters or commitments"
            ))
        })
    }

    pub fn parse(name: &str) -> Option<ObjectKind> {
        ObjectKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether changed content makes a new, separately readable version.
    pub fn keeps_versions(self) -> bool {
        self == ObjectKind::Charter
    }
}

/// Who may receive and read an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    Named(AudienceName),
    Peers(Vec<Url>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AudienceName {
    Public,
    Followers,
}

impl Audience {
    pub const PUBLIC: Audience = Audience::Named(AudienceName::Public);
    pub const FOLLOWERS: Audience = Audience::Named(AudienceName::Followers);

    pub fn is_public(&self) -> bool {
        *self == Audience::PUBLIC
    }
}

/// Platform-local ids become URL path segments: keep them to unreserved
/// characters so every id maps to exactly one URL.
pub fn valid_local_id(local_id: &str) -> bool {
    (1..=128).contains(&local_id.len())
        && local_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        && local_id != "."
        && local_id != ".."
}
