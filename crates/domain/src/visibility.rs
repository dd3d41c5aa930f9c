//! Who may read a non-public object: approved followers, and for objects
//! addressed to named peers, those peers (if they are approved followers);
//! and what a signed reader may read at all: what its sharing scope covers.

use url::Url;

use crate::apub::signer::{self, SignedRequest};
use crate::context::Context;
use crate::context::limits::Door;
use crate::error::Result;
use crate::model::FollowerState;
use crate::model::SharingScope;
use crate::model::kinds::{Audience, AudienceName};
use crate::policy;
use crate::sharing;
use crate::store::{ObjectRow, PeerRow};

/// What a peer whose signature was verified may read, looked up once so a
/// listing can check many objects without a query per object.
pub struct ReaderRights {
    approved_follower: bool,
    actor: Option<Url>,
    /// What the reader is shared: an object its scope does not cover does
    /// not exist for its signed reads, public or not.
    scope: SharingScope,
}

impl ReaderRights {
    pub async fn of(ctx: &Context, reader: &PeerRow) -> Result<Self> {
        let approved_follower = ctx
            .store
            .follow_in_by_peer(reader.id)
            .await?
            .is_some_and(|request| request.state == FollowerState::Approved);
        Ok(Self {
            approved_follower,
            actor: Url::parse(&reader.actor_uri).ok(),
            scope: sharing::effective_scope(ctx, reader.id).await?,
        })
    }

    /// Whether one of our objects exists for this reader: its audience
    /// lets the reader see it and the reader's scope covers it.
    pub fn may_read_object(&self, row: &ObjectRow) -> bool {
        (row.public || self.may_read(&row.audience))
            && sharing::covers_stored(&self.scope, row.kind, &row.payload)
    }

    /// Whether a public activity of the outbox exists for this reader: one
    /// about an object (of `object_kind`) only when its scope covers the
    /// version the activity carries.
    pub fn may_read_activity(
        &self,
        object_kind: Option<crate::model::kinds::ObjectKind>,
        document: &str,
    ) -> bool {
        object_kind.is_none_or(|kind| sharing::covers_activity(&self.scope, kind, document))
    }

    /// Whether the reader's scope shares everything (nothing to filter).
    pub fn shares_everything(&self) -> bool {
        self.scope.categories.is_empty()
            && crate::model::kinds::ObjectKind::ALL
                .iter()
                .all(|kind| self.scope.kinds.contains(kind))
    }

    /// Whether the scope judges an object of `kind` by its content (an
    /// offer's categories), not by its kind and audience alone.
    pub fn judges_content(&self, kind: crate::model::kinds::ObjectKind) -> bool {
        kind == crate::model::kinds::ObjectKind::Offer && !self.scope.categories.is_empty()
    }

    /// Whether the reader's scope leaves out every object of `kind`.
    pub fn excludes_kind(&self, kind: crate::model::kinds::ObjectKind) -> bool {
        !self.scope.kinds.contains(&kind)
    }

    /// Whether an object with `audience` is readable.
    pub fn may_read(&self, audience: &Audience) -> bool {
        match audience {
            Audience::Named(AudienceName::Public) => true,
            _ if !self.approved_follower => false,
            Audience::Named(AudienceName::Followers) => true,
            Audience::Peers(peers) => peers.iter().any(|p| Some(p) == self.actor.as_ref()),
        }
    }
}

/// What the signer of a GET may read: `None` when the request is not
/// signed, its signature does not verify, or the policy no longer lets the
/// signer's domain read (a follower blocked or excluded since it was
/// approved reads what strangers read).
pub async fn signed_reader(
    data: &Context,
    request: &SignedRequest<'_>,
) -> Result<Option<ReaderRights>> {
    let Some(reader) = signer::reader(data, request).await? else {
        return Ok(None);
    };
    data.limits.check(Door::ReadsPerActor, &reader.actor_uri)?;
    match policy::refusal(data, &reader.domain).await? {
        None => Ok(Some(ReaderRights::of(data, &reader).await?)),
        Some(reason) => {
            tracing::info!(peer = %reader.actor_uri, reason, "signed GET from a refused domain: answered as anonymous");
            Ok(None)
        }
    }
}
