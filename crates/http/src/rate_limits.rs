//! Which door a request knocks at, and who knocks: the client's address
//! (or the one the operator's reverse proxy passes on) for the inbox,
//! reads, sign-in and API calls without a token that verifies; the token
//! for API calls with one. The limits themselves are `context::limits`;
//! the per-signer limits are checked where the signer is known.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::apub::actor::INBOX_PATH;
use crate::auth::{TokenLookup, bearer_token};
use crate::console::session::SIGN_IN_PATH;
use crate::context::Context;
use crate::context::limits::Door;
use crate::domain::setup::SETUP_PATH;
use crate::domain::tokens;
use crate::problem::ApiError;
use crate::problem::Result;

pub async fn limit(State(ctx): State<Context>, mut request: Request, next: Next) -> Response {
    let knock = match door_of(&ctx, &mut request).await {
        Ok(knock) => knock,
        Err(e) => return e.into_response(),
    };
    if let Some((door, key)) = knock {
        if let Err(e) = ctx.limits.check(door, &key) {
            tracing::info!(?door, "rate limited");
            return ApiError::from(e).into_response();
        }
    }
    next.run(request).await
}

async fn door_of(ctx: &Context, request: &mut Request) -> Result<Option<(Door, String)>> {
    let path = request.uri().path();
    let method = request.method();
    if path.starts_with("/api/") {
        return api_door(ctx, request).await;
    }
    let door = if path == INBOX_PATH && method == Method::POST {
        Door::InboxPerAddress
    } else if (path == SIGN_IN_PATH || path.starts_with(SETUP_PATH)) && method == Method::POST {
        Door::SignInPerAddress
    } else if (method == Method::GET || method == Method::HEAD)
        && !path.starts_with("/admin")
        && !matches!(path, "/healthz" | "/readyz")
    {
        Door::ReadsPerAddress
    } else {
        return Ok(None);
    };
    Ok(client_address(ctx, request).map(|key| (door, key)))
}

/// A token that verifies is limited on its own; anything else (no token,
/// a malformed, unknown or revoked one) is limited by the address, so
/// made-up tokens are not fresh keys to rotate through. The lookup is
/// handed to the handler's extractor, which does not repeat it.
async fn api_door(ctx: &Context, request: &mut Request) -> Result<Option<(Door, String)>> {
    if let Some(presented) = bearer_token(request.headers()).map(str::to_owned) {
        let found = tokens::lookup(ctx, &presented).await?;
        let id = found.as_ref().map(|token| token.id);
        request.extensions_mut().insert(TokenLookup(found));
        if let Some(id) = id {
            return Ok(Some((Door::ApiPerToken, format!("token {id}"))));
        }
    }
    Ok(client_address(ctx, request).map(|key| (Door::ApiPerAddress, key)))
}

/// The client's address as a limit key. The configured proxy header's
/// last value is believed only on a connection from where a proxy sits
/// (loopback or a private network) and only when it is an IP address;
/// otherwise the connection's own address counts.
fn client_address(ctx: &Context, request: &Request) -> Option<String> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    let forwarded = ctx
        .settings
        .http
        .client_address_header
        .as_deref()
        .filter(|_| peer.is_some_and(is_proxy_address))
        .and_then(|name| forwarded_address(request.headers(), name));
    forwarded.or(peer).map(address_key)
}

/// The last value of `name`, if it parses as an IP address (bare, or with
/// a port as some proxies write it).
fn forwarded_address(headers: &HeaderMap, name: &str) -> Option<IpAddr> {
    let last = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())?;
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Where a reverse proxy of the operator's can sit: loopback, private and
/// shared (CGNAT) IPv4 ranges, IPv6 unique-local addresses.
fn is_proxy_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback() || v4.is_private() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_proxy_address(IpAddr::V4(v4)),
            None => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
        },
    }
}

/// The limit key of an address: an IPv4 address itself, an IPv6 address
/// by its /64 (one subscriber's usual allocation, so a client cannot
/// rotate through its own 2^64 addresses); IPv4-mapped IPv6 as IPv4.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> String {
        address_key(text.parse().unwrap())
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            key("2001:db8:1:2::9")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }

    #[test]
    fn the_proxy_header_holds_an_address_or_is_ignored() {
        let mut headers = HeaderMap::new();
        let name = "x-forwarded-for";
        headers.append(name, "203.0.113.9, 198.51.100.1".parse().unwrap());
        assert_eq!(
            forwarded_address(&headers, name),
            Some("198.51.100.1".parse().unwrap())
        );
        headers.append(name, "[2001:db8::1]:443".parse().unwrap());
        assert_eq!(
            forwarded_address(&headers, name),
            Some("2001:db8::1".parse().unwrap())
        );
        for garbled in ["token-of-the-day", "", "999.1.1.1", "unknown"] {
            let mut headers = HeaderMap::new();
            headers.append(name, garbled.parse().unwrap());
            assert_eq!(forwarded_address(&headers, name), None, "{garbled:?}");
        }
        for proxy in [
            "127.0.0.1",
            "10.1.2.3",
            "172.18.0.4",
            "192.168.1.1",
            "100.64.0.1",
        ] {
            assert!(is_proxy_address(proxy.parse().unwrap()), "{proxy}");
        }
        for proxy in ["::1", "fd00::1", "::ffff:10.0.0.1"] {
            assert!(is_proxy_address(proxy.parse().unwrap()), "{proxy}");
        }
        for client in [
            "203.0.113.9",
            "2001:db8::1",
            "100.128.0.1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_proxy_address(client.parse().unwrap()), "{client}");
        }
    }
}
