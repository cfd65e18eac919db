//! The send stage: outbox rows go out over SMTP exactly as rendered, a copy
//! without secrets is appended to the Sent folder, and the row is marked
//! sent. Temporary failures retry with backoff; an unreachable server holds
//! the whole queue without spending attempts; permanent failures are
//! recorded on the case and the team told.
//!
//! It resumes its own unfinished work whatever woke it: claims left by a
//! crashed run are released at start (SQLite, one instance), or on
//! PostgreSQL as soon as the claimant's instance lease is seen free (else
//! when the claim hold expires), a row sent before a crash is found in the Sent folder
//! instead of being sent twice, and copies to the Sent folder that were
//! still to make are made on every pass.

use std::time::Duration;

use anyhow::Result;
use tokio::sync::watch;
use tracing::{info, warn};

use super::{apply, Context};
use crate::core::workflow;
use crate::mail::imap::ImapConnection;
use crate::mail::smtp::{SendError, SmtpSender};
use crate::store::{Backend, OutboxMessage};

/// After this many attempts a temporary failure is treated as permanent.
pub const MAX_ATTEMPTS: i64 = 12;

/// The longest the stage sleeps without looking at the outbox (a row queued
/// by another instance does not wake this one).
const IDLE: Duration = Duration::from_secs(60);
const SHARED_IDLE: Duration = Duration::from_secs(10);

/// How long to wait before trying an unreachable server again: 5 s,
/// doubling, at most 30 s, so mail goes soon after the server is back.
fn unavailable_backoff(failures: u32) -> Duration {
    Duration::from_secs((5u64 << failures.min(3)).min(30))
}

pub async fn run(ctx: &Context, mut stop: watch::Receiver<bool>) -> Result<()> {
    if ctx.config.smtp.is_none() {
        info!("no [smtp] configured: outgoing mail stays in the outbox");
        let _ = stop.wait_for(|s| *s).await;
        return Ok(());
    }
    if ctx.store.backend() == Backend::Sqlite {
        let released = ctx.store.release_claims(ctx.now()).await?;
        if released > 0 {
            info!(released, "released outbox claims left by an earlier run");
        }
    }
    let mut failures = 0;
    loop {
        match ctx.store.release_dead_claims(ctx.now()).await {
            Ok(0) => {}
            Ok(n) => info!(
                released = n,
                "released the outbox claims of an instance that is gone"
            ),
            Err(e) => warn!(error = %format!("{e:#}"), "cannot check other instances' claims"),
        }
        let wait = match send_due(ctx, &stop).await {
            Ok(Pass::Done) => {
                failures = 0;
                until_next_attempt(ctx).await
            }
            Ok(Pass::ServerUnavailable) => {
                failures += 1;
                unavailable_backoff(failures - 1)
            }
            Err(e) => {
                warn!(error = %format!("{e:#}"), "sending failed");
                failures += 1;
                unavailable_backoff(failures - 1)
            }
        };
        tokio::select! {
            _ = ctx.sender_wakeup.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|s| *s) => return Ok(()),
        }
        if *stop.borrow() {
            return Ok(());
        }
    }
}

/// How long until the next queued row is due, at most [`IDLE`] (on a
/// shared database [`SHARED_IDLE`]: another instance may have died with
/// rows claimed, or queued mail and gone).
async fn until_next_attempt(ctx: &Context) -> Duration {
    let idle = match ctx.store.backend() {
        Backend::Postgres => SHARED_IDLE,
        Backend::Sqlite => IDLE,
    };
    match ctx.store.next_outbox_attempt().await {
        Ok(Some(at)) => {
            let secs = (at.as_second() - ctx.now().as_second()).max(1);
            Duration::from_secs(secs as u64).min(idle)
        }
        Ok(None) => idle,
        Err(e) => {
            warn!(error = %format!("{e:#}"), "cannot read the outbox");
            unavailable_backoff(0)
        }
    }
}

/// The delay before attempt `n + 1`: 1, 2, 4 … minutes, at most 2 hours.
pub fn retry_delay(attempts: i64) -> Duration {
    let minutes = 1u64 << attempts.clamp(0, 7);
    Duration::from_secs(minutes.min(120) * 60)
}

