//! The long commands show their progress on a terminal and nothing
//! elsewhere: `export` and `import` under a pseudo-terminal (`script`)
//! draw a count of rows with its rate; piped, their standard error stays
//! empty and standard output holds the one summary line.

use std::process::{Command, Stdio};

use crate::rig::skipped;

/// The binary on the SQLite file `db`, in `dir`, with no inherited settings.
fn passerelle(dir: &std::path::Path, db: &std::path::Path) -> Command {
    let mut command = crate::rig::passerelle(dir);
    command.env(
        "PASSERELLE_DATABASE_URL",
        format!("sqlite://{}", db.display()),
    );
    command
}

/// `args` run under a pseudo-terminal: what the terminal showed.
fn on_a_terminal(dir: &std::path::Path, db: &std::path::Path, args: &str) -> String {
    let line = format!("{} {args}", env!("CARGO_BIN_EXE_passerelle"));
    let command = passerelle(dir, db);
    let output = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    assert!(output.status.success(), "{args}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn long_commands_show_progress_on_a_terminal_only() {
    if Command::new("script").arg("--version").output().is_err() {
        skipped(
            "script",
            "no `script` (util-linux) to give the command a terminal",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (source, target) = (dir.path().join("source.db"), dir.path().join("target.db"));
    let migrated = passerelle(dir.path(), &source)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{migrated:?}");

    // Piped: one summary line on stdout, nothing on stderr.
    let piped = passerelle(dir.path(), &source)
        .args(["export", "piped.jsonl.gz"])
        .output()
        .unwrap();
    assert!(piped.status.success(), "{piped:?}");
    assert!(
        piped.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    let summary = String::from_utf8_lossy(&piped.stdout);
    assert!(
        summary.starts_with("exported ") && summary.lines().count() == 1,
        "{summary}"
    );

    // On a terminal: the count and its rate, then the same summary.
    let shown = on_a_terminal(dir.path(), &source, "export tty.jsonl.gz");
    assert!(
        shown.contains("exporting: ") && shown.contains("rows ("),
        "{shown}"
    );
    assert!(shown.contains("/s"), "a rate: {shown}");
    assert!(shown.contains("exported "), "{shown}");
    let migrated = passerelle(dir.path(), &target)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(migrated.status.success());
    let shown = on_a_terminal(dir.path(), &target, "import tty.jsonl.gz");
    assert!(
        shown.contains("importing: ") && shown.contains("imported "),
        "{shown}"
    );
}
