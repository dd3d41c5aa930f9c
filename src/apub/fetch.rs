//! Fetching ActivityStreams documents from other servers, defensively:
//! http(s) only, no private or loopback addresses unless the operator
//! allows them (SSRF), a size cap and a timeout.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::apub::context::ACTIVITY_JSON;

/// Largest document accepted from a peer.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("only http and https URLs can be fetched, not `{0}`")]
    Scheme(String),
    #[error("{0} has no host")]
    NoHost(Url),
    #[error(
        "{host} resolves to a private or loopback address ({ip}); allow private addresses to fetch it"
    )]
    PrivateAddress { host: String, ip: IpAddr },
    #[error("cannot resolve {0}: {1}")]
    Resolve(String, String),
    #[error("request to {0} failed: {1}")]
    Request(Url, String),
    #[error("{0} answered {1}")]
    Status(Url, u16),
    #[error("{0} sent more than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge(Url),
    #[error("{0} did not send JSON: {1}")]
    NotJson(Url, String),
}

/// Addresses no federation request should reach by default.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Refuses URLs that are not http(s) or whose host resolves to a private
/// address (unless `allow_private`).
pub async fn check_url(url: &Url, allow_private: bool) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Scheme(url.scheme().to_owned()));
    }
    let host = url
        .host_str()
        .ok_or_else(|| FetchError::NoHost(url.clone()))?;
    if allow_private {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let host_for_lookup = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addresses = tokio::net::lookup_host((host_for_lookup.as_str(), port))
        .await
        .map_err(|e| FetchError::Resolve(host.to_owned(), e.to_string()))?;
    for address in addresses {
        if is_private(address.ip()) {
            return Err(FetchError::PrivateAddress {
                host: host.to_owned(),
                ip: address.ip(),
            });
        }
    }
    Ok(())
}

/// GETs an ActivityStreams document.
pub async fn fetch_document(
    client: &reqwest::Client,
    url: &Url,
    allow_private: bool,
) -> Result<Value, FetchError> {
    check_url(url, allow_private).await?;
    let response = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, ACTIVITY_JSON)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| FetchError::Request(url.clone(), e.to_string()))?;
    read_document(url, response).await
}

/// GETs a document with a request signed by this node (authorized fetch):
/// what the peer serves to its approved followers.
pub async fn fetch_signed(
    data: &activitypub_federation::config::Data<crate::node::AppContext>,
    url: &Url,
) -> Result<Value, FetchError> {
    let allow_private = data.settings.federation.allow_private_addresses;
    check_url(url, allow_private).await?;
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let builder = reqwest_middleware::ClientWithMiddleware::from(data.http.clone())
        .get(url.as_str())
        .timeout(TIMEOUT)
        .header(reqwest::header::ACCEPT, ACTIVITY_JSON)
        .header("host", host)
        .header(
            "date",
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        );
    let request = data
        .sign_request(builder, bytes::Bytes::new())
        .await
        .map_err(|e| FetchError::Request(url.clone(), e.to_string()))?;
    let response = data
        .http
        .execute(request)
        .await
        .map_err(|e| FetchError::Request(url.clone(), e.to_string()))?;
    read_document(url, response).await
}

async fn read_document(url: &Url, mut response: reqwest::Response) -> Result<Value, FetchError> {
    if !response.status().is_success() {
        return Err(FetchError::Status(url.clone(), response.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Request(url.clone(), e.to_string()))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(FetchError::TooLarge(url.clone()));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| FetchError::NotJson(url.clone(), e.to_string()))
}

/// A client for federation requests (a node keeps one, so connections
/// are reused); redirects are not followed, so a checked URL cannot lead
/// somewhere unchecked.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("passerelle/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_recognised() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "2a01:4f8::1", "100.128.0.1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn hostile_urls_are_refused() {
        let refuse = |u: &str| Url::parse(u).unwrap();
        assert!(matches!(
            check_url(&refuse("file:///etc/passwd"), true).await,
            Err(FetchError::Scheme(_))
        ));
        assert!(matches!(
            check_url(&refuse("http://127.0.0.1:8080/actor"), false).await,
            Err(FetchError::PrivateAddress { .. })
        ));
        assert!(matches!(
            check_url(&refuse("http://[::1]/x"), false).await,
            Err(FetchError::PrivateAddress { .. })
        ));
        assert!(
            check_url(&refuse("http://127.0.0.1:8080/actor"), true)
                .await
                .is_ok()
        );
    }
}
