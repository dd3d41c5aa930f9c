//! The sources of `[[dfc.sources]]`: each is imported every `interval`,
//! once across replicas, by the node's scheduler (`domain::scheduler`).

use crate::dfc::source::Source;
use crate::error::{DfcFailure, Error};
use passerelle_config::DfcSourceSettings;

/// A configured source with its token read (from the environment when
/// the settings name a variable).
pub fn source_of(settings: &DfcSourceSettings) -> Result<Source, Error> {
    let api_token = match (&settings.api_token, &settings.api_token_env) {
        (Some(token), _) => Some(token.clone()),
        (None, Some(variable)) => Some(std::env::var(variable).map_err(|_| {
            Error::DfcSource(
                DfcFailure::Unauthorized,
                format!("the environment variable {variable} (api_token_env) is not set"),
            )
        })?),
        (None, None) => None,
    };
    Ok(Source {
        catalog_url: settings.catalog_url.clone(),
        api_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(token: Option<&str>, variable: Option<&str>) -> DfcSourceSettings {
        DfcSourceSettings {
            catalog_url: url::Url::parse("https://ofn.example/api/dfc/enterprises/1/catalog_items")
                .unwrap(),
            api_token: token.map(str::to_owned),
            api_token_env: variable.map(str::to_owned),
            interval: std::time::Duration::from_secs(60),
        }
    }

    #[test]
    fn the_token_is_given_or_read_from_the_environment() {
        let given = source_of(&settings(Some("key"), None)).unwrap();
        assert_eq!(given.api_token.as_deref(), Some("key"));
        assert!(
            source_of(&settings(None, None))
                .unwrap()
                .api_token
                .is_none()
        );
        let variable = "PASSERELLE_DFC_TEST_NEVER_SET";
        match source_of(&settings(None, Some(variable))) {
            Err(Error::DfcSource(DfcFailure::Unauthorized, detail)) => {
                assert!(detail.contains(variable), "{detail}");
            }
            other => panic!("a missing variable is an error, not {other:?}"),
        }
        // PATH is set wherever tests run.
        let from_env = source_of(&settings(None, Some("PATH"))).unwrap();
        assert!(from_env.api_token.is_some_and(|t| !t.is_empty()));
    }
}
