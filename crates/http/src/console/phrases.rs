//! What the node says in its own words — admission reasons, error
//! messages, audit details — shown in the admin's language. The domain
//! stays language-neutral: it writes English text, and the console
//! translates the shapes it knows at display time. Each shape is a
//! `says_*` message of the locale tables whose English text is the pattern
//! (`committed to {charter} (proof verified)`); a text that matches it is
//! shown with the same message in the page's language, its `{holes}`
//! translated in turn. Anything else (what people typed) shows as written.

use serde_json::{Map, Value};

use crate::console::i18n::Lang;

/// Prefix of the messages that are shapes of the node's own phrases.
pub const PREFIX: &str = "says_";

/// How deep holes are translated (`charter admission: {reason}; …`).
const DEPTH: usize = 3;

/// `text` in `lang` when the node said it in a known shape, else as is.
pub fn translate(lang: Lang, text: &str) -> String {
    if lang == Lang::En {
        return text.to_owned();
    }
    translate_in(lang.messages(), text, DEPTH)
}

fn translate_in(messages: &Map<String, Value>, text: &str, depth: usize) -> String {
    if depth == 0 || text.is_empty() {
        return text.to_owned();
    }
    let english = Lang::En.messages();
    // Longest pattern first: the most specific shape wins.
    let mut shapes: Vec<(&String, &str)> = english
        .iter()
        .filter(|(key, _)| key.starts_with(PREFIX))
        .filter_map(|(key, value)| value.as_str().map(|v| (key, v)))
        .collect();
    shapes.sort_by_key(|(_, pattern)| std::cmp::Reverse(literal_len(pattern)));
    for (key, pattern) in shapes {
        let Some(holes) = matches(pattern, text) else {
            continue;
        };
        let Some(target) = messages.get(key).and_then(Value::as_str) else {
            continue;
        };
        let mut out = target.to_owned();
        for (name, value) in holes {
            let value = translate_in(messages, value, depth - 1);
            out = out.replace(&format!("{{{name}}}"), &value);
        }
        return out;
    }
    text.to_owned()
}

fn literal_len(pattern: &str) -> usize {
    split(pattern)
        .iter()
        .map(|(literal, _)| literal.len())
        .sum()
}

/// A pattern as its literal pieces, each followed by the hole after it.
fn split(pattern: &str) -> Vec<(&str, Option<&str>)> {
    let mut pieces = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        pieces.push((&rest[..open], Some(&rest[open + 1..open + close])));
        rest = &rest[open + close + 1..];
    }
    pieces.push((rest, None));
    pieces
}

/// The holes of `pattern` filled by `text`, when the text has its shape
/// (each hole takes the shortest text up to the next literal piece, the
/// last one the rest).
fn matches<'a>(pattern: &str, text: &'a str) -> Option<Vec<(String, &'a str)>> {
    let pieces = split(pattern);
    let mut holes = Vec::new();
    let mut at = 0;
    let mut hole: Option<&str> = None;
    for (i, (literal, next_hole)) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let found = match hole {
            None if text[at..].starts_with(literal) => at,
            None => return None,
            Some(_) if last && text[at..].ends_with(literal) => text.len() - literal.len(),
            Some(_) if last => return None,
            Some(_) => at + text[at..].find(literal)?,
        };
        if found < at {
            return None;
        }
        if let Some(name) = hole {
            let value = &text[at..found];
            if value.is_empty() {
                return None;
            }
            holes.push((name.to_owned(), value));
        }
        at = found + literal.len();
        hole = *next_hole;
    }
    (at == text.len()).then_some(holes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_shapes_are_translated_with_their_holes() {
        let fr = |text: &str| translate(Lang::Fr, text);
        assert_eq!(fr("open admission"), "admission ouverte");
        assert_eq!(
            fr("charter admission: no charter commitment found; an admin decides"),
            "admission par charte : aucun engagement envers une charte trouvé ; un·e admin décide"
        );
        assert_eq!(
            fr("committed to https://a.example/charters/1 (proof verified)"),
            "engagé envers https://a.example/charters/1 (preuve vérifiée)"
        );
        assert_eq!(fr("not found: no peer 7"), "introuvable : aucun pair 7");
        assert_eq!(fr("what an admin typed"), "what an admin typed");
        assert_eq!(
            fr(
                "malformed query string: Failed to deserialize query string: \
                before: invalid digit found in string"
            ),
            "paramètres de l'adresse mal formés : paramètres illisibles : before : \
             le texte contient un caractère qui n'est pas un chiffre"
        );
        assert_eq!(
            fr("policy (open admission)"),
            "politique d'admission (admission ouverte)"
        );
        assert_eq!(
            fr("admin console (token `alice`)"),
            "console d'admin (jeton `alice`)"
        );
        assert_eq!(
            fr("velocoop@a.example asks to follow"),
            "velocoop@a.example demande à s'abonner"
        );
        assert_eq!(
            translate(Lang::En, "open admission"),
            "open admission",
            "English shows the text as the node wrote it"
        );
    }

    #[test]
    fn a_pattern_matches_only_its_whole_shape() {
        assert!(matches("no peer {id}", "no peer 7").is_some());
        assert!(matches("no peer {id}", "no peers").is_none());
        assert!(matches("open admission", "open admission!").is_none());
        assert_eq!(
            matches(
                "{a} is {b}, not pending",
                "request 3 is voting, not pending"
            ),
            Some(vec![("a".into(), "request 3"), ("b".into(), "voting")])
        );
    }

    #[test]
    fn every_shape_keeps_its_holes_in_french() {
        let fr = Lang::Fr.messages();
        for (key, value) in Lang::En.messages() {
            if !key.starts_with(PREFIX) {
                continue;
            }
            let holes = |text: &str| {
                let mut names: Vec<String> = split(text)
                    .into_iter()
                    .filter_map(|(_, hole)| hole.map(str::to_owned))
                    .collect();
                names.sort();
                names
            };
            let english = value.as_str().unwrap_or_default();
            let french = fr.get(key).and_then(Value::as_str).unwrap_or_default();
            assert_eq!(holes(english), holes(french), "{key}");
        }
    }
}
