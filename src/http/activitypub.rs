//! ActivityPub resources: the node's actor, its published objects and
//! their collections, the outbox (read, and client-to-server publishing),
//! activities and the network vocabulary's context.

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::context;
use serde::Deserialize;
use serde_json::Value;

use crate::apub::activities::ACTIVITIES_PATH;
use crate::apub::actor::{
    ACTOR_PATH, FOLLOWERS_PATH, FOLLOWING_PATH, OUTBOX_PATH, OrganizationActor,
};
use crate::apub::collection;
use crate::apub::context::{
    ACTIVITY_JSON, LD_JSON, LD_JSON_ACTIVITY_STREAMS, NETWORK_CONTEXT, NETWORK_CONTEXT_PATH,
};
use crate::apub::signer::{self, SignedRequest};
use crate::domain::discovery;
use crate::domain::limits::Door;
use crate::domain::policy;
use crate::domain::publish::{self, Change};
use crate::domain::visibility::ReaderRights;
use crate::error::{Error, Result};
use crate::http::auth::PlatformToken;
use crate::http::hardening::vary_by_reader;
use crate::http::json_response;
use crate::http::negotiation::{Representation, activitypub_representation};
use crate::model::kinds::ObjectKind;
use crate::node::{AppContext, NodeState};
use crate::store::{Direction, PeerRow};

pub fn routes() -> Router<NodeState> {
    Router::new()
        .route("/", get(|| async { Redirect::to(ACTOR_PATH) }))
        .route(ACTOR_PATH, get(actor))
        .route(OUTBOX_PATH, get(outbox).post(post_outbox))
        .route(&format!("{ACTIVITIES_PATH}/{{id}}"), get(activity))
        .route(NETWORK_CONTEXT_PATH, get(network_context))
        .route(FOLLOWERS_PATH, get(followers))
        .route(FOLLOWING_PATH, get(following))
        .route("/{collection}", get(object_collection))
        .route("/{collection}/{local_id}", get(object))
        .route(
            "/charters/{local_id}/versions/{version}",
            get(charter_version),
        )
}

