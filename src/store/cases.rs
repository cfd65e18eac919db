//! Cases, their requesters, questions, flags and message links, and the
//! snapshot of a case that plans are made from.

use std::collections::BTreeMap;

use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{drafts, events, to_secs, Store};
use crate::core::case::{
    Actor, CaseEvent, CaseId, CaseSnapshot, CaseState, Closure, Direction, Disposition, Outcome,
    QuestionOutcome, RawId, RequesterId,
};
use crate::core::clock::Regime;
use crate::core::flags::Flag;
use crate::core::intake::Kind;
use crate::core::plan::NewCase;
use crate::core::questions::Question;

/// The person (or organisation) behind a request, with the address used.
#[derive(Debug, Clone)]
pub struct RequesterIdentity {
    pub name: Option<String>,
    pub identity_key: String,
    pub address: String,
}

/// A case as the command line and JSON show it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    #[serde(skip)]
    pub id: CaseId,
    pub reference: String,
    pub regime: String,
    pub kind: String,
    pub state: String,
    pub requester: RequesterView,
    pub subject: String,
    pub received_at: String,
    pub received_on: String,
    pub due_on: Option<String>,
    pub closed_on: Option<String>,
    /// `answered`, `closed_by_officer` or `history`; `None` while open (and
    /// for cases closed before closures were recorded).
    pub closure: Option<String>,
    pub assigned_to: Option<String>,
    pub flags: Vec<FlagView>,
    pub questions: Vec<QuestionView>,
}

/// A question with what became of it, once the case is answered.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    #[serde(flatten)]
    pub question: Question,
    /// `"outcome": "not_held"` and its details beside the question's own
    /// fields, as in the draft and closure events.
    #[serde(flatten)]
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequesterView {
    pub name: Option<String>,
    pub email: String,
    pub identity: String,
}

/// A stored flag as `foid show --json` gives it: `kind`, `related`
/// (references), `score`, `detail` and the `evidence` per related case.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FlagView {
    pub kind: String,
    #[serde(default)]
    pub related: Vec<String>,
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub evidence: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    reference: String,
    regime: String,
    kind: String,
    state: String,
    subject: String,
    requester_address: String,
    received_at: i64,
    received_on: String,
    due_on: Option<String>,
    closed_on: Option<String>,
    closure: Option<String>,
    assigned_to: Option<String>,
    requester_name: Option<String>,
    identity_key: String,
}

const CASE_SELECT: &str = "SELECT c.id, c.reference, c.regime, c.kind, c.state, c.subject, \
     c.requester_address, c.received_at, c.received_on, c.due_on, c.closed_on, c.closure, c.assigned_to, \
     r.name AS requester_name, r.identity_key \
     FROM cases c JOIN requesters r ON r.id = c.requester_id";

