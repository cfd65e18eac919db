//! The IMAP ingest stage. Each UID window is stored with the mailbox
//! checkpoint in one transaction; only after that commit, and after the
//! processing stage has decided what each message is, is it moved out of
//! the inbox. A crash anywhere repeats at most a move, never a case.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use futures::TryStreamExt;
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

use super::{process, sleep_or_stop, Context};
use crate::config::Imap;
use crate::core::case::RawState;
use crate::mail::imap::{uid_set, ImapConnection};
use crate::mail::raw::{sha256_hex, stored_message_id};
use crate::store::{Checkpoint, Lease, NewRawMessage};

/// Reconnect delays: exponential from 1 s to 2 minutes, each jittered by
/// ±50% so that a fleet of daemons does not reconnect in step.
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    pub fn new() -> Backoff {
        Backoff { attempt: 0 }
    }
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
    /// The delay before the next attempt: 1 s doubling to 2 minutes, each
    /// jittered by ±50%, never under 1 s.
    pub fn next_delay(&mut self) -> Duration {
        use rand::Rng;
        let base = 2f64.powi(self.attempt.min(7) as i32).min(120.0);
        self.attempt = self.attempt.saturating_add(1);
        let jitter = rand::thread_rng().gen_range(0.5..1.5);
        Duration::from_secs_f64((base * jitter).max(1.0))
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

/// The name of the singleton lease on a mailbox.
pub fn mailbox_lease(mailbox: &str) -> String {
    format!("mailbox {mailbox}")
}

/// How often a standby instance tries for a lease another holds: a
/// killed leader's lock goes with its connection, so the standby takes
/// over within this (well inside 30 seconds).
pub const STANDBY_RETRY: Duration = Duration::from_secs(5);

/// Runs until `stop` turns true: connect, drain, wait (IDLE or poll),
/// reconnecting with backoff after any error. Only while holding the
/// mailbox lease, re-checked on every turn of the loop.
pub async fn run(ctx: &Context, mut stop: watch::Receiver<bool>) -> Result<()> {
    let cfg = ctx
        .config
        .imap
        .as_ref()
        .ok_or_else(|| anyhow!("no [imap] configured"))?;
    let mut backoff = Backoff::new();
    let mut standing_by = false;
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let Some(mut lease) = ctx.store.lease(&mailbox_lease(&cfg.mailbox)).await? else {
            if ctx.metrics.is_leader() || !standing_by {
                info!(mailbox = %cfg.mailbox, "another instance polls this mailbox; standing by");
            }
            ctx.metrics.set_leader(false);
            standing_by = true;
            if sleep_or_stop(&mut stop, STANDBY_RETRY).await {
                return Ok(());
            }
            continue;
        };
        if standing_by {
            info!(mailbox = %cfg.mailbox, "took over the mailbox lease");
        }
        standing_by = false;
        ctx.metrics.set_leader(true);
        let result = session(ctx, cfg, &mut stop, &mut backoff, &mut lease).await;
        // Given up before the wait below: another instance may take over.
        drop(lease);
        ctx.metrics.set_leader(false);
        match result {
            Ok(()) => return Ok(()),
            Err(e) => {
                ctx.metrics.imap_reconnects.inc();
                let text = format!("{e:#}");
                let delay = backoff
                    .next_delay()
                    .max(crate::mail::imap::suggested_backoff(&text).unwrap_or_default());
                warn!(error = %text, retry_in = ?delay, "IMAP session failed; reconnecting");
                if sleep_or_stop(&mut stop, delay).await {
                    return Ok(());
                }
            }
        }
    }
}

/// One pass without waiting: for `foid run --once` and tests.
pub async fn run_pass(ctx: &Context) -> Result<()> {
    let cfg = ctx
        .config
        .imap
        .as_ref()
        .ok_or_else(|| anyhow!("no [imap] configured"))?;
    let mut conn = ImapConnection::connect(cfg).await?;
    let mut folders = Folders::ensure(&mut conn, cfg).await?;
    let (_keep, never) = watch::channel(false);
    drain(ctx, cfg, &mut conn, &mut folders, &never).await?;
    conn.logout().await;
    Ok(())
}

