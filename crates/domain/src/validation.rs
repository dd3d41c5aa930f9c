//! Payload validation against the JSON Schemas shipped in `schemas/`: the
//! same documents the OpenAPI description points to, so what the API
//! documents is exactly what it enforces.

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonschema::{Registry, Validator};
use serde_json::Value;

use crate::error::{Error, Result, Violation};
use crate::model::kinds::ObjectKind;
use crate::model::payload::{
    CharterPayload, CommitmentPayload, MemberPayload, OfferPayload, Payload,
};

const COMMON_ID: &str = "https://w3id.org/plateformes-en-communs/schemas/common.schema.json";

pub const COMMON_SCHEMA: &str = include_str!("../../../schemas/common.schema.json");

/// The schema document of each kind.
pub fn schema_source(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Offer => include_str!("../../../schemas/offer.schema.json"),
        ObjectKind::Member => include_str!("../../../schemas/member.schema.json"),
        ObjectKind::Charter => include_str!("../../../schemas/charter.schema.json"),
        ObjectKind::Commitment => include_str!("../../../schemas/commitment.schema.json"),
    }
}

fn validators() -> &'static Result<HashMap<ObjectKind, Validator>, String> {
    static VALIDATORS: OnceLock<Result<HashMap<ObjectKind, Validator>, String>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let common: Value = serde_json::from_str(COMMON_SCHEMA).map_err(|e| e.to_string())?;
        let registry = Registry::new()
            .add(COMMON_ID, common)
            .and_then(|r| r.prepare())
            .map_err(|e| e.to_string())?;
        ObjectKind::ALL
            .into_iter()
            .map(|kind| {
                let schema: Value =
                    serde_json::from_str(schema_source(kind)).map_err(|e| e.to_string())?;
                let validator = jsonschema::options()
                    .with_registry(&registry)
                    .should_validate_formats(true)
                    .build(&schema)
                    .map_err(|e| format!("{} schema: {e}", kind.as_str()))?;
                Ok((kind, validator))
            })
            .collect()
    })
}

/// Checks `document` against the kind's schema and returns the typed
/// payload, or every violation with its JSON pointer.
pub fn validate(kind: ObjectKind, document: &Value) -> Result<Payload> {
    let validators = validators()
        .as_ref()
        .map_err(|e| Error::Internal(e.clone()))?;
    let validator = validators
        .get(&kind)
        .ok_or_else(|| Error::Internal(format!("no schema for {}", kind.as_str())))?;
    let violations: Vec<Violation> = validator
        .iter_errors(document)
        .map(|error| Violation {
            pointer: error.instance_path().as_str().to_owned(),
            // Masked: a violation never echoes the (possibly huge) value.
            detail: error.masked().to_string(),
        })
        .collect();
    if !violations.is_empty() {
        return Err(Error::Unprocessable(violations));
    }
    let typed = match kind {
        ObjectKind::Offer => serde_json::from_value::<OfferPayload>(document.clone())
            .map(|offer| Payload::Offer(Box::new(offer))),
        ObjectKind::Member => {
            serde_json::from_value::<MemberPayload>(document.clone()).map(Payload::Member)
        }
        ObjectKind::Charter => {
            serde_json::from_value::<CharterPayload>(document.clone()).map(Payload::Charter)
        }
        ObjectKind::Commitment => {
            serde_json::from_value::<CommitmentPayload>(document.clone()).map(Payload::Commitment)
        }
    };
    typed.map_err(|e| {
        Error::Unprocessable(vec![Violation {
            pointer: String::new(),
            detail: e.to_string(),
        }])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example(kind: ObjectKind) -> Value {
        let text = match kind {
            ObjectKind::Offer => include_str!("../../../schemas/examples/offer.json"),
            ObjectKind::Member => include_str!("../../../schemas/examples/member.json"),
            ObjectKind::Charter => include_str!("../../../schemas/examples/charter.json"),
            ObjectKind::Commitment => include_str!("../../../schemas/examples/commitment.json"),
        };
        serde_json::from_str(text).expect("example is JSON")
    }

    #[test]
    fn examples_are_valid() {
        for kind in ObjectKind::ALL {
            validate(kind, &example(kind)).unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
        }
    }

    fn violations(kind: ObjectKind, document: &Value) -> Vec<Violation> {
        match validate(kind, document) {
            Err(Error::Unprocessable(v)) => v,
            other => panic!("expected violations, got {other:?}"),
        }
    }

    #[test]
    fn violations_carry_pointers() {
        let mut offer = example(ObjectKind::Offer);
        offer["quantity"]["value"] = json!(-1);
        offer["url"] = json!("javascript:alert(1)");
        let found = violations(ObjectKind::Offer, &offer);
        let pointers: Vec<&str> = found.iter().map(|v| v.pointer.as_str()).collect();
        assert!(pointers.contains(&"/quantity/value"), "{found:?}");
        assert!(pointers.contains(&"/url"), "{found:?}");
    }

    #[test]
    fn bad_date_is_refused() {
        let mut member = example(ObjectKind::Member);
        member["joined"] = json!("yesterday");
        let found = violations(ObjectKind::Member, &member);
        assert_eq!(found[0].pointer, "/joined");
    }

    /// FEP-0837's own examples, read as offers, are payloads the schema accepts.
    fn fep_example(text: &str) -> Value {
        let payload =
            crate::apub::objects::offer::payload_from_object(&serde_json::from_str(text).unwrap())
                .unwrap();
        validate(ObjectKind::Offer, &payload).unwrap();
        payload
    }

    #[test]
    fn fep_0837_minimal_example_is_understood() {
        let payload = fep_example(include_str!(
            "../../../tests/fixtures/fep-0837/minimal.json"
        ));
        let id = "https://market.example/proposals/ddde9d6f-6f3b-4770-a966-3a18ef006930";
        assert_eq!(payload["url"], id);
        assert_eq!(payload["name"], id);
        assert_eq!(payload["quantity"]["unit"], "one");
    }

    #[test]
    fn fep_0837_full_example_is_understood() {
        let payload = fep_example(include_str!("../../../tests/fixtures/fep-0837/full.json"));
        assert_eq!(payload["name"], "Offering used bike");
        assert_eq!(payload["price"]["currency"], "USD");
        assert_eq!(payload["price"]["value"], 30.0);
        assert_eq!(payload["location"]["name"], "25, -71");
        assert_eq!(
            payload["resource"]["conformsTo"],
            "https://www.wikidata.org/wiki/Q11442"
        );
    }
}
