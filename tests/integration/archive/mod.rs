//! Moving, copying and checking a node's database with the real binary:
//! `export` / `import` (SQLite → PostgreSQL → SQLite without loss, refusals
//! that change nothing), `backup` of a running node, `migrate --check`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use futures::TryStreamExt;
use passerelle::config::Admission;
use passerelle::domain::tokens::Scope;
use serde_json::{Value, json};
use sqlx::{Column, Connection, Row};

mod types;

use crate::on_both_backends;
use crate::rig::federation::{admin, ask_to_follow, node_named, wait_follow_state};
use crate::rig::{Backend, TestDatabase, TestNode};

/// Runs the binary on `database_url`, in `dir`, with no other settings.
fn passerelle(dir: &Path, database_url: &str, args: &[&str]) -> Output {
    passerelle_command(dir, database_url, args)
        .output()
        .expect("run passerelle")
}

/// The binary on `database_url`, in `dir`, with no other settings, not
/// started yet.
pub(crate) fn passerelle_command(dir: &Path, database_url: &str, args: &[&str]) -> Command {
    let mut command = crate::rig::passerelle(dir);
    command
        .env("PASSERELLE_DATABASE_URL", database_url)
        .args(args);
    command
}

fn succeeds(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Exit 1 and one line on stderr containing `must_say`; that line.
fn fails_saying(output: &Output, must_say: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(must_say), "`{must_say}` not in: {stderr}");
    stderr
}

fn path(file: &Path) -> &str {
    file.to_str().expect("UTF-8 path")
}

/// Every table the migrations of `backend` create, read from the SQL files:
/// a table added there and missed by the export fails the tests below.
fn migration_tables(backend: Backend) -> Vec<String> {
    let dir = match backend {
        Backend::Sqlite => "migrations/sqlite",
        Backend::Postgres => "migrations/postgres",
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut tables = Vec::new();
    for entry in std::fs::read_dir(dir).expect("migrations") {
        let sql = std::fs::read_to_string(entry.expect("entry").path()).expect("migration");
        for line in sql.lines() {
            if let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") {
                let name = rest.split([' ', '(']).next().expect("table name");
                tables.push(name.to_owned());
            }
        }
    }
    tables.sort();
    tables
}

/// Every row of every table of the migrations, as JSON objects with sorted
/// keys, sorted; booleans read as 0/1 and blobs as hex, so engines compare.
async fn dump(url: &str, backend: Backend) -> BTreeMap<String, Vec<String>> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    let mut tables = BTreeMap::new();
    for table in migration_tables(backend) {
        let sql = format!("SELECT * FROM {table}");
        let mut rows: Vec<String> = Vec::new();
        let mut stream = sqlx::query(&sql).fetch(&mut conn);
        while let Some(row) = stream.try_next().await.expect(&sql) {
            let mut object = BTreeMap::new();
            for (i, column) in row.columns().iter().enumerate() {
                object.insert(column.name().to_owned(), cell(&row, i));
            }
            rows.push(serde_json::to_string(&object).expect("row"));
        }
        rows.sort();
        tables.insert(table, rows);
    }
    tables
}

fn cell(row: &sqlx::any::AnyRow, i: usize) -> Value {
    if let Ok(n) = row.try_get::<Option<i64>, _>(i) {
        return json!(n);
    }
    if let Ok(x) = row.try_get::<Option<f64>, _>(i) {
        return json!(x);
    }
    if let Ok(s) = row.try_get::<Option<String>, _>(i) {
        return json!(s);
    }
    if let Ok(b) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return json!(b.map(hex::encode));
    }
    let b: Option<bool> = row.try_get(i).expect("a readable column");
    json!(b.map(i64::from))
}

fn rows_in(tables: &BTreeMap<String, Vec<String>>) -> usize {
    tables.values().map(Vec::len).sum()
}

/// The lines of a (whole) archive.
fn archive_lines(file: &Path) -> Vec<String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).expect("archive"))
        .read_to_string(&mut text)
        .expect("gzip");
    text.lines().map(str::to_owned).collect()
}

