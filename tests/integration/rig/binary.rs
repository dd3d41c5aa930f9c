//! The `passerelle` binary as the tests run it: no `PASSERELLE_` variable
//! inherited from the test's environment (the binary reads each as a
//! setting), standard input closed, so a test gets exactly what it passes.

use std::path::Path;
use std::process::{Command, Stdio};

/// The binary, started in `dir`, with no inherited setting.
pub fn passerelle(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_passerelle"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PASSERELLE_") {
            command.env_remove(key);
        }
    }
    command.current_dir(dir).stdin(Stdio::null());
    command
}

/// The binary configured as the node of `settings` (its URL, database and
/// slug), allowed to reach loopback peers as test nodes are.
pub fn passerelle_as(settings: &passerelle::Settings) -> Command {
    let mut command = passerelle(&std::env::temp_dir());
    command
        .env("PASSERELLE_PUBLIC_URL", settings.public_url.as_str())
        .env("PASSERELLE_DATABASE_URL", &settings.database_url)
        .env("PASSERELLE_PLATFORM__SLUG", &settings.platform.slug)
        .env("PASSERELLE_FEDERATION__ALLOW_PRIVATE_ADDRESSES", "true");
    command
}

/// Runs the binary as the node of `settings` with `args`: whether it
/// succeeded, and what it printed (standard output, then error).
pub fn run_as(settings: &passerelle::Settings, args: &[&str]) -> (bool, String) {
    let output = passerelle_as(settings).args(args).output().expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
