//! Text and shapes received from a DFC source that need care before use:
//! quoted text is cut short before it reaches an error, a log line, the
//! `dfc_sources` table or the console, and language maps are told apart
//! from embedded nodes.

use serde_json::{Map, Value};

/// Whether an object is a language map (`{"en": "Apple", "fr-FR": …}`):
/// no keyword, every key a language tag, every value text.
pub fn is_language_map(object: &Map<String, Value>) -> bool {
    let tag = |k: &str| {
        let mut parts = k.split('-');
        parts.next().is_some_and(|p| {
            (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic())
        }) && parts
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
    };
    !object.is_empty()
        && object.iter().all(|(k, v)| {
            tag(k)
                && (v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
        })
}

/// Text received from outside, cut to at most 200 characters (with `…`)
/// before it goes into an error, a log line or the console.
pub fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
