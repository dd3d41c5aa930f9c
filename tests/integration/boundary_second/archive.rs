//! A hostile archive (item 9 of issue 24): `passerelle import` of a gzip
//! bomb — a valid header, then one row line hundreds of MiB long — is
//! refused with one line and exit 1, in bounded memory, changing nothing;
//! and `export` writes the node's secrets readable by their owner only.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::archive::passerelle_command as passerelle;
use crate::on_both_backends;
use crate::rig::TestDatabase;

on_both_backends!(a_gzip_bomb_import_fails_in_bounded_memory);

/// The line of spaces in the bomb: far above what the node may hold.
const BOMB_BYTES: usize = 320 * 1024 * 1024;
/// The peak resident memory allowed to the importing process.
const MAX_RSS_KIB: i64 = 200 * 1024;

fn succeeds(mut command: Command) {
    let output = command.output().expect("run passerelle");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");
}

/// Runs `command` to its end: its exit code, its stderr and its peak
/// resident set in KiB, from `wait4`'s accounting (exact, whenever the
/// peak happened).
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by `wait4`, which also gives its rusage"
)]
fn run_measured(mut command: Command) -> (i32, String, i64) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    let mut status = 0;
    // SAFETY: `wait4` writes only into the two locals passed; the child is
    // ours and reaped here once (std's `Child` is not waited on after).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    assert_eq!(reaped, pid, "wait4");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert!(libc::WIFEXITED(status), "killed: {stderr}");
    (libc::WEXITSTATUS(status), stderr, usage.ru_maxrss)
}

/// The lines of a small gzip archive.
fn archive_lines(file: &Path) -> Vec<String> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(file).expect("archive"));
    BufReader::new(gz)
        .lines()
        .collect::<Result<_, _>>()
        .expect("gzip text")
}

/// `header`, then a row whose text never ends, streamed into gzip a MiB
/// at a time: the test never holds the bomb.
fn write_bomb(file: &Path, header: &str) {
    let out = std::fs::File::create(file).expect("create");
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    writeln!(gz, "{header}").expect("write");
    write!(gz, r#"{{"table":"objects","row":{{"document":""#).expect("write");
    let spaces = vec![b' '; 1024 * 1024];
    for _ in 0..BOMB_BYTES / spaces.len() {
        gz.write_all(&spaces).expect("write");
    }
    gz.finish().expect("finish");
}

async fn a_gzip_bomb_import_fails_in_bounded_memory(db: TestDatabase) {
    let dir = db.dir.path();
    succeeds(passerelle(dir, &db.url, &["migrate"]));
    // A real header of this schema, from an export of the empty database.
    let empty = dir.join("empty.jsonl.gz");
    succeeds(passerelle(
        dir,
        &db.url,
        &["export", empty.to_str().unwrap()],
    ));
    let mode = std::fs::metadata(&empty).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the archive holds the node's secrets");
    let before = archive_lines(&empty);
    let header = &before[0];
    assert!(header.contains("passerelle-export"), "{header}");

    let bomb = dir.join("bomb.jsonl.gz");
    write_bomb(&bomb, header);
    let bytes = std::fs::metadata(&bomb).unwrap().len();
    assert!(bytes < 8 * 1024 * 1024, "a small file: {bytes} bytes");

    let (code, stderr, peak_kib) = run_measured(passerelle(
        dir,
        &db.url,
        &["import", bomb.to_str().unwrap()],
    ));
    assert_eq!(code, 1, "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("archive line 2: longer than 16 MiB") && stderr.contains("nothing changed"),
        "{stderr}"
    );
    assert!(
        peak_kib < MAX_RSS_KIB,
        "peak RSS {} MiB while refusing the bomb",
        peak_kib / 1024
    );

    // Nothing changed: the database exports as it did before (the header
    // differs only by its date).
    let after = dir.join("after.jsonl.gz");
    succeeds(passerelle(
        dir,
        &db.url,
        &["export", after.to_str().unwrap()],
    ));
    assert_eq!(archive_lines(&after)[1..], before[1..]);
}
