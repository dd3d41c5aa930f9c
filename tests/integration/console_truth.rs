//! The console tells the truth (issue 28): a gone peer shows gone, never
//! healthy, on the Peers page, the dashboard and the API; published data is
//! paged past the first 1,000 rows; the audit log filters by action, peer
//! and time; destructive forms need their confirmation box; the
//! dashboard's picture names each peer and each kind that flows.

use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};

use crate::console::{client, page, sign_in};
use crate::mock_peer::{MockPeer, new_key};
use crate::on_both_backends;
use crate::rig::federation::approve_follower;
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(
    a_gone_peer_shows_gone_everywhere,
    published_data_reaches_past_the_first_thousand,
    the_peer_list_is_paged
);

/// The dashboard's count of peers in `state`.
fn health_count(html: &str, state: &str) -> i64 {
    let marker = format!("data-health=\"{state}\"><span class=\"n\">");
    let start = html.find(&marker).expect(state) + marker.len();
    html[start..start + html[start..].find('<').unwrap()]
        .parse()
        .unwrap()
}

async fn a_gone_peer_shows_gone_everywhere(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(Scope::Admin).await;
    let key = new_key();
    let peer = MockPeer::with_actor_answering(&key, None, StatusCode::GONE).await;
    approve_follower(&node, &admin, &peer.url("/actor"), &key).await;
    eventually("the peer to be marked gone", 20, || async {
        let deliveries = node.api("/api/v1/admin/deliveries", &admin).await;
        deliveries[0]["gone_since"].is_string().then_some(())
    })
    .await;
    let peers = node.api("/api/v1/admin/peers", &admin).await;
    let (id, name) = (
        peers[0]["id"].clone(),
        peers[0]["name"].as_str().unwrap().to_owned(),
    );
    assert_eq!(peers[0]["health"], "gone", "{peers}");
    assert_eq!(peers[0]["delivery"]["state"], "gone", "{peers}");
    let gone = node
        .api("/api/v1/admin/deliveries?state=gone", &admin)
        .await;
    assert_eq!(gone.as_array().unwrap().len(), 1, "{gone}");
    let healthy = node
        .api("/api/v1/admin/deliveries?state=healthy", &admin)
        .await;
    assert_eq!(healthy.as_array().unwrap().len(), 0, "{healthy}");

    let session = sign_in(&node, &admin).await;
    let (_, html) = page(&node, &session.cookie, "/admin/peers").await;
    assert!(html.contains("data-health=\"gone\""), "{html}");
    assert!(!html.contains("data-health=\"healthy\""), "{html}");
    let (_, dashboard) = page(&node, &session.cookie, "/admin").await;
    assert_eq!(health_count(&dashboard, "gone"), 1);
    assert_eq!(health_count(&dashboard, "healthy"), 0);

    // The picture names the peer, its health and what we send it.
    let svg_start = dashboard.find("<svg").expect("the picture");
    let svg = &dashboard[svg_start..svg_start + dashboard[svg_start..].find("</svg>").unwrap()];
    assert!(svg.contains("role=\"img\""), "{svg}");
    let desc = &svg[svg.find("<desc").unwrap()..svg.find("</desc>").unwrap()];
    for word in [
        name.as_str(),
        "gone",
        "we send",
        "Offers",
        "Members",
        "Charters",
        "Commitments",
    ] {
        assert!(desc.contains(word), "{word} in {desc}");
    }
    assert!(dashboard.contains("class=\"sparkline\""), "{dashboard}");

    // Exclusion without its confirmation box changes nothing.
    let exclude = |confirm: bool| {
        let mut form = vec![
            ("csrf", session.csrf.clone()),
            ("reason", "spam".to_owned()),
        ];
        if confirm {
            form.push(("confirm", "yes".to_owned()));
        }
        client()
            .post(node.url(&format!("/admin/peers/{id}/exclude")))
            .header(COOKIE, &session.cookie)
            .form(&form)
            .send()
    };
    let refused = exclude(false).await.unwrap();
    let location = refused.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.contains("error="), "{location}");
    let peers = node.api("/api/v1/admin/peers", &admin).await;
    assert!(peers[0]["excluded"].is_null(), "{peers}");
    let unfollow = client()
        .post(node.url(&format!("/admin/peers/{id}/unfollow")))
        .header(COOKIE, &session.cookie)
        .form(&[("csrf", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        unfollow.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("error=")
    );
    let done = exclude(true).await.unwrap();
    assert!(
        done.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("done=excluded")
    );
    let peers = node.api("/api/v1/admin/peers", &admin).await;
    assert_eq!(peers[0]["health"], "excluded", "{peers}");

    // The audit log filters by action, peer and time.
    let filtered = |query: String| {
        let (node, admin) = (&node, &admin);
        async move {
            node.api(&format!("/api/v1/admin/audit?{query}"), admin)
                .await
        }
    };
    let excluded = filtered("action=peer.excluded".into()).await;
    assert_eq!(excluded["items"].as_array().unwrap().len(), 1, "{excluded}");
    let about = filtered(format!("peer={id}")).await;
    let actions: Vec<&str> = about["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"peer.excluded") && actions.contains(&"request.approved"),
        "{actions:?}"
    );
    let future = filtered("since=2999-01-01".into()).await;
    assert_eq!(future["items"].as_array().unwrap().len(), 0, "{future}");
    let past = filtered("until=2000-01-01".into()).await;
    assert_eq!(past["items"].as_array().unwrap().len(), 0, "{past}");
    let today = &passerelle::model::time::now()[..10];
    let now = filtered(format!(
        "since={today}&until={today}&action=request.approved"
    ))
    .await;
    assert_eq!(now["items"].as_array().unwrap().len(), 1, "{now}");
    let bad = node
        .get_with("/api/v1/admin/audit?since=yesterday", &admin)
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let (status, html) = page(
        &node,
        &session.cookie,
        &format!("/admin/audit?action=peer.excluded&peer={id}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Each entry's action is labelled, its raw name on hover.
    assert!(html.contains("title=\"peer.excluded\""), "{html}");
    assert!(!html.contains("title=\"request.approved\""), "{html}");
    node.stop().await;
}

/// Copies the offer `jam` 1,100 times (`jam-1` … `jam-1100`), in one
/// statement.
pub(crate) async fn thousand_more_rows(db: &TestDatabase) {
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100) \
         INSERT INTO objects (kind, local_id, uri, version, audience, public, payload, content_hash, \
         document, created_at, updated_at) SELECT o.kind, o.local_id || '-' || n.i, o.uri || '-' || n.i, \
         o.version, o.audience, o.public, o.payload, o.content_hash, o.document, o.created_at, o.updated_at \
         FROM objects o, n WHERE o.local_id = 'jam'",
    )
    .await;
}

async fn published_data_reaches_past_the_first_thousand(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(Scope::Admin).await;
    let platform = node.token(Scope::Platform).await;
    let put = node
        .put_json("/api/v1/offers/jam", &platform, &node.example("offer"))
        .await;
    assert!(put.status().is_success(), "{}", put.text().await.unwrap());
    thousand_more_rows(&db).await;
    let session = sign_in(&node, &admin).await;
    let (_, first) = page(&node, &session.cookie, "/admin/published").await;
    assert!(first.contains("(1101)"), "the total");
    assert!(
        first.contains(">jam-1100</a>"),
        "the newest, row 1,101, first"
    );
    // The "older" links walk to the oldest, the first row published.
    let mut path = "/admin/published?kind=offer".to_owned();
    let mut pages = 0;
    loop {
        let (status, html) = page(&node, &session.cookie, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        pages += 1;
        let marker = "/admin/published?kind=offer&amp;before=";
        match html.find(marker) {
            Some(at) => {
                let rest = &html[at + marker.len()..];
                path = format!(
                    "/admin/published?kind=offer&before={}",
                    &rest[..rest.find('"').unwrap()]
                );
            }
            None => {
                assert!(html.contains(">jam</a>"), "the oldest on the last page");
                break;
            }
        }
        assert!(pages < 30, "too many pages");
    }
    assert_eq!(pages, 23, "1,101 rows, 50 a page");
    node.stop().await;
}

/// Sixty peers, `peer-1` … `peer-60`, as discovery would have stored them.
async fn sixty_peers(db: &TestDatabase) {
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60) \
         INSERT INTO peers (actor_uri, domain, inbox, shared_inbox, handle, name, summary, \
         public_key_pem, actor_json, fetched_at, created_at) SELECT \
         'https://peer' || n.i || '.example/actor', 'peer' || n.i || '.example', \
         'https://peer' || n.i || '.example/inbox', NULL, 'coop@peer' || n.i || '.example', \
         'peer-' || n.i, '', '', '{}', 0, 0 FROM n",
    )
    .await;
}

