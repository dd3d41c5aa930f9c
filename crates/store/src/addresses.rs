//! The node's other addresses: where it was before it moved here, and
//! where it moved to (migration 0024).

use sqlx::Row;

use crate::{ChangeTx, Store};
use passerelle_model::error::Result;

/// How an address relates to this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressRelation {
    /// The node's address before it moved here (its `alsoKnownAs`).
    Earlier,
    /// Where the node moved (its `movedTo`).
    MovedTo,
}

impl AddressRelation {
    fn as_str(self) -> &'static str {
        match self {
            AddressRelation::Earlier => "earlier",
            AddressRelation::MovedTo => "moved_to",
        }
    }
}

/// One of the node's other addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRow {
    pub actor_uri: String,
    pub relation: AddressRelation,
    pub recorded_at: i64,
}

impl Store {
    /// Every other address of the node, oldest first.
    pub async fn node_addresses(&self) -> Result<Vec<AddressRow>> {
        let rows = sqlx::query(
            "SELECT actor_uri, relation, recorded_at FROM node_addresses \
             ORDER BY recorded_at, actor_uri",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let relation: String = row.try_get("relation")?;
                Ok(AddressRow {
                    actor_uri: row.try_get("actor_uri")?,
                    relation: if relation == AddressRelation::MovedTo.as_str() {
                        AddressRelation::MovedTo
                    } else {
                        AddressRelation::Earlier
                    },
                    recorded_at: row.try_get("recorded_at")?,
                })
            })
            .collect()
    }
}

impl ChangeTx {
    /// Where the node moved, read inside the change (a publication checks
    /// it without a second connection).
    pub async fn node_moved_to(&mut self) -> Result<Option<String>> {
        let moved: Option<String> =
            sqlx::query_scalar("SELECT actor_uri FROM node_addresses WHERE relation = 'moved_to'")
                .fetch_optional(self.connection())
                .await?;
        Ok(moved)
    }

    /// Records an address of the node's; recording it again keeps the
    /// first record.
    pub async fn record_node_address(
        &mut self,
        actor_uri: &str,
        relation: AddressRelation,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO node_addresses (actor_uri, relation, recorded_at) VALUES ($1, $2, $3) \
             ON CONFLICT (actor_uri) DO NOTHING",
        )
        .bind(actor_uri)
        .bind(relation.as_str())
        .bind(at)
        .execute(self.connection())
        .await?;
        Ok(())
    }
}
