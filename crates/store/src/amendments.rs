//! Charter amendments: the amendments this node hosts or was asked to vote
//! on, the votes it counts (host) and the refused ones.

use passerelle_model::AmendmentId;
use passerelle_model::PeerId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeTx, Store, now_millis};
use passerelle_model::error::{Error, Result};
use passerelle_model::{AmendmentRole, AmendmentState, Choice, Outcome, VoteSubject};

const COLUMNS: &str = "id, uri, role, host_actor, host_peer_id, charter_local_id, base_version, \
    summary, proposal, quorum_percent, majority, eligible, end_time, opened_at, state, question, \
    closed_at, outcome, result, adopted_version, our_choice, our_vote_uri, subject, candidate, \
    draft, reply";

#[derive(Debug, Clone)]
pub struct AmendmentRow {
    pub id: AmendmentId,
    pub uri: String,
    pub role: AmendmentRole,
    pub host_actor: String,
    pub host_peer_id: Option<PeerId>,
    pub charter_local_id: Option<String>,
    pub base_version: String,
    pub summary: String,
    /// The proposed next version, as a charter payload (JSON).
    pub proposal: String,
    pub quorum_percent: i64,
    pub majority: String,
    /// The peers (host) the amendment was addressed to: the only voters.
    pub eligible: Vec<PeerId>,
    pub end_time: i64,
    pub opened_at: i64,
    pub state: AmendmentState,
    /// The signed `Question` as last published.
    pub question: String,
    pub closed_at: Option<i64>,
    pub outcome: Option<Outcome>,
    pub result: Option<String>,
    pub adopted_version: Option<String>,
    pub our_choice: Option<Choice>,
    pub our_vote_uri: Option<String>,
    /// A charter version, or a node's membership (issue 27).
    pub subject: VoteSubject,
    /// The node a membership vote is about (its actor URI).
    pub candidate: Option<String>,
    /// An amendment draft or amendment the vote links to.
    pub draft: Option<String>,
    /// What the node a membership vote is about replied.
    pub reply: Option<String>,
}

/// An amendment as first stored.
pub struct NewAmendment<'a> {
    pub uri: &'a str,
    pub role: AmendmentRole,
    pub host_actor: &'a str,
    pub host_peer_id: Option<PeerId>,
    pub charter_local_id: Option<&'a str>,
    pub base_version: &'a str,
    pub summary: &'a str,
    pub proposal: &'a str,
    pub quorum_percent: i64,
    pub majority: &'a str,
    pub eligible: &'a [PeerId],
    pub end_time: i64,
    pub question: &'a str,
    pub subject: VoteSubject,
    pub candidate: Option<&'a str>,
    pub draft: Option<&'a str>,
}

/// How an amendment closed.
pub struct Closing<'a> {
    pub outcome: Outcome,
    pub result: &'a str,
    pub adopted_version: Option<&'a str>,
    pub question: &'a str,
}

#[derive(Debug, Clone)]
pub struct VoteRow {
    pub voter: String,
    pub vote_uri: String,
    pub choice: Choice,
    pub received_at: i64,
}

/// A stored name read back into its closed set.
fn named<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| Error::Internal(format!("stored amendment {column} {text:?}")))
}

fn named_or_null<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<Option<T>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| {
        text.parse()
            .map_err(|_| Error::Internal(format!("stored amendment {column} {text:?}")))
    })
    .transpose()
}

fn amendment_row(row: &AnyRow) -> Result<AmendmentRow> {
    let eligible: String = row.try_get("eligible")?;
    Ok(AmendmentRow {
        id: row.try_get("id")?,
        uri: row.try_get("uri")?,
        role: named(row, "role")?,
        host_actor: row.try_get("host_actor")?,
        host_peer_id: row.try_get("host_peer_id")?,
        charter_local_id: row.try_get("charter_local_id")?,
        base_version: row.try_get("base_version")?,
        summary: row.try_get("summary")?,
        proposal: row.try_get("proposal")?,
        quorum_percent: row.try_get("quorum_percent")?,
        majority: row.try_get("majority")?,
        eligible: serde_json::from_str(&eligible)
            .map_err(|e| Error::Internal(format!("stored amendment eligible: {e}")))?,
        end_time: row.try_get("end_time")?,
        opened_at: row.try_get("opened_at")?,
        state: named(row, "state")?,
        question: row.try_get("question")?,
        closed_at: row.try_get("closed_at")?,
        outcome: named_or_null(row, "outcome")?,
        result: row.try_get("result")?,
        adopted_version: row.try_get("adopted_version")?,
        our_choice: named_or_null(row, "our_choice")?,
        our_vote_uri: row.try_get("our_vote_uri")?,
        subject: named(row, "subject")?,
        candidate: row.try_get("candidate")?,
        draft: row.try_get("draft")?,
        reply: row.try_get("reply")?,
    })
}

fn vote_row(row: &AnyRow) -> Result<VoteRow> {
    Ok(VoteRow {
        voter: row.try_get("voter")?,
        vote_uri: row.try_get("vote_uri")?,
        choice: named(row, "choice")?,
        received_at: row.try_get("received_at")?,
    })
}

