//! Writing the archive: every table read in one transaction, each row
//! (through an optional rewrite) one JSON line.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::{EndLine, FORMAT, Header, Moved, VERSION, io_error, schema_version};
use crate::error::{Error, Result};
use crate::store::{Cell, Column, Store, Table};
use passerelle_config::DatabaseKind;

/// Writes the whole state of the node's database to `out` as an archive,
/// every table read in one transaction; `progress` hears the count of rows
/// written so far, after each row.
pub async fn export(store: &Store, out: impl Write, progress: impl FnMut(u64)) -> Result<Moved> {
    export_rewritten(store, out, progress, None).await
}

/// A change every exported row goes through: how an archive is made for
/// the node's new address (`crate::moving::relocation`).
pub trait RowRewrite {
    /// Rewrites `row` of `table` in place; `false` leaves the row out.
    fn rewrite(&self, table: &str, row: &mut Map<String, Value>) -> Result<bool>;
    /// Rows added to `table`, after its own.
    fn added(&self, table: &str) -> Vec<Map<String, Value>>;
}

/// Writes the archive as `export` does, every row through `rewrite`.
pub async fn export_rewritten(
    store: &Store,
    out: impl Write,
    mut progress: impl FnMut(u64),
    rewrite: Option<&dyn RowRewrite>,
) -> Result<Moved> {
    let tables = store.archive_tables().await?;
    let header = Header {
        format: FORMAT.to_owned(),
        version: VERSION,
        schema: schema_version(store).await?,
        exported_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        engine: match store.kind() {
            DatabaseKind::Sqlite => "sqlite",
            DatabaseKind::Postgres => "postgres",
        }
        .to_owned(),
        tables: tables.iter().map(|t| t.name.clone()).collect(),
    };
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    write_line(&mut gz, &serde_json::to_value(&header)?)?;
    let mut snapshot = store.archive_snapshot().await?;
    let mut rows = 0u64;
    for table in &tables {
        snapshot
            .rows(table, |cells| {
                let mut row = Map::new();
                for (column, cell) in table.columns.iter().zip(cells) {
                    row.insert(column.name.clone(), cell_json(table, column, cell)?);
                }
                if let Some(rewrite) = rewrite {
                    if !rewrite.rewrite(&table.name, &mut row)? {
                        return Ok(());
                    }
                }
                rows += 1;
                progress(rows);
                write_line(
                    &mut gz,
                    &serde_json::json!({"table": table.name, "row": row}),
                )
            })
            .await?;
        for row in rewrite.map(|r| r.added(&table.name)).unwrap_or_default() {
            rows += 1;
            progress(rows);
            write_line(
                &mut gz,
                &serde_json::json!({"table": table.name, "row": row}),
            )?;
        }
    }
    let end = EndLine {
        end: FORMAT.to_owned(),
        rows,
    };
    write_line(&mut gz, &serde_json::to_value(&end)?)?;
    gz.finish().map_err(|e| io_error(&e))?;
    Ok(Moved {
        tables: tables.len(),
        rows,
    })
}

fn write_line(out: &mut impl Write, value: &Value) -> Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n").map_err(|e| io_error(&e))
}

fn cell_json(table: &Table, column: &Column, cell: Cell) -> Result<Value> {
    Ok(match cell {
        Cell::Null => Value::Null,
        Cell::Integer(n) => Value::from(n),
        Cell::Real(x) => serde_json::Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| {
                Error::Internal(format!(
                    "{}.{} holds {x}, which JSON cannot carry",
                    table.name, column.name
                ))
            })?,
        Cell::Text(s) => Value::String(s),
        Cell::Blob(b) => Value::String(STANDARD.encode(b)),
        Cell::Boolean(b) => Value::Bool(b),
    })
}
