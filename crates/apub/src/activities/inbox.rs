//! What the inbox accepts, classified once: an activity's type and its
//! object's decide which of these it is; any other type is acknowledged
//! and ignored. The domain's routing table (`domain::inbound`) maps each
//! class to its handler.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::activities::agreement::{Agreement, OfferAgreement};
use crate::activities::amendment::AmendmentActivity;
use crate::activities::answer::Answer;
use crate::activities::follow::Follow;
use crate::activities::join::Join;
use crate::activities::move_actor::Move;
use crate::activities::network::DirectoryChange;
use crate::activities::object_change::{ObjectChange, ObjectChangeType};
use crate::activities::receipt::{self, Receipt};
use crate::activities::sharing_terms::SharingTerms;
use crate::activities::undo::Undo;
use crate::error::{Error, Result};

/// A received activity by what it does (activity × object).
#[derive(Debug, Clone)]
pub enum Inbound {
    /// A peer asks to follow this node.
    Follow(Follow),
    /// A follower leaves.
    UndoFollow(Undo),
    /// `Accept` or `Reject` of something this node sent: a `Follow` or an
    /// agreement `Offer` (which one, only the store knows).
    Answer(Answer),
    /// `Create`, `Update` or `Delete` of a peer's offer, member, charter or
    /// commitment (or of something this node does not keep).
    ObjectChange(ObjectChange),
    /// The peer changed its own actor (a new key, a new name).
    ActorUpdated(ObjectChange),
    /// The peer closed.
    ActorDeleted(ObjectChange),
    /// FEP-0837: a peer asks for some of one of this node's offers.
    AgreementOffered(OfferAgreement),
    /// Issue 26: a followed peer tells us the terms it shares under
    /// (`Offer{object: SharingTerms}`; same envelope as an agreement's).
    TermsOffered(OfferAgreement),
    /// FEP-0837: an agreement between us completed or was cancelled.
    AgreementUpdated(ObjectChange),
    /// A charter amendment opened or closed, a vote, a draft, its answer.
    Amendment(AmendmentActivity),
    /// A peer's signed receipt: what it holds of ours, what it removed.
    Receipt(Receipt),
    /// A node asks to join the network of a charter hosted here.
    Join(Join),
    /// The sender moved to a new address (FEP-7628).
    Move(Move),
    /// Issue 27: a network's host adds a member to its directory or
    /// removes one (`Add` / `Remove` of a `NetworkMember`).
    DirectoryChange(DirectoryChange),
    /// A type (or an object) this node does not act on.
    Ignored { id: Url, kind: String },
}

impl Inbound {
    /// Classifies a received activity; a known type in a shape this node
    /// cannot read is refused (400).
    pub fn classify(envelope: &Value) -> Result<Inbound> {
        // Typed `["Read", "Receipt"]`: recognised before the one-type cases.
        if receipt::is_receipt(envelope) {
            let mut receipt: Receipt = read(envelope)?;
            receipt.document = envelope.clone();
            return Ok(Inbound::Receipt(receipt));
        }
        if DirectoryChange::is_change(envelope) {
            return Ok(Inbound::DirectoryChange(read(envelope)?));
        }
        let kind = envelope
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::BadRequest("the activity has no type".into()))?;
        // Amendments are `Create`, `Update`, `Offer`, `Accept` and `Reject`
        // of particular objects, so they are recognised first.
        if let Ok(amendment) = AmendmentActivity::deserialize(envelope) {
            return Ok(Inbound::Amendment(amendment));
        }
        let object = envelope.get("object").unwrap_or(&Value::Null);
        Ok(match kind {
            "Follow" => Inbound::Follow(read(envelope)?),
            "Join" => Inbound::Join(read(envelope)?),
            "Move" => Inbound::Move(read(envelope)?),
            "Undo" => Inbound::UndoFollow(read(envelope)?),
            "Accept" | "Reject" => Inbound::Answer(read(envelope)?),
            "Offer" if Agreement::is_agreement(object) => {
                Inbound::AgreementOffered(read(envelope)?)
            }
            "Offer" if SharingTerms::is_terms(object) => Inbound::TermsOffered(read(envelope)?),
            "Create" | "Update" | "Delete" => Inbound::changed(read(envelope)?),
            _ => Inbound::Ignored {
                id: read::<Named>(envelope)?.id,
                kind: kind.to_owned(),
            },
        })
    }

    fn changed(change: ObjectChange) -> Inbound {
        let about_actor = change.object_id() == Some(change.actor.as_str());
        match change.kind {
            ObjectChangeType::Update if Agreement::is_agreement(&change.object) => {
                Inbound::AgreementUpdated(change)
            }
            ObjectChangeType::Update if about_actor => Inbound::ActorUpdated(change),
            ObjectChangeType::Delete if about_actor => Inbound::ActorDeleted(change),
            ObjectChangeType::Create if about_actor => Inbound::Ignored {
                id: change.id,
                kind: "Create".into(),
            },
            _ => Inbound::ObjectChange(change),
        }
    }

    /// The activity's id.
    pub fn id(&self) -> &Url {
        match self {
            Inbound::Follow(a) => &a.id,
            Inbound::UndoFollow(a) => &a.id,
            Inbound::Answer(a) => &a.id,
            Inbound::ObjectChange(a)
            | Inbound::ActorUpdated(a)
            | Inbound::ActorDeleted(a)
            | Inbound::AgreementUpdated(a) => &a.id,
            Inbound::AgreementOffered(a) | Inbound::TermsOffered(a) => &a.id,
            Inbound::Amendment(a) => &a.id,
            Inbound::Receipt(a) => &a.id,
            Inbound::Join(a) => &a.id,
            Inbound::Move(a) => &a.id,
            Inbound::DirectoryChange(a) => &a.id,
            Inbound::Ignored { id, .. } => id,
        }
    }
}

/// What every activity has, read to acknowledge one of a type ignored.
#[derive(serde::Deserialize)]
struct Named {
    id: Url,
}

fn read<T: DeserializeOwned>(envelope: &Value) -> Result<T> {
    T::deserialize(envelope)
        .map_err(|e| Error::BadRequest(format!("not an activity this node understands: {e}")))
}
