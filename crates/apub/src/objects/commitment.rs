//! Charter commitments: a platform's signed statement that it commits to
//! one charter version, with how it applies each principle.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::error::Result;
use crate::model::payload::{CommitmentPayload, Statement};
use crate::objects::field;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementObject {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub principle: Url,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitmentBody {
    pub charter: Url,
    pub statements: Vec<StatementObject>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Url>,
}

impl CommitmentBody {
    pub fn from_payload(commitment: &CommitmentPayload) -> CommitmentBody {
        CommitmentBody {
            charter: commitment.charter.clone(),
            statements: commitment
                .statements
                .iter()
                .map(|s| StatementObject {
                    kind: "PrincipleStatement".to_owned(),
                    principle: s.principle.clone(),
                    content: s.statement.clone(),
                })
                .collect(),
            evidence: commitment.evidence.clone(),
        }
    }
}

/// The commitment payload a `CharterCommitment` object expresses.
pub fn payload_from_object(object: &Value) -> Result<Value> {
    let body: CommitmentBody = field(object)?;
    Ok(serde_json::to_value(CommitmentPayload {
        charter: body.charter,
        statements: body
            .statements
            .into_iter()
            .map(|s| Statement {
                principle: s.principle,
                statement: s.content,
            })
            .collect(),
        evidence: body.evidence,
        audience: None,
    })?)
}
