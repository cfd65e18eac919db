//! Retention: the personal data of cases closed before a date is erased —
//! the requester's name and addresses, the raw mail, the subject and
//! request text, the questions' wording and answers, drafts and their
//! files, the mail sent, and the free text of the case log — while the
//! reference, dates, regime, outcomes, flags and clock events stay, so the
//! statistics do not change. Each case is purged in a transaction of its
//! own and the purge is recorded on it; running it again finds nothing.

use anyhow::{Context as _, Result};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{events, to_secs, Store};
use crate::core::case::{Actor, CaseEvent, CaseId, QuestionOutcome};

/// What an erased event's detail becomes (the triggers allow only this).
pub const PURGED_DETAIL: &str = r#"{"purged":true}"#;

/// What erased text fields read.
pub const PURGED_TEXT: &str = "[purged]";

/// Events whose details hold no personal data and which the statistics
/// and the clock are read from; every other kind can quote the requester
/// or name an address.
const KEPT_EVENT_KINDS: &str =
    "'clock', 'due_date_recomputed', 'regime_changed', 'assigned', 'flagged', 'purged'";

/// What a purge erased.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeSummary {
    pub cases: usize,
    /// Requesters with no case left un-purged, whose identity was erased.
    pub requesters: usize,
    /// Stored messages of those cases whose bytes were erased.
    pub messages: usize,
    /// Messages on no case (held, ignored, quarantined) that arrived
    /// before the date, erased too.
    pub unlinked_messages: usize,
}

impl Store {
    /// Cases closed before `closed_before` and not yet purged.
    pub async fn purgeable_cases(&self, closed_before: jiff::civil::Date) -> Result<Vec<CaseId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM cases WHERE state = 'closed' AND closed_on < $1 AND purged_at IS NULL
             ORDER BY id",
        )
        .bind(closed_before.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(CaseId).collect())
    }

    /// Erases the personal data of every case closed before
    /// `closed_before`, and of mail on no case that arrived before
    /// `arrived_before` (the same day's start, council time).
    pub async fn purge_closed_before(
        &self,
        closed_before: jiff::civil::Date,
        arrived_before: jiff::Timestamp,
        actor: &Actor,
        now: jiff::Timestamp,
    ) -> Result<PurgeSummary> {
        let mut summary = PurgeSummary::default();
        for case in self.purgeable_cases(closed_before).await? {
            let mut tx = self.begin().await?;
            let (messages, requester_erased) = purge_case(&mut tx, case, now).await?;
            events::add_event(
                &mut tx,
                case,
                now,
                actor,
                &CaseEvent::Purged { closed_before },
            )
            .await?;
            tx.commit().await?;
            summary.cases += 1;
            summary.messages += messages;
            summary.requesters += usize::from(requester_erased);
        }
        summary.unlinked_messages = sqlx::query(
            "UPDATE raw_messages SET bytes = $1
             WHERE case_id IS NULL AND state <> 'new' AND arrived_at < $2 AND length(bytes) > 0
               AND id NOT IN (SELECT raw_message_id FROM cases)",
        )
        .bind(Vec::<u8>::new())
        .bind(to_secs(arrived_before))
        .execute(&self.pool)
        .await?
        .rows_affected() as usize;
        // Digests and escalations name cases and subjects.
        sqlx::query(
            "UPDATE outbox SET bytes = $1, sent_copy = NULL
             WHERE case_id IS NULL AND state IN ('sent', 'failed') AND created_at < $2",
        )
        .bind(Vec::<u8>::new())
        .bind(to_secs(arrived_before))
        .execute(&self.pool)
        .await?;
        if self.backend == super::Backend::Sqlite && summary != PurgeSummary::default() {
            // Erased rows linger in SQLite's free pages and its write-ahead
            // log until the file is rewritten. (PostgreSQL's VACUUM, which
            // autovacuum runs, does the same there.)
            self.checkpoint_wal().await?;
            sqlx::query("VACUUM")
                .execute(&self.pool)
                .await
                .context("rewriting the SQLite file after a purge (VACUUM)")?;
            self.checkpoint_wal().await?;
        }
        Ok(summary)
    }
}

