//! A scope per peer (issue 26, part 1): what each follower receives of
//! ours, enforced on deliveries, backfill and signed reads; narrowing it
//! withdraws what the peer may no longer hold.

use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use reqwest::header::{COOKIE, LOCATION};

use crate::console::{client, page, sign_in};
use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, catalog_names, node_named, wait_follow_state};
use crate::rig::{TestDatabase, TestNode, eventually};
use crate::signing::SignedPost;

on_both_backends!(a_scope_per_peer, scope_from_the_api_and_the_console);

const VEGETABLES: &str = "https://www.wikidata.org/wiki/Q11004";
const BREAD: &str = "https://www.wikidata.org/wiki/Q7802";

fn offer(node: &TestNode, name: &str, category: &str) -> Value {
    let mut offer = node.example("offer");
    offer["name"] = json!(name);
    offer["resource"]["conformsTo"] = json!(category);
    offer
}

/// `node`'s row id for the peer `other`.
async fn peer_id(node: &TestNode, token: &str, other: &TestNode) -> i64 {
    let peers = node.api("/api/v1/admin/peers", token).await;
    peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["actor"] == other.actor())
        .and_then(|p| p["id"].as_i64())
        .expect("the peer is known")
}

async fn put_scope(node: &TestNode, token: &str, peer: i64, scope: &Value) -> reqwest::Response {
    node.put_json(&format!("/api/v1/admin/peers/{peer}/scope"), token, scope)
        .await
}

/// A GET of `path` on `origin`, signed by `reader`.
async fn signed_get(reader: &TestNode, origin: &TestNode, path: &str) -> reqwest::Response {
    SignedPost::get(
        &origin.url(path),
        &format!("{}#main-key", reader.actor()),
        &reader.context.keys().rsa_private,
    )
    .send(&reqwest::Client::new())
    .await
}

/// What `peer` last received of each of `node`'s objects: (name of the
/// object's URI tail, activity type).
async fn ledger(node: &TestNode, token: &str, peer: i64) -> Vec<(String, String)> {
    let received = node
        .api(&format!("/api/v1/admin/peers/{peer}/received"), token)
        .await;
    let mut rows: Vec<(String, String)> = received
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let object = r["object"].as_str().unwrap();
            let tail = object.rsplit('/').next().unwrap().to_owned();
            (tail, r["activity"].as_str().unwrap().to_owned())
        })
        .collect();
    rows.sort();
    rows
}

/// The three nodes of the test: A shares, B (scoped) and C (default) follow.
struct Three {
    a: TestNode,
    b: TestNode,
    c: TestNode,
    a_admin: String,
    a_platform: String,
    b_platform: String,
    c_platform: String,
    /// B's peer id on A.
    b_id: i64,
}

/// B is scoped to offers: it never gets a member (deliveries, backfill,
/// signed reads), C with the default gets everything; a category scope
/// narrows offers, and narrowing withdraws what B held.
async fn a_scope_per_peer(db: TestDatabase) {
    let (t, _databases) = three_nodes(&db).await;
    offers_only(&t).await;
    narrowed_then_widened(&t).await;
    switched_to_members(&t).await;
    for node in [t.a, t.b, t.c] {
        node.stop().await;
    }
}