impl Store {
    pub async fn amendment(&self, id: AmendmentId) -> Result<Option<AmendmentRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM amendments WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(amendment_row).transpose()
    }

    pub async fn amendment_by_uri(&self, uri: &str) -> Result<Option<AmendmentRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM amendments WHERE uri = $1"))
            .bind(uri)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(amendment_row).transpose()
    }

    /// Every amendment, newest first.
    pub async fn amendments(&self) -> Result<Vec<AmendmentRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM amendments ORDER BY id DESC"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(amendment_row).collect()
    }

    /// Hosted amendments still open whose end time has passed.
    pub async fn due_amendments(&self, now: i64) -> Result<Vec<AmendmentId>> {
        let ids = sqlx::query_scalar(
            "SELECT id FROM amendments WHERE role = $1 AND state = $2 AND end_time <= $3 ORDER BY id",
        )
        .bind(AmendmentRole::Host.as_str())
        .bind(AmendmentState::Open.as_str())
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        Ok(ids)
    }

    /// The counted votes of an amendment, oldest first.
    pub async fn amendment_votes(&self, amendment_id: AmendmentId) -> Result<Vec<VoteRow>> {
        let rows = sqlx::query(
            "SELECT voter, vote_uri, choice, received_at FROM amendment_votes WHERE amendment_id = $1 ORDER BY id",
        )
        .bind(amendment_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(vote_row).collect()
    }

    /// The signed documents of an amendment's counted votes, oldest first.
    pub async fn amendment_vote_documents(&self, amendment_id: AmendmentId) -> Result<Vec<String>> {
        let documents = sqlx::query_scalar(
            "SELECT document FROM amendment_votes WHERE amendment_id = $1 ORDER BY id",
        )
        .bind(amendment_id)
        .fetch_all(self.pool())
        .await?;
        Ok(documents)
    }

    /// The counted vote of `voter` on an amendment, if any.
    pub async fn amendment_vote_by(
        &self,
        amendment_id: AmendmentId,
        voter: &str,
    ) -> Result<Option<VoteRow>> {
        let row = sqlx::query(
            "SELECT voter, vote_uri, choice, received_at FROM amendment_votes \
             WHERE amendment_id = $1 AND voter = $2",
        )
        .bind(amendment_id)
        .bind(voter)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(vote_row).transpose()
    }

    /// Whether a vote of `voter` on an amendment was refused already.
    pub async fn vote_refused(&self, amendment_id: AmendmentId, voter: &str) -> Result<bool> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM amendment_refusals WHERE amendment_id = $1 AND voter = $2",
        )
        .bind(amendment_id)
        .bind(voter)
        .fetch_optional(self.pool())
        .await?;
        Ok(id.is_some())
    }

    pub async fn amendment_refusals(&self, amendment_id: AmendmentId) -> Result<i64> {
        let count =
            sqlx::query_scalar("SELECT COUNT(*) FROM amendment_refusals WHERE amendment_id = $1")
                .bind(amendment_id)
                .fetch_one(self.pool())
                .await?;
        Ok(count)
    }
}

impl ChangeTx {
    pub async fn insert_amendment(&mut self, new: &NewAmendment<'_>) -> Result<AmendmentId> {
        let id = sqlx::query_scalar(
            "INSERT INTO amendments (uri, role, host_actor, host_peer_id, charter_local_id, \
             base_version, summary, proposal, quorum_percent, majority, eligible, end_time, \
             opened_at, state, question, subject, candidate, draft) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             RETURNING id",
        )
        .bind(new.uri)
        .bind(new.role.as_str())
        .bind(new.host_actor)
        .bind(new.host_peer_id)
        .bind(new.charter_local_id)
        .bind(new.base_version)
        .bind(new.summary)
        .bind(new.proposal)
        .bind(new.quorum_percent)
        .bind(new.majority)
        .bind(crate::json_text(&new.eligible)?)
        .bind(new.end_time)
        .bind(now_millis())
        .bind(AmendmentState::Open.as_str())
        .bind(new.question)
        .bind(new.subject.as_str())
        .bind(new.candidate)
        .bind(new.draft)
        .fetch_one(self.connection())
        .await?;
        Ok(id)
    }

    /// Hosted amendments open on this charter (at most one is allowed).
    pub async fn open_amendment_on(&mut self, charter_local_id: &str) -> Result<Option<i64>> {
        let id = sqlx::query_scalar(
            "SELECT id FROM amendments WHERE role = $1 AND state = $2 AND charter_local_id = $3 \
             AND subject = $4",
        )
        .bind(AmendmentRole::Host.as_str())
        .bind(AmendmentState::Open.as_str())
        .bind(charter_local_id)
        .bind(VoteSubject::Charter.as_str())
        .fetch_optional(self.connection())
        .await?;
        Ok(id)
    }

