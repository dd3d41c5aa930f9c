//! What the node does. The REST API, the ActivityPub inbox and outbox and
//! the CLI all call into this layer, so each rule lives in one place.

pub mod agreements;
pub mod amendments;
pub mod archive;
pub mod audit;
pub mod backfill;
pub mod catalog;
pub mod catalog_listing;
pub mod change;
pub mod collections;
pub mod commitments;
pub mod dfc;
pub mod discovery;
pub mod documents;
pub mod follows;
pub mod glance;
pub mod health;
pub mod identity;
pub mod inbound;
pub mod listing;
pub mod liveness;
pub mod moving;
pub mod network;
pub mod objects;
pub mod outgoing;
pub mod overview;
pub mod peer_health;
pub mod peers;
pub mod policy;
pub mod publish;
pub mod retention;
pub mod scheduler;
pub mod sessions;
pub mod setup;
pub mod sharing;
pub mod tokens;
pub mod validation;

pub mod visibility;
pub mod webhooks;

// The layers below, under the names the modules use.
use passerelle_apub as apub;
use passerelle_context as context;
use passerelle_model as model;
use passerelle_model::error;
use passerelle_store as store;
