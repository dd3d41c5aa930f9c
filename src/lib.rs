//! Passerelle: a federation gateway for cooperative platforms.
//!
//! A node publishes its platform's offers, members and charter commitments
//! as signed ActivityStreams objects and shares them with approved peers.

pub mod cli;
pub mod demo;
pub mod node;

// The layers below, under the names the binary, tests and benches use.
pub use passerelle_apub as apub;
pub use passerelle_config as config;
pub use passerelle_context as context;
pub use passerelle_delivery as delivery;
pub use passerelle_domain as domain;
pub use passerelle_http as http;
pub use passerelle_model as model;
pub use passerelle_model::error;
pub use passerelle_observability as observability;
pub use passerelle_outbound as outbound;
pub use passerelle_store as store;

pub use config::Settings;
pub use context::Context;
pub use error::{Error, Result};
pub use node::Node;

/// The version reported by `--version`, NodeInfo and the HTML pages.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
