//! The DFC sources page: last run and its changes, *Run now*, *Forget*
//! only with the confirmation box (it deletes the source's offers);
//! both audited; an unknown source changes nothing.

use passerelle::domain::tokens::Scope;
use reqwest::StatusCode;

use super::{audit_actions, post_form};
use crate::console::{page, sign_in};
use crate::dfc::offers;
use crate::dfc::stub::{PRODUCER_CATALOG, Stub};
use crate::on_both_backends;
use crate::rig::federation::admin;
use crate::rig::{TestDatabase, TestNode, eventually};

on_both_backends!(dfc_sources_run_now_and_forget_from_the_console);

async fn dfc_sources_run_now_and_forget_from_the_console(db: TestDatabase) {
    let stub = Stub::start().await;
    let url = stub.url(PRODUCER_CATALOG);
    let source = crate::dfc::configured(&stub, PRODUCER_CATALOG, None, 3600);
    let node = TestNode::start_with(&db.url, |s| s.dfc.sources = vec![source]).await;
    let (admin, platform) = (admin(&node).await, node.token(Scope::Platform).await);
    let imported = eventually("the source's first run", 20, || async {
        let got = offers(&node, &platform).await;
        (!got.is_empty()).then_some(got.len())
    })
    .await;
    let session = sign_in(&node, &admin).await;
    let (status, html) = page(&node, &session.cookie, "/admin/dfc").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&super::escaped(&url)), "{html}");
    assert!(
        html.contains(&format!("its {imported} offers are deleted")),
        "{html}"
    );

    // Run now: the run is recorded and audited.
    let (_, location) = post_form(&node, &session, "/admin/dfc/run", &[("url", &url)]).await;
    assert_eq!(location, "/admin/dfc?done=dfc_run");
    assert_eq!(audit_actions(&node, &admin).await[0], "dfc.run");
    let (_, html) = page(&node, &session.cookie, "/admin/dfc?done=dfc_run").await;
    assert!(html.contains("Unchanged"), "{html}");

    // A URL that is not a source: refused, nothing changes.
    let other = stub.url("/elsewhere");
    for path in ["/admin/dfc/run", "/admin/dfc/forget"] {
        let (_, location) = post_form(
            &node,
            &session,
            path,
            &[("url", &other), ("confirm", "yes")],
        )
        .await;
        assert!(location.starts_with("/admin/dfc?error="), "{location}");
    }
    // Forget without the confirmation box: refused, the offers stay.
    let (_, location) = post_form(&node, &session, "/admin/dfc/forget", &[("url", &url)]).await;
    assert!(location.starts_with("/admin/dfc?error="), "{location}");
    let (_, location) = post_form(
        &node,
        &session,
        "/admin/dfc/forget",
        &[("url", &url), ("confirm", "no")],
    )
    .await;
    assert!(location.starts_with("/admin/dfc?error="), "{location}");
    assert_eq!(offers(&node, &platform).await.len(), imported);
    assert_eq!(audit_actions(&node, &admin).await[0], "dfc.run");

    // Confirmed: the offers are deleted, and the audit log says so.
    let (_, location) = post_form(
        &node,
        &session,
        "/admin/dfc/forget",
        &[("url", &url), ("confirm", "yes")],
    )
    .await;
    assert_eq!(location, "/admin/dfc?done=dfc_forgotten");
    assert!(offers(&node, &platform).await.is_empty());
    let audit = node.api("/api/v1/admin/audit", &admin).await;
    assert_eq!(audit["items"][0]["action"], "dfc.forgotten");
    assert!(
        audit["items"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{imported} offers deleted"))
    );
    node.stop().await;
}