/// A publishes a first offer, a member and a charter; B and C ask to
/// follow, A scopes B to offers, then approves both.
async fn three_nodes(db: &TestDatabase) -> (Three, Vec<TestDatabase>) {
    let (a, _a_db) = node_named(db, "foodhub", |s| {
        s.federation.admission = Admission::Manual
    })
    .await;
    let (b, _b_db) = node_named(db, "velocoop", |_| {}).await;
    let (c, _c_db) = node_named(db, "carshare", |_| {}).await;
    let (a_admin, b_admin, c_admin) = (admin(&a).await, admin(&b).await, admin(&c).await);
    let a_platform = a.token(Scope::Platform).await;
    let (b_platform, c_platform) = (
        b.token(Scope::Platform).await,
        c.token(Scope::Platform).await,
    );

    // Published before B and C follow: what their backfill walks.
    a.put_json(
        "/api/v1/offers/carrots",
        &a_platform,
        &offer(&a, "Carrots", VEGETABLES),
    )
    .await;
    let member = json!({"type": "Person", "name": "Early Member", "role": "founder"});
    a.put_json("/api/v1/members/early", &a_platform, &member)
        .await;
    let charter = a
        .put_json(
            "/api/v1/charters/pec-charter",
            &a_platform,
            &a.example("charter"),
        )
        .await;
    assert!(charter.status().is_success());

    let b_request = ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    let c_request = ask_to_follow(&c, &c_admin, &a, &a_admin).await;
    let b_id = peer_id(&a, &a_admin, &b).await;
    let scoped = put_scope(
        &a,
        &a_admin,
        b_id,
        &json!({"kinds": ["offer"], "purpose": "catalogue"}),
    )
    .await;
    assert_eq!(scoped.status(), 200, "{:?}", scoped.text().await);
    for request in [&b_request, &c_request] {
        let approved = a
            .post_json(
                &format!("/api/v1/admin/follow-requests/{}/approve", request["id"]),
                &a_admin,
                &json!({}),
            )
            .await;
        assert_eq!(approved.status(), 200);
    }
    wait_follow_state(&b, &b_admin, &a, "active").await;
    wait_follow_state(&c, &c_admin, &a, "active").await;

    let three = Three {
        a,
        b,
        c,
        a_admin,
        a_platform,
        b_platform,
        c_platform,
        b_id,
    };
    (three, vec![_a_db, _b_db, _c_db])
}

/// B, scoped to offers, gets no member or charter by delivery, backfill
/// or signed read; C gets everything.
async fn offers_only(t: &Three) {
    let Three {
        a,
        b,
        c,
        a_admin,
        a_platform,
        b_platform,
        c_platform,
        ..
    } = t;
    let b_id = t.b_id;
    // Published after: delivered.
    a.put_json(
        "/api/v1/offers/rye",
        a_platform,
        &offer(a, "Rye bread", BREAD),
    )
    .await;
    let sam = json!({"type": "Person", "name": "Sam Courier", "role": "worker"});
    a.put_json("/api/v1/members/sam", a_platform, &sam).await;

    eventually("C to hold everything", 30, || async {
        let offers = catalog_names(c, c_platform, "offers").await;
        let members = catalog_names(c, c_platform, "members").await;
        (offers == ["Carrots", "Rye bread"] && members == ["Early Member", "Sam Courier"])
            .then_some(())
    })
    .await;
    eventually("B to hold the offers", 30, || async {
        (catalog_names(b, b_platform, "offers").await == ["Carrots", "Rye bread"]).then_some(())
    })
    .await;
    a.wait_until_delivered().await;
    assert_eq!(
        catalog_names(b, b_platform, "members").await,
        Vec::<String>::new()
    );
    eventually("C to hold the charter", 30, || async {
        let charters = c.api("/api/v1/catalog/charters", c_platform).await;
        (charters["items"].as_array().unwrap().len() == 1).then_some(())
    })
    .await;
    let charters = b.api("/api/v1/catalog/charters", b_platform).await;
    assert_eq!(charters["items"], json!([]));
    assert!(
        ledger(a, a_admin, b_id)
            .await
            .iter()
            .all(|(name, _)| name != "sam"),
        "no member delivered to B"
    );

    // Signed reads: a member does not exist for B, does for C.
    assert_eq!(signed_get(b, a, "/members/early").await.status(), 404);
    assert_eq!(
        signed_get(b, a, "/charters/pec-charter").await.status(),
        404
    );
    assert_eq!(
        signed_get(c, a, "/charters/pec-charter").await.status(),
        200
    );
    assert_eq!(signed_get(c, a, "/members/early").await.status(), 200);
    assert_eq!(signed_get(b, a, "/offers/carrots").await.status(), 200);
    // The members collection as each signs for it (what backfill walks).
    let members: Value = signed_get(b, a, "/members").await.json().await.unwrap();
    assert_eq!(members["totalItems"], 0);
    let members: Value = signed_get(c, a, "/members").await.json().await.unwrap();
    assert_eq!(members["totalItems"], 2);
}

