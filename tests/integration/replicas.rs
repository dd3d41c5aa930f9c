//! Two replicas of one node on one PostgreSQL database share the delivery
//! work: 500 activities reach each of three peers once, in order.

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{Backend, TestDatabase, TestNode, eventually};

const ACTIVITIES: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_deliver_everything_once_in_order() {
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let b1 = TestNode::start_with(&db.url, |s| {
        s.platform.slug = "velocoop".into();
        s.federation.admission = Admission::Open;
    })
    .await;
    // The second replica: same database and public URL, its own port.
    let b2 = TestNode::start_on({
        let mut settings = b1.settings.clone();
        settings.listen = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        settings
    })
    .await;
    let b_admin = admin(&b1).await;
    let mut peers = Vec::new();
    for slug in ["foodhub", "carshare", "freelance"] {
        let (peer, peer_db) = node_named(&db, slug, |_| {}).await;
        let peer_admin = admin(&peer).await;
        ask_to_follow(&peer, &peer_admin, &b1, &b_admin).await;
        wait_follow_state(&peer, &peer_admin, &b1, "active").await;
        peers.push((peer, peer_db));
    }

    let token = b1.token(Scope::Platform).await;
    let started = std::time::Instant::now();
    let client = reqwest::Client::new();
    let mut example = b1.example("offer");
    for chunk in (0..ACTIVITIES).collect::<Vec<_>>().chunks(25) {
        let puts = chunk.iter().map(|n| {
            example["name"] = json!(format!("Offer {n:03}"));
            let body = example.clone();
            let node = if n % 2 == 0 { &b1 } else { &b2 };
            let request = client
                .put(node.url(&format!("/api/v1/offers/o{n:03}")))
                .bearer_auth(&token)
                .json(&body);
            async move { assert_eq!(request.send().await.unwrap().status(), 201) }
        });
        futures::future::join_all(puts.collect::<Vec<_>>()).await;
    }

    eprintln!("published {ACTIVITIES} offers in {:?}", started.elapsed());
    // Publication order on B: its objects' order, which is the activity
    // log's (both are written in one transaction, publications serialised).
    let offers = b1.api("/api/v1/offers?limit=200", &token).await;
    let mut published: Vec<String> = Vec::new();
    let mut page = offers;
    loop {
        published.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["payload"]["name"].as_str().unwrap().to_owned()),
        );
        let Some(next) = page["next_cursor"].as_str().map(str::to_owned) else {
            break;
        };
        page = b1
            .api(&format!("/api/v1/offers?limit=200&cursor={next}"), &token)
            .await;
    }
    assert_eq!(published.len(), ACTIVITIES);

    for (peer, _) in &peers {
        let platform = peer.token(Scope::Platform).await;
        let items = eventually("every activity to arrive", 120, || async {
            let page = peer
                .api("/api/v1/catalog/offers?limit=200", &platform)
                .await;
            let mut items: Vec<Value> = page["items"].as_array().unwrap().clone();
            let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
            while let Some(next) = cursor {
                let page = peer
                    .api(
                        &format!("/api/v1/catalog/offers?limit=200&cursor={next}"),
                        &platform,
                    )
                    .await;
                items.extend(page["items"].as_array().unwrap().iter().cloned());
                cursor = page["next_cursor"].as_str().map(str::to_owned);
            }
            (items.len() == ACTIVITIES).then_some(items)
        })
        .await;
        // The catalog keeps arrival order: it is B's publication order.
        let arrived: Vec<&str> = items
            .iter()
            .map(|i| i["object"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            arrived,
            published.iter().map(String::as_str).collect::<Vec<_>>()
        );
        let metrics = peer.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains(&format!(r#"passerelle_inbox_activities_total{{outcome="processed",type="Create"}} {ACTIVITIES}"#)),
            "{metrics}"
        );
        assert!(
            !metrics.contains(r#"outcome="duplicate""#),
            "an activity was delivered twice: {metrics}"
        );
    }
    eprintln!("delivered to 3 peers after {:?}", started.elapsed());
    // Both replicas took part.
    let sent = |node: &TestNode| {
        let node = node.url("/metrics");
        let client = client.clone();
        async move {
            let text = client.get(node).send().await.unwrap().text().await.unwrap();
            text.lines()
                .find(|l| {
                    l.starts_with(
                        r#"passerelle_deliveries_total{outcome="delivered",target="peer"}"#,
                    )
                })
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        }
    };
    let (one, two) = (sent(&b1).await, sent(&b2).await);
    assert!(one + two >= (ACTIVITIES * 3) as u64, "{one} + {two}");
    for (peer, _) in peers {
        peer.stop().await;
    }
    b1.stop().await;
    b2.stop().await;
}
