//! `foid import`: past mail (.eml files, directories of them, mbox files)
//! through the same storage and processing as live mail, so a council can
//! load earlier years for history and repeat detection. Outgoing mail is
//! held, not sent, unless `--send` is given. With `--history`, requests
//! older than `[import] history_older_than_days` are recorded as closed
//! history: no acknowledgement, no case email, no clock, left out of
//! timeliness.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::{process, Context};
use crate::cli::ImportArgs;
use crate::config::Config;
use crate::mail::mbox;
use crate::mail::raw::{sha256_hex, stored_message_id};
use crate::store::{NewRawMessage, Store};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// Files read, messages found in them (an mbox holds many), stored new,
    /// and already in the database.
    pub files: usize,
    pub messages: usize,
    pub stored: usize,
    pub already_known: usize,
    pub processed: usize,
    /// Cases recorded as closed history (`--history`).
    pub history: i64,
    /// Mail-server bookkeeping passed over (Dovecot indexes, subscriptions).
    pub not_mail: usize,
    /// Files that could not be imported, and why: the import says so and
    /// exits non-zero.
    pub skipped: Vec<(PathBuf, String)>,
}

pub async fn run(config: &Config, store: &Store, args: &ImportArgs) -> Result<ImportSummary> {
    let mut ctx = Context::new(config.clone(), store.clone()).await?;
    ctx.hold_outgoing = !args.send;
    if args.history {
        let days = args
            .older_than
            .map(i64::from)
            .unwrap_or(config.import.history_older_than_days);
        ctx.history_before = Some(history_cutoff(ctx.now(), days, &ctx.tz)?);
    }
    let summary = import_paths(&ctx, &args.paths).await?;
    println!(
        "read {} file(s): {} message(s) found, {} stored, {} already known, {} processed ({} recorded as closed history); {} mail-server file(s) passed over; {} skipped; outgoing mail {}",
        summary.files,
        summary.messages,
        summary.stored,
        summary.already_known,
        summary.processed,
        summary.history,
        summary.not_mail,
        summary.skipped.len(),
        if args.send {
            "queued to send"
        } else {
            "held (use --send to send it)"
        }
    );
    for (path, why) in &summary.skipped {
        println!("skipped {}: {why}", path.display());
    }
    Ok(summary)
}

pub async fn import_paths(ctx: &Context, paths: &[PathBuf]) -> Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, &mut files)?;
    }
    for file in &files {
        if is_mail_server_file(file) {
            summary.not_mail += 1;
            continue;
        }
        summary.files += 1;
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                summary
                    .skipped
                    .push((file.clone(), format!("cannot read it: {e}")));
                continue;
            }
        };
        if let Err(why) = looks_like_mail(&bytes) {
            summary.skipped.push((file.clone(), why));
            continue;
        }
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
            if new {
                summary.stored += 1;
            } else {
                summary.already_known += 1;
            }
        }
    }
    let history_before = ctx.store.history_case_count().await?;
    summary.processed = process::process_pending(ctx).await?;
    summary.history = ctx.store.history_case_count().await? - history_before;
    Ok(summary)
}

/// The moment `days` days before `now` in the council's time zone: mail
/// that arrived earlier is history.
pub fn history_cutoff(
    now: jiff::Timestamp,
    days: i64,
    tz: &jiff::tz::TimeZone,
) -> Result<jiff::Timestamp> {
    Ok(now
        .to_zoned(tz.clone())
        .checked_sub(jiff::Span::new().days(days))
        .context("the history age reaches before the calendar")?
        .timestamp())
}

/// Every file below `path` (Maildir folders, `.Sent` subfolders and file
/// names with dots included), sorted; a Maildir's `tmp/` (deliveries in
/// progress) is left out.
fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let is_maildir = path.join("cur").is_dir() && path.join("new").is_dir();
    for entry in entries {
        if entry.is_dir() {
            if is_maildir && entry.file_name().is_some_and(|n| n == "tmp") {
                continue;
            }
            collect_files(&entry, out)?;
        } else {
            out.push(entry);
        }
    }
    Ok(())
}

/// Dovecot's and Courier's own files in a Maildir tree, and desktop litter.
fn is_mail_server_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.starts_with("dovecot")
        || name.starts_with("courier")
        || matches!(
            name.as_str(),
            "subscriptions" | "maildirfolder" | "maildirsize" | ".ds_store" | "thumbs.db"
        )
}

/// Whether the bytes are an mbox or one message; why not, when not.
fn looks_like_mail(bytes: &[u8]) -> Result<(), String> {
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err("an Outlook .msg file: open it in Outlook and save it as .eml".into());
    }
    if mbox::is_mbox(bytes) {
        return Ok(());
    }
    let head = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    let first = head.split(|b| *b == b'\n').next().unwrap_or(b"");
    let field = first
        .iter()
        .position(|b| *b == b':')
        .is_some_and(|c| c > 0 && first[..c].iter().all(|b| b.is_ascii_graphic()));
    let text = String::from_utf8_lossy(&head[..head.len().min(64 * 1024)]).to_ascii_lowercase();
    let known = [
        "\nfrom:",
        "\ndate:",
        "\nmessage-id:",
        "\nsubject:",
        "\nreceived:",
    ]
    .iter()
    .any(|h| text.contains(h) || text.starts_with(&h[1..]));
    if field && known {
        Ok(())
    } else {
        Err("does not look like a message (no header block with From, Date, Subject, Message-ID or Received)".into())
    }
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
