//! Sharing with each follower: the scope the admin sets (what it receives,
//! for which purpose, for how long), what follows from changing it, the
//! signed receipts that confirm what a peer holds, and the register of
//! whom we share with.

pub mod coverage;
pub mod expiry;
pub mod receipts;
pub mod reconcile;
pub mod register;
pub mod scope;
pub mod terms;

pub use coverage::{covers_activity, covers_stored};
pub use scope::{ScopeView, effective_scope, set_scope, view, views};
pub use terms::{ScopeTerms, terms_with};
