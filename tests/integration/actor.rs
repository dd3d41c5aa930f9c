//! The node's actor: its shape, its keys, and how it is negotiated.

use ed25519_dalek::{Signer, Verifier, VerifyingKey};
use passerelle::model::keys::decode_ed25519_multibase;
use rsa::pkcs1v15::{SigningKey, VerifyingKey as RsaVerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::SignatureEncoding;
use rsa::traits::PublicKeyParts;
use serde_json::Value;

use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(
    actor_has_the_organization_shape,
    actor_keys_are_the_nodes_keys,
    actor_is_negotiated,
    keys_survive_restart,
    html_escapes_platform_text,
);

async fn fetch_actor(node: &TestNode) -> Value {
    let response = node.get_accept("/actor", "application/activity+json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/activity+json"
    );
    response.json().await.unwrap()
}

async fn actor_has_the_organization_shape(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let actor = fetch_actor(&node).await;
    let id = node.url("/actor");
    assert_eq!(actor["id"], id);
    assert_eq!(actor["type"], "Organization");
    assert_eq!(actor["preferredUsername"], "foodhub");
    assert_eq!(actor["name"], "Food Hub Cooperative");
    assert_eq!(actor["summary"], "Short food chains for the valley.");
    assert_eq!(actor["inbox"], node.url("/inbox"));
    assert_eq!(actor["outbox"], node.url("/outbox"));
    assert_eq!(actor["followers"], node.url("/followers"));
    assert_eq!(actor["following"], node.url("/following"));
    assert_eq!(actor["endpoints"]["sharedInbox"], node.url("/inbox"));
    assert_eq!(actor["manuallyApprovesFollowers"], true);
    let contexts = actor["@context"].as_array().unwrap();
    assert!(contexts.contains(&"https://www.w3.org/ns/activitystreams".into()));
    assert!(contexts.contains(&"https://w3id.org/security/v1".into()));
    assert!(contexts.contains(&"https://w3id.org/security/data-integrity/v2".into()));

    assert_eq!(actor["publicKey"]["id"], format!("{id}#main-key"));
    assert_eq!(actor["publicKey"]["owner"], id);
    let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
    let rsa_key = rsa::RsaPublicKey::from_public_key_pem(pem).expect("RSA public key PEM");
    assert_eq!(rsa_key.size() * 8, 2048);

    let methods = actor["assertionMethod"].as_array().unwrap();
    assert_eq!(methods.len(), 1);
    let multikey = &methods[0];
    assert_eq!(multikey["id"], format!("{id}#ed25519-key"));
    assert_eq!(multikey["type"], "Multikey");
    assert_eq!(multikey["controller"], id);
    let encoded = multikey["publicKeyMultibase"].as_str().unwrap();
    assert!(encoded.starts_with("z6Mk"), "{encoded}");
    let bytes = decode_ed25519_multibase(encoded).expect("Ed25519 multikey");
    VerifyingKey::from_bytes(&bytes).expect("valid Ed25519 point");
    node.stop().await;
}

/// The published keys verify signatures made with the node's private keys.
async fn actor_keys_are_the_nodes_keys(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let actor = fetch_actor(&node).await;
    let message = b"Passerelle signs this";

    let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
    let public = rsa::RsaPublicKey::from_public_key_pem(pem).unwrap();
    let signer = SigningKey::<sha2::Sha256>::new(node.context.keys().rsa_private.clone());
    let signature = signer.sign(message);
    RsaVerifyingKey::<sha2::Sha256>::new(public)
        .verify(message, &signature)
        .expect("RSA signature verifies with the published key");
    assert!(!signature.to_vec().is_empty());

    let encoded = actor["assertionMethod"][0]["publicKeyMultibase"]
        .as_str()
        .unwrap();
    let public = VerifyingKey::from_bytes(&decode_ed25519_multibase(encoded).unwrap()).unwrap();
    let signature = node.context.keys().ed25519.sign(message);
    public
        .verify(message, &signature)
        .expect("Ed25519 signature verifies with the published key");
    node.stop().await;
}

async fn actor_is_negotiated(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let ld = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
    let response = node.get_accept("/actor", ld).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], ld);
    assert_eq!(response.headers()["vary"], "Accept");
    let actor: Value = response.json().await.unwrap();
    assert_eq!(actor["type"], "Organization");

    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let response = node.get_accept("/actor", browser).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("<h1>Food Hub Cooperative</h1>"), "{page}");
    assert!(page.contains(&format!("@foodhub@{}", node.base.authority())));

    // No Accept at all: the machine-readable form.
    let response = node.client.get(node.url("/actor")).send().await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/activity+json"
    );

    let response = node.get_accept("/actor", "image/png").await;
    assert_eq!(response.status(), 406);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    node.stop().await;
}

async fn keys_survive_restart(db: TestDatabase) {
    let first = TestNode::start(&db).await;
    let before = fetch_actor(&first).await;
    first.stop().await;
    let second = TestNode::start(&db).await;
    let after = fetch_actor(&second).await;
    assert_eq!(
        before["publicKey"]["publicKeyPem"],
        after["publicKey"]["publicKeyPem"]
    );
    assert_eq!(
        before["assertionMethod"][0]["publicKeyMultibase"],
        after["assertionMethod"][0]["publicKeyMultibase"]
    );
    second.stop().await;
}

async fn html_escapes_platform_text(db: TestDatabase) {
    let node = TestNode::start_with(&db.url, |s| {
        s.platform.name = "<script>alert('x')</script> & co".to_owned();
    })
    .await;
    let page = node
        .get_accept("/actor", "text/html")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
    node.stop().await;
}
