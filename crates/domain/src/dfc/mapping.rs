//! DFC catalog items → offer payloads (the platform API's shape, published
//! by `publish`). One offer per `dfc-b:CatalogItem`:
//!
//! | offer | DFC |
//! |---|---|
//! | local id | `dfc-` + 24 hex digits of SHA-256 of the catalog item's `@id` |
//! | `name`, `resource.name` | the product's `dfc-b:name` |
//! | `summary` | the product's `dfc-b:description` |
//! | `resource.conformsTo` | the product's `dfc-b:hasType` (full IRI) |
//! | `quantity` | the product's `dfc-b:hasQuantity` (`dfc-m:` unit → OM 2 name; none: 1 `one`) |
//! | `available` | `dfc-b:stockLimitation` × quantity (absent or negative: unlimited, left out) |
//! | `price` | the offer's `dfc-b:hasPrice` value and `dfc-m:` currency (ISO 4217) |
//! | `url` | the catalog item's `@id` (its product's, for a blank item) |
//! | `location` | the managing enterprise's name and `dfc-b:hasAddress` |
//!
//! `purpose` is `offer`, `action` `transfer`, `unitBased` true (one takes
//! multiples of the quantity).

use std::collections::HashSet;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::dfc::context::{b, compact};
use crate::dfc::graph::{Graph, Node, malformed, quoted};
use crate::dfc::measures;
use crate::error::Result;

/// One catalog item, mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// The catalog item's `@id`.
    pub item_id: String,
    pub local_id: String,
    pub payload: Value,
}

/// The stable local id of the offer a catalog item becomes.
pub fn local_id_of(item_id: &str) -> String {
    let digest = hex::encode(Sha256::digest(item_id.as_bytes()));
    format!("dfc-{}", &digest[..24])
}

/// Most catalog items a source may hold: a larger catalog is refused
/// (a run reads, maps and publishes them all at once).
pub const MAX_ITEMS: usize = 10_000;

/// The local id of an item's `generation`th offer: the derived id, then
/// `…-2`, `…-3`.
pub fn local_id_at(derived: &str, generation: i64) -> String {
    if generation == 0 {
        derived.to_owned()
    } else {
        format!("{derived}-{}", generation + 1)
    }
}

/// Refuses a catalog of more than `MAX_ITEMS` items.
pub fn check_size(graph: &Graph) -> Result<()> {
    let count = graph.count_of_type(&b("CatalogItem"));
    if count > MAX_ITEMS {
        return Err(malformed(&format!(
            "the catalog holds {count} items, more than the {MAX_ITEMS} a source may hold"
        )));
    }
    Ok(())
}

/// Every catalog item of the graph, mapped; the first item that cannot be
/// mapped fails them all, as does a catalog of more than `MAX_ITEMS`.
pub fn map_catalog(graph: &Graph, catalog_url: &Url) -> Result<Vec<Mapped>> {
    check_size(graph)?;
    let mut mapped: Vec<Mapped> = Vec::new();
    let mut seen = HashSet::new();
    for item in graph.of_type(&b("CatalogItem")) {
        let one = map_item(graph, item, catalog_url)?;
        if seen.insert(one.item_id.clone()) {
            mapped.push(one);
        }
    }
    Ok(mapped)
}

