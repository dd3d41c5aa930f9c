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

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::negotiate(Some("fr-FR,fr;q=0.9,en;q=0.8")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("de,en;q=0.5,fr;q=0.4")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(Lang::negotiate(Some("en;q=0.2, fr-CA;q=0.9")), Lang::Fr);
    }
}
