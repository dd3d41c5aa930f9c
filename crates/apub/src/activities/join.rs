//! A node asks to join a network (issue 27): an ActivityStreams `Join`
//! whose object is the network's charter, sent to the charter's host, with
//! the candidate's commitment and its answer, per principle, to the entry
//! question "do you recognise yourselves in the charter?". The host
//! answers `Accept` or `Reject` of it.

use serde::{Deserialize, Serialize};
use url::Url;

/// One answer to the entry question: a principle of the charter's current
/// version (`…/versions/N#key`) and how the candidate recognises itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinAnswer {
    pub principle: Url,
    pub content: String,
}

/// A received or sent `Join`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Join {
    pub id: Url,
    pub actor: Url,
    /// The network: its charter's URI.
    pub object: Url,
    /// The candidate's commitment to the charter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Url>,
    #[serde(default)]
    pub answers: Vec<JoinAnswer>,
}
