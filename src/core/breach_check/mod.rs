//! The breach check: every attachment of a draft is looked inside before
//! an approver sees the preview, so hidden data (a hidden sheet of staff
//! names, a pivot cache of deleted rows, an author property, GPS in a
//! photo) and personal data in plain sight are found while the reply can
//! still be stopped. A finding names the file and where in it; a draft
//! with findings cannot be approved unless the approver overrides them
//! with a reason.
//!
//! Pure: bytes and limits in, findings out. Hostile files are bounded by
//! [`Limits`] (sizes, entries, compression ratio, XML depth, cells); a
//! file that breaks a limit or cannot be read is itself a finding, never
//! a pass. The daemon adds a wall-clock timeout around the call.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

mod archive;
pub mod clean;
mod image;
mod odf;
mod ooxml;
mod pdf;
pub mod personal_data;
mod text;

use serde::{Deserialize, Serialize};

use super::letters::Attachment;

pub use personal_data::Thresholds;

/// What was found.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FindingKind {
    HiddenSheet,
    VeryHiddenSheet,
    HiddenRows,
    HiddenColumns,
    HiddenSlide,
    HiddenText,
    HiddenName,
    PivotCache,
    ExternalData,
    Comments,
    SpeakerNotes,
    TrackedChanges,
    EmbeddedObject,
    Macros,
    DocumentProperties,
    Annotations,
    UnappliedRedaction,
    TextUnderBox,
    EarlierRevisions,
    ImageMetadata,
    GpsLocation,
    EmailAddresses,
    PhoneNumbers,
    NiNumbers,
    NhsNumbers,
    PostcodesWithNames,
    DatesOfBirth,
    StaffNumbers,
    PeoplesNames,
    /// A file foid cannot look inside (a legacy binary format, an archive,
    /// an encrypted document).
    NotInspectable,
    /// Damaged, or not what its name says.
    Unreadable,
    /// Bigger, deeper or more compressed than the configured limits.
    LimitExceeded,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How the finding reads in a preview.
    pub fn label(self) -> &'static str {
        use FindingKind::*;
        match self {
            HiddenSheet => "hidden sheet",
            VeryHiddenSheet => "very hidden sheet",
            HiddenRows => "hidden rows",
            HiddenColumns => "hidden columns",
            HiddenSlide => "hidden slide",
            HiddenText => "hidden text",
            HiddenName => "hidden defined name",
            PivotCache => "pivot cache",
            ExternalData => "external data connection",
            Comments => "comments",
            SpeakerNotes => "speaker notes",
            TrackedChanges => "tracked changes",
            EmbeddedObject => "embedded object",
            Macros => "macros",
            DocumentProperties => "document properties",
            Annotations => "annotations",
            UnappliedRedaction => "redaction not applied",
            TextUnderBox => "text under a drawn box",
            EarlierRevisions => "earlier revisions",
            ImageMetadata => "image metadata",
            GpsLocation => "GPS location",
            EmailAddresses => "email addresses",
            PhoneNumbers => "phone numbers",
            NiNumbers => "National Insurance numbers",
            NhsNumbers => "NHS numbers",
            PostcodesWithNames => "postcodes next to names",
            DatesOfBirth => "dates of birth",
            StaffNumbers => "staff or payroll numbers",
            PeoplesNames => "people's names",
            NotInspectable => "cannot be inspected",
            Unreadable => "unreadable",
            LimitExceeded => "over the inspection limits",
        }
    }
}

/// One thing found in one attachment, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub file: String,
    pub kind: FindingKind,
    /// Where in the file: a sheet and cell range, a part, a property, a page.
    pub location: String,
    pub detail: String,
}

impl Finding {
    /// The finding as one line of a preview or an answer.
    pub fn line(&self) -> String {
        format!(
            "{}: {} in {}: {}",
            self.file,
            self.kind.label(),
            self.location,
            self.detail
        )
    }
}

/// An attachment with what the check found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub attachment: Attachment,
    pub findings: Vec<Finding>,
}

/// A draft's attachment after `#clean`: the cleaned copy (checked again)
/// with what was taken out, or the original with why it was not cleaned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanedAttachment {
    /// The SHA-256 of the attachment it was made from.
    pub original_sha256: String,
    pub checked: Checked,
    pub removed: Vec<String>,
    pub not_cleaned: Option<String>,
}

