//! `/sharing`: a peer's own entry in our sharing register, for its signed
//! GET.

use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use crate::activitypub::collection_response;
use crate::apub::signer::SignedRequest;
use crate::context::Context;
use crate::domain::sharing::register;
use crate::problem::Result;

pub(super) async fn own_entry(
    State(ctx): State<Context>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let request = SignedRequest::read(&headers, &method, &uri);
    let document = register::entry_for_reader(&ctx, &request).await?;
    Ok(collection_response(&document))
}
