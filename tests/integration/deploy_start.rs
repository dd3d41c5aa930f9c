//! Each deployment file starts the real binary, run as its platform would
//! run it. The systemd unit: its `ExecStart` with `%d` the credentials
//! directory holding the copy `LoadCredential=` makes (the service's own,
//! mode 0400), its `Environment`, in its state directory, as an
//! unprivileged user like `DynamicUser=`; read directly, root's settings
//! file stops it at start with a one-line message, which is why the unit
//! loads it as a credential. Compose: the `passerelle` service's
//! environment, as the image's user, its replicas on one database.
//! Kubernetes: the Deployment's arguments over the ConfigMap's file, the
//! Secret's variables, as `runAsUser`, in a directory it cannot write, and
//! its probes answer. Each needs root (to run as another user); compose
//! and Kubernetes need PostgreSQL, the database they name.

use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::deploy_files::{compose_environment, str_of, yaml_documents};
use crate::process::free_port;
use crate::rig::{Backend, TestDatabase, skipped};

/// The image's user (deploy/Containerfile's `USER 10001:10001`).
const IMAGE_USER: u32 = 10001;

/// Whether this test runs as root, which running the node as another user
/// needs; says so when not.
fn as_root(what: &str) -> bool {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root {
        skipped(
            "root",
            &format!("the {what} start test runs the node as another user"),
        );
    }
    root
}

/// A directory owned by `uid` (a service's state, a container's workdir).
fn owned_by(uid: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    chown(dir.path(), Some(uid), Some(uid)).unwrap();
    dir
}

/// Waits until the node on `port` answers `/readyz` with 200.
async fn wait_ready(child: &mut std::process::Child, port: u16) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if ready {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the node exited at start: {status}");
        }
        assert!(Instant::now() < deadline, "the node did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

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
    if !as_root("systemd") {
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
    let state = owned_by(SERVICE_USER);

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
    wait_ready(&mut child, port).await;
    // Its database is in the state directory, the service user's.
    let database = state.path().join("passerelle.db");
    assert_eq!(std::fs::metadata(&database).unwrap().uid(), SERVICE_USER);
    let _ = child.kill();
    let _ = child.wait();
}

#[ignore = "needs PostgreSQL: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test]
async fn the_compose_replicas_start_as_the_image_user_on_one_database() {
    if !as_root("compose") {
        return;
    }
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let compose = &yaml_documents("deploy/compose.yaml")[0];
    let service = &compose["services"]["passerelle"];
    let replicas = service["deploy"]["replicas"].as_u64().expect("replicas");
    let workdir = owned_by(IMAGE_USER);
    let mut running = Vec::new();
    for _ in 0..replicas {
        let port = free_port();
        // The image's `ENTRYPOINT ["passerelle"]` and `CMD ["serve"]`.
        let mut command = crate::rig::passerelle(workdir.path());
        command.arg("serve").envs(compose_environment(service));
        // What differs on this machine: PostgreSQL is not the compose
        // network's host `postgres`, and each replica's 8080 is a port here.
        command
            .env("PASSERELLE_DATABASE_URL", &db.url)
            .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
            .uid(IMAGE_USER)
            .gid(IMAGE_USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = command.spawn().unwrap();
        wait_ready(&mut child, port).await;
        running.push((child, port));
    }
    // One node behind Caddy: every replica serves the same actor, at the
    // public URL compose sets.
    let mut actors = Vec::new();
    for (_, port) in &running {
        let actor: serde_json::Value = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/actor"))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        actors.push((
            actor["id"].clone(),
            actor["publicKey"]["publicKeyPem"].clone(),
        ));
    }
    assert_eq!(actors[0].0, "https://localhost/actor");
    assert!(actors.iter().all(|a| *a == actors[0]), "{actors:?}");
    for (mut child, _) in running {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The Secret's `metrics_token` (the node wants at least 16 characters).
const SCRAPE_TOKEN: &str = "a-scrape-token-of-32-characters!";

#[ignore = "needs PostgreSQL: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test]
async fn the_kubernetes_pod_starts_as_its_user_and_answers_its_probes() {
    if !as_root("Kubernetes") {
        return;
    }
    let Some(db) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let deployment = &yaml_documents("deploy/kubernetes/deployment.yaml")[0];
    let configmap = &yaml_documents("deploy/kubernetes/configmap.yaml")[0];
    let pod = &deployment["spec"]["template"]["spec"];
    let user = u32::try_from(pod["securityContext"]["runAsUser"].as_u64().unwrap()).unwrap();
    assert_eq!(user, IMAGE_USER);
    let container = &pod["containers"][0];
    let mount = str_of(&container["volumeMounts"][0], &["mountPath"]);

    // The ConfigMap mounted read-only, its files mode 0644 as Kubernetes
    // makes them, in a directory of root's.
    let settings = tempfile::tempdir().unwrap();
    std::fs::set_permissions(settings.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for (name, text) in configmap["data"].as_mapping().expect("data") {
        let file = settings.path().join(name.as_str().unwrap());
        std::fs::write(&file, text.as_str().unwrap()).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let args: Vec<String> = container["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(|a| {
            a.as_str()
                .unwrap()
                .replace(mount, settings.path().to_str().unwrap())
        })
        .collect();
    // The Secret's keys, by the variables the Deployment names.
    let names: Vec<&str> = container["env"]
        .as_sequence()
        .expect("env")
        .iter()
        .map(|e| str_of(e, &["name"]))
        .collect();
    assert_eq!(
        names,
        ["PASSERELLE_DATABASE_URL", "PASSERELLE_METRICS__TOKEN"]
    );
    // readOnlyRootFilesystem: a working directory it cannot write.
    let root_fs = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root_fs.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let port = free_port();
    let mut child = crate::rig::passerelle(root_fs.path())
        .args(&args)
        .env("PASSERELLE_DATABASE_URL", &db.url)
        .env("PASSERELLE_METRICS__TOKEN", SCRAPE_TOKEN)
        // The one change: a port here for the container's 8080.
        .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
        .uid(user)
        .gid(user)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&mut child, port).await;
    let client = reqwest::Client::new();
    for probe in ["livenessProbe", "readinessProbe"] {
        let path = str_of(&container[probe], &["httpGet", "path"]);
        let status = client
            .get(format!("http://127.0.0.1:{port}{path}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{probe} {path}");
    }
    let metrics = |token: Option<&str>| {
        let mut request = client.get(format!("http://127.0.0.1:{port}/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(metrics(None).await.unwrap().status(), 401);
    assert_eq!(metrics(Some(SCRAPE_TOKEN)).await.unwrap().status(), 200);
    let _ = child.kill();
    let _ = child.wait();
}
