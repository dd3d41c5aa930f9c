//! Charter amendments on the wire. No FEP covers governance votes, so the
//! shapes follow the closest conventions: a FEP-9967 poll (`Question` with
//! `oneOf` options and `endTime`, published by `Create`, its results by
//! `Update`), votes as FEP-9967 `Note`s (`name` = the option, `inReplyTo` =
//! the `Question`) carrying a FEP-8b32 proof, and a member's draft as a
//! ForgeFed-style `Offer` answered by `Accept` or `Reject`. The network
//! vocabulary adds `amends`, `proposedVersion`, `changes`, `quorum`,
//! `majorityRule`, `outcome`, `adoptedVersion`, `votes` and `refusedVotes`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::activities::answer::object_id;

/// The type of the poll object.
pub const QUESTION: &str = "Question";
/// The type of a member's draft inside an `Offer`.
pub const DRAFT: &str = "CharterAmendment";
/// The three options of every amendment vote, in order.
pub const CHOICES: [&str; 3] = ["approve", "reject", "abstain"];

/// A `replies` collection that only counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    #[serde(rename = "type")]
    pub kind: String,
    pub total_items: u64,
}

/// One poll option (FEP-9967): a `Note` with a unique `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollOption {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<Count>,
}

/// A FEP-9967 `Question`; the amendment terms are optional so that any
/// FEP-9967 poll parses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default)]
    pub one_of: Vec<PollOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voters_count: Option<u64>,
    /// The charter version this amendment would replace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amends: Option<Url>,
    /// The proposed next version: `name`, `content`, `principles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_version: Option<Value>,
    /// Principle keys `added`, `removed`, `changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Value>,
    /// Percentage of the addressed nodes that must vote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<u64>,
    /// `simple` or `two-thirds` of approve + reject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub majority_rule: Option<String>,
    /// `adopted`, `rejected` or `superseded`, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_version: Option<Url>,
    /// The ids of the counted votes, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<Vec<Url>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_votes: Option<u64>,
    /// Issue 27: a membership vote decides `inclusion` or `exclusion` of
    /// `candidate` in the network of the charter it `amends` nothing of
    /// (`amends` then names the version voters are committed to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decides: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<Url>,
    /// An amendment (or a draft of one) the discussion links to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<Url>,
    /// What the node the vote is about replied, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

impl Question {
    pub fn is_question(object: &Value) -> bool {
        has_type(object, QUESTION)
    }

    /// A `Question` about a charter amendment (it names what it `amends`);
    /// other polls are no business of this node.
    pub fn is_amendment(object: &Value) -> bool {
        Question::is_question(object) && object.get("amends").is_some()
    }
}

/// A vote (FEP-9967): a `Note` naming the chosen option, with no content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vote {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub attributed_to: Url,
    pub in_reply_to: Url,
    pub name: String,
}

impl Vote {
    /// A `Note` with a `name` and an `inReplyTo`, and no `content`.
    pub fn is_vote(object: &Value) -> bool {
        has_type(object, "Note")
            && object.get("name").is_some()
            && object.get("inReplyTo").is_some()
            && object.get("content").is_none()
    }
}

/// A member's draft amendment, the object of an `Offer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub amends: Url,
    pub proposed_version: Value,
    #[serde(default)]
    pub summary: String,
}

impl Draft {
    pub fn is_draft(object: &Value) -> bool {
        has_type(object, DRAFT)
    }
}

/// The reply of the node a membership vote is about: a `Note` in reply to
/// the `Question`, with `content` and no option `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    pub id: Url,
    pub attributed_to: Url,
    pub in_reply_to: Url,
    pub content: String,
}

impl Reply {
    pub fn is_reply(object: &Value) -> bool {
        has_type(object, "Note")
            && object.get("name").is_none()
            && object.get("inReplyTo").is_some_and(Value::is_string)
            && object.get("content").is_some_and(Value::is_string)
    }
}

