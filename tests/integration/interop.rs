//! What other servers send, as they send it: key ids of every common form
//! (a fragment, a path of its own as GoToSocial publishes, a key document
//! naming its owner, several keys on one actor), RFC 9421 signatures, and
//! the shapes eight servers send.

use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::mock_peer::{Documents, MockPeer, follow, new_key};
use crate::on_both_backends;
use crate::rig::federation::{
    admin, approve_follower, ask_to_follow, node_named, wait_follow_state,
};
use crate::rig::{TestDatabase, TestNode};
use crate::signing::{MessageKey, MessagePost, SignedPost};

on_both_backends!(
    key_ids_of_every_common_form_are_accepted,
    keys_that_are_not_the_actors_are_refused
);

fn pem(key: &RsaPrivateKey) -> String {
    key.to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

fn json_document(value: &Value) -> (&'static str, String) {
    ("application/activity+json", value.to_string())
}

/// A peer at `/actor` publishing `keys` (id, key) under `publicKey` (an
/// object for one, an array for several), plus `extra` documents.
fn peer_serving(peer: &mut MockPeer, keys: &[(String, &RsaPrivateKey)], extra: Vec<(&str, Value)>) {
    let actor = peer.url("/actor");
    let listed: Vec<Value> = keys
        .iter()
        .map(|(id, key)| json!({"id": id, "owner": actor, "publicKeyPem": pem(key)}))
        .collect();
    let public_key = if listed.len() == 1 {
        listed[0].clone()
    } else {
        Value::Array(listed)
    };
    let mut documents = Documents::new();
    documents.insert(
        "/actor".into(),
        json_document(&json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor, "type": "Person", "preferredUsername": "someone",
            "inbox": peer.url("/inbox"), "outbox": peer.url("/outbox"),
            "publicKey": public_key,
        })),
    );
    for (path, document) in extra {
        documents.insert(path.into(), json_document(&document));
    }
    peer.serve(documents);
}

async fn follow_with(node: &TestNode, peer: &MockPeer, key_id: &str, key: &RsaPrivateKey) -> u16 {
    follow_signed(node, &peer.url("/actor"), key_id, key).await
}

/// A `Follow` of `node` by `actor`, posted to its inbox signed (draft-cavage)
/// under `key_id`; the answer's status.
pub(crate) async fn follow_signed(
    node: &TestNode,
    actor: &str,
    key_id: &str,
    key: &RsaPrivateKey,
) -> u16 {
    SignedPost::new(
        &node.url("/inbox"),
        follow(actor, &node.actor()),
        key_id,
        key,
    )
    .send(&reqwest::Client::new())
    .await
    .status()
    .as_u16()
}

async fn requests(node: &TestNode, admin: &str) -> usize {
    node.api("/api/v1/admin/follow-requests?state=all", admin)
        .await
        .as_array()
        .unwrap()
        .len()
}

