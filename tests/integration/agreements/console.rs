//! The console's *Agreements* page: B's admin sees what A asked of B's
//! offer, and accepts or rejects it with the session's CSRF token; without
//! it nothing changes.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::json;

use super::{agreement_in_state, pair, post};
use crate::console::{client, page, sign_in};
use crate::on_both_backends;
use crate::rig::TestDatabase;

on_both_backends!(admins_decide_agreements_in_the_console);

async fn admins_decide_agreements_in_the_console(db: TestDatabase) {
    let p = pair(&db).await;
    let (a, b) = (&p.a, &p.b);
    let mut pending = Vec::new();
    for (quantity, note) in [(4, "<b>Soup</b> kitchen"), (2, "Jam")] {
        let (status, asked) = post(
            a,
            "/api/v1/agreements",
            &p.a_platform,
            &json!({"proposal": p.apples, "quantity": quantity, "note": note}),
        )
        .await;
        assert_eq!(status, 202, "{asked}");
        pending.push(
            agreement_in_state(
                b,
                &p.b_platform,
                "offer",
                asked["offer"].as_str().unwrap(),
                "pending",
            )
            .await,
        );
    }
    let session = sign_in(b, &p.b_admin).await;
    let (status, html) = page(b, &session.cookie, "/admin/agreements").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("foodhub cooperative"), "{html}");
    assert!(
        html.contains("&lt;b&gt;Soup&lt;&#x2f;b&gt; kitchen")
            || html.contains("&lt;b&gt;Soup&lt;/b&gt; kitchen"),
        "peer text is escaped"
    );
    assert!(html.contains(&format!("/admin/agreements/{}/accept", pending[0]["id"])));

    // Without the CSRF token nothing happens.
    let accept = b.url(&format!("/admin/agreements/{}/accept", pending[0]["id"]));
    let response = client()
        .post(&accept)
        .header(COOKIE, &session.cookie)
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        b.api(
            &format!("/api/v1/agreements/{}", pending[0]["id"]),
            &p.b_platform
        )
        .await["state"],
        "pending"
    );

    // With it, one is accepted and the other rejected with a reason.
    let response = client()
        .post(&accept)
        .header(COOKIE, &session.cookie)
        .form(&[("csrf", &session.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "/admin/agreements?done=agreement_accepted"
    );
    let reject = b.url(&format!("/admin/agreements/{}/reject", pending[1]["id"]));
    let response = client()
        .post(&reject)
        .header(COOKIE, &session.cookie)
        .form(&[
            ("csrf", session.csrf.as_str()),
            ("reason", "kept for the shop"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()[LOCATION],
        "/admin/agreements?done=agreement_rejected"
    );
    agreement_in_state(
        a,
        &p.a_platform,
        "offer",
        pending[0]["offer"].as_str().unwrap(),
        "accepted",
    )
    .await;
    let rejected = agreement_in_state(
        a,
        &p.a_platform,
        "offer",
        pending[1]["offer"].as_str().unwrap(),
        "rejected",
    )
    .await;
    assert_eq!(rejected["reason"], "kept for the shop");
    let offer = b.api("/api/v1/offers/apples", &p.b_platform).await;
    assert_eq!(offer["payload"]["available"]["value"], json!(116));
    let audit = b.api("/api/v1/admin/audit", &p.b_admin).await;
    assert!(
        audit["items"][0]["decided_by"]
            .as_str()
            .unwrap()
            .starts_with("admin console"),
        "{audit}"
    );

    // A decided agreement cannot be decided again from the console either.
    let response = client()
        .post(&accept)
        .header(COOKIE, &session.cookie)
        .form(&[("csrf", &session.csrf)])
        .send()
        .await
        .unwrap();
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/admin/agreements?error="),
        "{location}"
    );
    let (_, html) = page(b, &session.cookie, "/admin/agreements").await;
    assert!(html.contains("No agreement is waiting"), "{html}");

    p.a.stop().await;
    p.b.stop().await;
}