/// Finds the requester by identity key or by any address they have used,
/// creating them if new, and records the address.
pub async fn upsert_requester(
    conn: &mut AnyConnection,
    who: &RequesterIdentity,
    now: jiff::Timestamp,
) -> Result<RequesterId> {
    let address = who.address.to_ascii_lowercase();
    let by_key: Option<i64> =
        sqlx::query_scalar("SELECT id FROM requesters WHERE identity_key = $1")
            .bind(&who.identity_key)
            .fetch_optional(&mut *conn)
            .await?;
    let by_address: Option<i64> =
        sqlx::query_scalar("SELECT requester_id FROM requester_addresses WHERE address = $1")
            .bind(&address)
            .fetch_optional(&mut *conn)
            .await?;
    let id = match by_key.or(by_address) {
        Some(id) => id,
        None => sqlx::query_scalar(
            "INSERT INTO requesters (name, identity_key, created_at) VALUES ($1, $2, $3)
                 RETURNING id",
        )
        .bind(&who.name)
        .bind(&who.identity_key)
        .bind(to_secs(now))
        .fetch_one(&mut *conn)
        .await
        .context("creating a requester")?,
    };
    if by_address.is_none() {
        sqlx::query(
            "INSERT INTO requester_addresses (address, requester_id, first_seen) VALUES ($1, $2, $3)
             ON CONFLICT (address) DO NOTHING",
        )
        .bind(&address)
        .bind(id)
        .bind(to_secs(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(RequesterId(id))
}

/// The next reference number for a prefix and year, counted in the database
/// so that two processes never hand out the same one.
pub async fn next_reference_number(
    conn: &mut AnyConnection,
    prefix: &str,
    year: i16,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO reference_counters (prefix, year, last) VALUES ($1, $2, 1)
         ON CONFLICT (prefix, year) DO UPDATE SET last = reference_counters.last + 1
         RETURNING last",
    )
    .bind(prefix)
    .bind(i64::from(year))
    .fetch_one(&mut *conn)
    .await
    .context("counting case references")
}

/// Opens a case with its questions.
pub async fn insert_case(
    conn: &mut AnyConnection,
    case: &NewCase,
    requester: RequesterId,
    now: jiff::Timestamp,
) -> Result<CaseId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (reference, regime, kind, state, requester_id, requester_address,
             reply_to, subject, received_at, received_on, due_on, raw_message_id, request_text,
             created_at, request_message_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         RETURNING id",
    )
    .bind(&case.reference)
    .bind(case.regime.as_str())
    .bind(case.kind.as_str())
    .bind(CaseState::Open.as_str())
    .bind(requester.0)
    .bind(&case.requester_address)
    .bind(&case.reply_to)
    .bind(&case.subject)
    .bind(to_secs(case.received_at))
    .bind(case.received_on.to_string())
    .bind(case.due_on.map(|d| d.to_string()))
    .bind(case.raw_message_id)
    .bind(&case.request_text)
    .bind(to_secs(now))
    .bind(&case.request_message_id)
    .fetch_one(&mut *conn)
    .await
    .with_context(|| format!("creating case {}", case.reference))?;
    sqlx::query("INSERT INTO case_signatures (case_id, signature) VALUES ($1, $2)")
        .bind(id)
        .bind(case.signature.to_bytes())
        .execute(&mut *conn)
        .await?;
    for q in &case.questions {
        sqlx::query(
            "INSERT INTO questions (case_id, number, text, options_json, parts_json)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(i64::from(q.number))
        .bind(&q.text)
        .bind(serde_json::to_string(&q.options)?)
        .bind(serde_json::to_string(&q.parts)?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(CaseId(id))
}

/// Stores a flag: its kind, and the whole flag as JSON (what `foid show`
/// prints under `flags`).
pub async fn add_flag(
    conn: &mut AnyConnection,
    case: CaseId,
    flag: &Flag,
    now: jiff::Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO flags (case_id, kind, evidence_json, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(case.0)
    .bind(flag.kind.as_str())
    .bind(serde_json::to_string(flag)?)
    .bind(to_secs(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records that a Message-ID belongs to a case, so replies quoting it in
/// In-Reply-To/References find their case.
pub async fn link_message(
    conn: &mut AnyConnection,
    message_id: &str,
    case: CaseId,
    direction: Direction,
) -> Result<()> {
    if message_id.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO case_messages (message_id, case_id, direction) VALUES ($1, $2, $3)
         ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(message_id)
    .bind(case.0)
    .bind(direction.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records what became of a raw message, pointing at its case if any.
pub async fn finish_raw(
    conn: &mut AnyConnection,
    raw: RawId,
    disposition: &Disposition,
    case: Option<CaseId>,
    now: jiff::Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE raw_messages SET state = $1, kind = $2, case_id = $3, quarantine_reason = $4,
             processed_at = $5 WHERE id = $6",
    )
    .bind(disposition.state().as_str())
    .bind(disposition.kind().map(Kind::as_str))
    .bind(case.map(|c| c.0))
    .bind(disposition.reason())
    .bind(to_secs(now))
    .bind(raw.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Another raw message with the same Message-ID and the same content that
/// was already processed: the same mail seen twice (two folders, a
/// UIDVALIDITY change). Returns its case, if it made one.
pub async fn processed_twin(
    conn: &mut AnyConnection,
    raw: RawId,
    message_id: &str,
    sha256: &str,
) -> Result<Option<(RawId, Option<CaseId>)>> {
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, case_id FROM raw_messages
         WHERE message_id = $1 AND sha256 = $2 AND id <> $3 AND state <> 'new'
         ORDER BY id LIMIT 1",
    )
    .bind(message_id)
    .bind(sha256)
    .bind(raw.0)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(r, c)| (RawId(r), c.map(CaseId))))
}

pub async fn case_reference(conn: &mut AnyConnection, case: CaseId) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT reference FROM cases WHERE id = $1")
            .bind(case.0)
            .fetch_one(&mut *conn)
            .await?,
    )
}

pub async fn case_id_by_reference(
    conn: &mut AnyConnection,
    reference: &str,
) -> Result<Option<CaseId>> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM cases WHERE UPPER(reference) = UPPER($1)")
            .bind(reference)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(id.map(CaseId))
}

pub async fn case_id_by_message_ids(
    conn: &mut AnyConnection,
    message_ids: &[String],
) -> Result<Option<CaseId>> {
    for id in message_ids {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT case_id FROM case_messages WHERE message_id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(found) = found {
            return Ok(Some(CaseId(found)));
        }
    }
    Ok(None)
}

/// The latest case whose replies go to this address (WhatDoTheyKnow gives each
/// request its own address).
pub async fn case_by_reply_address(
    conn: &mut AnyConnection,
    address: &str,
) -> Result<Option<CaseId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM cases WHERE LOWER(reply_to) = LOWER($1) ORDER BY id DESC LIMIT 1",
    )
    .bind(address)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id.map(CaseId))
}

pub async fn set_case_state(
    conn: &mut AnyConnection,
    case: CaseId,
    state: CaseState,
    closed_on: Option<jiff::civil::Date>,
    closure: Option<Closure>,
) -> Result<()> {
    sqlx::query("UPDATE cases SET state = $1, closed_on = $2, closure = $3 WHERE id = $4")
        .bind(state.as_str())
        .bind(closed_on.map(|d| d.to_string()))
        .bind(closure.map(Closure::as_str))
        .bind(case.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_case_regime(conn: &mut AnyConnection, case: CaseId, regime: Regime) -> Result<()> {
    sqlx::query("UPDATE cases SET regime = $1 WHERE id = $2")
        .bind(regime.as_str())
        .bind(case.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The cached due date (the clock derives it from the events).
pub async fn set_due_on(
    conn: &mut AnyConnection,
    case: CaseId,
    due_on: Option<jiff::civil::Date>,
) -> Result<()> {
    sqlx::query("UPDATE cases SET due_on = $1 WHERE id = $2")
        .bind(due_on.map(|d| d.to_string()))
        .bind(case.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_assignee(
    conn: &mut AnyConnection,
    case: CaseId,
    assignee: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE cases SET assigned_to = $1 WHERE id = $2")
        .bind(assignee)
        .bind(case.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Each question's outcome, for the statistics and the returns.
pub async fn set_outcomes(
    conn: &mut AnyConnection,
    case: CaseId,
    outcomes: &[QuestionOutcome],
) -> Result<()> {
    for o in outcomes {
        // The outcome and the answer sent (`foid show` reads the outcome,
        // repeat detection the answer).
        sqlx::query("UPDATE questions SET outcome_json = $1 WHERE case_id = $2 AND number = $3")
            .bind(serde_json::to_string(o)?)
            .bind(case.0)
            .bind(i64::from(o.number))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    reference: String,
    regime: String,
    kind: String,
    state: String,
    requester_name: Option<String>,
    requester_address: String,
    reply_to: String,
    subject: String,
    received_on: String,
    due_on: Option<String>,
    request_message_id: String,
    stored_message_id: String,
    request_text: String,
    assigned_to: Option<String>,
}

/// Everything a plan needs to know of a case, read in the transaction the
/// plan will be applied in. On PostgreSQL the case row is locked, so two
/// instances never plan on the same case at once.
pub async fn case_snapshot(conn: &mut AnyConnection, case: CaseId) -> Result<CaseSnapshot> {
    let lock = if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE OF c"
    } else {
        ""
    };
    let row: SnapshotRow = sqlx::query_as(&format!(
        "SELECT c.reference, c.regime, c.kind, c.state, r.name AS requester_name,
             c.requester_address, c.reply_to, c.subject, c.received_on, c.due_on,
             c.request_message_id, m.message_id AS stored_message_id, c.request_text,
             c.assigned_to
         FROM cases c JOIN requesters r ON r.id = c.requester_id
             JOIN raw_messages m ON m.id = c.raw_message_id
         WHERE c.id = $1{lock}"
    ))
    .bind(case.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| anyhow!("case {case} does not exist"))?;
    let questions: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT number, text, options_json, parts_json FROM questions WHERE case_id = $1
         ORDER BY number",
    )
    .bind(case.0)
    .fetch_all(&mut *conn)
    .await?;
    let reference = row.reference.clone();
    let date = |s: &str, what: &str| -> Result<jiff::civil::Date> {
        s.parse()
            .with_context(|| format!("case {reference}: {what} {s:?} is not a date"))
    };
    // Older cases: the request's id is the stored raw message's, unless
    // that was made up for a message without one.
    let request_message_id =
        if row.request_message_id.is_empty() && !row.stored_message_id.starts_with("<synthetic.") {
            row.stored_message_id.clone()
        } else {
            row.request_message_id.clone()
        };
    Ok(CaseSnapshot {
        id: case,
        regime: row
            .regime
            .parse()
            .map_err(|e| anyhow!("case {reference}: {e}"))?,
        kind: row
            .kind
            .parse()
            .map_err(|_| anyhow!("case {reference}: unknown kind {:?}", row.kind))?,
        state: row
            .state
            .parse()
            .map_err(|_| anyhow!("case {reference}: unknown state {:?}", row.state))?,
        requester_name: row.requester_name.clone(),
        requester_address: row.requester_address.clone(),
        reply_to: row.reply_to.clone(),
        subject: row.subject.clone(),
        received_on: date(&row.received_on, "date of receipt")?,
        due_on: match &row.due_on {
            Some(d) => Some(date(d, "due date")?),
            None => None,
        },
        request_message_id,
        request_text: row.request_text.clone(),
        questions: questions
            .into_iter()
            .map(|(number, text, options, parts)| question_of_row(number, text, &options, &parts))
            .collect(),
        assigned_to: row.assigned_to.clone(),
        events: events::events(conn, case).await?,
        draft: drafts::latest_draft(conn, case).await?,
        codes: drafts::codes(conn, case).await?,
        reference: row.reference,
    })
}

impl Store {
    /// Cases, oldest first; `open_only` leaves out closed ones.
    pub async fn cases(&self, open_only: bool) -> Result<Vec<CaseView>> {
        let sql = if open_only {
            format!(
                "{CASE_SELECT} WHERE c.state = '{}' ORDER BY c.id",
                CaseState::Open.as_str()
            )
        } else {
            format!("{CASE_SELECT} ORDER BY c.id")
        };
        let rows: Vec<CaseRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        self.views(rows).await
    }

    pub async fn case_by_reference(&self, reference: &str) -> Result<Option<CaseView>> {
        let rows: Vec<CaseRow> = sqlx::query_as(&format!(
            "{CASE_SELECT} WHERE UPPER(c.reference) = UPPER($1)"
        ))
        .bind(reference)
        .fetch_all(&self.pool)
        .await?;
        Ok(self.views(rows).await?.into_iter().next())
    }

    /// Flags raised, by kind.
    pub async fn flag_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT kind, COUNT(*) FROM flags GROUP BY kind ORDER BY kind")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Cases recorded as closed history by `foid import --history`.
    pub async fn history_case_count(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE closure = $1")
                .bind(Closure::History.as_str())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn case_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Changes a case's stored due date (the cached result of its clock) and
    /// records why, in one transaction.
    pub async fn set_due_date(
        &self,
        case: CaseId,
        due_on: Option<jiff::civil::Date>,
        event: &CaseEvent,
        now: jiff::Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        set_due_on(&mut tx, case, due_on).await?;
        events::add_event(&mut tx, case, now, &Actor::Foid, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A case as plans see it.
    pub async fn snapshot(&self, case: CaseId) -> Result<CaseSnapshot> {
        let mut conn = self.pool.acquire().await?;
        case_snapshot(&mut conn, case).await
    }

    async fn views(&self, rows: Vec<CaseRow>) -> Result<Vec<CaseView>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        // One query each for questions and flags of all listed cases, rather
        // than one per case.
        let first = rows.iter().map(|r| r.id).min().unwrap_or(0);
        let last = rows.iter().map(|r| r.id).max().unwrap_or(0);
        let question_rows: Vec<(i64, i64, String, String, String, Option<String>)> =
            sqlx::query_as(
                "SELECT case_id, number, text, options_json, parts_json, outcome_json
                 FROM questions WHERE case_id BETWEEN $1 AND $2 ORDER BY case_id, number",
            )
            .bind(first)
            .bind(last)
            .fetch_all(&self.pool)
            .await?;
        let flag_rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT case_id, kind, evidence_json FROM flags
             WHERE case_id BETWEEN $1 AND $2 ORDER BY id",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        let mut questions: BTreeMap<i64, Vec<QuestionView>> = BTreeMap::new();
        for (case_id, number, text, options, parts, outcome) in question_rows {
            questions.entry(case_id).or_default().push(QuestionView {
                question: question_of_row(number, text, &options, &parts),
                outcome: outcome.and_then(|o| serde_json::from_str(&o).ok()),
            });
        }
        let mut flags: BTreeMap<i64, Vec<FlagView>> = BTreeMap::new();
        for (case_id, kind, evidence) in flag_rows {
            // A row that does not decode is still shown, as it was stored.
            let view = serde_json::from_str(&evidence).unwrap_or_else(|_| FlagView {
                kind,
                related: Vec::new(),
                score: None,
                detail: evidence,
                evidence: serde_json::Value::Null,
            });
            flags.entry(case_id).or_default().push(view);
        }
        Ok(rows
            .into_iter()
            .map(|r| CaseView {
                id: CaseId(r.id),
                requester: RequesterView {
                    name: r.requester_name,
                    email: r.requester_address,
                    identity: r.identity_key,
                },
                reference: r.reference,
                regime: r.regime,
                kind: r.kind,
                state: r.state,
                subject: r.subject,
                received_at: super::from_secs(r.received_at).to_string(),
                received_on: r.received_on,
                due_on: r.due_on,
                closed_on: r.closed_on,
                closure: r.closure,
                assigned_to: r.assigned_to,
                flags: flags.remove(&r.id).unwrap_or_default(),
                questions: questions.remove(&r.id).unwrap_or_default(),
            })
            .collect())
    }
}

/// A question as the `questions` table holds it: number, text, and the
/// options and parts as JSON.
pub(super) fn question_of_row(number: i64, text: String, options: &str, parts: &str) -> Question {
    Question {
        number: u32::try_from(number).unwrap_or(0),
        text,
        options: serde_json::from_str(options).unwrap_or_default(),
        parts: serde_json::from_str(parts).unwrap_or_default(),
    }
}
