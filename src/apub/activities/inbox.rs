//! What the inbox accepts: the activity types this node acts on, and any
//! other type, acknowledged and ignored.

use serde::Deserialize;
use url::Url;

use crate::apub::activities::agreement::OfferAgreement;
use crate::apub::activities::amendment::AmendmentActivity;
use crate::apub::activities::answer::Answer;
use crate::apub::activities::follow::Follow;
use crate::apub::activities::object_change::ObjectChange;
use crate::apub::activities::undo::Undo;

/// An activity type this node does not act on.
#[derive(Debug, Clone, Deserialize)]
pub struct Ignored {
    pub id: Url,
    pub actor: Url,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum InboxActivity {
    /// Tried first: its shapes are `Create`, `Update`, `Accept` and
    /// `Reject` of particular objects, which the others would take.
    Amendment(AmendmentActivity),
    Follow(Follow),
    Undo(Undo),
    ObjectChange(ObjectChange),
    /// Before `Answer`, whose `type` is any string.
    Offer(OfferAgreement),
    Answer(Answer),
    Ignored(Ignored),
}

impl InboxActivity {
    /// The activity's type, as named on the wire.
    pub fn kind(&self) -> &str {
        match self {
            InboxActivity::Amendment(a) => a.kind.as_str(),
            InboxActivity::Follow(_) => "Follow",
            InboxActivity::Undo(_) => "Undo",
            InboxActivity::ObjectChange(p) => match p.kind {
                crate::apub::activities::object_change::ObjectChangeType::Create => "Create",
                crate::apub::activities::object_change::ObjectChangeType::Update => "Update",
                crate::apub::activities::object_change::ObjectChangeType::Delete => "Delete",
            },
            InboxActivity::Offer(_) => "Offer",
            InboxActivity::Answer(answer) => &answer.kind,
            InboxActivity::Ignored(ignored) => &ignored.kind,
        }
    }
}
