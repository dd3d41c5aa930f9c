//! The systemd unit starts the real binary: run as systemd would run it —
//! the unit's `ExecStart` with `%d` the credentials directory holding the
//! copy `LoadCredential=` makes (the service's own, mode 0400), its
//! `Environment`, in its state directory, as an unprivileged user like
//! `DynamicUser=` — the node becomes ready. Read directly, root's settings
//! file stops it at start with a one-line message, which is why the unit
//! loads it as a credential. Needs root (to run as another user).

use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::free_port;
use crate::rig::skipped;

/// `nobody`, standing in for the dynamic user systemd would allocate.
const SERVICE_USER: u32 = 65534;

/// The `[Service]` lines of the unit named `key`, in order.
fn service_values(unit: &str, key: &str) -> Vec<String> {
    let mut in_service = false;
    let mut values = Vec::new();
    for line in unit.lines().map(str::trim) {
        if line.starts_with('[') {
            in_service = line == "[Service]";
        } else if in_service && let Some(value) = line.strip_prefix(&format!("{key}=")) {
            values.push(value.to_owned());
        }
    }
    values
}

/// The unit's command as its service user, in `state`, with `credentials`
/// for `%d`, the unit's environment, and this test's own port.
fn unit_command(
    unit: &str,
    credentials: &std::path::Path,
    state: &std::path::Path,
    port: u16,
) -> Command {
    let exec = service_values(unit, "ExecStart").remove(0);
    let mut words = exec
        .split_whitespace()
        .map(|w| w.replace("%d", credentials.to_str().unwrap()));
    assert_eq!(words.next().as_deref(), Some("/usr/local/bin/passerelle"));
    let mut command = crate::rig::passerelle(&std::env::temp_dir());
    command.args(words);
    for assignment in service_values(unit, "Environment") {
        let (name, value) = assignment.split_once('=').unwrap();
        command.env(name, value);
    }
    // The one change: a free port instead of the example's 8080.
    command
        .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PASSERELLE_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .current_dir(state)
        .uid(SERVICE_USER)
        .gid(SERVICE_USER)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}

#[tokio::test]
async fn the_systemd_unit_starts_the_node_as_its_own_user() {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root {
        skipped(
            "root",
            "the systemd start test runs the node as another user",
        );
        return;
    }
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/systemd/passerelle.service"
    ))
    .unwrap();
    let credential = service_values(&unit, "LoadCredential").remove(0);
    let (name, installed) = credential.split_once(':').unwrap();
    assert_eq!(installed, "/etc/passerelle/passerelle.toml");
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/passerelle.example.toml"
    ))
    .unwrap();

    // Root's settings file, in a directory anyone may enter, mode 0640 (as
    // the docs once installed it; now 0600).
    let etc = tempfile::tempdir().unwrap();
    std::fs::set_permissions(etc.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root_file = etc.path().join("passerelle.toml");
    std::fs::write(&root_file, &example).unwrap();
    std::fs::set_permissions(&root_file, std::fs::Permissions::from_mode(0o640)).unwrap();
    // What LoadCredential= makes of it: the service's copy, mode 0400.
    let credentials = tempfile::tempdir().unwrap();
    std::fs::set_permissions(credentials.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
    chown(credentials.path(), Some(SERVICE_USER), Some(SERVICE_USER)).unwrap();
    let copy = credentials.path().join(name);
    std::fs::copy(&root_file, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o400)).unwrap();
    chown(&copy, Some(SERVICE_USER), Some(SERVICE_USER)).unwrap();
    // StateDirectory=: the service's own.
    let state = tempfile::tempdir().unwrap();
    chown(state.path(), Some(SERVICE_USER), Some(SERVICE_USER)).unwrap();

    // Root's file read directly: refused at start, in one line, exit 2.
    let direct = unit_command(&unit, etc.path(), state.path(), free_port())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(direct.status.code(), Some(2), "{direct:?}");
    let message = String::from_utf8_lossy(&direct.stderr);
    assert!(message.contains("passerelle.toml"), "{message}");

    // Through the credential: the node serves.
    let port = free_port();
    let mut child = unit_command(&unit, credentials.path(), state.path(), port)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if ready {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the node exited at start: {status}");
        }
        assert!(Instant::now() < deadline, "the node did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Its database is in the state directory, the service user's.
    let database = state.path().join("passerelle.db");
    assert_eq!(std::fs::metadata(&database).unwrap().uid(), SERVICE_USER);
    let _ = child.kill();
    let _ = child.wait();
}