/// Where processed and quarantined mail is moved. A folder that cannot be
/// created or moved into never stops intake: requests still become cases
/// and are acknowledged, their messages wait in the inbox, and the folder
/// is tried again after 30 seconds, doubling to 30 minutes.
struct Folders {
    processed: Folder,
    quarantine: Folder,
}

struct Folder {
    configured: String,
    state: FolderState,
}

enum FolderState {
    Ready(String),
    Unavailable { retry_at: Instant, failures: u32 },
}

impl Folders {
    async fn ensure(conn: &mut ImapConnection, cfg: &Imap) -> Result<Folders> {
        let mut folders = Folders {
            processed: Folder::new(&cfg.processed_folder),
            quarantine: Folder::new(&cfg.quarantine_folder),
        };
        folders.processed.ready(conn).await?;
        folders.quarantine.ready(conn).await?;
        Ok(folders)
    }
}

impl Folders {
    /// How long until an unavailable folder is due to be tried again: a
    /// wait for new mail must not outlast it, or the mail waiting in the
    /// inbox would wait for the next request to arrive.
    fn retry_in(&self) -> Option<Duration> {
        [&self.processed, &self.quarantine]
            .iter()
            .filter_map(|f| match f.state {
                FolderState::Unavailable { retry_at, .. } => {
                    Some(retry_at.saturating_duration_since(Instant::now()))
                }
                FolderState::Ready(_) => None,
            })
            .min()
    }

    /// Tries every unavailable folder that is due; whether one came back.
    async fn retry_due(&mut self, conn: &mut ImapConnection) -> Result<bool> {
        let mut back = false;
        for folder in [&mut self.processed, &mut self.quarantine] {
            if matches!(folder.state, FolderState::Unavailable { .. }) {
                back |= folder.ready(conn).await?.is_some();
            }
        }
        Ok(back)
    }

    fn bounded(&self, wait: Duration) -> Duration {
        self.retry_in().map_or(wait, |r| wait.min(r))
    }
}

impl Folder {
    fn new(configured: &str) -> Folder {
        Folder {
            configured: configured.to_string(),
            state: FolderState::Unavailable {
                retry_at: Instant::now(),
                failures: 0,
            },
        }
    }

    /// The server's name for it, trying again when the backoff has run
    /// out; `None` while it is unavailable. Errors only when the
    /// connection itself is gone.
    async fn ready(&mut self, conn: &mut ImapConnection) -> Result<Option<String>> {
        match &self.state {
            FolderState::Ready(name) => return Ok(Some(name.clone())),
            FolderState::Unavailable { retry_at, .. } if Instant::now() < *retry_at => {
                return Ok(None)
            }
            FolderState::Unavailable { .. } => {}
        }
        match conn.ensure_folder(&self.configured).await {
            Ok(name) => {
                if matches!(self.state, FolderState::Unavailable { failures, .. } if failures > 0) {
                    info!(folder = %name, "IMAP folder available again; moving the mail that waited");
                }
                self.state = FolderState::Ready(name.clone());
                Ok(Some(name))
            }
            Err(e) => {
                self.failed(conn, &e).await?;
                Ok(None)
            }
        }
    }

    /// Records a refusal (reported at ERROR with the server's answer) and
    /// backs off; a connection that no longer answers is an error.
    async fn failed(&mut self, conn: &mut ImapConnection, e: &anyhow::Error) -> Result<()> {
        if !conn.alive().await {
            bail!("{e:#}");
        }
        let failures = match self.state {
            FolderState::Unavailable { failures, .. } => failures + 1,
            FolderState::Ready(_) => 1,
        };
        let wait =
            Duration::from_secs(30 * 2u64.pow(failures.min(7) - 1)).min(Duration::from_secs(1800));
        error!(
            folder = %self.configured,
            error = %format!("{e:#}"),
            retry_in = ?wait,
            "IMAP folder unavailable: requests still become cases, their messages stay in the inbox until it can be used"
        );
        self.state = FolderState::Unavailable {
            retry_at: Instant::now() + wait,
            failures,
        };
        Ok(())
    }
}

