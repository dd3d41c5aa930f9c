//! The DFC JSON-LD contexts, read from `schemas/dfc/` (compiled in, never
//! fetched), and how a compact term or IRI of a DFC document expands.
//!
//! A document's `@context` may name a context by URL (DFC 1.x
//! `…/context_1.16.0.json`, DFC 2.0 `https://www.datafoodconsortium.org`),
//! hold an inline object of prefixes and terms, or an array of both. Named
//! DFC contexts are the shipped ones; any other URL is not fetched and
//! adds nothing. The DFC prefixes are always known, so a document that
//! writes `dfc-b:name` under an unknown context still reads. Every DFC
//! namespace has had several IRIs over the versions (`static.
//! datafoodconsortium.org`, GitHub releases, `w3id.org`): IRIs are
//! brought to the current one, so `dfc-b:name` means one thing whatever
//! the document's vintage.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::Value;

const CONTEXT_1_16: &str = include_str!("../../../../schemas/dfc/context_1.16.0.json");
const CONTEXT_2_0: &str = include_str!("../../../../schemas/dfc/context_2.0.0.json");

/// The context URL DFC 2.0 documents (and our export) name.
pub const CONTEXT_2_0_URL: &str = "https://www.datafoodconsortium.org";
/// The business ontology, products and measures namespaces as written now.
pub const DFC_B: &str = "https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#";
pub const DFC_M: &str =
    "https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#";
pub const DFC_PT: &str =
    "https://github.com/datafoodconsortium/taxonomies/releases/latest/download/productTypes.rdf#";

/// Earlier IRIs of each namespace and the current one.
const ALIASES: &[(&str, &str)] = &[
    (
        "http://static.datafoodconsortium.org/ontologies/DFC_BusinessOntology.owl#",
        DFC_B,
    ),
    (
        "https://w3id.org/dfc/ontology/src/DFC_BusinessOntology.owl#",
        DFC_B,
    ),
    (
        "http://static.datafoodconsortium.org/data/measures.rdf#",
        DFC_M,
    ),
    ("https://w3id.org/dfc/taxonomies/measures.rdf#", DFC_M),
    (
        "http://static.datafoodconsortium.org/data/productTypes.rdf#",
        DFC_PT,
    ),
    ("https://w3id.org/dfc/taxonomies/productTypes.rdf#", DFC_PT),
];

/// Prefixes and terms in force for a document.
#[derive(Debug, Clone)]
pub struct Context {
    terms: HashMap<String, String>,
    vocab: Option<String>,
}

fn shipped(source: &str) -> Context {
    let mut context = Context {
        terms: HashMap::new(),
        vocab: None,
    };
    if let Ok(document) = serde_json::from_str::<Value>(source) {
        if let Some(inline) = document.get("@context") {
            context.add_inline(inline);
        }
    }
    context
}

static V1: LazyLock<Context> = LazyLock::new(|| shipped(CONTEXT_1_16));
static V2: LazyLock<Context> = LazyLock::new(|| shipped(CONTEXT_2_0));

impl Context {
    /// The context of a document whose `@context` is `declared` (absent:
    /// the DFC prefixes alone).
    pub fn of(declared: Option<&Value>) -> Context {
        let mut context = V2.clone();
        if let Some(declared) = declared {
            context.add(declared);
        }
        context
    }

    fn add(&mut self, declared: &Value) {
        match declared {
            Value::String(url)
                if url.contains("datafoodconsortium")
                    || url.starts_with("https://w3id.org/dfc/") =>
            {
                let named = if url.contains("context_1.") {
                    &*V1
                } else {
                    &*V2
                };
                self.terms
                    .extend(named.terms.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Value::Array(items) => items.iter().for_each(|item| self.add(item)),
            Value::Object(_) => self.add_inline(declared),
            _ => {}
        }
    }

    /// Prefixes (`"dfc-b": "https://…#"`), terms (`"name": "dfc-b:name"`
    /// or `{"@id": …}`) and `@vocab`; type coercions add nothing here.
    fn add_inline(&mut self, inline: &Value) {
        let Some(fields) = inline.as_object() else {
            return;
        };
        for (key, value) in fields {
            let iri = match value {
                Value::String(iri) => Some(iri.as_str()),
                Value::Object(definition) => definition.get("@id").and_then(Value::as_str),
                _ => None,
            };
            match (key.as_str(), iri) {
                ("@vocab", Some(iri)) => self.vocab = Some(self.expand(iri)),
                (key, Some(iri)) if !key.starts_with('@') => {
                    let expanded = self.expand(iri);
                    self.terms.insert(key.to_owned(), expanded);
                }
                _ => {}
            }
        }
    }

    /// The full IRI of a compact IRI, term or IRI, in the current
    /// namespaces; a string that is none of these is returned as it is.
    pub fn expand(&self, text: &str) -> String {
        if let Some(iri) = self.terms.get(text) {
            return canonical(iri);
        }
        if let Some((prefix, suffix)) = text.split_once(':') {
            if !suffix.starts_with("//") {
                if let Some(base) = self.terms.get(prefix) {
                    return canonical(&format!("{base}{suffix}"));
                }
            }
            return canonical(text);
        }
        match &self.vocab {
            Some(vocab) if !text.is_empty() => canonical(&format!("{vocab}{text}")),
            _ => text.to_owned(),
        }
    }
}

/// An IRI in the current spelling of its DFC namespace.
pub fn canonical(iri: &str) -> String {
    for (old, current) in ALIASES {
        if let Some(rest) = iri.strip_prefix(old) {
            return format!("{current}{rest}");
        }
    }
    iri.to_owned()
}

/// An IRI as people write it: `dfc-b:name`, `dfc-m:Gram`, `dfc-pt:apple`.
pub fn compact(iri: &str) -> String {
    let iri = canonical(iri);
    for (namespace, prefix) in [(DFC_B, "dfc-b"), (DFC_M, "dfc-m"), (DFC_PT, "dfc-pt")] {
        if let Some(local) = iri.strip_prefix(namespace) {
            return format!("{prefix}:{local}");
        }
    }
    iri
}

/// A business ontology term (`name` → its full IRI).
pub fn b(term: &str) -> String {
    format!("{DFC_B}{term}")
}

/// The local name of an IRI in `namespace`, if it is in it.
pub fn local_in<'a>(iri: &'a str, namespace: &str) -> Option<&'a str> {
    iri.strip_prefix(namespace)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_dfc_contexts_expand_the_same_terms() {
        let v1 = Context::of(Some(&json!(
            "https://w3id.org/dfc/ontology/context/context_1.16.0.json"
        )));
        let v2 = Context::of(Some(&json!(CONTEXT_2_0_URL)));
        for context in [v1, v2] {
            assert_eq!(context.expand("dfc-b:name"), b("name"));
            assert_eq!(context.expand("dfc-m:Gram"), format!("{DFC_M}Gram"));
        }
    }

    #[test]
    fn inline_prefixes_old_namespaces_and_vocab() {
        let context = Context::of(Some(&json!([{
            "dfc-b": "http://static.datafoodconsortium.org/ontologies/DFC_BusinessOntology.owl#",
            "price": {"@id": "dfc-b:hasPrice"},
            "@vocab": "http://static.datafoodconsortium.org/ontologies/DFC_BusinessOntology.owl#"
        }])));
        assert_eq!(context.expand("dfc-b:name"), b("name"));
        assert_eq!(context.expand("price"), b("hasPrice"));
        assert_eq!(context.expand("description"), b("description"));
        assert_eq!(
            context.expand("https://example.org/x"),
            "https://example.org/x"
        );
    }
}