async fn key_ids_of_every_common_form_are_accepted(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(passerelle::domain::tokens::Scope::Admin).await;

    // GoToSocial: the key at a path of its own, served there as a stub
    // of the actor.
    let key = new_key();
    let mut gotosocial = MockPeer::bind().await;
    let key_id = gotosocial.url("/actor/main-key");
    let stub = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": gotosocial.url("/actor"), "type": "Person",
        "publicKey": {"id": key_id, "owner": gotosocial.url("/actor"), "publicKeyPem": pem(&key)},
    });
    peer_serving(
        &mut gotosocial,
        &[(key_id.clone(), &key)],
        vec![("/actor/main-key", stub)],
    );
    assert_eq!(follow_with(&node, &gotosocial, &key_id, &key).await, 202);
    assert_eq!(requests(&node, &admin).await, 1);

    // Several keys on one actor: signed with the second.
    let (first, second) = (new_key(), new_key());
    let mut two_keys = MockPeer::bind().await;
    let (first_id, second_id) = (
        two_keys.url("/actor#main-key"),
        two_keys.url("/actor#second-key"),
    );
    peer_serving(
        &mut two_keys,
        &[(first_id, &first), (second_id.clone(), &second)],
        vec![],
    );
    assert_eq!(
        follow_with(&node, &two_keys, &second_id, &second).await,
        202
    );
    assert_eq!(requests(&node, &admin).await, 2);

    // A key document of its own, not listed on the actor, naming the
    // actor as its owner.
    let (listed, separate) = (new_key(), new_key());
    let mut key_document = MockPeer::bind().await;
    let separate_id = key_document.url("/keys/1");
    let document = json!({
        "@context": "https://w3id.org/security/v1",
        "id": separate_id, "type": "Key", "owner": key_document.url("/actor"),
        "publicKeyPem": pem(&separate),
    });
    let listed_id = key_document.url("/actor#main-key");
    peer_serving(
        &mut key_document,
        &[(listed_id, &listed)],
        vec![("/keys/1", document)],
    );
    assert_eq!(
        follow_with(&node, &key_document, &separate_id, &separate).await,
        202
    );
    assert_eq!(requests(&node, &admin).await, 3);
    node.stop().await;
}

async fn keys_that_are_not_the_actors_are_refused(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(passerelle::domain::tokens::Scope::Admin).await;
    let (actors, strangers) = (new_key(), new_key());
    let mut peer = MockPeer::bind().await;
    let foreign = json!({
        "id": peer.url("/keys/foreign"), "type": "Key", "owner": peer.url("/someone-else"),
        "publicKeyPem": pem(&strangers),
    });
    let main_id = peer.url("/actor#main-key");
    peer_serving(
        &mut peer,
        &[(main_id, &actors)],
        vec![("/keys/foreign", foreign)],
    );
    // A key document naming another owner.
    assert_eq!(
        follow_with(&node, &peer, &peer.url("/keys/foreign"), &strangers).await,
        401
    );
    // A key id the actor lists, signed with another key.
    assert_eq!(
        follow_with(&node, &peer, &peer.url("/actor#main-key"), &strangers).await,
        401
    );
    // A key on another origin than the actor.
    let elsewhere = MockPeer::bind().await;
    assert_eq!(
        follow_with(&node, &peer, &elsewhere.url("/actor#main-key"), &actors).await,
        401
    );
    assert_eq!(requests(&node, &admin).await, 0);
    node.stop().await;
}

on_both_backends!(the_shapes_other_servers_send_are_understood_or_ignored);

