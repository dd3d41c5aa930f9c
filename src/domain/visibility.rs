//! Who may read a non-public object: approved followers, and for objects
//! addressed to named peers, those peers (if they are approved followers).

use url::Url;

use crate::error::Result;
use crate::model::FollowerState;
use crate::model::kinds::{Audience, AudienceName};
use crate::node::AppContext;
use crate::store::PeerRow;

/// What a peer whose signature was verified may read, looked up once so a
/// listing can check many objects without a query per object.
pub struct ReaderRights {
    approved_follower: bool,
    actor: Option<Url>,
}

impl ReaderRights {
    pub async fn of(ctx: &AppContext, reader: &PeerRow) -> Result<Self> {
        let approved_follower = ctx
            .store
            .follow_in_by_peer(reader.id)
            .await?
            .is_some_and(|request| request.state == FollowerState::Approved);
        Ok(Self {
            approved_follower,
            actor: Url::parse(&reader.actor_uri).ok(),
        })
    }

    /// Whether an object with `audience` (as stored, JSON) is readable.
    pub fn may_read(&self, audience: &str) -> bool {
        match serde_json::from_str::<Audience>(audience) {
            Ok(Audience::Named(AudienceName::Public)) => true,
            _ if !self.approved_follower => false,
            Ok(Audience::Named(AudienceName::Followers)) => true,
            Ok(Audience::Peers(peers)) => peers.iter().any(|p| Some(p) == self.actor.as_ref()),
            Err(_) => false,
        }
    }
}
