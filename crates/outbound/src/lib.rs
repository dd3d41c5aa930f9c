//! The one HTTP client for everything the node sends or fetches: actors,
//! keys, WebFinger, objects, collections, backfill, deliveries and
//! webhooks. A host is resolved once, every address it resolves to is
//! checked, and the connection goes to the checked address (no second
//! lookup, so no DNS-rebinding window); IP literals and each redirect are
//! checked the same way. `federation.allow_private_addresses` is the one
//! switch that lifts the address check (tests and the demo). Proxy
//! variables in the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`)
//! are ignored: through a proxy the connection would go to the proxy's
//! address and the target's would never be checked.

pub mod address;

use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::{Attempt, Policy};
use reqwest_middleware::{ClientWithMiddleware, Middleware, Next};
use url::{Host, Url};

/// The node's client: a `reqwest` client whose resolver checks addresses,
/// behind a middleware that checks the URL of every request.
pub type Client = ClientWithMiddleware;

/// Redirects followed per request, each one checked like the first URL.
pub const MAX_REDIRECTS: usize = 3;
/// Time allowed to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for a whole request unless the caller sets less.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, thiserror::Error)]
pub enum OutboundError {
    #[error("only http and https URLs are allowed, not `{0}`")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error(
        "{host} resolves to {ip}, a {reason} address; this node sends no request to private addresses unless federation.allow_private_addresses is set"
    )]
    Forbidden {
        host: String,
        ip: IpAddr,
        reason: &'static str,
    },
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("redirected to another origin ({0})")]
    CrossOrigin(String),
    #[error("the outgoing HTTP client cannot be built: {0}")]
    Client(String),
}

/// Builds the node's client.
///
/// Fails rather than fall back to a default client: that one would honour
/// proxy variables and skip the address checks.
pub fn client(allow_private: bool) -> Result<Client, OutboundError> {
    let redirect = Policy::custom(move |attempt| follow_redirect(attempt, allow_private));
    let inner = reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver { allow_private }))
        .redirect(redirect)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .user_agent(concat!("passerelle/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| OutboundError::Client(e.to_string()))?;
    Ok(reqwest_middleware::ClientBuilder::new(inner)
        .with(UrlGuard { allow_private })
        .build())
}

/// Checks a target before it is stored (a webhook, a peer to follow), so
/// the caller hears at once why it will never be reached: the scheme, and
/// every address the host resolves to now. The client checks again at
/// every request.
pub async fn check_target(url: &Url, allow_private: bool) -> Result<(), OutboundError> {
    check_url_literal(url, allow_private)?;
    if allow_private {
        return Ok(());
    }
    if let Some(Host::Domain(domain)) = url.host() {
        resolve_checked(domain, false).await?;
    }
    Ok(())
}

/// The scheme, and the host when it is an IP literal: those never reach
/// the resolver, so they are checked here.
pub fn check_url_literal(url: &Url, allow_private: bool) -> Result<(), OutboundError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::Scheme(url.scheme().to_owned()));
    }
    let ip = match url.host().ok_or(OutboundError::NoHost)? {
        Host::Domain(_) => return Ok(()),
        Host::Ipv4(v4) => IpAddr::V4(v4),
        Host::Ipv6(v6) => IpAddr::V6(v6),
    };
    check_ip(&ip.to_string(), ip, allow_private)
}

fn check_ip(host: &str, ip: IpAddr, allow_private: bool) -> Result<(), OutboundError> {
    match address::forbidden_reason(ip) {
        Some(reason) if !allow_private => Err(OutboundError::Forbidden {
            host: host.to_owned(),
            ip,
            reason,
        }),
        _ => Ok(()),
    }
}

async fn resolve_checked(
    host: &str,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, OutboundError> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| OutboundError::Resolve {
            host: host.to_owned(),
            reason: e.to_string(),
        })?
        .collect();
    if addresses.is_empty() {
        return Err(OutboundError::Resolve {
            host: host.to_owned(),
            reason: "no address".to_owned(),
        });
    }
    // One forbidden address refuses the host: which one a connection
    // would use is not ours to choose.
    for address in &addresses {
        check_ip(host, address.ip(), allow_private)?;
    }
    Ok(addresses)
}

/// Resolves host names for the client and refuses forbidden addresses;
/// the connection is made to the addresses returned here.
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = resolve_checked(&host, allow_private).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// Refuses requests whose URL the resolver would never see.
struct UrlGuard {
    allow_private: bool,
}

#[async_trait::async_trait]
impl Middleware for UrlGuard {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        check_url_literal(request.url(), self.allow_private)
            .map_err(reqwest_middleware::Error::middleware)?;
        next.run(request, extensions).await
    }
}

fn follow_redirect(attempt: Attempt<'_>, allow_private: bool) -> reqwest::redirect::Action {
    if attempt.previous().len() > MAX_REDIRECTS {
        return attempt.error(OutboundError::TooManyRedirects);
    }
    let origin_changed = attempt
        .previous()
        .first()
        .is_some_and(|first| first.origin() != attempt.url().origin());
    if origin_changed {
        let to = attempt.url().origin().ascii_serialization();
        return attempt.error(OutboundError::CrossOrigin(to));
    }
    match check_url_literal(attempt.url(), allow_private) {
        Ok(()) => attempt.follow(),
        Err(e) => attempt.error(e),
    }
}

/// An error and its causes on one line: `reqwest` keeps the reason (a
/// refused address, a timeout) in the source chain.
pub fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The address check that refused a request, if that is why it failed.
pub fn refusal_of(error: &reqwest_middleware::Error) -> Option<OutboundError> {
    let mut current: Option<&(dyn StdError + 'static)> = match error {
        reqwest_middleware::Error::Middleware(e) => {
            return e.downcast_ref::<OutboundError>().cloned();
        }
        reqwest_middleware::Error::Reqwest(e) => Some(e),
    };
    while let Some(e) = current {
        if let Some(refusal) = e.downcast_ref::<OutboundError>() {
            return Some(refusal.clone());
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hostile_targets_are_refused_before_any_request() {
        let parse = |u: &str| Url::parse(u).unwrap();
        assert!(matches!(
            check_target(&parse("file:///etc/passwd"), true).await,
            Err(OutboundError::Scheme(_))
        ));
        for loopback in [
            "http://127.0.0.1:8080/actor",
            "http://[::1]/x",
            "http://localhost:9/x",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:7f00:1]/",
            "http://127.1/",
        ] {
            assert!(
                matches!(
                    check_target(&parse(loopback), false).await,
                    Err(OutboundError::Forbidden { .. })
                ),
                "{loopback}"
            );
        }
        assert!(
            check_target(&parse("http://127.0.0.1:8080/actor"), true)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_client_refuses_loopback_without_connecting() {
        // Nothing listens on the port: a refusal from the check, not a
        // connection error, proves no connection was tried.
        let client = client(false).expect("the client builds");
        for url in ["http://127.0.0.1:9/", "http://localhost:9/"] {
            let error = client.get(url).send().await.unwrap_err();
            assert!(
                matches!(refusal_of(&error), Some(OutboundError::Forbidden { .. })),
                "{url}: {}",
                describe(&error)
            );
        }
    }
}
