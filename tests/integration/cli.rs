//! The `passerelle` binary as an operator runs it: configuration errors,
//! `migrate`, and `serve` configured by environment variables alone.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::on_both_backends;
use crate::rig::{TestDatabase, passerelle};

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_config_error(output: Output, must_name: &str) {
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains(must_name),
        "`{must_name}` not named in: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected: {stderr}"
    );
}

#[test]
fn bad_configuration_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let run = |envs: &[(&str, &str)], args: &[&str]| {
        passerelle(dir.path())
            .envs(envs.iter().copied())
            .args(args)
            .output()
            .unwrap()
    };
    assert_config_error(
        run(&[("PASSERELLE_PUBLIC_URL", "not a url")], &["migrate"]),
        "public_url",
    );
    assert_config_error(
        run(&[("PASSERELLE_PLATFORM__SLUGG", "x")], &["migrate"]),
        "slugg",
    );
    assert_config_error(
        run(&[("PASSERELLE_LISTEN", "nowhere")], &["serve"]),
        "listen",
    );
    assert_config_error(
        run(&[("PASSERELLE_DATABASE_URL", "mysql://db/x")], &["serve"]),
        "database_url",
    );

    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[platform]\nslug = \"ofn\"\ncolour = \"green\"\n").unwrap();
    assert_config_error(
        run(&[], &["--config", file.to_str().unwrap(), "serve"]),
        "colour",
    );
    std::fs::write(&file, "public_url = [1, 2]\n").unwrap();
    assert_config_error(
        run(&[], &["--config", file.to_str().unwrap(), "serve"]),
        "public_url",
    );
    std::fs::write(&file, "this is = not toml =\n").unwrap();
    let output = run(&[], &["--config", file.to_str().unwrap(), "serve"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert_config_error(
        run(&[], &["--config", "/nonexistent/passerelle.toml", "serve"]),
        "/nonexistent/passerelle.toml",
    );
    // Nothing was created by the refused runs.
    assert!(!dir.path().join("passerelle.db").exists());
}

#[test]
fn the_default_config_file_is_read_and_env_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("passerelle.toml"),
        "[platform]\nslugg = \"typo\"\n",
    )
    .unwrap();
    assert_config_error(
        passerelle(dir.path()).arg("migrate").output().unwrap(),
        "slugg",
    );

    std::fs::write(
        dir.path().join("passerelle.toml"),
        "database_url = \"sqlite://from-file.db\"\n",
    )
    .unwrap();
    let output = passerelle(dir.path())
        .env("PASSERELLE_DATABASE_URL", "sqlite://from-env.db")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(dir.path().join("from-env.db").exists());
    assert!(!dir.path().join("from-file.db").exists());
}

#[test]
fn help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let output = passerelle(dir.path()).arg("--version").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("passerelle {}", env!("CARGO_PKG_VERSION"))
    );
    let output = passerelle(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for word in ["serve", "migrate", "--config", "PASSERELLE_"] {
        assert!(help.contains(word), "{word} missing from help: {help}");
    }
    let output = passerelle(dir.path()).arg("frobnicate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn migrate_creates_and_migrates_the_default_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = passerelle(dir.path()).arg("migrate").output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
    assert!(dir.path().join("passerelle.db").exists());
    // Running it again is harmless.
    let output = passerelle(dir.path()).arg("migrate").output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
}

#[test]
fn serve_fails_clearly_when_the_database_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = passerelle(dir.path())
        .env(
            "PASSERELLE_DATABASE_URL",
            format!("postgres://127.0.0.1:{closed_port}/none"),
        )
        .env("PASSERELLE_LISTEN", "127.0.0.1:0")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("cannot open the node"), "{stderr}");
}

on_both_backends!(serve_from_environment_and_stop_on_sigterm);

