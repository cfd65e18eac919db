//! The new text of a message body: what the sender wrote this time, without
//! quoted history, signatures, legal disclaimers or WhatDoTheyKnow's footer.
//! (HTML bodies become text first, in `html_text`.)
//!
//! Pure string functions. Everything here is panic-free on arbitrary input:
//! slicing goes through `get`/`split_at_checked` at positions found by
//! `find`/regex (always char boundaries).

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use regex::Regex;
use std::sync::LazyLock;

/// The result of [`extract`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BodyText {
    /// The sender's own new text; when they forwarded a message and asked
    /// for it to be treated as a request, the forwarded text follows it.
    pub new_text: String,
    /// Quoted history (a reply chain) was found and removed.
    pub had_quote: bool,
    /// A forwarded message was kept because the sender asked for it to be
    /// treated as a request.
    pub forwarded_request: bool,
}

/// The new text of `body` (see [`extract`]).
pub fn new_text(body: &str) -> String {
    extract(body).new_text
}

#[allow(clippy::expect_used)] // constant patterns, checked by the unit tests
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid constant regex")
}

/// Undo RFC 3676 `format=flowed` (Thunderbird and others): a line ending in
/// a space continues on the next line at the same quote depth; a leading
/// space added for stuffing is removed; with `delsp=yes` the soft-break
/// space itself goes too. The signature separator `-- ` stays a line.
pub fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<usize> = None; // quote depth of an unfinished paragraph
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let depth = line.chars().take_while(|c| *c == '>').count();
        let body = line.get(depth..).unwrap_or("");
        let body = body.strip_prefix(' ').unwrap_or(body);
        if open.is_some_and(|d| d != depth) {
            out.push('\n');
            open = None;
        }
        if open.is_none() {
            for _ in 0..depth {
                out.push('>');
            }
            if depth > 0 {
                out.push(' ');
            }
        }
        let flowed = body.ends_with(' ') && body != "-- ";
        if flowed {
            let kept = if delsp {
                body.strip_suffix(' ').unwrap_or(body)
            } else {
                body
            };
            out.push_str(kept);
            open = Some(depth);
        } else {
            out.push_str(body);
            out.push('\n');
            open = None;
        }
    }
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Line endings to `\n`, no-break and zero-width spaces dealt with, trailing
/// whitespace trimmed per line.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    for (i, line) in unified.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let cleaned: String = line
            .chars()
            .filter(|c| !matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}'))
            .map(|c| if c == '\u{a0}' { ' ' } else { c })
            .collect();
        out.push_str(cleaned.trim_end());
    }
    out
}

// ---------------------------------------------------------------------------
// Markers
// ---------------------------------------------------------------------------

static ORIGINAL_MESSAGE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*-{2,}\s*original message\s*-{2,}\s*$"));
static FORWARD_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:|-{2,}\s*forwarded by .*)\s*$",
    )
});
/// "On Tue, 3 Mar 2026 at 10:02, Jane <jane@x> wrote:" on one line.
static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*on\b.{0,300}\bwrote:\s*$"));
static ATTRIBUTION_START: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*on\s.{0,200}$"));
static WROTE_END: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^.{0,200}\bwrote:\s*$"));
/// Outlook's reply header block, possibly bolded by a plain-text conversion.
static HDR_FROM: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*\*?from:\*?\s+\S"));
static HDR_SENT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*\*?(?:sent|date):\*?\s+\S"));
static HDR_TO: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*\*?(?:to|subject|cc):\*?(?:\s|$)"));
static HDR_ANY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^\s*\*?(?:from|sent|date|to|cc|bcc|subject|importance|reply-to):\*?(?:\s|$)")
});
static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(?:_{8,}|-{8,})\s*$"));