/// A member proposes an exclusion to the network's host: the object of an
/// `Offer` is the `Remove` of the member from the directory, the `Offer`'s
/// `content` its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedRemoval {
    #[serde(rename = "type")]
    pub kind: String,
    /// The member to exclude.
    pub object: Url,
    /// The network's member directory.
    pub target: Url,
    /// The vote's rules the proposer suggests (the host checks them).
    #[serde(default, rename = "endTime", skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<u64>,
    #[serde(
        default,
        rename = "majorityRule",
        skip_serializing_if = "Option::is_none"
    )]
    pub majority_rule: Option<String>,
}

impl ProposedRemoval {
    pub fn is_proposed_removal(object: &Value) -> bool {
        has_type(object, "Remove") && object.get("target").is_some()
    }
}

/// Whether `object`'s `type` is or contains `name`.
pub fn has_type(object: &Value, name: &str) -> bool {
    match object.get("type") {
        Some(Value::String(kind)) => kind == name,
        Some(Value::Array(kinds)) => kinds.iter().any(|k| k.as_str() == Some(name)),
        _ => false,
    }
}

/// An activity about an amendment: `Create`/`Update` of a `Question`,
/// `Create` of a vote, `Offer` of a draft, `Accept`/`Reject` of that offer.
/// Anything else does not deserialise into this type, so the inbox tries
/// its other shapes.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawActivity")]
pub struct AmendmentActivity {
    pub id: Url,
    pub kind: AmendmentActivityKind,
    pub actor: Url,
    pub object: Value,
    /// An exclusion proposal's reasons.
    pub content: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmendmentActivityKind {
    /// `Create(Question)`: an amendment opened.
    Opened,
    /// `Update(Question)`: an amendment closed, with its results.
    Closed,
    /// `Create(Note)`: a vote.
    Voted,
    /// `Offer(CharterAmendment)`: a member's draft.
    Offered,
    /// `Accept(Offer)` or `Reject(Offer)`: the host's answer to a draft.
    Answered { accepted: bool },
    /// `Create(Note)` with content: the reply of the node a membership
    /// vote is about.
    Replied,
    /// `Offer(Remove)`: a member proposes to exclude another.
    ExclusionProposed,
}

impl AmendmentActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AmendmentActivityKind::Opened
            | AmendmentActivityKind::Voted
            | AmendmentActivityKind::Replied => "Create",
            AmendmentActivityKind::Closed => "Update",
            AmendmentActivityKind::Offered | AmendmentActivityKind::ExclusionProposed => "Offer",
            AmendmentActivityKind::Answered { accepted: true } => "Accept",
            AmendmentActivityKind::Answered { accepted: false } => "Reject",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawActivity {
    id: Url,
    #[serde(rename = "type")]
    kind: String,
    actor: Url,
    object: Value,
    #[serde(default)]
    content: Option<String>,
}

impl TryFrom<RawActivity> for AmendmentActivity {
    type Error = String;

