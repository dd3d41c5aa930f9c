//! The mapping on the test fixtures (`tests/fixtures/dfc/`): OFN's DFC
//! 1.16 and 2.0 catalogs, another producer's style (strings, blank nodes,
//! old namespaces), and the export read back.

use serde_json::{Value, json};
use url::Url;

use crate::dfc::context::{CONTEXT_2_0_URL, DFC_PT};
use crate::dfc::export;
use crate::dfc::graph::Graph;
use crate::dfc::mapping::{Mapped, local_id_of, map_catalog, missing_references};
use crate::error::{DfcFailure, Error};
use crate::model::payload::OfferPayload;

const OFN_V1: &str = include_str!("../../../../tests/fixtures/dfc/ofn_catalog_items.json");
const OFN_V2: &str = include_str!("../../../../tests/fixtures/dfc/ofn_catalog_items_v2.json");
const OFN_ADDRESS: &str = include_str!("../../../../tests/fixtures/dfc/ofn_address.json");
const PRODUCER: &str = include_str!("../../../../tests/fixtures/dfc/producer_catalog.json");
const OFN_CATALOG: &str = "http://test.host/api/dfc/enterprises/10000/catalog_items";
const APPLE: &str = "http://test.host/api/dfc/enterprises/10000/catalog_items/10001";

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn map(graph: &Graph, catalog: &str) -> Vec<Mapped> {
    map_catalog(graph, &Url::parse(catalog).unwrap()).unwrap()
}

#[test]
fn ofn_1_16_catalog_with_its_address_fetched_apart() {
    let mut graph = Graph::read(&parse(OFN_V1)).unwrap();
    let catalog = Url::parse(OFN_CATALOG).unwrap();
    assert_eq!(
        missing_references(&graph, &catalog),
        ["http://test.host/api/dfc/addresses/40000"]
    );
    graph.merge(&parse(OFN_ADDRESS)).unwrap();
    assert!(missing_references(&graph, &catalog).is_empty());
    let mapped = map(&graph, OFN_CATALOG);
    assert_eq!(mapped.len(), 1, "one catalog item, one offer");
    assert_eq!(mapped[0].item_id, APPLE);
    assert_eq!(mapped[0].local_id, local_id_of(APPLE));
    assert_eq!(
        mapped[0].payload,
        json!({
            "name": "Apple - 1g",
            "summary": "Red",
            "purpose": "offer",
            "action": "transfer",
            "resource": {"name": "Apple - 1g"},
            "quantity": {"unit": "gram", "value": 1.0},
            "available": {"unit": "gram", "value": 0.0},
            "price": {"currency": "AUD", "value": 19.99},
            "unitBased": true,
            "url": APPLE,
            "location": {
                "name": "Fred's Farm",
                "address": "42 Doveton Street, 20170 Herndon, AUS",
                "latitude": -25.345376,
                "longitude": 131.0312006
            }
        })
    );
}

#[test]
fn ofn_2_0_container_maps_the_same_way() {
    let graph = Graph::read(&parse(OFN_V2)).unwrap();
    let catalog = Url::parse(OFN_CATALOG).unwrap();
    assert!(missing_references(&graph, &catalog).is_empty());
    let mapped = map(&graph, OFN_CATALOG);
    assert_eq!(mapped.len(), 1);
    let payload = &mapped[0].payload;
    assert_eq!(
        payload["resource"]["conformsTo"],
        json!(format!("{DFC_PT}apple"))
    );
    assert_eq!(payload["available"], json!({"unit": "gram", "value": 5.0}));
    assert_eq!(payload["price"], json!({"currency": "AUD", "value": 19.99}));
    // The one enterprise of the graph manages the item.
    assert_eq!(payload["location"]["name"], "Fred's Farm");
}

#[test]
fn strings_blank_nodes_and_old_namespaces() {
    let graph = Graph::read(&parse(PRODUCER)).unwrap();
    let mapped = map(&graph, "http://test.host/producer/catalog.json");
    let by_url = |url: &str| {
        mapped
            .iter()
            .find(|m| m.item_id == url)
            .unwrap()
            .payload
            .clone()
    };
    assert_eq!(mapped.len(), 2);
    let jam = by_url("http://test.host/producer/items/apricot-jam");
    assert_eq!(jam["quantity"], json!({"unit": "gram", "value": 370.0}));
    assert_eq!(jam["available"], json!({"unit": "gram", "value": 8880.0}));
    assert_eq!(jam["price"], json!({"currency": "EUR", "value": 4.5}));
    assert_eq!(jam["resource"]["conformsTo"], json!(format!("{DFC_PT}jam")));
    assert_eq!(
        jam["location"],
        json!({
            "name": "Ferme des Coteaux",
            "address": "12 chemin des Vergers, 26000 Valence, France",
            "latitude": 44.9334,
            "longitude": 4.8924
        })
    );
    let eggs = by_url("http://test.host/producer/items/eggs");
    assert_eq!(eggs["quantity"], json!({"unit": "one", "value": 6.0}));
    assert!(eggs.get("available").is_none(), "no stock limit: unlimited");
    assert_eq!(eggs["price"], json!({"currency": "EUR", "value": 3.0}));

    // A blank catalog item is known by its product's IRI.
    let mut document = parse(PRODUCER);
    let item = document["dfc-b:supplies"][1]["dfc-b:referencedBy"]
        .as_object_mut()
        .unwrap();
    item.remove("@id");
    let mapped = map(
        &Graph::read(&document).unwrap(),
        "http://test.host/producer/catalog.json",
    );
    assert_eq!(mapped[1].item_id, "http://test.host/producer/products/eggs");
    assert_eq!(
        mapped[1].payload["url"],
        "http://test.host/producer/products/eggs"
    );
}

