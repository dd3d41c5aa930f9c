//! One published document: an object (what a signed request gets depends
//! on the signer), a charter's earlier version, its network's member
//! directory, an activity, an amendment and its votes.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use crate::activitypub::represent_served;
use crate::apub::signer::SignedRequest;
use crate::domain::documents;
use crate::hardening::vary_by_reader;
use crate::model::kinds::ObjectKind;
use crate::problem::Result;
use crate::state::NodeState;

pub(super) async fn object(
    State(state): State<NodeState>,
    Path((collection, local_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = SignedRequest::read(&headers, &method, &uri);
    let served = async {
        let kind = ObjectKind::from_collection_path(&collection)?;
        let served = documents::object(&state, kind, &local_id, &request).await?;
        represent_served(&state, &headers, &served)
    };
    vary_by_reader(served.await.unwrap_or_else(IntoResponse::into_response))
}

pub(super) async fn charter_version(
    State(ctx): State<NodeState>,
    Path((local_id, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let served = documents::charter_version(&ctx, &local_id, &version).await?;
    represent_served(&ctx, &headers, &served)
}

pub(super) async fn directory(
    State(ctx): State<NodeState>,
    Path(local_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let served = crate::domain::network::directory::served(&ctx, &local_id).await?;
    represent_served(&ctx, &headers, &served)
}

pub(super) async fn activity(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let served = documents::activity(&ctx, &id).await?;
    represent_served(&ctx, &headers, &served)
}

pub(super) async fn amendment(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let served = documents::amendment(&ctx, &id).await?;
    represent_served(&ctx, &headers, &served)
}

pub(super) async fn amendment_votes(
    State(ctx): State<NodeState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let served = documents::amendment_votes(&ctx, &id).await?;
    represent_served(&ctx, &headers, &served)
}