/// Markers after which the rest is signature, device tag-line or disclaimer.
static SIGNATURE_START: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)^\s*(?:",
        r"--\s*$",
        r"|sent from my\b",
        r"|sent from (?:outlook|mail for windows|yahoo mail|gmail|my phone|samsung)",
        r"|get outlook for (?:ios|android)",
        r"|sent (?:via|with) (?:the )?(?:proton ?mail|blackberry|samsung|android|gmail)",
        r"|this (?:e-?mail|message|communication)(?: and any (?:files|attachments)[^.]*?)?(?: \(?and any attachments\)?)? (?:is|are|may be|contains?) (?:confidential|intended|private|strictly)",
        r"|this (?:e-?mail|message) and any (?:files|attachments)",
        r"|the information (?:contained )?in this (?:e-?mail|message|communication)",
        r"|confidentiality (?:notice|statement|note)",
        r"|disclaimer\s*[:\-]",
        r"|disclaimer\s*$",
        r"|important\s*[:\-] this (?:e-?mail|message)",
        r"|please consider the environment before printing",
        r"|any views or opinions (?:expressed|presented)",
        r"|if you (?:are not|have received this (?:e-?mail|message) in error)",
        r"|this email has been scanned",
        r"|registered (?:in england|office|company)",
        r"|company (?:registration )?(?:number|no\.?)\s*:?\s*\d",
        r")"
    ))
});
/// Banners the receiving mail system puts at the top of outside mail.
static EXTERNAL_BANNER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*\[?(?:caution|warning|external)\b.{0,40}(?:originated from outside|external (?:sender|email)|outside (?:of )?(?:the|this|our) organi[sz]ation)|^\s*\[external\]\s*$|^\s*this (?:e-?mail|message) originated from outside",
    )
});
/// Outlook's inline image placeholders.
static CID_PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*\[cid:[^\]]*\]\s*$|^\s*\[image\d*\.(?:png|jpg|gif)\]\s*$"));

static WDTK_REPLY_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)please use this email address for (?:all )?(?:replies|responses) to this request")
});
static WDTK_DASHES: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*-{10,}\s*$"));

/// Cover-note phrases asking the council to treat forwarded text as a request.
static TREAT_AS_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(?:",
        r"treat (?:this|it|the (?:below|following|attached|email|message|enclosed|forwarded)[a-z ]{0,20}|these|my (?:email|message))(?: email| message| below)? as (?:a |an |my )?(?:formal |new |valid )?(?:foi|freedom of information|eir|environmental|subject access|information|request|sar)",
        r"|(?:log|process|register|accept|handle|deal with|action) (?:this|the (?:below|following|forwarded)(?: email| message| request)?|it) as (?:a |an )?(?:formal |new )?(?:foi|freedom of information|eir|request|subject access)",
        r"|(?:re-?sending|resubmitting|forwarding|re-?submitting) (?:my|this|the|an?) (?:foi |freedom of information |eir |information )?request",
        r"|i (?:sent|submitted|emailed) (?:this|my|the) (?:foi |freedom of information )?request",
        r"|(?:my|the|an?) (?:foi |freedom of information |eir )?request (?:is )?(?:below|as follows)",
        r"|(?:below|following) is (?:my|a|an) (?:foi |freedom of information |eir )?request",
        r"|(?:was|is) (?:sent|intended) (?:for|to) (?:the|your) (?:foi|freedom of information|information governance)",
        // A colleague or a councillor passing a resident's request on.
        r"|(?:deal with|handle|process|action|log|answer|respond to) (?:the|this|her|his|their|a) (?:[a-z]+'s )?(?:request|email|message|enquiry|query)(?: below)? (?:under|as) (?:the |an? )?(?:foi|freedom of information|eir|environmental information)",
        r"|forwarding (?:this |it |the below |the following )?to (?:the |your )?(?:foi|freedom of information|information governance|information requests?)(?: team| inbox| mailbox| officer| address)?",
        r")"
    ))
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// "On … wrote:" attribution, `lines` long.
    Attribution { lines: usize },
    /// "-----Original Message-----", forward markers, Outlook header blocks.
    Block,
    /// A run of `>` lines.
    QuoteLines,
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn find_quote_start(lines: &[&str]) -> Option<(usize, Marker)> {
    // quoted_to_end[i]: every line from i on is blank or `>`-quoted.
    let mut quoted_to_end = vec![true; lines.len() + 1];
    for (i, line) in lines.iter().enumerate().rev() {
        let rest = quoted_to_end.get(i + 1).copied().unwrap_or(true);
        if let Some(slot) = quoted_to_end.get_mut(i) {
            *slot = rest && (line.trim().is_empty() || is_quoted(line));
        }
    }
    for (i, line) in lines.iter().enumerate() {
        if ORIGINAL_MESSAGE.is_match(line) || FORWARD_MARKER.is_match(line) {
            return Some((back_to_separator(lines, i), Marker::Block));
        }
        if ATTRIBUTION.is_match(line) {
            return Some((i, Marker::Attribution { lines: 1 }));
        }
        if ATTRIBUTION_START.is_match(line) && !line.contains("wrote") {
            if let Some(next) = lines.get(i + 1) {
                if WROTE_END.is_match(next) && line.len() + next.len() < 320 {
                    return Some((i, Marker::Attribution { lines: 2 }));
                }
            }
        }
        if HDR_FROM.is_match(line) && is_header_block(lines, i) {
            return Some((back_to_separator(lines, i), Marker::Block));
        }
        if is_quoted(line) && quoted_to_end.get(i).copied().unwrap_or(false) {
            return Some((i, Marker::QuoteLines));
        }
    }
    None
}