/// Every server's fixtures (`tests/fixtures/peers/`): its actors served by
/// a stand-in peer, each activity signed with its actor's key as the server
/// names it, posted to the inbox: 202 for each, never a refusal of its
/// shape, never a 5xx.
async fn the_shapes_other_servers_send_are_understood_or_ignored(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let key = new_key();
    let pem_in_json = serde_json::to_string(&pem(&key)).unwrap();
    let pem_in_json = pem_in_json.trim_matches('"');
    let root = format!("{}/tests/fixtures/peers", env!("CARGO_MANIFEST_DIR"));
    let mut servers: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    servers.sort();
    assert_eq!(servers.len(), 8, "one folder per server");
    let client = reqwest::Client::new();
    for server in servers {
        let name = server.file_name().unwrap().to_string_lossy().into_owned();
        let mut peer = MockPeer::bind().await;
        let origin = format!("https://{name}.example");
        let node_origin = node.url("");
        let base = peer.base.clone();
        let rewrite = |text: &str| {
            text.replace(&origin, &base)
                .replace("https://node.example/", &node_origin)
                .replace("{{PUBLIC_KEY_PEM}}", pem_in_json)
        };
        let mut files: Vec<_> = std::fs::read_dir(&server)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        let (actors, activities): (Vec<_>, Vec<_>) = files.into_iter().partition(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("actor")
        });
        // Each actor served at its path; its key as the node will read it.
        let mut documents = Documents::new();
        let mut key_ids = std::collections::HashMap::new();
        for path in &actors {
            let text = rewrite(&std::fs::read_to_string(path).unwrap());
            let actor: Value = serde_json::from_str(&text).unwrap();
            let fields = passerelle::apub::peer::ActorFields::parse(&actor)
                .unwrap_or_else(|e| panic!("{name}: {}: {e}", path.display()));
            assert_eq!(fields.main_key().public_key_pem, pem(&key), "{name}");
            let id = url::Url::parse(actor["id"].as_str().unwrap()).unwrap();
            key_ids.insert(id.to_string(), fields.main_key().id.to_string());
            documents.insert(id.path().to_owned(), ("application/activity+json", text));
        }
        peer.serve(documents);
        assert!(!activities.is_empty(), "{name} has activities");
        for path in activities {
            let body = rewrite(&std::fs::read_to_string(&path).unwrap());
            let activity: Value = serde_json::from_str(&body).unwrap();
            let key_id = &key_ids[activity["actor"].as_str().unwrap()];
            let response =
                SignedPost::new(&node.url("/inbox"), body.clone().into_bytes(), key_id, &key)
                    .send(&client)
                    .await;
            let status = response.status();
            let answer = response.text().await.unwrap();
            assert_eq!(
                status,
                202,
                "{name}/{}: {answer}",
                path.file_name().unwrap().to_string_lossy()
            );
        }
    }
    // Understood, not only acknowledged: each Follow left a request, but
    // those its server undid (Mastodon, GoToSocial, Lemmy).
    let admin = node.token(passerelle::domain::tokens::Scope::Admin).await;
    let mut requesters: Vec<String> = node
        .api("/api/v1/admin/follow-requests?state=all", &admin)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["peer"]["handle"]
                .as_str()
                .unwrap()
                .trim_start_matches('@')
                .split('@')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    requesters.sort();
    assert_eq!(requesters, ["carol", "dave", "frank", "grace", "heidi"]);
    node.stop().await;
}

on_both_backends!(
    rfc_9421_signatures_are_accepted,
    rfc_9421_signatures_that_do_not_hold_are_refused
);

const FULL: &[&str] = &["@method", "@target-uri", "content-digest", "content-type"];

/// RFC 9421 requests, as Fedify sends them first: with an RSA key
/// (`rsa-v1_5-sha256`, `rsa-pss-sha512`) and with an Ed25519 Multikey
/// listed under `assertionMethod`, covering `@target-uri` or `@authority`
/// with `@path`.
async fn rfc_9421_signatures_are_accepted(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(passerelle::domain::tokens::Scope::Admin).await;
    let client = reqwest::Client::new();
    let rsa = new_key();
    let ed25519 = ed25519_dalek::SigningKey::generate(&mut rand::thread_rng());
    let cases: [(MessageKey, &[&str], &str); 4] = [
        (MessageKey::RsaV15(&rsa), FULL, "#main-key"),
        (MessageKey::RsaPss(&rsa), FULL, "#main-key"),
        (MessageKey::Ed25519(&ed25519), FULL, "#ed25519-key"),
        (
            MessageKey::RsaV15(&rsa),
            &["@method", "@authority", "@path", "content-digest"],
            "#main-key",
        ),
    ];
    for (n, (key, components, fragment)) in cases.into_iter().enumerate() {
        let mut peer = MockPeer::bind().await;
        let actor = peer.url("/actor");
        let mut documents = Documents::new();
        documents.insert(
            "/actor".into(),
            json_document(&json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": actor, "type": "Person", "preferredUsername": format!("signer{n}"),
                "inbox": peer.url("/inbox"),
                "publicKey": {"id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": pem(&rsa)},
                "assertionMethod": [{
                    "id": format!("{actor}#ed25519-key"), "type": "Multikey", "controller": actor,
                    "publicKeyMultibase": passerelle::model::keys::encode_ed25519_multibase(
                        ed25519.verifying_key().as_bytes()
                    ),
                }],
            })),
        );
        peer.serve(documents);
        let post = MessagePost {
            url: url::Url::parse(&node.url("/inbox")).unwrap(),
            body: follow(&actor, &node.actor()),
            key_id: format!("{actor}{fragment}"),
            key,
            components,
            digest_of: None,
        };
        let response = post.send(&client).await;
        assert_eq!(
            response.status(),
            202,
            "case {n}: {:?}",
            response.text().await
        );
        assert_eq!(requests(&node, &admin).await, n + 1);
    }
    node.stop().await;
}

