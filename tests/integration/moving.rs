//! Moving a node to a new address (issue 31): A, followed by two Passerelle
//! nodes and by a stub that checks what Mastodon checks, writes its archive
//! for A′ (`export --moving-to`), A′ imports it and starts on another
//! loopback port, and `passerelle move --to` on A sends `Move`. Both
//! followers then follow A′ with their approvals and scopes, their catalogs
//! hold A′'s ids and none of A's, new offers from A′ arrive, A′ gets their
//! receipts, and A's address answers with redirects.

use passerelle::apub::verification::verify_with_actor;
use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::admin_pages::{escaped, post_form};
use crate::console::{page, sign_in};
use crate::mock_peer::{self, MockPeer};
use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named, peer_view, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually};
use crate::signing::SignedPost;

on_both_backends!(a_node_moves_with_its_followers_and_catalog);

fn run_cli(settings: &passerelle::Settings, args: &[&str]) -> (bool, String) {
    crate::rig::run_as(settings, args)
}

async fn publish(node: &TestNode, token: &str, local_id: &str, name: &str) {
    let mut offer = node.example("offer");
    offer["name"] = json!(name);
    let response = node
        .put_json(&format!("/api/v1/offers/{local_id}"), token, &offer)
        .await;
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
}

/// The ids of the offers `node`'s catalog holds, and their names.
async fn catalog(node: &TestNode, token: &str) -> Vec<(String, String)> {
    node.api("/api/v1/catalog/offers", token).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["object"]["id"].as_str().unwrap().to_owned(),
                item["object"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn wait_in_catalog(node: &TestNode, token: &str, id: &str) {
    eventually(&format!("{id} in the catalog"), 30, || async {
        catalog(node, token)
            .await
            .iter()
            .any(|(held, _)| held == id)
            .then_some(())
    })
    .await;
}

async fn a_node_moves_with_its_followers_and_catalog(db: TestDatabase) {
    let (a, a_db) = node_named(&db, "foodhub", |s| {
        s.federation.admission = Admission::Open;
    })
    .await;
    let (p1, _p1_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open;
    })
    .await;
    let (p2, _p2_db) = node_named(&db, "mobicoop", |_| {}).await;
    let (a_admin, p1_admin, p2_admin) = (admin(&a).await, admin(&p1).await, admin(&p2).await);
    let (a_platform, p1_platform, p2_platform) = (
        a.token(Scope::Platform).await,
        p1.token(Scope::Platform).await,
        p2.token(Scope::Platform).await,
    );
    ask_to_follow(&p1, &p1_admin, &a, &a_admin).await;
    ask_to_follow(&p2, &p2_admin, &a, &a_admin).await;
    // A follows P1 too: P1's follower row for A must move as well.
    ask_to_follow(&a, &a_admin, &p1, &p1_admin).await;
    wait_follow_state(&p1, &p1_admin, &a, "active").await;
    wait_follow_state(&p2, &p2_admin, &a, "active").await;
    wait_follow_state(&a, &a_admin, &p1, "active").await;
    // P2 receives offers only, for a purpose: its scope must survive.
    let p2_on_a = peer_view(&a, &a_admin, &p2.actor()).await.unwrap()["id"].clone();
    let scoped = a
        .put_json(
            &format!("/api/v1/admin/peers/{p2_on_a}/scope"),
            &a_admin,
            &json!({"kinds": ["offer"], "purpose": "shared catalogue"}),
        )
        .await;
    assert_eq!(scoped.status(), 200, "{:?}", scoped.text().await);

    // The stub: a follower that is not Passerelle, answering 202 and
    // keeping what it is sent.
    let key = mock_peer::new_key();
    let mut stub = MockPeer::bind().await;
    let stub_actor = stub.url("/actor");
    stub.serve(
        [(
            "/actor".to_owned(),
            (
                "application/activity+json",
                mock_peer::actor_document(&stub, &key, None),
            ),
        )]
        .into(),
    );
    let followed = SignedPost::new(
        &a.url("/inbox"),
        mock_peer::follow(&stub_actor, &a.actor()),
        &format!("{stub_actor}#main-key"),
        &key,
    )
    .send(&reqwest::Client::new())
    .await;
    assert_eq!(followed.status(), 202);

    publish(&a, &a_platform, "bread", "Bread").await;
    publish(&a, &a_platform, "apples", "Apples").await;
    for follower in [(&p1, &p1_platform), (&p2, &p2_platform)] {
        wait_in_catalog(follower.0, follower.1, &a.url("/offers/bread")).await;
        wait_in_catalog(follower.0, follower.1, &a.url("/offers/apples")).await;
    }

    // A′: its address first, then the archive written for it, imported.
    let b_db = TestDatabase::new(db.backend).await.expect("same backend");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut b_settings = TestNode::settings_for(&listener, &b_db.url);
    b_settings.platform = a.settings.platform.clone();
    let b_url = b_settings.public_url.to_string();
    let archive = a_db.dir.path().join("moving.jsonl.gz");
    let archive = archive.to_str().unwrap();
    let (ok, output) = run_cli(&a.settings, &["export", archive, "--moving-to", &b_url]);
    assert!(ok, "{output}");
    // A URL that is not a node's public URL is refused, and nothing written.
    let refused = a_db.dir.path().join("refused.jsonl.gz");
    let (ok, output) = run_cli(
        &a.settings,
        &[
            "export",
            refused.to_str().unwrap(),
            "--moving-to",
            &format!("{b_url}actor"),
        ],
    );
    assert!(!ok && output.contains("public URL"), "{output}");
    assert!(!refused.exists());
    let (ok, output) = run_cli(&b_settings, &["import", archive]);
    assert!(ok, "{output}");
    let platform = a.settings.platform.clone();
    let b = TestNode::start_listening(listener, &b_db.url, |s| s.platform = platform).await;
    let b_admin = admin(&b).await;
    let b_platform = b.token(Scope::Platform).await;

    // A′ lists A as its earlier address, holds the same keys, and serves
    // A's offers under its own ids with proofs that verify.
    let (_, b_actor) = b.get_activity_json("/actor").await;
    assert_eq!(b_actor["alsoKnownAs"], json!([a.actor()]), "{b_actor}");
    crate::jsonld::assert_terms_defined(&b, "the moved actor", &b_actor);
    let (_, a_actor) = a.get_activity_json("/actor").await;
    assert_eq!(
        b_actor["publicKey"]["publicKeyPem"],
        a_actor["publicKey"]["publicKeyPem"]
    );
    let (status, bread) = b.get_activity_json("/offers/bread").await;
    assert_eq!(status, 200, "{bread}");
    assert_eq!(bread["id"], b.url("/offers/bread"));
    verify_with_actor(&b_actor, &bread).expect("the moved offer's proof verifies");
    assert!(!bread.to_string().contains(a.base.as_str()), "{bread}");
    // The scope A gave P2 is A′'s.
    let p2_on_b = peer_view(&b, &b_admin, &p2.actor()).await.unwrap()["id"].clone();
    let scope = b
        .api(&format!("/api/v1/admin/peers/{p2_on_b}/scope"), &b_admin)
        .await;
    assert_eq!(scope["scope"]["purpose"], "shared catalogue", "{scope}");

    // Forged moves change nothing on a follower: one by another actor than
    // the one it moves (403), one to an actor that does not list A (422).
    let forged_move = |actor: &str, target: &str| {
        serde_json::to_vec(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/{}", actor.trim_end_matches("/actor"), uuid::Uuid::new_v4()),
            "type": "Move",
            "actor": actor,
            "object": a.actor(),
            "target": target,
        }))
        .unwrap()
    };
    let by_stranger = SignedPost::new(
        &p1.url("/inbox"),
        forged_move(&stub_actor, &b.actor()),
        &format!("{stub_actor}#main-key"),
        &key,
    )
    .send(&reqwest::Client::new())
    .await;
    assert_eq!(by_stranger.status(), 403);
    let unlisted = SignedPost::by_node(&a, &p1.url("/inbox"), forged_move(&a.actor(), &p2.actor()))
        .send(&reqwest::Client::new())
        .await;
    assert_eq!(unlisted.status(), 422, "{:?}", unlisted.text().await);
    wait_follow_state(&p1, &p1_admin, &a, "active").await;

    // Moving to a node that does not list A is refused, and changes
    // nothing: from the command line, and from the console.
    let (ok, output) = run_cli(&a.settings, &["move", "--to", p1.base.as_str()]);
    assert!(!ok && output.contains("alsoKnownAs"), "{output}");
    let session = sign_in(&a, &a_admin).await;
    for fields in [
        vec![("to", p1.base.as_str()), ("confirm", "yes")],
        vec![("to", b_url.as_str())],
    ] {
        let (status, location) = post_form(&a, &session, "/admin/settings/move", &fields).await;
        assert_eq!(status, 303);
        assert!(location.contains("error="), "{location}");
    }
    let (_, a_actor) = a.get_activity_json("/actor").await;
    assert!(a_actor.get("movedTo").is_none(), "{a_actor}");

    let (ok, output) = run_cli(&a.settings, &["move", "--to", &b_url]);
    assert!(ok, "{output}");
    assert!(output.contains("3 peer(s)"), "{output}");
    let (ok, output) = run_cli(&a.settings, &["move", "--to", &b_url]);
    assert!(!ok && output.contains("already"), "{output}");
    // The console reads the move within a second of the command's.
    let moved_to = format!("data-moved-to=\"{}\"", escaped(&b.actor()));
    eventually("the console to show the move", 10, || async {
        let settings = page(&a, &session.cookie, "/admin/settings").await.1;
        settings.contains(&moved_to).then_some(())
    })
    .await;

    // Both followers now follow A′, approved, and A's row is gone.
    for (follower, follower_admin) in [(&p1, &p1_admin), (&p2, &p2_admin)] {
        wait_follow_state(follower, follower_admin, &b, "active").await;
        assert!(
            peer_view(follower, follower_admin, &a.actor())
                .await
                .is_none()
        );
    }
    // P1 still has A′ as its approved follower: A′ follows P1 as A did.
    let b_on_p1 = peer_view(&p1, &p1_admin, &b.actor()).await.unwrap();
    assert_eq!(b_on_p1["follower"], "approved", "{b_on_p1}");
    let audit = p1.api("/api/v1/admin/audit", &p1_admin).await;
    assert!(audit.to_string().contains("peer.moved"), "{audit}");

    // Their catalogs hold A′'s ids and none of A's, with proofs that
    // verify (read again from A′).
    for (follower, token) in [(&p1, &p1_platform), (&p2, &p2_platform)] {
        eventually("the catalog under the new ids", 30, || async {
            let held = catalog(follower, token).await;
            let ids: Vec<&str> = held.iter().map(|(id, _)| id.as_str()).collect();
            (ids.len() == 2
                && ids.contains(&b.url("/offers/bread").as_str())
                && ids.contains(&b.url("/offers/apples").as_str()))
            .then_some(())
        })
        .await;
        let page = follower.api("/api/v1/catalog/offers", token).await;
        assert!(!page.to_string().contains(a.base.as_str()), "{page}");
        eventually("the catalog's copies verify", 30, || async {
            let page = follower.api("/api/v1/catalog/offers", token).await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|item| verify_with_actor(&b_actor, &item["object"]).is_ok())
                .then_some(())
        })
        .await;
    }

    // A′ gets each follower's receipt for what it holds under the new ids.
    let p1_on_b = peer_view(&b, &b_admin, &p1.actor()).await.unwrap()["id"].clone();
    eventually("P1's receipt on A′", 30, || async {
        let receipts = b
            .api(&format!("/api/v1/admin/peers/{p1_on_b}/receipts"), &b_admin)
            .await;
        receipts
            .to_string()
            .contains(&b.url("/offers/bread"))
            .then_some(())
    })
    .await;

    // New offers from A′ arrive.
    publish(&b, &b_platform, "pears", "Pears").await;
    wait_in_catalog(&p1, &p1_platform, &b.url("/offers/pears")).await;
    wait_in_catalog(&p2, &p2_platform, &b.url("/offers/pears")).await;

    // The stub got what Mastodon expects: a signed Move of A to A′, whose
    // actor lists A, while A's actor says movedTo.
    eventually("the stub's Move", 30, || async {
        stub.posted()
            .iter()
            .any(|(_, body)| body["type"] == "Move")
            .then_some(())
    })
    .await;
    let (headers, moved) = stub
        .posted()
        .into_iter()
        .find(|(_, body)| body["type"] == "Move")
        .unwrap();
    assert!(
        headers.contains_key("signature") || headers.contains_key("signature-input"),
        "{headers:?}"
    );
    assert_eq!(moved["actor"], a.actor());
    assert_eq!(moved["object"], a.actor());
    assert_eq!(moved["target"], b.actor());
    assert_eq!(moved["to"], json!([stub_actor]));
    let (_, a_actor) = a.get_activity_json("/actor").await;
    assert_eq!(a_actor["movedTo"], b.actor(), "{a_actor}");
    crate::jsonld::assert_terms_defined(&a, "the old actor", &a_actor);

    // The old address redirects to the new, and publishes nothing more.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(a.url("/offers/bread"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(
        response.headers()["location"],
        b.url("/offers/bread").as_str()
    );
    let refused = a
        .put_json("/api/v1/offers/more", &a_platform, &a.example("offer"))
        .await;
    assert_eq!(refused.status(), 409);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains(&b.actor()),
        "{problem}"
    );
}
