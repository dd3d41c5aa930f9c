//! Sharing that peers confirm (issue 26): per-peer scopes, the terms both
//! sides hold, signed receipts and deletion acknowledgements, followers
//! synchronisation (FEP-8fcf) and the sharing register.

mod followers_sync;
mod receipts;
pub(crate) mod register;
mod scopes;
mod terms;
