//! Creating or updating an object: validated, signed, stored, versioned
//! (charters) and recorded as a `Create` or `Update` in one transaction.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::apub::activities;
use crate::apub::objects::Publication;
use crate::apub::objects::charter::{version_document, version_uri};
use crate::apub::proof;
use crate::change;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::ObjectId;
use crate::model::kinds::{Audience, ObjectKind};
use crate::model::payload::Payload;
use crate::model::time;
use crate::outgoing::sign;
use crate::publish::rules::check_rules;
use crate::publish::{
    Change, Published, change_type, check_local_id, object_uri, record_activity, to_json,
};
use crate::store::{ChangeTx, ObjectRow, ObjectState};
use crate::validation;

/// A validated request to publish: the payload as the platform sent it,
/// canonicalised, and what it becomes, under the id it is published at.
struct Draft<'a> {
    kind: ObjectKind,
    local_id: &'a str,
    checked: &'a Checked,
}

/// A payload validated (schema and rules) and canonicalised, whatever id
/// it is published under.
struct Checked {
    payload: Payload,
    canonical: String,
    content_hash: String,
    audience: Audience,
}

/// A payload validated (schema and rules) and canonicalised, ready to be
/// published under an id: [`prepare`] outside any change transaction (the
/// global write lock), then [`publish_in`] inside one, so several
/// publications can commit with the caller's own change, or not at all.
pub struct Prepared {
    kind: ObjectKind,
    checked: Checked,
}

/// Validates a payload of `kind`. Outside a transaction where it can be:
/// checking a commitment reads other objects through the pool.
pub async fn prepare(ctx: &Context, kind: ObjectKind, document: &Value) -> Result<Prepared> {
    let checked = Checked::of(ctx, kind, document).await?;
    Ok(Prepared { kind, checked })
}

/// What the stored object was before this publication.
enum Prior {
    New,
    Unchanged(ObjectRow),
    /// A new version of the object `id` first published at `published`.
    Changed {
        id: ObjectId,
        version: i64,
        published: String,
    },
}

/// Creates or updates the object `local_id` of `kind` from the platform's
/// `document` in a change of its own: [`prepare`], then [`publish_in`].
/// Unchanged content publishes nothing.
pub async fn upsert(
    ctx: &Context,
    kind: ObjectKind,
    local_id: &str,
    document: &Value,
) -> Result<Published> {
    check_local_id(local_id)?;
    let prepared = prepare(ctx, kind, document).await?;
    let mut tx = change::begin(ctx).await?;
    let published = publish_in(ctx, &mut tx, local_id, &prepared).await?;
    if published.change != Change::Unchanged {
        change::commit(ctx, tx).await?;
        tracing::info!(
            kind = kind.as_str(),
            local_id,
            version = published.object.version,
            change = ?published.change,
            "published"
        );
    }
    Ok(published)
}

/// Publishes a prepared payload as the object `local_id`, inside the
/// caller's change: only the storing and signing happen under the lock.
/// The caller commits (`change::commit` wakes the delivery workers).
pub async fn publish_in(
    ctx: &Context,
    tx: &mut ChangeTx,
    local_id: &str,
    prepared: &Prepared,
) -> Result<Published> {
    check_local_id(local_id)?;
    let draft = Draft {
        kind: prepared.kind,
        local_id,
        checked: &prepared.checked,
    };
    apply(ctx, tx, &draft).await
}