fn malformed_detail(document: &Value) -> String {
    let graph = Graph::read(document);
    let error = graph.and_then(|g| map_catalog(&g, &Url::parse(OFN_CATALOG).unwrap()));
    match error {
        Err(Error::DfcSource(DfcFailure::Malformed, detail)) => detail,
        other => panic!("expected a malformed-graph error, got {other:?}"),
    }
}

#[test]
fn what_cannot_be_mapped_is_named() {
    let mut document = parse(OFN_V1);
    document["@graph"][4]["dfc-b:hasPrice"]["dfc-b:hasUnit"] = json!("dfc-m:Yen");
    assert!(malformed_detail(&document).contains("dfc-m"));
    let mut document = parse(OFN_V1);
    document["@graph"][1]["dfc-b:stockLimitation"] = json!("a few");
    assert!(malformed_detail(&document).contains("a few"));
    let mut document = parse(OFN_V1);
    document["@graph"][2]["@id"] = json!("http://test.host/elsewhere");
    assert!(malformed_detail(&document).contains("references no product"));
    assert!(malformed_detail(&json!("a string")).contains("not a JSON-LD object"));
}

#[test]
fn an_export_reads_back_as_the_same_offers() {
    let mut graph = Graph::read(&parse(OFN_V1)).unwrap();
    graph.merge(&parse(OFN_ADDRESS)).unwrap();
    let mut mapped = map(&graph, OFN_CATALOG);
    mapped.extend(map(
        &Graph::read(&parse(PRODUCER)).unwrap(),
        "http://test.host/producer/catalog.json",
    ));
    let offers: Vec<(String, OfferPayload)> = mapped
        .iter()
        .map(|m| {
            (
                format!("https://node.example/offers/{}", m.local_id),
                serde_json::from_value(m.payload.clone()).unwrap(),
            )
        })
        .collect();
    let exported = export::graph(&offers);
    assert_eq!(exported.omitted, 0);
    let items = exported.document["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["@type"] == "dfc-b:CatalogItem")
        .count();
    assert_eq!(items, 3);
    let again = map(
        &Graph::read(&exported.document).unwrap(),
        "https://node.example/dfc/catalog",
    );
    assert_eq!(again, mapped);
}

#[test]
fn what_dfc_cannot_express_is_left_out_and_counted() {
    let offer = |unit: &str, currency: &str, purpose: &str| -> OfferPayload {
        serde_json::from_value(json!({
            "name": "x", "purpose": purpose, "resource": {"name": "x"},
            "quantity": {"unit": unit, "value": 1},
            "price": {"currency": currency, "value": 1},
            "url": "https://platform.example/x"
        }))
        .unwrap()
    };
    let exported = export::graph(&[
        (
            "https://n.example/offers/a".into(),
            offer("seat", "EUR", "offer"),
        ),
        (
            "https://n.example/offers/b".into(),
            offer("kg", "CHF", "offer"),
        ),
        (
            "https://n.example/offers/c".into(),
            offer("kg", "EUR", "request"),
        ),
        (
            "https://n.example/offers/d".into(),
            offer("kg", "EUR", "offer"),
        ),
        // The same page twice: one catalog item.
        (
            "https://n.example/offers/e".into(),
            offer("kg", "EUR", "offer"),
        ),
    ]);
    assert_eq!(exported.omitted, 4);
    assert_eq!(exported.document["@graph"].as_array().unwrap().len(), 3);
}

#[test]
fn back_orders_are_unlimited_and_a_missing_enterprise_is_fetched() {
    let mut document = parse(OFN_V2);
    document["@graph"][1]["dfc-b:stockLimitation"] = json!(-3);
    document["@graph"][3]["dfc-b:stockLimitation"] = json!(-3);
    let enterprise = document["@graph"].as_array_mut().unwrap().pop().unwrap();
    let mut graph = Graph::read(&document).unwrap();
    let catalog = Url::parse(OFN_CATALOG).unwrap();
    assert_eq!(
        missing_references(&graph, &catalog),
        ["http://test.host/api/dfc/enterprises/10000"],
        "the enterprise of an OFN catalog URL"
    );
    assert!(
        map(&graph, OFN_CATALOG)[0]
            .payload
            .get("location")
            .is_none()
    );
    graph
        .merge(&json!({"@context": CONTEXT_2_0_URL, "@graph": [enterprise]}))
        .unwrap();
    let mapped = map(&graph, OFN_CATALOG);
    assert!(
        mapped[0].payload.get("available").is_none(),
        "back-orders: unlimited"
    );
    assert_eq!(mapped[0].payload["location"]["name"], "Fred's Farm");
}
