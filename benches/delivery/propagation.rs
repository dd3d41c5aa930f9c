//! Propagation: milliseconds from the platform API's answer on B (the
//! offer published) to the offer in A's catalog API, A following B, the
//! queues idle (one offer at a time).

use std::time::{Duration, Instant};

use passerelle::domain::{follows, tokens};

use crate::fanout::example_offer;
use crate::harness::{Backend, start, until};

/// The p50 and p99 of `samples` propagations, in milliseconds.
pub async fn percentiles(dir: &std::path::Path, backend: Backend, samples: usize) -> (f64, f64) {
    let label = backend.label();
    let publisher = start(dir, &format!("prop{label}b"), backend).await;
    let reader = start(dir, &format!("prop{label}a"), backend).await;
    follows::follow(&reader.node_state, &publisher.handle, "bench")
        .await
        .expect("follow");
    let store = &reader.node_state.store;
    let active = until(Duration::from_secs(60), || async {
        !store
            .follows_out(Some(passerelle::model::FollowingState::Active))
            .await
            .expect("follows")
            .is_empty()
    })
    .await;
    assert!(active, "the follow was not accepted within a minute");
    let publish_token = tokens::create(
        &publisher.node_state.store,
        "bench",
        tokens::Scope::Platform,
    )
    .await
    .expect("token");
    let read_token = tokens::create(store, "bench", tokens::Scope::Platform)
        .await
        .expect("token");
    let client = reqwest::Client::new();
    let mut millis = Vec::with_capacity(samples);
    for n in 0..samples {
        let name = format!("Propagation-{n}-x");
        let mut offer = example_offer();
        offer["name"] = serde_json::json!(name);
        let answer = client
            .put(format!("{}/api/v1/offers/propagation-{n}", publisher.base))
            .bearer_auth(&publish_token)
            .json(&offer)
            .send()
            .await
            .expect("publish");
        assert!(
            answer.status().is_success(),
            "publishing answered {}",
            answer.status()
        );
        let answered = Instant::now();
        let search = format!("{}/api/v1/catalog/offers?q={name}&limit=1", reader.base);
        let arrived = until(Duration::from_secs(30), || async {
            let page: serde_json::Value = client
                .get(&search)
                .bearer_auth(&read_token)
                .send()
                .await
                .expect("catalog")
                .json()
                .await
                .expect("page");
            page["items"]
                .as_array()
                .is_some_and(|items| !items.is_empty())
        })
        .await;
        assert!(arrived, "offer {n} did not arrive within 30 s");
        millis.push(answered.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    let at = |q: f64| millis[((millis.len() - 1) as f64 * q).round() as usize];
    let (p50, p99) = (at(0.5), at(0.99));
    println!(
        "propagation ({label}): {samples} offers, p50 {p50:.1} ms, p99 {p99:.1} ms (max {:.1})",
        millis[millis.len() - 1]
    );
    publisher.stop().await;
    reader.stop().await;
    (p50, p99)
}
