//! Draft replies with their files, and approval codes — of which only the
//! hashes are ever stored.

use anyhow::{anyhow, bail, Context, Result};
use sqlx::AnyConnection;

use super::{from_secs, to_secs};
use crate::core::case::{
    AttachmentMeta, CaseId, CodeId, DraftAttachment, DraftSnapshot, DraftState, StoredCode,
};
use crate::core::plan::{NewCode, NewDraft};

pub async fn insert_draft(
    conn: &mut AnyConnection,
    case: CaseId,
    draft: &NewDraft,
    now: jiff::Timestamp,
) -> Result<()> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO drafts (case_id, version, body, content_sha256, created_by, created_at,
             state, refusal, outcomes_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(case.0)
    .bind(i64::from(draft.version))
    .bind(&draft.letter)
    .bind(&draft.sha256)
    .bind(&draft.created_by)
    .bind(to_secs(now))
    .bind(DraftState::Pending.as_str())
    .bind(i64::from(draft.refusal))
    .bind(serde_json::to_string(&draft.outcomes)?)
    .fetch_one(&mut *conn)
    .await
    .with_context(|| format!("recording draft {} of case {case}", draft.version))?;
    for (position, a) in draft.attachments.iter().enumerate() {
        sqlx::query(
            "INSERT INTO draft_attachments (draft_id, position, filename, content_type, size,
                 sha256, bytes, findings_json)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(&a.meta.filename)
        .bind(&a.meta.content_type)
        .bind(i64::try_from(a.meta.size).unwrap_or(i64::MAX))
        .bind(&a.meta.sha256)
        .bind(&a.bytes)
        .bind(a.findings.as_ref().map(serde_json::to_string).transpose()?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn set_draft_state(
    conn: &mut AnyConnection,
    case: CaseId,
    version: u32,
    state: DraftState,
) -> Result<()> {
    sqlx::query("UPDATE drafts SET state = $1 WHERE case_id = $2 AND version = $3")
        .bind(state.as_str())
        .bind(case.0)
        .bind(i64::from(version))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct DraftRow {
    id: i64,
    version: i64,
    body: String,
    content_sha256: String,
    created_by: String,
    created_at: i64,
    state: String,
    refusal: i64,
    outcomes_json: String,
}

/// The case's latest draft, with its files.
pub async fn latest_draft(conn: &mut AnyConnection, case: CaseId) -> Result<Option<DraftSnapshot>> {
    let row: Option<DraftRow> = sqlx::query_as(
        "SELECT id, version, body, content_sha256, created_by, created_at, state, refusal,
             outcomes_json
         FROM drafts WHERE case_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(case.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    type FileRow = (String, String, i64, String, Vec<u8>, Option<String>);
    let files: Vec<FileRow> = sqlx::query_as(
        "SELECT filename, content_type, size, sha256, bytes, findings_json FROM draft_attachments
         WHERE draft_id = $1 ORDER BY position",
    )
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(DraftSnapshot {
        version: u32::try_from(row.version).context("draft version")?,
        state: row
            .state
            .parse()
            .map_err(|_| anyhow!("draft of case {case}: unknown state {:?}", row.state))?,
        created_by: row.created_by,
        created_at: from_secs(row.created_at),
        letter: row.body,
        sha256: row.content_sha256,
        refusal: row.refusal != 0,
        outcomes: serde_json::from_str(&row.outcomes_json)
            .with_context(|| format!("outcomes of a draft of case {case}"))?,
        attachments: files
            .into_iter()
            .map(|(filename, content_type, size, sha256, bytes, findings)| {
                let findings = findings
                    .map(|j| serde_json::from_str(&j))
                    .transpose()
                    .with_context(|| format!("findings of {filename} in a draft of case {case}"))?;
                Ok(DraftAttachment {
                    meta: AttachmentMeta {
                        filename,
                        content_type,
                        size: u64::try_from(size).unwrap_or(0),
                        sha256,
                    },
                    bytes,
                    findings,
                })
            })
            .collect::<Result<_>>()?,
    }))
}

pub async fn insert_code(conn: &mut AnyConnection, case: CaseId, code: &NewCode) -> Result<CodeId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO approval_codes (case_id, draft_version, approver, code_sha256, issued_at,
             expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(case.0)
    .bind(i64::from(code.draft_version))
    .bind(&code.approver)
    .bind(&code.code_sha256)
    .bind(to_secs(code.issued_at))
    .bind(to_secs(code.expires_at))
    .fetch_one(&mut *conn)
    .await
    .context("issuing an approval code")?;
    Ok(CodeId(id))
}

/// An `approval_codes` row as read.
type CodeRow = (i64, i64, String, String, i64, i64, Option<i64>);

/// Every code issued on a case, for every draft.
pub async fn codes(conn: &mut AnyConnection, case: CaseId) -> Result<Vec<StoredCode>> {
    let rows: Vec<CodeRow> = sqlx::query_as(
        "SELECT id, draft_version, approver, code_sha256, issued_at, expires_at, used_at
         FROM approval_codes WHERE case_id = $1 ORDER BY id",
    )
    .bind(case.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(
            |(id, version, approver, code_sha256, issued, expires, used)| {
                Ok(StoredCode {
                    id: CodeId(id),
                    case,
                    draft_version: u32::try_from(version).context("draft version")?,
                    approver,
                    code_sha256,
                    issued_at: from_secs(issued),
                    expires_at: from_secs(expires),
                    used_at: used.map(from_secs),
                })
            },
        )
        .collect()
}

/// Marks a code used. Fails if it already was: a code is good for one
/// approval, even when two instances see it at once.
pub async fn use_code(conn: &mut AnyConnection, code: CodeId, now: jiff::Timestamp) -> Result<()> {
    let done =
        sqlx::query("UPDATE approval_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(to_secs(now))
            .bind(code.0)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if done != 1 {
        bail!("approval code {code} was already used");
    }
    Ok(())
}

/// The reference of the case a code hash belongs to, if any.
pub async fn case_of_code(conn: &mut AnyConnection, code_sha256: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT c.reference FROM approval_codes a JOIN cases c ON c.id = a.case_id
         WHERE a.code_sha256 = $1",
    )
    .bind(code_sha256)
    .fetch_optional(&mut *conn)
    .await?)
}
