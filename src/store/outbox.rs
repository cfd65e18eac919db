//! The durable outbox: mail rendered to its final bytes when queued, sent
//! later by the send stage, retried on temporary failure.

use anyhow::{Context, Result};
use sqlx::AnyConnection;

use super::{to_secs, Store};

#[derive(Debug, Clone)]
pub struct NewOutboxMessage {
    pub case_id: Option<i64>,
    pub purpose: String,
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: i64,
    pub case_id: Option<i64>,
    pub purpose: String,
    pub message_id: String,
    pub envelope_from: String,
    pub recipients_json: String,
    pub bytes: Vec<u8>,
    pub state: String,
    pub attempts: i64,
}

impl OutboxMessage {
    pub fn recipients(&self) -> Vec<String> {
        serde_json::from_str(&self.recipients_json).unwrap_or_default()
    }
}

/// Queues a message. `held` rows are kept but never sent (a backfill import
/// without `--send`).
pub async fn enqueue(
    conn: &mut AnyConnection,
    m: &NewOutboxMessage,
    held: bool,
    now: jiff::Timestamp,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO outbox (case_id, purpose, message_id, envelope_from, recipients_json, bytes,
             state, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(m.case_id)
    .bind(&m.purpose)
    .bind(&m.message_id)
    .bind(&m.envelope_from)
    .bind(serde_json::to_string(&m.recipients)?)
    .bind(&m.bytes)
    .bind(if held { "held" } else { "queued" })
    .bind(to_secs(now))
    .fetch_one(&mut *conn)
    .await
    .context("queuing outgoing mail")
}

impl Store {
    /// Queued messages whose next attempt is due, oldest first. The attempt
    /// is counted before it is made, so a crash mid-send still counts.
    pub async fn claim_outbox(
        &self,
        now: jiff::Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let mut tx = self.begin().await?;
        let sql = match self.backend {
            super::Backend::Postgres => {
                "SELECT id, case_id, purpose, message_id, envelope_from, recipients_json, bytes,
                     state, attempts FROM outbox
                 WHERE state = 'queued' AND next_attempt_at <= $1 ORDER BY id LIMIT $2
                 FOR UPDATE SKIP LOCKED"
            }
            super::Backend::Sqlite => {
                "SELECT id, case_id, purpose, message_id, envelope_from, recipients_json, bytes,
                     state, attempts FROM outbox
                 WHERE state = 'queued' AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
            }
        };
        let mut rows: Vec<OutboxMessage> = sqlx::query_as(sql)
            .bind(to_secs(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        for row in &mut rows {
            row.attempts += 1;
            // Hold the row back for a while so a parallel sender skips it.
            sqlx::query("UPDATE outbox SET attempts = $1, next_attempt_at = $2 WHERE id = $3")
                .bind(row.attempts)
                .bind(to_secs(now) + 300)
                .bind(row.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn outbox_sent(&self, id: i64, now: jiff::Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2",
        )
        .bind(to_secs(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A temporary failure: try again at `retry_at`.
    pub async fn outbox_retry(
        &self,
        id: i64,
        error: &str,
        retry_at: jiff::Timestamp,
    ) -> Result<()> {
        sqlx::query("UPDATE outbox SET last_error = $1, next_attempt_at = $2 WHERE id = $3")
            .bind(error)
            .bind(to_secs(retry_at))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A permanent failure: never retried.
    pub async fn outbox_failed(&self, id: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE outbox SET state = 'failed', last_error = $1 WHERE id = $2")
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Counts of outbox rows by state and purpose.
    pub async fn outbox_summary(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT state, purpose, COUNT(*) FROM outbox GROUP BY state, purpose
             ORDER BY state, purpose",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn outbox_for_case(&self, case_id: i64) -> Result<Vec<OutboxMessage>> {
        Ok(sqlx::query_as(
            "SELECT id, case_id, purpose, message_id, envelope_from, recipients_json, bytes,
                 state, attempts FROM outbox WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
