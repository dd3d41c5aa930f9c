//! Publication: the one path by which a platform's data becomes signed
//! ActivityStreams objects. The REST API and client-to-server `POST /outbox`
//! both end here. Each change is validated, signed, stored and recorded as
//! an activity in one transaction, so what the API acknowledged is durable
//! and a delivery queue can be fed from the activity log without loss.

use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::apub::activities::{self, create, delete, update};
use crate::apub::actor::ed25519_key_id;
use crate::apub::objects::charter::{parse_version_uri, version_document, version_uri};
use crate::apub::objects::{self, Publication};
use crate::apub::proof::{self, ProofOptions};
use crate::domain::validation;
use crate::error::{Error, Result, Violation};
use crate::model::kinds::{Audience, ObjectKind, valid_local_id};
use crate::model::payload::{CommitmentPayload, Payload};
use crate::model::time;
use crate::node::AppContext;
use crate::store::{NewActivity, ObjectRow, ObjectState};

/// What a publication request changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Created,
    Updated,
    Unchanged,
    Deleted,
}

#[derive(Debug, Clone)]
pub struct Published {
    pub change: Change,
    pub object: ObjectRow,
    /// The activity recorded, if the request published one.
    pub activity_uri: Option<String>,
}

/// The URL of a local object.
pub fn object_uri(ctx: &AppContext, kind: ObjectKind, local_id: &str) -> Url {
    ctx.settings
        .url_for(&format!("/{}/{local_id}", kind.collection()))
}

/// The kind and local id of a URL naming one of this node's objects.
pub fn parse_object_uri(ctx: &AppContext, uri: &Url) -> Option<(ObjectKind, String)> {
    if uri.origin() != ctx.settings.public_url.origin() {
        return None;
    }
    let mut segments = uri.path_segments()?;
    let kind = ObjectKind::from_collection(segments.next()?)?;
    let local_id = segments.next()?;
    (segments.next().is_none() && valid_local_id(local_id)).then(|| (kind, local_id.to_owned()))
}

fn check_local_id(local_id: &str) -> Result<()> {
    if valid_local_id(local_id) {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "`{local_id}` is not a valid id: 1 to 128 characters among letters, digits, `-`, `_`, `.` and `~`"
        )))
    }
}

fn sign(ctx: &AppContext, document: &Value) -> Result<Value> {
    let verification_method = ed25519_key_id(&ctx.settings).to_string();
    proof::sign(
        document,
        &ctx.keys.ed25519,
        &ProofOptions {
            verification_method: &verification_method,
            created: &time::proof_created(),
        },
    )
    .map_err(|e| Error::Internal(format!("signing: {e}")))
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))
}

