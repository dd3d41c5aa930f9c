//! Sharing with each follower: the scope the admin sets (what it receives,
//! for which purpose, for how long) and what follows from changing it.

pub mod coverage;
pub mod reconcile;
pub mod scope;

pub use coverage::{covers_activity, covers_stored};
pub use scope::{ScopeView, effective_scope, set_scope, view, views};
