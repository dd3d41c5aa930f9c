//! The sources of `[[dfc.sources]]`, each imported when the node starts
//! and then every `interval`, until the node stops. A run that is cut
//! short by the stop rolls back (its transaction is never committed).

use tokio::sync::watch;

use crate::domain::dfc::import;
use crate::domain::dfc::source::Source;
use crate::error::{DfcFailure, Error};
use crate::node::AppContext;
use passerelle_config::DfcSourceSettings;

/// Runs every configured source until `stop` turns true.
pub async fn run(ctx: AppContext, stop: watch::Receiver<bool>) {
    let tasks: Vec<_> = ctx
        .settings
        .dfc
        .sources
        .iter()
        .cloned()
        .map(|source| tokio::spawn(every(ctx.clone(), source, stop.clone())))
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}

async fn every(ctx: AppContext, settings: DfcSourceSettings, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let run = async {
            match source_of(&settings) {
                Ok(source) => {
                    let _ = import::run(&ctx, &source).await;
                }
                Err(error) => {
                    import::record_failure(&ctx, settings.catalog_url.as_str(), &error).await;
                }
            }
        };
        tokio::select! {
            () = run => {}
            _ = stop.changed() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(settings.interval) => {}
            _ = stop.changed() => return,
        }
    }
}

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
