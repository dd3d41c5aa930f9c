//! The agreement rules against the example offer (1 kg units, 2 kg at
//! least, 120 kg available, 3.20 EUR the kg, unit-based).

use rust_decimal::Decimal;
use url::Url;

use super::{check_received, terms};
use crate::agreements::amount::{parse, text};
use crate::apub::objects::offer::Proposal;
use crate::model::payload::OfferPayload;

fn apples() -> (Url, Proposal) {
    let text = include_str!("../../../../../schemas/examples/offer.json");
    let payload: OfferPayload = serde_json::from_str(text).unwrap();
    let uri = Url::parse("https://ofn.example/offers/apples").unwrap();
    let proposal = Proposal::from_payload(&uri, &payload);
    (uri, proposal)
}

fn d(value: &str) -> Decimal {
    parse(value).unwrap()
}

#[test]
fn agreement_terms_compute_the_reciprocal_from_the_price() {
    let (_, proposal) = apples();
    let terms = terms(&proposal, d("5"), Some("kg")).unwrap();
    assert_eq!(terms.unit, "kilogram");
    let reciprocal = terms.reciprocal.unwrap();
    assert_eq!(text(reciprocal.value), "16");
    assert_eq!(reciprocal.currency.as_deref(), Some("EUR"));
}

#[test]
fn agreement_terms_refuse_what_breaks_a_rule() {
    let (_, proposal) = apples();
    let not_multiple = terms(&proposal, d("2.5"), None).unwrap_err();
    assert!(not_multiple.contains("not a multiple"), "{not_multiple}");
    let too_much = terms(&proposal, d("121"), None).unwrap_err();
    assert!(too_much.contains("only 120 available"), "{too_much}");
    let too_little = terms(&proposal, d("1"), None).unwrap_err();
    assert!(too_little.contains("minimum is 2"), "{too_little}");
    let wrong_unit = terms(&proposal, d("5"), Some("litre")).unwrap_err();
    assert!(wrong_unit.contains("unit `kilogram`"), "{wrong_unit}");
    assert!(terms(&proposal, d("0"), None).is_err());
    assert!(terms(&proposal, d("-3"), None).is_err());
    assert!(
        terms(&proposal, d("120"), None).is_ok(),
        "all of it may be asked"
    );
}

#[test]
fn agreement_terms_compare_the_available_quantity_in_the_offer_unit() {
    let (_, mut proposal) = apples();
    if let Some(available) = proposal.publishes.available_quantity.as_mut() {
        available.has_unit = "tonne".into();
    }
    let reason = terms(&proposal, d("5"), None).unwrap_err();
    assert!(
        reason.contains("available quantity is in `tonne`"),
        "{reason}"
    );
}

#[test]
fn agreement_received_must_keep_the_terms() {
    let (uri, proposal) = apples();
    let good = terms(&proposal, d("5"), None)
        .unwrap()
        .agreement(&uri, None);
    assert!(check_received(&uri, &proposal, &good).is_ok());
    let mut cheap = good.clone();
    if let Some(reciprocal) = cheap.stipulates_reciprocal.as_mut() {
        reciprocal.resource_quantity.has_numerical_value = "1".into();
    }
    assert!(
        check_received(&uri, &proposal, &cheap)
            .unwrap_err()
            .contains("reciprocal must be exactly 16")
    );
    let mut written_long = good.clone();
    if let Some(reciprocal) = written_long.stipulates_reciprocal.as_mut() {
        reciprocal.resource_quantity.has_numerical_value = "16.00".into();
    }
    assert!(check_received(&uri, &proposal, &written_long).is_ok());
    let mut in_dollars = good.clone();
    if let Some(reciprocal) = in_dollars.stipulates_reciprocal.as_mut() {
        reciprocal.resource_conforms_to = Url::parse("urn:iso:std:iso:4217:USD").ok();
    }
    assert!(check_received(&uri, &proposal, &in_dollars).is_err());
    let mut elsewhere = good.clone();
    elsewhere.stipulates.satisfies = Url::parse("https://other.example/offers/x#primary").unwrap();
    assert!(check_received(&uri, &proposal, &elsewhere).is_err());
    let mut unpaid = good;
    unpaid.stipulates_reciprocal = None;
    assert!(check_received(&uri, &proposal, &unpaid).is_err());
}

#[test]
fn agreement_prices_are_exact_to_the_cent() {
    let (uri, mut proposal) = apples();
    proposal.publishes.minimum_quantity = None;
    let price = |p: &mut Proposal, value: &str| {
        if let Some(q) = p
            .reciprocal
            .as_mut()
            .and_then(|r| r.resource_quantity.as_mut())
        {
            q.has_numerical_value = value.into();
        }
    };
    // 1 kg at 0.001 EUR is 0 EUR: 0.004 is not; at 0.01, 0.005 is not.
    for (unit_price, sent, expected) in [("0.001", "0.004", "0"), ("0.01", "0.005", "0.01")] {
        price(&mut proposal, unit_price);
        let mut asked = terms(&proposal, d("1"), None)
            .unwrap()
            .agreement(&uri, None);
        let reciprocal = asked.stipulates_reciprocal.as_mut().unwrap();
        assert_eq!(reciprocal.resource_quantity.has_numerical_value, expected);
        reciprocal.resource_quantity.has_numerical_value = sent.into();
        let reason = check_received(&uri, &proposal, &asked).unwrap_err();
        assert!(
            reason.contains(&format!("exactly {expected} one EUR")),
            "{reason}"
        );
    }
    // Exact where f64 is not: 3 × 0.1 is 0.3.
    price(&mut proposal, "0.1");
    let reciprocal = terms(&proposal, d("3"), None).unwrap().reciprocal.unwrap();
    assert_eq!(text(reciprocal.value), "0.3");
}
