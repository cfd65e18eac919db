//! The durable outbox: mail rendered to its final bytes when queued, sent
//! later by the send stage, retried on temporary failure. A mail that
//! carried a secret (a preview's approval code) keeps only its copy without
//! it once sent.

use anyhow::{Context, Result};
use sqlx::AnyConnection;

use super::{to_secs, Store};
use crate::core::case::{CaseId, OutboxId};
use crate::core::letters::Purpose;

/// How long a claimed row is held back from other senders; an instance that
/// died with a claim gives it up after this.
pub const CLAIM_HOLD_SECS: i64 = 120;

/// Where an outbox row stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, strum::EnumString, strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be sent (at `next_attempt_at`).
    Queued,
    /// Kept but never sent (a backfill import).
    Held,
    Sent,
    /// Refused for good by the server, or given up on.
    Failed,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone)]
pub struct NewOutboxMessage {
    pub case_id: Option<CaseId>,
    pub purpose: Purpose,
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub bytes: Vec<u8>,
    /// What to keep instead of `bytes` once sent (the Sent folder copy).
    pub sent_copy: Option<Vec<u8>>,
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
    pub created_at: i64,
    /// The copy to keep once sent, when it differs from `bytes`.
    pub sent_copy: Option<Vec<u8>>,
}

const OUTBOX_COLUMNS: &str = "id, case_id, purpose, message_id, envelope_from, recipients_json, \
     bytes, state, attempts, created_at, sent_copy";

impl OutboxMessage {
    pub fn id(&self) -> OutboxId {
        OutboxId(self.id)
    }

    pub fn case(&self) -> Option<CaseId> {
        self.case_id.map(CaseId)
    }

    pub fn recipients(&self) -> Vec<String> {
        serde_json::from_str(&self.recipients_json).unwrap_or_default()
    }

    pub fn purpose(&self) -> Option<Purpose> {
        self.purpose.parse().ok()
    }

    pub fn state(&self) -> Option<OutboxState> {
        self.state.parse().ok()
    }

    /// What may be kept of it once sent (the Sent folder copy).
    pub fn keepable_bytes(&self) -> &[u8] {
        self.sent_copy.as_deref().unwrap_or(&self.bytes)
    }
}

/// Queues a message. `held` rows are kept but never sent (a backfill import
/// without `--send`).
pub async fn enqueue(
    conn: &mut AnyConnection,
    m: &NewOutboxMessage,
    held: bool,
    now: jiff::Timestamp,
) -> Result<OutboxId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (case_id, purpose, message_id, envelope_from, recipients_json, bytes,
             state, next_attempt_at, created_at, sent_copy)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id",
    )
    .bind(m.case_id.map(|c| c.0))
    .bind(m.purpose.as_str())
    .bind(&m.message_id)
    .bind(&m.envelope_from)
    .bind(serde_json::to_string(&m.recipients)?)
    .bind(&m.bytes)
    .bind(if held {
        OutboxState::Held.as_str()
    } else {
        OutboxState::Queued.as_str()
    })
    .bind(to_secs(now))
    .bind(&m.sent_copy)
    .fetch_one(&mut *conn)
    .await
    .context("queuing outgoing mail")?;
    Ok(OutboxId(id))
}

/// Mail of `purpose` queued to this one address since `since`: the rate
/// limits that keep foid from answering a flood or another robot, and from
/// warning an officer more than once a day.
pub async fn recent_mail(
    conn: &mut AnyConnection,
    purpose: Purpose,
    address: &str,
    since: jiff::Timestamp,
) -> Result<i64> {
    let recipients = serde_json::to_string(&[address.to_ascii_lowercase()])?;
    // The expression matches the index outbox_acknowledgements (0002).
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE purpose = $1
         AND LOWER(recipients_json) = $2 AND created_at > $3",
    )
    .bind(purpose.as_str())
    .bind(recipients)
    .bind(to_secs(since))
    .fetch_one(&mut *conn)
    .await?)
}

