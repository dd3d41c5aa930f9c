//! Offers served back as DFC: by `Accept`, `?format=dfc` and the public
//! `/dfc/catalog`; an export imported again gives the same offers; a
//! peer following the hub receives the imported offers and serves them as
//! DFC in turn.

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use super::stub::{OFN_CATALOG, OFN_TOKEN, PRODUCER_CATALOG, Stub};
use super::{expected, import, offers, source};
use crate::on_both_backends;
use crate::rig::federation::{admin, node_named, request_follow, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(the_offers_round_trip_through_dfc_and_reach_a_peer);

const DFC_V2: &str = "application/ld+json; profile=\"dfc-v2\"";

/// The CatalogItems of a DFC graph, by `@id`, each checked to link both ways.
fn catalog_items(graph: &Value) -> Vec<String> {
    let nodes = graph["@graph"].as_array().unwrap();
    let by_id = |id: &Value| nodes.iter().find(|n| &n["@id"] == id).unwrap();
    let mut items: Vec<String> = nodes
        .iter()
        .filter(|n| n["@type"] == "dfc-b:CatalogItem")
        .map(|item| {
            let product = by_id(&item["dfc-b:references"]);
            assert_eq!(product["@type"], "dfc-b:SuppliedProduct");
            assert_eq!(product["dfc-b:referencedBy"], item["@id"]);
            let offer = by_id(&item["dfc-b:offeredThrough"]);
            assert_eq!(offer["dfc-b:offeredItem"], item["@id"]);
            item["@id"].as_str().unwrap().to_owned()
        })
        .collect();
    items.sort();
    items
}

async fn dfc_get(node: &TestNode, path: &str, token: Option<&str>, accept: &str) -> (u64, Value) {
    let mut request = node.client.get(node.url(path)).header("accept", accept);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("dfc-v2")
    );
    let omitted = response.headers()["passerelle-dfc-omitted"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    (omitted, response.json().await.unwrap())
}

async fn the_offers_round_trip_through_dfc_and_reach_a_peer(db: TestDatabase) {
    let stub = Stub::start().await;
    let (hub, _hub_db) =
        node_named(&db, "foodhub", |s| s.federation.admission = Admission::Open).await;
    let (peer, _peer_db) = node_named(&db, "velocoop", |_| {}).await;
    let (hub_token, peer_token) = (
        hub.token(Scope::Platform).await,
        peer.token(Scope::Platform).await,
    );
    import(&hub, &source(&stub, OFN_CATALOG, Some(OFN_TOKEN))).await;
    import(&hub, &source(&stub, PRODUCER_CATALOG, None)).await;
    let urls: Vec<String> = expected(&stub).into_keys().collect();

    // Our offers as DFC: by Accept, by ?format=dfc, and public at /dfc/catalog.
    let (omitted, exported) = dfc_get(&hub, "/api/v1/offers", Some(&hub_token), DFC_V2).await;
    assert_eq!((omitted, catalog_items(&exported)), (0, urls.clone()));
    let by_format = dfc_get(&hub, "/api/v1/offers?format=dfc", Some(&hub_token), "*/*").await;
    assert_eq!(by_format.1, exported);
    let public = dfc_get(&hub, "/dfc/catalog", None, DFC_V2).await;
    assert_eq!(public.1, exported);
    let members = hub.get_with("/api/v1/members?format=dfc", &hub_token).await;
    assert_eq!(members.status(), 406);

    // Import → export → import: the same offers, under the same ids.
    stub.serve("/export.json", &exported);
    let report = import(&peer, &source(&stub, "/export.json", None)).await;
    assert_eq!(report.created, 3);
    assert_eq!(
        offers(&peer, &peer_token).await,
        offers(&hub, &hub_token).await
    );

    // The peer follows the hub: the offers reach its catalog, and its DFC view.
    let peer_admin = admin(&peer).await;
    request_follow(&peer, &peer_admin, &hub.handle()).await;
    wait_follow_state(&peer, &peer_admin, &hub, "active").await;
    let received = eventually("the offers in the peer's catalog", 20, || async {
        let page = peer.api("/api/v1/catalog/offers", &peer_token).await;
        let mut got: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["object"]["url"].as_str().unwrap().to_owned())
            .collect();
        got.sort();
        (got == urls).then_some(got)
    })
    .await;
    assert_eq!(received.len(), 3);
    let (omitted, catalog) =
        dfc_get(&peer, "/api/v1/catalog/offers", Some(&peer_token), DFC_V2).await;
    assert_eq!((omitted, catalog_items(&catalog)), (0, urls.clone()));

    // /dfc/catalog holds the public offers only; what DFC cannot express
    // (a request, a unit without a DFC measure) is left out and counted.
    let mut private = hub.example("offer");
    private["audience"] = json!("followers");
    private["url"] = json!("https://ofn.example.org/private-apples");
    let mut request = hub.example("offer");
    request["purpose"] = json!("request");
    let mut seats = hub.example("offer");
    seats["quantity"] = json!({"unit": "seat", "value": 1});
    seats["url"] = json!("https://ofn.example.org/seats");
    for (id, offer) in [
        ("private", &private),
        ("request", &request),
        ("seats", &seats),
    ] {
        let put = hub
            .put_json(&format!("/api/v1/offers/{id}"), &hub_token, offer)
            .await;
        assert_eq!(put.status(), 201);
    }
    let (omitted, public) = dfc_get(&hub, "/dfc/catalog", None, DFC_V2).await;
    assert_eq!((omitted, catalog_items(&public)), (2, urls.clone()));
    let (omitted, all) = dfc_get(&hub, "/api/v1/offers", Some(&hub_token), DFC_V2).await;
    let mut with_private = urls;
    with_private.push("https://ofn.example.org/private-apples".to_owned());
    with_private.sort();
    assert_eq!((omitted, catalog_items(&all)), (2, with_private));
    hub.stop().await;
    peer.stop().await;
}
