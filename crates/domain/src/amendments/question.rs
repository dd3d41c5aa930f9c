//! The `Question` of an amendment as the host publishes it: open (options
//! without counts) and closed (counts, outcome, the counted vote ids), and
//! the principles the proposal adds, removes and changes.

use serde_json::{Value, json};
use url::Url;

use crate::apub::activities::amendment::{CHOICES, Count, PollOption, QUESTION, Question};
use crate::apub::actor::actor_id;
use crate::apub::context::object_context;
use crate::error::Result;
use crate::model::payload::CharterPayload;
use crate::model::{Outcome, VoteSubject};
use passerelle_config::Settings;

/// What the open `Question` states.
pub struct Opening<'a> {
    pub id: &'a Url,
    pub summary: &'a str,
    pub base: &'a Url,
    pub proposal: &'a CharterPayload,
    pub changes: Value,
    pub quorum: u64,
    pub majority: &'a str,
    pub end_time: &'a str,
    pub to: &'a [Url],
}

/// What the closed `Question` adds.
pub struct Results<'a> {
    pub counts: [u64; 3],
    pub outcome: Outcome,
    pub adopted_version: Option<&'a Url>,
    pub votes: Vec<Url>,
    pub refused: u64,
    pub closed: &'a str,
    /// The reply of the node a membership vote is about.
    pub reply: Option<&'a str>,
}

/// What the open `Question` of a membership vote states (issue 27).
pub struct MembershipOpening<'a> {
    pub id: &'a Url,
    pub subject: VoteSubject,
    pub candidate: &'a Url,
    pub network_name: &'a str,
    /// The request's answers or the exclusion's reasons.
    pub content: &'a str,
    /// The charter version the voters are committed to.
    pub base: &'a Url,
    pub draft: Option<&'a Url>,
    pub quorum: u64,
    pub majority: &'a str,
    pub end_time: &'a str,
    pub to: &'a [Url],
}

/// The unsigned open `Question` of an amendment.
pub fn opened(settings: &Settings, opening: &Opening<'_>) -> Result<Value> {
    let mut question = open_poll(
        settings,
        opening.id,
        format!("Amendment to {}", opening.proposal.name),
        opening.summary,
        opening.end_time,
    );
    question.amends = Some(opening.base.clone());
    question.proposed_version = Some(serde_json::to_value(opening.proposal)?);
    question.changes = Some(opening.changes.clone());
    question.quorum = Some(opening.quorum);
    question.majority_rule = Some(opening.majority.to_owned());
    addressed(settings, question, opening.to)
}

/// The unsigned open `Question` of an inclusion or exclusion vote.
pub fn membership_opened(settings: &Settings, opening: &MembershipOpening<'_>) -> Result<Value> {
    let name = match opening.subject {
        VoteSubject::Exclusion => format!(
            "Exclusion of {} from {}",
            opening.candidate, opening.network_name
        ),
        _ => format!(
            "Inclusion of {} in {}",
            opening.candidate, opening.network_name
        ),
    };
    let mut question = open_poll(
        settings,
        opening.id,
        name,
        opening.content,
        opening.end_time,
    );
    question.amends = Some(opening.base.clone());
    question.quorum = Some(opening.quorum);
    question.majority_rule = Some(opening.majority.to_owned());
    question.decides = Some(opening.subject.as_str().to_owned());
    question.candidate = Some(opening.candidate.clone());
    question.draft = opening.draft.cloned();
    addressed(settings, question, opening.to)
}

/// A poll with the three options, none counted yet.
fn open_poll(
    settings: &Settings,
    id: &Url,
    name: String,
    content: &str,
    end_time: &str,
) -> Question {
    Question {
        id: id.clone(),
        kind: QUESTION.to_owned(),
        attributed_to: Some(actor_id(settings)),
        name: Some(name),
        content: Some(content.to_owned()),
        one_of: CHOICES
            .iter()
            .map(|name| PollOption {
                kind: "Note".into(),
                name: (*name).to_owned(),
                replies: Some(Count {
                    kind: "Collection".into(),
                    total_items: 0,
                }),
            })
            .collect(),
        end_time: Some(end_time.to_owned()),
        closed: None,
        voters_count: Some(0),
        amends: None,
        proposed_version: None,
        changes: None,
        quorum: None,
        majority_rule: None,
        outcome: None,
        adopted_version: None,
        votes: None,
        refused_votes: None,
        decides: None,
        candidate: None,
        draft: None,
        reply: None,
    }
}

