//! A stranger making the node fetch (and sign its fetches): bogus key ids
//! on one origin cost at most that origin's budget of fetches per window,
//! whether on reads or inbox POSTs, and the reads are answered as a
//! stranger's; a blocked origin, or one an allowlist-only node does not
//! list, costs no fetch and leaves no row; a key id the actor does not list
//! (`actor#nope`) is no key of its, even once the actor is known. A
//! followed peer cannot make the node fetch a third party's URL as an
//! activity's object, nor read back what a server answered.

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::json;

use crate::interop::follow_signed;
use crate::mock_peer::{Documents, MockPeer, new_key};
use crate::on_both_backends;
use crate::rig::federation::{
    admin, approve_follower, ask_to_follow, node_named, wait_follow_state,
};
use crate::rig::{TestDatabase, TestNode};
use crate::signing::SignedPost;

on_both_backends!(
    bogus_key_ids_cost_at_most_the_origin_budget,
    refused_origins_cost_no_fetch_and_leave_no_row,
    a_key_id_the_actor_does_not_list_is_refused,
    a_followed_peers_object_urls_stay_on_its_origin,
);

/// A signed GET of `path` on `node` under `key_id`: its status and body.
async fn signed_read(
    node: &TestNode,
    path: &str,
    key_id: &str,
    key: &rsa::RsaPrivateKey,
) -> (u16, String) {
    let response = SignedPost::get(&node.url(path), key_id, key)
        .send(&reqwest::Client::new())
        .await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn bogus_key_ids_cost_at_most_the_origin_budget(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let budget = usize::try_from(node.settings.federation.key_fetches_per_origin).unwrap();
    assert!(budget > 0);
    let platform = node.token(Scope::Platform).await;
    node.put_json("/api/v1/offers/jam", &platform, &node.example("offer"))
        .await;
    // A server that knows none of the keys: every fetch is a 404.
    let mut origin = MockPeer::bind().await;
    origin.serve(Documents::new());
    let forger = new_key();

    // Three budgets' worth of signed reads, each naming a new key.
    for i in 0..3 * budget {
        let (status, body) = signed_read(
            &node,
            "/offers?page=true",
            &origin.url(&format!("/keys/{i}")),
            &forger,
        )
        .await;
        assert_eq!(status, 200, "an unknown signer reads as a stranger: {body}");
        assert!(body.contains("jam"), "the public answer: {body}");
    }
    // A budget's worth of inbox POSTs from new actors on the same origin:
    // the budget is spent, they are put off.
    let mut put_off = 0;
    for i in 0..budget {
        let actor = origin.url(&format!("/actors/{i}"));
        let status = follow_signed(&node, &actor, &format!("{actor}#main-key"), &forger).await;
        assert!(matches!(status, 401 | 429), "{status}");
        put_off += usize::from(status == 429);
    }
    assert_eq!(
        put_off, budget,
        "the origin's budget was spent by the reads"
    );
    let fetches = origin.total();
    assert!(
        fetches <= budget,
        "{fetches} fetches for {budget} allowed per origin per window"
    );
    assert!(fetches > 0, "unknown keys are fetched within the budget");
    assert_eq!(db.query_i64("SELECT COUNT(*) FROM peers").await, 0);
    node.stop().await;
}

async fn refused_origins_cost_no_fetch_and_leave_no_row(db: TestDatabase) {
    // A real actor, its key valid: only the policy stands in its way.
    let key = new_key();
    let peer = MockPeer::with_actor(&key, None).await;
    let actor = peer.url("/actor");
    let domain = url::Url::parse(&actor).unwrap().authority().to_owned();
    let blocking = TestNode::start_with(&db.url, |s| {
        s.federation.blocklist = vec![domain.clone()];
    })
    .await;
    let (allowlisting, allowlisting_db) = node_named(&db, "allowonly", |s| {
        s.federation.allowlist = vec!["localhost:1".to_owned()];
    })
    .await;
    for (node, node_db) in [(&blocking, &db), (&allowlisting, &allowlisting_db)] {
        let (status, _) = signed_read(node, "/offers", &format!("{actor}#main-key"), &key).await;
        assert_eq!(status, 200, "a refused reader reads as a stranger");
        for i in 0..5 {
            let (status, _) =
                signed_read(node, "/offers", &peer.url(&format!("/keys/{i}")), &key).await;
            assert_eq!(status, 200);
        }
        let status = follow_signed(node, &actor, &format!("{actor}#main-key"), &key).await;
        assert_eq!(status, 403);
        assert_eq!(
            node_db.query_i64("SELECT COUNT(*) FROM peers").await,
            0,
            "a refused signer is not remembered"
        );
    }
    assert_eq!(peer.total(), 0, "no fetch on a refused origin");
    blocking.stop().await;
    allowlisting.stop().await;
}

async fn a_key_id_the_actor_does_not_list_is_refused(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(Scope::Admin).await;
    let platform = node.token(Scope::Platform).await;
    let key = new_key();
    let peer = MockPeer::with_actor(&key, None).await;
    let actor = peer.url("/actor");
    let nope = format!("{actor}#nope");

    // Not known yet: the actor document lists no such key.
    assert_eq!(follow_signed(&node, &actor, &nope, &key).await, 401);
    assert_eq!(db.query_i64("SELECT COUNT(*) FROM peers").await, 0);

    // Known and approved: its real key still does not make `#nope` a key.
    approve_follower(&node, &admin, &actor, &key).await;
    assert_eq!(follow_signed(&node, &actor, &nope, &key).await, 401);
    let person = json!({"type": "Person", "name": "Camille Martin", "role": "worker"});
    node.put_json("/api/v1/members/camille", &platform, &person)
        .await;
    let (status, body) = signed_read(&node, "/members/camille", &nope, &key).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = signed_read(
        &node,
        "/members/camille",
        &format!("{actor}#main-key"),
        &key,
    )
    .await;
    assert_eq!(
        status, 200,
        "under the key id it lists, the follower reads: {body}"
    );
    node.stop().await;
}

async fn a_followed_peers_object_urls_stay_on_its_origin(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open;
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    // A third party's server, answering its own way.
    let mut third = MockPeer::bind().await;
    let mut documents = Documents::new();
    documents.insert("/page".into(), ("text/x-secret-type", "SECRET".into()));
    third.serve(documents);
    let create_by_b = |object: String| {
        let activity = json!({
            "id": b.url(&format!("/activities/{}", uuid::Uuid::new_v4())),
            "type": "Create", "actor": b.actor(), "object": object,
        });
        SignedPost::by_node(&b, &a.url("/inbox"), serde_json::to_vec(&activity).unwrap())
    };
    let client = reqwest::Client::new();

    // B, followed by A, names a third party's URL as its object: refused
    // before any request reaches it.
    let response = create_by_b(third.url("/page")).send(&client).await;
    assert_eq!(response.status(), 422);
    assert_eq!(third.total(), 0, "no fetch off the sender's origin");

    // Its own URL that its server answers with an error: what the server
    // answered is not repeated to the sender.
    let missing = b.url("/offers/none");
    let response = create_by_b(missing.clone()).send(&client).await;
    let status = response.status().as_u16();
    // The URL is the sender's own (its port may hold "404"): only the rest
    // of the answer is looked at.
    let body = response.text().await.unwrap().replace(&missing, "<object>");
    assert!(status >= 400, "{status}");
    assert!(
        !body.contains("404") && !body.contains("answered"),
        "{body}"
    );
    a.stop().await;
    b.stop().await;
}
