//! How others find the node: which WebFinger resources name it.

use url::Url;

use crate::apub::actor::actor_id;
use crate::error::{Error, Result};
use passerelle_config::Settings;

/// The node's handle without the leading `@`: `slug@host`.
pub fn account(settings: &Settings) -> String {
    format!("{}@{}", settings.platform.slug, settings.public_host())
}

/// Checks that a WebFinger `resource` designates this node's actor, either
/// as `acct:slug@host` or as the actor URL. Malformed resources are a bad
/// request; well-formed ones naming someone else are not found.
pub fn resolve_webfinger_resource(settings: &Settings, resource: &str) -> Result<()> {
    let resource = resource.trim();
    if let Some(account) = resource.strip_prefix("acct:") {
        let account = account.strip_prefix('@').unwrap_or(account);
        let Some((user, host)) = account.rsplit_once('@') else {
            return Err(Error::BadRequest(format!(
                "resource `{resource}` is not of the form acct:user@host"
            )));
        };
        if user.is_empty() || host.is_empty() || user.contains(char::is_whitespace) {
            return Err(Error::BadRequest(format!(
                "resource `{resource}` is not of the form acct:user@host"
            )));
        }
        let ours = user.eq_ignore_ascii_case(&settings.platform.slug)
            && host.eq_ignore_ascii_case(&settings.public_host());
        return if ours {
            Ok(())
        } else {
            Err(Error::NotFound(format!(
                "no account {account} on this node"
            )))
        };
    }
    match Url::parse(resource) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            if url == actor_id(settings) {
                Ok(())
            } else {
                Err(Error::NotFound(format!("no actor at {url} on this node")))
            }
        }
        _ => Err(Error::BadRequest(format!(
            "resource `{resource}` must be acct:user@host or an http(s) URL"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        let mut settings = Settings::default();
        settings.platform.slug = "ofn".to_owned();
        settings
    }

    #[test]
    fn own_account_and_actor_resolve() {
        let s = settings();
        assert!(resolve_webfinger_resource(&s, "acct:ofn@127.0.0.1:8080").is_ok());
        assert!(resolve_webfinger_resource(&s, "acct:OFN@127.0.0.1:8080").is_ok());
        assert!(resolve_webfinger_resource(&s, "http://127.0.0.1:8080/actor").is_ok());
    }

    #[test]
    fn others_are_not_found_and_garbage_is_bad() {
        let s = settings();
        assert!(matches!(
            resolve_webfinger_resource(&s, "acct:other@127.0.0.1:8080"),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            resolve_webfinger_resource(&s, "acct:ofn@elsewhere.example"),
            Err(Error::NotFound(_))
        ));
        for bad in ["acct:", "acct:ofn", "acct:@host", "mailto:x@y", "", "ofn"] {
            assert!(
                matches!(
                    resolve_webfinger_resource(&s, bad),
                    Err(Error::BadRequest(_))
                ),
                "{bad}"
            );
        }
    }
}
