//! The mail-parser adapter: raw RFC 5322 bytes -> [`IncomingMessage`], and
//! the whole intake reading of one message ([`parse_request`], what
//! `foid parse FILE.eml --json` prints).
//!
//! Hostile input is expected. Limits are checked before mail-parser sees the
//! bytes where mail-parser itself could be hurt (a chain of thousands of
//! nested `message/rfc822` parts overflows the stack when the parsed tree is
//! dropped), and after parsing for the rest. Every refusal is a
//! [`MessageError`], whose text is the quarantine reason.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Address, Encoding, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;

use crate::core::intake::{self, IncomingMessage, IntakePolicy, Kind, Requester};
use crate::core::letters::Attachment;
use crate::core::questions::{self, Question, Questions};
use crate::core::{html_text, message_text};

/// Whole-message backstop (the IMAP stage caps size earlier).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// The top-level header block.
pub const MAX_HEADER_BYTES: usize = 1 << 20;
/// MIME nesting (multipart and message/rfc822 levels together).
pub const MAX_MIME_DEPTH: usize = 20;
/// Upper bound on nested-message parts checked before parsing; beyond it
/// mail-parser's recursive structures are not built at all.
pub const MAX_MESSAGE_PARTS: usize = 1000;
/// Body text looked at by intake; the raw message keeps everything.
pub const MAX_BODY_TEXT_BYTES: usize = 1 << 20;

/// Why a message cannot be read; the text is the quarantine reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("empty message")]
    Empty,
    #[error("message too large: {size} bytes (limit {limit})")]
    TooLarge { size: usize, limit: usize },
    #[error("header block too large: more than {limit} bytes")]
    HeaderTooLarge { limit: usize },
    #[error("MIME structure nested too deeply: {depth} levels (limit {limit})")]
    TooDeeplyNested { depth: usize, limit: usize },
    #[error("too many embedded messages: at least {count} (limit {limit})")]
    TooManyParts { count: usize, limit: usize },
    #[error("unparseable: no RFC 5322 header block")]
    Unparseable,
    #[error("no From address")]
    NoFrom,
    #[error("the mail parser failed on this message")]
    ParserFailed,
}

impl MessageError {
    /// A short stable code for metrics and the quarantine table.
    pub fn code(&self) -> &'static str {
        match self {
            MessageError::Empty => "empty",
            MessageError::TooLarge { .. } => "too_large",
            MessageError::HeaderTooLarge { .. } => "header_too_large",
            MessageError::TooDeeplyNested { .. } => "mime_too_deep",
            MessageError::TooManyParts { .. } => "too_many_parts",
            MessageError::Unparseable => "unparseable",
            MessageError::NoFrom => "no_from",
            MessageError::ParserFailed => "parser_failed",
        }
    }
}

/// What intake makes of one message: the JSON of `foid parse --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedRequest {
    pub kind: Kind,
    pub kind_reasons: Vec<String>,
    pub case_ref: Option<String>,
    pub requester: Requester,
    /// The server's arrival time (never the sender's Date header).
    pub received_at: Option<jiff::Timestamp>,
    pub questions: Vec<Question>,
    pub notes: Vec<String>,
}

/// Read, classify and split one raw message.
pub fn parse_request(
    raw: &[u8],
    policy: &IntakePolicy,
    received_at: Option<jiff::Timestamp>,
) -> Result<ParsedRequest, MessageError> {
    let msg = read_message(raw)?;
    let classification = intake::classify(&msg, policy);
    let requester = intake::requester_of(&msg);
    // Questions only for mail a person wrote to us about a request.
    let split = match classification.kind {
        Kind::Review => questions::review_request(&msg.new_text),
        Kind::Sar => questions::subject_access_request(&msg.new_text),
        Kind::Foi | Kind::Eir | Kind::Correspondence | Kind::Unclear => {
            questions::split_questions(&msg.new_text)
        }
        Kind::Command | Kind::AutoReply | Kind::Bounce | Kind::Bulk | Kind::Spam => {
            Questions::default()
        }
    };
    Ok(ParsedRequest {
        kind: classification.kind,
        kind_reasons: classification.reasons,
        case_ref: classification.case_ref,
        requester,
        received_at,
        questions: split.questions,
        notes: split.notes,
    })
}

/// Parse raw bytes into the plain data intake works on.
pub fn read_message(raw: &[u8]) -> Result<IncomingMessage, MessageError> {
    prescan(raw)?;
    // mail-parser promises not to panic; should it ever, that one message is
    // quarantined instead of the process going down. (Under cargo-fuzz the
    // panic hook aborts first, so fuzzing still reports it.)
    std::panic::catch_unwind(|| read_checked(raw)).unwrap_or(Err(MessageError::ParserFailed))
}

