//! A test that cannot run here says so: under `CI=true` it fails; else it
//! prints `SKIPPED (what: why)` and, when `SKIPPED_TESTS_FILE` names a file
//! (`scripts/test` sets it), appends `what<TAB>why` there, so the run's
//! summary lists every skipped group and why. The variable has no
//! `PASSERELLE_` prefix: the binary the tests start reads every such
//! variable as a setting and refuses the ones it does not know.

use std::io::Write;

use super::under_ci;

/// Records that the calling test skips, for want of `what` (`PostgreSQL`,
/// `Chromium`…), because `why` (what to do about it included).
pub fn skipped(what: &str, why: &str) {
    assert!(!under_ci(), "{what} is required under CI=true: {why}");
    eprintln!("SKIPPED ({what}: {why})");
    let Some(path) = std::env::var_os("SKIPPED_TESTS_FILE") else {
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