fn map_item(graph: &Graph, item: &Node, catalog_url: &Url) -> Result<Mapped> {
    let product = product_of(graph, item)?;
    let item_id = if item.is_blank() {
        &product.id
    } else {
        &item.id
    };
    let url = Url::parse(item_id)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            malformed(&format!(
                "a catalog item has no http(s) `@id` (nor its product): `{}`",
                quoted(item_id)
            ))
        })?;
    let name = Graph::text(product, &b("name")).ok_or_else(|| {
        malformed(&format!(
            "product {} has no dfc-b:name",
            quoted(&product.id)
        ))
    })?;
    let mut resource = json!({"name": name});
    if let Some(kind) = graph
        .reference(product, &b("hasType"))
        .filter(|t| Url::parse(t).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
    {
        resource["conformsTo"] = json!(kind);
    }
    let (unit, per_item) = quantity_of(graph, product)?;
    let mut payload = json!({
        "name": name,
        "purpose": "offer",
        "action": "transfer",
        "resource": resource,
        "quantity": {"unit": unit, "value": per_item},
        "unitBased": true,
        "url": url.as_str(),
    });
    if let Some(summary) = Graph::text(product, &b("description")) {
        payload["summary"] = json!(summary);
    }
    let offer = offer_of(graph, item);
    let stock = match Graph::number(item, &b("stockLimitation"))? {
        Some(stock) => Some(stock),
        None => offer
            .map(|o| Graph::number(o, &b("stockLimitation")))
            .transpose()?
            .flatten(),
    };
    if let Some(stock) = stock.filter(|s| *s >= 0.0) {
        payload["available"] = json!({"unit": unit, "value": stock * per_item});
    }
    if let Some(price) = offer.map(|o| price_of(graph, o)).transpose()?.flatten() {
        payload["price"] = price;
    }
    if let Some(location) = enterprise_of(graph, item, product, catalog_url)
        .and_then(|id| graph.get(&id))
        .map(|enterprise| location_of(graph, enterprise))
        .transpose()?
        .flatten()
    {
        payload["location"] = location;
    }
    Ok(Mapped {
        local_id: local_id_of(url.as_str()),
        item_id: url.to_string(),
        payload,
    })
}

/// The product a catalog item references (or that names it back).
fn product_of<'g>(graph: &'g Graph, item: &Node) -> Result<&'g Node> {
    graph
        .referenced(item, &b("references"))
        .or_else(|| {
            graph
                .referring(&b("referencedBy"), &item.id)
                .into_iter()
                .find(|p| p.has_type(&b("SuppliedProduct")))
        })
        .ok_or_else(|| {
            malformed(&format!(
                "catalog item {} references no product the graph holds",
                quoted(&item.id)
            ))
        })
}

/// The offer a catalog item is offered through (or that names it back).
fn offer_of<'g>(graph: &'g Graph, item: &Node) -> Option<&'g Node> {
    graph.referenced(item, &b("offeredThrough")).or_else(|| {
        let mut naming = graph.referring(&b("offeredItem"), &item.id);
        naming.extend(graph.referring(&b("offers"), &item.id));
        naming.sort_by_key(|o| graph.position(&o.id));
        naming.into_iter().find(|o| o.has_type(&b("Offer")))
    })
}

/// The OM 2 unit and amount of one item of the product.
fn quantity_of(graph: &Graph, product: &Node) -> Result<(String, f64)> {
    let Some(quantity) = graph.referenced(product, &b("hasQuantity")) else {
        return Ok(("one".to_owned(), 1.0));
    };
    let value = Graph::number(quantity, &b("value"))?.unwrap_or(1.0);
    if value < 0.0 {
        return Err(malformed(&format!(
            "product {} has a negative quantity",
            quoted(&product.id)
        )));
    }
    let unit = graph
        .reference(quantity, &b("hasUnit"))
        .map_or_else(|| "one".to_owned(), |u| measures::om_unit(&u));
    Ok((unit, value))
}

/// `{currency, value}` of an offer's price; none when the price states
/// no currency (a bare number).
fn price_of(graph: &Graph, offer: &Node) -> Result<Option<Value>> {
    let Some(price) = graph.referenced(offer, &b("hasPrice")) else {
        return Ok(None);
    };
    let Some(value) = Graph::number(price, &b("value"))? else {
        return Ok(None);
    };
    let Some(unit) = graph.reference(price, &b("hasUnit")) else {
        return Ok(None);
    };
    let currency = measures::currency_code(&unit).ok_or_else(|| {
        malformed(&format!(
            "offer {} is priced in `{}`, a currency this node does not know",
            quoted(&offer.id),
            quoted(&compact(&unit))
        ))
    })?;
    if value < 0.0 {
        return Err(malformed(&format!(
            "offer {} has a negative price",
            quoted(&offer.id)
        )));
    }
    Ok(Some(json!({"currency": currency, "value": value})))
}