/// Stores a validated draft and records its activity, in `tx`.
async fn apply(ctx: &Context, tx: &mut ChangeTx, draft: &Draft<'_>) -> Result<Published> {
    crate::moving::ensure_not_moved(tx).await?;
    let (kind, local_id) = (draft.kind, draft.local_id);
    let (object_id, version, published) = match draft.prior(tx).await? {
        Prior::Unchanged(row) => {
            return Ok(Published {
                change: Change::Unchanged,
                object: row,
                activity_uri: None,
            });
        }
        Prior::New => (None, 1, time::now()),
        Prior::Changed {
            id,
            version,
            published,
        } => (Some(id), version, published),
    };
    let change = if object_id.is_some() {
        Change::Updated
    } else {
        Change::Created
    };
    let now = time::now();
    let (object_id, signed) =
        store_version(ctx, tx, draft, object_id, version, &published, &now).await?;
    let activity_id = activities::new_activity_id(&ctx.settings);
    let activity = activities::document(
        &ctx.settings,
        change_type(change),
        activity_id.clone(),
        signed,
        &draft.checked.audience,
        &now,
    )?;
    record_activity(
        tx,
        &activity_id,
        change_type(change),
        object_id,
        &draft.checked.audience,
        &sign(ctx, &activity)?,
    )
    .await?;
    let object = tx
        .object(kind, local_id)
        .await?
        .ok_or_else(|| Error::Internal("object vanished inside its transaction".into()))?;
    Ok(Published {
        change,
        object,
        activity_uri: Some(activity_id.to_string()),
    })
}

impl Checked {
    async fn of(ctx: &Context, kind: ObjectKind, document: &Value) -> Result<Checked> {
        let payload = validation::validate(kind, document)?;
        check_rules(ctx, &payload).await?;
        let canonical = proof::canonical(document).map_err(|e| Error::BadRequest(e.to_string()))?;
        let content_hash = hex::encode(Sha256::digest(canonical.as_bytes()));
        let audience = payload.audience();
        Ok(Checked {
            payload,
            canonical,
            content_hash,
            audience,
        })
    }
}

impl Draft<'_> {
    /// A deleted id is never reused; the same content is no change.
    async fn prior(&self, tx: &mut ChangeTx) -> Result<Prior> {
        match tx.object(self.kind, self.local_id).await? {
            None => Ok(Prior::New),
            Some(row) if row.deleted_at.is_some() => Err(Error::Conflict(format!(
                "{} `{}` was deleted; deleted ids are not reused, publish under a new id",
                self.kind.as_str(),
                self.local_id
            ))),
            Some(row) if row.content_hash == self.checked.content_hash => Ok(Prior::Unchanged(row)),
            Some(row) => Ok(Prior::Changed {
                id: row.id,
                version: row.version + 1,
                published: time::format_millis(row.created_at),
            }),
        }
    }
}

/// Signs and stores the object's new version (and, for kinds that keep
/// versions, the version's own document); returns its row id and the
/// signed document.
async fn store_version(
    ctx: &Context,
    tx: &mut ChangeTx,
    draft: &Draft<'_>,
    existing: Option<ObjectId>,
    version: i64,
    published: &str,
    now: &str,
) -> Result<(ObjectId, Value)> {
    let uri = object_uri(ctx, draft.kind, draft.local_id);
    let unsigned = Publication {
        settings: &ctx.settings,
        uri: &uri,
        audience: &draft.checked.audience,
        version,
        published,
        updated: now,
    }
    .document(&draft.checked.payload)?;
    let signed = sign(ctx, &unsigned)?;
    let state = ObjectState {
        kind: draft.kind,
        local_id: draft.local_id,
        uri: uri.as_str(),
        version,
        audience: &draft.checked.audience,
        public: draft.checked.audience.is_public(),
        payload: &draft.checked.canonical,
        content_hash: &draft.checked.content_hash,
        document: &to_json(&signed)?,
    };
    let object_id = match existing {
        Some(id) => {
            tx.update_object(id, &state).await?;
            id
        }
        None => tx.insert_object(&state).await?,
    };
    if draft.kind.keeps_versions() {
        let version_id = version_uri(&uri, version);
        let version_signed = sign(ctx, &version_document(&unsigned, &version_id))?;
        tx.insert_version(
            object_id,
            version,
            version_id.as_str(),
            &draft.checked.canonical,
            &to_json(&version_signed)?,
        )
        .await?;
    }
    Ok((object_id, signed))
}
