//! FEP-0837's own agreement examples and Mitra's shapes read into the
//! wire structs (`tests/fixtures/fep-0837/`).

use serde_json::Value;

use super::{Agreement, OfferAgreement, OfferType};
use crate::activities::answer::Answer;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/fep-0837/{name}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    let text = std::fs::read_to_string(&path).expect("the fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

#[test]
fn fep_0837_offer_agreement_parses() {
    let offer: OfferAgreement = serde_json::from_value(fixture("offer-agreement.json")).unwrap();
    assert_eq!(offer.kind, OfferType::Offer);
    let agreement = Agreement::read(&offer.object, "/object").unwrap();
    assert_eq!(agreement.id, None);
    assert_eq!(
        agreement.stipulates.satisfies.fragment(),
        Some("primary"),
        "the primary commitment satisfies #primary"
    );
    assert_eq!(
        agreement.stipulates.resource_quantity.has_numerical_value,
        "1"
    );
    let reciprocal = agreement.stipulates_reciprocal.unwrap();
    assert_eq!(reciprocal.satisfies.fragment(), Some("reciprocal"));
    assert_eq!(reciprocal.resource_quantity.has_numerical_value, "30");
}

#[test]
fn fep_0837_accept_with_its_misspelt_result_parses() {
    let accept = fixture("accept-agreement.json");
    let answer: Answer = serde_json::from_value(accept.clone()).unwrap();
    assert!(answer.accepted());
    assert_eq!(
        answer.object.as_str(),
        Some("https://social.example/objects/fc4af0d2-c3a1-409b-947c-3c5be29f49b0/offer")
    );
    let result = Agreement::read(&accept["result"], "/result").unwrap();
    assert_eq!(
        result.id.unwrap().as_str(),
        "https://market.example/agreements/edc374aa-e580-4a58-9404-f3e8bf8556b2"
    );
    assert_eq!(result.stipulates.id.unwrap().fragment(), Some("primary"));
    assert!(result.url.is_some(), "the payment link is kept");
}

#[test]
fn fep_0837_reject_names_the_offer_and_a_reason() {
    let reject = fixture("reject-agreement.json");
    let answer: Answer = serde_json::from_value(reject.clone()).unwrap();
    assert!(!answer.accepted());
    assert_eq!(reject["content"], "Not available");
}

#[test]
fn mitra_shapes_parse() {
    let offer: OfferAgreement =
        serde_json::from_value(fixture("mitra-offer-agreement.json")).unwrap();
    let agreement = Agreement::read(&offer.object, "/object").unwrap();
    assert_eq!(agreement.stipulates.resource_quantity.has_unit, "second");
    let finalised = Agreement::read(&fixture("mitra-agreement.json"), "/result").unwrap();
    assert_eq!(
        finalised.attributed_to.unwrap().as_str(),
        "https://local.example/users/proposer"
    );
    assert_eq!(finalised.preview.unwrap()["name"], "Open");
    assert_eq!(
        finalised
            .stipulates_reciprocal
            .unwrap()
            .resource_quantity
            .has_numerical_value,
        "60000000"
    );
}

#[test]
fn other_objects_are_not_agreements() {
    let note = serde_json::json!({"type": "Note", "content": "hello"});
    assert!(!Agreement::is_agreement(&note));
    assert!(Agreement::read(&note, "/object").is_err());
    let mut offer = fixture("offer-agreement.json");
    offer["object"]["type"] = "Commitment".into();
    assert!(Agreement::read(&offer["object"], "/object").is_err());
}

#[test]
fn only_offers_read_as_offer_agreements() {
    let mut follow = fixture("offer-agreement.json");
    follow["type"] = "Follow".into();
    assert!(serde_json::from_value::<OfferAgreement>(follow).is_err());
}
