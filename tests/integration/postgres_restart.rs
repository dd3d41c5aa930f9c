//! PostgreSQL restarted under a running node: a cluster of the test's own
//! (the shared server is never touched) is stopped and started again while
//! the node publishes and delivers. Readiness drops and requests are
//! answered 503 with nothing changed; the node recovers by itself, and
//! every offer accepted before or after reaches the follower.

use std::path::{Path, PathBuf};
use std::process::Command;

use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};

use crate::process::free_port;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{Backend, TestDatabase, TestNode, eventually};

/// A PostgreSQL cluster of one test's own, on its own port, removed when
/// dropped.
struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    /// `None` (with a printed notice) when PostgreSQL's server programs are
    /// not installed, except under `CI=true`, where that fails the test.
    fn start() -> Option<PrivatePostgres> {
        let Some(bin) = server_programs() else {
            crate::rig::skipped(
                "PostgreSQL server programs",
                "no initdb and pg_ctl: apt install postgresql, or run scripts/test",
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("temporary directory");
        // The server refuses to run as root: it runs as `postgres` then.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .expect("chmod");
        let cluster = PrivatePostgres {
            bin,
            dir,
            port: free_port(),
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        cluster.start_server();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| out.stdout.starts_with(b"0"));
        let mut command = if as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command.args(args).output().expect("PostgreSQL program");
        assert!(
            output.status.success(),
            "{} {args:?}: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// A fast shutdown: sessions are ended, open transactions rolled back.
    fn stop_server(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        if Path::new(&self.data()).join("postmaster.pid").exists() {
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&pg_ctl)
                .args(["-D", &self.data(), "-m", "immediate", "stop"])
                .output();
            let _ = Command::new(&pg_ctl)
                .args(["-D", &self.data(), "-m", "immediate", "stop"])
                .output();
        }
    }
}

/// The newest installed PostgreSQL's server programs.
fn server_programs() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

#[ignore = "needs PostgreSQL's server programs: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_rides_out_a_postgres_restart() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    // The follower is on SQLite, always there.
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let (a, a_db) = node_named(&db, "foodhub", |_| {}).await;
    let slug = "velocoop".to_owned();
    let b = TestNode::start_with(&pg.url(), |s| {
        s.platform.slug = slug.clone();
        s.federation.admission = passerelle::config::Admission::Open;
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    let platform = b.token(Scope::Platform).await;
    let publish = |n: usize| {
        let mut offer = b.example("offer");
        offer["name"] = json!(format!("Offer {n:02}"));
        let (b, platform) = (&b, &platform);
        async move {
            b.put_json(&format!("/api/v1/offers/o{n:02}"), platform, &offer)
                .await
        }
    };
    for n in 0..10 {
        assert_eq!(publish(n).await.status(), 201);
    }

    pg.stop_server();
    eventually("readiness to drop", 20, || async {
        (b.get("/readyz").await.status() == 503).then_some(())
    })
    .await;
    let refused = publish(99).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("database"),
        "{problem}"
    );

    pg.start_server();
    eventually("the node to be ready again by itself", 30, || async {
        (b.get("/readyz").await.status() == 200).then_some(())
    })
    .await;
    let lost = b.get_with("/api/v1/offers/o99", &platform).await;
    assert_eq!(lost.status(), 404, "an offer refused with 503 was kept");
    for n in 10..20 {
        assert_eq!(publish(n).await.status(), 201);
    }
    b.wait_until_delivered().await;
    assert_eq!(
        a_db.query_i64("SELECT COUNT(*) FROM catalog").await,
        20,
        "every offer accepted before and after the restart reached the follower"
    );
    a.stop().await;
    b.stop().await;
}
