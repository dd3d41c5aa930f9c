//! ActivityStreams wire shapes: what goes over the network, kept apart from
//! how the node stores and decides things.

pub mod activities;
pub mod actor;
pub mod cavage_signer;
pub mod collection;
pub mod collection_sync;
pub mod context;
pub mod domain_policy;
pub mod fetch;
pub mod host_binding;
pub mod key_fetches;
pub mod knocking;
pub mod message_signature;
pub mod objects;
pub mod peer;
pub mod proof;
pub mod public_keys;
pub mod resolve;
pub mod signature;
pub mod signer;
pub mod signing_pool;
pub mod verification;

// The layers below, under the names the modules use.
use passerelle_model as model;
use passerelle_model::error;
use passerelle_store as store;
