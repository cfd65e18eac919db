//! Cases, their requesters, questions, event log, flags and message links.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{to_secs, Store};
use crate::core::clock::ClockEvent;
use crate::core::questions::Question;

/// The person (or organisation) behind a request, with the address used.
#[derive(Debug, Clone)]
pub struct RequesterIdentity {
    pub name: Option<String>,
    pub identity_key: String,
    pub address: String,
}

#[derive(Debug, Clone)]
pub struct NewCase {
    pub reference: String,
    pub regime: String,
    pub kind: String,
    pub requester_id: i64,
    pub requester_address: String,
    pub reply_to: String,
    pub subject: String,
    pub received_at: jiff::Timestamp,
    pub received_on: jiff::civil::Date,
    pub due_on: Option<jiff::civil::Date>,
    pub raw_message_id: i64,
    pub request_text: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    #[serde(skip)]
    pub id: i64,
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
    pub flags: Vec<FlagView>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequesterView {
    pub name: Option<String>,
    pub email: String,
    pub identity: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagView {
    pub kind: String,
    pub evidence: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub detail: serde_json::Value,
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
    requester_name: Option<String>,
    identity_key: String,
}

const CASE_SELECT: &str = "SELECT c.id, c.reference, c.regime, c.kind, c.state, c.subject, \
     c.requester_address, c.received_at, c.received_on, c.due_on, c.closed_on, \
     r.name AS requester_name, r.identity_key \
     FROM cases c JOIN requesters r ON r.id = c.requester_id";

/// Finds the requester by identity key or by any address they have used,
/// creating them if new, and records the address. Returns the requester id.
pub async fn upsert_requester(
    conn: &mut AnyConnection,
    who: &RequesterIdentity,
    now: jiff::Timestamp,
) -> Result<i64> {
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
    Ok(id)
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

pub async fn insert_case(
    conn: &mut AnyConnection,
    case: &NewCase,
    now: jiff::Timestamp,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (reference, regime, kind, state, requester_id, requester_address,
             reply_to, subject, received_at, received_on, due_on, raw_message_id, request_text,
             created_at)
         VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING id",
    )
    .bind(&case.reference)
    .bind(&case.regime)
    .bind(&case.kind)
    .bind(case.requester_id)
    .bind(&case.requester_address)
    .bind(&case.reply_to)
    .bind(&case.subject)
    .bind(to_secs(case.received_at))
    .bind(case.received_on.to_string())
    .bind(case.due_on.map(|d| d.to_string()))
    .bind(case.raw_message_id)
    .bind(&case.request_text)
    .bind(to_secs(now))
    .fetch_one(&mut *conn)
    .await
    .with_context(|| format!("creating case {}", case.reference))?;
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
    Ok(id)
}

/// Appends to the case's event log.
pub async fn add_event(
    conn: &mut AnyConnection,
    case_id: i64,
    at: jiff::Timestamp,
    actor: &str,
    kind: &str,
    detail: &serde_json::Value,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO case_events (case_id, at, actor, kind, detail_json)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(case_id)
    .bind(to_secs(at))
    .bind(actor)
    .bind(kind)
    .bind(detail.to_string())
    .fetch_one(&mut *conn)
    .await
    .context("appending a case event")
}

pub async fn add_flag(
    conn: &mut AnyConnection,
    case_id: i64,
    kind: &str,
    evidence: &serde_json::Value,
    now: jiff::Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO flags (case_id, kind, evidence_json, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(case_id)
    .bind(kind)
    .bind(evidence.to_string())
    .bind(to_secs(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records that a Message-ID belongs to a case (`in` received, `out` sent),
/// so replies quoting it in In-Reply-To/References find their case.
pub async fn link_message(
    conn: &mut AnyConnection,
    message_id: &str,
    case_id: i64,
    direction: &str,
) -> Result<()> {
    if message_id.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO case_messages (message_id, case_id, direction) VALUES ($1, $2, $3)
         ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(message_id)
    .bind(case_id)
    .bind(direction)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a raw message as dealt with, pointing at its case if any.
pub async fn finish_raw(
    conn: &mut AnyConnection,
    raw_id: i64,
    state: &str,
    kind: Option<&str>,
    case_id: Option<i64>,
    reason: Option<&str>,
    now: jiff::Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE raw_messages SET state = $1, kind = $2, case_id = $3, quarantine_reason = $4,
             processed_at = $5 WHERE id = $6",
    )
    .bind(state)
    .bind(kind)
    .bind(case_id)
    .bind(reason)
    .bind(to_secs(now))
    .bind(raw_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Another raw message with the same Message-ID and the same content that
/// was already processed: the same mail seen twice (two folders, a
/// UIDVALIDITY change). Returns its case, if it made one.
pub async fn processed_twin(
    conn: &mut AnyConnection,
    raw_id: i64,
    message_id: &str,
    sha256: &str,
) -> Result<Option<(i64, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT id, case_id FROM raw_messages
         WHERE message_id = $1 AND sha256 = $2 AND id <> $3 AND state <> 'new'
         ORDER BY id LIMIT 1",
    )
    .bind(message_id)
    .bind(sha256)
    .bind(raw_id)
    .fetch_optional(&mut *conn)
    .await?)
}

pub async fn case_reference(conn: &mut AnyConnection, case_id: i64) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT reference FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

pub async fn case_id_by_reference(
    conn: &mut AnyConnection,
    reference: &str,
) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM cases WHERE UPPER(reference) = UPPER($1)")
            .bind(reference)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

pub async fn case_id_by_message_ids(
    conn: &mut AnyConnection,
    message_ids: &[String],
) -> Result<Option<i64>> {
    for id in message_ids {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT case_id FROM case_messages WHERE message_id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The latest case whose replies go to this address (WhatDoTheyKnow gives each
/// request its own address).
pub async fn case_by_reply_address(conn: &mut AnyConnection, address: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM cases WHERE LOWER(reply_to) = LOWER($1) ORDER BY id DESC LIMIT 1",
    )
    .bind(address)
    .fetch_optional(&mut *conn)
    .await?)
}

impl Store {
    /// Cases, newest first; `open_only` leaves out closed ones.
    pub async fn cases(&self, open_only: bool) -> Result<Vec<CaseView>> {
        let sql = if open_only {
            format!("{CASE_SELECT} WHERE c.state = 'open' ORDER BY c.id")
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

    pub async fn case_events(&self, case_id: i64) -> Result<Vec<EventView>> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, kind, detail_json FROM case_events WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, kind, detail)| EventView {
                at: super::from_secs(at).to_string(),
                actor,
                kind,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }

    /// The case's clock events, oldest first: what its due date is derived from.
    pub async fn clock_events(&self, case_id: i64) -> Result<Vec<ClockEvent>> {
        let details: Vec<String> = sqlx::query_scalar(
            "SELECT detail_json FROM case_events WHERE case_id = $1 AND kind = 'clock' ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        details
            .iter()
            .map(|d| {
                serde_json::from_str(d)
                    .with_context(|| format!("clock event of case {case_id}: {d}"))
            })
            .collect()
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
        case_id: i64,
        due_on: Option<jiff::civil::Date>,
        event_kind: &str,
        detail: &serde_json::Value,
        now: jiff::Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE cases SET due_on = $1 WHERE id = $2")
            .bind(due_on.map(|d| d.to_string()))
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        add_event(&mut tx, case_id, now, "foid", event_kind, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn views(&self, rows: Vec<CaseRow>) -> Result<Vec<CaseView>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        // One query each for questions and flags of all listed cases, rather
        // than one per case.
        let first = rows.iter().map(|r| r.id).min().unwrap_or(0);
        let last = rows.iter().map(|r| r.id).max().unwrap_or(0);
        let question_rows: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
            "SELECT case_id, number, text, options_json, parts_json FROM questions
             WHERE case_id BETWEEN $1 AND $2 ORDER BY case_id, number",
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
        let mut questions: BTreeMap<i64, Vec<Question>> = BTreeMap::new();
        for (case_id, number, text, options, parts) in question_rows {
            questions.entry(case_id).or_default().push(Question {
                number: u32::try_from(number).unwrap_or(0),
                text,
                options: serde_json::from_str(&options).unwrap_or_default(),
                parts: serde_json::from_str(&parts).unwrap_or_default(),
            });
        }
        let mut flags: BTreeMap<i64, Vec<FlagView>> = BTreeMap::new();
        for (case_id, kind, evidence) in flag_rows {
            flags.entry(case_id).or_default().push(FlagView {
                kind,
                evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::Null),
            });
        }
        Ok(rows
            .into_iter()
            .map(|r| CaseView {
                id: r.id,
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
                flags: flags.remove(&r.id).unwrap_or_default(),
                questions: questions.remove(&r.id).unwrap_or_default(),
            })
            .collect())
    }
}
