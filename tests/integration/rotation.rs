//! Rotating the Ed25519 proof key (`passerelle keys rotate --ed25519`): what the old key signed still verifies, what the new key signs reaches followers (who refetch the actor when a proof names a method they lack), and proofs by the old key dated after the rotation, or by a key the actor never listed, are refused.

use passerelle::apub::peer::Peer;
use passerelle::apub::proof::{self, ProofOptions};
use passerelle::apub::verification::verify_with_actor;
use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, catalog_names, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually};
use crate::signing::SignedPost;

on_both_backends!(ed25519_rotation_keeps_old_proofs_and_followers);

fn run_cli(settings: &passerelle::Settings, args: &[&str]) -> (bool, String) {
    crate::rig::run_as(settings, args)
}

fn offer(node: &TestNode, name: &str) -> Value {
    let mut offer = node.example("offer");
    offer["name"] = json!(name);
    offer
}

async fn wait_in_catalog(node: &TestNode, token: &str, name: &str) {
    eventually(&format!("{name} in the follower's catalog"), 20, || async {
        catalog_names(node, token, "offers")
            .await
            .iter()
            .any(|held| held == name)
            .then_some(())
    })
    .await;
}

/// `object` signed by `key` under `method`, made at `created`.
fn signed(object: &Value, key: &ed25519_dalek::SigningKey, method: &str, created: &str) -> Value {
    proof::sign(
        object,
        key,
        &ProofOptions {
            verification_method: method,
            created,
        },
    )
    .unwrap()
}

/// Two nodes, A following B (whose admission is open), with their tokens.
struct Pair {
    a: TestNode,
    b: TestNode,
    b_admin: String,
    a_platform: String,
    b_platform: String,
    _dbs: (TestDatabase, TestDatabase),
}

impl Pair {
    async fn following(db: &TestDatabase) -> Pair {
        let (a, a_db) = node_named(db, "foodhub", |_| {}).await;
        let (b, b_db) =
            node_named(db, "velocoop", |s| s.federation.admission = Admission::Open).await;
        let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
        ask_to_follow(&a, &a_admin, &b, &b_admin).await;
        wait_follow_state(&a, &a_admin, &b, "active").await;
        Pair {
            a_platform: a.token(Scope::Platform).await,
            b_platform: b.token(Scope::Platform).await,
            a,
            b,
            b_admin,
            _dbs: (a_db, b_db),
        }
    }
}