fn write_archive(file: &Path, lines: &[String]) {
    let out = std::fs::File::create(file).expect("create");
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    for line in lines {
        writeln!(gz, "{line}").expect("write");
    }
    gz.finish().expect("finish");
}

#[ignore = "needs PostgreSQL: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_sqlite_postgres_sqlite_is_lossless() {
    let Some(db) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let Some(pg) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let Some(back) = TestDatabase::new(Backend::Sqlite).await else {
        return;
    };
    let a = TestNode::start_with(&db.url, |s| s.federation.admission = Admission::Open).await;
    let (b, _b_db) = node_named(&db, "velocoop", |s| {
        s.federation.admission = Admission::Open;
    })
    .await;
    let (a_admin, b_admin) = (admin(&a).await, admin(&b).await);
    let platform = a.token(Scope::Platform).await;
    let hook = a
        .post_json(
            "/api/v1/webhooks",
            &platform,
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["catalog.created"]}),
        )
        .await;
    assert_eq!(hook.status(), 201);
    ask_to_follow(&a, &a_admin, &b, &b_admin).await;
    ask_to_follow(&b, &b_admin, &a, &a_admin).await;
    wait_follow_state(&a, &a_admin, &b, "active").await;
    wait_follow_state(&b, &b_admin, &a, "active").await;
    for id in ["jam", "apples"] {
        let put = a
            .put_json(
                &format!("/api/v1/offers/{id}"),
                &platform,
                &a.example("offer"),
            )
            .await;
        assert_eq!(put.status(), 201);
    }
    a.wait_until_delivered().await;
    let b_platform = b.token(Scope::Platform).await;
    b.put_json("/api/v1/offers/bikes", &b_platform, &b.example("offer"))
        .await;
    b.wait_until_delivered().await;
    let actor = a.get_activity_json("/actor").await.1;
    let offer = a.get_activity_json("/offers/jam").await.1;
    let settings = a.settings.clone();
    a.stop().await;
    b.stop().await;
    // A rotated proof key too: its history (`ed25519_keys`) moves with it.
    let rotation = crate::rig::passerelle_as(&settings)
        .args(["keys", "rotate", "--ed25519"])
        .output()
        .expect("runs");
    succeeds(&rotation);

    let original = dump(&db.url, Backend::Sqlite).await;
    let moved = "node_keys ed25519_keys objects activities api_tokens audit_log webhooks peers \
                 follows_in follows_out delivery_streams catalog webhook_events";
    for table in moved.split_whitespace() {
        assert!(!original[table].is_empty(), "no rows in {table} to move");
    }
    let dir = db.dir.path();
    let (first, second) = (dir.join("first.jsonl.gz"), dir.join("second.jsonl.gz"));
    succeeds(&passerelle(dir, &db.url, &["export", path(&first)]));
    let header: Value = serde_json::from_str(&archive_lines(&first)[0]).expect("header");
    assert_eq!(header["format"], "passerelle-export");
    assert_eq!(header["version"], 1);
    assert_eq!(header["engine"], "sqlite");

    succeeds(&passerelle(dir, &pg.url, &["import", path(&first)]));
    assert_eq!(dump(&pg.url, Backend::Postgres).await, original);
    succeeds(&passerelle(dir, &pg.url, &["export", path(&second)]));
    succeeds(&passerelle(dir, &back.url, &["import", path(&second)]));
    assert_eq!(dump(&back.url, Backend::Sqlite).await, original);

    // PostgreSQL's sequences moved past the imported ids: new rows fit.
    succeeds(&passerelle(
        dir,
        &pg.url,
        &["token", "create", "--name", "after", "--scope", "admin"],
    ));

    // The node keeps its identity: same actor, same key, same objects,
    // and its tokens still open the API.
    let mut settings = settings;
    settings.database_url = back.url.clone();
    let moved = TestNode::start_on(settings).await;
    // The actor is the one before the rotation but for its proof keys:
    // the new one first, the old one revoked, and what it signed verifies.
    let mut moved_actor = moved.get_activity_json("/actor").await.1;
    let methods = moved_actor["assertionMethod"].take();
    let mut actor_without_keys = actor.clone();
    let old_method = actor_without_keys["assertionMethod"].take()[0].clone();
    assert_eq!(moved_actor, actor_without_keys);
    assert!(
        methods[0]["id"]
            .as_str()
            .unwrap()
            .ends_with("#ed25519-key-2"),
        "{methods}"
    );
    assert_eq!(methods[1]["id"], old_method["id"]);
    assert_eq!(
        methods[1]["publicKeyMultibase"],
        old_method["publicKeyMultibase"]
    );
    assert!(methods[1]["revoked"].is_string(), "{methods}");
    assert_eq!(moved.get_activity_json("/offers/jam").await.1, offer);
    passerelle::apub::verification::verify_with_actor(
        &moved.get_activity_json("/actor").await.1,
        &offer,
    )
    .expect("the offer's proof verifies after the rotation and the move");
    let offers = moved.api("/api/v1/offers", &platform).await;
    assert_eq!(
        offers["items"].as_array().map(Vec::len),
        Some(2),
        "{offers}"
    );
    moved.stop().await;
}

