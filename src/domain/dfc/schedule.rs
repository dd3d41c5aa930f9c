//! The sources of `[[dfc.sources]]`, each imported when the node starts
//! and then every `interval`, until the node stops. A run that is cut
//! short by the stop rolls back (its transaction is never committed).

use tokio::sync::watch;

use crate::config::DfcSourceSettings;
use crate::domain::dfc::import;
use crate::domain::dfc::source::Source;
use crate::error::{DfcFailure, Error};
use crate::node::AppContext;

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
