//! `foid import`: past mail (.eml files, directories of them, mbox files)
//! through the same storage and processing as live mail, so a council can
//! load earlier years for history and repeat detection. Outgoing mail is
//! held, not sent, unless `--send` is given.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::{process, Context};
use crate::config::Config;
use crate::mail::mbox;
use crate::mail::raw::{sha256_hex, stored_message_id};
use crate::store::{NewRawMessage, Store};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub files: usize,
    pub messages: usize,
    pub already_known: usize,
    pub processed: usize,
}

pub async fn run(
    config: &Config,
    store: &Store,
    paths: &[PathBuf],
    send: bool,
) -> Result<ImportSummary> {
    let mut ctx = Context::new(config.clone(), store.clone()).await?;
    ctx.hold_outgoing = !send;
    let summary = import_paths(&ctx, paths).await?;
    println!(
        "imported {} message(s) from {} file(s) ({} already known); {} processed; outgoing mail {}",
        summary.messages,
        summary.files,
        summary.already_known,
        summary.processed,
        if send {
            "queued to send"
        } else {
            "held (use --send to send it)"
        }
    );
    Ok(summary)
}

pub async fn import_paths(ctx: &Context, paths: &[PathBuf]) -> Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, &mut files)?;
    }
    for file in &files {
        summary.files += 1;
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let mtime = std::fs::metadata(file)
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| jiff::Timestamp::try_from(t).ok());
        let messages = if mbox::is_mbox(&bytes) {
            mbox::split(&bytes)
        } else {
            vec![bytes]
        };
        for message in messages {
            let sha256 = sha256_hex(&message);
            let arrived_at = arrival_time(&message)
                .or(mtime)
                .unwrap_or_else(|| ctx.now());
            let (_, new) = ctx
                .store
                .store_raw(
                    &NewRawMessage {
                        message_id: stored_message_id(&message, &sha256),
                        sha256,
                        bytes: message,
                        source: crate::core::case::Source::Import,
                        mailbox: None,
                        uidvalidity: None,
                        uid: None,
                        arrived_at,
                        quarantine_reason: None,
                    },
                    ctx.now(),
                )
                .await?;
            summary.messages += 1;
            if !new {
                summary.already_known += 1;
            }
        }
    }
    summary.processed = process::process_pending(ctx).await?;
    Ok(summary)
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            let name = entry
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            if entry.is_dir() {
                collect_files(&entry, out)?;
            } else if name.ends_with(".eml") || name.ends_with(".mbox") || !name.contains('.') {
                out.push(entry);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// When the council's mail system received it: the newest `Received:`
/// header (added by the last hop, the council's own server), else the Date
/// header for mail that has none.
pub fn arrival_time(message: &[u8]) -> Option<jiff::Timestamp> {
    let fixed = crate::mail::quirks::for_parser(message);
    let headers = mail_parser::MessageParser::new().parse_headers(&fixed[..])?;
    let received = headers.received().and_then(|r| r.date());
    let date = received.or_else(|| headers.date().copied())?;
    jiff::Timestamp::from_second(date.to_timestamp()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_prefers_received_header() {
        let m = b"Received: from mx by council.test; Fri, 27 Nov 2026 23:30:00 +0000\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: x\r\n\r\nbody\r\n";
        assert_eq!(
            arrival_time(m).map(|t| t.to_string()),
            Some("2026-11-27T23:30:00Z".to_string())
        );
    }
}