/// How a pass over the outbox ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Nothing due is left.
    Done,
    /// The SMTP server could not be reached; the rest waits for it.
    ServerUnavailable,
}

/// Sends everything due, then makes the Sent-folder copies still owed.
pub async fn send_due(ctx: &Context, stop: &watch::Receiver<bool>) -> Result<Pass> {
    let Some(smtp) = &ctx.config.smtp else {
        return Ok(Pass::Done);
    };
    let sender = SmtpSender::new(smtp, &ctx.config.council.domain)?;
    let mut sent_folder = SentFolder::default();
    let pass = send_queued(ctx, stop, &sender, &mut sent_folder).await;
    let copied = copy_owed(ctx, stop, &mut sent_folder).await;
    sent_folder.close().await;
    let pass = pass?;
    copied?;
    Ok(pass)
}

async fn send_queued(
    ctx: &Context,
    stop: &watch::Receiver<bool>,
    sender: &SmtpSender,
    sent_folder: &mut SentFolder,
) -> Result<Pass> {
    loop {
        let batch = ctx.store.claim_outbox(&ctx.instance, ctx.now(), 20).await?;
        if batch.is_empty() {
            return Ok(Pass::Done);
        }
        let mut rest = batch.into_iter();
        while let Some(m) = rest.next() {
            if *stop.borrow() {
                unclaim_all(ctx, std::iter::once(m).chain(rest), "stopping").await?;
                return Ok(Pass::Done);
            }
            if m.attempts > 1 && sent_folder.holds(ctx, &m).await {
                // Sent before a crash took the record of it.
                info!(message_id = %m.message_id, "already in the Sent folder: not sent again");
                ctx.store.outbox_sent(m.id(), ctx.now()).await?;
                ctx.store.outbox_copied(m.id()).await?;
                continue;
            }
            match sender
                .send(&m.envelope_from, &m.recipients(), &m.bytes)
                .await
            {
                Ok(()) => {
                    ctx.store.outbox_sent(m.id(), ctx.now()).await?;
                    ctx.metrics.mail_sent.inc();
                    info!(message_id = %m.message_id, purpose = %m.purpose, "sent");
                    if sent_folder.append(ctx, m.keepable_bytes()).await {
                        ctx.store.outbox_copied(m.id()).await?;
                    }
                }
                Err(SendError::Unavailable(e)) => {
                    // The stage waits, not the rows: they stay due, so they
                    // go in the order queued once the server is back.
                    warn!(error = %e, "SMTP server unavailable: the outbox waits");
                    ctx.metrics.send_failures.inc();
                    unclaim_all(ctx, std::iter::once(m).chain(rest), &e).await?;
                    return Ok(Pass::ServerUnavailable);
                }
                Err(SendError::Temporary(e)) if m.attempts < MAX_ATTEMPTS => {
                    let retry_at = ctx.now() + retry_delay(m.attempts);
                    warn!(message_id = %m.message_id, error = %e, %retry_at, "temporary send failure");
                    ctx.metrics.send_failures.inc();
                    ctx.store.outbox_retry(m.id(), &e, retry_at).await?;
                }
                Err(e) => {
                    let e = e.to_string();
                    warn!(message_id = %m.message_id, error = %e, "giving up on message");
                    ctx.metrics.send_failures.inc();
                    ctx.store.outbox_failed(m.id(), &e).await?;
                    record_failure(ctx, &m, &e).await?;
                }
            }
        }
    }
}

/// Gives claimed rows back, due now, without counting the attempt.
async fn unclaim_all(
    ctx: &Context,
    rows: impl Iterator<Item = OutboxMessage>,
    why: &str,
) -> Result<()> {
    for m in rows {
        ctx.store.outbox_unclaim(m.id(), why, ctx.now()).await?;
    }
    Ok(())
}

