//! What a hostile or broken source cannot do: delete every offer with an
//! empty catalog, send the token (or the node) to another origin, make the
//! node read an oversize document; and what keeps ids and peers right: an
//! offer the platform deleted comes back under its next generation's id,
//! and a peer receives the `Delete` of an item that left the catalog; a
//! run whose record fails after its commit still reports its changes;
//! lists answered by `Accept` say `Vary: Accept`; the public export is
//! capped and says so.

use passerelle::config::Admission;
use passerelle::domain::dfc::mapping::local_id_of;
use passerelle::domain::dfc::source::{self, MAX_DOCUMENT_BYTES};
use passerelle::domain::dfc::views;
use passerelle::domain::tokens::Scope;
use passerelle::error::{DfcFailure, Error};
use serde_json::json;

use super::stub::{OFN_CATALOG, OFN_TOKEN, PRODUCER_CATALOG, Stub};
use super::{fails, import, offers, source};
use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(
    a_catalog_that_would_delete_every_offer_is_refused,
    an_offer_the_platform_deleted_comes_back_under_a_new_id,
    nothing_is_fetched_off_the_catalogs_origin,
    an_oversize_catalog_is_refused,
    a_peer_receives_the_delete_of_an_item_that_left,
    a_committed_run_that_cannot_be_recorded_reports_what_it_changed,
    negotiated_lists_vary_by_accept,
    the_public_export_is_capped
);

async fn a_catalog_that_would_delete_every_offer_is_refused(db: TestDatabase) {
    let stub = Stub::start().await;
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let producer = source(&stub, PRODUCER_CATALOG, None);
    import(&node, &producer).await;
    let before = offers(&node, &token).await;
    assert_eq!(before.len(), 2);

    let context = stub.fixture("producer_catalog")["@context"].clone();
    stub.serve(
        PRODUCER_CATALOG,
        &json!({"@context": context, "@graph": []}),
    );
    let detail = fails(&node, &producer, DfcFailure::Malformed).await;
    assert_eq!(
        detail,
        "the catalog is empty: refusing to delete all 2 offers"
    );
    // Every item under a new id: none of the known ones is left.
    let mut moved = stub.fixture("producer_catalog").to_string();
    moved = moved.replace("/producer/items/", "/producer/moved/");
    stub.serve(PRODUCER_CATALOG, &serde_json::from_str(&moved).unwrap());
    let detail = fails(&node, &producer, DfcFailure::Malformed).await;
    assert!(detail.contains("refusing to delete them all"), "{detail}");
    assert_eq!(offers(&node, &token).await, before, "nothing changed");
    node.stop().await;
}

async fn an_offer_the_platform_deleted_comes_back_under_a_new_id(db: TestDatabase) {
    let stub = Stub::start().await;
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let producer = source(&stub, PRODUCER_CATALOG, None);
    import(&node, &producer).await;
    let jam = local_id_of(&stub.url("/producer/items/apricot-jam"));
    for generation in 2..=4 {
        let current = if generation == 2 {
            jam.clone()
        } else {
            format!("{jam}-{}", generation - 1)
        };
        let deleted = node
            .delete_with(&format!("/api/v1/offers/{current}"), &token)
            .await;
        assert!(deleted.status().is_success(), "{current}");
        let report = import(&node, &producer).await;
        assert_eq!((report.created, report.unchanged), (1, 1));
        let next = format!("{jam}-{generation}");
        assert!(offers(&node, &token).await.contains_key(&next), "{next}");
    }
    let stored = db.query_i64("SELECT MAX(generation) FROM dfc_items").await;
    assert_eq!(stored, 3, "the generation is kept, not probed again");
    node.stop().await;
}

async fn nothing_is_fetched_off_the_catalogs_origin(db: TestDatabase) {
    let stub = Stub::start().await;
    let elsewhere = Stub::start().await;
    let mut catalog = stub.fixture("ofn_catalog_items_v2");
    let graph = catalog["@graph"].as_array_mut().unwrap();
    graph.pop();
    let foreign = elsewhere.url("/api/dfc/enterprises/10000");
    for node in graph.iter_mut() {
        if node["@type"] == "dfc-b:CatalogItem" {
            node["dfc-b:managedBy"] = json!(foreign);
        }
    }
    stub.serve(OFN_CATALOG, &catalog);
    let node = TestNode::start(&db).await;
    let ofn = source(&stub, OFN_CATALOG, Some(OFN_TOKEN));
    let report = import(&node, &ofn).await;
    assert_eq!(report.created, 1);
    // Asked directly, `fetch` refuses too: the token goes nowhere else.
    match source::fetch(&node.context, &ofn, &foreign).await {
        Err(Error::DfcSource(DfcFailure::Malformed, detail)) => {
            assert!(detail.contains("not on the catalog's origin"), "{detail}");
        }
        other => panic!("fetched off the origin: {other:?}"),
    }
    assert_eq!(
        elsewhere.requests(),
        0,
        "no request reached the other origin"
    );
    node.stop().await;
}

