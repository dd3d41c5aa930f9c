//! A running node: settings, database, keys and metrics put together, the
//! federation machinery, and the HTTP server and background work that
//! expose them.

use std::future::Future;
use std::sync::Arc;

use activitypub_federation::config::{Data, FederationConfig};
use axum::Router;
use axum::extract::FromRef;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::apub::peer::LocalSigner;
use crate::domain::identity;
use crate::domain::policy::PolicyUrlVerifier;
use crate::error::{Error, Result};
use crate::http::html::Templates;
use crate::model::keys::NodeKeys;
use crate::store::Store;
use passerelle_config::Settings;
use passerelle_observability::metrics::Metrics;

/// What every request handler, activity handler and background task of one
/// node shares. It is also the data `activitypub_federation` hands back to
/// our `Object` and `Activity` implementations.
#[derive(Clone)]
pub struct AppContext {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keys: Arc<NodeKeys>,
    pub metrics: Metrics,
    /// Wakes the delivery workers when an activity is recorded.
    pub delivery_wakeup: Arc<Notify>,
    /// Wakes the webhook worker when an event is queued.
    pub webhook_wakeup: Arc<Notify>,
    /// The node's one outgoing HTTP client, address-checked, for peers and
    /// webhooks alike (connections reused).
    pub http: passerelle_outbound::Client,
    /// Signers' actor documents fetched in the current window.
    pub key_fetches: Arc<crate::apub::key_fetches::KeyFetches>,
    /// Peers whose catalog backfill is running.
    pub backfills: Arc<crate::domain::backfill::RunningBackfills>,
    pub limits: Arc<crate::domain::limits::RateLimits>,
    /// This serving process, among those sharing the database.
    pub process: Arc<str>,
    /// Which HTTP signature each server accepted.
    pub knocking: Arc<crate::apub::knocking::Knocking>,
}

/// The HTTP server's state: the context plus the federation configuration
/// (kept apart so the configuration can hold the context without a cycle).
#[derive(Clone)]
pub struct NodeState {
    pub app: AppContext,
    pub federation: FederationConfig<AppContext>,
    /// The HTML pages: the HTTP layer's own, not the domain's.
    pub templates: Arc<Templates>,
}

impl NodeState {
    /// Per-request federation data (counts outgoing fetches against the
    /// recursion limit).
    pub fn data(&self) -> Data<AppContext> {
        self.federation.to_request_data()
    }
}

impl FromRef<NodeState> for AppContext {
    fn from_ref(state: &NodeState) -> AppContext {
        state.app.clone()
    }
}

impl std::ops::Deref for NodeState {
    type Target = AppContext;
    fn deref(&self) -> &AppContext {
        &self.app
    }
}

pub struct Node {
    state: NodeState,
}

impl Node {
    /// Connects to the database, applies migrations and loads (or creates)
    /// the node's keys.
    pub async fn open(settings: Settings) -> Result<Node> {
        let kind = settings
            .database_kind()
            .map_err(|e| Error::BadRequest(e.to_string()))?;
        let store = Store::connect(&settings.database_url, kind).await?;
        store.migrate().await?;
        let keys = identity::load_or_create(&store).await?;
        let settings = Arc::new(settings);
        let app = AppContext {
            settings: settings.clone(),
            store,
            keys: Arc::new(keys),
            metrics: Metrics::new()?,
            delivery_wakeup: Arc::new(Notify::new()),
            webhook_wakeup: Arc::new(Notify::new()),
            http: passerelle_outbound::client(settings.federation.allow_private_addresses)
                .map_err(|e| Error::Internal(e.to_string()))?,
            key_fetches: Arc::new(crate::apub::key_fetches::KeyFetches::new(
                settings.federation.key_fetch_window,
                settings.federation.key_fetches_per_origin,
            )),
            backfills: Arc::default(),
            limits: Arc::new(crate::domain::limits::RateLimits::new(
                &settings.rate_limits,
            )),
            process: format!("process-{}", uuid::Uuid::new_v4()).into(),
            knocking: Arc::default(),
        };
        let federation = federation_config(&app).await?;
        Ok(Node {
            state: NodeState {
                app,
                federation,
                templates: Arc::new(Templates::new()?),
            },
        })
    }

    pub fn context(&self) -> &AppContext {
        &self.state.app
    }

    pub fn state(&self) -> &NodeState {
        &self.state
    }

    pub fn router(&self) -> Router {
        crate::http::router(self.state.clone())
    }

    /// Serves HTTP on `listener` and runs the delivery workers until
    /// `shutdown` completes, then lets requests in flight finish and closes
    /// the database pool.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let app = self.router();
        // Known alive before the first request: its inbox claims are not
        // taken for a dead process's.
        crate::domain::liveness::heartbeat(&self.state.app).await?;
        let (stop_workers, workers_stopped) = watch::channel(false);
        let scheduler = tokio::spawn(crate::domain::scheduler::run(
            self.state.app.clone(),
            workers_stopped.clone(),
        ));
        let delivery = tokio::spawn(crate::delivery::run(self.state.clone(), workers_stopped));
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| Error::Internal(format!("HTTP server: {e}")));
        let _ = stop_workers.send(true);
        let _ = delivery.await;
        let _ = scheduler.await;
        crate::domain::liveness::leave(&self.state.app).await;
        self.state.app.store.close().await;
        served
    }
}

async fn federation_config(app: &AppContext) -> Result<FederationConfig<AppContext>> {
    let settings = &app.settings;
    let signer = LocalSigner::for_node(settings, &app.keys);
    FederationConfig::builder()
        .domain(settings.public_host())
        .app_data(app.clone())
        // Loopback peers (tests, demo) need http and explicit ports.
        .debug(settings.federation.allow_private_addresses)
        .allow_http_urls(
            settings.federation.allow_private_addresses || settings.public_url.scheme() == "http",
        )
        .http_fetch_limit(50)
        .client(app.http.clone())
        .url_verifier(Box::new(PolicyUrlVerifier::new(app.clone())))
        .signed_fetch_actor(&signer)
        .build()
        .await
        .map_err(|e| Error::Internal(format!("federation configuration: {e}")))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing requests in flight");
}