async fn session(
    ctx: &Context,
    cfg: &Imap,
    stop: &mut watch::Receiver<bool>,
    backoff: &mut Backoff,
    lease: &mut Lease,
) -> Result<()> {
    let mut conn = ImapConnection::connect(cfg).await?;
    info!(
        host = %cfg.connection.host,
        idle = conn.features.idle,
        r#move = conn.features.r#move,
        separator = %conn.delimiter,
        "IMAP connected"
    );
    let mut folders = Folders::ensure(&mut conn, cfg).await?;
    loop {
        // Mail that arrives during a drain (after its SELECT) is announced
        // to this session with the responses to FETCH or MOVE, which nobody
        // reads, and not again in the IDLE that follows: it would wait for
        // the next mail or the IDLE re-issue. So drain again until a drain
        // finds nothing new; only then wait.
        lease.check().await.context("the mailbox lease")?;
        while drain(ctx, cfg, &mut conn, &mut folders, stop).await? {}
        if folders.retry_due(&mut conn).await? {
            // Move what waited for it.
            continue;
        }
        // A session that got this far is healthy: start backing off afresh.
        backoff.reset();
        if *stop.borrow() {
            conn.logout().await;
            return Ok(());
        }
        // A shared lease is re-checked often, IDLE or not.
        let recheck = lease.recheck_within();
        let bounded = |wait: Duration| recheck.map_or(wait, |r| wait.min(r));
        if conn.features.idle && cfg.use_idle {
            let wait = bounded(
                folders.bounded(conn.wait_within_login(Duration::from_secs(cfg.idle_minutes * 60))),
            );
            let (next, stopped) = conn.idle_wait(wait, stop).await?;
            conn = next;
            if stopped {
                conn.logout().await;
                return Ok(());
            }
        } else {
            let wait = bounded(
                folders.bounded(conn.wait_within_login(Duration::from_secs(cfg.poll_seconds))),
            );
            if sleep_or_stop(stop, wait).await {
                conn.logout().await;
                return Ok(());
            }
        }
        if conn.login_expired() {
            // Log in again with a fresh token before the server ends the
            // session for an expired one.
            conn.logout().await;
            conn = ImapConnection::connect(cfg).await?;
            info!("IMAP session renewed with a fresh OAuth 2.0 token");
        }
    }
}