/// Narrowed to one category, B is told to drop the other offers; widened
/// again, it is sent what it now covers.
async fn narrowed_then_widened(t: &Three) {
    let Three {
        a,
        b,
        c,
        a_admin,
        a_platform,
        b_platform,
        c_platform,
        ..
    } = t;
    let b_id = t.b_id;
    // Narrowed to vegetables: B is told to drop the bread, the ledger says so.
    let narrowed = put_scope(
        a,
        a_admin,
        b_id,
        &json!({"kinds": ["offer"], "categories": [VEGETABLES], "purpose": "catalogue", "retentionDays": 30}),
    )
    .await;
    assert_eq!(narrowed.status(), 200);
    let view: Value = narrowed.json().await.unwrap();
    assert_eq!(view["scope"]["categories"], json!([VEGETABLES]));
    assert_eq!(view["default"], false);
    eventually("B to drop the bread", 30, || async {
        (catalog_names(b, b_platform, "offers").await == ["Carrots"]).then_some(())
    })
    .await;
    a.wait_until_delivered().await;
    // (The carrots came by backfill, which B pulled: not in the ledger.)
    assert_eq!(
        ledger(a, a_admin, b_id).await,
        [("rye".to_owned(), "Delete".to_owned())]
    );
    assert_eq!(signed_get(b, a, "/offers/rye").await.status(), 404);
    // Anyone still reads the public offer anonymously.
    assert_eq!(a.get_activity_json("/offers/rye").await.0, 200);

    // New offers: only the vegetables reach B; C gets both.
    a.put_json(
        "/api/v1/offers/leeks",
        a_platform,
        &offer(a, "Leeks", VEGETABLES),
    )
    .await;
    a.put_json(
        "/api/v1/offers/spelt",
        a_platform,
        &offer(a, "Spelt loaf", BREAD),
    )
    .await;
    a.wait_until_delivered().await;
    assert_eq!(
        catalog_names(c, c_platform, "offers").await,
        ["Carrots", "Leeks", "Rye bread", "Spelt loaf"]
    );
    a.wait_until_delivered().await;
    assert_eq!(
        catalog_names(b, b_platform, "offers").await,
        ["Carrots", "Leeks"]
    );

    // The outbox as B signs for it leaves out the bread offers and the charter.
    let anonymous = a.get_activity_json("/outbox").await.1;
    let for_b: Value = signed_get(b, a, "/outbox").await.json().await.unwrap();
    assert_eq!(
        for_b["totalItems"].as_i64().unwrap() + 3,
        anonymous["totalItems"].as_i64().unwrap(),
        "{for_b} {anonymous}"
    );

    // Widened again to every offer: what it now covers is sent.
    let widened = put_scope(a, a_admin, b_id, &json!({"kinds": ["offer"]})).await;
    assert_eq!(widened.status(), 200);
    eventually("B to receive the bread again", 30, || async {
        (catalog_names(b, b_platform, "offers").await.len() == 4).then_some(())
    })
    .await;
}