    /// The hosted membership vote open on `candidate` in the network of
    /// this charter, if any (at most one is allowed).
    pub async fn open_membership_vote(
        &mut self,
        charter_local_id: &str,
        candidate: &str,
    ) -> Result<Option<AmendmentId>> {
        let id = sqlx::query_scalar(
            "SELECT id FROM amendments WHERE role = $1 AND state = $2 AND charter_local_id = $3 \
             AND subject <> $4 AND candidate = $5",
        )
        .bind(AmendmentRole::Host.as_str())
        .bind(AmendmentState::Open.as_str())
        .bind(charter_local_id)
        .bind(VoteSubject::Charter.as_str())
        .bind(candidate)
        .fetch_optional(self.connection())
        .await?;
        Ok(id)
    }

    /// Replaces the counted vote of a voter on a membership vote (the
    /// latest counts, once); false if the voter had none.
    pub async fn replace_vote(
        &mut self,
        amendment_id: AmendmentId,
        vote: &VoteRow,
        document: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE amendment_votes SET vote_uri = $1, choice = $2, document = $3, received_at = $4 \
             WHERE amendment_id = $5 AND voter = $6",
        )
        .bind(&vote.vote_uri)
        .bind(vote.choice.as_str())
        .bind(document)
        .bind(vote.received_at)
        .bind(amendment_id)
        .bind(&vote.voter)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// This node's vote on a membership vote it was asked to, replacing
    /// any earlier one.
    pub async fn replace_our_vote(
        &mut self,
        id: AmendmentId,
        choice: Choice,
        vote_uri: &str,
    ) -> Result<()> {
        sqlx::query("UPDATE amendments SET our_choice = $1, our_vote_uri = $2 WHERE id = $3")
            .bind(choice.as_str())
            .bind(vote_uri)
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    /// The reply of the node a membership vote is about (the latest).
    pub async fn set_reply(&mut self, id: AmendmentId, reply: &str) -> Result<()> {
        sqlx::query("UPDATE amendments SET reply = $1 WHERE id = $2")
            .bind(reply)
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    /// Closes an open amendment; false if it was closed already (by
    /// another replica: the claim that makes the tally run once).
    pub async fn close_amendment(
        &mut self,
        id: AmendmentId,
        closing: &Closing<'_>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE amendments SET state = $1, closed_at = $2, outcome = $3, result = $4, \
             adopted_version = $5, question = $6 WHERE id = $7 AND state = $8",
        )
        .bind(AmendmentState::Closed.as_str())
        .bind(now_millis())
        .bind(closing.outcome.as_str())
        .bind(closing.result)
        .bind(closing.adopted_version)
        .bind(closing.question)
        .bind(id)
        .bind(AmendmentState::Open.as_str())
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether the amendment is open and its end time not passed.
    pub async fn amendment_takes_votes(&mut self, id: AmendmentId, now: i64) -> Result<bool> {
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM amendments WHERE id = $1 AND state = $2 AND end_time > $3",
        )
        .bind(id)
        .bind(AmendmentState::Open.as_str())
        .bind(now)
        .fetch_optional(self.connection())
        .await?;
        Ok(open.is_some())
    }

    /// A voter's vote; false (and nothing written) if the voter has one
    /// already: a vote is final, as in FEP-9967 and Mastodon polls.
    pub async fn insert_vote(
        &mut self,
        amendment_id: AmendmentId,
        vote: &VoteRow,
        document: &str,
    ) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO amendment_votes (amendment_id, voter, vote_uri, choice, document, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (amendment_id, voter) DO NOTHING",
        )
        .bind(amendment_id)
        .bind(&vote.voter)
        .bind(&vote.vote_uri)
        .bind(vote.choice.as_str())
        .bind(document)
        .bind(vote.received_at)
        .execute(self.connection())
        .await?;
        Ok(inserted.rows_affected() > 0)
    }

    /// Keeps a refused vote, once per voter and amendment however often it
    /// is sent again (under new ids); true if this is the voter's first.
    pub async fn refuse_vote(
        &mut self,
        amendment_id: AmendmentId,
        voter: &str,
        vote_uri: &str,
        reason: &str,
    ) -> Result<bool> {
        // The change lock serialises this read and the insert below.
        let earlier: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM amendment_refusals WHERE amendment_id = $1 AND voter = $2",
        )
        .bind(amendment_id)
        .bind(voter)
        .fetch_optional(self.connection())
        .await?;
        if earlier.is_some() {
            return Ok(false);
        }
        let inserted = sqlx::query(
            "INSERT INTO amendment_refusals (amendment_id, voter, vote_uri, reason, received_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (vote_uri) DO NOTHING",
        )
        .bind(amendment_id)
        .bind(voter)
        .bind(vote_uri)
        .bind(reason)
        .bind(now_millis())
        .execute(self.connection())
        .await?;
        Ok(inserted.rows_affected() > 0)
    }

    /// This node's own vote on an amendment it is a member of; false if it
    /// voted already (a vote is final).
    pub async fn set_our_vote(
        &mut self,
        id: AmendmentId,
        choice: Choice,
        vote_uri: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE amendments SET our_choice = $1, our_vote_uri = $2 \
             WHERE id = $3 AND our_choice IS NULL",
        )
        .bind(choice.as_str())
        .bind(vote_uri)
        .bind(id)
        .execute(self.connection())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