fn addressed(settings: &Settings, question: Question, to: &[Url]) -> Result<Value> {
    let mut document = serde_json::to_value(question)?;
    document["@context"] = object_context(settings);
    document["to"] = json!(to);
    Ok(document)
}

/// The `Question` with its results, from the open one.
pub fn closed(open: &Value, results: &Results<'_>) -> Result<Value> {
    let mut question: Question = serde_json::from_value(open.clone())?;
    for (option, count) in question.one_of.iter_mut().zip(results.counts) {
        option.replies = Some(Count {
            kind: "Collection".into(),
            total_items: count,
        });
    }
    question.closed = Some(results.closed.to_owned());
    question.voters_count = Some(results.counts.iter().sum());
    question.outcome = Some(results.outcome.as_str().to_owned());
    question.adopted_version = results.adopted_version.cloned();
    question.votes = Some(results.votes.clone());
    question.refused_votes = Some(results.refused);
    question.reply = results.reply.map(str::to_owned);
    let mut document = serde_json::to_value(question)?;
    document["@context"] = open["@context"].clone();
    document["to"] = open["to"].clone();
    document["updated"] = json!(results.closed);
    Ok(document)
}

/// Principle keys added, removed and changed from the version document
/// `base` (principles with ids `…#key`) to `proposal`, and whether the
/// charter's own name or text changed.
pub fn changes(base: &Value, proposal: &CharterPayload) -> Value {
    let principles: Vec<(String, &Value)> = base["principles"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| {
                    let id = p["id"].as_str()?;
                    let key = id.rsplit_once('#')?.1.to_owned();
                    Some((key, p))
                })
                .collect()
        })
        .unwrap_or_default();
    let old = |key: &str| principles.iter().find(|(k, _)| k == key).map(|(_, p)| *p);
    let added: Vec<&str> = proposal
        .principles
        .iter()
        .filter(|p| old(&p.key).is_none())
        .map(|p| p.key.as_str())
        .collect();
    let removed: Vec<&str> = principles
        .iter()
        .filter(|(k, _)| !proposal.principles.iter().any(|p| &p.key == k))
        .map(|(k, _)| k.as_str())
        .collect();
    let changed: Vec<&str> = proposal
        .principles
        .iter()
        .filter(|p| {
            old(&p.key).is_some_and(|o| {
                o["name"].as_str() != Some(&p.name) || o["content"].as_str() != Some(&p.content)
            })
        })
        .map(|p| p.key.as_str())
        .collect();
    let text_changed = base["name"].as_str() != Some(&proposal.name)
        || base["content"].as_str() != proposal.content.as_deref();
    json!({"added": added, "removed": removed, "changed": changed, "text": text_changed})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::payload::Principle;

    #[test]
    fn changes_name_added_removed_and_changed_principles() {
        let base = json!({"name": "C", "principles": [
            {"id": "https://a.example/charters/c/versions/1#keep", "name": "Keep", "content": "same"},
            {"id": "https://a.example/charters/c/versions/1#edit", "name": "Edit", "content": "old"},
            {"id": "https://a.example/charters/c/versions/1#drop", "name": "Drop", "content": "gone"},
        ]});
        let principle = |key: &str, content: &str| Principle {
            key: key.into(),
            name: key[..1].to_uppercase() + &key[1..],
            content: content.into(),
        };
        let proposal = CharterPayload {
            name: "C".into(),
            content: None,
            principles: vec![
                principle("keep", "same"),
                principle("edit", "new"),
                principle("new", "fresh"),
            ],
            url: None,
            audience: None,
        };
        let changes = changes(&base, &proposal);
        assert_eq!(changes["added"], json!(["new"]));
        assert_eq!(changes["removed"], json!(["drop"]));
        assert_eq!(changes["changed"], json!(["edit"]));
        assert_eq!(changes["text"], json!(false));
    }
}
