//! A running node: settings, database, keys and metrics put together, and
//! the HTTP server that exposes them.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::domain::identity::{self, NodeKeys};
use crate::error::{Error, Result};
use crate::http::html::Templates;
use crate::observability::metrics::Metrics;
use crate::store::Store;

/// What every request handler and background task of one node shares.
#[derive(Clone)]
pub struct AppContext {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keys: Arc<NodeKeys>,
    pub metrics: Metrics,
    pub templates: Arc<Templates>,
}

pub struct Node {
    context: AppContext,
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
        Ok(Node {
            context: AppContext {
                settings: Arc::new(settings),
                store,
                keys: Arc::new(keys),
                metrics: Metrics::new()?,
                templates: Arc::new(Templates::new()?),
            },
        })
    }

    pub fn context(&self) -> &AppContext {
        &self.context
    }

    pub fn router(&self) -> Router {
        crate::http::router(self.context.clone())
    }

    /// Serves HTTP on `listener` until `shutdown` completes, then lets
    /// requests in flight finish and closes the database pool.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let app = self.router();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| Error::Internal(format!("HTTP server: {e}")))?;
        self.context.store.close().await;
        Ok(())
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