async fn ed25519_rotation_keeps_old_proofs_and_followers(db: TestDatabase) {
    let Pair {
        a,
        b,
        b_admin,
        a_platform,
        b_platform,
        _dbs,
    } = Pair::following(&db).await;

    b.put_json("/api/v1/offers/before", &b_platform, &offer(&b, "Before"))
        .await;
    wait_in_catalog(&a, &a_platform, "Before").await;
    let old_key = b.context.keys().ed25519.clone();
    let old_actor = b.get_activity_json("/actor").await.1;
    let old_method = format!("{}#ed25519-key", b.actor());

    let b_settings = b.settings.clone();
    b.stop().await;
    let (ok, output) = run_cli(&b_settings, &["keys", "rotate", "--ed25519"]);
    assert!(ok, "{output}");
    assert!(output.contains("#ed25519-key-2"), "{output}");
    assert!(output.contains("1 peer(s)"), "{output}");
    let b = TestNode::start_on(b_settings).await;
    let new_method = format!("{}#ed25519-key-2", b.actor());

    // The actor lists the new key first, the old one revoked.
    let actor = b.get_activity_json("/actor").await.1;
    let methods = actor["assertionMethod"].as_array().unwrap();
    assert_eq!(methods.len(), 2, "{actor}");
    assert_eq!(methods[0]["id"], new_method.as_str());
    assert!(methods[0].get("revoked").is_none(), "{actor}");
    assert_eq!(methods[1]["id"], old_method.as_str());
    let revoked = methods[1]["revoked"].as_str().unwrap().to_owned();
    assert_ne!(
        methods[0]["publicKeyMultibase"],
        methods[1]["publicKeyMultibase"]
    );
    // `revoked` is a term of the Multikey context the actor already cites.
    crate::jsonld::assert_terms_defined(&b, "the rotated actor", &actor);
    let audit = b.api("/api/v1/admin/audit", &b_admin).await;
    assert_eq!(audit["items"][0]["action"], "keys.rotated", "{audit}");

    b.put_json("/api/v1/offers/after", &b_platform, &offer(&b, "After"))
        .await;
    // Both verify at their URLs: fetched here, and with `passerelle verify`.
    let before = b.get_activity_json("/offers/before").await.1;
    let after = b.get_activity_json("/offers/after").await.1;
    assert_eq!(before["proof"]["verificationMethod"], old_method.as_str());
    assert_eq!(after["proof"]["verificationMethod"], new_method.as_str());
    verify_with_actor(&actor, &before).unwrap();
    verify_with_actor(&actor, &after).unwrap();
    for (path, method) in [
        ("/offers/before", &old_method),
        ("/offers/after", &new_method),
    ] {
        let (ok, output) = run_cli(
            &b.settings,
            &["verify", &b.url(path), "--allow-private-addresses"],
        );
        assert!(ok, "{path}: {output}");
        assert!(output.contains(&format!("signed by {method}")), "{output}");
    }
    // The follower receives and keeps what the new key signs.
    wait_in_catalog(&a, &a_platform, "After").await;

    // The old key signs nothing new: a proof it made after the rotation is
    // refused, one it made before still verifies.
    let object = offer(&b, "Backdated");
    let late = signed(&object, &old_key, &old_method, "2999-01-01T00:00:00Z");
    let error = verify_with_actor(&actor, &late).unwrap_err().to_string();
    assert!(error.contains("revoked"), "{error}");
    let early = signed(&object, &old_key, &old_method, "2020-01-01T00:00:00Z");
    verify_with_actor(&actor, &early).unwrap();
    assert!(
        passerelle::model::time::parse_millis(&revoked).is_some(),
        "{revoked}"
    );

    // A follower that still holds B's actor from before the rotation meets
    // the new method in an object's proof: it refetches B's actor and
    // accepts the object.
    Peer::store(old_actor, None, &a.context).await.unwrap();
    let client = reqwest::Client::new();
    let send = |object: Value| {
        let activity = json!({"id": b.url(&format!("/activities/{}", uuid::Uuid::new_v4())),
            "type": "Create", "actor": b.actor(), "object": object});
        SignedPost::new(
            &a.url("/inbox"),
            serde_json::to_vec(&activity).unwrap(),
            &format!("{}#main-key", b.actor()),
            &b.context.keys().rsa_private,
        )
    };
    let mut fresh = after.clone();
    fresh["name"] = json!("Refetched");
    fresh["id"] = json!(b.url("/offers/refetched"));
    fresh["updated"] = json!("2026-06-01T00:00:00Z");
    let fresh = signed(
        &fresh,
        &b.context.keys().ed25519,
        &new_method,
        "2026-06-01T00:00:00Z",
    );
    let status = send(fresh).send(&client).await.status();
    assert!(status.is_success(), "{status}");
    wait_in_catalog(&a, &a_platform, "Refetched").await;
    let stored = a
        .context
        .store
        .peer_by_uri(&b.actor())
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.actor_json.contains("ed25519-key-2"),
        "the refetched actor is stored"
    );

    // A proof by a key B's actor never listed is refused, and nothing is
    // stored.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let mut forged = after.clone();
    forged["name"] = json!("Forged");
    forged["id"] = json!(b.url("/offers/forged"));
    let forged = signed(
        &forged,
        &stranger,
        &format!("{}#ed25519-key-9", b.actor()),
        "2026-06-01T00:00:00Z",
    );
    assert_eq!(send(forged).send(&client).await.status(), 422);
    // And so is a proof by the old key made after the rotation.
    let mut backdated = after.clone();
    backdated["name"] = json!("Late");
    backdated["id"] = json!(b.url("/offers/late"));
    let backdated = signed(&backdated, &old_key, &old_method, "2999-01-01T00:00:00Z");
    assert_eq!(send(backdated).send(&client).await.status(), 422);
    let names = catalog_names(&a, &a_platform, "offers").await;
    assert!(
        !names.iter().any(|n| n == "Forged" || n == "Late"),
        "{names:?}"
    );
    a.stop().await;
    b.stop().await;
}

on_both_backends!(the_console_rotates_the_proof_key_of_the_running_node);

/// The console's Keys form rotates the Ed25519 key of the running node: it
/// signs the next object at once, without a restart, and a follower keeps
/// receiving; a form without its confirmation, or naming no key of the
/// node's, changes nothing.
async fn the_console_rotates_the_proof_key_of_the_running_node(db: TestDatabase) {
    use crate::admin_pages::post_form;
    use crate::console::{page, sign_in};

    let Pair {
        a,
        b,
        b_admin,
        a_platform,
        b_platform,
        _dbs,
    } = Pair::following(&db).await;
    let session = sign_in(&b, &b_admin).await;

    for fields in [
        vec![("key", "ed25519")],
        vec![("key", "dsa"), ("confirm", "yes")],
    ] {
        let (status, location) = post_form(&b, &session, "/admin/settings/keys", &fields).await;
        assert_eq!(status, 303);
        assert!(location.contains("error="), "{location}");
    }
    let actor = b.get_activity_json("/actor").await.1;
    assert_eq!(
        actor["assertionMethod"].as_array().unwrap().len(),
        1,
        "{actor}"
    );

    let (status, location) = post_form(
        &b,
        &session,
        "/admin/settings/keys",
        &[("key", "ed25519"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.contains("done=key_rotated"), "{location}");
    let settings = page(&b, &session.cookie, "/admin/settings").await.1;
    assert!(
        settings.contains("data-proof-key=\"ed25519-key-2\""),
        "{settings}"
    );
    let new_method = format!("{}#ed25519-key-2", b.actor());
    let actor = b.get_activity_json("/actor").await.1;
    assert_eq!(
        actor["assertionMethod"][0]["id"],
        new_method.as_str(),
        "{actor}"
    );
    let audit = b.api("/api/v1/admin/audit", &b_admin).await;
    assert_eq!(audit["items"][0]["action"], "keys.rotated", "{audit}");

    // The running node signs with the new key at once, and the follower
    // keeps what it signs.
    b.put_json("/api/v1/offers/after", &b_platform, &offer(&b, "After"))
        .await;
    let after = b.get_activity_json("/offers/after").await.1;
    assert_eq!(after["proof"]["verificationMethod"], new_method.as_str());
    verify_with_actor(&actor, &after).unwrap();
    wait_in_catalog(&a, &a_platform, "After").await;
}
