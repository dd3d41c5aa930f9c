//! How the developer tools (`lookup`, `inbox`) show a document: its type
//! and id, the objects it carries, and whether each proof verifies.

use serde_json::Value;

use crate::apub::verification::verify_document;

/// `Type id`, or what stands for them when absent.
pub(super) fn describe(document: &Value) -> String {
    let kind = match document.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => "(no type)".into(),
    };
    let id = document
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("(no id)");
    format!("{kind} {id}")
}

/// The objects a collection or page carries in full (links are left to
/// another lookup).
pub(super) fn embedded_items(document: &Value) -> Vec<Value> {
    ["orderedItems", "items"]
        .iter()
        .filter_map(|key| document.get(*key)?.as_array())
        .flatten()
        .filter(|item| item.is_object())
        .cloned()
        .collect()
}

/// `valid, signed by METHOD`, `none`, or `invalid: WHY`.
pub(super) async fn check(client: &passerelle_outbound::Client, document: &Value) -> String {
    if document.get("proof").is_none() {
        return "none".into();
    }
    match verify_document(client, document).await {
        Ok(method) => format!("valid, signed by {method}"),
        Err(e) => format!("invalid: {e}"),
    }
}