fn read_checked(raw: &[u8]) -> Result<IncomingMessage, MessageError> {
    let fixed = super::quirks::for_parser(raw);
    let message = MessageParser::default()
        .parse(&fixed[..])
        .ok_or(MessageError::Unparseable)?;
    if message.parts.is_empty() {
        return Err(MessageError::Unparseable);
    }
    let depth = mime_depth(&message, MAX_MIME_DEPTH);
    if depth > MAX_MIME_DEPTH {
        return Err(MessageError::TooDeeplyNested {
            depth,
            limit: MAX_MIME_DEPTH,
        });
    }

    let from = message.from().and_then(Address::first);
    // Checked below: only a delivery report may come without one.
    let from_email = from
        .and_then(|a| a.address())
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| !a.is_empty());
    let from_name = from
        .and_then(|a| a.name())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());

    let headers = raw_headers(&message, raw);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let return_path = header("Return-Path").map(|v| {
        v.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim()
            .to_ascii_lowercase()
    });
    let original_message_id = header("X-Microsoft-Original-Message-ID")
        .map(bracketed)
        .filter(|s| s.len() > 2);

    let (content_type, report_type) = match message.content_type() {
        Some(ct) => (
            format!(
                "{}/{}",
                ct.ctype().to_ascii_lowercase(),
                ct.subtype().unwrap_or("").to_ascii_lowercase()
            ),
            ct.attribute("report-type").map(str::to_ascii_lowercase),
        ),
        None => ("text/plain".to_string(), None),
    };
    // Delivery reports often come from the null sender (`From:
    // MAILER-DAEMON <>`): normal for them, and they still reach their case
    // by the headers they quote. Anything else needs a From.
    if from_email.is_none() && !(content_type == "multipart/report" || report_type.is_some()) {
        return Err(MessageError::NoFrom);
    }
    let has_delivery_status = report_type.as_deref() == Some("delivery-status")
        || message.parts.iter().any(|p| {
            p.content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("message")
                    && ct.subtype().is_some_and(|s| {
                        s.eq_ignore_ascii_case("delivery-status")
                            || s.eq_ignore_ascii_case("global-delivery-status")
                    })
            })
        });

    let full_text = truncate(body_text(&message), MAX_BODY_TEXT_BYTES);
    let body = message_text::extract(&full_text);

    Ok(IncomingMessage {
        from_name,
        from_email,
        reply_to: message
            .reply_to()
            .and_then(Address::first)
            .and_then(|a| a.address())
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| a.contains('@')),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        subject: message.subject().unwrap_or("").trim().to_string(),
        message_id: message.message_id().map(bracketed),
        original_message_id,
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        headers,
        return_path,
        content_type,
        has_delivery_status,
        new_text: body.new_text,
        full_text,
        forwarded_request: body.forwarded_request,
        attachment_names: message
            .attachments
            .iter()
            .filter_map(|id| message.parts.get(*id as usize))
            .filter_map(|p| p.attachment_name())
            .map(str::to_string)
            .collect(),
        attachments: attachments(&message, raw),
    })
}

/// The files sent with a message, byte for byte: top-level attachments
/// only (what is inside an attached message stays inside it), without the
/// inline images of a signature. Text files are taken from the raw part and
/// only their transfer encoding undone, so that a CSV in any charset stays
/// exactly as the sender's file.
fn attachments(message: &Message<'_>, raw: &[u8]) -> Vec<Attachment> {
    message
        .attachments
        .iter()
        .filter_map(|id| message.parts.get(*id as usize))
        .filter(|p| !is_inline_image(p))
        .filter_map(|p| {
            let content_type = p
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into())
                .to_ascii_lowercase();
            let bytes = match &p.body {
                PartType::Text(_) | PartType::Html(_) => {
                    let body = raw.get(p.offset_body as usize..p.offset_end as usize)?;
                    match p.encoding {
                        Encoding::Base64 => base64_decode(body)?,
                        Encoding::QuotedPrintable => quoted_printable_decode(body)?,
                        Encoding::None => body.to_vec(),
                    }
                }
                PartType::Multipart(_) => return None,
                _ => p.contents().to_vec(),
            };
            let filename = p
                .attachment_name()
                .map(sanitise_filename)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "attachment".to_string());
            Some(Attachment {
                filename,
                content_type,
                bytes,
            })
        })
        .collect()
}

/// An image shown in the body (an Outlook signature logo), not a file.
fn is_inline_image(p: &mail_parser::MessagePart<'_>) -> bool {
    let inline = p
        .content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"));
    let image = p
        .content_type()
        .is_some_and(|c| c.ctype().eq_ignore_ascii_case("image"));
    inline && image && p.content_id().is_some()
}

/// A file name with no path and no control characters.
fn sanitise_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(200)
        .collect()
}