/// Fetches everything new in bounded UID windows, stores it, processes it
/// and moves it out of the inbox. A shutdown request is honoured between
/// windows, so a large backlog does not hold up SIGTERM. Returns whether
/// there was anything new to fetch.
async fn drain(
    ctx: &Context,
    cfg: &Imap,
    conn: &mut ImapConnection,
    folders: &mut Folders,
    stop: &watch::Receiver<bool>,
) -> Result<bool> {
    let mailbox_name = conn.folder(&cfg.mailbox);
    let mailbox = conn
        .session
        .select(&mailbox_name)
        .await
        .with_context(|| format!("SELECT {mailbox_name}"))?;
    let uidvalidity = i64::from(
        mailbox
            .uid_validity
            .ok_or_else(|| anyhow!("the server gave no UIDVALIDITY for {mailbox_name}"))?,
    );
    let mut checkpoint = match ctx.store.checkpoint(&cfg.mailbox).await? {
        Some(cp) if cp.uidvalidity == uidvalidity => cp,
        stored => {
            let fresh = Checkpoint {
                mailbox: cfg.mailbox.clone(),
                uidvalidity,
                last_uid: 0,
            };
            if let Some(cp) = stored {
                // The mailbox was recreated: UIDs mean nothing any more. Read
                // it all again; processing recognises mail it has seen by
                // Message-ID and content hash, so nothing is repeated.
                warn!(
                    old = cp.uidvalidity,
                    new = uidvalidity,
                    "UIDVALIDITY changed; resynchronising"
                );
                // Recorded at once, so the change is reported once even
                // while the recreated mailbox stays empty.
                ctx.store.store_fetched(&fresh, &[], ctx.now()).await?;
            }
            fresh
        }
    };
    // Whatever an earlier run stored and did not finish (a crash between
    // the commit of a window and its processing) is finished first: it must
    // not wait for new mail to arrive.
    process::process_pending(ctx).await?;
    finish_moves(ctx, cfg, conn, &mut *folders, uidvalidity).await?;

    let window = i64::from(cfg.fetch_window);
    let last_existing = match mailbox.uid_next {
        Some(next) => i64::from(next) - 1,
        None => highest_uid(conn).await?,
    };
    let mut fetched_any = false;
    while checkpoint.last_uid < last_existing && !*stop.borrow() {
        fetched_any = true;
        let start = checkpoint.last_uid + 1;
        let end = (start + window - 1).min(last_existing);
        let fetched = fetch_window(ctx, conn, &checkpoint, start, end).await?;
        checkpoint.last_uid = end;
        let stored = ctx
            .store
            .store_fetched(&checkpoint, &fetched, ctx.now())
            .await?;
        debug!(
            start,
            end,
            fetched = fetched.len(),
            stored = stored.len(),
            "window stored"
        );
        ctx.metrics.messages_ingested.inc_by(stored.len() as u64);
        process::process_pending(ctx).await?;
        finish_moves(ctx, cfg, conn, &mut *folders, uidvalidity).await?;
    }
    ctx.metrics.polled(ctx.now());
    Ok(fetched_any)
}

async fn highest_uid(conn: &mut ImapConnection) -> Result<i64> {
    let uids = conn.session.uid_search("ALL").await?;
    Ok(uids.into_iter().max().map(i64::from).unwrap_or(0))
}

/// Fetches UIDs `start..=end`: sizes first, so that an oversized message is
/// never downloaded, then the bodies with BODY.PEEK[] (never sets \Seen).
async fn fetch_window(
    ctx: &Context,
    conn: &mut ImapConnection,
    checkpoint: &Checkpoint,
    start: i64,
    end: i64,
) -> Result<Vec<NewRawMessage>> {
    let cap = ctx.config.intake.max_message_bytes;
    let range = format!("{start}:{end}");
    // Drain each FETCH stream completely before the next command.
    let sizes: Vec<(u32, u64, Option<i64>)> = conn
        .session
        .uid_fetch(&range, "(UID RFC822.SIZE INTERNALDATE)")
        .await?
        .try_filter_map(|f| async move {
            Ok(f.uid.map(|uid| {
                (
                    uid,
                    u64::from(f.size.unwrap_or(0)),
                    f.internal_date().map(|d| d.timestamp()),
                )
            }))
        })
        .try_collect()
        .await
        .context("UID FETCH sizes")?;
    // Servers may answer a range with messages outside it.
    let sizes: Vec<_> = sizes
        .into_iter()
        .filter(|(uid, _, _)| i64::from(*uid) >= start && i64::from(*uid) <= end)
        .collect();
    let (small, big): (Vec<_>, Vec<_>) = sizes.iter().partition(|(_, size, _)| *size <= cap);

    let mut bodies: HashMap<u32, Vec<u8>> = HashMap::new();
    if !small.is_empty() {
        let set = uid_set(&small.iter().map(|(uid, _, _)| *uid).collect::<Vec<_>>());
        let fetched: Vec<(u32, Vec<u8>)> = conn
            .session
            .uid_fetch(&set, "(UID BODY.PEEK[])")
            .await?
            .try_filter_map(|f| async move {
                Ok(match (f.uid, f.body()) {
                    (Some(uid), Some(body)) => Some((uid, body.to_vec())),
                    _ => None,
                })
            })
            .try_collect()
            .await
            .context("UID FETCH bodies")?;
        bodies.extend(fetched);
    }
    if !big.is_empty() {
        let set = uid_set(&big.iter().map(|(uid, _, _)| *uid).collect::<Vec<_>>());
        let fetched: Vec<(u32, Vec<u8>)> = conn
            .session
            .uid_fetch(&set, "(UID BODY.PEEK[HEADER])")
            .await?
            .try_filter_map(|f| async move {
                Ok(match (f.uid, f.header()) {
                    (Some(uid), Some(h)) => Some((uid, h.to_vec())),
                    _ => None,
                })
            })
            .try_collect()
            .await
            .context("UID FETCH headers of oversized messages")?;
        bodies.extend(fetched);
    }

    let now = ctx.now();
    let mut out = Vec::with_capacity(sizes.len());
    for (uid, size, internal) in sizes {
        let Some(bytes) = bodies.remove(&uid) else {
            // Expunged between the two fetches: nothing to store.
            continue;
        };
        let quarantine_reason = (size > cap).then(|| {
            format!(
                "message is {size} bytes, over the {cap}-byte limit ([intake] max_message_bytes); only its headers were kept"
            )
        });
        let sha256 = sha256_hex(&bytes);
        out.push(NewRawMessage {
            message_id: stored_message_id(&bytes, &sha256),
            sha256,
            bytes,
            source: crate::core::case::Source::Imap,
            mailbox: Some(checkpoint.mailbox.clone()),
            uidvalidity: Some(checkpoint.uidvalidity),
            uid: Some(i64::from(uid)),
            arrived_at: internal
                .and_then(|s| jiff::Timestamp::from_second(s).ok())
                .unwrap_or(now),
            quarantine_reason,
        });
    }
    Ok(out)
}

