//! Raw messages as they arrived, and the mailbox checkpoints of ingestion.

use anyhow::{Context, Result};
use sqlx::AnyConnection;

use super::{to_secs, Store};
use crate::core::case::{RawId, RawState, Source};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub mailbox: String,
    pub uidvalidity: i64,
    pub last_uid: i64,
}

/// A message about to be stored: its bytes and where it came from.
#[derive(Debug, Clone)]
pub struct NewRawMessage {
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub message_id: String,
    pub source: Source,
    pub mailbox: Option<String>,
    pub uidvalidity: Option<i64>,
    pub uid: Option<i64>,
    pub arrived_at: jiff::Timestamp,
    /// Set for messages refused before parsing (too large to download).
    pub quarantine_reason: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RawMessage {
    pub id: i64,
    pub sha256: String,
    pub message_id: String,
    pub source: String,
    pub mailbox: Option<String>,
    pub uidvalidity: Option<i64>,
    pub uid: Option<i64>,
    pub arrived_at: i64,
    pub size: i64,
    pub bytes: Vec<u8>,
    pub state: String,
    pub kind: Option<String>,
    pub case_id: Option<i64>,
    pub quarantine_reason: Option<String>,
}

impl RawMessage {
    pub fn raw_id(&self) -> RawId {
        RawId(self.id)
    }
}

/// A stored message still sitting in the server's inbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServerPending {
    pub id: i64,
    pub uidvalidity: i64,
    pub uid: i64,
    pub state: String,
}

impl ServerPending {
    pub fn state(&self) -> Option<RawState> {
        self.state.parse().ok()
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuarantinedMessage {
    pub id: i64,
    pub message_id: String,
    pub arrived_at: i64,
    pub size: i64,
    pub quarantine_reason: Option<String>,
}

/// A message held for an officer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldMessage {
    pub id: i64,
    pub message_id: String,
    pub arrived_at: i64,
    pub kind: Option<String>,
    pub quarantine_reason: Option<String>,
}

/// A raw message in the caller's transaction.
pub async fn raw_message_in(conn: &mut AnyConnection, id: RawId) -> Result<Option<RawMessage>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {RAW_COLUMNS} FROM raw_messages WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?)
}

