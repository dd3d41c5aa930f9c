//! The SQL behind moving a node's whole state: the tables as the database
//! catalog describes them (so a table added by a migration is carried
//! without code here changing), each table's rows as typed cells, inserting
//! rows into an empty database in one transaction, and SQLite's online copy.

use futures::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::Store;
use passerelle_config::DatabaseKind;
use passerelle_model::error::{Error, Result};

/// sqlx's own bookkeeping: recreated by migrations, never moved.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// How a column's values are carried, from its declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Integer,
    Real,
    Text,
    Blob,
    Boolean,
}

impl ColumnKind {
    /// The kind of a declared type (`BIGINT`, `bytea`, `character varying`…);
    /// `None` for a type the archive does not carry.
    fn of(declared: &str) -> Option<ColumnKind> {
        let t = declared.to_ascii_lowercase();
        let has = |part: &str| t.contains(part);
        Some(if has("bool") {
            ColumnKind::Boolean
        } else if has("int") || has("serial") {
            ColumnKind::Integer
        } else if has("real") || has("double") || has("float") {
            ColumnKind::Real
        } else if has("blob") || has("bytea") {
            ColumnKind::Blob
        } else if has("text") || has("char") || has("clob") {
            ColumnKind::Text
        } else {
            return None;
        })
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

/// A table of the node's schema, as the catalog of the connection's
/// database (SQLite) or current schema (PostgreSQL) describes it.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    primary_key: Vec<String>,
    references: Vec<String>,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Boolean(bool),
}

/// Double quotes an identifier the catalog gave.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Store {
    /// Every table but sqlx's own, parents before the tables that
    /// reference them, so inserting in this order satisfies foreign keys.
    pub async fn archive_tables(&self) -> Result<Vec<Table>> {
        let mut tables = self.catalog_tables().await?;
        for (child, parent) in self.catalog_references().await? {
            if let Some(table) = tables.iter_mut().find(|t| t.name == child) {
                if parent != child {
                    table.references.push(parent);
                }
            }
        }
        let mut ordered: Vec<Table> = Vec::with_capacity(tables.len());
        while !tables.is_empty() {
            let ready = tables.iter().position(|t| {
                t.references
                    .iter()
                    .all(|p| ordered.iter().any(|o| &o.name == p))
            });
            let Some(index) = ready else {
                let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
                return Err(Error::Internal(format!(
                    "foreign keys form a cycle among {}",
                    names.join(", ")
                )));
            };
            ordered.push(tables.remove(index));
        }
        Ok(ordered)
    }