/// Bounds on the work one attachment may cause, so a hostile file gives a
/// finding instead of exhausting the machine.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// An attachment bigger than this is not opened.
    pub max_file_bytes: u64,
    /// Total bytes unpacked from one archive (xlsx, docx, ods, …).
    pub max_unpacked_bytes: u64,
    /// Unpacked to packed ratio above which an entry is taken for a bomb
    /// (checked once an entry has unpacked more than 1 MiB).
    pub max_compression_ratio: u64,
    pub max_entries: usize,
    pub max_xml_depth: usize,
    /// Spreadsheet cells read, over all sheets.
    pub max_cells: u64,
    /// Bytes of shared strings kept to resolve cells.
    pub max_shared_strings_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 128 * MIB,
            max_unpacked_bytes: 1024 * MIB,
            max_compression_ratio: 200,
            max_entries: 10_000,
            max_xml_depth: 256,
            max_cells: 20_000_000,
            max_shared_strings_bytes: 256 * MIB,
        }
    }
}

const MIB: u64 = 1024 * 1024;

/// What the check needs to know besides the file.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub limits: Limits,
    pub thresholds: Thresholds,
    /// Addresses that are meant to be in replies (the FOI mailbox, a
    /// published team address); compared without letter case.
    pub allowed_addresses: Vec<String>,
}

/// What a file is, from its first bytes (the name and content type are
/// only the sender's word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Zip,
    Pdf,
    Jpeg,
    Png,
    Tiff,
    Webp,
    LegacyOffice,
    Text,
    Binary,
}

pub(crate) fn sniff(bytes: &[u8]) -> Format {
    match bytes {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Format::Zip,
        [b'%', b'P', b'D', b'F', ..] => Format::Pdf,
        [0xFF, 0xD8, 0xFF, ..] => Format::Jpeg,
        [0x89, b'P', b'N', b'G', ..] => Format::Png,
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => Format::Tiff,
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Format::Webp,
        [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, ..] => Format::LegacyOffice,
        _ if text::looks_like_text(bytes) => Format::Text,
        _ => Format::Binary,
    }
}

/// Inspects one attachment. Never panics on hostile input; a file that
/// cannot be read to the end gives a finding saying why.
pub fn inspect(filename: &str, bytes: &[u8], policy: &Policy) -> Vec<Finding> {
    let mut out = Findings::new(filename);
    if bytes.len() as u64 > policy.limits.max_file_bytes {
        out.push(
            FindingKind::LimitExceeded,
            "the whole file",
            format!(
                "{} bytes, over the limit of {} ([breach_check.limits] max_file_bytes)",
                bytes.len(),
                policy.limits.max_file_bytes
            ),
        );
        return out.list;
    }
    let mut scan = personal_data::Scanner::new(policy);
    match sniff(bytes) {
        Format::Zip => archive::inspect_package(bytes, policy, &mut out, &mut scan),
        Format::Pdf => pdf::inspect(bytes, &policy.limits, &mut out, &mut scan),
        Format::Jpeg | Format::Png | Format::Tiff | Format::Webp => image::inspect(bytes, &mut out),
        Format::LegacyOffice => out.push(
            FindingKind::NotInspectable,
            "the whole file",
            "a legacy binary Office file (.xls, .doc, .ppt), which foid cannot look inside: save it as .xlsx, .docx or PDF and attach that".into(),
        ),
        Format::Text => text::inspect(filename, bytes, &mut scan),
        Format::Binary => out.push(
            FindingKind::NotInspectable,
            "the whole file",
            "not a format foid can look inside (Office Open XML, OpenDocument, PDF, CSV, text, JPEG, PNG, TIFF, WebP)".into(),
        ),
    }
    out.list.extend(scan.finish(filename));
    out.list
}

/// Findings of one file as they are gathered.
pub(crate) struct Findings {
    pub(crate) file: String,
    pub(crate) list: Vec<Finding>,
}

impl Findings {
    pub(crate) fn new(file: &str) -> Self {
        Findings {
            file: file.to_string(),
            list: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, kind: FindingKind, location: &str, detail: String) {
        self.list.push(Finding {
            file: self.file.clone(),
            kind,
            location: location.to_string(),
            detail,
        });
    }

    /// A read that stopped early, as a finding.
    pub(crate) fn problem(&mut self, location: &str, problem: Problem) {
        match problem {
            Problem::Limit(why) => self.push(FindingKind::LimitExceeded, location, why),
            Problem::Corrupt(why) => self.push(FindingKind::Unreadable, location, why),
        }
    }
}

/// Why a read stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    Limit(String),
    Corrupt(String),
}

/// Joins up to `max` items, saying how many more there were.
pub(crate) fn some_of(items: &[String], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    let mut s = shown.join(", ");
    if items.len() > max {
        s.push_str(&format!(" and {} more", items.len() - max));
    }
    s
}

/// The first `n` characters of a text, for a detail line.
pub(crate) fn excerpt(text: &str, n: usize) -> String {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() <= n {
        t
    } else {
        let cut: String = t.chars().take(n).collect();
        format!("{cut}…")
    }
}
