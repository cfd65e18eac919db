//! What repeat detection reads: the stored signatures the index is built
//! from, a requester's own earlier cases, and the facts of the earlier
//! cases a new request is compared with.

use std::collections::BTreeMap;

use anyhow::Result;
use sqlx::AnyConnection;

use super::Store;
use crate::core::case::{CaseState, Closure, Outcome, QuestionOutcome};
use crate::core::flags::Earlier;
use crate::core::questions::Question;
use crate::core::similarity::Comparison;

/// Signatures of cases with ids above `after`, in id order, at most `limit`.
pub async fn signatures_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Vec<u8>)>> {
    Ok(sqlx::query_as(
        "SELECT case_id, signature FROM case_signatures WHERE case_id > $1 ORDER BY case_id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// What a stored case's signature is made from: its request text and its
/// questions (as an officer may have corrected them).
pub struct SignatureSource {
    pub case_id: i64,
    pub request_text: String,
    pub questions: Vec<Question>,
}

impl Store {
    pub async fn signatures_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, Vec<u8>)>> {
        let mut conn = self.pool.acquire().await?;
        signatures_after(&mut conn, after, limit).await
    }

    /// The sources of the signatures of cases with ids above `after`, in
    /// id order, at most `limit` (purged cases have no signature).
    pub async fn signature_sources_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SignatureSource>> {
        let cases: Vec<(i64, String)> = sqlx::query_as(
            "SELECT c.id, c.request_text FROM cases c JOIN case_signatures s ON s.case_id = c.id
             WHERE c.id > $1 ORDER BY c.id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let Some(last) = cases.last().map(|(id, _)| *id) else {
            return Ok(Vec::new());
        };
        let rows: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
            "SELECT case_id, number, text, options_json, parts_json FROM questions
             WHERE case_id > $1 AND case_id <= $2 ORDER BY case_id, number",
        )
        .bind(after)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        let mut questions: BTreeMap<i64, Vec<Question>> = BTreeMap::new();
        for (case, number, text, options, parts) in rows {
            questions
                .entry(case)
                .or_default()
                .push(super::cases::question_of_row(
                    number, text, &options, &parts,
                ));
        }
        Ok(cases
            .into_iter()
            .map(|(case_id, request_text)| SignatureSource {
                case_id,
                questions: questions.remove(&case_id).unwrap_or_default(),
                request_text,
            })
            .collect())
    }

    /// Writes new signatures for existing cases, in one transaction.
    pub async fn replace_signatures(&self, signatures: &[(i64, Vec<u8>)]) -> Result<()> {
        let mut tx = self.begin().await?;
        for (case, bytes) in signatures {
            sqlx::query("UPDATE case_signatures SET signature = $1 WHERE case_id = $2")
                .bind(bytes.as_slice())
                .bind(*case)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The requester's cases (by identity or by address), newest first, at
/// most `limit`, and how many of them were received on or after `since`.
pub async fn requester_cases(
    conn: &mut AnyConnection,
    identity: &str,
    address: &str,
    since: jiff::civil::Date,
    limit: i64,
) -> Result<(Vec<i64>, i64)> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT c.id, c.received_on FROM cases c JOIN requesters r ON r.id = c.requester_id
         WHERE r.identity_key = $1 OR LOWER(c.requester_address) = LOWER($2)
         ORDER BY c.id DESC LIMIT $3",
    )
    .bind(identity)
    .bind(address)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let since = since.to_string();
    let recent = rows.iter().filter(|(_, on)| *on >= since).count() as i64;
    Ok((rows.into_iter().map(|(id, _)| id).collect(), recent))
}

#[derive(sqlx::FromRow)]
struct EarlierRow {
    id: i64,
    reference: String,
    identity_key: String,
    requester_address: String,
    received_on: String,
    due_on: Option<String>,
    state: String,
    closure: Option<String>,
    closed_on: Option<String>,
}

/// The facts of earlier cases, for `core::flags` (the comparison is the
/// caller's to fill in).
pub async fn earlier_cases(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(i64, Earlier)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(200) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // Ids are numbers from our own queries, so the list is safe to inline.
        let rows: Vec<EarlierRow> = sqlx::query_as(&format!(
            "SELECT c.id, c.reference, r.identity_key, c.requester_address, c.received_on,
                    c.due_on, c.state, c.closure, c.closed_on
             FROM cases c JOIN requesters r ON r.id = c.requester_id WHERE c.id IN ({list})"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let question_rows: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT case_id, number, text, outcome_json FROM questions
             WHERE case_id IN ({list}) ORDER BY case_id, number"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let mut questions: BTreeMap<i64, (Vec<Question>, Vec<QuestionOutcome>)> = BTreeMap::new();
        for (case, number, text, outcome) in question_rows {
            let number = u32::try_from(number).unwrap_or(0);
            let entry = questions.entry(case).or_default();
            entry.0.push(Question {
                number,
                text,
                options: Vec::new(),
                parts: Vec::new(),
            });
            if let Some(o) = outcome.and_then(|o| serde_json::from_str::<StoredOutcome>(&o).ok()) {
                entry.1.push(QuestionOutcome {
                    number,
                    outcome: o.outcome,
                    answer: o.answer,
                });
            }
        }
        for r in rows {
            let (qs, outcomes) = questions.remove(&r.id).unwrap_or_default();
            let date = |s: &str| s.parse::<jiff::civil::Date>().ok();
            let Some(received_on) = date(&r.received_on) else {
                continue;
            };
            out.push((
                r.id,
                Earlier {
                    reference: r.reference,
                    requester: r.identity_key,
                    address: r.requester_address,
                    received_on,
                    due_on: r.due_on.as_deref().and_then(date),
                    state: if r.state == CaseState::Closed.as_str() {
                        CaseState::Closed
                    } else {
                        CaseState::Open
                    },
                    closure: r.closure.as_deref().and_then(closure),
                    closed_on: r.closed_on.as_deref().and_then(date),
                    outcomes,
                    questions: qs,
                    comparison: Comparison::default(),
                },
            ));
        }
    }
    Ok(out)
}

/// A question's stored outcome (`questions.outcome_json`).
#[derive(serde::Deserialize)]
struct StoredOutcome {
    #[serde(flatten)]
    outcome: Outcome,
    #[serde(default)]
    answer: Option<String>,
}

fn closure(s: &str) -> Option<Closure> {
    [
        Closure::Answered,
        Closure::ClosedByOfficer,
        Closure::History,
    ]
    .into_iter()
    .find(|c| c.as_str() == s)
}
