//! The breach check run for the daemon: each attachment is inspected (or
//! cleaned) on a blocking thread with a wall-clock timeout, so a hostile
//! file cannot hold up intake; a check that times out or fails is a
//! finding, never a pass.

use std::sync::Arc;
use std::time::Duration;

use tracing::warn;

use crate::core::breach_check::{
    self, clean, Checked, CleanedAttachment, Finding, FindingKind, Policy,
};
use crate::core::case::DraftAttachment;
use crate::core::letters::Attachment;

fn failed(file: &str, kind: FindingKind, detail: String) -> Vec<Finding> {
    vec![Finding {
        file: file.to_string(),
        kind,
        location: "the whole file".into(),
        detail,
    }]
}

/// Runs `work` on a blocking thread within `timeout`; a panic or a
/// timeout comes back as the finding it is.
async fn bounded<T: Send + 'static>(
    timeout: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, (FindingKind, String)> {
    match tokio::time::timeout(timeout, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err((
            FindingKind::Unreadable,
            format!("the check failed on this file ({e})"),
        )),
        Err(_) => Err((
            FindingKind::LimitExceeded,
            format!(
                "the check did not finish within {} s ([breach_check] timeout_seconds)",
                timeout.as_secs()
            ),
        )),
    }
}

/// Checks each attachment.
pub async fn check(
    policy: &Arc<Policy>,
    timeout: Duration,
    attachments: &[Attachment],
) -> Vec<Checked> {
    let mut out = Vec::with_capacity(attachments.len());
    for a in attachments {
        let (name, bytes, p) = (a.filename.clone(), a.bytes.clone(), policy.clone());
        let findings =
            match bounded(timeout, move || breach_check::inspect(&name, &bytes, &p)).await {
                Ok(f) => f,
                Err((kind, why)) => {
                    warn!(file = %a.filename, %why, "attachment check stopped");
                    failed(&a.filename, kind, why)
                }
            };
        out.push(Checked {
            attachment: a.clone(),
            findings,
        });
    }
    out
}

/// Cleans each attachment of a draft and checks the copy again; one that
/// cannot be cleaned stays as it was, with its findings and the reason.
pub async fn clean_all(
    policy: &Arc<Policy>,
    timeout: Duration,
    attachments: &[DraftAttachment],
) -> Vec<CleanedAttachment> {
    let mut out = Vec::with_capacity(attachments.len());
    for a in attachments {
        let original = Attachment {
            filename: a.meta.filename.clone(),
            content_type: a.meta.content_type.clone(),
            bytes: a.bytes.clone(),
        };
        let (name, bytes, p) = (
            original.filename.clone(),
            original.bytes.clone(),
            policy.clone(),
        );
        let result = bounded(timeout, move || {
            clean::clean(&name, &bytes, &p).map(|c| {
                let findings = breach_check::inspect(&name, &c.bytes, &p);
                (c, findings)
            })
        })
        .await
        .map_err(|(_, why)| why)
        .and_then(|r| r);
        let original_sha256 = a.meta.sha256.clone();
        out.push(match result {
            Ok((cleaned, findings)) => CleanedAttachment {
                original_sha256,
                checked: Checked {
                    attachment: Attachment {
                        bytes: cleaned.bytes,
                        ..original
                    },
                    findings,
                },
                removed: cleaned.removed,
                not_cleaned: None,
            },
            Err(why) => CleanedAttachment {
                original_sha256,
                checked: Checked {
                    attachment: original,
                    findings: a.findings.clone().unwrap_or_default(),
                },
                removed: Vec::new(),
                not_cleaned: Some(why),
            },
        });
    }
    out
}
