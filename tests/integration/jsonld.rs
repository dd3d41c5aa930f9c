//! Every term the node emits is defined by one of the contexts its
//! documents list (checked against copies of those contexts, in
//! `tests/fixtures/contexts`, and the node's own `/ns`), and every object
//! and activity has at least one ActivityStreams type, as strict parsers
//! (Fedify's) require.

use std::collections::HashSet;

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::publishing::outbox_items;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(every_emitted_term_is_defined);

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/contexts/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("context fixture")).expect("JSON")
}

/// Terms in scope: those defined at a context's top level, and for a term
/// with a scoped context, the terms it brings (inside an object of that
/// type, or inside that property's value).
#[derive(Clone, Default)]
struct TermScope {
    terms: HashSet<String>,
    scoped: std::collections::HashMap<String, TermScope>,
}

impl TermScope {
    fn extend(&mut self, other: TermScope) {
        self.terms.extend(other.terms);
        for (term, scope) in other.scoped {
            self.scoped.entry(term).or_default().extend(scope);
        }
    }

    /// The scope inside what `term` introduces.
    fn within(&self, term: &str) -> TermScope {
        let mut inner = self.clone();
        if let Some(scoped) = self.scoped.get(term) {
            inner.extend(scoped.clone());
        }
        inner
    }
}

