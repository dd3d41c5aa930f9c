//! Who may read a non-public object: approved followers, and for objects
//! addressed to named peers, those peers (if they are approved followers).

use url::Url;

use crate::domain::kinds::{Audience, AudienceName};
use crate::error::Result;
use crate::node::AppContext;
use crate::store::PeerRow;

/// Whether `reader` (a peer whose signature was verified) may read an
/// object with `audience` (as stored, JSON).
pub async fn may_read(ctx: &AppContext, audience: &str, reader: &PeerRow) -> Result<bool> {
    let approved = ctx
        .store
        .follow_in_by_peer(reader.id)
        .await?
        .is_some_and(|request| request.state == "approved");
    if !approved {
        return Ok(false);
    }
    Ok(match serde_json::from_str::<Audience>(audience) {
        Ok(Audience::Named(AudienceName::Public | AudienceName::Followers)) => true,
        Ok(Audience::Peers(peers)) => {
            let reader = Url::parse(&reader.actor_uri).ok();
            peers.iter().any(|p| Some(p) == reader.as_ref())
        }
        Err(_) => false,
    })
}
