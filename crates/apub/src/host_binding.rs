//! Which node a signed request was signed for. Both signature schemes
//! cover the request's `Host` (draft-cavage's `host`, RFC 9421's
//! `@authority` and `@target-uri`), so a signature made for another server
//! verifies here too unless that host is compared with this node's own:
//! the public URL's host, with its port when not the scheme's default.
//! Behind a reverse proxy the public host is what counts: the proxy must
//! pass the `Host` the client sent.

use http::{HeaderMap, Uri};
use url::Url;

use crate::error::{Error, Result};
use crate::peer::domain_of;

/// `host[:port]` lowercased, without the port when it is `scheme`'s
/// default (a client may write `example.org:443`).
fn normalized(authority: &str, scheme: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    let default = match scheme {
        "https" => ":443",
        "http" => ":80",
        _ => return authority,
    };
    match authority.strip_suffix(default) {
        Some(host) if !host.is_empty() => host.to_owned(),
        _ => authority,
    }
}

/// Refuses (401) a signed request whose `Host`, or whose absolute target
/// URI's authority, is not `public_url`'s: it was signed for another
/// server. Runs before any key is looked up.
pub fn check(headers: &HeaderMap, uri: &Uri, public_url: &Url) -> Result<()> {
    let own = domain_of(public_url).to_ascii_lowercase();
    let scheme = public_url.scheme();
    let refused = || {
        Error::Unauthorized(format!(
            "the request was not signed for this node: its host must be `{own}`"
        ))
    };
    let mut hosts = headers.get_all("host").iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(host), None) => host.to_str().map_err(|_| refused())?,
        _ => return Err(refused()),
    };
    if normalized(host, scheme) != own {
        return Err(refused());
    }
    if let Some(authority) = uri.authority() {
        if normalized(authority.as_str(), scheme) != own {
            return Err(refused());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn with_host(hosts: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for host in hosts {
            headers.append("host", HeaderValue::from_str(host).unwrap());
        }
        headers
    }

    #[test]
    fn only_the_public_host_is_accepted() {
        let public = Url::parse("https://node.example").unwrap();
        let path = Uri::from_static("/offers");
        for good in ["node.example", "NODE.example", "node.example:443"] {
            assert!(check(&with_host(&[good]), &path, &public).is_ok(), "{good}");
        }
        for bad in [
            &["other.example"][..],
            &["node.example:8443"],
            &["node.example.other.example"],
            &[],
            &["node.example", "node.example"],
        ] {
            assert!(check(&with_host(bad), &path, &public).is_err(), "{bad:?}");
        }
        let absolute = Uri::from_static("https://other.example/offers");
        assert!(check(&with_host(&["node.example"]), &absolute, &public).is_err());
    }

    #[test]
    fn a_non_default_port_is_part_of_the_host() {
        let public = Url::parse("http://localhost:8080").unwrap();
        let path = Uri::from_static("/inbox");
        assert!(check(&with_host(&["localhost:8080"]), &path, &public).is_ok());
        assert!(check(&with_host(&["localhost"]), &path, &public).is_err());
        assert!(check(&with_host(&["localhost:8081"]), &path, &public).is_err());
        assert!(check(&with_host(&["127.0.0.1:8080"]), &path, &public).is_err());
    }
}
