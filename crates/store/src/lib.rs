//! Database access. One `Store` over sqlx's `Any` driver so that each query
//! is written once and runs on both SQLite and PostgreSQL: queries use `$N`
//! placeholders (both engines accept them) and only the portable column
//! types (BIGINT/INTEGER, TEXT, BLOB/BYTEA). Schemas differ only in DDL, in
//! `migrations/sqlite` and `migrations/postgres`. One file per aggregate.

mod acknowledgements;
mod activities;
mod addresses;
mod agreements;
mod amendment_drafts;
mod amendments;
mod archive;
mod catalog;
mod change;
mod delivery;
mod dfc;
mod follows;
mod governance;
mod identity;
mod joins;
mod network_members;
mod objects;
mod peers;
mod periodic;
mod processes;
mod register;
mod scopes;
mod sessions;
mod setup_links;
mod terms;
mod tokens;
mod webhooks;

pub use acknowledgements::{LedgerEntry, OwedReceipt};
pub use activities::ActivityRow;
pub use addresses::{AddressRelation, AddressRow};
pub use agreements::{AgreementFilter, AgreementRow, NewAgreement};
pub use amendment_drafts::{DraftRow, OfferedDraft};
pub use amendments::{AmendmentRow, Closing, NewAmendment, VoteRow};
pub use archive::{ArchiveImport, ArchiveSnapshot, Cell, Column, ColumnKind, Table};
pub use catalog::{CatalogEntry, CatalogFilter, CatalogRow};
pub use change::ChangeTx;
pub use delivery::{
    HOUR_MS, HourRow, OutgoingActivity, PassEnd, Receipt, ReceiptRow, StreamProgress, StreamRow,
};
pub use dfc::{DfcItemRow, DfcSourceRow};
pub use follows::{Direction, FollowInRow, FollowOutRow};
pub use governance::{AuditFilter, AuditRow, Claim, ExclusionRow};
pub use identity::{Ed25519KeyRow, NewEd25519Key};
pub use joins::{JoinRow, NewJoin};

pub use network_members::{MemberRow, MirrorRow, MirroredMember, OverrideRow};
pub use objects::{NewActivity, ObjectRow, ObjectState, VersionRow};
pub use peers::{PeerActor, PeerRow};
pub use register::SharingCounts;
pub use scopes::ScopeRow;
pub use sessions::SessionRow;
pub use setup_links::SetupLinkRow;
pub use terms::{ReceivedTermsRow, SentTermsRow};
pub use tokens::TokenRow;
pub use webhooks::{WebhookDeliveryRow, WebhookEventRow, WebhookRow};

use std::sync::Once;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

use passerelle_config::DatabaseKind;
use passerelle_model::error::{Error, Result};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// How long a request waits for a pooled connection before giving up; keeps
/// handlers and `/readyz` answering promptly when the database is gone.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    kind: DatabaseKind,
}

/// Why the store cannot serve requests right now.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("database unreachable: {0}")]
    Unreachable(String),
    #[error("migrations not applied: {applied} of {expected}")]
    Migrations { applied: i64, expected: usize },
}

