//! The one context the layers above share: what a node holds while it
//! runs. The HTTP layer wraps it in its own state; nothing of the HTTP
//! server or of the federation library travels down through it.

pub mod addresses;
pub mod backfills;
pub mod inbox_tap;
pub mod intake;
pub mod key_fetches;
pub mod knocking;
pub mod limits;

use std::sync::{Arc, PoisonError, RwLock};

use tokio::sync::Notify;

use passerelle_config::Settings;
use passerelle_model::error::{Error, Result};
use passerelle_model::keys::NodeKeys;
use passerelle_observability::metrics::Metrics;
use passerelle_store::Store;

/// What every request handler, activity handler and background task of one
/// node shares.
#[derive(Clone)]
pub struct Context {
    pub settings: Arc<Settings>,
    pub store: Store,
    /// The node's keys, replaced whole when an admin rotates one from the
    /// console (`keys()` hands out the current set).
    keys: Arc<RwLock<Arc<NodeKeys>>>,
    pub metrics: Metrics,
    /// Wakes the delivery workers when an activity is recorded.
    pub delivery_wakeup: Arc<Notify>,
    /// Wakes the webhook worker when an event is queued.
    pub webhook_wakeup: Arc<Notify>,
    /// Wakes the network task when a network's host announces a change to
    /// its member directory.
    pub network_wakeup: Arc<Notify>,
    /// The node's one outgoing HTTP client, address-checked, for peers and
    /// webhooks alike (connections reused).
    pub http: passerelle_outbound::Client,
    /// Signers' actor documents fetched in the current window.
    pub key_fetches: Arc<key_fetches::KeyFetches>,
    /// Peers whose catalog backfill is running.
    pub backfills: Arc<backfills::RunningBackfills>,
    pub limits: Arc<limits::RateLimits>,
    /// This serving process, among those sharing the database.
    pub process: Arc<str>,
    /// Which HTTP signature each server accepted.
    pub knocking: Arc<knocking::Knocking>,
    /// What the inbox receives, for `passerelle inbox`.
    pub inbox_tap: Arc<inbox_tap::InboxTap>,
    /// The node's earlier addresses and where it moved.
    pub addresses: Arc<addresses::KnownAddresses>,
    /// The inbox's writer: activities verified together commit together.
    pub intake: Arc<intake::Intake>,
}

impl Context {
    /// The context of a node whose database is open and keys loaded.
    pub fn new(settings: Settings, store: Store, keys: NodeKeys) -> Result<Context> {
        let federation = &settings.federation;
        let delivery_wakeup = Arc::new(Notify::new());
        let webhook_wakeup = Arc::new(Notify::new());
        let metrics = Metrics::new()?;
        Ok(Context {
            intake: Arc::new(intake::Intake::new(
                store.clone(),
                delivery_wakeup.clone(),
                webhook_wakeup.clone(),
                metrics.clone(),
            )),
            http: passerelle_outbound::client(federation.allow_private_addresses)
                .map_err(|e| Error::Internal(e.to_string()))?,
            key_fetches: Arc::new(key_fetches::KeyFetches::new(
                federation.key_fetch_window,
                federation.key_fetches_per_origin,
            )),
            limits: Arc::new(limits::RateLimits::new(&settings.rate_limits)),
            settings: Arc::new(settings),
            store,
            keys: Arc::new(RwLock::new(Arc::new(keys))),
            metrics,
            delivery_wakeup,
            webhook_wakeup,
            network_wakeup: Arc::new(Notify::new()),
            backfills: Arc::default(),
            process: format!("process-{}", uuid::Uuid::new_v4()).into(),
            knocking: Arc::default(),
            inbox_tap: Arc::default(),
            addresses: Arc::default(),
        })
    }

    /// The node's keys now: a signature made with them stays consistent
    /// even if a rotation replaces them meanwhile.
    pub fn keys(&self) -> Arc<NodeKeys> {
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the node's keys (after a rotation), for every request and
    /// delivery of this process from now on.
    pub fn replace_keys(&self, keys: NodeKeys) {
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
    }
}