/// Moves stored and processed messages out of the inbox: quarantined ones
/// to the quarantine folder, the rest to the processed folder.
async fn finish_moves(
    ctx: &Context,
    cfg: &Imap,
    conn: &mut ImapConnection,
    folders: &mut Folders,
    uidvalidity: i64,
) -> Result<()> {
    let pending = ctx.store.server_pending(&cfg.mailbox).await?;
    if pending.is_empty() {
        return Ok(());
    }
    let mut stale = Vec::new();
    let mut to_processed = (Vec::new(), Vec::new());
    let mut to_quarantine = (Vec::new(), Vec::new());
    for p in pending {
        let Ok(uid) = u32::try_from(p.uid) else {
            stale.push(p.id);
            continue;
        };
        if p.uidvalidity != uidvalidity {
            // Its UID belongs to a mailbox that no longer exists.
            stale.push(p.id);
        } else if p.state() == Some(RawState::New) {
            // Not processed yet: stays in the inbox until it is.
        } else if p.state() == Some(RawState::Quarantined) {
            to_quarantine.0.push(uid);
            to_quarantine.1.push(p.id);
        } else {
            to_processed.0.push(uid);
            to_processed.1.push(p.id);
        }
    }
    ctx.store.mark_server_done(&stale).await?;
    for ((uids, ids), folder) in [
        (to_processed, &mut folders.processed),
        (to_quarantine, &mut folders.quarantine),
    ] {
        if uids.is_empty() {
            continue;
        }
        let Some(name) = folder.ready(conn).await? else {
            continue;
        };
        for chunk in uids.chunks(500).zip(ids.chunks(500)) {
            if let Err(e) = conn.move_uids(chunk.0, &name).await {
                folder.failed(conn, &e).await?;
                break;
            }
            ctx.store.mark_server_done(chunk.1).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_jittered_and_is_capped() {
        let mut b = Backoff::new();
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_secs(1) && delays[0] <= Duration::from_secs_f64(1.5));
        assert!(delays[3] >= Duration::from_secs(4) && delays[3] <= Duration::from_secs(12));
        for d in &delays {
            assert!(
                *d >= Duration::from_secs(1) && *d <= Duration::from_secs(180),
                "{d:?}"
            );
        }
        assert!(
            delays[11] >= Duration::from_secs(60),
            "capped near two minutes: {delays:?}"
        );
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs_f64(1.5));
    }
}