/// A `From:` line followed closely by `Sent:`/`Date:` and `To:`/`Subject:`.
fn is_header_block(lines: &[&str], from: usize) -> bool {
    let window = lines.iter().skip(from + 1).take(7);
    let mut sent = false;
    let mut to = false;
    for l in window {
        sent |= HDR_SENT.is_match(l);
        to |= HDR_TO.is_match(l);
    }
    sent && to
}

/// Start the cut at an Outlook separator line just above a header block.
fn back_to_separator(lines: &[&str], i: usize) -> usize {
    let mut j = i;
    while j > 0 {
        let prev = j - 1;
        match lines.get(prev) {
            Some(l) if l.trim().is_empty() => j = prev,
            Some(l) if SEPARATOR.is_match(l) => return prev,
            _ => break,
        }
    }
    i
}

/// Remove WhatDoTheyKnow's footer block ("Please use this email address for
/// all replies to this request: … Disclaimer: …") wherever it appears.
fn remove_wdtk_footer<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let mut kept: Vec<&'a str> = Vec::with_capacity(lines.len());
    let mut in_footer = false;
    for line in lines {
        if in_footer {
            // The footer ends at its closing dashed rule.
            if WDTK_DASHES.is_match(line) {
                in_footer = false;
            }
            continue;
        }
        if WDTK_REPLY_LINE.is_match(line) {
            // Drop the dashed rule above it (and blank lines between), if any.
            let blanks = kept
                .iter()
                .rev()
                .take_while(|l| l.trim().is_empty())
                .count();
            let rule_at = kept.len().checked_sub(blanks + 1);
            if let Some(at) =
                rule_at.filter(|at| kept.get(*at).is_some_and(|l| WDTK_DASHES.is_match(l)))
            {
                kept.truncate(at);
            }
            in_footer = true;
            continue;
        }
        kept.push(line);
    }
    kept
}

/// Index of the first signature / disclaimer line, if any.
fn signature_start(lines: &[&str]) -> Option<usize> {
    lines.iter().position(|l| SIGNATURE_START.is_match(l))
}

/// Drop `>` lines, external-mail banners and image placeholders; cut at the
/// signature; tidy blank lines.
fn clean_own_text(lines: &[&str]) -> String {
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut skipping_banner = false;
    for line in lines {
        if skipping_banner {
            if line.trim().is_empty() {
                skipping_banner = false;
            }
            continue;
        }
        if EXTERNAL_BANNER.is_match(line) {
            skipping_banner = true;
            continue;
        }
        if is_quoted(line) || CID_PLACEHOLDER.is_match(line) {
            continue;
        }
        kept.push(line);
    }
    if let Some(cut) = signature_start(&kept) {
        kept.truncate(cut);
    }
    tidy(&kept)
}

