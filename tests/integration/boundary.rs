//! Trust at the boundary, tried as a hostile party would: forged requests,
//! hostile actor documents and private targets cost the node at most the
//! allowed fetches, store nothing and echo nothing; policy applies to
//! relationships that already exist.

use std::time::Duration;

use axum::http::header;
use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use rsa::RsaPrivateKey;
use serde_json::{Value, json};

use crate::mock_peer::{Documents, MockPeer, actor_document, follow, new_key};
use crate::on_both_backends;
use crate::rig::federation::{
    admin, ask_to_follow, follow_uri, node_named, request_follow, wait_follow_state,
};
use crate::rig::{STEP, TestDatabase, TestNode, eventually, holds_for};
use crate::signing::SignedPost;

on_both_backends!(
    forged_signatures_cost_one_fetch_and_store_nothing,
    shared_inbox_on_another_origin_receives_nothing,
    private_targets_are_refused_without_a_request,
    refused_follower_is_cut_off_after_restart,
    invented_methods_and_types_mint_no_series,
    every_rejection_is_a_problem_document,
    reader_dependent_answers_are_private,
    repeated_follow_stays_approved_and_backfills_once,
    rate_limits_answer_429_with_retry_after,
    admin_lists_are_paged,
    proxy_header_keys_the_address_limits,
);

const INTRANET_PAGE: &str = "<html>SECRET-INTRANET-PAGE</html>";

