//! A local Maildir as the source of mail, for servers whose MTA delivers
//! locally and for a first run with no mail server. The same rule as IMAP:
//! store first, process, and only then move the file out of `new/` — into
//! `cur/`, or into the `.Quarantine` folder for mail that cannot be read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use tokio::sync::watch;
use tracing::{info, warn};

use super::{process, sleep_or_stop, Context};
use crate::core::case::RawState;
use crate::mail::raw::{sha256_hex, stored_message_id};
use crate::store::NewRawMessage;

/// How often `new/` is read.
pub const POLL: Duration = Duration::from_secs(5);

pub async fn run(ctx: &Context, mut stop: watch::Receiver<bool>) -> Result<()> {
    ctx.metrics.set_leader(true);
    loop {
        match ingest_pass(ctx).await {
            Ok(n) if n > 0 => info!(messages = n, "maildir pass"),
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "maildir pass failed"),
        }
        if sleep_or_stop(&mut stop, POLL).await {
            return Ok(());
        }
    }
}

fn maildir(ctx: &Context) -> Result<&Path> {
    ctx.config
        .source
        .maildir
        .as_deref()
        .context("no [source] maildir configured")
}

/// Stores every file in `new/`, processes it, and files it away; returns
/// how many messages were new to the database. A file left in `new/` by a
/// crash is found again and only filed away.
pub async fn ingest_pass(ctx: &Context) -> Result<usize> {
    let root = maildir(ctx)?;
    let mut stored = Vec::new();
    let mut new = 0;
    for path in new_files(root)? {
        let (id, is_new) = store_file(ctx, &path).await?;
        new += usize::from(is_new);
        stored.push((path, id));
    }
    process::process_pending(ctx).await?;
    for (path, id) in stored {
        file_away(ctx, root, &path, id).await?;
    }
    ctx.metrics.messages_ingested.inc_by(new as u64);
    ctx.metrics.polled(ctx.now());
    Ok(new)
}

fn new_files(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("new");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read maildir {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    // Maildir names start with the delivery time: oldest first.
    files.sort();
    Ok(files)
}

/// Stores one file (idempotent: the same bytes are one row). Returns the
/// raw message id and whether it was new.
async fn store_file(ctx: &Context, path: &Path) -> Result<(i64, bool)> {
    let meta = std::fs::metadata(path)?;
    let arrived_at = meta
        .modified()
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .unwrap_or_else(|| ctx.now());
    let cap = ctx.config.intake.max_message_bytes;
    let (bytes, quarantine_reason) = if meta.len() > cap {
        (
            read_head(path, 64 * 1024)?,
            Some(format!(
                "message is {} bytes, over the {cap}-byte limit ([intake] max_message_bytes); only its start was kept",
                meta.len()
            )),
        )
    } else {
        (std::fs::read(path)?, None)
    };
    let sha256 = sha256_hex(&bytes);
    ctx.store
        .store_raw(
            &NewRawMessage {
                message_id: stored_message_id(&bytes, &sha256),
                sha256,
                bytes,
                source: crate::core::case::Source::Maildir,
                mailbox: None,
                uidvalidity: None,
                uid: None,
                arrived_at,
                quarantine_reason,
            },
            ctx.now(),
        )
        .await
}

fn read_head(path: &Path, n: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)?.take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Moves a file out of `new/` once its message has been processed.
async fn file_away(ctx: &Context, root: &Path, path: &Path, id: i64) -> Result<()> {
    let Some(state) = ctx.store.raw_state(crate::core::case::RawId(id)).await? else {
        return Ok(());
    };
    let folder = match state {
        RawState::New => return Ok(()),
        RawState::Quarantined => root.join(".Quarantine"),
        _ => root.to_path_buf(),
    };
    // A Maildir++ folder needs all three directories to be one.
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(folder.join(sub))?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Moving into cur/ with the Seen flag is how a Maildir says "read".
    let name = if name.contains(":2,") {
        name
    } else {
        format!("{name}:2,S")
    };
    std::fs::rename(path, folder.join("cur").join(name))
        .with_context(|| format!("moving {}", path.display()))?;
    Ok(())
}