/// An ActivityStreams document in the representation the client asked for;
/// `page` renders it for browsers.
fn represent(
    ctx: &AppContext,
    headers: &HeaderMap,
    status: StatusCode,
    document: &Value,
    page: &str,
) -> Result<Response> {
    let representation = activitypub_representation(headers)?;
    let mut response = match representation {
        Representation::ActivityJson => json_response(document, ACTIVITY_JSON),
        Representation::LdJson => json_response(document, LD_JSON_ACTIVITY_STREAMS),
        Representation::Html => ctx
            .templates
            .render(
                page,
                context! {
                    object => document,
                    handle => format!("@{}", discovery::account(&ctx.settings)),
                    node_name => &ctx.settings.platform.name,
                    version => crate::VERSION,
                },
            )?
            .into_response(),
    };
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

async fn actor(State(ctx): State<AppContext>, headers: HeaderMap) -> Result<Response> {
    let representation = activitypub_representation(&headers)?;
    let actor = OrganizationActor::for_node(&ctx.settings, &ctx.keys);
    let mut response = match representation {
        Representation::ActivityJson => json_response(&actor, ACTIVITY_JSON),
        Representation::LdJson => json_response(&actor, LD_JSON_ACTIVITY_STREAMS),
        Representation::Html => ctx
            .templates
            .render(
                "actor.html",
                context! {
                    actor => &actor,
                    handle => format!("@{}", discovery::account(&ctx.settings)),
                    proof_key => ctx.keys.ed25519_multibase(),
                    version => crate::VERSION,
                },
            )?
            .into_response(),
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

fn kind_of(collection: &str) -> Result<ObjectKind> {
    ObjectKind::from_collection(collection)
        .ok_or_else(|| Error::NotFound(format!("nothing at /{collection}")))
}

fn parse_document(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::Internal(format!("stored document: {e}")))
}

/// An object; what a signed request gets (and whether it exists for the
/// signer) depends on the signer.
async fn object(
    State(state): State<NodeState>,
    Path((collection, local_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    vary_by_reader(
        object_for_reader(&state, &collection, &local_id, &method, &uri, &headers)
            .await
            .unwrap_or_else(IntoResponse::into_response),
    )
}

async fn object_for_reader(
    state: &NodeState,
    collection: &str,
    local_id: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response> {
    let kind = kind_of(collection)?;
    let hidden = || Error::NotFound(format!("no {} `{local_id}`", kind.as_str()));
    let row = state
        .store
        .object(kind.as_str(), local_id)
        .await?
        .ok_or_else(hidden)?;
    // Followers-only and named-peer objects are served only to a request
    // signed by a peer allowed to read them; to anyone else they do not
    // exist (404, not 403: existence does not leak).
    if !row.public {
        let reader = signed_reader(state, headers, method, uri).await?;
        let allowed = match &reader {
            Some(peer) => ReaderRights::of(state, peer).await?.may_read(&row.audience),
            None => false,
        };
        if !allowed {
            return Err(hidden());
        }
    }
    let document = parse_document(&row.document)?;
    let status = if row.deleted_at.is_some() {
        StatusCode::GONE
    } else {
        StatusCode::OK
    };
    let mut response = represent(state, headers, status, &document, "object.html")?;
    if !row.public {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(response)
}

/// The peer that signed this request, if it is signed, verifies, and the
/// policy still lets its domain read (a follower blocked or excluded since
/// it was approved reads what strangers read).
async fn signed_reader(
    state: &NodeState,
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
) -> Result<Option<PeerRow>> {
    let request = SignedRequest {
        headers,
        method,
        uri,
        body: None,
    };
    let Some(reader) = signer::reader(&state.data(), &request).await else {
        return Ok(None);
    };
    state.limits.check(Door::ReadsPerActor, &reader.actor_uri)?;
    match policy::refusal(state, &reader.domain).await? {
        None => Ok(Some(reader)),
        Some(reason) => {
            tracing::info!(peer = %reader.actor_uri, reason, "signed GET from a refused domain: answered as anonymous");
            Ok(None)
        }
    }
}

async fn charter_version(
    State(ctx): State<AppContext>,
    Path((local_id, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let uri = ctx
        .settings
        .url_for(&format!("/charters/{local_id}/versions/{version}"));
    let missing = || Error::NotFound(format!("no version {version} of charter `{local_id}`"));
    let (object_id, found) = ctx
        .store
        .object_version_by_uri(uri.as_str())
        .await?
        .ok_or_else(missing)?;
    let charter = ctx
        .store
        .object(ObjectKind::Charter.as_str(), &local_id)
        .await?
        .ok_or_else(missing)?;
    if charter.id != object_id || !charter.public {
        return Err(missing());
    }
    represent(
        &ctx,
        &headers,
        StatusCode::OK,
        &parse_document(&found.document)?,
        "object.html",
    )
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
    max_id: Option<String>,
}

impl PageQuery {
    /// `None` for the collection itself, `Some(max_id)` for a page.
    fn requested_page(&self) -> Result<Option<Option<i64>>> {
        let max_id = match &self.max_id {
            None => None,
            Some(text) => Some(text.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
                Error::BadRequest(format!("`max_id` must be a positive integer, not `{text}`"))
            })?),
        };
        let paged = max_id.is_some()
            || self
                .page
                .as_deref()
                .is_some_and(|p| p == "true" || p == "1");
        Ok(paged.then_some(max_id))
    }
}

fn collection_response(document: &Value) -> Response {
    json_response(document, ACTIVITY_JSON)
}

/// A page of `(row id, document)` rows fetched one beyond the page size.
fn page_of(collection_id: &url::Url, max_id: Option<i64>, rows: Vec<(i64, Value)>) -> Value {
    let more = rows.len() as i64 > collection::PAGE_SIZE;
    let rows: Vec<_> = rows
        .into_iter()
        .take(collection::PAGE_SIZE as usize)
        .collect();
    let next = if more {
        rows.last().map(|(id, _)| *id)
    } else {
        None
    };
    collection::page(
        collection_id,
        max_id,
        rows.into_iter().map(|(_, d)| d).collect(),
        next,
    )
}

/// Serves a paged collection: the `OrderedCollection` (with `count`), or
/// the page the query asks for (rows from `rows(max_id, limit)`).
async fn paged_collection<CountFuture, RowsFuture>(
    id: url::Url,
    query: std::result::Result<Query<PageQuery>, QueryRejection>,
    count: impl FnOnce() -> CountFuture,
    rows: impl FnOnce(Option<i64>, i64) -> RowsFuture,
) -> Result<Response>
where
    CountFuture: std::future::Future<Output = Result<i64>>,
    RowsFuture: std::future::Future<Output = Result<Vec<(i64, String)>>>,
{
    let Query(query) = query?;
    let Some(max_id) = query.requested_page()? else {
        return Ok(collection_response(&collection::collection(
            &id,
            count().await?,
        )));
    };
    let rows = rows(max_id, collection::PAGE_SIZE + 1)
        .await?
        .into_iter()
        .map(|(row_id, document)| Ok((row_id, parse_document(&document)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(collection_response(&page_of(&id, max_id, rows)))
}

async fn outbox(
    State(ctx): State<AppContext>,
    query: std::result::Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response> {
    let store = &ctx.store;
    paged_collection(
        ctx.settings.url_for(OUTBOX_PATH),
        query,
        || store.count_public_activities(),
        |max_id, limit| async move {
            let rows = store.public_activities_before(max_id, limit).await?;
            Ok(rows.into_iter().map(|row| (row.id, row.document)).collect())
        },
    )
    .await
}

/// `/offers`, `/members`...: the public objects; a request signed by an
/// approved follower also lists the non-public ones it may read (what a
/// follower's backfill walks).
/// A collection of objects: its items depend on the signer.
async fn object_collection(
    State(state): State<NodeState>,
    Path(collection_name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: std::result::Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    vary_by_reader(
        collection_for_reader(&state, &collection_name, &method, &uri, &headers, query)
            .await
            .unwrap_or_else(IntoResponse::into_response),
    )
}

async fn collection_for_reader(
    state: &NodeState,
    collection_name: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    query: std::result::Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response> {
    let kind = kind_of(collection_name)?;
    let id = state.settings.url_for(&format!("/{}", kind.collection()));
    let store = &state.store;
    let reader = signed_reader(state, headers, method, uri).await?;
    let Some(reader) = reader else {
        return paged_collection(
            id,
            query,
            || store.count_public_objects(Some(kind.as_str())),
            |max_id, limit| async move {
                let rows = store
                    .live_objects_before(kind.as_str(), max_id, limit, true)
                    .await?;
                Ok(rows.into_iter().map(|row| (row.id, row.document)).collect())
            },
        )
        .await;
    };
    let rights = &ReaderRights::of(state, &reader).await?;
    paged_collection(
        id,
        query,
        || async move {
            let audiences = store.live_object_audiences(kind.as_str()).await?;
            Ok(audiences.iter().filter(|a| rights.may_read(a)).count() as i64)
        },
        |max_id, limit| async move {
            // Skip what the reader may not see, reading on until the page
            // is full, so paging stays correct.
            let mut page = Vec::new();
            let mut before = max_id;
            loop {
                let rows = store
                    .live_objects_before(kind.as_str(), before, limit, false)
                    .await?;
                let exhausted = (rows.len() as i64) < limit;
                for row in rows {
                    before = Some(row.id);
                    if row.public || rights.may_read(&row.audience) {
                        page.push((row.id, row.document));
                        if page.len() as i64 == limit {
                            return Ok(page);
                        }
                    }
                }
                if exhausted {
                    return Ok(page);
                }
            }
        },
    )
    .await
}

async fn followers(
    State(ctx): State<AppContext>,
    query: std::result::Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response> {
    relationships(ctx, Direction::Followers, FOLLOWERS_PATH, query).await
}

async fn following(
    State(ctx): State<AppContext>,
    query: std::result::Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response> {
    relationships(ctx, Direction::Following, FOLLOWING_PATH, query).await
}

/// `/followers` and `/following`: approved relationships, items hidden
/// (count kept) when `federation.hide_relationships` is set.
async fn relationships(
    ctx: AppContext,
    direction: Direction,
    path: &str,
    query: std::result::Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response> {
    let id = ctx.settings.url_for(path);
    if ctx.settings.federation.hide_relationships {
        let total = ctx.store.count_relationships(direction).await?;
        let mut document = collection::collection(&id, total);
        if let Value::Object(fields) = &mut document {
            fields.remove("first");
        }
        return Ok(collection_response(&document));
    }
    let store = &ctx.store;
    paged_collection(
        id,
        query,
        || store.count_relationships(direction),
        |max_id, limit| async move {
            let rows = store.relationships_before(direction, max_id, limit).await?;
            Ok(rows
                .into_iter()
                .map(|(row_id, uri)| (row_id, Value::String(uri).to_string()))
                .collect())
        },
    )
    .await
}

async fn activity(
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let uri = ctx.settings.url_for(&format!("{ACTIVITIES_PATH}/{id}"));
    let row = ctx
        .store
        .activity_by_uri(uri.as_str())
        .await?
        .filter(|row| row.public)
        .ok_or_else(|| Error::NotFound(format!("no activity {uri}")))?;
    let status = if row.withdrawn {
        StatusCode::GONE
    } else {
        StatusCode::OK
    };
    represent(
        &ctx,
        &headers,
        status,
        &parse_document(&row.document)?,
        "object.html",
    )
}

/// Client-to-server publishing: the same validation and publication path
/// as the REST API.
async fn post_outbox(
    _token: PlatformToken,
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if ![ACTIVITY_JSON, LD_JSON, "application/json"].contains(&media_type) {
        return Err(Error::UnsupportedMediaType(format!(
            "POST /outbox takes {ACTIVITY_JSON}, not `{content_type}`"
        )));
    }
    let Json(activity) =
        Json::<Value>::from_bytes(&body).map_err(|e: JsonRejection| Error::from(e))?;
    let published = publish::apply_client_activity(&ctx, &activity).await?;
    let status = if published.change == Change::Unchanged {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (
        status,
        Json(crate::http::api::objects::ObjectView::from_published(
            &published,
        )),
    )
        .into_response();
    if let Some(location) = published
        .activity_uri
        .as_deref()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn network_context() -> Response {
    let mut response = NETWORK_CONTEXT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(LD_JSON));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
