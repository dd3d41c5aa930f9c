//! Exact decimal amounts of agreements: quantities and prices read from
//! the decimal text FEP-0837 carries, compared and multiplied exactly
//! (`rust_decimal`, never `f64`: 0.1 + 0.2 is 0.3 here), written back in
//! one normal form, and money rounded to its currency's minor unit.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// Most characters of a decimal read from a peer: far more than any
/// quantity needs, few enough that parsing costs nothing.
const MAX_CHARS: usize = 40;

/// Reads a decimal as FEP-0837 writes them: an optional minus, digits,
/// an optional fraction (`16`, `3.20`, `-2`). Surrounding blanks are
/// dropped; exponents, `+`, `_` separators and anything that does not
/// fit a decimal exactly are refused (`None`).
pub fn parse(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if text.len() > MAX_CHARS || !plain(whole) || !plain(fraction) {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

/// A JSON number of the platform API as the decimal it was written as:
/// its shortest round-trip text (`0.1`, not 0.1000000000000000055…).
pub fn of_f64(value: f64) -> Option<Decimal> {
    if value.is_finite() {
        parse(&value.to_string())
    } else {
        None
    }
}

/// The one text of a decimal this node stores and sends: no trailing
/// zeros, no exponent, no `-0` (`16`, `3.2`, `0.125`).
pub fn text(value: Decimal) -> String {
    value.normalize().to_string()
}

/// ISO 4217 currencies whose minor unit is not the hundredth; every other
/// code is taken to have two decimals.
const EXPONENTS: &[(&str, u32)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

/// The decimals of `currency`'s minor unit (ISO 4217; 2 unless listed).
pub fn minor_unit(currency: &str) -> u32 {
    EXPONENTS
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(currency))
        .map_or(2, |(_, exponent)| *exponent)
}

/// `value` in `currency`, rounded to its minor unit, halves away from
/// zero (0.005 EUR is 0.01 EUR); without a currency (a reciprocal in some
/// other resource) the exact value.
pub fn money(value: Decimal, currency: Option<&str>) -> Decimal {
    match currency {
        Some(code) => {
            value.round_dp_with_strategy(minor_unit(code), RoundingStrategy::MidpointAwayFromZero)
        }
        None => value,
    }
}

/// A decimal from its stored text (stored only as validated).
pub fn stored(text: &str) -> Option<Decimal> {
    Decimal::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::{minor_unit, money, of_f64, parse, text};

    #[test]
    fn agreement_amounts_parse_only_plain_decimals() {
        assert_eq!(parse(" 5").map(text).as_deref(), Some("5"));
        assert_eq!(parse("3.20").map(text).as_deref(), Some("3.2"));
        assert_eq!(parse("-0").map(text).as_deref(), Some("0"));
        for bad in [
            "", "-", "1e3", "+1", "1_000", ".5", "5.", "NaN", "0x10", "1.2.3",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        assert_eq!(parse(&"9".repeat(41)), None);
        assert_eq!(of_f64(0.1).map(text).as_deref(), Some("0.1"));
        assert_eq!(of_f64(f64::NAN), None);
    }

    #[test]
    fn agreement_money_rounds_to_the_minor_unit() {
        let eur = |v: &str| text(money(parse(v).unwrap(), Some("EUR")));
        assert_eq!(eur("0.004"), "0");
        assert_eq!(eur("0.005"), "0.01");
        assert_eq!(eur("16.000"), "16");
        assert_eq!(text(money(parse("2.5").unwrap(), Some("JPY"))), "3");
        assert_eq!(minor_unit("KWD"), 3);
        assert_eq!(text(money(parse("0.0001").unwrap(), None)), "0.0001");
    }
}