/// Creates or updates the object `local_id` of `kind` from the platform's
/// `document`. Unchanged content publishes nothing.
pub async fn upsert(
    ctx: &AppContext,
    kind: ObjectKind,
    local_id: &str,
    document: &Value,
) -> Result<Published> {
    check_local_id(local_id)?;
    let payload = validation::validate(kind, document)?;
    check_rules(ctx, &payload).await?;
    let canonical = proof::canonical(document).map_err(|e| Error::BadRequest(e.to_string()))?;
    let content_hash = hex::encode(Sha256::digest(canonical.as_bytes()));
    let audience = payload.audience();
    let audience_json = to_json(&audience)?;

    let mut tx = ctx.store.begin_change().await?;
    let existing = tx.object(kind.as_str(), local_id).await?;
    let (version, published) = match &existing {
        Some(row) if row.deleted_at.is_some() => {
            return Err(Error::Conflict(format!(
                "{} `{local_id}` was deleted; deleted ids are not reused, publish under a new id",
                kind.as_str()
            )));
        }
        Some(row) if row.content_hash == content_hash => {
            return Ok(Published {
                change: Change::Unchanged,
                object: row.clone(),
                activity_uri: None,
            });
        }
        Some(row) => (row.version + 1, time::format_millis(row.created_at)),
        None => (1, time::now()),
    };
    let now = time::now();
    let uri = object_uri(ctx, kind, local_id);
    let unsigned = Publication {
        settings: &ctx.settings,
        uri: &uri,
        audience: &audience,
        version,
        published: &published,
        updated: &now,
    }
    .document(&payload)?;
    let signed = sign(ctx, &unsigned)?;
    let signed_json = to_json(&signed)?;
    let state = ObjectState {
        kind: kind.as_str(),
        local_id,
        uri: uri.as_str(),
        version,
        audience: &audience_json,
        public: audience.is_public(),
        payload: &canonical,
        content_hash: &content_hash,
        document: &signed_json,
    };
    let object_id = match &existing {
        Some(row) => {
            tx.update_object(row.id, &state).await?;
            row.id
        }
        None => tx.insert_object(&state).await?,
    };
    if kind.keeps_versions() {
        let version_id = version_uri(&uri, version);
        let version_signed = sign(ctx, &version_document(&unsigned, &version_id))?;
        tx.insert_version(
            object_id,
            version,
            version_id.as_str(),
            &canonical,
            &to_json(&version_signed)?,
        )
        .await?;
    }
    let activity_id = activities::new_activity_id(&ctx.settings);
    let (change, activity) = if existing.is_some() {
        (
            Change::Updated,
            activities::document(
                &ctx.settings,
                update::TYPE,
                activity_id.clone(),
                signed,
                &audience,
                &now,
            )?,
        )
    } else {
        (
            Change::Created,
            activities::document(
                &ctx.settings,
                create::TYPE,
                activity_id.clone(),
                signed,
                &audience,
                &now,
            )?,
        )
    };
    record_activity(
        &mut tx,
        &activity_id,
        change_type(change),
        object_id,
        &audience,
        &sign(ctx, &activity)?,
    )
    .await?;
    let object = tx.object(kind.as_str(), local_id).await?;
    tx.commit().await?;
    ctx.delivery_wakeup.notify_one();
    let object =
        object.ok_or_else(|| Error::Internal("object vanished inside its transaction".into()))?;
    tracing::info!(
        kind = kind.as_str(),
        local_id,
        version,
        ?change,
        "published"
    );
    Ok(Published {
        change,
        object,
        activity_uri: Some(activity_id.to_string()),
    })
}

fn change_type(change: Change) -> &'static str {
    match change {
        Change::Created => create::TYPE,
        Change::Deleted => delete::TYPE,
        Change::Updated | Change::Unchanged => update::TYPE,
    }
}

async fn record_activity(
    tx: &mut crate::store::ChangeTx,
    id: &Url,
    kind: &str,
    object_id: i64,
    audience: &Audience,
    signed: &Value,
) -> Result<()> {
    tx.insert_activity(&NewActivity {
        uri: id.as_str(),
        kind,
        object_id: Some(object_id),
        target_peer_id: None,
        audience: &to_json(audience)?,
        public: audience.is_public(),
        document: &to_json(signed)?,
    })
    .await?;
    Ok(())
}

/// A `Delete` of `object_uri` for one peer that holds the object but is no
/// longer in its audience (it was narrowed, or the peer stopped being a
/// follower). Its id derives from the activity that narrowed the audience
/// and the peer, so a retry sends the same activity.
pub fn withdrawal_for(
    ctx: &AppContext,
    object_uri: &str,
    because_of: &str,
    peer_actor: &str,
) -> Result<String> {
    let object = Url::parse(object_uri).map_err(|e| Error::Internal(e.to_string()))?;
    let peer = Url::parse(peer_actor).map_err(|e| Error::Internal(e.to_string()))?;
    let seed = format!("{because_of}|{peer_actor}");
    let id = ctx.settings.url_for(&format!(
        "{}/{}",
        crate::apub::activities::ACTIVITIES_PATH,
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes())
    ));
    let now = time::now();
    let activity = activities::document(
        &ctx.settings,
        delete::TYPE,
        id,
        Value::String(object.to_string()),
        &Audience::Peers(vec![peer]),
        &now,
    )?;
    to_json(&sign(ctx, &activity)?)
}