/// A permanent failure goes on the case, and the team is told when the mail
/// was for the requester.
async fn record_failure(ctx: &Context, m: &OutboxMessage, error: &str) -> Result<()> {
    let (Some(case), Some(purpose)) = (m.case(), m.purpose()) else {
        return Ok(());
    };
    let mut tx = ctx.store.begin().await?;
    let reference = crate::store::case_reference(&mut tx, case).await?;
    let plan = workflow::plan_send_failure(
        case,
        &reference,
        &m.message_id,
        purpose,
        error,
        &ctx.config.officers.team,
    );
    let applied = apply::apply(ctx, &mut tx, &plan, None).await?;
    tx.commit().await?;
    if applied.queued > 0 {
        ctx.wake_sender();
    }
    Ok(())
}

/// Copies owed to the Sent folder (the folder was unreachable when the
/// mail went, or foid stopped between the two).
async fn copy_owed(
    ctx: &Context,
    stop: &watch::Receiver<bool>,
    sent_folder: &mut SentFolder,
) -> Result<()> {
    if ctx.config.imap.is_none() {
        return Ok(());
    }
    loop {
        let owed = ctx.store.uncopied_sent(20).await?;
        if owed.is_empty() || *stop.borrow() {
            return Ok(());
        }
        for m in owed {
            let copied = sent_folder.holds(ctx, &m).await
                || sent_folder.append(ctx, m.keepable_bytes()).await;
            if !copied {
                return Ok(());
            }
            ctx.store.outbox_copied(m.id()).await?;
        }
    }
}

/// The IMAP connection to the Sent folder, opened when first needed and
/// dropped on error (the next use reconnects).
#[derive(Default)]
struct SentFolder {
    open: Option<(ImapConnection, String)>,
    /// It failed in this pass: do not try again until the next.
    failed: bool,
}

impl SentFolder {
    async fn connection(&mut self, ctx: &Context) -> Option<(&mut ImapConnection, String)> {
        let imap = ctx.config.imap.as_ref()?;
        if self.failed {
            return None;
        }
        if self.open.is_none() {
            let opened = async {
                let mut conn = ImapConnection::connect(imap).await?;
                let folder = conn.sent_folder(imap.sent_folder.as_deref()).await?;
                Ok::<_, anyhow::Error>((conn, folder))
            }
            .await;
            match opened {
                Ok(c) => self.open = Some(c),
                Err(e) => {
                    warn!(error = %format!("{e:#}"), "cannot open the Sent folder");
                    self.failed = true;
                    return None;
                }
            }
        }
        self.open
            .as_mut()
            .map(|(conn, folder)| (conn, folder.clone()))
    }

    /// Appends a copy; false when it could not.
    async fn append(&mut self, ctx: &Context, bytes: &[u8]) -> bool {
        let Some((conn, folder)) = self.connection(ctx).await else {
            return false;
        };
        match conn.append(&folder, bytes).await {
            Ok(()) => true,
            Err(e) => {
                warn!(error = %format!("{e:#}"), "cannot append to the Sent folder");
                self.drop_connection();
                false
            }
        }
    }

    /// Whether the Sent folder already holds this message.
    async fn holds(&mut self, ctx: &Context, m: &OutboxMessage) -> bool {
        let Some((conn, folder)) = self.connection(ctx).await else {
            return false;
        };
        match conn.has_message_id(&folder, &m.message_id).await {
            Ok(found) => found,
            Err(e) => {
                warn!(error = %format!("{e:#}"), "cannot search the Sent folder");
                self.drop_connection();
                false
            }
        }
    }

    fn drop_connection(&mut self) {
        self.open = None;
        self.failed = true;
    }

    async fn close(self) {
        if let Some((conn, _)) = self.open {
            conn.logout().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::retry_delay;
    use std::time::Duration;

    #[test]
    fn an_unreachable_server_is_tried_again_within_half_a_minute() {
        let delays: Vec<u64> = (0..6)
            .map(|n| super::unavailable_backoff(n).as_secs())
            .collect();
        assert_eq!(delays, vec![5, 10, 20, 30, 30, 30]);
    }

    #[test]
    fn retry_delays_grow_and_stop_growing() {
        assert_eq!(retry_delay(0), Duration::from_secs(60));
        assert_eq!(retry_delay(3), Duration::from_secs(8 * 60));
        assert_eq!(retry_delay(20), Duration::from_secs(120 * 60));
    }
}
