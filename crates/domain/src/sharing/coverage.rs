//! Which of our objects a scope covers: an object's offer categories (the
//! `resource.conformsTo` of its payload, the `resourceConformsTo` of its
//! primary intent on the wire), read from what is stored or sent.

use serde_json::Value;

use crate::model::SharingScope;
use crate::model::kinds::ObjectKind;

/// The categories of an offer payload as stored (empty for other kinds or
/// an offer without `resource.conformsTo`).
pub fn payload_categories(kind: ObjectKind, payload: &str) -> Vec<String> {
    if kind != ObjectKind::Offer {
        return Vec::new();
    }
    serde_json::from_str::<Value>(payload)
        .ok()
        .and_then(|payload| {
            payload
                .pointer("/resource/conformsTo")
                .and_then(Value::as_str)
                .map(|category| vec![category.to_owned()])
        })
        .unwrap_or_default()
}

/// The categories of the object an activity document carries (its
/// `object.publishes.resourceConformsTo`); empty when the object is only
/// referenced (a `Delete`).
pub fn activity_categories(document: &str) -> Vec<String> {
    serde_json::from_str::<Value>(document)
        .ok()
        .and_then(|activity| {
            activity
                .pointer("/object/publishes/resourceConformsTo")
                .and_then(Value::as_str)
                .map(|category| vec![category.to_owned()])
        })
        .unwrap_or_default()
}

/// Whether `scope` covers a stored object of `kind` with `payload`.
pub fn covers_stored(scope: &SharingScope, kind: ObjectKind, payload: &str) -> bool {
    if !scope.kinds.contains(&kind) {
        return false;
    }
    // Categories only narrow offers: skip parsing when nothing depends on it.
    if kind != ObjectKind::Offer || scope.categories.is_empty() {
        return true;
    }
    scope.covers(kind, &payload_categories(kind, payload))
}

/// Whether `scope` covers an activity about an object of `kind` whose
/// document is `document` (judged on the version it carries).
pub fn covers_activity(scope: &SharingScope, kind: ObjectKind, document: &str) -> bool {
    if !scope.kinds.contains(&kind) {
        return false;
    }
    if kind != ObjectKind::Offer || scope.categories.is_empty() {
        return true;
    }
    scope.covers(kind, &activity_categories(document))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vegetables_only() -> SharingScope {
        SharingScope {
            kinds: vec![ObjectKind::Offer],
            categories: vec!["https://example.org/vegetables".into()],
            ..SharingScope::default()
        }
    }

    #[test]
    fn stored_offers_are_judged_by_their_resource() {
        let scope = vegetables_only();
        let veg =
            r#"{"resource":{"name":"Carrots","conformsTo":"https://example.org/vegetables"}}"#;
        let bread = r#"{"resource":{"name":"Rye","conformsTo":"https://example.org/bread"}}"#;
        assert!(covers_stored(&scope, ObjectKind::Offer, veg));
        assert!(!covers_stored(&scope, ObjectKind::Offer, bread));
        assert!(!covers_stored(&scope, ObjectKind::Member, "{}"));
    }

    #[test]
    fn activities_are_judged_by_the_version_they_carry() {
        let scope = vegetables_only();
        let create = r#"{"type":"Create","object":{"publishes":{"resourceConformsTo":"https://example.org/vegetables"}}}"#;
        let delete = r#"{"type":"Delete","object":"https://a.example/offers/1"}"#;
        assert!(covers_activity(&scope, ObjectKind::Offer, create));
        assert!(!covers_activity(&scope, ObjectKind::Offer, delete));
        assert!(covers_activity(
            &SharingScope::default(),
            ObjectKind::Offer,
            delete
        ));
    }
}
