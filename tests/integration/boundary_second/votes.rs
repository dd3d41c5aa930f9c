//! Charter votes and draft answers from those who were not asked (issue
//! 24, items 1 and 5): a stub server hosting several actors, each with a
//! valid self-signed commitment to the charter, tries to stuff an
//! amendment's vote; a refused voter retries; a stranger answers a draft
//! it was never offered. The tally never counts more voters than the nodes
//! addressed, a refusal is kept once, and a stranger's answer leaves no
//! audit line.

use ed25519_dalek::SigningKey;
use passerelle::apub::proof::{ProofOptions, sign};
use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use passerelle::model::keys::encode_ed25519_multibase;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::amendments::{VOTE_SECONDS, commit_and_follow, open_amendment, the_amendment, vote};
use crate::mock_peer::{Documents, MockPeer, new_key};
use crate::on_both_backends;
use crate::rig::federation::{admin, node_named, request_follow, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually, metric_value};
use crate::signing::SignedPost;

on_both_backends!(votes_from_nodes_not_addressed_are_refused_and_never_counted);
on_both_backends!(a_refused_vote_sent_again_leaves_one_audit_row);
on_both_backends!(an_answer_to_a_draft_from_another_signer_leaves_no_audit_line);

const AS: &str = "https://www.w3.org/ns/activitystreams";

/// A stub server hosting `count` actors, each publishing a commitment to
/// `charter_version` that carries a valid proof by the actor's own key:
/// what an attacker who learnt an amendment's id can stand up.
struct Stuffer {
    peer: MockPeer,
    rsa: RsaPrivateKey,
    ed25519: Vec<SigningKey>,
}

impl Stuffer {
    async fn start(count: usize, charter_version: &str) -> Stuffer {
        let mut peer = MockPeer::bind().await;
        // One transport key for all (RSA keys are slow to make); each actor
        // has its own Ed25519 key for proofs.
        let rsa = new_key();
        let pem = rsa
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let mut documents = Documents::new();
        let mut ed25519 = Vec::new();
        for i in 0..count {
            let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
            let actor = peer.url(&format!("/actors/{i}"));
            let document = json!({
                "@context": [AS, "https://w3id.org/security/v1", "https://w3id.org/security/data-integrity/v2"],
                "id": actor, "type": "Organization", "preferredUsername": format!("stuffer{i}"),
                "inbox": format!("{actor}/inbox"), "outbox": format!("{actor}/outbox"),
                "publicKey": {"id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": pem},
                "assertionMethod": [{"id": format!("{actor}#ed25519-key"), "type": "Multikey",
                    "controller": actor,
                    "publicKeyMultibase": encode_ed25519_multibase(key.verifying_key().as_bytes())}],
                "commitments": format!("{actor}/commitments"),
            });
            let commitment = proved(
                &key,
                &actor,
                json!({"@context": [AS, "https://w3id.org/security/data-integrity/v2"],
                    "id": format!("{actor}/commitments/1"), "type": "CharterCommitment",
                    "attributedTo": actor, "charter": charter_version,
                    "published": "2026-01-01T00:00:00Z"}),
            );
            let collection = json!({"@context": AS, "id": format!("{actor}/commitments"),
                "type": "OrderedCollection", "totalItems": 1, "orderedItems": [commitment]});
            let json = "application/activity+json";
            documents.insert(format!("/actors/{i}"), (json, document.to_string()));
            documents.insert(
                format!("/actors/{i}/commitments"),
                (json, collection.to_string()),
            );
            ed25519.push(key);
        }
        peer.serve(documents);
        Stuffer { peer, rsa, ed25519 }
    }

    fn actor(&self, i: usize) -> String {
        self.peer.url(&format!("/actors/{i}"))
    }

    /// Actor `i` votes `choice` on `question` at `host`: a FEP-9967 `Note`
    /// with the actor's proof, in a `Create` signed at the transport.
    async fn vote(&self, host: &TestNode, i: usize, question: &str, choice: &str) -> u16 {
        let actor = self.actor(i);
        let n = uuid::Uuid::new_v4();
        let note = proved(
            &self.ed25519[i],
            &actor,
            json!({"@context": [AS, "https://w3id.org/security/data-integrity/v2"],
                "id": format!("{actor}/votes/{n}"), "type": "Note", "attributedTo": actor,
                "inReplyTo": question, "name": choice, "to": [host.actor()]}),
        );
        let create = json!({"@context": AS, "id": format!("{actor}/activities/{n}"),
            "type": "Create", "actor": actor, "object": note, "to": [host.actor()]});
        SignedPost::new(
            &host.url("/inbox"),
            serde_json::to_vec(&create).unwrap(),
            &format!("{actor}#main-key"),
            &self.rsa,
        )
        .send(&reqwest::Client::new())
        .await
        .status()
        .as_u16()
    }

