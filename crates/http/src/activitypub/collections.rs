//! Paged collections: the outbox, each kind's objects (their items depend
//! on the signer) and the relationships.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::activitypub::collection_response;
use crate::apub::signer::SignedRequest;
use crate::context::Context;
use crate::domain::collections::{self, Paging, Relationships};
use crate::domain::follows::synchronization;
use crate::extract::Query;
use crate::hardening::vary_by_reader;
use crate::model::kinds::ObjectKind;
use crate::problem::ApiError;
use crate::problem::Result;
use crate::state::NodeState;

#[derive(Deserialize)]
pub(super) struct PageQuery {
    page: Option<String>,
    max_id: Option<String>,
}

impl PageQuery {
    fn paging(&self) -> crate::error::Result<Paging> {
        Paging::from_query(self.page.as_deref(), self.max_id.as_deref())
    }
}

/// The outbox; a signed reader sees what its sharing scope covers.
pub(super) async fn outbox(
    State(ctx): State<Context>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<PageQuery>>,
) -> Response {
    let request = SignedRequest::read(&headers, &method, &uri);
    let document = async {
        let Query(query) = query.map_err(|e| e.0)?;
        collections::outbox(&ctx, &request, query.paging()?).await
    };
    let response = match document.await {
        Ok(document) => collection_response(&document),
        Err(e) => ApiError::from(e).into_response(),
    };
    // Only a signed read depends on the reader; the anonymous outbox is
    // public and stays cacheable as before.
    if headers.contains_key("signature") {
        vary_by_reader(response)
    } else {
        response
    }
}

pub(super) async fn objects(
    State(state): State<NodeState>,
    Path(collection): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<PageQuery>>,
) -> Response {
    let request = SignedRequest::read(&headers, &method, &uri);
    let document = async {
        let kind = ObjectKind::from_collection_path(&collection)?;
        let Query(query) = query.map_err(|e| e.0)?;
        collections::objects(&state, kind, &request, query.paging()?).await
    };
    vary_by_reader(match document.await {
        Ok(document) => collection_response(&document),
        Err(e) => ApiError::from(e).into_response(),
    })
}

pub(super) async fn followers(
    State(ctx): State<Context>,
    Query(query): Query<PageQuery>,
) -> Result<Response> {
    let document =
        collections::relationships(&ctx, Relationships::Followers, query.paging()?).await?;
    Ok(collection_response(&document))
}

pub(super) async fn following(
    State(ctx): State<Context>,
    Query(query): Query<PageQuery>,
) -> Result<Response> {
    let document =
        collections::relationships(&ctx, Relationships::Following, query.paging()?).await?;
    Ok(collection_response(&document))
}

/// The partial followers collection (FEP-8fcf): only for a signed GET,
/// listing our approved followers on the signer's origin.
pub(super) async fn partial_followers(
    State(ctx): State<Context>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = SignedRequest::read(&headers, &method, &uri);
    let document = async {
        let reader = crate::apub::signer::required_reader(
            &ctx,
            &request,
            "the partial followers collection",
        )
        .await?;
        synchronization::partial_collection(&ctx, &reader).await
    };
    let mut response = vary_by_reader(match document.await {
        Ok(document) => collection_response(&document),
        Err(e) => ApiError::from(e).into_response(),
    });
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-store"),
    );
    response
}
