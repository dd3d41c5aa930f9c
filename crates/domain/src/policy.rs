//! Who may talk to this node: block and allow lists, admin exclusions, and
//! the admission policy for follow requests.

use serde::Serialize;

use crate::context::Context;
use passerelle_config::Admission;

pub use crate::apub::domain_policy::{admit_sender, refusal, refuse, rule_covers};

#[cfg(test)]
mod tests {
    use super::rule_covers;

    #[test]
    fn domain_rules_cover_subdomains_and_ports() {
        assert!(rule_covers("example.org", "example.org"));
        assert!(rule_covers("example.org", "EXAMPLE.org:8443"));
        assert!(rule_covers("example.org", "social.example.org"));
        assert!(!rule_covers("example.org", "badexample.org"));
        assert!(!rule_covers("example.org", "example.org.evil.net"));
        assert!(rule_covers("*.example.org", "a.b.example.org"));
        assert!(!rule_covers("*.example.org", "example.org"));
        assert!(rule_covers("localhost:8080", "localhost:8080"));
        assert!(!rule_covers("localhost:8080", "localhost:8081"));
        assert!(rule_covers("[::1]:8080", "[::1]:8080"));
        assert!(rule_covers("[::1]", "[::1]:8080"));
    }
}

/// What we found of a requester's charter commitment.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CommitmentCheck {
    pub id: String,
    pub charter: Option<String>,
    pub version: Option<i64>,
    /// The integrity proof verifies with the requester's published key.
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    pub published: Option<String>,
}

/// The admission policy's answer to a follow request.
#[derive(Debug, Clone, PartialEq)]
pub enum Admit {
    Approve(String),
    Wait(String),
}

pub fn admit(ctx: &Context, commitments: &[CommitmentCheck]) -> Admit {
    let federation = &ctx.settings.federation;
    match federation.admission {
        Admission::Open => Admit::Approve("open admission".into()),
        Admission::Manual => Admit::Wait("manual admission: an admin decides".into()),
        // Members of the node's networks are approved before admission is
        // asked (`network::membership`); anyone else waits for an admin.
        Admission::Network => Admit::Wait(
            "network admission: not a member of this node's networks; an admin decides".into(),
        ),
        Admission::Charter => {
            let accepted = |c: &CommitmentCheck| {
                c.charter.as_deref().is_some_and(|charter| {
                    federation
                        .accepted_charters
                        .iter()
                        .any(|a| a.as_str() == charter)
                })
            };
            if let Some(commitment) = commitments.iter().find(|c| c.valid && accepted(c)) {
                return Admit::Approve(format!(
                    "committed to {} (proof verified)",
                    commitment.charter.as_deref().unwrap_or_default()
                ));
            }
            let reason = if commitments.is_empty() {
                "no charter commitment found".to_owned()
            } else if let Some(invalid) = commitments.iter().find(|c| accepted(c) && !c.valid) {
                format!(
                    "the commitment to {} has no valid proof: {}",
                    invalid.charter.as_deref().unwrap_or_default(),
                    invalid.problem.as_deref().unwrap_or("unknown")
                )
            } else {
                let found: Vec<&str> = commitments
                    .iter()
                    .filter_map(|c| c.charter.as_deref())
                    .collect();
                format!(
                    "committed to {} which is not an accepted charter version",
                    found.join(", ")
                )
            };
            Admit::Wait(format!("charter admission: {reason}; an admin decides"))
        }
    }
}