/// Checks made on the raw bytes before parsing.
fn prescan(raw: &[u8]) -> Result<(), MessageError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(MessageError::Empty);
    }
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(MessageError::TooLarge {
            size: raw.len(),
            limit: MAX_MESSAGE_BYTES,
        });
    }
    let header_end = find(raw, b"\n\n")
        .into_iter()
        .chain(find(raw, b"\n\r\n"))
        .min()
        .unwrap_or(raw.len());
    if header_end > MAX_HEADER_BYTES {
        return Err(MessageError::HeaderTooLarge {
            limit: MAX_HEADER_BYTES,
        });
    }
    // Every nested message is a message/rfc822 (or message/global) part, or
    // a part of a multipart/digest: count those, generously.
    let (mut embedded, mut digest) = (0, false);
    for m in NESTING.find_iter(raw) {
        if m.as_bytes().eq_ignore_ascii_case(b"multipart/digest") {
            digest = true;
        } else {
            embedded += 1;
        }
    }
    if digest {
        embedded += raw
            .split(|b| *b == b'\n')
            .filter(|line| line.starts_with(b"--"))
            .count();
    }
    if embedded > MAX_MESSAGE_PARTS {
        return Err(MessageError::TooManyParts {
            count: embedded,
            limit: MAX_MESSAGE_PARTS,
        });
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The content types that nest messages: one pass over the raw bytes
/// (a literal search, vectorised), where three byte-by-byte scans were.
static NESTING: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
    #[allow(clippy::expect_used)] // a constant pattern, covered by the tests
    regex::bytes::Regex::new(r"(?i-u)message/rfc822|message/global|multipart/digest")
        .expect("valid constant regex")
});

/// MIME nesting depth (the top level is 1), walking the parsed tree without
/// recursion; stops counting once past `limit`.
fn mime_depth(message: &Message<'_>, limit: usize) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&Message<'_>, u32, usize)> = vec![(message, 0, 1)];
    let mut visited = 0usize;
    while let Some((m, id, depth)) = stack.pop() {
        visited += 1;
        max = max.max(depth);
        if max > limit || visited > 200_000 {
            return max;
        }
        let Some(part) = m.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Multipart(children) => {
                for child in children {
                    // Children come after their parent; anything else is malformed.
                    if *child > id {
                        stack.push((m, *child, depth + 1));
                    }
                }
            }
            PartType::Message(inner) => stack.push((inner, 0, depth + 1)),
            _ => {}
        }
    }
    max
}

