//! `passerelle export|import|backup` and `migrate --check`: moving, copying
//! and checking a node's database.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::domain::archive;
use crate::domain::moving::relocation::Relocation;
use crate::store::Store;
use passerelle_config::{DatabaseKind, Settings};

/// Connects without migrating, for commands that must not change the schema.
async fn connect(settings: &Settings) -> Result<Store, String> {
    let kind = settings.database_kind().map_err(|e| e.to_string())?;
    Store::connect(&settings.database_url, kind)
        .await
        .map_err(|e| format!("cannot reach the database: {e}"))
}

pub async fn export(
    settings: Settings,
    file: PathBuf,
    moving_to: Option<url::Url>,
) -> Result<(), String> {
    let store = super::open_store(&settings).await?;
    let relocation = match &moving_to {
        Some(to) => Some(
            Relocation::prepare(&store, &settings, to)
                .await
                .map_err(|e| format!("export failed: {e}"))?,
        ),
        None => None,
    };
    let out = create_private(&file)?;
    let bar = super::progress::counter("exporting", "rows");
    let rewrite = relocation.as_ref().map(|r| r as &dyn archive::RowRewrite);
    let outcome = archive::export_rewritten(
        &store,
        std::io::BufWriter::new(out),
        |rows| bar.set_position(rows),
        rewrite,
    )
    .await;
    bar.finish_and_clear();
    store.close().await;
    match outcome {
        Ok(moved) => {
            println!(
                "exported {} rows of {} tables to {}",
                moved.rows,
                moved.tables,
                file.display()
            );
            Ok(())
        }
        Err(e) => {
            // No half-written archive is left to be mistaken for a whole one.
            let _ = std::fs::remove_file(&file);
            Err(format!("export failed: {e}"))
        }
    }
}

/// The archive holds the node's private keys and webhook secrets: only
/// its owner may read it, also when FILE existed before.
fn create_private(file: &Path) -> Result<File, String> {
    let cannot = |e: std::io::Error| format!("cannot create {}: {e}", file.display());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let out = options.open(file).map_err(cannot)?;
        out.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(cannot)?;
        Ok(out)
    }
    #[cfg(not(unix))]
    options.open(file).map_err(cannot)
}

pub async fn import(settings: Settings, file: PathBuf) -> Result<(), String> {
    let input = File::open(&file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let store = super::open_store(&settings).await?;
    let gz = flate2::read::GzDecoder::new(BufReader::new(input));
    let bar = super::progress::counter("importing", "rows");
    let outcome = archive::import(&store, BufReader::new(gz), |rows| bar.set_position(rows)).await;
    bar.finish_and_clear();
    store.close().await;
    let moved = outcome.map_err(|e| format!("import refused, nothing changed: {e}"))?;
    println!(
        "imported {} rows of {} tables from {}",
        moved.rows,
        moved.tables,
        file.display()
    );
    Ok(())
}

pub async fn backup(settings: Settings, file: PathBuf) -> Result<(), String> {
    if settings.database_kind().map_err(|e| e.to_string())? == DatabaseKind::Postgres {
        return Err(
            "backup copies SQLite databases; back up PostgreSQL with pg_dump (see docs/operating.md)"
                .into(),
        );
    }
    let path = absolute(&file)?;
    let store = connect(&settings).await?;
    let bar = super::progress::spinner("backing up");
    let outcome = store.backup_into(&path).await;
    bar.finish_and_clear();
    store.close().await;
    outcome.map_err(|e| format!("backup failed: {e}"))?;
    println!("backed up to {path}");
    Ok(())
}

fn absolute(file: &Path) -> Result<String, String> {
    let path = std::path::absolute(file).map_err(|e| format!("{}: {e}", file.display()))?;
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: not a UTF-8 path", path.display()))
}

/// Exit 0 when the database has exactly the migrations this build ships.
pub async fn check_migrations(settings: Settings) -> Result<(), String> {
    let store = connect(&settings).await?;
    let applied = store.applied_migrations().await;
    let known = store.known_migrations();
    store.close().await;
    let applied = applied.map_err(|e| e.to_string())?;
    let unknown: Vec<String> = applied
        .iter()
        .filter(|v| !known.contains(v))
        .map(i64::to_string)
        .collect();
    let pending: Vec<String> = known
        .iter()
        .filter(|v| !applied.contains(v))
        .map(i64::to_string)
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "schema ahead: the database has migrations this build does not know ({}); run a newer release",
            unknown.join(", ")
        ));
    }
    if !pending.is_empty() {
        return Err(format!(
            "schema behind: {} pending migrations ({}); run `passerelle migrate`",
            pending.len(),
            pending.join(", ")
        ));
    }
    println!("schema up to date: {} migrations", known.len());
    Ok(())
}