    fn try_from(raw: RawActivity) -> Result<AmendmentActivity, String> {
        let object = &raw.object;
        let kind = match raw.kind.as_str() {
            "Create" if Question::is_amendment(object) => AmendmentActivityKind::Opened,
            "Update" if Question::is_amendment(object) => AmendmentActivityKind::Closed,
            "Create" if Vote::is_vote(object) => AmendmentActivityKind::Voted,
            "Create" if Reply::is_reply(object) => AmendmentActivityKind::Replied,
            "Offer" if ProposedRemoval::is_proposed_removal(object) => {
                AmendmentActivityKind::ExclusionProposed
            }
            "Offer" if object.get("object").is_none() && Draft::is_draft(object) => {
                AmendmentActivityKind::Offered
            }
            "Accept" | "Reject"
                if has_type(object, "Offer")
                    && object.get("object").is_some_and(Draft::is_draft) =>
            {
                AmendmentActivityKind::Answered {
                    accepted: raw.kind == "Accept",
                }
            }
            _ => return Err("not an amendment activity".into()),
        };
        Ok(AmendmentActivity {
            id: raw.id,
            kind,
            actor: raw.actor,
            object: raw.object,
            content: raw.content,
        })
    }
}

impl AmendmentActivity {
    /// The embedded object's id.
    pub fn object_id(&self) -> Option<Url> {
        object_id(&self.object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FEP-9967's example `Question`, as the FEP gives it.
    const FEP_9967_QUESTION: &str = r#"{
      "@context": "https://www.w3.org/ns/activitystreams",
      "id": "https://social.example/polls/1",
      "type": "Question",
      "attributedTo": "https://social.example/actors/1",
      "to": "https://www.w3.org/ns/activitystreams#Public",
      "content": "<p>Question</p>",
      "endTime": "2024-07-17T18:18:17Z",
      "oneOf": [
        {"type": "Note", "name": "Answer 1", "replies": {"type": "Collection", "totalItems": 596}},
        {"type": "Note", "name": "Answer 2", "replies": {"type": "Collection", "totalItems": 379}}
      ]
    }"#;

    const FEP_9967_VOTE: &str = r#"{
      "@context": "https://www.w3.org/ns/activitystreams",
      "id": "https://social.example/votes/1",
      "type": "Note",
      "attributedTo": "https://social.example/actors/2",
      "inReplyTo": "https://social.example/polls/1",
      "name": "Answer 1",
      "to": "https://social.example/actors/1"
    }"#;

    #[test]
    fn fep_9967_example_question_parses() {
        let value: Value = serde_json::from_str(FEP_9967_QUESTION).unwrap();
        assert!(Question::is_question(&value));
        let question: Question = serde_json::from_value(value).unwrap();
        assert_eq!(question.kind, "Question");
        assert_eq!(question.end_time.as_deref(), Some("2024-07-17T18:18:17Z"));
        assert_eq!(question.one_of.len(), 2);
        assert_eq!(question.one_of[0].name, "Answer 1");
        assert_eq!(
            question.one_of[1].replies.as_ref().unwrap().total_items,
            379
        );
        assert!(question.amends.is_none());
        // An ordinary poll is not an amendment: the inbox ignores it.
        let create = serde_json::json!({
            "id": "https://social.example/activities/3", "type": "Create",
            "actor": "https://social.example/actors/1",
            "object": serde_json::from_str::<Value>(FEP_9967_QUESTION).unwrap(),
        });
        assert!(serde_json::from_value::<AmendmentActivity>(create).is_err());
    }

    #[test]
    fn fep_9967_example_vote_parses_and_a_create_of_it_is_an_amendment_activity() {
        let note: Value = serde_json::from_str(FEP_9967_VOTE).unwrap();
        assert!(Vote::is_vote(&note));
        let vote: Vote = serde_json::from_value(note.clone()).unwrap();
        assert_eq!(vote.name, "Answer 1");
        let create = serde_json::json!({
            "id": "https://social.example/activities/1", "type": "Create",
            "actor": "https://social.example/actors/2", "object": note,
        });
        let activity: AmendmentActivity = serde_json::from_value(create).unwrap();
        assert_eq!(activity.kind, AmendmentActivityKind::Voted);
    }

    #[test]
    fn a_note_that_replies_to_nothing_is_not_a_reply() {
        let note = serde_json::json!({"id": "https://social.example/notes/1", "type": "Note",
            "attributedTo": "https://social.example/actors/2", "inReplyTo": null, "content": "hi"});
        assert!(!Reply::is_reply(&note));
        let mut reply = note.clone();
        reply["inReplyTo"] = serde_json::json!("https://host.example/amendments/1");
        assert!(Reply::is_reply(&reply));
    }

    #[test]
    fn other_activities_are_not_amendment_activities() {
        let follow = serde_json::json!({
            "id": "https://social.example/activities/2", "type": "Create",
            "actor": "https://social.example/actors/2",
            "object": {"id": "https://social.example/notes/1", "type": "Note", "content": "hi"},
        });
        assert!(serde_json::from_value::<AmendmentActivity>(follow).is_err());
    }
}
