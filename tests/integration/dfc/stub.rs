//! A stub Open Food Network for the DFC tests: serves DFC documents (the
//! fixtures of `tests/fixtures/dfc/`, `http://test.host` replaced by its
//! own address) at paths the test sets, answers 401 under `/api/dfc/`
//! without the right `X-Api-Token`, and fails on demand.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::Value;

/// The API key the stub's OFN part accepts.
pub const OFN_TOKEN: &str = "ofn-secret";
pub const OFN_CATALOG: &str = "/api/dfc/enterprises/10000/catalog_items";
pub const PRODUCER_CATALOG: &str = "/producer/catalog.json";

type Documents = Arc<Mutex<HashMap<String, (u16, String)>>>;

pub struct Stub {
    pub base: String,
    documents: Documents,
    requests: Arc<AtomicUsize>,
}

impl Stub {
    /// A stub serving OFN's catalog and address, and the producer's catalog.
    pub async fn start() -> Stub {
        let documents: Documents = Arc::default();
        let served = documents.clone();
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
            let served = served.clone();
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                let path = uri.path().to_owned();
                let token = headers.get("x-api-token").and_then(|v| v.to_str().ok());
                if path.starts_with("/api/dfc/") && token != Some(OFN_TOKEN) {
                    return (StatusCode::UNAUTHORIZED, "unauthorized".to_owned());
                }
                match served.lock().unwrap().get(&path) {
                    Some((status, body)) => (StatusCode::from_u16(*status).unwrap(), body.clone()),
                    None => (StatusCode::NOT_FOUND, "not found".to_owned()),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let stub = Stub {
            base,
            documents,
            requests,
        };
        stub.serve(OFN_CATALOG, &stub.fixture("ofn_catalog_items"));
        stub.serve("/api/dfc/addresses/40000", &stub.fixture("ofn_address"));
        stub.serve(PRODUCER_CATALOG, &stub.fixture("producer_catalog"));
        stub
    }

    /// How many requests the stub received.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A fixture with the stub's address in place of `http://test.host`.
    pub fn fixture(&self, name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/dfc/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        serde_json::from_str(&text.replace("http://test.host", &self.base)).unwrap()
    }

    pub fn serve(&self, path: &str, document: &Value) {
        self.answer(path, 200, &document.to_string());
    }

    pub fn answer(&self, path: &str, status: u16, body: &str) {
        self.documents
            .lock()
            .unwrap()
            .insert(path.to_owned(), (status, body.to_owned()));
    }
}
