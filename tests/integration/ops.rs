//! Liveness, readiness, metrics and the answers to requests that make no sense.

use passerelle::domain::tokens::Scope;
use serde_json::Value;

use crate::on_both_backends;
use crate::rig::{Backend, TcpProxy, TestDatabase, TestNode, postgres_base_url};

on_both_backends!(
    health_and_readiness,
    readiness_fails_without_migrations,
    metrics_count_requests_by_route,
    unknown_routes_and_methods_get_problems,
);

async fn health_and_readiness(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let health = node.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let ready = node.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    node.stop().await;
}

async fn readiness_fails_without_migrations(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    assert_eq!(node.get("/readyz").await.status(), 200);
    db.execute("DROP TABLE _sqlx_migrations").await;
    let ready = node.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["content-type"], "application/problem+json");
    let body: Value = ready.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("migrations"),
        "{body}"
    );
    // Liveness is about the process, not the database.
    assert_eq!(node.get("/healthz").await.status(), 200);
    node.stop().await;
}

/// Another writer holds SQLite's file past the busy timeout: a write
/// through the API is answered 503 with `Retry-After` and changes nothing,
/// and goes through once the file is free. (Under the hundred-node
/// network's load it was a 500.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_while_another_holds_sqlite_is_put_off() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let node = TestNode::start(&db).await;
    let platform = node.token(Scope::Platform).await;
    let offer = node.example("offer");
    // A token's first use records it (a write): used once now, the PUT
    // below reaches its handler, which reads its body before it writes.
    // (A refusal before the body is read can reach the client as a reset
    // connection instead of the 503.)
    assert_eq!(
        node.get_with("/api/v1/offers", &platform).await.status(),
        200
    );
    let reader = node.token(Scope::Platform).await;
    let mut holder = db.connect().await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();
    let refused = node
        .put_json("/api/v1/offers/held", &platform, &offer)
        .await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    // Reads go on: a token used for the first time is let in though its
    // last use cannot be recorded now.
    assert_eq!(node.get_with("/api/v1/offers", &reader).await.status(), 200);
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    let offer_path = "/api/v1/offers/held";
    assert_eq!(node.get_with(offer_path, &platform).await.status(), 404);
    assert_eq!(
        node.put_json(offer_path, &platform, &offer).await.status(),
        201
    );
    node.stop().await;
}

/// The database behind a network link that goes down: `/readyz` says so
/// promptly, then recovers when a reachable database is back.
#[ignore = "needs PostgreSQL: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_postgres_is_unreachable() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let target = url::Url::parse(&postgres_base_url()).unwrap();
    let target = tokio::net::lookup_host((
        target.host_str().unwrap().to_owned(),
        target.port().unwrap_or(5432),
    ))
    .await
    .unwrap()
    .next()
    .unwrap();
    let proxy = TcpProxy::start(target).await;
    let node = TestNode::start_with(&db.url_via(proxy.addr), |_| {}).await;
    assert_eq!(node.get("/readyz").await.status(), 200);
    proxy.cut();
    let started = std::time::Instant::now();
    let ready = node.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let body: Value = ready.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("database"),
        "{body}"
    );
    assert_eq!(node.get("/healthz").await.status(), 200);
    node.stop().await;
}

async fn metrics_count_requests_by_route(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    for _ in 0..3 {
        node.get_accept("/actor", "application/activity+json").await;
    }
    node.get("/no/such/thing").await;
    let response = node.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            r#"passerelle_http_requests_total{method="GET",route="/actor",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"passerelle_http_requests_total{method="GET",route="unmatched",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"passerelle_http_request_duration_seconds_count{method="GET",route="/actor"} 3"#
    ));
    node.stop().await;
}

async fn unknown_routes_and_methods_get_problems(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let response = node.get("/no/such/thing").await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["title"], "Not Found");

    let response = node.client.delete(node.url("/actor")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );

    assert_eq!(node.get("/healthz").await.status(), 200);
    node.stop().await;
}