async fn an_oversize_catalog_is_refused(db: TestDatabase) {
    let stub = Stub::start().await;
    let node = TestNode::start(&db).await;
    let padding = " ".repeat(MAX_DOCUMENT_BYTES + 1);
    stub.answer(PRODUCER_CATALOG, 200, &format!("{padding}{{}}"));
    let producer = source(&stub, PRODUCER_CATALOG, None);
    let detail = fails(&node, &producer, DfcFailure::Malformed).await;
    assert!(detail.contains("sent more than"), "{detail}");
    node.stop().await;
}

async fn a_peer_receives_the_delete_of_an_item_that_left(db: TestDatabase) {
    let stub = Stub::start().await;
    let (a, _a_db) = node_named(&db, "reader", |_| {}).await;
    let (b, _b_db) = node_named(&db, "hub", |s| {
        s.federation.admission = Admission::Open;
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    let producer = source(&stub, PRODUCER_CATALOG, None);
    import(&b, &producer).await;
    let a_token = a.token(Scope::Platform).await;
    let count = || async {
        let page = a.api("/api/v1/catalog/offers?limit=100", &a_token).await;
        page["items"].as_array().map_or(0, Vec::len)
    };
    eventually("both offers reach the peer", 20, || async {
        (count().await == 2).then_some(())
    })
    .await;
    let mut without_eggs = stub.fixture("producer_catalog");
    without_eggs["dfc-b:supplies"].as_array_mut().unwrap().pop();
    stub.serve(PRODUCER_CATALOG, &without_eggs);
    assert_eq!(import(&b, &producer).await.deleted, 1);
    eventually("the peer drops the eggs", 20, || async {
        (count().await == 1).then_some(())
    })
    .await;
    a.stop().await;
    b.stop().await;
}

async fn a_committed_run_that_cannot_be_recorded_reports_what_it_changed(db: TestDatabase) {
    let stub = Stub::start().await;
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    db.inject_insert_fault("dfc_sources").await;
    let report = import(&node, &source(&stub, PRODUCER_CATALOG, None)).await;
    assert_eq!(report.created, 2, "the run committed and says so");
    assert_eq!(offers(&node, &token).await.len(), 2);
    db.lift_insert_fault("dfc_sources").await;
    node.stop().await;
}

async fn negotiated_lists_vary_by_accept(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    for path in ["/api/v1/offers", "/api/v1/catalog/offers"] {
        for accept in [
            "application/json",
            "application/ld+json; profile=\"dfc-v2\"",
        ] {
            let response = node
                .client
                .get(node.url(path))
                .header("accept", accept)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path} {accept}");
            let vary: Vec<String> = response
                .headers()
                .get_all("vary")
                .iter()
                .map(|v| v.to_str().unwrap().to_ascii_lowercase())
                .collect();
            assert!(
                vary.iter()
                    .any(|v| v.split(',').any(|f| f.trim() == "accept")),
                "{path} {accept}: {vary:?}"
            );
        }
    }
    node.stop().await;
}

async fn the_public_export_is_capped(db: TestDatabase) {
    let stub = Stub::start().await;
    let node = TestNode::start(&db).await;
    import(&node, &source(&stub, PRODUCER_CATALOG, None)).await;
    let capped = views::own_offers_at_most(&node.context, true, 1)
        .await
        .unwrap();
    assert!(capped.truncated);
    assert_eq!(
        capped.document["@graph"].as_array().unwrap().len(),
        4,
        "one offer's nodes"
    );
    let all = views::own_offers_at_most(&node.context, true, 2)
        .await
        .unwrap();
    assert!(!all.truncated);
    let response = node.get("/dfc/catalog").await;
    assert!(response.headers().get("passerelle-dfc-truncated").is_none());
    node.stop().await;
}