/// The top-level headers in order, unfolded, as raw (undecoded) text.
fn raw_headers(message: &Message<'_>, raw: &[u8]) -> Vec<(String, String)> {
    message
        .headers()
        .iter()
        .map(|h| {
            let value = raw
                .get(h.offset_start as usize..h.offset_end as usize)
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let unfolded = value
                .split(['\r', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            (h.name.as_str().to_string(), unfolded)
        })
        .collect()
}

fn bracketed(id: &str) -> String {
    format!("<{}>", id.trim().trim_matches(['<', '>']).trim())
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![bracketed(t)],
        HeaderValue::TextList(list) => list.iter().map(|t| bracketed(t)).collect(),
        _ => Vec::new(),
    }
}

fn addresses(address: Option<&Address<'_>>) -> Vec<String> {
    address
        .map(|a| {
            a.iter()
                .filter_map(|addr| addr.address())
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The body as text: the plain-text parts, or the HTML converted when that
/// is all there is (or the plain part is empty).
fn body_text(message: &Message<'_>) -> String {
    let collect = |ids: &[u32]| -> String {
        let mut out = String::new();
        for id in ids {
            let Some(part) = message.parts.get(*id as usize) else {
                continue;
            };
            let text = match &part.body {
                PartType::Text(t) => {
                    let ct = part.content_type();
                    let attr = |name: &str| ct.and_then(|c| c.attribute(name));
                    if attr("format").is_some_and(|f| f.eq_ignore_ascii_case("flowed")) {
                        let delsp = attr("delsp").is_some_and(|d| d.eq_ignore_ascii_case("yes"));
                        message_text::unflow(t, delsp)
                    } else {
                        t.to_string()
                    }
                }
                PartType::Html(h) => html_text::html_to_text(h),
                _ => continue,
            };
            if text.trim().is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&text);
            if out.len() > MAX_BODY_TEXT_BYTES {
                break;
            }
        }
        out
    };
    let text = collect(&message.text_body);
    if text.trim().is_empty() {
        collect(&message.html_body)
    } else {
        text
    }
}

fn truncate(mut s: String, limit: usize) -> String {
    if s.len() > limit {
        let mut end = limit;
        while end > 0 && !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn policy() -> IntakePolicy {
        IntakePolicy::new(
            "foi@council.test",
            "council.test",
            &["officer1@council.test"],
        )
    }

    #[test]
    fn reads_a_plain_message() {
        let raw = b"From: \"Jo Bloggs\" <Jo@Example.com>\r\nTo: foi@council.test\r\nSubject: FOI request\r\nMessage-ID: <abc@example.com>\r\nReturn-Path: <>\r\nIn-Reply-To: <x@council.test>\r\n\r\n1. How many?\r\n2. How much?\r\n\r\nSent from my iPhone\r\n";
        let m = read_message(raw).unwrap();
        assert_eq!(m.from_email.as_deref(), Some("jo@example.com"));
        assert_eq!(m.from_name.as_deref(), Some("Jo Bloggs"));
        assert_eq!(m.message_id.as_deref(), Some("<abc@example.com>"));
        assert_eq!(m.in_reply_to, ["<x@council.test>"]);
        assert_eq!(m.return_path.as_deref(), Some(""));
        assert_eq!(m.new_text, "1. How many?\n2. How much?");
        assert_eq!(m.to, ["foi@council.test"]);
    }

    #[test]
    fn refusals() {
        assert_eq!(read_message(b"").unwrap_err(), MessageError::Empty);
        assert_eq!(read_message(b" \r\n").unwrap_err(), MessageError::Empty);
        assert_eq!(
            read_message(b"Subject: x\r\n\r\nbody").unwrap_err(),
            MessageError::NoFrom
        );
        let mut big = b"From: a@b.test\r\nX-Big: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEADER_BYTES + 10));
        big.extend(b"\r\n\r\nbody");
        assert_eq!(
            read_message(&big).unwrap_err(),
            MessageError::HeaderTooLarge {
                limit: MAX_HEADER_BYTES
            }
        );
    }

    fn nested_multipart(levels: usize) -> Vec<u8> {
        let mut s = String::from("From: a@b.test\r\nSubject: x\r\n");
        for i in 0..levels {
            s.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
            ));
        }
        s.push_str("Content-Type: text/plain\r\n\r\nhello\r\n");
        for i in (0..levels).rev() {
            s.push_str(&format!("--b{i}--\r\n"));
        }
        s.into_bytes()
    }

    fn nested_rfc822(levels: usize) -> Vec<u8> {
        let mut s = String::from("From: a@b.test\r\nSubject: x\r\n");
        for _ in 0..levels {
            s.push_str("Content-Type: message/rfc822\r\n\r\nFrom: c@d.test\r\n");
        }
        s.push_str("Content-Type: text/plain\r\n\r\nhello\r\n");
        s.into_bytes()
    }

    #[test]
    fn nesting_limits() {
        assert!(read_message(&nested_multipart(5)).is_ok());
        assert!(matches!(
            read_message(&nested_multipart(50)).unwrap_err(),
            MessageError::TooDeeplyNested { .. }
        ));
        assert!(matches!(
            read_message(&nested_multipart(5000)).unwrap_err(),
            MessageError::TooDeeplyNested { .. }
        ));
        assert!(matches!(
            read_message(&nested_rfc822(30)).unwrap_err(),
            MessageError::TooDeeplyNested { .. }
        ));
        // Deep enough to overflow the stack if it were ever parsed.
        assert!(matches!(
            read_message(&nested_rfc822(50_000)).unwrap_err(),
            MessageError::TooManyParts { .. }
        ));
    }

    #[test]
    fn html_only_body_is_converted() {
        let raw = b"From: a@b.test\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p class=MsoNormal>1. How many?</p><p class=MsoNormal>2. How much &pound;?</p></body></html>\r\n";
        let m = read_message(raw).unwrap();
        assert_eq!(m.new_text, "1. How many?\n2. How much £?");
    }

    #[test]
    fn parse_request_json_shape() {
        let raw = b"From: Jo <jo@example.com>\r\nSubject: Re: [FOI-2026-00042] Potholes\r\n\r\nThanks, 2024 please.\r\n";
        let p = parse_request(
            raw,
            &policy(),
            Some("2026-03-02T10:00:00Z".parse().unwrap()),
        )
        .unwrap();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["kind"], "correspondence");
        assert_eq!(v["case_ref"], "FOI-2026-00042");
        assert_eq!(v["received_at"], "2026-03-02T10:00:00Z");
        assert_eq!(v["requester"]["identity"], "jo@example.com");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "kind",
            "kind_reasons",
            "case_ref",
            "requester",
            "received_at",
            "questions",
            "notes",
        ] {
            assert!(keys.contains(&k), "{k}");
        }
        let p = parse_request(raw, &policy(), None).unwrap();
        assert!(serde_json::to_value(&p).unwrap()["received_at"].is_null());
    }
}
