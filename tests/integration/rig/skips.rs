//! A test that cannot run here says so: under `CI=true` it fails; else it
//! prints `SKIPPED (what: why)` and, when `PASSERELLE_SKIPS` names a file
//! (`scripts/test` sets it), appends `what<TAB>why` there, so the run's
//! summary lists every skipped group and why.

use std::io::Write;

use super::under_ci;

/// Records that the calling test skips, for want of `what` (`PostgreSQL`,
/// `Chromium`…), because `why` (what to do about it included).
pub fn skipped(what: &str, why: &str) {
    assert!(!under_ci(), "{what} is required under CI=true: {why}");
    eprintln!("SKIPPED ({what}: {why})");
    let Some(path) = std::env::var_os("PASSERELLE_SKIPS") else {
        return;
    };
    let line = format!("{what}\t{}\n", why.replace(['\t', '\n'], " "));
    // One write per line: concurrent tests append whole lines.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(line.as_bytes());
    }
}
