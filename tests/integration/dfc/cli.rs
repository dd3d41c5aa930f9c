//! `passerelle dfc import URL`: a one-off run from the command line, and
//! one line with a non-zero exit when it fails.

use passerelle::domain::dfc::mapping::local_id_of;
use passerelle::domain::tokens::Scope;

use super::offers;
use super::stub::{OFN_CATALOG, OFN_TOKEN, PRODUCER_CATALOG, Stub};
use crate::on_both_backends;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(one_off_import_from_the_command_line);

/// The binary with the node's settings in the environment.
fn cli(node: &TestNode) -> std::process::Command {
    crate::rig::passerelle_as(&node.settings)
}

async fn one_off_import_from_the_command_line(db: TestDatabase) {
    let stub = Stub::start().await;
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    let run = |args: Vec<String>| {
        let output = cli(&node)
            .args(["dfc", "import"])
            .args(args)
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr),
        )
    };
    let (code, stdout, stderr) = run(vec![stub.url(PRODUCER_CATALOG)]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("2 created, 0 updated, 0 deleted, 0 unchanged"),
        "{stdout}"
    );
    // The key from an environment variable of the command's.
    let ofn = cli(&node)
        .env("DFC_TEST_OFN_KEY", OFN_TOKEN)
        .args([
            "dfc",
            "import",
            &stub.url(OFN_CATALOG),
            "--token-env",
            "DFC_TEST_OFN_KEY",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ofn.stdout);
    assert_eq!(
        ofn.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ofn.stderr)
    );
    assert!(stdout.contains("1 created"), "{stdout}");
    let again = vec![
        stub.url(OFN_CATALOG),
        "--token".to_owned(),
        OFN_TOKEN.to_owned(),
    ];
    let (code, stdout, stderr) = run(again);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("0 created, 0 updated, 0 deleted, 1 unchanged"),
        "{stdout}"
    );
    assert_eq!(offers(&node, &token).await.len(), 3);

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}/catalog", closed.local_addr().unwrap());
    drop(closed);
    for bad in [
        vec![nowhere],
        vec!["not a url".to_owned()],
        vec![stub.url(OFN_CATALOG)],
    ] {
        let (code, stdout, stderr) = run(bad.clone());
        assert_eq!(code, Some(1), "{bad:?}: {stdout}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("passerelle: "), "{stderr}");
    }
    // The source is read through the node's address-checked client: a
    // loopback catalog is refused unless private addresses are allowed.
    let refused = cli(&node)
        .env("PASSERELLE_FEDERATION__ALLOW_PRIVATE_ADDRESSES", "false")
        .args(["dfc", "import", &stub.url(PRODUCER_CATALOG)])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("allow_private_addresses"), "{stderr}");
    assert_eq!(offers(&node, &token).await.len(), 3, "nothing changed");
    node.stop().await;
}

on_both_backends!(forget_from_the_command_line);

/// `passerelle dfc forget URL`: the source's offers are deleted (410), the
/// node's other offers stay, and the source is forgotten.
async fn forget_from_the_command_line(db: TestDatabase) {
    let stub = Stub::start().await;
    let node = TestNode::start(&db).await;
    let token = node.token(Scope::Platform).await;
    super::import(&node, &super::source(&stub, PRODUCER_CATALOG, None)).await;
    let ofn = super::source(&stub, OFN_CATALOG, Some(OFN_TOKEN));
    super::import(&node, &ofn).await;
    assert_eq!(offers(&node, &token).await.len(), 3);
    let output = cli(&node)
        .args(["dfc", "forget", &stub.url(PRODUCER_CATALOG)])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("2 offers deleted"), "{stdout}");
    let left = offers(&node, &token).await;
    let apple = local_id_of(&stub.url("/api/dfc/enterprises/10000/catalog_items/10001"));
    assert_eq!(
        left.keys().collect::<Vec<_>>(),
        [&apple],
        "only OFN's offer"
    );
    let jam = local_id_of(&stub.url("/producer/items/apricot-jam"));
    let gone = node
        .get_with(&format!("/api/v1/offers/{jam}"), &token)
        .await;
    assert_eq!(gone.status(), 410);
    let tracked = db
        .query_i64(&format!(
            "SELECT COUNT(*) FROM dfc_items WHERE catalog_url = '{}'",
            stub.url(PRODUCER_CATALOG)
        ))
        .await;
    assert_eq!(tracked, 0);
    node.stop().await;
}
