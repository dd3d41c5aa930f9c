//! The agreement rules against the example offer (1 kg units, 120 kg
//! available, 3.20 EUR the kg, unit-based).

use url::Url;

use super::{check_received, decimal, terms};
use crate::apub::objects::offer::Proposal;
use crate::model::payload::OfferPayload;

fn apples() -> (Url, Proposal) {
    let text = include_str!("../../../../schemas/examples/offer.json");
    let payload: OfferPayload = serde_json::from_str(text).unwrap();
    let uri = Url::parse("https://ofn.example/offers/apples").unwrap();
    let proposal = Proposal::from_payload(&uri, &payload);
    (uri, proposal)
}

#[test]
fn agreement_terms_compute_the_reciprocal_from_the_price() {
    let (_, proposal) = apples();
    let terms = terms(&proposal, 5.0, Some("kg")).unwrap();
    assert_eq!(terms.unit, "kilogram");
    let reciprocal = terms.reciprocal.unwrap();
    assert_eq!(decimal(reciprocal.value), "16");
    assert_eq!(reciprocal.currency.as_deref(), Some("EUR"));
}

#[test]
fn agreement_terms_refuse_what_breaks_a_rule() {
    let (_, proposal) = apples();
    let not_multiple = terms(&proposal, 2.5, None).unwrap_err();
    assert!(not_multiple.contains("not a multiple"), "{not_multiple}");
    let too_much = terms(&proposal, 121.0, None).unwrap_err();
    assert!(too_much.contains("only 120 available"), "{too_much}");
    let wrong_unit = terms(&proposal, 5.0, Some("litre")).unwrap_err();
    assert!(wrong_unit.contains("unit `kilogram`"), "{wrong_unit}");
    assert!(terms(&proposal, 0.0, None).is_err());
    assert!(terms(&proposal, -3.0, None).is_err());
    assert!(
        terms(&proposal, 120.0, None).is_ok(),
        "all of it may be asked"
    );
}

#[test]
fn agreement_received_must_keep_the_terms() {
    let (uri, proposal) = apples();
    let good = terms(&proposal, 5.0, None).unwrap().agreement(&uri, None);
    assert!(check_received(&uri, &proposal, &good).is_ok());
    let mut cheap = good.clone();
    if let Some(reciprocal) = cheap.stipulates_reciprocal.as_mut() {
        reciprocal.resource_quantity.has_numerical_value = "1".into();
    }
    assert!(
        check_received(&uri, &proposal, &cheap)
            .unwrap_err()
            .contains("reciprocal must be 16")
    );
    let mut elsewhere = good.clone();
    elsewhere.stipulates.satisfies = Url::parse("https://other.example/offers/x#primary").unwrap();
    assert!(check_received(&uri, &proposal, &elsewhere).is_err());
    let mut unpaid = good;
    unpaid.stipulates_reciprocal = None;
    assert!(check_received(&uri, &proposal, &unpaid).is_err());
}

#[test]
fn agreement_decimals_are_short() {
    assert_eq!(decimal(16.000_000_000_000_004), "16");
    assert_eq!(decimal(3.2), "3.2");
    assert_eq!(decimal(0.125), "0.125");
}
