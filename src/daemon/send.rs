//! The send stage: outbox rows go out over SMTP exactly as rendered, a copy
//! is appended to the Sent folder, and the row is marked sent. Temporary
//! failures retry with backoff; permanent ones are recorded on the case.

use std::time::Duration;

use anyhow::{Context as _, Result};
use serde_json::json;
use tokio::sync::watch;
use tracing::{info, warn};

use super::{sleep_or_stop, Context};
use crate::mail::imap::ImapConnection;
use crate::mail::smtp::{SendError, SmtpSender};
use crate::store::{self, OutboxMessage};

/// After this many attempts a temporary failure is treated as permanent.
pub const MAX_ATTEMPTS: i64 = 12;

const POLL: Duration = Duration::from_secs(5);

pub async fn run(ctx: &Context, mut stop: watch::Receiver<bool>) -> Result<()> {
    if ctx.config.smtp.is_none() {
        info!("no [smtp] configured: outgoing mail stays in the outbox");
        let _ = stop.wait_for(|s| *s).await;
        return Ok(());
    }
    loop {
        if let Err(e) = send_due(ctx, &stop).await {
            warn!(error = %format!("{e:#}"), "sending failed");
        }
        if sleep_or_stop(&mut stop, POLL).await {
            return Ok(());
        }
    }
}

/// The delay before attempt `n + 1`: 1, 2, 4 … minutes, at most 2 hours.
pub fn retry_delay(attempts: i64) -> Duration {
    let minutes = 1u64 << attempts.clamp(0, 7);
    Duration::from_secs(minutes.min(120) * 60)
}

/// Sends everything due; returns how many were sent.
pub async fn send_due(ctx: &Context, stop: &watch::Receiver<bool>) -> Result<usize> {
    let Some(smtp) = &ctx.config.smtp else {
        return Ok(0);
    };
    let sender = SmtpSender::new(smtp, &ctx.config.council.domain)?;
    let mut sent_folder: Option<(ImapConnection, String)> = None;
    let mut sent = 0;
    loop {
        if *stop.borrow() {
            return Ok(sent);
        }
        let batch = ctx.store.claim_outbox(ctx.now(), 20).await?;
        if batch.is_empty() {
            break;
        }
        for m in batch {
            if m.attempts > 1 && already_in_sent_folder(ctx, &mut sent_folder, &m).await {
                // Sent before a crash took the record with it.
                ctx.store.outbox_sent(m.id, ctx.now()).await?;
                continue;
            }
            match sender
                .send(&m.envelope_from, &m.recipients(), &m.bytes)
                .await
            {
                Ok(()) => {
                    copy_to_sent(ctx, &mut sent_folder, &m).await;
                    ctx.store.outbox_sent(m.id, ctx.now()).await?;
                    sent += 1;
                    info!(message_id = %m.message_id, purpose = %m.purpose, "sent");
                }
                Err(SendError::Temporary(e)) if m.attempts < MAX_ATTEMPTS => {
                    let retry_at = ctx.now() + retry_delay(m.attempts);
                    warn!(message_id = %m.message_id, error = %e, %retry_at, "temporary send failure");
                    ctx.store.outbox_retry(m.id, &e, retry_at).await?;
                }
                Err(e) => {
                    let e = e.to_string();
                    warn!(message_id = %m.message_id, error = %e, "giving up on message");
                    ctx.store.outbox_failed(m.id, &e).await?;
                    if let Some(case_id) = m.case_id {
                        let mut tx = ctx.store.begin().await?;
                        store::add_event(
                            &mut tx,
                            case_id,
                            ctx.now(),
                            "foid",
                            "send_failed",
                            &json!({ "message_id": m.message_id, "purpose": m.purpose, "error": e }),
                        )
                        .await?;
                        tx.commit().await?;
                    }
                }
            }
        }
    }
    if let Some((conn, _)) = sent_folder {
        conn.logout().await;
    }
    Ok(sent)
}

async fn sent_connection<'a>(
    ctx: &Context,
    slot: &'a mut Option<(ImapConnection, String)>,
) -> Option<&'a mut (ImapConnection, String)> {
    let imap = ctx.config.imap.as_ref()?;
    if slot.is_none() {
        let opened = async {
            let mut conn = ImapConnection::connect(imap).await?;
            let folder = conn.ensure_folder(&imap.sent_folder).await?;
            Ok::<_, anyhow::Error>((conn, folder))
        }
        .await;
        match opened {
            Ok(c) => *slot = Some(c),
            Err(e) => {
                warn!(error = %format!("{e:#}"), "cannot open the Sent folder");
                return None;
            }
        }
    }
    slot.as_mut()
}

async fn copy_to_sent(
    ctx: &Context,
    slot: &mut Option<(ImapConnection, String)>,
    m: &OutboxMessage,
) {
    if let Some((conn, folder)) = sent_connection(ctx, slot).await {
        let folder = folder.clone();
        if let Err(e) = conn.append(&folder, &m.bytes).await {
            warn!(error = %format!("{e:#}"), "cannot append to the Sent folder");
            *slot = None;
        }
    }
}

async fn already_in_sent_folder(
    ctx: &Context,
    slot: &mut Option<(ImapConnection, String)>,
    m: &OutboxMessage,
) -> bool {
    let Some((conn, folder)) = sent_connection(ctx, slot).await else {
        return false;
    };
    let folder = folder.clone();
    let found = async {
        conn.session.select(&folder).await?;
        let id = m.message_id.replace('"', "");
        let hits = conn
            .session
            .uid_search(format!("HEADER Message-ID \"{id}\""))
            .await
            .context("searching the Sent folder")?;
        Ok::<_, anyhow::Error>(!hits.is_empty())
    }
    .await;
    match found {
        Ok(found) => found,
        Err(e) => {
            warn!(error = %format!("{e:#}"), "cannot search the Sent folder");
            *slot = None;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::retry_delay;
    use std::time::Duration;

    #[test]
    fn retry_delays_grow_and_stop_growing() {
        assert_eq!(retry_delay(0), Duration::from_secs(60));
        assert_eq!(retry_delay(3), Duration::from_secs(8 * 60));
        assert_eq!(retry_delay(20), Duration::from_secs(120 * 60));
    }
}