on_both_backends!(export_carries_every_table_and_import_refuses_without_changing_anything);

async fn export_carries_every_table_and_import_refuses_without_changing_anything(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let platform = node.token(Scope::Platform).await;
    node.put_json("/api/v1/offers/jam", &platform, &node.example("offer"))
        .await;
    node.stop().await;
    let dir = db.dir.path();
    let file = dir.join("node.jsonl.gz");
    succeeds(&passerelle(dir, &db.url, &["export", path(&file)]));
    let lines = archive_lines(&file);
    let header: Value = serde_json::from_str(&lines[0]).expect("header");
    let mut tables: Vec<String> = serde_json::from_value(header["tables"].clone()).expect("tables");
    tables.sort();
    assert_eq!(tables, migration_tables(db.backend));

    // Into a database with rows: refused, nothing changed.
    let before = dump(&db.url, db.backend).await;
    let refusal = fails_saying(
        &passerelle(dir, &db.url, &["import", path(&file)]),
        "not empty",
    );
    assert!(refusal.contains("nothing changed"), "{refusal}");
    assert_eq!(dump(&db.url, db.backend).await, before);

    // Damaged archives, into an empty database: refused, still empty.
    let empty = TestDatabase::new(db.backend).await.expect("same backend");
    succeeds(&passerelle(dir, &empty.url, &["migrate"]));
    let bytes = std::fs::read(&file).expect("archive");
    let cut = dir.join("cut.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let no_end = dir.join("no-end.gz");
    write_archive(&no_end, &lines[..lines.len() - 1]);
    let bad_row = dir.join("bad-row.gz");
    let mut broken = lines.clone();
    let last_row = broken.len() - 2;
    broken[last_row] = broken[last_row].replace("\"row\":{", "\"row\":{\"nope\":1,");
    write_archive(&bad_row, &broken);
    let garbage = dir.join("garbage.gz");
    std::fs::write(&garbage, b"not gzip at all").expect("write");
    let future = dir.join("future.gz");
    let mut newer = lines.clone();
    newer[0] = newer[0].replace("\"version\":1", "\"version\":2");
    write_archive(&future, &newer);
    let other_schema = dir.join("schema.gz");
    let mut older = lines.clone();
    older[0] = older[0].replace(&format!("\"schema\":{}", header["schema"]), "\"schema\":3");
    write_archive(&other_schema, &older);
    let unknown = dir.join("unknown.gz");
    write_archive(&unknown, &[lines[0].replace("passerelle-export", "other")]);
    for (archive, says) in [
        (&unknown, "unknown format"),
        (&cut, "nothing changed"),
        (&no_end, "truncated"),
        (&bad_row, "every column"),
        (&garbage, "nothing changed"),
        (&future, "format version 2"),
        (&other_schema, "schema version 3"),
    ] {
        fails_saying(
            &passerelle(dir, &empty.url, &["import", path(archive)]),
            says,
        );
        assert_eq!(rows_in(&dump(&empty.url, empty.backend).await), 0, "{says}");
    }
    // The whole archive then goes in.
    succeeds(&passerelle(dir, &empty.url, &["import", path(&file)]));
    assert_eq!(dump(&empty.url, empty.backend).await, before);
}

on_both_backends!(backup_copies_a_running_sqlite_node);

async fn backup_copies_a_running_sqlite_node(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let platform = node.token(Scope::Platform).await;
    node.put_json("/api/v1/offers/jam", &platform, &node.example("offer"))
        .await;
    let dir = db.dir.path();
    let copy = dir.join("copy.db");
    let output = passerelle(dir, &db.url, &["backup", path(&copy)]);
    if db.backend == Backend::Postgres {
        fails_saying(&output, "pg_dump");
        node.stop().await;
        return;
    }
    succeeds(&output);
    let copy_url = format!("sqlite://{}", path(&copy));
    let mut copied = dump(&copy_url, Backend::Sqlite).await;
    let mut live = dump(&db.url, Backend::Sqlite).await;
    // The running node rewrites its heartbeat every few seconds.
    copied.remove("live_processes");
    live.remove("live_processes");
    assert_eq!(copied, live);
    assert!(!copied["objects"].is_empty());
    // A node started on the copy serves the same actor and objects.
    let (actor, offer) = (
        node.get_activity_json("/actor").await.1,
        node.get_activity_json("/offers/jam").await.1,
    );
    let mut settings = node.settings.clone();
    node.stop().await;
    settings.database_url = copy_url;
    let restored = TestNode::start_on(settings).await;
    assert_eq!(restored.get_activity_json("/actor").await.1, actor);
    assert_eq!(restored.get_activity_json("/offers/jam").await.1, offer);
    restored.stop().await;
}

on_both_backends!(migrate_check_tells_current_behind_and_ahead);

async fn migrate_check_tells_current_behind_and_ahead(db: TestDatabase) {
    let dir = db.dir.path();
    let check = |url: &str| passerelle(dir, url, &["migrate", "--check"]);
    fails_saying(&check(&db.url), "schema behind");
    succeeds(&passerelle(dir, &db.url, &["migrate"]));
    assert!(succeeds(&check(&db.url)).contains("schema up to date"));

    // A migration recorded as applied: the database is behind again.
    let latest = db
        .query_i64("SELECT MAX(version) FROM _sqlx_migrations")
        .await;
    db.execute(&format!(
        "DELETE FROM _sqlx_migrations WHERE version = {latest}"
    ))
    .await;
    fails_saying(
        &check(&db.url),
        &format!("schema behind: 1 pending migrations ({latest})"),
    );

    // A migration of a newer release: ahead; this build will not migrate it.
    let newer = TestDatabase::new(db.backend).await.expect("same backend");
    succeeds(&passerelle(dir, &newer.url, &["migrate"]));
    let checksum = match db.backend {
        Backend::Sqlite => "X'00'",
        Backend::Postgres => "decode('00', 'hex')",
    };
    newer
        .execute(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99999, 'from a newer release', TRUE, {checksum}, 0)"
        ))
        .await;
    fails_saying(&check(&newer.url), "schema ahead");
    fails_saying(&passerelle(dir, &newer.url, &["migrate"]), "99999");
    let mut serve = passerelle_command(dir, &newer.url, &["serve"]);
    serve
        .env("PASSERELLE_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = serve.spawn().expect("serve");
    let status = crate::rig::eventually("serve to refuse", 20, || {
        let exited = child.try_wait().expect("wait");
        async move { exited }
    })
    .await;
    assert_eq!(status.code(), Some(1));
}
