//! Every column type the archive carries survives SQLite → PostgreSQL →
//! SQLite: integers at both ends of their range, reals, text, NULL,
//! booleans (integers in SQLite) and blobs. The table is one no migration
//! creates, so this also shows a new table is carried without code changing.

use serde_json::Value;
use sqlx::{Connection, Row};

use super::{archive_lines, passerelle, path, succeeds};
use crate::rig::{Backend, TestDatabase};

type Typed = (
    i64,
    Option<bool>,
    Option<f64>,
    Option<Vec<u8>>,
    Option<String>,
    Option<i64>,
);

fn expected() -> Vec<Typed> {
    vec![
        (
            1,
            Some(true),
            Some(0.1),
            Some(vec![0, 255, 127, 128]),
            Some("é ✓ \"quoted\"\nline".to_owned()),
            Some(i64::MAX),
        ),
        (
            2,
            Some(false),
            Some(-1.5e300),
            Some(Vec::new()),
            Some(String::new()),
            Some(i64::MIN),
        ),
        (3, None, None, None, None, None),
    ]
}

/// A new, migrated database with the extra table.
async fn with_types_table(backend: Backend) -> Option<TestDatabase> {
    let db = TestDatabase::new(backend).await?;
    succeeds(&passerelle(db.dir.path(), &db.url, &["migrate"]));
    db.execute(match backend {
        Backend::Sqlite => {
            "CREATE TABLE archive_types (id INTEGER PRIMARY KEY, flag BOOLEAN, \
             ratio REAL, data BLOB, label TEXT, n BIGINT)"
        }
        Backend::Postgres => {
            "CREATE TABLE archive_types (id BIGINT PRIMARY KEY, flag BOOLEAN, \
             ratio DOUBLE PRECISION, data BYTEA, label TEXT, n BIGINT)"
        }
    })
    .await;
    Some(db)
}

async fn read(db: &TestDatabase) -> Vec<Typed> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url)
        .await
        .expect("connect");
    // sqlx's Any driver reads no column declared BOOLEAN in SQLite.
    let flag = match db.backend {
        Backend::Sqlite => "CAST(flag AS INTEGER)",
        Backend::Postgres => "flag",
    };
    let sql = format!("SELECT id, {flag}, ratio, data, label, n FROM archive_types ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(&mut conn).await.expect("read");
    rows.iter()
        .map(|row| {
            let flag = match db.backend {
                Backend::Sqlite => row
                    .try_get::<Option<i64>, _>(1)
                    .expect("flag")
                    .map(|n| n != 0),
                Backend::Postgres => row.try_get(1).expect("flag"),
            };
            (
                row.try_get(0).expect("id"),
                flag,
                row.try_get(2).expect("ratio"),
                row.try_get(3).expect("data"),
                row.try_get(4).expect("label"),
                row.try_get(5).expect("n"),
            )
        })
        .collect()
}

#[ignore = "needs PostgreSQL: scripts/test runs it (or cargo test -- --include-ignored)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_column_type_survives_both_engines() {
    let Some(source) = with_types_table(Backend::Sqlite).await else {
        return;
    };
    let Some(pg) = with_types_table(Backend::Postgres).await else {
        return;
    };
    let Some(back) = with_types_table(Backend::Sqlite).await else {
        return;
    };
    source
        .execute(
            "INSERT INTO archive_types VALUES \
             (1, TRUE, 0.1, X'00FF7F80', 'é ✓ \"quoted\"' || char(10) || 'line', 9223372036854775807), \
             (2, FALSE, -1.5e300, X'', '', -9223372036854775807 - 1), \
             (3, NULL, NULL, NULL, NULL, NULL)",
        )
        .await;
    assert_eq!(read(&source).await, expected());
    let dir = source.dir.path();
    let (first, second) = (dir.join("first.gz"), dir.join("second.gz"));
    succeeds(&passerelle(dir, &source.url, &["export", path(&first)]));
    succeeds(&passerelle(dir, &pg.url, &["import", path(&first)]));
    assert_eq!(read(&pg).await, expected());
    succeeds(&passerelle(dir, &pg.url, &["export", path(&second)]));
    succeeds(&passerelle(dir, &back.url, &["import", path(&second)]));
    assert_eq!(read(&back).await, expected());

    // As the format says: booleans as JSON booleans, blobs in base64.
    for archive in [&first, &second] {
        let line = archive_lines(archive)
            .into_iter()
            .find(|l| l.starts_with("{\"table\":\"archive_types\",\"row\":{\"id\":1,"))
            .expect("the first row");
        let row: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(row["row"]["flag"], Value::Bool(true), "{line}");
        assert_eq!(row["row"]["data"], "AP9/gA==", "{line}");
        assert_eq!(row["row"]["n"], i64::MAX, "{line}");
    }
}