/// Withdraws an object: its URL answers 410 with a tombstone and a
/// `Delete` is recorded for the same audience. Deleting again is a no-op.
pub async fn delete(ctx: &AppContext, kind: ObjectKind, local_id: &str) -> Result<Published> {
    check_local_id(local_id)?;
    let mut tx = ctx.store.begin_change().await?;
    let row = tx
        .object(kind.as_str(), local_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no {} `{local_id}`", kind.as_str())))?;
    if row.deleted_at.is_some() {
        return Ok(Published {
            change: Change::Unchanged,
            object: row,
            activity_uri: None,
        });
    }
    let now = time::now();
    let former_type = serde_json::from_str::<Value>(&row.document)
        .ok()
        .and_then(|d| d.get("type").cloned())
        .unwrap_or_default();
    let uri = Url::parse(&row.uri).map_err(|e| Error::Internal(e.to_string()))?;
    let audience: Audience =
        serde_json::from_str(&row.audience).map_err(|e| Error::Internal(e.to_string()))?;
    let mut tombstone = delete::tombstone(&uri, &former_type, &now);
    if let Value::Object(fields) = &mut tombstone {
        fields.insert(
            "@context".into(),
            crate::apub::context::object_context(&ctx.settings),
        );
    }
    let tombstone = sign(ctx, &tombstone)?;
    tx.mark_deleted(row.id, &to_json(&tombstone)?).await?;
    // Its earlier activities carried its content: they become tombstones.
    for (activity_row, activity_uri, activity_kind) in tx.activities_of_object(row.id).await? {
        let activity_uri = Url::parse(&activity_uri).map_err(|e| Error::Internal(e.to_string()))?;
        let mut withdrawn =
            delete::tombstone(&activity_uri, &Value::from(activity_kind.as_str()), &now);
        if let Value::Object(fields) = &mut withdrawn {
            fields.insert(
                "@context".into(),
                crate::apub::context::object_context(&ctx.settings),
            );
        }
        let withdrawn = sign(ctx, &withdrawn)?;
        tx.withdraw_activity(activity_row, &to_json(&withdrawn)?)
            .await?;
    }
    let activity_id = activities::new_activity_id(&ctx.settings);
    let activity = activities::document(
        &ctx.settings,
        delete::TYPE,
        activity_id.clone(),
        tombstone,
        &audience,
        &now,
    )?;
    record_activity(
        &mut tx,
        &activity_id,
        delete::TYPE,
        row.id,
        &audience,
        &sign(ctx, &activity)?,
    )
    .await?;
    let object = tx.object(kind.as_str(), local_id).await?;
    tx.commit().await?;
    ctx.delivery_wakeup.notify_one();
    tracing::info!(kind = kind.as_str(), local_id, "deleted");
    Ok(Published {
        change: Change::Deleted,
        object: object
            .ok_or_else(|| Error::Internal("object vanished inside its transaction".into()))?,
        activity_uri: Some(activity_id.to_string()),
    })
}

/// Rules a JSON Schema cannot express.
async fn check_rules(ctx: &AppContext, payload: &Payload) -> Result<()> {
    let mut violations = Vec::new();
    match payload {
        Payload::Charter(charter) => {
            for (index, principle) in charter.principles.iter().enumerate() {
                if charter.principles[..index]
                    .iter()
                    .any(|p| p.key == principle.key)
                {
                    violations.push(Violation {
                        pointer: format!("/principles/{index}/key"),
                        detail: format!("principle key `{}` is used twice", principle.key),
                    });
                }
            }
        }
        Payload::Commitment(commitment) => {
            check_commitment(ctx, commitment, &mut violations).await?
        }
        Payload::Offer(_) | Payload::Member(_) => {}
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Error::Unprocessable(violations))
    }
}

