//! A webhook endpoint on loopback that fails (500) until told to succeed,
//! and keeps the event types it accepted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use tokio::net::TcpListener;

#[derive(Clone, Default)]
struct Shared {
    succeed: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<String>>>,
}

pub struct Sink {
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

async fn receive(State(shared): State<Shared>, body: String) -> StatusCode {
    if !shared.succeed.load(Ordering::SeqCst) {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let event: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let kind = event["type"].as_str().unwrap_or_default().to_owned();
    shared.accepted.lock().unwrap().push(kind);
    StatusCode::NO_CONTENT
}

impl Sink {
    /// A sink that fails until `succeed` is called.
    pub async fn failing() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Shared::default();
        let app = Router::new()
            .fallback(axum::routing::post(receive))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Sink {
            url: format!("http://127.0.0.1:{port}/hook"),
            shared,
            task,
        }
    }

    pub fn succeed(&self) {
        self.shared.succeed.store(true, Ordering::SeqCst);
    }

    /// The event types accepted so far.
    pub fn accepted(&self) -> Vec<String> {
        self.shared.accepted.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}
