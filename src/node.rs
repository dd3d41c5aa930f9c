//! A running node: settings, database, keys and metrics put together, the
//! federation machinery, and the HTTP server and background work that
//! expose them.

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::context::Context;
use crate::domain::identity;
use crate::error::{Error, Result};
use crate::store::Store;
use passerelle_config::Settings;

pub use passerelle_http::state::NodeState;

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
        let app = Context::new(settings, store, keys)?;
        Ok(Node {
            state: NodeState::new(app)?,
        })
    }

    pub fn context(&self) -> &Context {
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
        let delivery = tokio::spawn(crate::delivery::run(
            self.state.app.clone(),
            workers_stopped,
        ));
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
