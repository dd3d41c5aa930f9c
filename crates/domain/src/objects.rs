//! The platform's own objects as its API sees them: one object, a page of
//! a kind, a charter's versions.

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Ref, Type};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::listing::{Page, PageRequest};
use crate::model::kinds::ObjectKind;
use crate::model::time::format_millis;
use crate::publish::{Change, Published};
use crate::store::ObjectRow;

/// How the platform sees one of its objects.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ObjectView {
    /// The platform's id.
    pub id: String,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    /// The object's ActivityPub id.
    pub uri: String,
    pub version: i64,
    #[schema(schema_with = audience_schema)]
    pub audience: Value,
    /// The payload as last accepted.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The signed ActivityStreams document (a Tombstone once deleted), with
    /// its FEP-8b32 integrity proof.
    #[schema(value_type = Object)]
    pub object: Value,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub deleted_at: Option<String>,
    /// PUT only: what the request changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// PUT only: the activity published, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
}

/// The kinds of object, by name.
fn kind_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ObjectKind::ALL.map(ObjectKind::as_str)))
}

/// An object's audience, as the shared payload schema defines it (the
/// OpenAPI document holds that schema's definitions as components).
fn audience_schema() -> AllOfBuilder {
    AllOfBuilder::new().item(Ref::from_schema_name("audience"))
}

impl ObjectView {
    fn of(row: &ObjectRow) -> ObjectView {
        let parse = |text: &str| serde_json::from_str(text).unwrap_or(Value::Null);
        ObjectView {
            id: row.local_id.clone(),
            kind: row.kind.as_str().to_owned(),
            uri: row.uri.clone(),
            version: row.version,
            audience: serde_json::to_value(&row.audience).unwrap_or(Value::Null),
            payload: parse(&row.payload),
            object: parse(&row.document),
            created_at: format_millis(row.created_at),
            updated_at: format_millis(row.updated_at),
            deleted_at: row.deleted_at.map(format_millis),
            change: None,
            activity: None,
        }
    }

    /// The object as a publication left it, with what changed.
    pub fn from_published(published: &Published) -> ObjectView {
        ObjectView {
            change: Some(published.change),
            activity: published.activity_uri.clone(),
            ..ObjectView::of(&published.object)
        }
    }
}

/// One version of a charter, as published.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub uri: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The signed version document.
    #[schema(value_type = Object)]
    pub object: Value,
}

/// A live object; a deleted one is gone (410).
pub async fn show(ctx: &Context, kind: ObjectKind, local_id: &str) -> Result<ObjectView> {
    let row = ctx
        .store
        .object(kind, local_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no {} `{local_id}`", kind.as_str())))?;
    if row.deleted_at.is_some() {
        return Err(Error::Gone(format!(
            "{} `{local_id}` was deleted",
            kind.as_str()
        )));
    }
    Ok(ObjectView::of(&row))
}

/// The live objects of `kind`, oldest first, after the page's cursor.
pub async fn list(ctx: &Context, kind: ObjectKind, page: &PageRequest) -> Result<Page<ObjectView>> {
    let rows = ctx
        .store
        .list_objects(kind, page.cursor.unwrap_or(0), page.limit + 1, false)
        .await?;
    Ok(Page::of_rows(
        rows,
        page.limit,
        |row| row.id.0,
        ObjectView::of,
    ))
}

/// Every published version of a charter, oldest first.
pub async fn charter_versions(ctx: &Context, local_id: &str) -> Result<Vec<VersionView>> {
    let row = ctx
        .store
        .object(ObjectKind::Charter, local_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no charter `{local_id}`")))?;
    let versions = ctx.store.object_versions(row.id).await?;
    Ok(versions
        .into_iter()
        .map(|v| VersionView {
            version: v.version,
            uri: v.uri,
            created_at: format_millis(v.created_at),
            object: serde_json::from_str(&v.document).unwrap_or(Value::Null),
        })
        .collect())
}
