//! The release binary run as a child process, as an operator runs it:
//! `passerelle serve` on a loopback port, its resident memory read from
//! `/proc`.

use std::time::Duration;

use crate::harness::until;

/// A loopback port free at the time of asking.
pub fn free_port() -> Option<u16> {
    free_ports(1)?.first().copied()
}

/// `count` distinct loopback ports free at the time of asking: all are
/// held until all are found, or the system could hand one out twice.
pub fn free_ports(count: usize) -> Option<Vec<u16>> {
    let held: Vec<std::net::TcpListener> = (0..count)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").ok())
        .collect::<Option<_>>()?;
    held.iter()
        .map(|listener| Some(listener.local_addr().ok()?.port()))
        .collect()
}

/// `passerelle serve` on `port`, in `dir`, with `settings` as
/// `PASSERELLE_*` variables (`PUBLIC_URL`, `LISTEN` and
/// `FEDERATION__ALLOW_PRIVATE_ADDRESSES` are set here), `config` as its
/// settings file and `log` as where its output goes, when given.
pub fn spawn_serve(
    dir: &std::path::Path,
    port: u16,
    config: Option<&std::path::Path>,
    log: Option<&std::path::Path>,
    settings: &[(&str, &str)],
) -> Option<std::process::Child> {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_passerelle"));
    // The node reads its settings from PASSERELLE_* variables: the bench's
    // own (PASSERELLE_BENCH_QUICK) are not settings.
    for (key, _) in std::env::vars() {
        if key.starts_with("PASSERELLE_") {
            command.env_remove(key);
        }
    }
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command
        .arg("serve")
        .current_dir(dir)
        .env("PASSERELLE_PUBLIC_URL", format!("http://localhost:{port}"))
        .env("PASSERELLE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PASSERELLE_FEDERATION__ALLOW_PRIVATE_ADDRESSES", "true");
    for (key, value) in settings {
        command.env(format!("PASSERELLE_{key}"), value);
    }
    let output = || -> Option<std::process::Stdio> {
        match log {
            Some(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
                .map(std::process::Stdio::from),
            None => Some(std::process::Stdio::null()),
        }
    };
    command.stdout(output()?).stderr(output()?).spawn().ok()
}

/// A line of `/proc/PID/status` in MiB (`VmRSS`, `VmHWM`).
pub fn status_mib(pid: u32, field: &str) -> Option<f64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

/// Whether the node on `port` answers `/readyz` within `limit`.
pub async fn ready(port: u16, limit: Duration) -> bool {
    until(limit, || async {
        reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
            .await
            .is_ok_and(|response| response.status().is_success())
    })
    .await
}