/// RFC 9421 requests that do not hold: another key, a body that is not the
/// one digested, a signature that leaves the digest or the target out.
async fn rfc_9421_signatures_that_do_not_hold_are_refused(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(passerelle::domain::tokens::Scope::Admin).await;
    let client = reqwest::Client::new();
    let (key, stranger) = (new_key(), new_key());
    let mut peer = MockPeer::bind().await;
    let main_id = peer.url("/actor#main-key");
    peer_serving(&mut peer, &[(main_id.clone(), &key)], vec![]);
    let actor = peer.url("/actor");
    let inbox = url::Url::parse(&node.url("/inbox")).unwrap();
    let post = |key, components| MessagePost {
        url: inbox.clone(),
        body: follow(&actor, &node.actor()),
        key_id: main_id.clone(),
        key,
        components,
        digest_of: None,
    };
    let wrong_key = post(MessageKey::RsaV15(&stranger), FULL)
        .send(&client)
        .await;
    assert_eq!(wrong_key.status(), 401);
    let no_digest = post(MessageKey::RsaV15(&key), &["@method", "@target-uri"])
        .send(&client)
        .await;
    assert_eq!(no_digest.status(), 401);
    let no_target = post(MessageKey::RsaV15(&key), &["@method", "content-digest"])
        .send(&client)
        .await;
    assert_eq!(no_target.status(), 401);
    // Signed with the digest of another body.
    let tampered = MessagePost {
        digest_of: Some(b"{}".to_vec()),
        ..post(MessageKey::RsaV15(&key), FULL)
    };
    assert_eq!(tampered.send(&client).await.status(), 400);
    assert_eq!(requests(&node, &admin).await, 0);
    node.stop().await;
}

on_both_backends!(
    an_accept_signature_challenge_is_answered,
    passerelle_nodes_sign_each_other_with_ed25519,
    a_server_that_refuses_rfc_9421_is_knocked_twice_then_remembered,
    a_server_that_accepts_rfc_9421_gets_it_first,
);

async fn verified(node: &TestNode, scheme: &str) -> u64 {
    crate::rig::metric_value(
        &node.get("/metrics").await.text().await.unwrap(),
        &format!(r#"passerelle_verified_signatures_total{{scheme="{scheme}"}}"#),
    )
}

/// Two nodes see from each other's actor (FEP-844e `implements`) that
/// both verify RFC 9421 with Ed25519, and sign their deliveries so.
async fn passerelle_nodes_sign_each_other_with_ed25519(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |_| {}).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = passerelle::config::Admission::Open
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let (_, actor) = a.get_activity_json("/actor").await;
    assert!(
        actor["implements"].to_string().contains("rfc9421"),
        "{actor}"
    );
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    let platform = b.token(passerelle::domain::tokens::Scope::Platform).await;
    b.put_json("/api/v1/offers/jam", &platform, &b.example("offer"))
        .await;
    b.wait_until_delivered().await;
    a.wait_until_delivered().await;
    // B got A's Follow; A got B's Accept and its Create.
    assert!(verified(&b, "rfc9421-ed25519").await >= 1);
    assert!(verified(&a, "rfc9421-ed25519").await >= 2);
    // Nothing between them needed draft-cavage: deliveries are signed with
    // Ed25519, the backfill's signed reads with RFC 9421.
    assert_eq!(verified(&a, "cavage").await, 0);
    assert_eq!(verified(&b, "cavage").await, 0);
    // A, B's follower, reads a followers-only offer of B's by a signed GET,
    // signed as its deliveries to B were: RFC 9421 with Ed25519.
    let before = verified(&b, "rfc9421-ed25519").await;
    let mut private = b.example("offer");
    private["audience"] = json!("followers");
    let put = b
        .put_json("/api/v1/offers/private", &platform, &private)
        .await;
    assert!(put.status().is_success());
    let url = url::Url::parse(&b.url("/offers/private")).unwrap();
    let document = passerelle::apub::fetch::fetch_signed(&a.state, &url)
        .await
        .unwrap();
    assert_eq!(document["id"], url.as_str());
    assert_eq!(verified(&b, "rfc9421-ed25519").await, before + 1);
    a.stop().await;
    b.stop().await;
}

