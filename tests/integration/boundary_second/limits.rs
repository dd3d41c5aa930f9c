//! A flooder without a token (item 7 of issue 24): `/api` calls without a
//! token that verifies are limited per client address, and neither made-up
//! tokens nor made-up proxy headers are fresh keys. And a node whose
//! environment names a proxy (item 8): the outbound client ignores it.

use std::time::Instant;

use passerelle::config::Rate;
use passerelle::domain::tokens::Scope;
use reqwest::header;

use crate::mock_peer::{Documents, MockPeer};
use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(
    unauthenticated_api_floods_meet_429_with_retry_after,
    made_up_tokens_and_headers_do_not_escape_the_address_limit
);

/// A 429 that says how long to wait.
fn assert_limited(response: &reqwest::Response, what: &str) {
    assert_eq!(response.status(), 429, "{what}");
    let wait: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{what}: Retry-After {wait}");
}

async fn unauthenticated_api_floods_meet_429_with_retry_after(db: TestDatabase) {
    // The default limits: 600 a minute, a burst of 100.
    let node = TestNode::start(&db).await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let (mut refused, mut limited) = (0u32, 0u32);
    for _ in 0..40 {
        let batch = (0..50).map(|_| client.get(node.url("/api/v1/offers")).send());
        for response in futures::future::join_all(batch).await {
            let response = response.expect("the node answers");
            match response.status().as_u16() {
                401 => refused += 1,
                429 => {
                    assert_limited(&response, "unauthenticated flood");
                    limited += 1;
                }
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert_eq!(refused + limited, 2000);
    // What got through is the burst plus what the rate refilled meanwhile.
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let allowed = 100.0 + 600.0 * minutes + 1.0;
    assert!(
        limited > 0 && f64::from(refused) <= allowed,
        "{refused} answered 401, {limited} limited, at most {allowed:.0} allowed"
    );
    node.stop().await;
}

async fn made_up_tokens_and_headers_do_not_escape_the_address_limit(db: TestDatabase) {
    // Behind a proxy (loopback counts as one), with a limit that does not
    // refill within the test.
    let node = TestNode::start_with(&db.url, |s| {
        s.http.client_address_header = Some("X-Forwarded-For".into());
        s.rate_limits.api_per_address = Rate {
            per_minute: 1,
            burst: 5,
        };
    })
    .await;
    let platform = node.token(Scope::Platform).await;
    let client = reqwest::Client::new();
    // Each call a new token and a new garbled header: neither is a key.
    let fresh = |n: usize| {
        client
            .get(node.url("/api/v1/offers"))
            .bearer_auth(format!("psl_{n:064x}"))
            .header("x-forwarded-for", format!("not-an-address-{n}"))
            .send()
    };
    for n in 0..5 {
        assert_eq!(fresh(n).await.unwrap().status(), 401, "call {n}");
    }
    assert_limited(&fresh(5).await.unwrap(), "a sixth made-up token");
    let bare = client.get(node.url("/api/v1/offers")).send().await.unwrap();
    assert_limited(&bare, "no token at all");
    let basic = client
        .get(node.url("/api/v1/offers"))
        .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_limited(&basic, "another scheme");
    // A token that verifies has its own limit, from the same address.
    assert_eq!(
        node.get_with("/api/v1/offers", &platform).await.status(),
        200
    );
    // Another client behind the proxy (an address in the header) is not
    // held back by this one's calls.
    let other = client
        .get(node.url("/api/v1/offers"))
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 401);
    node.stop().await;
}

/// Proxy variables in the environment of the real binary: `verify` fetches
/// through the node's one outbound client (`outbound::client`, the same
/// constructor `serve` uses), and the proxy hears nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_do_not_reroute_outbound_requests() {
    let mut proxy = MockPeer::bind().await;
    proxy.serve(Documents::new());
    let mut target = MockPeer::bind().await;
    let mut documents = Documents::new();
    documents.insert(
        "/note".into(),
        ("application/activity+json", r#"{"type":"Note"}"#.into()),
    );
    target.serve(documents);
    let mut command = tokio::process::Command::from(crate::rig::passerelle(&std::env::temp_dir()));
    command.env_remove("NO_PROXY").env_remove("no_proxy");
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "all_proxy",
    ] {
        command.env(name, &proxy.base);
    }
    let note = target.url("/note");
    let output = command
        .args(["verify", &note, "--allow-private-addresses"])
        .output()
        .await
        .expect("run passerelle verify");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(proxy.total(), 0, "the proxy was used: {stderr}");
    assert_eq!(target.hits("GET", "/note"), 1, "{stderr}");
}
