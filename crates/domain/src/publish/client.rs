//! Client-to-server publishing: a `Create`, `Update` or `Delete` posted to
//! the outbox becomes the same `upsert` or `delete` the REST API calls.

use serde_json::Value;
use url::Url;

use crate::apub::objects;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::kinds::ObjectKind;
use crate::publish::{Published, delete, object_uri, parse_object_uri, upsert};

/// Client-to-server publishing: a `Create`, `Update` or `Delete` posted to
/// the outbox, carried out through `upsert` and `delete`.
pub async fn apply_client_activity(ctx: &Context, activity: &Value) -> Result<Published> {
    let kind_name = activity
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::BadRequest("the activity has no `type`".into()))?;
    let object = activity
        .get("object")
        .ok_or_else(|| Error::BadRequest("the activity has no `object`".into()))?;
    let target = target_of(ctx, object)?;
    match kind_name {
        "Create" | "Update" => {
            let creating = kind_name == "Create";
            let (kind, local_id) = resolve_upsert(ctx, object, target, creating).await?;
            let payload = objects::payload_from_object(&ctx.settings, kind, object)?;
            upsert(ctx, kind, &local_id, &payload).await
        }
        "Delete" => {
            let (kind, local_id) = target.ok_or_else(|| {
                Error::UnprocessableAt("/object".into(), "Delete needs the object's id".into())
            })?;
            delete(ctx, kind, &local_id).await
        }
        other => Err(Error::UnprocessableAt(
            "/type".into(),
            format!("`{other}` is not supported here: send Create, Update or Delete"),
        )),
    }
}

/// The object of this node the activity names, if it names one by id.
fn target_of(ctx: &Context, object: &Value) -> Result<Option<(ObjectKind, String)>> {
    let object_id = match object {
        Value::String(id) => Some(id.as_str()),
        Value::Object(fields) => fields.get("id").and_then(Value::as_str),
        _ => {
            return Err(Error::BadRequest(
                "`object` must be an object or an id".into(),
            ));
        }
    };
    let Some(id) = object_id else {
        return Ok(None);
    };
    let url =
        Url::parse(id).map_err(|_| Error::BadRequest(format!("`object.id` is not a URL: {id}")))?;
    let target = parse_object_uri(ctx, &url).ok_or_else(|| {
        Error::UnprocessableAt(
            "/object/id".into(),
            format!("{id} is not an object of this node"),
        )
    })?;
    Ok(Some(target))
}

/// The kind and local id a `Create` (a new id when it names none) or an
/// `Update` (of an object that exists) publishes to.
async fn resolve_upsert(
    ctx: &Context,
    object: &Value,
    target: Option<(ObjectKind, String)>,
    creating: bool,
) -> Result<(ObjectKind, String)> {
    if object.get("type").is_none() {
        return Err(Error::UnprocessableAt(
            "/object/type".into(),
            "the object has no `type`".into(),
        ));
    }
    let kind = objects::kind_of(object).ok_or_else(|| {
        Error::UnprocessableAt(
            "/object/type".into(),
            format!(
                "`{}` is not one of Proposal, Person, Organization, Charter, CharterCommitment",
                object["type"]
            ),
        )
    })?;
    let local_id = match target {
        Some((target_kind, _)) if target_kind != kind => {
            return Err(Error::UnprocessableAt(
                "/object/type".into(),
                format!(
                    "a {} cannot live at a {} URL",
                    kind.as_str(),
                    target_kind.as_str()
                ),
            ));
        }
        Some((_, local_id)) => local_id,
        None if creating => uuid::Uuid::new_v4().to_string(),
        None => {
            return Err(Error::UnprocessableAt(
                "/object/id".into(),
                "Update needs the object's id".into(),
            ));
        }
    };
    let exists = ctx.store.object(kind, &local_id).await?.is_some();
    if creating && exists {
        return Err(Error::Conflict(format!(
            "{} already exists; send an Update",
            object_uri(ctx, kind, &local_id)
        )));
    }
    if !creating && !exists {
        return Err(Error::NotFound(format!(
            "no {} `{local_id}` to update",
            kind.as_str()
        )));
    }
    Ok((kind, local_id))
}