/// A follower that knows only draft-cavage answers 401 to the first
/// knock (RFC 9421): the node knocks again with draft-cavage, which is
/// accepted, and sends only that to it afterwards.
async fn a_server_that_refuses_rfc_9421_is_knocked_twice_then_remembered(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(passerelle::domain::tokens::Scope::Admin).await;
    let key = new_key();
    let mut peer = MockPeer::bind().await;
    peer.refuse_rfc9421 = true;
    let actor = crate::mock_peer::actor_document(&peer, &key, None);
    let mut documents = Documents::new();
    documents.insert("/actor".into(), ("application/activity+json", actor));
    peer.serve(documents);
    approve_follower(&node, &admin, &peer.url("/actor"), &key).await;
    let platform = node
        .token(passerelle::domain::tokens::Scope::Platform)
        .await;
    for id in ["one", "two"] {
        node.put_json(
            &format!("/api/v1/offers/{id}"),
            &platform,
            &node.example("offer"),
        )
        .await;
    }
    node.wait_until_delivered().await;
    // The Accept and two Creates: four POSTs, one of them refused.
    assert_eq!(peer.hits("POST", "/inbox"), 4);
    assert_eq!(peer.rfc9421_posts(), 1);
    node.stop().await;
}

/// A server that accepts RFC 9421 is sent nothing else.
async fn a_server_that_accepts_rfc_9421_gets_it_first(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(passerelle::domain::tokens::Scope::Admin).await;
    let key = new_key();
    let peer = MockPeer::with_actor(&key, None).await;
    approve_follower(&node, &admin, &peer.url("/actor"), &key).await;
    let platform = node
        .token(passerelle::domain::tokens::Scope::Platform)
        .await;
    node.put_json("/api/v1/offers/one", &platform, &node.example("offer"))
        .await;
    node.wait_until_delivered().await;
    assert_eq!(peer.hits("POST", "/inbox"), 2);
    assert_eq!(peer.rfc9421_posts(), 2);
    node.stop().await;
}

/// A follower that answers 401 with an `Accept-Signature` challenge (cover
/// `date` too, sign with Ed25519) gets a request signed as it asked.
async fn an_accept_signature_challenge_is_answered(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(passerelle::domain::tokens::Scope::Admin).await;
    let key = new_key();
    let mut peer = MockPeer::bind().await;
    peer.accept_signature =
        Some(r#"sig1=("@method" "@target-uri" "content-digest" "date");alg="ed25519""#);
    let actor = crate::mock_peer::actor_document(&peer, &key, None);
    let mut documents = Documents::new();
    documents.insert("/actor".into(), ("application/activity+json", actor));
    peer.serve(documents);
    approve_follower(&node, &admin, &peer.url("/actor"), &key).await;
    node.wait_until_delivered().await;
    let answers = peer.challenge_answers();
    assert_eq!(answers.len(), 1, "the Accept, answered once");
    assert!(answers[0].contains("alg=\"ed25519\""), "{answers:?}");
    assert!(answers[0].contains("#ed25519-key"), "{answers:?}");
    node.stop().await;
}
