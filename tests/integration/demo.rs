//! `passerelle demo` as a newcomer runs it: three nodes come up, the
//! pending request is in the console, approving it delivers the offers,
//! and Ctrl-C stops everything.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::console::{client, page, sign_in};
use crate::rig::eventually;

/// Three consecutive free loopback ports.
fn free_port_run() -> u16 {
    loop {
        let base = 20000 + rand::random::<u16>() % 40000;
        let free = (0..3).all(|n| std::net::TcpListener::bind(("127.0.0.1", base + n)).is_ok());
        if free {
            return base;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_and_the_pending_request_can_be_approved() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_port_run();
    let mut demo = tokio::process::Command::from(crate::rig::passerelle(dir.path()))
        .args(["demo", "--dir"])
        .arg(dir.path())
        .args(["--base-port", &base.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut tokens = Vec::new();
    let mut printed = String::new();
    let ready = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push_str(&line);
            printed.push('\n');
            if let Some(token) = line.trim().strip_prefix("admin token: ") {
                tokens.push(token.trim().to_owned());
            }
            if line.starts_with("Ctrl-C stops the demo") {
                return;
            }
        }
        panic!("the demo ended early:\n{printed}");
    })
    .await;
    assert!(ready.is_ok(), "the demo did not come up:\n{printed}");
    assert_eq!(tokens.len(), 3, "{printed}");
    let hub = format!("http://localhost:{base}");
    let cars = format!("http://localhost:{}", base + 2);
    assert!(printed.contains(&format!("{cars}/admin")), "{printed}");

    // The car-sharing cooperative's console shows the food hub's request.
    let session = sign_in(cars.as_str(), &tokens[2]).await;
    let (_, html) = page(cars.as_str(), &session.cookie, "/admin/requests").await;
    assert!(html.contains("Open Food Hub"), "{html}");
    assert!(
        html.contains("valid"),
        "the hub's commitment is shown as valid"
    );
    let marker = "action=\"/admin/requests/";
    let start = html.find(marker).expect("an approve form") + marker.len();
    let id: String = html[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();

    // Nothing from it in the hub's catalog yet; approving delivers it.
    let hub_session = sign_in(hub.as_str(), &tokens[0]).await;
    let (_, catalog) = page(hub.as_str(), &hub_session.cookie, "/admin/catalog").await;
    assert!(
        catalog.contains("Cargo-bike delivery rounds"),
        "the hub follows Vélocoop"
    );
    assert!(!catalog.contains("Electric van"));
    let response = client()
        .post(format!("{cars}/admin/requests/{id}/approve"))
        .header(reqwest::header::COOKIE, &session.cookie)
        .form(&[("csrf", &session.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    eventually("the van offer in the hub's catalog", 30, || async {
        let (_, catalog) = page(hub.as_str(), &hub_session.cookie, "/admin/catalog").await;
        catalog
            .contains("Electric van (Kangoo) by the hour")
            .then_some(())
    })
    .await;

    // Ctrl-C stops it cleanly.
    let pid = demo.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(30), demo.wait())
        .await
        .expect("the demo stops on Ctrl-C")
        .unwrap();
    assert!(status.success(), "{status}");
}