/// Erases one case's personal data; returns the messages erased and
/// whether its requester's identity went too (no other case of theirs is
/// left un-purged).
async fn purge_case(
    conn: &mut AnyConnection,
    case: CaseId,
    now: jiff::Timestamp,
) -> Result<(usize, bool)> {
    let empty = Vec::<u8>::new();
    let messages = sqlx::query(
        "UPDATE raw_messages SET bytes = $1
         WHERE (case_id = $2 OR id = (SELECT raw_message_id FROM cases WHERE id = $2))
           AND length(bytes) > 0",
    )
    .bind(&empty)
    .bind(case.0)
    .execute(&mut *conn)
    .await?
    .rows_affected() as usize;
    // Mail of a case closed that long ago that never went (held by an
    // import, or never deliverable) is not sent now either.
    sqlx::query(
        "UPDATE outbox SET bytes = $1, sent_copy = NULL, recipients_json = '[]',
                state = CASE WHEN state = 'sent' THEN 'sent' ELSE 'failed' END,
                last_error = CASE WHEN state = 'sent' THEN last_error ELSE $2 END
         WHERE case_id = $3",
    )
    .bind(&empty)
    .bind("erased by the retention purge before it was sent")
    .bind(case.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE draft_attachments SET bytes = $1, filename = $2
         WHERE draft_id IN (SELECT id FROM drafts WHERE case_id = $3)",
    )
    .bind(&empty)
    .bind(PURGED_TEXT)
    .bind(case.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE drafts SET body = $1 WHERE case_id = $2")
        .bind(PURGED_TEXT)
        .bind(case.0)
        .execute(&mut *conn)
        .await?;
    // The outcome stays for the statistics; the answer's words go.
    let outcomes: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, outcome_json FROM questions WHERE case_id = $1")
            .bind(case.0)
            .fetch_all(&mut *conn)
            .await?;
    for (id, outcome) in outcomes {
        let kept = outcome
            .and_then(|o| serde_json::from_str::<QuestionOutcome>(&o).ok())
            .map(|o| QuestionOutcome { answer: None, ..o })
            .map(|o| serde_json::to_string(&o))
            .transpose()?;
        sqlx::query(
            "UPDATE questions SET text = $1, options_json = '[]', parts_json = '[]', outcome_json = $2
             WHERE id = $3",
        )
        .bind(PURGED_TEXT)
        .bind(kept)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(&format!(
        "UPDATE case_events SET detail_json = $1
         WHERE case_id = $2 AND kind NOT IN ({KEPT_EVENT_KINDS}) AND detail_json <> $1"
    ))
    .bind(PURGED_DETAIL)
    .bind(case.0)
    .execute(&mut *conn)
    .await?;
    // A flag keeps its kind, related cases and score (the statistics count
    // flags); its wording and evidence quote the questions.
    let flags: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, kind, evidence_json FROM flags WHERE case_id = $1")
            .bind(case.0)
            .fetch_all(&mut *conn)
            .await?;
    for (id, kind, evidence) in flags {
        let mut flag: super::FlagView =
            serde_json::from_str(&evidence).unwrap_or_else(|_| super::FlagView {
                kind,
                related: vec![],
                score: None,
                detail: String::new(),
                evidence: serde_json::Value::Null,
            });
        flag.detail = PURGED_TEXT.into();
        flag.evidence = serde_json::Value::Null;
        sqlx::query("UPDATE flags SET evidence_json = $1 WHERE id = $2")
            .bind(serde_json::to_string(&flag)?)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "UPDATE case_events SET actor = 'requester:[purged]'
         WHERE case_id = $1 AND actor LIKE 'requester:%' AND actor <> 'requester:[purged]'",
    )
    .bind(case.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM case_signatures WHERE case_id = $1")
        .bind(case.0)
        .execute(&mut *conn)
        .await?;
    let requester: i64 = sqlx::query_scalar(
        "UPDATE cases SET requester_address = '', reply_to = '', subject = $1, request_text = '',
                purged_at = $2
         WHERE id = $3 RETURNING requester_id",
    )
    .bind(PURGED_TEXT)
    .bind(to_secs(now))
    .bind(case.0)
    .fetch_one(&mut *conn)
    .await?;
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cases WHERE requester_id = $1 AND purged_at IS NULL",
    )
    .bind(requester)
    .fetch_one(&mut *conn)
    .await?;
    if others > 0 {
        return Ok((messages, false));
    }
    sqlx::query("DELETE FROM requester_addresses WHERE requester_id = $1")
        .bind(requester)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE requesters SET name = NULL, identity_key = $1 WHERE id = $2")
        .bind(format!("purged:{requester}"))
        .bind(requester)
        .execute(&mut *conn)
        .await?;
    Ok((messages, true))
}
