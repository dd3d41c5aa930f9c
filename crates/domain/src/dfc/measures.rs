//! DFC measures (`dfc-m:`) and what they are here: quantity units and
//! their OM 2 names (the names offers carry, `model::units`), and the
//! currencies OFN prices in and their ISO 4217 codes. Both tables are read
//! both ways: import maps DFC to ours, export ours to DFC; a unit or
//! currency missing from them is one DFC cannot express.

use crate::dfc::context::{DFC_M, local_in};

/// DFC measure local names and OM 2 unit names.
const UNITS: &[(&str, &str)] = &[
    ("Gram", "gram"),
    ("Kilogram", "kilogram"),
    ("Milligram", "milligram"),
    ("Tonne", "tonne"),
    ("Litre", "litre"),
    ("Millilitre", "millilitre"),
    ("Centilitre", "centilitre"),
    ("Decilitre", "decilitre"),
    ("Piece", "one"),
];

/// DFC currency measures and ISO 4217 codes (those OFN prices in).
const CURRENCIES: &[(&str, &str)] = &[
    ("AustralianDollar", "AUD"),
    ("CanadianDollar", "CAD"),
    ("Euro", "EUR"),
    ("PoundSterling", "GBP"),
    ("USDollar", "USD"),
];

/// The local name of a unit IRI: in `dfc-m:`, or the last segment of
/// another IRI (`…#Gram`, `…/Gram`).
fn local_name(iri: &str) -> &str {
    local_in(iri, DFC_M).unwrap_or_else(|| {
        iri.rsplit(['#', '/'])
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(iri)
    })
}

/// The OM 2 name of a DFC quantity unit. A unit outside the table keeps
/// its local name, first letter lowered (`dfc-m:Dozen` → `dozen`), as
/// units the node does not know are sent as given.
pub fn om_unit(iri: &str) -> String {
    let local = local_name(iri);
    UNITS
        .iter()
        .find(|(dfc, _)| dfc.eq_ignore_ascii_case(local))
        .map_or_else(
            || {
                let mut chars = local.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_lowercase().chain(chars).collect()
                })
            },
            |(_, om)| (*om).to_owned(),
        )
}

/// The ISO 4217 code of a DFC currency measure (or of a bare code among
/// those DFC names).
pub fn currency_code(iri: &str) -> Option<&'static str> {
    let local = local_name(iri);
    CURRENCIES
        .iter()
        .find(|(dfc, code)| dfc.eq_ignore_ascii_case(local) || code.eq_ignore_ascii_case(local))
        .map(|(_, code)| *code)
}

/// The `dfc-m:` measure of an OM 2 unit name, if DFC has one.
pub fn dfc_unit(om: &str) -> Option<String> {
    let om = crate::model::units::om_name(om);
    UNITS
        .iter()
        .find(|(_, name)| *name == om)
        .map(|(dfc, _)| format!("dfc-m:{dfc}"))
}

/// The `dfc-m:` measure of an ISO 4217 code, if DFC has one.
pub fn dfc_currency(code: &str) -> Option<String> {
    CURRENCIES
        .iter()
        .find(|(_, iso)| *iso == code)
        .map(|(dfc, _)| format!("dfc-m:{dfc}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_currencies_both_ways() {
        assert_eq!(om_unit(&format!("{DFC_M}Gram")), "gram");
        assert_eq!(
            om_unit("http://static.datafoodconsortium.org/data/measures.rdf#Piece"),
            "one"
        );
        assert_eq!(om_unit(&format!("{DFC_M}Dozen")), "dozen");
        assert_eq!(
            currency_code(&format!("{DFC_M}AustralianDollar")),
            Some("AUD")
        );
        assert_eq!(currency_code("EUR"), Some("EUR"));
        assert_eq!(currency_code(&format!("{DFC_M}Yen")), None);
        assert_eq!(dfc_unit("kg").as_deref(), Some("dfc-m:Kilogram"));
        assert_eq!(dfc_unit("seat"), None);
        assert_eq!(dfc_currency("GBP").as_deref(), Some("dfc-m:PoundSterling"));
        assert_eq!(dfc_currency("CHF"), None);
    }
}
