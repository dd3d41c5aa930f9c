//! The reader's safety on hostile or unusual documents: blank-node scopes,
//! unsupported JSON-LD refused, depth and size caps, quoted text cut
//! short, and the local id format pinned.

use serde_json::{Value, json};
use url::Url;

use crate::dfc::graph::Graph;
use crate::dfc::mapping::{MAX_ITEMS, local_id_at, local_id_of, map_catalog};
use crate::error::{DfcFailure, Error};

const CATALOG: &str = "https://shop.example/catalog";

fn context() -> Value {
    json!("https://www.datafoodconsortium.org")
}

/// A catalog item with its product, the product as given.
fn item(n: usize, product: &Value) -> Value {
    json!({
        "@id": format!("https://shop.example/items/{n}"),
        "@type": "dfc-b:CatalogItem",
        "dfc-b:references": product,
    })
}

fn names(document: &Value) -> Vec<String> {
    let graph = Graph::read(document).unwrap();
    let mapped = map_catalog(&graph, &Url::parse(CATALOG).unwrap()).unwrap();
    mapped
        .iter()
        .map(|m| m.payload["name"].as_str().unwrap().to_owned())
        .collect()
}

fn malformed(document: &Value) -> String {
    let read =
        Graph::read(document).and_then(|graph| map_catalog(&graph, &Url::parse(CATALOG).unwrap()));
    match read {
        Err(Error::DfcSource(DfcFailure::Malformed, detail)) => detail,
        other => panic!("expected a malformed document, got {other:?}"),
    }
}

#[test]
fn a_document_label_never_meets_a_generated_blank_id() {
    // `_:b1` is a label of the document; the second product is embedded
    // without `@id` (the reader names it). They are two products.
    let document = json!({"@context": context(), "@graph": [
        item(1, &json!("_:b1")),
        {"@id": "_:b1", "@type": "dfc-b:SuppliedProduct", "dfc-b:name": "Labelled"},
        item(2, &json!({"@type": "dfc-b:SuppliedProduct", "dfc-b:name": "Embedded"})),
    ]});
    assert_eq!(names(&document), ["Labelled", "Embedded"]);
}

#[test]
fn blank_labels_of_two_documents_are_two_nodes() {
    // The catalog's `_:a` has a city, the other document's `_:a` a street:
    // merged, the catalog's enterprise would gain the street.
    let address = |property: &str, value: &str| json!({"@id": "_:a", "@type": "dfc-b:Address", property: value});
    let catalog = json!({"@context": context(), "@graph": [
        item(1, &json!({"@type": "dfc-b:SuppliedProduct", "dfc-b:name": "Jam"})),
        {"@id": "https://shop.example/enterprise", "@type": "dfc-b:Enterprise",
         "dfc-b:name": "Farm", "dfc-b:hasAddress": "_:a"},
        address("dfc-b:hasCity", "Valence"),
    ]});
    let mut graph = Graph::read(&catalog).unwrap();
    let other =
        json!({"@context": context(), "@graph": [address("dfc-b:hasStreet", "9 Elsewhere Road")]});
    graph.merge(&other).unwrap();
    let mapped = map_catalog(&graph, &Url::parse(CATALOG).unwrap()).unwrap();
    assert_eq!(
        mapped[0].payload["location"],
        json!({"name": "Farm", "address": "Valence"})
    );
}

#[test]
fn unsupported_json_ld_is_malformed_not_dropped() {
    let product = json!({"@type": "dfc-b:SuppliedProduct", "dfc-b:name": "Jam"});
    let cases = [
        (
            "@reverse",
            json!({"@context": context(), "@graph": [
                item(1, &product),
                {"@id": "https://shop.example/p", "@reverse": {"dfc-b:references": item(2, &json!("x"))}},
            ]}),
        ),
        (
            "@included",
            json!({"@context": context(), "@graph": [
                {"@id": "https://shop.example/x", "@included": [item(2, &product)]},
            ]}),
        ),
        (
            "@graph",
            json!({"@context": context(), "@graph": [
                {"@graph": [item(2, &product)]},
            ]}),
        ),
    ];
    for (keyword, document) in cases {
        let detail = malformed(&document);
        assert!(detail.contains(keyword), "{keyword}: {detail}");
    }
    let language_map = json!({"@context": context(), "@graph": [
        item(1, &json!({"@type": "dfc-b:SuppliedProduct",
                       "dfc-b:name": {"en": "Jam", "fr": "Confiture"}})),
    ]});
    assert!(malformed(&language_map).contains("language map"));
}

#[test]
fn nesting_deeper_than_32_levels_is_refused() {
    let nested = |levels: usize| {
        let mut value = json!({"dfc-b:name": "deep"});
        for _ in 1..levels {
            value = json!({"dfc-b:hasQuantity": value});
        }
        json!({"@context": context(), "@graph": [value]})
    };
    assert!(Graph::read(&nested(31)).is_ok());
    let detail = match Graph::read(&nested(33)) {
        Err(Error::DfcSource(DfcFailure::Malformed, detail)) => detail,
        other => panic!("33 levels read: {other:?}"),
    };
    assert!(detail.contains("32 levels"), "{detail}");
}

#[test]
fn a_catalog_of_more_than_max_items_is_refused() {
    let product = json!({"@type": "dfc-b:SuppliedProduct", "dfc-b:name": "Jam"});
    let graph: Vec<Value> = (0..=MAX_ITEMS).map(|n| item(n, &product)).collect();
    let detail = malformed(&json!({"@context": context(), "@graph": graph}));
    assert!(detail.contains("10000"), "{detail}");
}

#[test]
fn many_items_named_back_from_their_products_and_offers_map() {
    // Items name nothing; products and offers name them back: the
    // reverse index finds them without a scan per item.
    let mut graph = Vec::new();
    for n in 0..3000 {
        let item_id = format!("https://shop.example/items/{n}");
        graph.push(json!({"@id": item_id, "@type": "dfc-b:CatalogItem"}));
        graph.push(json!({"@id": format!("https://shop.example/p/{n}"),
            "@type": "dfc-b:SuppliedProduct", "dfc-b:name": format!("P{n}"),
            "dfc-b:referencedBy": item_id}));
        graph.push(
            json!({"@id": format!("https://shop.example/o/{n}"), "@type": "dfc-b:Offer",
            "dfc-b:offeredItem": item_id,
            "dfc-b:hasPrice": {"dfc-b:value": n, "dfc-b:hasUnit": "dfc-m:Euro"}}),
        );
    }
    let got = names(&json!({"@context": context(), "@graph": graph}));
    assert_eq!(got.len(), 3000);
    assert_eq!(got[2999], "P2999");
}

#[test]
fn quoted_outside_text_is_cut_short() {
    let long = format!("https://shop.example/{}", "x".repeat(5000));
    let document = json!({"@context": context(), "@graph": [
        item(1, &json!({"@id": long, "@type": "dfc-b:SuppliedProduct"})),
    ]});
    let detail = malformed(&document);
    assert!(detail.contains("has no dfc-b:name"), "{detail}");
    assert!(detail.chars().count() < 300, "{} characters", detail.len());
}

#[test]
fn the_local_id_format_is_pinned() {
    let derived = local_id_of("https://example.org/items/1");
    assert_eq!(derived, "dfc-b7dfb27ebe0a3433ea1b0e9c");
    assert_eq!(local_id_at(&derived, 0), derived);
    assert_eq!(local_id_at(&derived, 1), "dfc-b7dfb27ebe0a3433ea1b0e9c-2");
}