/// Switched from offers to members: B is told to drop every offer, even
/// the one its backfill read (not in the ledger), and is sent the members.
async fn switched_to_members(t: &Three) {
    let switched = put_scope(&t.a, &t.a_admin, t.b_id, &json!({"kinds": ["member"]})).await;
    assert_eq!(switched.status(), 200);
    eventually("B to hold members and no offer", 30, || async {
        let offers = catalog_names(&t.b, &t.b_platform, "offers").await;
        let members = catalog_names(&t.b, &t.b_platform, "members").await;
        (offers.is_empty() && members == ["Early Member", "Sam Courier"]).then_some(())
    })
    .await;
    t.a.wait_until_delivered().await;
    let ledger = ledger(&t.a, &t.a_admin, t.b_id).await;
    for offer in ["carrots", "leeks", "rye", "spelt"] {
        assert!(
            ledger.contains(&(offer.to_owned(), "Delete".to_owned())),
            "{offer}: {ledger:?}"
        );
    }
}

/// Bad input to PUT scope is refused with a problem, and nothing changes;
/// the console shows the scope and its form changes it.
async fn scope_from_the_api_and_the_console(db: TestDatabase) {
    let (a, _a_db) = node_named(&db, "foodhub", |s| s.federation.admission = Admission::Open).await;
    let (b, _b_db) = node_named(&db, "velocoop", |_| {}).await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    wait_follow_state(&b, &b_admin, &a, "active").await;
    let b_id = peer_id(&a, &a_admin, &b).await;
    let path = format!("/api/v1/admin/peers/{b_id}/scope");
    let before = a.api(&path, &a_admin).await;
    assert_eq!(before["default"], true);
    for bad in [
        json!({"kinds": ["offer", "recipe"]}),
        json!({"kinds": ["offer"], "retentionDays": 0}),
        json!({"kinds": ["offer"], "colour": "blue"}),
    ] {
        let response = put_scope(&a, &a_admin, b_id, &bad).await;
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{bad}: {status}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{bad}"
        );
    }
    let unknown = put_scope(&a, &a_admin, 999_999, &json!({"kinds": ["offer"]})).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(a.api(&path, &a_admin).await, before);
    let audit = a.api("/api/v1/admin/audit", &a_admin).await;
    assert!(
        !audit.to_string().contains("sharing.scope_set"),
        "nothing recorded: {audit}"
    );

    // The console shows the default, and its form sets the scope.
    let session = sign_in(&a, &a_admin).await;
    let html = page(&a, &session.cookie, "/admin/peers").await.1;
    assert!(html.contains(&format!("id=\"scope-{b_id}\"")), "{html}");
    assert!(html.contains("default"), "{html}");
    let post = |fields: Vec<(&'static str, String)>| {
        let (cookie, csrf) = (session.cookie.clone(), session.csrf.clone());
        let url = a.url(&format!("/admin/peers/{b_id}/scope"));
        async move {
            let mut form = fields;
            form.push(("csrf", csrf));
            client()
                .post(url)
                .header(COOKIE, cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let refused = post(vec![
        ("kind_offer", "on".into()),
        ("retention_days", "0".into()),
    ])
    .await;
    assert!(
        refused.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("error=")
    );
    assert_eq!(a.api(&path, &a_admin).await, before);
    let saved = post(vec![
        ("kind_offer", "on".into()),
        ("kind_member", "on".into()),
        ("categories", VEGETABLES.into()),
        ("purpose", "shared catalogue".into()),
        ("retention_days", "30".into()),
    ])
    .await;
    assert_eq!(saved.headers()[LOCATION], "/admin/peers?done=scope_set");
    let after = a.api(&path, &a_admin).await;
    assert_eq!(after["scope"]["kinds"], json!(["offer", "member"]));
    assert_eq!(after["scope"]["categories"], json!([VEGETABLES]));
    assert_eq!(after["scope"]["purpose"], "shared catalogue");
    assert_eq!(after["scope"]["retentionDays"], 30);
    assert_eq!(after["default"], false);
    let html = page(&a, &session.cookie, "/admin/peers").await.1;
    // (The page escapes the URL's slashes.)
    assert!(
        html.contains("Q11004") && html.contains("shared catalogue"),
        "{html}"
    );
    a.stop().await;
    b.stop().await;
}