    async fn catalog_tables(&self) -> Result<Vec<Table>> {
        let sql = match self.kind {
            DatabaseKind::Sqlite => {
                "SELECT m.name, p.name, p.type, p.pk FROM sqlite_master m \
                 JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
                 ORDER BY m.name, p.cid"
            }
            DatabaseKind::Postgres => {
                "SELECT c.table_name::text, c.column_name::text, c.data_type::text, \
                 COALESCE((SELECT k.ordinal_position FROM information_schema.key_column_usage k \
                   JOIN information_schema.table_constraints tc \
                     ON tc.constraint_name = k.constraint_name \
                    AND tc.constraint_schema = k.constraint_schema \
                   WHERE tc.constraint_type = 'PRIMARY KEY' \
                     AND k.table_schema = c.table_schema AND k.table_name = c.table_name \
                     AND k.column_name = c.column_name), 0)::bigint \
                 FROM information_schema.columns c \
                 JOIN information_schema.tables t \
                   ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
                 WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
                 ORDER BY c.table_name, c.ordinal_position"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        let mut tables: Vec<(Table, Vec<(i64, String)>)> = Vec::new();
        for row in rows {
            let (table, column): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            if table == MIGRATIONS_TABLE {
                continue;
            }
            let declared: String = row.try_get(2)?;
            let key_position: i64 = row.try_get(3)?;
            let kind = ColumnKind::of(&declared).ok_or_else(|| {
                Error::Internal(format!(
                    "column {table}.{column} has type {declared}, which the archive does not carry"
                ))
            })?;
            if tables.last().is_none_or(|(t, _)| t.name != table) {
                let table = Table {
                    name: table.clone(),
                    columns: Vec::new(),
                    primary_key: Vec::new(),
                    references: Vec::new(),
                };
                tables.push((table, Vec::new()));
            }
            if let Some((last, keys)) = tables.last_mut() {
                if key_position > 0 {
                    keys.push((key_position, column.clone()));
                }
                last.columns.push(Column { name: column, kind });
            }
        }
        Ok(tables
            .into_iter()
            .map(|(mut table, mut keys)| {
                keys.sort();
                table.primary_key = keys.into_iter().map(|(_, name)| name).collect();
                table
            })
            .collect())
    }

    /// (referencing table, referenced table) for each foreign key.
    async fn catalog_references(&self) -> Result<Vec<(String, String)>> {
        let sql = match self.kind {
            DatabaseKind::Sqlite => {
                "SELECT m.name, f.\"table\" FROM sqlite_master m \
                 JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'"
            }
            DatabaseKind::Postgres => {
                "SELECT src.relname::text, dst.relname::text FROM pg_constraint c \
                 JOIN pg_class src ON src.oid = c.conrelid \
                 JOIN pg_class dst ON dst.oid = c.confrelid \
                 JOIN pg_namespace n ON n.oid = c.connamespace \
                 WHERE c.contype = 'f' AND n.nspname = current_schema()"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }

    /// Opens the one read transaction an export reads every table in, so
    /// the archive is a consistent snapshot even while the node writes.
    pub async fn archive_snapshot(&self) -> Result<ArchiveSnapshot> {
        let mut tx = self.pool.begin().await?;
        if self.kind == DatabaseKind::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(ArchiveSnapshot {
            tx,
            kind: self.kind,
        })
    }

    /// Tables of `tables` that hold at least one row.
    pub async fn archive_non_empty(&self, tables: &[Table]) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for table in tables {
            let sql = format!("SELECT COUNT(*) FROM {}", quoted(&table.name));
            let count: i64 = sqlx::query_scalar(&sql).fetch_one(&self.pool).await?;
            if count > 0 {
                found.push(table.name.clone());
            }
        }
        Ok(found)
    }

    /// Starts the one transaction an import runs in.
    pub async fn archive_import(&self) -> Result<ArchiveImport> {
        let mut tx = self.pool.begin().await?;
        if self.kind == DatabaseKind::Sqlite {
            // Checked at commit rather than at each insert.
            sqlx::query("PRAGMA defer_foreign_keys = ON")
                .execute(&mut *tx)
                .await?;
        }
        Ok(ArchiveImport {
            tx,
            kind: self.kind,
        })
    }

    /// A consistent copy of a SQLite database in a new file, taken while
    /// the node runs (`VACUUM INTO`).
    pub async fn backup_into(&self, path: &str) -> Result<()> {
        if self.kind != DatabaseKind::Sqlite {
            return Err(Error::BadRequest(
                "backup copies SQLite databases; for PostgreSQL use pg_dump".into(),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The read transaction of an export.
pub struct ArchiveSnapshot {
    tx: Transaction<'static, Any>,
    kind: DatabaseKind,
}

impl ArchiveSnapshot {
    /// Hands each row of `table`, in primary key order, to `each`.
    pub async fn rows(
        &mut self,
        table: &Table,
        mut each: impl FnMut(Vec<Cell>) -> Result<()>,
    ) -> Result<()> {
        let names: Vec<String> = table
            .columns
            .iter()
            .map(|c| match (self.kind, c.kind) {
                // sqlx's Any driver cannot read a column declared BOOLEAN
                // in SQLite; its values are integers.
                (DatabaseKind::Sqlite, ColumnKind::Boolean) => {
                    format!("CAST({0} AS INTEGER) AS {0}", quoted(&c.name))
                }
                _ => quoted(&c.name),
            })
            .collect();
        let order: Vec<String> = if table.primary_key.is_empty() {
            (1..=names.len()).map(|i| i.to_string()).collect()
        } else {
            table.primary_key.iter().map(|c| quoted(c)).collect()
        };
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            names.join(", "),
            quoted(&table.name),
            order.join(", ")
        );
        let mut rows = sqlx::query(&sql).fetch(&mut *self.tx);
        while let Some(row) = rows.try_next().await? {
            let cells = table
                .columns
                .iter()
                .enumerate()
                .map(|(i, column)| cell(self.kind, &row, i, column.kind))
                .collect::<Result<Vec<Cell>>>()?;
            each(cells)?;
        }
        Ok(())
    }
}

fn cell(engine: DatabaseKind, row: &AnyRow, i: usize, kind: ColumnKind) -> Result<Cell> {
    let cell = match kind {
        ColumnKind::Integer => row.try_get::<Option<i64>, _>(i)?.map(Cell::Integer),
        ColumnKind::Real => row.try_get::<Option<f64>, _>(i)?.map(Cell::Real),
        ColumnKind::Text => row.try_get::<Option<String>, _>(i)?.map(Cell::Text),
        ColumnKind::Blob => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Cell::Blob),
        // SQLite keeps booleans as integers.
        ColumnKind::Boolean if engine == DatabaseKind::Sqlite => row
            .try_get::<Option<i64>, _>(i)?
            .map(|n| Cell::Boolean(n != 0)),
        ColumnKind::Boolean => row.try_get::<Option<bool>, _>(i)?.map(Cell::Boolean),
    };
    Ok(cell.unwrap_or(Cell::Null))
}

/// Rows being inserted into an empty database; nothing is kept unless
/// `commit` is reached.
pub struct ArchiveImport {
    tx: Transaction<'static, Any>,
    kind: DatabaseKind,
}

impl ArchiveImport {
    /// Inserts one row: `cells` are the values of `columns`, in order.
    pub async fn insert(
        &mut self,
        table: &Table,
        columns: &[&Column],
        cells: Vec<Cell>,
    ) -> Result<()> {
        let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
        let slots: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quoted(&table.name),
            names.join(", "),
            slots.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (column, cell) in columns.iter().zip(cells) {
            query = match (cell, column.kind) {
                (Cell::Null, ColumnKind::Integer) => query.bind(None::<i64>),
                (Cell::Null, ColumnKind::Real) => query.bind(None::<f64>),
                (Cell::Null, ColumnKind::Text) => query.bind(None::<String>),
                (Cell::Null, ColumnKind::Blob) => query.bind(None::<Vec<u8>>),
                (Cell::Null, ColumnKind::Boolean) => query.bind(None::<bool>),
                (Cell::Integer(n), _) => query.bind(n),
                (Cell::Real(x), _) => query.bind(x),
                (Cell::Text(s), _) => query.bind(s),
                (Cell::Blob(b), _) => query.bind(b),
                (Cell::Boolean(b), _) => query.bind(b),
            };
        }
        query.execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Moves each identity/serial sequence past the imported ids
    /// (PostgreSQL; SQLite allocates from the rows), then commits.
    pub async fn commit(mut self) -> Result<()> {
        if self.kind == DatabaseKind::Postgres {
            let serials: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() \
                   AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')",
            )
            .fetch_all(&mut *self.tx)
            .await?;
            for (table, column) in serials {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence($1, $2), \
                     COALESCE(MAX({c}), 0) + 1, false)::bigint FROM {t}",
                    c = quoted(&column),
                    t = quoted(&table)
                );
                sqlx::query(&sql)
                    .bind(quoted(&table))
                    .bind(column)
                    .execute(&mut *self.tx)
                    .await?;
            }
        }
        self.tx.commit().await?;
        Ok(())
    }
}
