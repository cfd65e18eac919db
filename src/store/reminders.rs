//! What the morning digest is made from, and the once-a-day claim on a
//! daily job.

use anyhow::Result;
use sqlx::AnyConnection;

use super::{from_secs, Store};
use crate::core::clock;

/// A draft waiting for an approver: case reference, version, drafter, when.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingDraft {
    pub reference: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
}

/// Mail that failed for good, or a bounce recorded on a case.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryProblem {
    pub reference: Option<String>,
    pub what: String,
    pub at: i64,
}

/// Claims `job` for `day`; false when it was already done (by this
/// instance before a restart, or by another). In the caller's
/// transaction, so the claim and the job's mail commit together.
pub async fn claim_daily_job(
    conn: &mut AnyConnection,
    job: &str,
    day: jiff::civil::Date,
    instance: &str,
    now: jiff::Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO daily_jobs (job, day, done_at, instance) VALUES ($1, $2, $3, $4)
         ON CONFLICT (job, day) DO NOTHING",
    )
    .bind(job)
    .bind(day.to_string())
    .bind(super::to_secs(now))
    .bind(instance)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    /// The last day `job` was done.
    pub async fn last_daily_job(&self, job: &str) -> Result<Option<jiff::civil::Date>> {
        let day: Option<String> =
            sqlx::query_scalar("SELECT MAX(day) FROM daily_jobs WHERE job = $1")
                .bind(job)
                .fetch_one(&self.pool)
                .await?;
        Ok(day.and_then(|d| d.parse().ok()))
    }

    /// Drafts of open cases that no approver has approved yet.
    pub async fn pending_drafts(&self) -> Result<Vec<PendingDraft>> {
        Ok(sqlx::query_as(
            "SELECT c.reference, d.version, d.created_by, d.created_at
             FROM drafts d JOIN cases c ON c.id = d.case_id
             WHERE d.state = 'pending' AND c.state = 'open'
             ORDER BY d.created_at",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Outgoing mail that failed for good, and bounces recorded on cases,
    /// since `since`.
    pub async fn delivery_problems(&self, since: jiff::Timestamp) -> Result<Vec<DeliveryProblem>> {
        let since = super::to_secs(since);
        let mut problems: Vec<DeliveryProblem> = sqlx::query_as(
            "SELECT c.reference, o.purpose || ' to ' || o.recipients_json || ': ' || COALESCE(o.last_error, 'failed') AS what,
                    o.created_at AS at
             FROM outbox o LEFT JOIN cases c ON c.id = o.case_id
             WHERE o.state = 'failed' AND o.created_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let bounces: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT c.reference, e.at, e.detail_json FROM case_events e JOIN cases c ON c.id = e.case_id
             WHERE e.kind = 'delivery_failure' AND e.at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        for (reference, at, detail) in bounces {
            let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
            let report = detail["report"].as_str().unwrap_or("a delivery report");
            problems.push(DeliveryProblem {
                reference: Some(reference),
                what: format!("bounced: {}", first_line(report)),
                at,
            });
        }
        problems.sort_by_key(|p| p.at);
        Ok(problems)
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(text)
        .trim()
}

/// When a row's time is shown as a date.
pub fn date_of(secs: i64, tz: &jiff::tz::TimeZone) -> jiff::civil::Date {
    clock::date_of_receipt(from_secs(secs), tz)
}
