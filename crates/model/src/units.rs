//! Units of measure on the wire: FEP-0837 recommends the Ontology of units
//! of Measure (OM 2) names for `hasUnit` (`kilogram`, `litre`, `one`…).
//! Platforms keep writing the short forms they use (`kg`, `l`, `piece`);
//! they are mapped when an offer is published, and either form is
//! understood when one arrives. A unit that is neither is sent as given.

/// Short forms and the OM 2 name each stands for.
const SHORT_FORMS: &[(&str, &str)] = &[
    ("mg", "milligram"),
    ("g", "gram"),
    ("kg", "kilogram"),
    ("t", "tonne"),
    ("ml", "millilitre"),
    ("cl", "centilitre"),
    ("l", "litre"),
    ("m3", "cubicMetre"),
    ("mm", "millimetre"),
    ("cm", "centimetre"),
    ("m", "metre"),
    ("km", "kilometre"),
    ("m2", "squareMetre"),
    ("ha", "hectare"),
    ("s", "second"),
    ("sec", "second"),
    ("min", "minute-Time"),
    ("h", "hour"),
    ("hr", "hour"),
    ("day", "day"),
    ("week", "week"),
    ("kwh", "kilowattHour"),
    ("piece", "one"),
    ("pieces", "one"),
    ("pc", "one"),
    ("pcs", "one"),
    ("unit", "one"),
    ("units", "one"),
    ("each", "one"),
    ("item", "one"),
    ("items", "one"),
];

/// OM 2 names spelled differently by people: the spelling OM uses.
const SPELLINGS: &[(&str, &str)] = &[
    ("kilograms", "kilogram"),
    ("grams", "gram"),
    ("liter", "litre"),
    ("liters", "litre"),
    ("litres", "litre"),
    ("hours", "hour"),
    ("minute", "minute-Time"),
    ("minutes", "minute-Time"),
    ("meter", "metre"),
    ("kilometer", "kilometre"),
];

/// The OM 2 name of `unit` (case-insensitive short forms and common
/// spellings), or `unit` itself when it is already one or unknown.
pub fn om_name(unit: &str) -> String {
    let trimmed = unit.trim();
    let lower = trimmed.to_ascii_lowercase();
    SHORT_FORMS
        .iter()
        .chain(SPELLINGS)
        .find(|(short, _)| *short == lower)
        .map_or_else(|| trimmed.to_owned(), |(_, om)| (*om).to_owned())
}

#[cfg(test)]
mod tests {
    use super::om_name;

    #[test]
    fn short_forms_become_om_names() {
        assert_eq!(om_name("kg"), "kilogram");
        assert_eq!(om_name("KG"), "kilogram");
        assert_eq!(om_name("L"), "litre");
        assert_eq!(om_name("piece"), "one");
        assert_eq!(om_name("h"), "hour");
        assert_eq!(om_name("liters"), "litre");
    }

    #[test]
    fn om_names_and_unknown_units_are_kept() {
        assert_eq!(om_name("kilogram"), "kilogram");
        assert_eq!(om_name("one"), "one");
        assert_eq!(om_name("seat"), "seat");
        assert_eq!(om_name("squareMetre"), "squareMetre");
    }
}