/// A commitment names principles of the charter version it commits to, each
/// once; when that charter is hosted here, it covers every principle.
async fn check_commitment(
    ctx: &AppContext,
    commitment: &CommitmentPayload,
    violations: &mut Vec<Violation>,
) -> Result<()> {
    let charter = &commitment.charter;
    if parse_version_uri(charter).is_none() {
        violations.push(Violation {
            pointer: "/charter".into(),
            detail: "must name a charter version (…/charters/{id}/versions/{n})".into(),
        });
        return Ok(());
    }
    for (index, statement) in commitment.statements.iter().enumerate() {
        let mut base = statement.principle.clone();
        base.set_fragment(None);
        if &base != charter || statement.principle.fragment().is_none_or(str::is_empty) {
            violations.push(Violation {
                pointer: format!("/statements/{index}/principle"),
                detail: format!("must be a principle of {charter} (that URI with the principle's key as fragment)"),
            });
        }
        if commitment.statements[..index]
            .iter()
            .any(|s| s.principle == statement.principle)
        {
            violations.push(Violation {
                pointer: format!("/statements/{index}/principle"),
                detail: "this principle already has a statement".into(),
            });
        }
    }
    if charter.origin() != ctx.settings.public_url.origin() {
        // A peer's charter: checked against the peer when commitments are
        // shown to admins, once following exists.
        return Ok(());
    }
    let Some((_, version)) = ctx.store.object_version_by_uri(charter.as_str()).await? else {
        violations.push(Violation {
            pointer: "/charter".into(),
            detail: format!("no charter version {charter} on this node"),
        });
        return Ok(());
    };
    let document: Value =
        serde_json::from_str(&version.document).map_err(|e| Error::Internal(e.to_string()))?;
    let principles: Vec<String> = document["principles"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for principle in &principles {
        if !commitment
            .statements
            .iter()
            .any(|s| s.principle.as_str() == principle)
        {
            violations.push(Violation {
                pointer: "/statements".into(),
                detail: format!("no statement for principle {principle}"),
            });
        }
    }
    for (index, statement) in commitment.statements.iter().enumerate() {
        if !principles.iter().any(|p| p == statement.principle.as_str()) {
            violations.push(Violation {
                pointer: format!("/statements/{index}/principle"),
                detail: format!(
                    "{} is not a principle of this charter version",
                    statement.principle
                ),
            });
        }
    }
    Ok(())
}

/// Client-to-server publishing: a `Create`, `Update` or `Delete` posted to
/// the outbox, carried out through `upsert` and `delete`.
pub async fn apply_client_activity(ctx: &AppContext, activity: &Value) -> Result<Published> {
    let kind_name = activity
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::BadRequest("the activity has no `type`".into()))?;
    let object = activity
        .get("object")
        .ok_or_else(|| Error::BadRequest("the activity has no `object`".into()))?;
    let object_id = match object {
        Value::String(id) => Some(id.as_str()),
        Value::Object(fields) => fields.get("id").and_then(Value::as_str),
        _ => {
            return Err(Error::BadRequest(
                "`object` must be an object or an id".into(),
            ));
        }
    };
    let target = match object_id {
        Some(id) => {
            let url = Url::parse(id)
                .map_err(|_| Error::BadRequest(format!("`object.id` is not a URL: {id}")))?;
            Some(parse_object_uri(ctx, &url).ok_or_else(|| {
                Error::UnprocessableAt(
                    "/object/id".into(),
                    format!("{id} is not an object of this node"),
                )
            })?)
        }
        None => None,
    };
    match kind_name {
        "Create" | "Update" => {
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
            let local_id = match (&target, kind_name) {
                (Some((target_kind, _)), _) if *target_kind != kind => {
                    return Err(Error::UnprocessableAt(
                        "/object/type".into(),
                        format!(
                            "a {} cannot live at a {} URL",
                            kind.as_str(),
                            target_kind.as_str()
                        ),
                    ));
                }
                (Some((_, local_id)), _) => local_id.clone(),
                (None, "Create") => uuid::Uuid::new_v4().to_string(),
                (None, _) => {
                    return Err(Error::UnprocessableAt(
                        "/object/id".into(),
                        "Update needs the object's id".into(),
                    ));
                }
            };
            let exists = ctx.store.object(kind.as_str(), &local_id).await?.is_some();
            if kind_name == "Create" && exists {
                return Err(Error::Conflict(format!(
                    "{} already exists; send an Update",
                    object_uri(ctx, kind, &local_id)
                )));
            }
            if kind_name == "Update" && !exists {
                return Err(Error::NotFound(format!(
                    "no {} `{local_id}` to update",
                    kind.as_str()
                )));
            }
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
