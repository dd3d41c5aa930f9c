//! Which door a request knocks at, and who knocks: the client's address
//! (or the one the operator's reverse proxy passes on) for the inbox,
//! reads and sign-in, the bearer token for the API. The limits themselves
//! are `domain::limits`; the per-signer limits are checked where the
//! signer is known.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::apub::actor::INBOX_PATH;
use crate::domain::limits::Door;
use crate::http::console::session::SIGN_IN_PATH;
use crate::node::AppContext;

pub async fn limit(State(ctx): State<AppContext>, request: Request, next: Next) -> Response {
    if let Some((door, key)) = door_of(&ctx, &request) {
        if let Err(e) = ctx.limits.check(door, &key) {
            tracing::info!(?door, "rate limited");
            return e.into_response();
        }
    }
    next.run(request).await
}

fn door_of(ctx: &AppContext, request: &Request) -> Option<(Door, String)> {
    let path = request.uri().path();
    let method = request.method();
    if path.starts_with("/api/") {
        let token = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())?;
        // Keyed by a digest: the limiter does not hold tokens.
        return Some((Door::ApiPerToken, hex::encode(Sha256::digest(token))));
    }
    let door = if path == INBOX_PATH && method == Method::POST {
        Door::InboxPerAddress
    } else if path == SIGN_IN_PATH && method == Method::POST {
        Door::SignInPerAddress
    } else if (method == Method::GET || method == Method::HEAD)
        && !path.starts_with("/admin")
        && !matches!(path, "/healthz" | "/readyz" | "/metrics")
    {
        Door::ReadsPerAddress
    } else {
        return None;
    };
    Some((door, client_address(ctx, request)?))
}

/// The client's address: the last value of the configured proxy header,
/// else the connection's peer address.
fn client_address(ctx: &AppContext, request: &Request) -> Option<String> {
    if let Some(name) = &ctx.settings.http.client_address_header {
        let forwarded = request
            .headers()
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(address) = forwarded {
            return Some(address.to_owned());
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
}