impl Store {
    /// Queued messages whose next attempt is due, oldest first, claimed by
    /// `instance`. The attempt is counted before it is made, so a crash
    /// mid-send still counts.
    pub async fn claim_outbox(
        &self,
        instance: &str,
        now: jiff::Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let mut tx = self.begin().await?;
        let lock = match self.backend {
            super::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            super::Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox
             WHERE state = $1 AND next_attempt_at <= $2 ORDER BY id LIMIT $3{lock}"
        );
        let mut rows: Vec<OutboxMessage> = sqlx::query_as(&sql)
            .bind(OutboxState::Queued.as_str())
            .bind(to_secs(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        for row in &mut rows {
            row.attempts += 1;
            // Held back for a while so a parallel sender skips it.
            sqlx::query(
                "UPDATE outbox SET attempts = $1, next_attempt_at = $2, claimed_by = $3
                 WHERE id = $4",
            )
            .bind(row.attempts)
            .bind(to_secs(now) + CLAIM_HOLD_SECS)
            .bind(instance)
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Gives back claims an instance made before it stopped (or died): on
    /// SQLite only one instance runs, so at its start every claim is stale.
    pub async fn release_claims(&self, now: jiff::Timestamp) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1, claimed_by = NULL
             WHERE state = $2 AND claimed_by IS NOT NULL AND next_attempt_at > $1",
        )
        .bind(to_secs(now))
        .bind(OutboxState::Queued.as_str())
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Gives back the claims of instances that are gone (PostgreSQL): each
    /// running instance holds its `instance` lease for its lifetime, so a
    /// claimant whose lease is free has died, and its rows need not wait
    /// out the claim hold. Returns how many rows were released.
    pub async fn release_dead_claims(&self, now: jiff::Timestamp) -> Result<u64> {
        if self.backend != super::Backend::Postgres {
            return Ok(0);
        }
        let claimants: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT claimed_by FROM outbox
             WHERE state = $1 AND claimed_by IS NOT NULL AND next_attempt_at > $2",
        )
        .bind(OutboxState::Queued.as_str())
        .bind(to_secs(now))
        .fetch_all(&self.pool)
        .await?;
        let mut released = 0;
        for claimant in claimants {
            if self.is_running(&claimant).await? {
                continue;
            }
            released += sqlx::query(
                "UPDATE outbox SET next_attempt_at = $1, claimed_by = NULL
                 WHERE state = $2 AND claimed_by = $3",
            )
            .bind(to_secs(now))
            .bind(OutboxState::Queued.as_str())
            .bind(&claimant)
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(released)
    }

    /// When the next queued message is due, if any is.
    pub async fn next_outbox_attempt(&self) -> Result<Option<jiff::Timestamp>> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE state = $1")
                .bind(OutboxState::Queued.as_str())
                .fetch_one(&self.pool)
                .await?;
        Ok(at.map(super::from_secs))
    }

    /// Sent: the row keeps its copy without secrets from now on.
    pub async fn outbox_sent(&self, id: OutboxId, now: jiff::Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = $1, sent_at = $2, last_error = NULL, claimed_by = NULL,
                 bytes = COALESCE(sent_copy, bytes), sent_copy = NULL
             WHERE id = $3",
        )
        .bind(OutboxState::Sent.as_str())
        .bind(to_secs(now))
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The copy of a sent message is in the Sent folder.
    pub async fn outbox_copied(&self, id: OutboxId) -> Result<()> {
        sqlx::query("UPDATE outbox SET copied_to_sent = 1 WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sent messages whose Sent-folder copy is still to be made.
    pub async fn uncopied_sent(&self, limit: i64) -> Result<Vec<OutboxMessage>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = $1 AND copied_to_sent = 0
             ORDER BY id LIMIT $2"
        ))
        .bind(OutboxState::Sent.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A temporary failure: try again at `retry_at`.
    pub async fn outbox_retry(
        &self,
        id: OutboxId,
        error: &str,
        retry_at: jiff::Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET last_error = $1, next_attempt_at = $2, claimed_by = NULL
             WHERE id = $3",
        )
        .bind(error)
        .bind(to_secs(retry_at))
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The server could not be reached: the attempt does not count.
    pub async fn outbox_unclaim(
        &self,
        id: OutboxId,
        error: &str,
        retry_at: jiff::Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET last_error = $1, next_attempt_at = $2, claimed_by = NULL,
                 attempts = attempts - 1
             WHERE id = $3",
        )
        .bind(error)
        .bind(to_secs(retry_at))
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A permanent failure: never retried.
    pub async fn outbox_failed(&self, id: OutboxId, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = $1, last_error = $2, claimed_by = NULL WHERE id = $3",
        )
        .bind(OutboxState::Failed.as_str())
        .bind(error)
        .bind(id.0)
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

    pub async fn outbox_for_case(&self, case: CaseId) -> Result<Vec<OutboxMessage>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE case_id = $1 ORDER BY id"
        ))
        .bind(case.0)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every outbox row, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxMessage>> {
        Ok(
            sqlx::query_as(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id"))
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Outbox rows sent for one purpose, oldest first.
    pub async fn outbox_for_purpose(&self, purpose: Purpose) -> Result<Vec<OutboxMessage>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE purpose = $1 ORDER BY id"
        ))
        .bind(purpose.as_str())
        .fetch_all(&self.pool)
        .await?)
    }
}
