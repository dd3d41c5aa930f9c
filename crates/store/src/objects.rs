//! Published objects and their kept versions; an object changes, with its
//! activity, inside a `ChangeTx`.

use passerelle_model::ObjectId;
use passerelle_model::PeerId;
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use crate::{
    ChangeTx, Store, activity_kind_column, json_column, json_text, kind_column, now_millis,
};
use passerelle_model::error::{Error, Result};
use passerelle_model::{ActivityKind, Audience, ObjectKind};

#[derive(Debug, Clone)]
pub struct ObjectRow {
    pub id: ObjectId,
    pub kind: ObjectKind,
    pub local_id: String,
    pub uri: String,
    pub version: i64,
    pub audience: Audience,
    pub public: bool,
    pub payload: String,
    pub content_hash: String,
    pub document: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

pub(crate) const COLUMNS: &str = "id, kind, local_id, uri, version, audience, public, payload, content_hash, \
                       document, created_at, updated_at, deleted_at";

pub(crate) fn object_row(row: &AnyRow) -> Result<ObjectRow> {
    Ok(ObjectRow {
        id: row.try_get("id")?,
        kind: kind_column(row)?,
        local_id: row.try_get("local_id")?,
        uri: row.try_get("uri")?,
        version: row.try_get("version")?,
        audience: json_column(row, "audience")?,
        public: row.try_get::<i64, _>("public")? != 0,
        payload: row.try_get("payload")?,
        content_hash: row.try_get("content_hash")?,
        document: row.try_get("document")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

async fn object_by_local_id<'e>(
    executor: impl sqlx::Executor<'e, Database = Any>,
    kind: ObjectKind,
    local_id: &str,
) -> Result<Option<ObjectRow>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM objects WHERE kind = $1 AND local_id = $2"
    ))
    .bind(kind.as_str())
    .bind(local_id)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(object_row).transpose()
}

/// The stored state of an object after a change.
#[derive(Debug, Clone)]
pub struct ObjectState<'a> {
    pub kind: ObjectKind,
    pub local_id: &'a str,
    pub uri: &'a str,
    pub version: i64,
    pub audience: &'a Audience,
    pub public: bool,
    pub payload: &'a str,
    pub content_hash: &'a str,
    pub document: &'a str,
}

#[derive(Debug, Clone)]
pub struct NewActivity<'a> {
    pub uri: &'a str,
    pub kind: ActivityKind,
    pub object_id: Option<ObjectId>,
    /// The one peer a governance activity (Follow, Accept...) goes to.
    pub target_peer_id: Option<PeerId>,
    pub audience: &'a Audience,
    pub public: bool,
    pub document: &'a str,
}

#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: i64,
    pub uri: String,
    pub document: String,
    pub created_at: i64,
}

impl Store {
    pub async fn object(&self, kind: ObjectKind, local_id: &str) -> Result<Option<ObjectRow>> {
        object_by_local_id(self.pool(), kind, local_id).await
    }

