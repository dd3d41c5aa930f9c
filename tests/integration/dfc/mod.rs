//! The DFC bridge (issue 16): an OFN hub's DFC catalog (and another DFC
//! producer's) becomes offers on its node, through the publication path,
//! reaches a peer's catalog, and is served back as DFC; a broken source
//! changes nothing; `passerelle dfc import` does a one-off run.

mod cli;
mod export;
mod safety;
pub(crate) mod stub;

use std::collections::BTreeMap;

use passerelle::config::DfcSourceSettings;
use passerelle::domain::dfc::mapping::local_id_of;
use passerelle::domain::dfc::{self, Source};
use passerelle::domain::tokens::Scope;
use passerelle::error::{DfcFailure, Error};
use serde_json::{Value, json};
use url::Url;

use crate::console::{page, sign_in};
use crate::on_both_backends;
use crate::rig::federation::admin;
use crate::rig::{TestDatabase, TestNode, eventually, metric_value};
use stub::{OFN_CATALOG, OFN_TOKEN, PRODUCER_CATALOG, Stub};

on_both_backends!(
    configured_catalogs_become_offers_and_items_that_leave_are_deleted,
    a_dfc_2_catalog_has_its_enterprise_and_address_fetched,
    a_broken_source_changes_nothing
);

/// The offers each catalog item of the stub must become, by item URL, as
/// the API gives payloads back (canonical JSON: `1`, not `1.0`).
pub fn expected(stub: &Stub) -> BTreeMap<String, Value> {
    let apple = stub.url("/api/dfc/enterprises/10000/catalog_items/10001");
    let jam = stub.url("/producer/items/apricot-jam");
    let eggs = stub.url("/producer/items/eggs");
    let coteaux = json!({
        "name": "Ferme des Coteaux",
        "address": "12 chemin des Vergers, 26000 Valence, France",
        "latitude": 44.9334, "longitude": 4.8924
    });
    BTreeMap::from([
        (
            apple.clone(),
            json!({
                "name": "Apple - 1g", "summary": "Red", "purpose": "offer", "action": "transfer",
                "resource": {"name": "Apple - 1g"},
                "quantity": {"unit": "gram", "value": 1},
                "available": {"unit": "gram", "value": 0},
                "price": {"currency": "AUD", "value": 19.99},
                "unitBased": true, "url": apple,
                "location": {"name": "Fred's Farm", "address": "42 Doveton Street, 20170 Herndon, AUS",
                             "latitude": -25.345376, "longitude": 131.0312006}
            }),
        ),
        (
            jam.clone(),
            json!({
                "name": "Apricot jam", "summary": "Apricots from the orchard, cooked in copper.",
                "purpose": "offer", "action": "transfer",
                "resource": {"name": "Apricot jam", "conformsTo":
                    "https://github.com/datafoodconsortium/taxonomies/releases/latest/download/productTypes.rdf#jam"},
                "quantity": {"unit": "gram", "value": 370},
                "available": {"unit": "gram", "value": 8880},
                "price": {"currency": "EUR", "value": 4.5},
                "unitBased": true, "url": jam, "location": coteaux
            }),
        ),
        (
            eggs.clone(),
            json!({
                "name": "Free-range eggs", "purpose": "offer", "action": "transfer",
                "resource": {"name": "Free-range eggs"},
                "quantity": {"unit": "one", "value": 6},
                "price": {"currency": "EUR", "value": 3},
                "unitBased": true, "url": eggs, "location": coteaux
            }),
        ),
    ])
}

/// The node's live offers: local id → (payload, version).
pub async fn offers(node: &TestNode, token: &str) -> BTreeMap<String, (Value, i64)> {
    let page = node.api("/api/v1/offers?limit=100", token).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o.get("deleted_at").is_none())
        .map(|o| {
            let id = o["id"].as_str().unwrap().to_owned();
            (id, (o["payload"].clone(), o["version"].as_i64().unwrap()))
        })
        .collect()
}

pub fn source(stub: &Stub, path: &str, token: Option<&str>) -> Source {
    Source {
        catalog_url: Url::parse(&stub.url(path)).unwrap(),
        api_token: token.map(str::to_owned),
    }
}

pub async fn import(node: &TestNode, source: &Source) -> dfc::RunReport {
    dfc::run(&node.context, source)
        .await
        .expect("the import runs")
}

async fn metrics(node: &TestNode) -> String {
    node.get("/metrics").await.text().await.unwrap()
}

/// A source in the settings: the stub's catalog at `path`, read with
/// `token`, every `seconds`.
pub fn configured(stub: &Stub, path: &str, token: Option<&str>, seconds: u64) -> DfcSourceSettings {
    DfcSourceSettings {
        catalog_url: Url::parse(&stub.url(path)).unwrap(),
        api_token: token.map(str::to_owned),
        api_token_env: None,
        interval: std::time::Duration::from_secs(seconds),
    }
}

