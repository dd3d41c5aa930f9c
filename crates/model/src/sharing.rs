//! What one follower may receive of ours: a sharing scope (kinds, offer
//! categories, purpose, retention). The same shape is the admin's setting,
//! the terms sent to the peer and the terms a peer sent us.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Error;
use crate::kinds::ObjectKind;

/// Longest purpose text, in characters.
pub const MAX_PURPOSE_CHARS: usize = 500;
/// Most offer categories in one scope.
pub const MAX_CATEGORIES: usize = 64;
/// Longest retention a scope may set, in days (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// What one follower receives: objects of `kinds`; offers only in one of
/// `categories` when it is not empty (matched against an offer's
/// `resourceConformsTo` and tags); for `purpose`; kept at most
/// `retention_days` after the object's last update (none: no limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SharingScope {
    #[schema(value_type = Vec<String>, example = json!(["offer", "member", "charter", "commitment"]))]
    pub kinds: Vec<ObjectKind>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub retention_days: Option<u32>,
}

impl Default for SharingScope {
    /// Everything, for no stated purpose, with no retention limit: what a
    /// follower received before scopes existed.
    fn default() -> Self {
        SharingScope {
            kinds: ObjectKind::ALL.to_vec(),
            categories: Vec::new(),
            purpose: String::new(),
            retention_days: None,
        }
    }
}

impl SharingScope {
    /// Whether an object of `kind` whose categories are `categories` (an
    /// offer's `resourceConformsTo` and tags; empty for other kinds) is
    /// shared under this scope.
    pub fn covers(&self, kind: ObjectKind, categories: &[String]) -> bool {
        if !self.kinds.contains(&kind) {
            return false;
        }
        kind != ObjectKind::Offer
            || self.categories.is_empty()
            || categories.iter().any(|c| self.categories.contains(c))
    }

    /// The scope as stored and sent: kinds in their canonical order, no
    /// duplicates; an error names what is wrong.
    pub fn validated(mut self) -> Result<Self, Error> {
        let mut kinds = Vec::new();
        for kind in ObjectKind::ALL {
            if self.kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        self.kinds = kinds;
        self.purpose = self.purpose.trim().to_owned();
        if self.purpose.chars().count() > MAX_PURPOSE_CHARS {
            return Err(Error::UnprocessableAt(
                "/purpose".into(),
                format!("at most {MAX_PURPOSE_CHARS} characters"),
            ));
        }
        if self.categories.len() > MAX_CATEGORIES {
            return Err(Error::UnprocessableAt(
                "/categories".into(),
                format!("at most {MAX_CATEGORIES} categories"),
            ));
        }
        for category in &mut self.categories {
            *category = category.trim().to_owned();
            if category.is_empty() {
                return Err(Error::UnprocessableAt(
                    "/categories".into(),
                    "an empty category".into(),
                ));
            }
        }
        self.categories.sort();
        self.categories.dedup();
        match self.retention_days {
            Some(0) => Err(Error::UnprocessableAt(
                "/retentionDays".into(),
                "at least 1 day".into(),
            )),
            Some(days) if days > MAX_RETENTION_DAYS => Err(Error::UnprocessableAt(
                "/retentionDays".into(),
                format!("at most {MAX_RETENTION_DAYS} days"),
            )),
            _ => Ok(self),
        }
    }

    /// Whether something `self` shares is no longer shared under `next`
    /// (what the peer holds may have to be withdrawn).
    pub fn narrowed_by(&self, next: &SharingScope) -> bool {
        self.kinds.iter().any(|k| !next.kinds.contains(k))
            || (!next.categories.is_empty()
                && (self.categories.is_empty()
                    || self.categories.iter().any(|c| !next.categories.contains(c))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offers_in(categories: &[&str]) -> SharingScope {
        SharingScope {
            kinds: vec![ObjectKind::Offer],
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            ..SharingScope::default()
        }
    }

    #[test]
    fn categories_filter_offers_only() {
        let scope = SharingScope {
            kinds: vec![ObjectKind::Offer, ObjectKind::Member],
            categories: vec!["vegetables".into()],
            ..SharingScope::default()
        };
        assert!(scope.covers(ObjectKind::Offer, &["vegetables".into()]));
        assert!(!scope.covers(ObjectKind::Offer, &["bread".into()]));
        assert!(!scope.covers(ObjectKind::Offer, &[]));
        assert!(scope.covers(ObjectKind::Member, &[]));
        assert!(!scope.covers(ObjectKind::Charter, &[]));
    }

    #[test]
    fn narrowing_is_any_kind_or_category_lost() {
        let all = SharingScope::default();
        assert!(all.narrowed_by(&offers_in(&[])));
        assert!(!offers_in(&[]).narrowed_by(&all));
        assert!(offers_in(&[]).narrowed_by(&offers_in(&["a"])));
        assert!(offers_in(&["a", "b"]).narrowed_by(&offers_in(&["a"])));
        assert!(!offers_in(&["a"]).narrowed_by(&offers_in(&["a", "b"])));
        assert!(!offers_in(&["a"]).narrowed_by(&offers_in(&[])));
    }

    #[test]
    fn validation_orders_kinds_and_refuses_bad_values() {
        let scope = SharingScope {
            kinds: vec![ObjectKind::Member, ObjectKind::Offer, ObjectKind::Member],
            categories: vec![" b ".into(), "a".into(), "b".into()],
            purpose: "  catalogue  ".into(),
            retention_days: Some(30),
        }
        .validated()
        .expect("valid");
        assert_eq!(scope.kinds, vec![ObjectKind::Offer, ObjectKind::Member]);
        assert_eq!(scope.categories, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(scope.purpose, "catalogue");
        for bad in [Some(0), Some(MAX_RETENTION_DAYS + 1)] {
            let scope = SharingScope {
                retention_days: bad,
                ..SharingScope::default()
            };
            assert!(scope.validated().is_err());
        }
    }
}
