//! A database of its own for each test: a SQLite file in a temporary
//! directory or a PostgreSQL schema, with the queries tests make from
//! outside the node.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use url::Url;

use super::eventually;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the tests find PostgreSQL (trust auth), unless overridden.
pub fn postgres_base_url() -> String {
    std::env::var("POSTGRES_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A database of its own for one test: a SQLite file in a temporary
/// directory, or a PostgreSQL schema dropped when the test ends.
pub struct TestDatabase {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_schema: Option<String>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    /// `None` when the backend is unavailable outside CI (the skip is
    /// printed); under `CI=true` an unavailable PostgreSQL fails the test.
    pub async fn new(backend: Backend) -> Option<TestDatabase> {
        let dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("node.db").display());
                Some(TestDatabase {
                    backend,
                    url,
                    dir,
                    pg_schema: None,
                })
            }
            Backend::Postgres => {
                let base = postgres_base_url();
                let connected = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    sqlx::PgConnection::connect(&base),
                )
                .await;
                let mut conn = match connected {
                    Ok(Ok(conn)) => conn,
                    Ok(Err(e)) => return postgres_unavailable(&base, &e.to_string()),
                    Err(_) => return postgres_unavailable(&base, "connection timed out"),
                };
                let schema = format!(
                    "t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand::random::<u32>()
                );
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test schema");
                let _ = conn.close().await;
                let url = with_search_path(&base, &schema);
                Some(TestDatabase {
                    backend,
                    url,
                    dir,
                    pg_schema: Some(schema),
                })
            }
        }
    }

    /// The same database reached through another host and port (a proxy).
    pub fn url_via(&self, addr: SocketAddr) -> String {
        let mut url = Url::parse(&self.url).expect("database URL");
        url.set_host(Some(&addr.ip().to_string())).expect("host");
        url.set_port(Some(addr.port())).expect("port");
        url.to_string()
    }

    /// Runs one statement on the test database from outside the node.
    pub async fn execute(&self, statement: &str) {
        sqlx::query(statement)
            .execute(&mut self.connect().await)
            .await
            .expect(statement);
    }

    /// One integer read from the test database from outside the node.
    pub async fn query_i64(&self, query: &str) -> i64 {
        sqlx::query_scalar(query)
            .fetch_one(&mut self.connect().await)
            .await
            .expect(query)
    }

    /// Makes every insert into `table` fail (a trigger raises), as a
    /// database fault in the middle of a transaction.
    pub async fn inject_insert_fault(&self, table: &str) {
        let statements = match self.backend {
            Backend::Sqlite => vec![format!(
                "CREATE TRIGGER injected_fault_{table} BEFORE INSERT ON {table} \
                 BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )],
            Backend::Postgres => vec![
                "CREATE OR REPLACE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$"
                    .to_owned(),
                format!(
                    "CREATE TRIGGER injected_fault_{table} BEFORE INSERT ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION injected_fault()"
                ),
            ],
        };
        for statement in statements {
            self.execute(&statement).await;
        }
    }

    /// Lifts `inject_insert_fault`.
    pub async fn lift_insert_fault(&self, table: &str) {
        self.execute(&match self.backend {
            Backend::Sqlite => format!("DROP TRIGGER injected_fault_{table}"),
            Backend::Postgres => format!("DROP TRIGGER injected_fault_{table} ON {table}"),
        })
        .await;
    }

    /// Waits until `query`'s single text column reads `expected`.
    pub async fn wait_for_rows(&self, what: &str, query: &str, expected: &[&str]) {
        eventually(what, 20, || async {
            (self.query_text(query).await == expected).then_some(())
        })
        .await;
    }

    /// Each row of `query`'s single text column (for diagnostics).
    pub async fn query_text(&self, query: &str) -> Vec<String> {
        sqlx::query_scalar(query)
            .fetch_all(&mut self.connect().await)
            .await
            .expect(query)
    }

    /// A connection of the test's own, from outside the node.
    pub async fn connect(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url)
            .await
            .expect("the test database")
    }
}

/// The URL of `schema` on `base`. Its sessions commit without waiting
/// for the WAL flush (`synchronous_commit=off`): a commit is as visible
/// and as atomic, only a crash of the PostgreSQL server itself could lose
/// the last ones, which no test here does (the restart test runs a cluster
/// of its own), and the suite's many small transactions stop waiting on
/// the disk.
fn with_search_path(base: &str, schema: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-c%20search_path%3D{schema}%20-c%20synchronous_commit%3Doff")
}

fn postgres_unavailable(url: &str, why: &str) -> Option<TestDatabase> {
    super::skipped(
        "PostgreSQL",
        &format!("{url} is unavailable ({why}); start it, or run scripts/test"),
    );
    None
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(schema) = self.pg_schema.take() else {
            return;
        };
        let base = postgres_base_url();
        // Drop runs inside the test's runtime; a thread with its own keeps
        // this synchronous without blocking that runtime's workers.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