/// The "done when" of the foundation: the release workflow an operator
/// follows, with only the three URL settings in the environment.
async fn serve_from_environment_and_stop_on_sigterm(db: TestDatabase) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let public_url = format!("http://127.0.0.1:{port}");
    let mut child = passerelle(db.dir.path())
        .env("PASSERELLE_PUBLIC_URL", &public_url)
        .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PASSERELLE_DATABASE_URL", &db.url)
        .env("PASSERELLE_PLATFORM__SLUG", "coopcycle")
        .env("PASSERELLE_LOG__FORMAT", "json")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("{public_url}/readyz")).send().await {
            if response.status() == 200 {
                break;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited early with {status}");
        }
        assert!(Instant::now() < deadline, "node did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let jrd: Value = client
        .get(format!(
            "{public_url}/.well-known/webfinger?resource=acct:coopcycle@127.0.0.1:{port}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jrd["links"][0]["href"], format!("{public_url}/actor"));
    let actor: Value = client
        .get(format!("{public_url}/actor"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(actor["preferredUsername"], "coopcycle");
    for path in [
        "/healthz",
        "/metrics",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.1",
    ] {
        let status = client
            .get(format!("{public_url}{path}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{path}");
    }

    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    // Logs are JSON lines when asked.
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    let first: Value =
        serde_json::from_str(logs.lines().next().expect("a log line")).expect("JSON log line");
    assert_eq!(first["message"], "passerelle node serving");
    assert_eq!(first["level"], "INFO");
}

on_both_backends!(tokens_and_verify_from_the_command_line);

/// The README's publishing walk-through: a token from the CLI, the four
/// example payloads pushed over HTTP, `passerelle verify` on each object
/// (valid) and on a tampered copy (invalid); then revocation.
async fn tokens_and_verify_from_the_command_line(db: TestDatabase) {
    let dir = db.dir.path();
    let cli = |args: &[&str]| {
        passerelle(dir)
            .env("PASSERELLE_DATABASE_URL", &db.url)
            .args(args)
            .output()
            .unwrap()
    };
    let output = cli(&[
        "token",
        "create",
        "--name",
        "ofn-platform",
        "--scope",
        "platform",
    ]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "the token alone: {stdout}");
    let token = stdout.trim().to_owned();
    assert!(token.starts_with("psl_"));
    let output = cli(&[
        "token",
        "create",
        "--name",
        "ofn-platform",
        "--scope",
        "platform",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("already exists"));
    let output = cli(&["token", "create", "--name", "x", "--scope", "root"]);
    assert_eq!(output.status.code(), Some(2));

    let node = crate::rig::TestNode::start(&db).await;
    let mut uris = Vec::new();
    for (collection, kind) in [
        ("charters", "charter"),
        ("offers", "offer"),
        ("members", "member"),
        ("commitments", "commitment"),
    ] {
        let id = if kind == "charter" {
            "pec-charter"
        } else {
            "example"
        };
        let response = node
            .put_json(
                &format!("/api/v1/{collection}/{id}"),
                &token,
                &node.example(kind),
            )
            .await;
        assert_eq!(response.status(), 201, "{kind}");
        uris.push(node.url(&format!("/{collection}/{id}")));
    }
    let verify = |source: &str| cli(&["verify", "--allow-private-addresses", source]);
    for uri in &uris {
        let output = verify(uri);
        assert!(output.status.success(), "{uri}: {}", stderr_of(&output));
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("valid"));
    }
    // Without permission, the loopback node is not fetched.
    let output = cli(&["verify", &uris[0]]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("private"),
        "{}",
        stderr_of(&output)
    );

    let (_, object) = node.get_activity_json(&uris[1]).await;
    let file = dir.join("offer.json");
    std::fs::write(&file, serde_json::to_vec(&object).unwrap()).unwrap();
    assert!(verify(file.to_str().unwrap()).status.success());
    let tampered = serde_json::to_string(&object)
        .unwrap()
        .replace("Reinette", "Reinettf");
    std::fs::write(&file, tampered).unwrap();
    let output = verify(file.to_str().unwrap());
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("invalid"),
        "{}",
        stderr_of(&output)
    );
    let output = verify("/nonexistent.json");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr_of(&output).trim_end().lines().count(), 1);

    let output = cli(&["token", "list"]);
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(
        listing.contains("ofn-platform") && listing.contains("active"),
        "{listing}"
    );
    assert!(!listing.contains(&token), "secrets are never listed");
    let output = cli(&["token", "revoke", "ofn-platform"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        node.get_with("/api/v1/offers/example", &token)
            .await
            .status(),
        401
    );
    let output = cli(&["token", "revoke", "ofn-platform"]);
    assert_eq!(output.status.code(), Some(1));
    node.stop().await;
}
