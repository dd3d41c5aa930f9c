//! Offers → a DFC 2.0 graph, so OFN's DFC import (or any DFC tool) reads
//! the offers a node holds: per offer one `dfc-b:CatalogItem` (its `@id`
//! is the offer's `url`, the page it came from), one `dfc-b:SuppliedProduct`
//! and one `dfc-b:Offer` (ids under the offer's own URI), linked both ways
//! (`references` / `referencedBy`, `offeredThrough` / `offeredItem`), and
//! a `dfc-b:Enterprise` with its address when the offer has a location.
//! The inverse of `mapping`: importing an export gives the same offers.
//!
//! Left out, and counted: requests (a DFC catalog lists what is offered),
//! offers whose quantity unit or price currency has no DFC measure
//! (`measures`), and a second offer with the same `url`.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::dfc::context::{CONTEXT_2_0_URL, DFC_PT, local_in};
use crate::dfc::measures;
use crate::model::payload::OfferPayload;

/// A DFC graph and how many offers it leaves out.
#[derive(Debug, Clone)]
pub struct Exported {
    pub document: Value,
    pub omitted: usize,
    /// Whether the offers were cut at a cap (`views::PUBLIC_EXPORT_MAX`).
    pub truncated: bool,
}

/// The DFC graph of `offers`, each with the URI of its object.
pub fn graph(offers: &[(String, OfferPayload)]) -> Exported {
    let mut nodes: Vec<Value> = Vec::new();
    let mut items: HashSet<String> = HashSet::new();
    let mut omitted = 0;
    for (uri, offer) in offers {
        let item_id = offer.url.to_string();
        match offer_nodes(uri, offer) {
            Some(more) if !items.contains(&item_id) => {
                items.insert(item_id);
                nodes.extend(more);
            }
            _ => omitted += 1,
        }
    }
    Exported {
        document: json!({"@context": CONTEXT_2_0_URL, "@graph": nodes}),
        omitted,
        truncated: false,
    }
}

/// The nodes of one offer, or none when DFC cannot express it.
fn offer_nodes(uri: &str, offer: &OfferPayload) -> Option<Vec<Value>> {
    if offer.purpose != "offer" {
        return None;
    }
    let unit = measures::dfc_unit(&offer.quantity.unit)?;
    let price = match &offer.price {
        Some(price) => Some(json!({
            "@type": "dfc-b:Price",
            "dfc-b:value": price.value,
            "dfc-b:hasUnit": measures::dfc_currency(&price.currency)?,
        })),
        None => None,
    };
    let item_id = offer.url.to_string();
    let product_id = format!("{uri}#product");
    let offer_id = format!("{uri}#offer");
    let mut item = json!({
        "@id": item_id,
        "@type": "dfc-b:CatalogItem",
        "dfc-b:references": product_id,
        "dfc-b:offeredThrough": offer_id,
    });
    if let Some(stock) = stock_of(offer) {
        item["dfc-b:stockLimitation"] = json!(stock);
    }
    let mut product = json!({
        "@id": product_id,
        "@type": "dfc-b:SuppliedProduct",
        "dfc-b:name": offer.name,
        "dfc-b:hasQuantity": {
            "@type": "dfc-b:QuantitativeValue",
            "dfc-b:hasUnit": unit,
            "dfc-b:value": offer.quantity.value,
        },
        "dfc-b:referencedBy": item_id,
    });
    if let Some(summary) = &offer.summary {
        product["dfc-b:description"] = json!(summary);
    }
    if let Some(kind) = &offer.resource.conforms_to {
        product["dfc-b:hasType"] = json!(
            local_in(kind.as_str(), DFC_PT)
                .map_or_else(|| kind.to_string(), |t| format!("dfc-pt:{t}"))
        );
    }
    let mut dfc_offer = json!({
        "@id": offer_id,
        "@type": "dfc-b:Offer",
        "dfc-b:offeredItem": item_id,
    });
    if let Some(price) = price {
        dfc_offer["dfc-b:hasPrice"] = price;
    }
    let mut nodes = vec![item, product, dfc_offer];
    if let Some(location) = &offer.location {
        let enterprise_id = format!("{uri}#enterprise");
        nodes[0]["dfc-b:managedBy"] = json!(enterprise_id);
        let mut address = json!({"@type": "dfc-b:Address"});
        if let Some(street) = &location.address {
            address["dfc-b:hasStreet"] = json!(street);
        }
        if let Some(latitude) = location.latitude {
            address["dfc-b:latitude"] = json!(latitude);
        }
        if let Some(longitude) = location.longitude {
            address["dfc-b:longitude"] = json!(longitude);
        }
        nodes.push(json!({
            "@id": enterprise_id,
            "@type": "dfc-b:Enterprise",
            "dfc-b:name": location.name,
            "dfc-b:manages": item_id,
            "dfc-b:hasAddress": address,
        }));
    }
    Some(nodes)
}

/// How many items of the offer's quantity are available, when the
/// available quantity is in the same unit (otherwise it is not stated).
fn stock_of(offer: &OfferPayload) -> Option<f64> {
    let available = offer.available.as_ref()?;
    let same_unit = crate::model::units::om_name(&available.unit)
        == crate::model::units::om_name(&offer.quantity.unit);
    (same_unit && offer.quantity.value > 0.0).then(|| available.value / offer.quantity.value)
}
