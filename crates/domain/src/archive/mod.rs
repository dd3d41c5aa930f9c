//! The export archive: a node's whole state in one gzip-compressed file of
//! JSON lines, readable by either engine.
//!
//! - line 1, the header: `{"format":"passerelle-export","version":1,
//!   "schema":22,"exported_at":"…","engine":"sqlite","tables":[…]}` —
//!   `schema` is the latest migration applied, `tables` every table in
//!   insertion order (parents before the tables referencing them);
//! - one line per row: `{"table":"objects","row":{"id":1,…}}`, every
//!   column: integers and reals as JSON numbers, text as strings, NULL as
//!   `null`, booleans as `true`/`false`, blobs as base64 strings (standard
//!   alphabet, padded); the column's type in the importing database says
//!   which;
//! - the last line: `{"end":"passerelle-export","rows":N}`, so a truncated
//!   archive is refused.
//!
//! Tokens and session ids are stored hashed and exported as their hashes;
//! the node's private keys and webhook secrets are exported as they are.
//! An archive is the node's secrets: whoever holds one can sign as it.
//!
//! An archive is also untrusted input: a line (a row) longer than
//! `MAX_LINE_BYTES` is refused as soon as that many bytes are read, so a
//! gzip bomb of one endless line costs bounded memory and changes nothing.

mod export;

pub use export::{RowRewrite, export, export_rewritten};

use std::io::{BufRead, Read};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::store::{ArchiveImport, Cell, ColumnKind, Store, Table};

/// The `format` of the header line.
pub const FORMAT: &str = "passerelle-export";
/// The version of the archive format this build writes and reads.
pub const VERSION: i64 = 1;
/// The longest line (header or row) read: 16 times the default largest
/// request body, far above any row the node stores.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: i64,
    pub schema: i64,
    pub exported_at: String,
    pub engine: String,
    pub tables: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowLine {
    table: String,
    row: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndLine {
    end: String,
    rows: u64,
}

/// What an export or import moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub tables: usize,
    pub rows: u64,
}

fn io_error(e: &std::io::Error) -> Error {
    Error::BadRequest(format!("cannot write the archive: {e}"))
}

/// The database's schema version: its latest applied migration.
async fn schema_version(store: &Store) -> Result<i64> {
    Ok(store
        .applied_migrations()
        .await?
        .last()
        .copied()
        .unwrap_or(0))
}

/// A refusal naming the archive line it concerns.
fn refused(line: usize, why: impl std::fmt::Display) -> Error {
    Error::BadRequest(format!("archive line {line}: {why}"))
}

/// Reads an archive into an empty, migrated database, in one transaction:
/// on any refusal nothing is kept; `progress` hears the count of rows read
/// so far, after each row.
pub async fn import(
    store: &Store,
    input: impl BufRead,
    mut progress: impl FnMut(u64),
) -> Result<Moved> {
    let mut lines = Lines { input, number: 0 };
    let (_, first) = lines
        .next()
        .ok_or_else(|| Error::BadRequest("the archive is empty".into()))??;
    let header = check_header(store, &first).await?;
    let tables = store.archive_tables().await?;
    let mut names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut expected: Vec<&str> = header.tables.iter().map(String::as_str).collect();
    names.sort_unstable();
    expected.sort_unstable();
    if names != expected {
        return Err(refused(1, "its tables are not this database's tables"));
    }
    let full = store.archive_non_empty(&tables).await?;
    if !full.is_empty() {
        return Err(Error::Conflict(format!(
            "the database is not empty (rows in {}); import needs a new, empty database",
            full.join(", ")
        )));
    }
    let mut tx = store.archive_import().await?;
    let mut rows = 0u64;
    for line in lines.by_ref() {
        let (number, text) = line?;
        let value: Value = serde_json::from_str(&text).map_err(|e| refused(number, e))?;
        if value.get("end").is_some() {
            let end: EndLine = serde_json::from_value(value).map_err(|e| refused(number, e))?;
            if end.end != FORMAT || end.rows != rows {
                return Err(refused(number, "the end line does not match the rows read"));
            }
            if let Some(extra) = lines.next() {
                return Err(refused(extra?.0, "a line after the end line"));
            }
            tx.commit().await?;
            return Ok(Moved {
                tables: tables.len(),
                rows,
            });
        }
        let row: RowLine = serde_json::from_value(value).map_err(|e| refused(number, e))?;
        insert_row(&mut tx, &tables, row, number).await?;
        rows = rows.saturating_add(1);
        progress(rows);
    }
    Err(Error::BadRequest(
        "the archive is truncated: it has no end line".into(),
    ))
}