async fn the_peer_list_is_paged(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(Scope::Admin).await;
    sixty_peers(&db).await;
    let session = sign_in(&node, &admin).await;
    let cards = |html: &str| {
        html.matches("<article class=\"card\" aria-labelledby=\"peer-")
            .count()
    };
    let (status, first) = page(&node, &session.cookie, "/admin/peers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cards(&first), 50, "a page holds 50 peers");
    assert!(first.contains(">peer-1</a>") && !first.contains(">peer-51</a>"));
    let marker = "href=\"/admin/peers?after=";
    let at = first.find(marker).expect("a link to the next page") + marker.len();
    let next = format!(
        "/admin/peers?after={}",
        &first[at..at + first[at..].find('"').unwrap()]
    );
    let (_, second) = page(&node, &session.cookie, &next).await;
    assert_eq!(cards(&second), 10, "{next}: the other 10");
    assert!(second.contains(">peer-60</a>") && !second.contains(">peer-50</a>"));
    assert!(
        second.contains("<a href=\"/admin/peers\">First page</a>"),
        "a link back to the first page"
    );
    assert!(!second.contains(marker), "no page after the last");
    let (status, _) = page(&node, &session.cookie, "/admin/peers?after=soon").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a cursor that is not one");
    node.stop().await;
}
