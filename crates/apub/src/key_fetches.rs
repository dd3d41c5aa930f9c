//! The documents fetched to check a signer's key (actors, key documents):
//! each at most once per URL per window, at most a budget of new fetches
//! per origin per window, and none from a domain the policy refuses. A
//! signed request is the only thing a stranger needs to make the node
//! send its own signed GET somewhere; these bounds keep that from being a
//! signing oracle or an amplifier.

use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::domain_policy as policy;
use crate::error::{Error, Result};
use crate::fetch;
use crate::peer::domain_of;
use passerelle_context::Context;

/// The document at `url` (an actor, a key), fetched with a request signed
/// by this node at most once per window: `None` when it could not be
/// fetched. Refused (403) before any request when the policy refuses
/// `url`'s domain, and put off (429) when its origin has spent its budget.
pub async fn fetched(data: &Context, url: &Url) -> Result<Option<Value>> {
    policy::admit_sender(data, &domain_of(url)).await?;
    let fetch = data.key_fetches.slot(url).map_err(|wait| {
        tracing::info!(%url, "key fetch budget of the origin spent for this window");
        Error::TooManyRequests(wait.max(Duration::from_secs(1)))
    })?;
    Ok(fetch
        .document
        .get_or_init(|| async {
            match fetch::fetch_signed(data, url).await {
                Ok(document) => Some(document),
                Err(e) => {
                    tracing::info!(%url, error = %e, "cannot fetch the signer's key");
                    None
                }
            }
        })
        .await
        .clone())
}