/// The archive's lines, numbered from 1, each read only up to
/// `MAX_LINE_BYTES`: what `BufRead::lines` would grow without bound.
struct Lines<R> {
    input: R,
    number: usize,
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<(usize, String)>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut line = Vec::new();
        let most = u64::try_from(MAX_LINE_BYTES + 1).unwrap_or(u64::MAX);
        match (&mut self.input).take(most).read_until(b'\n', &mut line) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => {
                return Some(Err(Error::BadRequest(format!(
                    "not a readable archive: {e}"
                ))));
            }
        }
        self.number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        if line.len() > MAX_LINE_BYTES {
            return Some(Err(refused(
                self.number,
                format!(
                    "longer than {} MiB, more than any row this node writes",
                    MAX_LINE_BYTES >> 20
                ),
            )));
        }
        Some(
            String::from_utf8(line)
                .map(|text| (self.number, text))
                .map_err(|_| refused(self.number, "not UTF-8 text")),
        )
    }
}

/// Checks the header line: format, format version, schema version.
async fn check_header(store: &Store, line: &str) -> Result<Header> {
    let header: Header = serde_json::from_str(line)
        .map_err(|e| Error::BadRequest(format!("not a passerelle export: {e}")))?;
    if header.format != FORMAT {
        return Err(refused(1, format!("unknown format {:?}", header.format)));
    }
    if header.version != VERSION {
        return Err(refused(
            1,
            format!(
                "archive format version {} is not supported (this build reads {VERSION})",
                header.version
            ),
        ));
    }
    let ours = store.known_migrations().last().copied().unwrap_or(0);
    let database = schema_version(store).await?;
    if header.schema != ours || database != ours {
        return Err(refused(
            1,
            format!(
                "the archive has schema version {}, this build {ours}: import with the release that exported it",
                header.schema
            ),
        ));
    }
    Ok(header)
}

async fn insert_row(
    tx: &mut ArchiveImport,
    tables: &[Table],
    row: RowLine,
    number: usize,
) -> Result<()> {
    let table = tables
        .iter()
        .find(|t| t.name == row.table)
        .ok_or_else(|| refused(number, format!("unknown table {:?}", row.table)))?;
    if row.row.len() != table.columns.len() {
        return Err(refused(
            number,
            format!("a row of {} must have every column", table.name),
        ));
    }
    let mut columns = Vec::with_capacity(table.columns.len());
    let mut cells = Vec::with_capacity(table.columns.len());
    for column in &table.columns {
        let value = row.row.get(&column.name).ok_or_else(|| {
            refused(
                number,
                format!("the row of {} lacks {}", table.name, column.name),
            )
        })?;
        cells.push(json_cell(value, column.kind).ok_or_else(|| {
            refused(
                number,
                format!("{}.{} is not a {:?}", table.name, column.name, column.kind),
            )
        })?);
        columns.push(column);
    }
    tx.insert(table, &columns, cells)
        .await
        .map_err(|e| refused(number, e))
}

/// The cell a JSON value stands for in a column of `kind`; `None` when it
/// cannot be one.
fn json_cell(value: &Value, kind: ColumnKind) -> Option<Cell> {
    if value.is_null() {
        return Some(Cell::Null);
    }
    Some(match kind {
        ColumnKind::Integer => Cell::Integer(value.as_i64()?),
        ColumnKind::Real => Cell::Real(value.as_f64()?),
        ColumnKind::Text => Cell::Text(value.as_str()?.to_owned()),
        ColumnKind::Blob => Cell::Blob(STANDARD.decode(value.as_str()?).ok()?),
        ColumnKind::Boolean => Cell::Boolean(value.as_bool()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_line_is_refused_after_the_cap() {
        // `repeat` never ends: only the cap stops the read.
        let mut lines = Lines {
            input: std::io::BufReader::new(std::io::repeat(b' ')),
            number: 0,
        };
        let error = lines.next().expect("a line").unwrap_err().to_string();
        assert!(
            error.contains("archive line 1: longer than 16 MiB"),
            "{error}"
        );
        let mut lines = Lines {
            input: &b"{}\r\nsecond"[..],
            number: 0,
        };
        assert_eq!(lines.next().unwrap().unwrap(), (1, "{}".to_owned()));
        assert_eq!(lines.next().unwrap().unwrap(), (2, "second".to_owned()));
        assert!(lines.next().is_none());
    }

    #[test]
    fn json_cells_follow_the_column_kind() {
        assert_eq!(
            json_cell(&Value::from(i64::MAX), ColumnKind::Integer),
            Some(Cell::Integer(i64::MAX))
        );
        assert_eq!(
            json_cell(&Value::from("AAE="), ColumnKind::Blob),
            Some(Cell::Blob(vec![0, 1]))
        );
        assert_eq!(json_cell(&Value::from("x"), ColumnKind::Integer), None);
        assert_eq!(json_cell(&Value::from("%%"), ColumnKind::Blob), None);
        assert_eq!(json_cell(&Value::from(1), ColumnKind::Boolean), None);
        assert_eq!(json_cell(&Value::Null, ColumnKind::Text), Some(Cell::Null));
    }
}