/// The enterprise that manages a catalog item: named by the item, naming
/// it (or its product), the graph's one enterprise, or the enterprise an
/// OFN catalog URL (`…/enterprises/{id}/catalog_items`) belongs to.
pub fn enterprise_of(
    graph: &Graph,
    item: &Node,
    product: &Node,
    catalog_url: &Url,
) -> Option<String> {
    if let Some(id) = graph.reference(item, &b("managedBy")) {
        return Some(id);
    }
    let mut naming = graph.referring(&b("manages"), &item.id);
    naming.extend(graph.referring(&b("supplies"), &product.id));
    naming.sort_by_key(|e| graph.position(&e.id));
    if let Some(enterprise) = naming.into_iter().find(|e| e.has_type(&b("Enterprise"))) {
        return Some(enterprise.id.clone());
    }
    if graph.count_of_type(&b("Enterprise")) == 1 {
        return graph
            .of_type(&b("Enterprise"))
            .first()
            .map(|e| e.id.clone());
    }
    let path = catalog_url.path().trim_end_matches('/');
    path.strip_suffix("/catalog_items")
        .filter(|p| p.contains("/enterprises/"))
        .map(|p| {
            let mut url = catalog_url.clone();
            url.set_path(p);
            url.set_query(None);
            url.to_string()
        })
}

/// The enterprises (and their addresses) the items need that the graph
/// does not hold: the import fetches them before mapping. Only those on
/// the catalog's origin: the source's API token goes nowhere else, and a
/// catalog cannot send the node fetching elsewhere.
pub fn missing_references(graph: &Graph, catalog_url: &Url) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for item in graph.of_type(&b("CatalogItem")) {
        let Ok(product) = product_of(graph, item) else {
            continue;
        };
        let Some(id) = enterprise_of(graph, item, product, catalog_url) else {
            continue;
        };
        let wanted = match graph.get(&id) {
            None => Some(id),
            Some(enterprise) => graph
                .reference(enterprise, &b("hasAddress"))
                .filter(|address| graph.get(address).is_none()),
        };
        let same_origin =
            |w: &String| Url::parse(w).is_ok_and(|url| url.origin() == catalog_url.origin());
        if let Some(wanted) = wanted.filter(|w| same_origin(w) && seen.insert(w.clone())) {
            missing.push(wanted);
        }
    }
    missing
}

/// A `location` from an enterprise and its address.
fn location_of(graph: &Graph, enterprise: &Node) -> Result<Option<Value>> {
    let address = graph.referenced(enterprise, &b("hasAddress"));
    let mut location = json!({});
    if let Some(address) = address {
        let street = Graph::text(address, &b("hasStreet"));
        let town = [
            Graph::text(address, &b("hasPostalCode")),
            Graph::text(address, &b("hasCity")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let country = graph
            .reference(address, &b("hasCountry"))
            .map(|c| c.rsplit('/').next().unwrap_or_default().to_owned());
        let parts: Vec<String> = [street, Some(town), country]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        if !parts.is_empty() {
            location["address"] = json!(parts.join(", "));
        }
        for (key, property) in [("latitude", "latitude"), ("longitude", "longitude")] {
            if let Some(value) = Graph::number(address, &b(property))? {
                location[key] = json!(value);
            }
        }
    }
    let name = Graph::text(enterprise, &b("name")).or_else(|| {
        location
            .get("address")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    Ok(name.map(|name| {
        location["name"] = json!(name);
        location
    }))
}