async fn configured_catalogs_become_offers_and_items_that_leave_are_deleted(db: TestDatabase) {
    let stub = Stub::start().await;
    let sources = vec![
        configured(&stub, OFN_CATALOG, Some(OFN_TOKEN), 3600),
        configured(&stub, PRODUCER_CATALOG, None, 1),
    ];
    let node = TestNode::start_with(&db.url, |s| s.dfc.sources = sources).await;
    let token = node.token(Scope::Platform).await;

    // Both sources run when the node starts.
    let got = eventually("both catalogs imported", 20, || async {
        let got = offers(&node, &token).await;
        (got.len() == 3).then_some(got)
    })
    .await;
    let want: BTreeMap<String, (Value, i64)> = expected(&stub)
        .into_iter()
        .map(|(url, payload)| (local_id_of(&url), (payload, 1)))
        .collect();
    assert_eq!(got, want, "exactly the catalog items, every field mapped");

    // Published as FEP-0837 proposals like any offer.
    let apple = local_id_of(&stub.url("/api/dfc/enterprises/10000/catalog_items/10001"));
    let object = &node.api(&format!("/api/v1/offers/{apple}"), &token).await["object"];
    assert_eq!(object["type"], json!(["Proposal", "Object"]));
    assert_eq!(
        object["publishes"]["resourceQuantity"],
        json!({"hasUnit": "gram", "hasNumericalValue": "1"})
    );
    assert_eq!(
        object["publishes"]["availableQuantity"]["hasNumericalValue"],
        "0"
    );
    assert_eq!(
        object["reciprocal"]["resourceConformsTo"],
        "urn:iso:std:iso:4217:AUD"
    );
    assert_eq!(
        object["reciprocal"]["resourceQuantity"]["hasNumericalValue"],
        "19.99"
    );
    assert_eq!(object["location"]["name"], "Fred's Farm");

    // The console shows each source's last run.
    let session = sign_in(&node, &admin(&node).await).await;
    let html = dashboard(&node, &session.cookie).await;
    assert!(source_row(&html, &stub.url(OFN_CATALOG)).contains("<td>1</td><td>0</td><td>0</td>"));
    // The producer runs every second: its counts move, its outcome stays.
    let row = source_row(&html, &stub.url(PRODUCER_CATALOG));
    assert!(row.contains("· ok"), "{row}");

    // The eggs leave the producer's catalog: the next run (every second
    // for this source) deletes their offer, and only it.
    let mut producer = stub.fixture("producer_catalog");
    producer["dfc-b:supplies"].as_array_mut().unwrap().pop();
    stub.serve(PRODUCER_CATALOG, &producer);
    let eggs = local_id_of(&stub.url("/producer/items/eggs"));
    eventually("the eggs' offer deleted", 20, || async {
        let status = node
            .get_with(&format!("/api/v1/offers/{eggs}"), &token)
            .await
            .status();
        (status == 410).then_some(())
    })
    .await;
    let mut still = want.clone();
    still.remove(&eggs);
    assert_eq!(offers(&node, &token).await, still, "the others untouched");
    let text = metrics(&node).await;
    assert_eq!(
        metric_value(
            &text,
            "passerelle_dfc_offers_changed_total{change=\"deleted\"}"
        ),
        1
    );
    assert!(metric_value(&text, "passerelle_dfc_import_runs_total{outcome=\"ok\"}") >= 3);
    node.stop().await;
}

/// OFN's DFC 2.0 answer, whose graph only names the enterprise: the
/// enterprise is fetched (`GET /api/dfc/enterprises/{id}`), then its
/// address, with the source's token.
async fn a_dfc_2_catalog_has_its_enterprise_and_address_fetched(db: TestDatabase) {
    let stub = Stub::start().await;
    let mut catalog = stub.fixture("ofn_catalog_items_v2");
    catalog["@graph"].as_array_mut().unwrap().pop();
    stub.serve(OFN_CATALOG, &catalog);
    let enterprise = json!({
        "@context": "https://www.datafoodconsortium.org",
        "@graph": [{
            "@id": stub.url("/api/dfc/enterprises/10000"),
            "@type": "dfc-b:Enterprise",
            "dfc-b:name": "Fred's Farm",
            "dfc-b:hasAddress": stub.url("/api/dfc/addresses/40000")
        }]
    });
    stub.serve("/api/dfc/enterprises/10000", &enterprise);
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let report = import(&node, &source(&stub, OFN_CATALOG, Some(OFN_TOKEN))).await;
    assert_eq!(report.created, 1);
    let apple = local_id_of(&stub.url("/api/dfc/enterprises/10000/catalog_items/10001"));
    let payload = &offers(&node, &token).await[&apple].0;
    assert_eq!(payload["available"], json!({"unit": "gram", "value": 5}));
    assert_eq!(
        payload["resource"]["conformsTo"],
        "https://github.com/datafoodconsortium/taxonomies/releases/latest/download/productTypes.rdf#apple"
    );
    assert_eq!(
        payload["location"],
        json!({"name": "Fred's Farm", "address": "42 Doveton Street, 20170 Herndon, AUS",
               "latitude": -25.345376, "longitude": 131.0312006})
    );
    node.stop().await;
}