async fn forged_signatures_cost_one_fetch_and_store_nothing(db: TestDatabase) {
    let window = Duration::from_secs(4);
    let b = TestNode::start_with(&db.url, |s| {
        s.federation.key_fetch_window = window;
    })
    .await;
    let b_admin = b.token(Scope::Admin).await;
    let key = new_key();
    let forger_key = b.context.keys().rsa_private.clone();
    let mut peer = MockPeer::bind().await;
    let mut documents = Documents::new();
    documents.insert(
        "/actor".into(),
        (
            "application/activity+json",
            actor_document(&peer, &key, None),
        ),
    );
    documents.insert("/page".into(), ("text/html", INTRANET_PAGE.into()));
    peer.serve(documents);
    let client = reqwest::Client::new();
    let actor = peer.url("/actor");
    let send = |body: Vec<u8>, key_id: String, key: RsaPrivateKey| {
        let client = client.clone();
        let inbox = b.url("/inbox");
        async move {
            let response = SignedPost::new(&inbox, body, &key_id, &key)
                .send(&client)
                .await;
            let status = response.status().as_u16();
            let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
            let text = response.text().await.unwrap();
            if status >= 400 {
                assert_eq!(content_type.unwrap(), "application/problem+json", "{text}");
            }
            (status, text)
        }
    };

    // Ten forgeries under an unknown key id: one fetch of its document.
    // The node's window opens after the first is sent.
    let first_sent = std::time::Instant::now();
    for _ in 0..10 {
        let (status, _) = send(
            follow(&actor, &b.actor()),
            format!("{actor}#main-key"),
            forger_key.clone(),
        )
        .await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        peer.hits("GET", "/actor"),
        1,
        "one fetch per key id per window"
    );

    // An "actor" that is any page: fetched once, never shown to the caller.
    let page = peer.url("/page");
    for _ in 0..10 {
        let (status, text) = send(
            follow(&page, &b.actor()),
            format!("{page}#main-key"),
            forger_key.clone(),
        )
        .await;
        assert_eq!(
            status, 401,
            "an unusable signer is unauthenticated, not a 502"
        );
        assert!(!text.contains("SECRET"), "remote content echoed: {text}");
    }
    assert_eq!(peer.hits("GET", "/page"), 1);

    // Nothing was stored: no peer, no follow request, no audit entry.
    assert_eq!(db.query_i64("SELECT COUNT(*) FROM peers").await, 0);
    assert_eq!(b.api("/api/v1/admin/peers", &b_admin).await, json!([]));
    assert_eq!(
        b.api("/api/v1/admin/follow-requests?state=all", &b_admin)
            .await,
        json!([])
    );

    // The real peer, signing with its key, is heard (no new fetch: its
    // document is the one fetched in this window).
    let (status, _) = send(
        follow(&actor, &b.actor()),
        format!("{actor}#main-key"),
        key.clone(),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(db.query_i64("SELECT COUNT(*) FROM peers").await, 1);
    assert_eq!(peer.hits("GET", "/actor"), 1);

    // Forgeries under the now known key: none costs a fetch until the
    // window since the first fetch has passed; then one refetch (the peer
    // may have rotated its key), however many there are.
    let fetched = peer.times("GET", "/actor")[0];
    let forge = || {
        send(
            follow(&actor, &b.actor()),
            format!("{actor}#main-key"),
            forger_key.clone(),
        )
    };
    loop {
        let (status, _) = forge().await;
        assert_eq!(status, 401);
        if peer.hits("GET", "/actor") > 1 {
            break;
        }
        assert!(
            fetched.elapsed() < window + Duration::from_secs(10),
            "no refetch once the window had passed"
        );
        tokio::time::sleep(STEP).await;
    }
    // Measured from before the first request, whatever the load delays.
    let refetched_after = peer.times("GET", "/actor")[1] - first_sent;
    assert!(
        refetched_after >= window,
        "refetched {refetched_after:?} after the first forgery, within the {window:?} window"
    );
    for _ in 0..10 {
        let (status, _) = forge().await;
        assert_eq!(status, 401);
    }
    assert_eq!(peer.hits("GET", "/actor"), 2);
    b.stop().await;
}

async fn shared_inbox_on_another_origin_receives_nothing(db: TestDatabase) {
    let b = TestNode::start(&db).await;
    let b_admin = b.token(Scope::Admin).await;
    let key = new_key();
    let mut elsewhere = MockPeer::bind().await;
    elsewhere.serve(Documents::new());
    let peer = MockPeer::with_actor(&key, Some(elsewhere.url("/inbox"))).await;

    request_follow(&b, &b_admin, &peer.url("/actor")).await;
    eventually("the Follow to reach the peer's own inbox", 20, || async {
        (peer.hits("POST", "/inbox") >= 1).then_some(())
    })
    .await;
    assert_eq!(
        elsewhere.total(),
        0,
        "the off-origin shared inbox got a request"
    );
    b.stop().await;
}

async fn private_targets_are_refused_without_a_request(db: TestDatabase) {
    let node = TestNode::start_with(&db.url, |s| {
        s.federation.allow_private_addresses = false;
    })
    .await;
    let platform = node.token(Scope::Platform).await;
    let node_admin = node.token(Scope::Admin).await;
    let mut target = MockPeer::bind().await;
    let port = target.base.rsplit(':').next().unwrap().to_owned();
    target.serve(Documents::new());

    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://2130706433:{port}/hook"),
    ] {
        let response = node
            .post_json(
                "/api/v1/webhooks",
                &platform,
                &json!({"url": url, "events": ["catalog.created"]}),
            )
            .await;
        assert_eq!(response.status(), 422, "{url}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["pointer"], "/url", "{problem}");
        assert!(
            problem["errors"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("loopback"),
            "{problem}"
        );
    }
    assert_eq!(node.api("/api/v1/webhooks", &platform).await, json!([]));

    for target_name in [
        format!("http://127.0.0.1:{port}/actor"),
        format!("http://localhost:{port}/actor"),
        format!("mock@localhost:{port}"),
    ] {
        let response = node
            .post_json(
                "/api/v1/admin/follows",
                &node_admin,
                &json!({"target": target_name}),
            )
            .await;
        assert_eq!(response.status(), 400, "{target_name}");
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains("loopback"),
            "{problem}"
        );
    }
    assert_eq!(target.total(), 0, "a refused target was contacted");
    node.stop().await;
}

async fn refused_follower_is_cut_off_after_restart(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let (a_platform, b_platform) = (
        a.token(Scope::Platform).await,
        b.token(Scope::Platform).await,
    );
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    let member = json!({"type": "Person", "name": "Early Member", "role": "founder"});
    b.put_json("/api/v1/members/early", &b_platform, &member)
        .await;
    let members = |node: &TestNode, token: String| {
        let node = node.url("/api/v1/catalog/members");
        async move {
            let response = reqwest::Client::new()
                .get(node)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    eventually("the followers-only member to reach A", 20, || async {
        (members(&a, a_platform.clone()).await == 1).then_some(())
    })
    .await;
    let signed_get = |node: &TestNode, path: &str| {
        SignedPost::get(
            &node.url(path),
            &format!("{}#main-key", a.actor()),
            &a.context.keys().rsa_private,
        )
    };
    let client = reqwest::Client::new();
    assert_eq!(
        signed_get(&b, "/members/early")
            .send(&client)
            .await
            .status(),
        200
    );

    // B's operator blocks A's domain and restarts.
    let mut settings = b.settings.clone();
    settings.federation.blocklist = vec![a.base.authority().to_owned()];
    b.stop().await;
    let b = TestNode::start_on(settings).await;

    // A's activities are refused, and A is not told why.
    let like = serde_json::to_vec(&json!({
        "id": a.url("/activities/like-after-block"),
        "type": "Like",
        "actor": a.actor(),
        "object": b.actor(),
    }))
    .unwrap();
    let refused = SignedPost::by_node(&a, &b.url("/inbox"), like)
        .send(&client)
        .await;
    assert_eq!(refused.status(), 403);
    let problem = refused.text().await.unwrap();
    assert!(!problem.contains("blocklist"), "{problem}");

    // A's signed reads get what a stranger gets.
    let response = signed_get(&b, "/members/early").send(&client).await;
    assert_eq!(response.status(), 404);
    // New followers-only and public objects are not delivered to A.
    let later = json!({"type": "Person", "name": "Later Member", "role": "worker"});
    b.put_json("/api/v1/members/later", &b_platform, &later)
        .await;
    b.put_json("/api/v1/offers/later", &b_platform, &b.example("offer"))
        .await;
    eventually("both activities to be passed over for A", 20, || async {
        let metrics = b.get("/metrics").await.text().await.unwrap();
        let skipped = crate::rig::metric_value(
            &metrics,
            "passerelle_deliveries_total{outcome=\"refused_by_policy\",target=\"peer\"}",
        );
        (skipped == 2).then_some(())
    })
    .await;
    assert_eq!(members(&a, a_platform.clone()).await, 1);
    let offers = a.api("/api/v1/catalog/offers", &a_platform).await;
    assert_eq!(offers["items"], json!([]));
    a.stop().await;
    b.stop().await;
}

async fn invented_methods_and_types_mint_no_series(db: TestDatabase) {
    let node = TestNode::start_with(&db.url, |s| {
        s.metrics.token = Some("metrics-token-0123456789".into());
    })
    .await;
    let client = reqwest::Client::new();
    for n in 0..30 {
        let method = reqwest::Method::from_bytes(format!("INVENTED{n}").as_bytes()).unwrap();
        let response = client
            .request(method, node.url("/actor"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405);
    }
    // Without the token, the metrics are not served.
    let refused = node.get("/metrics").await;
    assert_eq!(refused.status(), 401);
    let metrics = client
        .get(node.url("/metrics"))
        .bearer_auth("metrics-token-0123456789")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains("INVENTED"), "{metrics}");
    let other = crate::rig::metric_value(
        &metrics,
        r#"passerelle_http_requests_total{method="other",route="/actor",status="405"}"#,
    );
    assert_eq!(other, 30);
    node.stop().await;
}

async fn every_rejection_is_a_problem_document(db: TestDatabase) {
    let node = TestNode::start_with(&db.url, |s| {
        s.http.max_body_bytes = 2048;
    })
    .await;
    let platform = node.token(Scope::Platform).await;
    let client = reqwest::Client::new();
    let big = "x".repeat(4096);
    let requests = [
        // A path segment that is not UTF-8.
        client.get(node.url("/offers/%FF")),
        client.get(node.url("/charters/a/versions/%FF")),
        // A query of the wrong type.
        client.get(node.url("/outbox?max_id=minus-one")),
        client
            .get(node.url("/api/v1/catalog/offers?limit=lots"))
            .bearer_auth(&platform),
        // JSON of the wrong media type, malformed, of the wrong shape.
        client
            .put(node.url("/api/v1/offers/a"))
            .bearer_auth(&platform)
            .header("content-type", "text/plain")
            .body("{}"),
        client
            .put(node.url("/api/v1/offers/a"))
            .bearer_auth(&platform)
            .header("content-type", "application/json")
            .body("{"),
        client
            .post(node.url("/api/v1/webhooks"))
            .bearer_auth(&platform)
            .header("content-type", "application/json")
            .body(r#"{"url": 5, "events": "all"}"#),
        // Over the body limit.
        client
            .put(node.url("/api/v1/offers/a"))
            .bearer_auth(&platform)
            .header("content-type", "application/json")
            .body(format!(r#"{{"name": "{big}"}}"#)),
        // A method the route does not have, a path that does not exist.
        client.delete(node.url("/actor")),
        client.get(node.url("/no/such/path")),
        // No token.
        client.get(node.url("/api/v1/catalog/offers")),
    ];
    for request in requests {
        let request = request.build().unwrap();
        let what = format!("{} {}", request.method(), request.url());
        let response = client.execute(request).await.unwrap();
        let status = response.status();
        assert!(status.is_client_error(), "{what}: {status}");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json",
            "{what}"
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], status.as_u16(), "{what}: {problem}");
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    node.stop().await;
}

async fn reader_dependent_answers_are_private(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let platform = node.token(Scope::Platform).await;
    node.put_json("/api/v1/offers/bikes", &platform, &node.example("offer"))
        .await;
    for path in ["/offers", "/offers/bikes", "/members/nobody"] {
        let response = node.get_accept(path, "application/activity+json").await;
        let headers = response.headers();
        let vary = headers[header::VARY].to_str().unwrap();
        assert!(
            vary.contains("Signature") && vary.contains("Authorization"),
            "{path}: {vary}"
        );
        assert!(
            headers[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("private"),
            "{path}"
        );
    }
    // Public pages for people carry a content security policy.
    let page = node.get_accept("/offers/bikes", "text/html").await;
    assert_eq!(page.status(), 200);
    let policy = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    node.stop().await;
}

async fn repeated_follow_stays_approved_and_backfills_once(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    // Manual admission: a follower put back to pending would stay there.
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let request = ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    let approved = b
        .post_json(
            &format!("/api/v1/admin/follow-requests/{}/approve", request["id"]),
            &b_admin,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    wait_follow_state(&a, &a_admin, &b, "active").await;
    let collection_reads = || async {
        let metrics = b.get("/metrics").await.text().await.unwrap();
        crate::rig::metric_value(
            &metrics,
            r#"passerelle_http_requests_total{method="GET",route="/{collection}",status="200"}"#,
        )
    };
    let delivered = || async {
        let metrics = b.get("/metrics").await.text().await.unwrap();
        crate::rig::metric_value(
            &metrics,
            r#"passerelle_deliveries_total{outcome="delivered",target="peer"}"#,
        )
    };
    // The backfill walks B's four object collections, each with its one
    // page (B has published nothing): eight reads, and it is over.
    let reads = eventually("A's backfill of B", 20, || async {
        let reads = collection_reads().await;
        (reads >= 8).then_some(reads)
    })
    .await;
    assert_eq!(reads, 8, "A's backfill read more than B's collections");
    let accepts = delivered().await;

    // A follows again (as a peer that lost track would): B keeps A
    // approved and answers Accept again.
    let client = reqwest::Client::new();
    let response = SignedPost::by_node(&a, &b.url("/inbox"), follow(&a.actor(), &b.actor()))
        .send(&client)
        .await;
    assert_eq!(response.status(), 202);
    eventually("the second Accept to reach A", 20, || async {
        (delivered().await > accepts).then_some(())
    })
    .await;
    let requests = b
        .api("/api/v1/admin/follow-requests?state=all", &b_admin)
        .await;
    assert_eq!(requests.as_array().unwrap().len(), 1);
    assert_eq!(requests[0]["state"], "approved", "{requests}");
    wait_follow_state(&a, &a_admin, &b, "active").await;

    // B accepts A's original Follow once more: the follow is active
    // already, so A starts no second backfill.
    let follow_id = follow_uri(&a, &b.actor()).await;
    let accept = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": b.url(&format!("/activities/{}", uuid::Uuid::new_v4())),
        "type": "Accept",
        "actor": b.actor(),
        "object": {"id": follow_id, "type": "Follow", "actor": a.actor(), "object": b.actor()},
    }))
    .unwrap();
    let response = SignedPost::by_node(&b, &a.url("/inbox"), accept)
        .send(&client)
        .await;
    assert_eq!(response.status(), 202);
    // A backfill would read B's first collection at once.
    holds_for("no second backfill", Duration::from_secs(1), || async {
        collection_reads().await == reads
    })
    .await;
    a.stop().await;
    b.stop().await;
}

async fn rate_limits_answer_429_with_retry_after(db: TestDatabase) {
    use passerelle::config::Rate;
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.rate_limits.sign_in_per_address = Rate {
            per_minute: 1,
            burst: 3,
        };
        s.rate_limits.api_per_token = Rate {
            per_minute: 1,
            burst: 5,
        };
        s.rate_limits.inbox_per_actor = Rate {
            per_minute: 1,
            burst: 2,
        };
        s.rate_limits.reads_per_address = Rate {
            per_minute: 1,
            burst: 20,
        };
    })
    .await;
    let client = reqwest::Client::new();
    let limited = |response: reqwest::Response, what: &str| {
        assert_eq!(response.status(), 429, "{what}");
        let wait: u64 = response.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{what}: Retry-After {wait}");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    };

    // Sign-in attempts, per address.
    let sign_in = || {
        client
            .post(b.url("/admin/sign-in"))
            .form(&[("token", "not-a-token")])
            .send()
    };
    for _ in 0..3 {
        assert_ne!(sign_in().await.unwrap().status(), 429);
    }
    limited(sign_in().await.unwrap(), "fourth sign-in");

    // The API, per token: another token is not held back.
    let (first, second) = (
        b.token(Scope::Platform).await,
        b.token(Scope::Platform).await,
    );
    for _ in 0..5 {
        assert_eq!(b.get_with("/api/v1/offers", &first).await.status(), 200);
    }
    limited(b.get_with("/api/v1/offers", &first).await, "sixth API call");
    assert_eq!(b.get_with("/api/v1/offers", &second).await.status(), 200);

    // The inbox, per signing actor.
    let like = |n: usize| {
        serde_json::to_vec(&json!({
            "id": a.url(&format!("/activities/like-{n}")),
            "type": "Like",
            "actor": a.actor(),
            "object": b.actor(),
        }))
        .unwrap()
    };
    let signed = |n: usize| SignedPost::by_node(&a, &b.url("/inbox"), like(n));
    for n in 0..2 {
        assert_eq!(signed(n).send(&client).await.status(), 202);
    }
    limited(
        signed(2).send(&client).await,
        "third activity from one actor",
    );

    // Reads, per address.
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(b.get("/actor").await.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    a.stop().await;
    b.stop().await;
}

async fn admin_lists_are_paged(db: TestDatabase) {
    let b = TestNode::start(&db).await;
    let b_admin = b.token(Scope::Admin).await;
    let key = new_key();
    let client = reqwest::Client::new();
    let mut peers = Vec::new();
    for _ in 0..3 {
        let peer = MockPeer::with_actor(&key, None).await;
        let actor = peer.url("/actor");
        let response = SignedPost::new(
            &b.url("/inbox"),
            follow(&actor, &b.actor()),
            &format!("{actor}#main-key"),
            &key,
        )
        .send(&client)
        .await;
        assert_eq!(response.status(), 202);
        peers.push(peer);
    }
    for list in [
        "/api/v1/admin/peers?limit=2",
        "/api/v1/admin/follow-requests?state=all&limit=2",
    ] {
        let mut next = Some(b.url(list));
        let mut seen = Vec::new();
        let mut pages = 0;
        while let Some(url) = next.take() {
            let response = client.get(&url).bearer_auth(&b_admin).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            next = response.headers().get(header::LINK).map(|link| {
                let link = link.to_str().unwrap();
                assert!(link.ends_with("rel=\"next\""), "{link}");
                link[1..link.find('>').unwrap()].to_owned()
            });
            let page: Vec<Value> = response.json().await.unwrap();
            assert!(page.len() <= 2);
            seen.extend(page.into_iter().map(|item| item["id"].clone()));
            pages += 1;
        }
        assert_eq!(pages, 2, "{list}");
        seen.dedup();
        assert_eq!(seen.len(), 3, "{list}: {seen:?}");
    }
    let bad = b.get_with("/api/v1/admin/peers?limit=0", &b_admin).await;
    assert_eq!(bad.status(), 400);
    b.stop().await;
}

async fn proxy_header_keys_the_address_limits(db: TestDatabase) {
    use passerelle::config::Rate;
    let node = TestNode::start_with(&db.url, |s| {
        s.http.client_address_header = Some("X-Forwarded-For".into());
        s.rate_limits.reads_per_address = Rate {
            per_minute: 1,
            burst: 3,
        };
    })
    .await;
    let client = reqwest::Client::new();
    // Documentation addresses, only ever written in a header.
    let read = |forwarded: &'static str| {
        client
            .get(node.url("/actor"))
            .header("x-forwarded-for", forwarded)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(
            read("203.0.113.9, 198.51.100.1").await.unwrap().status(),
            200
        );
    }
    assert_eq!(read("198.51.100.1").await.unwrap().status(), 429);
    // The proxy's last value is the client: another client is not held back.
    assert_eq!(
        read("198.51.100.1, 198.51.100.2").await.unwrap().status(),
        200
    );
    node.stop().await;
}