impl Store {
    pub async fn checkpoint(&self, mailbox: &str) -> Result<Option<Checkpoint>> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE mailbox = $1",
        )
        .bind(mailbox)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(uidvalidity, last_uid)| Checkpoint {
            mailbox: mailbox.to_string(),
            uidvalidity,
            last_uid,
        }))
    }

    /// Stores a fetched window and advances the checkpoint in one
    /// transaction, so a crash either keeps both or neither. Messages
    /// already stored under the same mailbox/UIDVALIDITY/UID are skipped.
    /// Returns the ids of the rows inserted.
    pub async fn store_fetched(
        &self,
        checkpoint: &Checkpoint,
        messages: &[NewRawMessage],
        now: jiff::Timestamp,
    ) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(messages.len());
        for m in messages {
            if let Some(id) = insert_raw(&mut tx, m, now).await? {
                ids.push(id);
            }
        }
        sqlx::query(
            "INSERT INTO mailbox_checkpoints (mailbox, uidvalidity, last_uid, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,
                 last_uid = excluded.last_uid, updated_at = excluded.updated_at",
        )
        .bind(&checkpoint.mailbox)
        .bind(checkpoint.uidvalidity)
        .bind(checkpoint.last_uid)
        .bind(to_secs(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await.context("committing fetched messages")?;
        Ok(ids)
    }

    /// Stores one message from a file or Maildir. Returns its id and whether
    /// it was new; the same bytes stored twice are one row.
    pub async fn store_raw(&self, m: &NewRawMessage, now: jiff::Timestamp) -> Result<(i64, bool)> {
        let mut tx = self.begin().await?;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM raw_messages WHERE sha256 = $1 AND source = $2 ORDER BY id LIMIT 1",
        )
        .bind(&m.sha256)
        .bind(m.source.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = existing {
            tx.commit().await?;
            return Ok((id, false));
        }
        let id = insert_raw(&mut tx, m, now)
            .await?
            .context("raw message insert returned no id")?;
        tx.commit().await?;
        Ok((id, true))
    }

    /// Messages stored but not yet moved out of the server's inbox.
    pub async fn server_pending(&self, mailbox: &str) -> Result<Vec<ServerPending>> {
        Ok(sqlx::query_as(
            "SELECT id, uidvalidity, uid, state FROM raw_messages
             WHERE server_done = 0 AND mailbox = $1 AND uid IS NOT NULL
             ORDER BY uid",
        )
        .bind(mailbox)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn mark_server_done(&self, ids: &[i64]) -> Result<()> {
        // One statement per chunk rather than one per message.
        for chunk in ids.chunks(500) {
            let placeholders = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql =
                format!("UPDATE raw_messages SET server_done = 1 WHERE id IN ({placeholders})");
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&self.pool).await?;
        }
        Ok(())
    }

    /// The oldest messages not yet processed, with ids above `after`.
    pub async fn unprocessed(&self, after: i64, limit: i64) -> Result<Vec<RawMessage>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {RAW_COLUMNS} FROM raw_messages WHERE state = $1 AND id > $2
             ORDER BY id LIMIT $3"
        ))
        .bind(RawState::New.as_str())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn raw_message(&self, id: i64) -> Result<Option<RawMessage>> {
        raw_message_in(&mut *self.pool.acquire().await?, RawId(id)).await
    }

    /// Counts a failed processing attempt; returns how many there have been.
    pub async fn count_processing_failure(&self, id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "UPDATE raw_messages SET process_attempts = process_attempts + 1 WHERE id = $1
             RETURNING process_attempts",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn raw_state(&self, id: RawId) -> Result<Option<RawState>> {
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM raw_messages WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(state.and_then(|s| s.parse().ok()))
    }

    /// Messages that made no case: (Message-ID, kind, reason).
    pub async fn not_cases(&self) -> Result<Vec<(String, Option<String>, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT message_id, kind, quarantine_reason FROM raw_messages
             WHERE state IN ('ignored', 'quarantined', 'held') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn quarantined(&self) -> Result<Vec<QuarantinedMessage>> {
        Ok(sqlx::query_as(
            "SELECT id, message_id, arrived_at, size, quarantine_reason FROM raw_messages
             WHERE state = 'quarantined' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Messages held for an officer, oldest first: spam by the filter's
    /// verdict and mail that reads like no request.
    pub async fn held(&self) -> Result<Vec<HeldMessage>> {
        Ok(sqlx::query_as(
            "SELECT id, message_id, arrived_at, kind, quarantine_reason FROM raw_messages
             WHERE state = 'held' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Counts of raw messages by processing state.
    pub async fn raw_states(&self) -> Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as(
                "SELECT state, COUNT(*) FROM raw_messages GROUP BY state ORDER BY state",
            )
            .fetch_all(&self.pool)
            .await?,
        )
    }
}

const RAW_COLUMNS: &str = "id, sha256, message_id, source, mailbox, uidvalidity, uid, arrived_at, \
     size, bytes, state, kind, case_id, quarantine_reason";

async fn insert_raw(
    conn: &mut AnyConnection,
    m: &NewRawMessage,
    now: jiff::Timestamp,
) -> Result<Option<i64>> {
    let state = if m.quarantine_reason.is_some() {
        RawState::Quarantined
    } else {
        RawState::New
    };
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO raw_messages (sha256, message_id, source, mailbox, uidvalidity, uid,
             arrived_at, size, bytes, state, quarantine_reason, stored_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (mailbox, uidvalidity, uid) DO NOTHING
         RETURNING id",
    )
    .bind(&m.sha256)
    .bind(&m.message_id)
    .bind(m.source.as_str())
    .bind(&m.mailbox)
    .bind(m.uidvalidity)
    .bind(m.uid)
    .bind(to_secs(m.arrived_at))
    .bind(i64::try_from(m.bytes.len()).unwrap_or(i64::MAX))
    .bind(&m.bytes)
    .bind(state.as_str())
    .bind(&m.quarantine_reason)
    .bind(to_secs(now))
    .fetch_optional(&mut *conn)
    .await
    .context("storing a raw message")?;
    Ok(id)
}