impl Store {
    /// Opens a pool on `database_url`; a SQLite file is created if missing.
    pub async fn connect(database_url: &str, kind: DatabaseKind) -> Result<Store> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let url = match kind {
            DatabaseKind::Sqlite => sqlite_url_creating_file(database_url),
            DatabaseKind::Postgres => database_url.to_owned(),
        };
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut options = AnyPoolOptions::new()
            // Each in-memory SQLite connection would be its own database.
            .max_connections(if in_memory { 1 } else { 10 })
            .acquire_timeout(ACQUIRE_TIMEOUT);
        if kind == DatabaseKind::Sqlite {
            options = options.after_connect(|connection, _| {
                Box::pin(async move {
                    // In WAL mode, NORMAL keeps every commit across a crash of
                    // the process (kill -9); only a power loss can take the
                    // last ones. FULL would fsync every commit.
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *connection)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        if kind == DatabaseKind::Sqlite && !in_memory {
            // WAL lets readers proceed while a writer commits; the setting
            // persists in the file, so once per start is enough.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        Ok(Store { pool, kind })
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    fn migrator(&self) -> &'static Migrator {
        match self.kind {
            DatabaseKind::Sqlite => &SQLITE_MIGRATIONS,
            DatabaseKind::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies pending migrations. Safe to run concurrently from several
    /// replicas: sqlx takes a database lock around the run on PostgreSQL.
    pub async fn migrate(&self) -> Result<()> {
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Number of migrations this build ships, and of those the database holds.
    pub async fn migration_status(&self) -> Result<(usize, i64)> {
        let expected = self.migrator().iter().count();
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await?;
        Ok((expected, applied))
    }

    /// Versions of the migrations this build ships, in order.
    pub fn known_migrations(&self) -> Vec<i64> {
        self.migrator().iter().map(|m| m.version).collect()
    }

    /// Versions the database records as applied, in order; none when it
    /// was never migrated. Applies nothing.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>> {
        let applied = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await;
        match applied {
            Ok(versions) => Ok(versions),
            // The server answered but has no migrations table: never migrated.
            Err(sqlx::Error::Database(_)) => Ok(Vec::new()),
            Err(other) => Err(other.into()),
        }
    }

    /// Readiness: the database answers and every migration is applied.
    pub async fn check_ready(&self) -> Result<(), NotReady> {
        let expected = self.migrator().iter().count();
        let applied = match self.migration_status().await {
            Ok((_, applied)) => applied,
            // The server answered but has no migrations table: not migrated.
            Err(Error::Database(sqlx::Error::Database(_))) => 0,
            Err(other) => return Err(NotReady::Unreachable(other.to_string())),
        };
        if applied < passerelle_model::count(expected) {
            return Err(NotReady::Migrations { applied, expected });
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// sqlx opens SQLite files read-write but does not create them unless asked.
fn sqlite_url_creating_file(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Milliseconds since the Unix epoch: the portable timestamp column type.
/// A column this node wrote as JSON, read back as its type.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    row: &sqlx::any::AnyRow,
    column: &str,
) -> Result<T> {
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|e| passerelle_model::error::Error::Internal(format!("stored {column}: {e}")))
}

/// A value written to a JSON column.
pub(crate) fn json_text(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| passerelle_model::error::Error::Internal(e.to_string()))
}

/// An activity type column (`Create`, `Follow`...).
pub(crate) fn activity_kind_column(
    row: &sqlx::any::AnyRow,
    column: &str,
) -> Result<passerelle_model::ActivityKind> {
    use sqlx::Row;
    let name: String = row.try_get(column)?;
    passerelle_model::ActivityKind::parse(&name).ok_or_else(|| {
        passerelle_model::error::Error::Internal(format!("stored activity type {name:?}"))
    })
}

/// An object kind column (`offer`, `member`...).
pub(crate) fn kind_column(row: &sqlx::any::AnyRow) -> Result<passerelle_model::ObjectKind> {
    use sqlx::Row;
    let name: String = row.try_get("kind")?;
    passerelle_model::ObjectKind::parse(&name).ok_or_else(|| {
        passerelle_model::error::Error::Internal(format!("stored object kind {name:?}"))
    })
}

pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migrations stay compatible with the previous release, so replicas
    /// can be upgraded one at a time: they add tables, columns and indexes,
    /// and never drop, rename or retype, nor add a required column without
    /// a default (the previous release's inserts would fail).
    #[test]
    fn migrations_are_additive() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        for engine in ["sqlite", "postgres"] {
            for entry in std::fs::read_dir(root.join(engine)).expect("migrations") {
                let path = entry.expect("entry").path();
                let sql = std::fs::read_to_string(&path).expect("migration");
                for statement in sql.split(';').map(str::to_ascii_uppercase) {
                    let code: String = statement
                        .lines()
                        .filter(|l| !l.trim_start().starts_with("--"))
                        .collect::<Vec<_>>()
                        .join(" ");
                    for word in ["DROP ", "RENAME ", "ALTER COLUMN", "TRUNCATE "] {
                        assert!(!code.contains(word), "{}: {word}", path.display());
                    }
                    if code.contains("ADD COLUMN") && code.contains("NOT NULL") {
                        assert!(code.contains("DEFAULT"), "{}: {code}", path.display());
                    }
                }
            }
        }
    }

    #[test]
    fn sqlite_urls_gain_create_mode() {
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating_file("sqlite::memory:"),
            "sqlite::memory:"
        );
    }
}
