//! Two processes on one database both run the tally task: an amendment
//! is tallied once.

use passerelle::domain::tokens::Scope;
use serde_json::json;

use super::proposed;
use crate::on_both_backends;
use crate::rig::federation::admin;
use crate::rig::{TestDatabase, TestNode, eventually, holds_for};

on_both_backends!(the_tally_runs_once_with_two_processes);

async fn the_tally_runs_once_with_two_processes(db: TestDatabase) {
    let first = TestNode::start(&db).await;
    let second = TestNode::start_with(&db.url, |_| {}).await;
    let token = admin(&first).await;
    let platform = first.token(Scope::Platform).await;
    first
        .put_json(
            "/api/v1/charters/pec-charter",
            &platform,
            &first.example("charter"),
        )
        .await;
    let opened = first
        .post_json(
            "/api/v1/amendments",
            &token,
            &json!({"charter": "pec-charter", "summary": "s", "proposed": proposed(&first),
                "duration_seconds": 2}),
        )
        .await;
    assert_eq!(opened.status(), 201);
    let id = opened.json::<serde_json::Value>().await.unwrap()["id"].clone();
    let closed = eventually("the tally", 20, || async {
        let view = second
            .api(&format!("/api/v1/amendments/{id}"), &token)
            .await;
        (view["state"] == "closed").then_some(view)
    })
    .await;
    // Nobody was addressed: no quorum, nothing adopted.
    assert_eq!(closed["outcome"], "rejected");
    let closings = "SELECT COUNT(*) FROM audit_log WHERE action = 'amendment.closed'";
    holds_for("one tally", std::time::Duration::from_secs(2), || async {
        db.query_i64(closings).await == 1
    })
    .await;
    first.stop().await;
    second.stop().await;
}