    pub async fn object_by_uri(&self, uri: &str) -> Result<Option<ObjectRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM objects WHERE uri = $1"))
            .bind(uri)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(object_row).transpose()
    }

    /// Objects of a kind in creation order, after the row id `after`
    /// (deleted ones included: the platform sees its tombstones).
    pub async fn list_objects(
        &self,
        kind: ObjectKind,
        after: i64,
        limit: i64,
        public_only: bool,
    ) -> Result<Vec<ObjectRow>> {
        let filter = if public_only {
            "AND public = 1 AND deleted_at IS NULL"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM objects WHERE kind = $1 AND id > $2 {filter} ORDER BY id LIMIT $3"
        ))
        .bind(kind.as_str())
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(object_row).collect()
    }

    /// How many live objects of each kind we publish.
    pub async fn count_live_objects_by_kind(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT kind, COUNT(*) AS n FROM objects WHERE deleted_at IS NULL GROUP BY kind",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("kind")?, row.try_get("n")?)))
            .collect()
    }

    /// Live objects of a kind with a row id below `before`, newest first:
    /// public ones only, or of any audience for a reader whose rights are
    /// checked row by row.
    pub async fn live_objects_before(
        &self,
        kind: ObjectKind,
        before: Option<i64>,
        limit: i64,
        public_only: bool,
    ) -> Result<Vec<ObjectRow>> {
        let public = if public_only { "AND public = 1" } else { "" };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM objects WHERE kind = $1 {public} AND deleted_at IS NULL \
             AND id < $2 ORDER BY id DESC LIMIT $3"
        ))
        .bind(kind.as_str())
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(object_row).collect()
    }

    /// Audiences of the live objects of a kind (to count what a reader may see).
    pub async fn live_object_audiences(&self, kind: ObjectKind) -> Result<Vec<Audience>> {
        let audiences: Vec<String> = sqlx::query_scalar(
            "SELECT audience FROM objects WHERE kind = $1 AND deleted_at IS NULL",
        )
        .bind(kind.as_str())
        .fetch_all(self.pool())
        .await?;
        audiences
            .iter()
            .map(|text| {
                serde_json::from_str(text)
                    .map_err(|e| Error::Internal(format!("stored audience: {e}")))
            })
            .collect()
    }

    pub async fn count_public_objects(&self, kind: Option<ObjectKind>) -> Result<i64> {
        let count: i64 = match kind {
            Some(kind) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM objects WHERE kind = $1 AND public = 1 AND deleted_at IS NULL",
                )
                .bind(kind.as_str())
                .fetch_one(self.pool())
                .await?
            }
            None => {
                sqlx::query_scalar("SELECT COUNT(*) FROM objects WHERE public = 1 AND deleted_at IS NULL")
                    .fetch_one(self.pool())
                    .await?
            }
        };
        Ok(count)
    }

    pub async fn object_version_by_uri(&self, uri: &str) -> Result<Option<(ObjectId, VersionRow)>> {
        let row = sqlx::query(
            "SELECT object_id, version, uri, document, created_at FROM object_versions WHERE uri = $1",
        )
        .bind(uri)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("object_id")?,
                VersionRow {
                    version: row.try_get("version")?,
                    uri: row.try_get("uri")?,
                    document: row.try_get("document")?,
                    created_at: row.try_get("created_at")?,
                },
            ))
        })
        .transpose()
    }

    pub async fn object_versions(&self, object_id: ObjectId) -> Result<Vec<VersionRow>> {
        let rows = sqlx::query(
            "SELECT version, uri, document, created_at FROM object_versions \
             WHERE object_id = $1 ORDER BY version",
        )
        .bind(object_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(VersionRow {
                    version: row.try_get("version")?,
                    uri: row.try_get("uri")?,
                    document: row.try_get("document")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}

impl ChangeTx {
    pub async fn object(&mut self, kind: ObjectKind, local_id: &str) -> Result<Option<ObjectRow>> {
        object_by_local_id(self.connection(), kind, local_id).await
    }

    pub async fn insert_object(&mut self, state: &ObjectState<'_>) -> Result<ObjectId> {
        let now = now_millis();
        let id: ObjectId = sqlx::query_scalar(
            "INSERT INTO objects (kind, local_id, uri, version, audience, public, payload, \
             content_hash, document, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(state.kind.as_str())
        .bind(state.local_id)
        .bind(state.uri)
        .bind(state.version)
        .bind(json_text(state.audience)?)
        .bind(i64::from(state.public))
        .bind(state.payload)
        .bind(state.content_hash)
        .bind(state.document)
        .bind(now)
        .fetch_one(self.connection())
        .await?;
        Ok(id)
    }

    pub async fn update_object(&mut self, id: ObjectId, state: &ObjectState<'_>) -> Result<()> {
        sqlx::query(
            "UPDATE objects SET version = $1, audience = $2, public = $3, payload = $4, \
             content_hash = $5, document = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(state.version)
        .bind(json_text(state.audience)?)
        .bind(i64::from(state.public))
        .bind(state.payload)
        .bind(state.content_hash)
        .bind(state.document)
        .bind(now_millis())
        .bind(id)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Replaces the object's document by its tombstone.
    /// The activities recorded so far about an object: (id, uri, kind).
    pub async fn activities_of_object(
        &mut self,
        object_id: ObjectId,
    ) -> Result<Vec<(i64, String, ActivityKind)>> {
        let rows = sqlx::query(
            "SELECT id, uri, kind FROM activities WHERE object_id = $1 AND withdrawn_at IS NULL ORDER BY id",
        )
        .bind(object_id)
        .fetch_all(self.connection())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("id")?,
                    row.try_get("uri")?,
                    activity_kind_column(row, "kind")?,
                ))
            })
            .collect()
    }

    /// Replaces an activity's document with its tombstone: the outbox and
    /// the activity's URL keep no content, and no peer is sent it.
    pub async fn withdraw_activity(&mut self, id: i64, tombstone: &str) -> Result<()> {
        sqlx::query("UPDATE activities SET document = $1, withdrawn_at = $2 WHERE id = $3")
            .bind(tombstone)
            .bind(now_millis())
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    pub async fn mark_deleted(&mut self, id: ObjectId, tombstone: &str) -> Result<()> {
        let now = now_millis();
        sqlx::query(
            "UPDATE objects SET document = $1, deleted_at = $2, updated_at = $2 WHERE id = $3",
        )
        .bind(tombstone)
        .bind(now)
        .bind(id)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    pub async fn insert_version(
        &mut self,
        object_id: ObjectId,
        version: i64,
        uri: &str,
        payload: &str,
        document: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO object_versions (object_id, version, uri, payload, document, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(object_id)
        .bind(version)
        .bind(uri)
        .bind(payload)
        .bind(document)
        .bind(now_millis())
        .execute(self.connection())
        .await?;
        Ok(())
    }

    pub async fn insert_activity(&mut self, activity: &NewActivity<'_>) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO activities (uri, kind, object_id, target_peer_id, audience, public, document, published_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(activity.uri)
        .bind(activity.kind.as_str())
        .bind(activity.object_id)
        .bind(activity.target_peer_id)
        .bind(json_text(activity.audience)?)
        .bind(i64::from(activity.public))
        .bind(activity.document)
        .bind(now_millis())
        .fetch_one(self.connection())
        .await?;
        Ok(id)
    }
}
