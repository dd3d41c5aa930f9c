//! The console's languages: English, and French for the network's
//! French-speaking members, picked by `Accept-Language`. Each language is a
//! flat table of messages (`templates/console/locales/*.json`) handed to the
//! templates as `t`; French falls back to English for a missing message.

use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

const SUPPORTED: &[&str] = &["en", "fr"];

fn table(source: &str) -> Map<String, Value> {
    match serde_json::from_str(source) {
        Ok(Value::Object(map)) => map,
        // The tables are compiled in and checked by the unit tests below.
        _ => Map::new(),
    }
}

static ENGLISH: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    table(include_str!(
        "../../../../templates/console/locales/en.json"
    ))
});
static FRENCH: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let mut merged = ENGLISH.clone();
    merged.extend(table(include_str!(
        "../../../../templates/console/locales/fr.json"
    )));
    merged
});

impl Lang {
    /// The preferred supported language of an `Accept-Language` header
    /// (a language range matches by its primary subtag: `fr-CA` is French).
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let ranges = accept_language
            .map(accept_language::parse)
            .unwrap_or_default();
        for range in ranges {
            let primary = range
                .split('-')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if let Some(code) = SUPPORTED.iter().find(|code| **code == primary) {
                return if *code == "fr" { Lang::Fr } else { Lang::En };
            }
        }
        Lang::En
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn messages(self) -> &'static Map<String, Value> {
        match self {
            Lang::En => &ENGLISH,
            Lang::Fr => &FRENCH,
        }
    }

    /// One message, or its key when missing.
    pub fn text(self, key: &str) -> String {
        self.messages()
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_owned()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Ok(Lang::negotiate(header))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tables_parse_and_have_the_same_messages() {
        let en = table(include_str!(
            "../../../../templates/console/locales/en.json"
        ));
        let fr = table(include_str!(
            "../../../../templates/console/locales/fr.json"
        ));
        assert!(en.len() > 50, "{}", en.len());
        let missing: Vec<_> = en.keys().filter(|k| !fr.contains_key(*k)).collect();
        let extra: Vec<_> = fr.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "missing in French: {missing:?}");
        assert!(extra.is_empty(), "unknown in French: {extra:?}");
    }

    /// Every console template, by name, as compiled in.
    fn templates() -> Vec<(&'static str, &'static str)> {
        crate::html::TEMPLATES
            .iter()
            .filter(|(name, _)| name.starts_with("console/"))
            .copied()
            .collect()
    }

    /// The `t.KEY` a template names literally.
    fn keys_used(source: &str) -> Vec<String> {
        let bytes = source.as_bytes();
        let mut keys = Vec::new();
        for (at, _) in source.match_indices("t.") {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                continue;
            }
            let key: String = source[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !key.is_empty() {
                keys.push(key);
            }
        }
        keys
    }

    #[test]
    fn every_message_a_template_names_exists_in_both_languages() {
        let en = Lang::En.messages();
        let fr = table(include_str!(
            "../../../../templates/console/locales/fr.json"
        ));
        let mut unknown = Vec::new();
        for (name, source) in templates() {
            for key in keys_used(source) {
                if !en.contains_key(&key) || !fr.contains_key(&key) {
                    unknown.push(format!("{name}: t.{key}"));
                }
            }
        }
        assert!(
            unknown.is_empty(),
            "messages no locale defines: {unknown:?}"
        );
        assert_eq!(keys_used("{{ t.nav_audit }} {{ at.x }}"), ["nav_audit"]);
    }

    #[test]
    fn every_audit_action_has_a_label_in_both_languages() {
        let source = include_str!("../../../domain/src/audit.rs");
        let fr = table(include_str!(
            "../../../../templates/console/locales/fr.json"
        ));
        let actions: Vec<&str> = source
            .lines()
            .filter_map(|line| line.trim().split_once("=> \""))
            .filter(|(variant, _)| variant.starts_with("Event::"))
            .map(|(_, rest)| rest.trim_end_matches("\","))
            .collect();
        assert!(actions.len() > 40, "{actions:?}");
        let missing: Vec<_> = actions
            .iter()
            .filter(|a| {
                let key = format!("audit_{a}");
                !Lang::En.messages().contains_key(&key) || !fr.contains_key(&key)
            })
            .collect();
        assert!(
            missing.is_empty(),
            "audit actions without a label: {missing:?}"
        );
    }

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::negotiate(Some("fr-FR,fr;q=0.9,en;q=0.8")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("de,en;q=0.5,fr;q=0.4")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(Lang::negotiate(Some("en;q=0.2, fr-CA;q=0.9")), Lang::Fr);
    }
}
