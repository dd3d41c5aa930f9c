//! Sharing with each follower: the scope the admin sets (what it receives,
//! for which purpose, for how long) and what follows from changing it.

pub mod expiry;
pub mod scope;
pub mod terms;

pub use scope::{ScopeView, effective_scope, set_scope, view};
pub use terms::{ScopeTerms, terms_with};