/// Trim leading/trailing blank lines, squeeze runs of blank lines to one.
pub(crate) fn tidy(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank_run = 0usize;
    for line in lines {
        if line.trim().is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run > 0 {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

/// Skip the forwarded message's own header lines (From:, Sent:, To:, …).
fn skip_forward_headers<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let mut i = 0;
    // The marker line itself and blank lines.
    while let Some(l) = lines.get(i) {
        if l.trim().is_empty()
            || ORIGINAL_MESSAGE.is_match(l)
            || FORWARD_MARKER.is_match(l)
            || SEPARATOR.is_match(l)
        {
            i += 1;
        } else {
            break;
        }
    }
    // Header lines, with their wrapped continuations (indented).
    let mut in_headers = false;
    while let Some(l) = lines.get(i) {
        if HDR_ANY.is_match(l) {
            in_headers = true;
            i += 1;
        } else if in_headers && !l.trim().is_empty() && l.starts_with(char::is_whitespace) {
            i += 1;
        } else {
            break;
        }
    }
    lines.iter().skip(i).copied().collect()
}

/// Remove one level of `>` quoting.
fn unquote_once(line: &str) -> &str {
    let t = line.trim_start();
    match t.strip_prefix('>') {
        Some(rest) => rest.strip_prefix(' ').unwrap_or(rest),
        None => line,
    }
}

/// The new text of a message body, with quoted history, signatures,
/// disclaimers and WhatDoTheyKnow's footer removed. A forwarded message is
/// kept when the cover note asks for it to be treated as a request.
pub fn extract(body: &str) -> BodyText {
    extract_inner(body, true)
}

fn extract_inner(body: &str, allow_forward: bool) -> BodyText {
    let text = normalise(body);
    let all: Vec<&str> = text.split('\n').collect();
    let lines = remove_wdtk_footer(&all);

    let Some((cut, marker)) = find_quote_start(&lines) else {
        return BodyText {
            new_text: clean_own_text(&lines),
            had_quote: false,
            forwarded_request: false,
        };
    };
    let above: Vec<&str> = lines.iter().take(cut).copied().collect();
    let below: Vec<&str> = lines.iter().skip(cut).copied().collect();
    let above_blank = above.iter().all(|l| l.trim().is_empty());

    // Bottom-posting: nothing above the attribution, the reply is below the
    // quoted lines.
    if above_blank {
        if let Marker::Attribution { lines: n } = marker {
            let after: Vec<&str> = below.iter().skip(n).copied().collect();
            return BodyText {
                new_text: clean_own_text(&after),
                had_quote: true,
                forwarded_request: false,
            };
        }
    }

    let cover = clean_own_text(&above);
    if allow_forward && TREAT_AS_REQUEST.is_match(&cover) {
        let body_lines: Vec<&str> = match marker {
            Marker::Attribution { lines: n } => {
                below.iter().skip(n).map(|l| unquote_once(l)).collect()
            }
            Marker::QuoteLines => below.iter().map(|l| unquote_once(l)).collect(),
            Marker::Block => {
                // Apple Mail quotes the forwarded message with `>`.
                let non_blank = below.iter().filter(|l| !l.trim().is_empty()).count();
                let quoted = below.iter().filter(|l| is_quoted(l)).count();
                if quoted * 2 > non_blank {
                    let unquoted: Vec<&str> = below.iter().map(|l| unquote_once(l)).collect();
                    skip_forward_headers(&unquoted)
                } else {
                    skip_forward_headers(&below)
                }
            }
        };
        let forwarded = extract_inner(&body_lines.join("\n"), false);
        let mut new_text = cover;
        if !forwarded.new_text.is_empty() {
            if !new_text.is_empty() {
                new_text.push_str("\n\n");
            }
            new_text.push_str(&forwarded.new_text);
        }
        return BodyText {
            new_text,
            had_quote: true,
            forwarded_request: true,
        };
    }

    BodyText {
        new_text: cover,
        had_quote: true,
        forwarded_request: false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_kept() {
        let t = extract(
            "Dear FOI team,\r\n\r\nHow many potholes were repaired in 2024?\r\n\r\nThanks\r\nJane",
        );
        assert_eq!(
            t.new_text,
            "Dear FOI team,\n\nHow many potholes were repaired in 2024?\n\nThanks\nJane"
        );
        assert!(!t.had_quote);
    }

    #[test]
    fn gt_quoting_and_attribution_removed() {
        let body = "Yes, I mean the calendar year.\n\nOn Tue, 3 Mar 2026 at 10:02, FOI Team <foi@council.test> wrote:\n> Could you clarify the period?\n>\n> FOI Team\n";
        let t = extract(body);
        assert_eq!(t.new_text, "Yes, I mean the calendar year.");
        assert!(t.had_quote);
    }

    #[test]
    fn wrapped_attribution_removed() {
        let body = "Thanks.\n\nOn Tue, 3 Mar 2026 at 10:02, FOI Team <\nfoi@council.test> wrote:\n> earlier";
        assert_eq!(new_text(body), "Thanks.");
    }

    #[test]
    fn outlook_header_block_removed() {
        let body = "Please see my answer below.\n\nKind regards\nSam\n\n________________________________\nFrom: FOI Team <foi@council.test>\nSent: 02 March 2026 09:14\nTo: Sam Smith <sam@example.org>\nSubject: FOI-2026-00042 clarification\n\nDear Sam, what period?";
        assert_eq!(
            new_text(body),
            "Please see my answer below.\n\nKind regards\nSam"
        );
    }

    #[test]
    fn original_message_marker_removed() {
        let body = "Thank you.\n\n-----Original Message-----\nFrom: FOI\nSent: Monday\nOld text";
        assert_eq!(new_text(body), "Thank you.");
    }

    #[test]
    fn bottom_posting_keeps_text_below_quote() {
        let body =
            "On Mon, 2 Mar 2026, FOI <foi@council.test> wrote:\n> Which year?\n\n2024 please.\n";
        assert_eq!(new_text(body), "2024 please.");
    }

    #[test]
    fn signatures_and_disclaimers_removed() {
        let body = "How many staff?\n\nSent from my iPhone";
        assert_eq!(new_text(body), "How many staff?");
        let body = "How many staff?\n\nJane\n-- \nJane Smith\nAcme Ltd";
        assert_eq!(new_text(body), "How many staff?\n\nJane");
        let body = "How many staff?\n\nRegards\nJ\n\nThis email and any files transmitted with it are confidential and intended solely for the addressee.";
        assert_eq!(new_text(body), "How many staff?\n\nRegards\nJ");
        let body = "Q1. Cost?\n\nDISCLAIMER: The views expressed are mine.";
        assert_eq!(new_text(body), "Q1. Cost?");
    }

    #[test]
    fn external_banner_removed() {
        let body = "CAUTION: This email originated from outside of the organisation. Do not click links.\n\nHow many staff?";
        assert_eq!(new_text(body), "How many staff?");
    }

    #[test]
    fn wdtk_footer_removed() {
        let body = "Dear Council,\n\nHow many trees?\n\nYours faithfully,\n\nJo Bloggs\n\n-------------------------------------------------------------------\n\nPlease use this email address for all replies to this request:\nfoi+request-123456-abcdef12@whatdotheyknow.com\n\nDisclaimer: This message and any reply that you make will be published on the internet.\n\n-------------------------------------------------------------------\n";
        assert_eq!(
            new_text(body),
            "Dear Council,\n\nHow many trees?\n\nYours faithfully,\n\nJo Bloggs"
        );
    }

    #[test]
    fn forwarded_request_kept_when_asked() {
        let body = "Please treat the below as an FOI request.\n\nThanks\n\n---------- Forwarded message ---------\nFrom: Jo <jo@example.com>\nDate: Mon, 2 Mar 2026 at 09:00\nSubject: Parking\nTo: <parking@council.test>\n\n1. How many PCNs?\n2. How much income?\n\nSent from my iPhone";
        let t = extract(body);
        assert!(t.forwarded_request);
        assert_eq!(
            t.new_text,
            "Please treat the below as an FOI request.\n\nThanks\n\n1. How many PCNs?\n2. How much income?"
        );
    }

    #[test]
    fn forwarded_fyi_is_dropped() {
        let body = "FYI\n\n---------- Forwarded message ---------\nFrom: Jo <jo@example.com>\nDate: Mon\nSubject: x\nTo: y\n\nold stuff";
        let t = extract(body);
        assert!(!t.forwarded_request);
        assert_eq!(t.new_text, "FYI");
    }

    #[test]
    fn format_flowed_is_undone() {
        let flowed = "Could you tell me how many \r\npotholes were filled?\r\n\r\n> quoted \r\n> text\r\n-- \r\nJo";
        assert_eq!(
            unflow(flowed, false),
            "Could you tell me how many potholes were filled?\n\n> quoted text\n-- \nJo"
        );
        assert_eq!(unflow("ab \r\ncd", true), "abcd");
        assert_eq!(unflow(" From the start", false), "From the start");
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in [
            "<",
            "<<>>",
            "<!--",
            "<a href='>",
            "&#xFFFFFFFF;",
            "&#;",
            "<ol start=99999999999>",
            "<li>",
            "</ol></ol></ul>",
            "é<é>é",
            "<p class=\"",
            "\u{0}<\u{0}>",
        ] {
            let _ = extract(s);
        }
    }
}