    /// GETs of the actors' commitments: the host never needs to read a
    /// stranger's commitments to refuse its vote.
    fn commitment_reads(&self) -> usize {
        (0..self.ed25519.len())
            .map(|i| self.peer.hits("GET", &format!("/actors/{i}/commitments")))
            .sum()
    }
}

fn proved(key: &SigningKey, actor: &str, document: Value) -> Value {
    sign(
        &document,
        key,
        &ProofOptions {
            verification_method: &format!("{actor}#ed25519-key"),
            created: "2026-01-01T00:00:00Z",
        },
    )
    .unwrap()
}

/// `host` publishes its charter.
async fn publish_charter(host: &TestNode) {
    let platform = host.token(Scope::Platform).await;
    let response = host
        .put_json(
            "/api/v1/charters/pec-charter",
            &platform,
            &host.example("charter"),
        )
        .await;
    assert_eq!(response.status(), 201);
}

/// Three stub actors with valid self-signed commitments vote approve on an
/// amendment addressed to B alone, which votes reject: each is refused 403
/// (their commitments are not even read), the live and the final tally
/// count one voter of one eligible node, and the amendment is rejected.
async fn votes_from_nodes_not_addressed_are_refused_and_never_counted(db: TestDatabase) {
    let (a, a_db) = node_named(&db, "pec", |s| s.federation.admission = Admission::Open).await;
    let (b, _b_db) = node_named(&db, "foodhub", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    publish_charter(&a).await;
    commit_and_follow(&a, &b).await;
    let stuffer = Stuffer::start(3, &a.url("/charters/pec-charter/versions/1")).await;

    let opened = open_amendment(&a, &a_admin).await;
    assert_eq!(opened["tally"]["eligible"], 1, "{opened}");
    let question = opened["uri"].as_str().unwrap().to_owned();
    let id = opened["id"].clone();
    for i in 0..3 {
        assert_eq!(stuffer.vote(&a, i, &question, "approve").await, 403);
    }
    let on_b = the_amendment(&b, &b_admin).await;
    assert_eq!(
        vote(&b, &b_admin, &on_b["id"], "reject").await.status(),
        202
    );
    let live = eventually("the host to count B's vote", 20, || async {
        let view = a.api(&format!("/api/v1/amendments/{id}"), &a_admin).await;
        (view["tally"]["reject"] == 1).then_some(view)
    })
    .await;
    assert_eq!(live["tally"]["voters"], 1, "{live}");
    assert_eq!(live["tally"]["approve"], 0, "{live}");
    assert_eq!(live["tally"]["refused"], 3, "{live}");
    assert_eq!(stuffer.commitment_reads(), 0);
    assert_eq!(
        a_db.query_i64("SELECT COUNT(*) FROM amendment_votes").await,
        1
    );

    let closed = eventually("the tally", VOTE_SECONDS + 20, || async {
        let view = a.api(&format!("/api/v1/amendments/{id}"), &a_admin).await;
        (view["state"] == "closed").then_some(view)
    })
    .await;
    let tally = &closed["tally"];
    assert_eq!(closed["outcome"], "rejected", "{closed}");
    assert!(
        tally["voters"].as_u64() <= tally["eligible"].as_u64(),
        "{tally}"
    );
    assert_eq!(
        (tally["voters"].as_u64(), tally["eligible"].as_u64()),
        (Some(1), Some(1))
    );
    let (status, published) = a.get_activity_json(&question).await;
    assert_eq!(status, 200);
    assert_eq!(published["votersCount"], 1, "{published}");
    assert_eq!(published["oneOf"][0]["replies"]["totalItems"], 0);
    let (_, ballots) = a.get_activity_json(&format!("{question}/votes")).await;
    assert_eq!(ballots["totalItems"], 1, "{ballots}");
    // The member sees the same: one voter of one addressed node.
    let on_b = eventually("the result on B", 20, || async {
        let view = b
            .api(&format!("/api/v1/amendments/{}", on_b["id"]), &b_admin)
            .await;
        (view["state"] == "closed").then_some(view)
    })
    .await;
    assert_eq!(on_b["tally"]["voters"], 1, "{on_b}");
    assert_eq!(on_b["tally"]["eligible"], 1, "{on_b}");
    a.stop().await;
    b.stop().await;
}

/// A stranger's vote sent again and again, each time under new ids (as a
/// retrying or hostile sender does), is refused each time and counted in
/// the metric each time, but kept once: one refusal row, one audit line.
/// A vote is final: an addressed member cannot vote twice either.
async fn a_refused_vote_sent_again_leaves_one_audit_row(db: TestDatabase) {
    let (a, a_db) = node_named(&db, "pec", |s| s.federation.admission = Admission::Open).await;
    let (b, _b_db) = node_named(&db, "foodhub", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    publish_charter(&a).await;
    commit_and_follow(&a, &b).await;
    let stuffer = Stuffer::start(1, &a.url("/charters/pec-charter/versions/1")).await;
    let response = a
        .post_json(
            "/api/v1/amendments",
            &a_admin,
            &json!({"charter": "pec-charter", "summary": "Retries.",
                "proposed": crate::amendments::proposed(&a), "duration_seconds": 3600}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let opened: Value = response.json().await.unwrap();
    let question = opened["uri"].as_str().unwrap().to_owned();

    const ATTEMPTS: u64 = 5;
    for _ in 0..ATTEMPTS {
        assert_eq!(stuffer.vote(&a, 0, &question, "approve").await, 403);
    }
    let audit_rows = "SELECT COUNT(*) FROM audit_log WHERE action = 'amendment.vote_refused'";
    assert_eq!(a_db.query_i64(audit_rows).await, 1);
    assert_eq!(
        a_db.query_i64("SELECT COUNT(*) FROM amendment_refusals")
            .await,
        1
    );
    let metrics = a.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        metric_value(
            &metrics,
            "passerelle_amendment_votes_total{outcome=\"refused\"}"
        ),
        ATTEMPTS
    );

    // B votes once; its second vote is refused on B itself (409), as the
    // host would refuse it, and the host keeps the first.
    let on_b = the_amendment(&b, &b_admin).await;
    assert_eq!(
        vote(&b, &b_admin, &on_b["id"], "reject").await.status(),
        202
    );
    let again = vote(&b, &b_admin, &on_b["id"], "approve").await;
    assert_eq!(again.status(), 409);
    let id = opened["id"].clone();
    let view = eventually("the host to count B's vote", 20, || async {
        let view = a.api(&format!("/api/v1/amendments/{id}"), &a_admin).await;
        (view["tally"]["voters"] == 1).then_some(view)
    })
    .await;
    assert_eq!(view["tally"]["reject"], 1, "{view}");
    assert_eq!(view["tally"]["refused"], 1, "{view}");
    assert_eq!(a_db.query_i64(audit_rows).await, 1);
    a.stop().await;
    b.stop().await;
}

/// B offers a draft to A. A stub peer that B never offered anything (but
/// which signs its requests correctly) answers it `Accept`, naming B's
/// `Offer`: refused 403, and B's audit log holds no answer.
async fn an_answer_to_a_draft_from_another_signer_leaves_no_audit_line(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "pec", |s| s.federation.admission = Admission::Open).await;
    let (b, b_db) = node_named(&db, "foodhub", |_| {}).await;
    let b_admin = admin(&b).await;
    publish_charter(&a).await;
    request_follow(&b, &b_admin, &a.handle()).await;
    wait_follow_state(&b, &b_admin, &a, "active").await;
    let offered = b
        .post_json(
            "/api/v1/amendments/drafts",
            &b_admin,
            &json!({"amends": a.url("/charters/pec-charter/versions/1"),
                "summary": "Openness for all.", "proposed": crate::amendments::proposed(&a)}),
        )
        .await;
    assert_eq!(offered.status(), 202);
    let offer_id = offered.json::<Value>().await.unwrap()["offer"]
        .as_str()
        .unwrap()
        .to_owned();

    let key = new_key();
    let stranger = MockPeer::with_actor(&key, None).await;
    let actor = stranger.url("/actor");
    let answer = json!({"@context": AS, "id": stranger.url("/activities/accept-1"),
        "type": "Accept", "actor": actor, "to": [b.actor()],
        "result": stranger.url("/amendments/1"), "summary": "Written by a stranger",
        "object": {"id": offer_id, "type": "Offer", "actor": b.actor(),
            "object": {"id": b.url("/amendment-drafts/x"), "type": "CharterAmendment",
                "attributedTo": b.actor(), "amends": a.url("/charters/pec-charter/versions/1"),
                "proposedVersion": crate::amendments::proposed(&a), "summary": "Forged"}}});
    let status = SignedPost::new(
        &b.url("/inbox"),
        serde_json::to_vec(&answer).unwrap(),
        &format!("{actor}#main-key"),
        &key,
    )
    .send(&reqwest::Client::new())
    .await
    .status();
    assert_eq!(status, 403);
    let answers = "SELECT COUNT(*) FROM audit_log \
        WHERE action IN ('amendment.draft_accepted', 'amendment.draft_rejected')";
    assert_eq!(b_db.query_i64(answers).await, 0);
    assert_eq!(
        b_db.query_i64("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%stranger%'")
            .await,
        0
    );
    a.stop().await;
    b.stop().await;
}