fn collect_terms(context: &Value) -> TermScope {
    let mut scope = TermScope::default();
    match context {
        Value::Object(definitions) => {
            for (term, definition) in definitions {
                scope.terms.insert(term.clone());
                if let Some(scoped) = definition.get("@context") {
                    scope
                        .scoped
                        .entry(term.clone())
                        .or_default()
                        .extend(collect_terms(scoped));
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|c| scope.extend(collect_terms(c))),
        _ => {}
    }
    scope
}

/// The terms a document's `@context` defines.
fn terms_of(node: &TestNode, context: &Value) -> TermScope {
    let mut scope = TermScope::default();
    let urls: Vec<&str> = match context {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let ns = node.url("/ns");
    for url in urls {
        let document = match url {
            "https://www.w3.org/ns/activitystreams" => fixture("activitystreams.jsonld"),
            "https://w3id.org/security/v1" => fixture("security-v1.jsonld"),
            "https://w3id.org/security/data-integrity/v2" => fixture("data-integrity-v2.jsonld"),
            "https://w3id.org/security/multikey/v1" => fixture("multikey-v1.jsonld"),
            ours if ours == ns => {
                serde_json::from_str(passerelle::apub::context::NETWORK_CONTEXT).unwrap()
            }
            other => panic!("unknown context {other}"),
        };
        scope.extend(collect_terms(&document["@context"]));
    }
    scope
}

/// Keys and `type` values not defined by the contexts in scope.
fn undefined(
    node: &TestNode,
    value: &Value,
    inherited: &TermScope,
    path: &str,
    found: &mut Vec<String>,
) {
    match value {
        Value::Object(fields) => {
            let mut scope = inherited.clone();
            if let Some(context) = fields.get("@context") {
                scope.extend(terms_of(node, context));
            }
            let types: Vec<&str> = match fields.get("type") {
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
                Some(one) => one.as_str().into_iter().collect(),
                None => vec![],
            };
            for t in &types {
                if !scope.terms.contains(*t) {
                    found.push(format!("{path}/type={t}"));
                }
            }
            // A type's scoped context applies inside the object.
            for t in &types {
                scope = scope.within(t);
            }
            for (key, child) in fields {
                if key.starts_with('@') {
                    continue;
                }
                if !scope.terms.contains(key) {
                    found.push(format!("{path}/{key}"));
                }
                undefined(
                    node,
                    child,
                    &scope.within(key),
                    &format!("{path}/{key}"),
                    found,
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                undefined(node, item, inherited, &format!("{path}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// The ActivityStreams classes: the context's terms mapped to `as:` names
/// that start with a capital.
fn activitystreams_types() -> HashSet<String> {
    let context = fixture("activitystreams.jsonld");
    context["@context"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(term, definition)| {
            term.starts_with(char::is_uppercase)
                && definition
                    .as_str()
                    .is_some_and(|iri| iri == format!("as:{term}"))
        })
        .map(|(term, _)| term.clone())
        .collect()
}

/// Objects (the document, what its `object` and collection items hold)
/// whose types include no ActivityStreams type.
fn without_activitystreams_type(
    value: &Value,
    types: &HashSet<String>,
    path: &str,
    found: &mut Vec<String>,
) {
    let Value::Object(fields) = value else {
        return;
    };
    if let Some(kind) = fields.get("type") {
        let names: Vec<&str> = match kind {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            one => one.as_str().into_iter().collect(),
        };
        if !names.iter().any(|name| types.contains(*name)) {
            found.push(format!("{path} ({kind})"));
        }
    }
    for key in ["object", "first"] {
        if let Some(child) = fields.get(key) {
            without_activitystreams_type(child, types, &format!("{path}/{key}"), found);
        }
    }
    for key in ["orderedItems", "items"] {
        for (i, item) in fields
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            without_activitystreams_type(item, types, &format!("{path}/{key}/{i}"), found);
        }
    }
}

fn assert_defined(node: &TestNode, what: &str, document: &Value) {
    let mut untyped = Vec::new();
    without_activitystreams_type(document, &activitystreams_types(), "", &mut untyped);
    assert!(
        untyped.is_empty(),
        "{what}: objects with no ActivityStreams type: {untyped:?}\n{document}"
    );
    assert_terms_defined(node, what, document);
}

/// Every key and `type` of `document` is defined by its contexts (what
/// `assert_defined` checks besides ActivityStreams types; FEP-0837's
/// `Agreement` and `Commitment` have none).
pub(crate) fn assert_terms_defined(node: &TestNode, what: &str, document: &Value) {
    let mut found = Vec::new();
    undefined(node, document, &TermScope::default(), "", &mut found);
    assert!(
        found.is_empty(),
        "{what}: terms not defined by its contexts: {found:?}\n{document}"
    );
}

async fn every_emitted_term_is_defined(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |s| {
        s.federation.admission = passerelle::config::Admission::Open
    })
    .await;
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let token = a.token(Scope::Platform).await;
    for (collection, kind, id) in [
        ("charters", "charter", "pec-charter"),
        ("offers", "offer", "o"),
        ("members", "member", "m"),
        ("commitments", "commitment", "c"),
    ] {
        let response = a
            .put_json(
                &format!("/api/v1/{collection}/{id}"),
                &token,
                &a.example(kind),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let mut changed = a.example("offer");
    changed["name"] = json!("Pommes");
    a.put_json("/api/v1/offers/o", &token, &changed).await;
    a.delete_with("/api/v1/members/m", &token).await;
    let (b_admin, a_admin) = (admin(&b).await, admin(&a).await);
    ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    wait_follow_state(&b, &b_admin, &a, "active").await;

    assert_defined(&a, "actor", &a.get_activity_json("/actor").await.1);
    for path in [
        "/offers/o",
        "/charters/pec-charter",
        "/charters/pec-charter/versions/1",
        "/commitments/c",
        "/members/m",
    ] {
        assert_defined(&a, path, &a.get_activity_json(path).await.1);
    }
    for activity in outbox_items(&a).await {
        assert_defined(&a, activity["type"].as_str().unwrap(), &activity);
    }
    // Governance activities (Follow, Accept) as stored for delivery.
    for node in [&a, &b] {
        for activity in node.context.store.activities_after(0, 100).await.unwrap() {
            let document: Value = serde_json::from_str(&activity.document).unwrap();
            assert_defined(node, &activity.uri, &document);
        }
    }
    for path in [
        "/outbox",
        "/outbox?page=true",
        "/followers",
        "/followers?page=true",
        "/offers",
        "/offers?page=true",
    ] {
        assert_defined(&a, path, &a.get_activity_json(path).await.1);
    }
    a.stop().await;
    b.stop().await;
}