/// The console's dashboard, its text unescaped where URLs are concerned.
async fn dashboard(node: &TestNode, cookie: &str) -> String {
    page(node, cookie, "/admin").await.1.replace("&#x2f;", "/")
}

/// The dashboard's table row of a DFC source.
fn source_row<'h>(html: &'h str, url: &str) -> &'h str {
    let start = html
        .find(&format!("<td class=\"handle\">{url}</td>"))
        .expect("the source's row");
    let end = html[start..].find("</tr>").unwrap();
    &html[start..start + end]
}

/// Runs a failing import; checks its failure kind.
pub async fn fails(node: &TestNode, source: &Source, kind: DfcFailure) -> String {
    match dfc::run(&node.context, source).await {
        Err(Error::DfcSource(got, detail)) if got == kind => detail,
        other => panic!("expected a {kind:?} failure, got {other:?}"),
    }
}

async fn a_broken_source_changes_nothing(db: TestDatabase) {
    let stub = Stub::start().await;
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let producer = source(&stub, PRODUCER_CATALOG, None);
    import(&node, &producer).await;
    import(&node, &source(&stub, OFN_CATALOG, Some(OFN_TOKEN))).await;
    let before = offers(&node, &token).await;
    let activities = db.query_i64("SELECT COUNT(*) FROM activities").await;
    assert_eq!(before.len(), 3);

    stub.answer(PRODUCER_CATALOG, 500, "oops");
    assert!(
        fails(&node, &producer, DfcFailure::Status)
            .await
            .contains("500")
    );
    let wrong_token = source(&stub, OFN_CATALOG, Some("wrong"));
    fails(&node, &wrong_token, DfcFailure::Unauthorized).await;
    // One item cannot be mapped while another changed: neither is published.
    let mut broken = stub.fixture("producer_catalog");
    broken["dfc-b:supplies"][0]["dfc-b:name"] = json!("Renamed jam");
    broken["dfc-b:supplies"][1]["dfc-b:referencedBy"]["dfc-b:offeredThrough"]["dfc-b:hasPrice"]["dfc-b:hasUnit"] =
        json!("dfc-m:Yen");
    stub.serve(PRODUCER_CATALOG, &broken);
    assert!(
        fails(&node, &producer, DfcFailure::Malformed)
            .await
            .contains("Yen")
    );
    stub.answer(PRODUCER_CATALOG, 200, "<html>maintenance</html>");
    fails(&node, &producer, DfcFailure::Malformed).await;
    // JSON that is not DFC deletes nothing.
    stub.serve(PRODUCER_CATALOG, &json!({"error": "maintenance"}));
    let detail = fails(&node, &producer, DfcFailure::Malformed).await;
    assert!(detail.contains("not a DFC catalog"), "{detail}");
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}/catalog", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = Source {
        catalog_url: Url::parse(&nowhere).unwrap(),
        api_token: None,
    };
    fails(&node, &unreachable, DfcFailure::Unreachable).await;

    assert_eq!(offers(&node, &token).await, before, "nothing changed");
    assert_eq!(
        db.query_i64("SELECT COUNT(*) FROM activities").await,
        activities
    );
    let text = metrics(&node).await;
    for (outcome, n) in [
        ("status", 1),
        ("unauthorized", 1),
        ("malformed", 3),
        ("unreachable", 1),
    ] {
        let series = format!("passerelle_dfc_import_runs_total{{outcome=\"{outcome}\"}}");
        assert_eq!(metric_value(&text, &series), n, "{outcome}");
    }
    let session = sign_in(&node, &admin(&node).await).await;
    let html = dashboard(&node, &session.cookie).await;
    let row = source_row(&html, &stub.url(PRODUCER_CATALOG));
    assert!(
        row.contains("not a DFC catalog"),
        "the last error is shown: {row}"
    );
    assert!(source_row(&html, &stub.url(OFN_CATALOG)).contains("401 Unauthorized"));

    // Mended, without the eggs: a run deletes their offer and only it (not
    // the platform's own offers).
    let own = node
        .put_json("/api/v1/offers/jam", &token, &node.example("offer"))
        .await;
    assert_eq!(own.status(), 201);
    let mut producer_now = stub.fixture("producer_catalog");
    producer_now["dfc-b:supplies"].as_array_mut().unwrap().pop();
    stub.serve(PRODUCER_CATALOG, &producer_now);
    let report = import(&node, &producer).await;
    assert_eq!(
        (
            report.created,
            report.updated,
            report.deleted,
            report.unchanged
        ),
        (0, 0, 1, 1)
    );
    let eggs = local_id_of(&stub.url("/producer/items/eggs"));
    let gone = node
        .get_with(&format!("/api/v1/offers/{eggs}"), &token)
        .await;
    assert_eq!(gone.status(), 410);
    let now = offers(&node, &token).await;
    assert!(now.contains_key("jam") && now.len() == 3, "{now:?}");
    let html = dashboard(&node, &session.cookie).await;
    let row = source_row(&html, &stub.url(PRODUCER_CATALOG));
    assert!(
        row.contains("· ok") && row.contains("<td>0</td><td>0</td><td>1</td>"),
        "{row}"
    );
    node.stop().await;
}
