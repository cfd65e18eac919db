//! The new text of a message body: what the sender wrote this time, without
//! quoted history, signatures, legal disclaimers or WhatDoTheyKnow's footer.
//!
//! Pure string functions. Everything here is panic-free on arbitrary input:
//! slicing goes through `get`/`split_at_checked` at positions found by
//! `find`/regex (always char boundaries).

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use regex::Regex;
use std::borrow::Cow;
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
fn tidy(lines: &[&str]) -> String {
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

// ---------------------------------------------------------------------------
// HTML to text
// ---------------------------------------------------------------------------

#[derive(Debug)]
enum ListKind {
    Ordered { next: u32, style: char },
    Unordered,
}

/// Text output with whitespace collapsing and line-start prefixes.
#[derive(Default)]
struct TextOut {
    buf: String,
    quote_depth: usize,
    pending_prefix: String,
}

impl TextOut {
    fn at_line_start(&self) -> bool {
        self.buf.is_empty() || self.buf.ends_with('\n')
    }

    fn trim_line_end(&mut self) {
        while self.buf.ends_with(' ') || self.buf.ends_with('\t') {
            self.buf.pop();
        }
    }

    fn newline(&mut self) {
        self.trim_line_end();
        if !self.at_line_start() {
            self.buf.push('\n');
        }
    }

    /// An empty line (paragraph break), unless one is already there.
    fn blank_line(&mut self) {
        self.newline();
        if !self.buf.is_empty() && !self.buf.ends_with("\n\n") {
            self.buf.push('\n');
        }
    }

    fn hard_break(&mut self) {
        self.trim_line_end();
        self.buf.push('\n');
    }

    fn start_line(&mut self) {
        if self.at_line_start() {
            for _ in 0..self.quote_depth {
                self.buf.push_str("> ");
            }
            let prefix = std::mem::take(&mut self.pending_prefix);
            self.buf.push_str(&prefix);
        }
    }

    /// Text with HTML whitespace collapsing.
    fn text(&mut self, raw: &str, preformatted: bool) {
        if preformatted {
            for (i, part) in raw.split('\n').enumerate() {
                if i > 0 {
                    self.hard_break();
                }
                if !part.is_empty() {
                    self.start_line();
                    self.buf.push_str(&decode_entities(part));
                }
            }
            return;
        }
        let mut collapsed = String::with_capacity(raw.len());
        let mut last_space = false;
        for c in raw.chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
                if !last_space {
                    collapsed.push(' ');
                }
                last_space = true;
            } else {
                collapsed.push(c);
                last_space = false;
            }
        }
        let decoded = decode_entities(&collapsed);
        let piece: &str = if self.at_line_start() || self.buf.ends_with(' ') {
            decoded.trim_start_matches(' ')
        } else {
            &decoded
        };
        if piece.is_empty() {
            return;
        }
        self.start_line();
        self.buf.push_str(piece);
    }

    fn finish(mut self) -> String {
        self.trim_line_end();
        let lines: Vec<&str> = self.buf.split('\n').map(str::trim_end).collect();
        tidy(&lines)
    }
}

/// Block-level tags: a line break before and after.
fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "div"
            | "p"
            | "ul"
            | "ol"
            | "li"
            | "table"
            | "tr"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "dl"
            | "dt"
            | "dd"
            | "address"
            | "center"
            | "form"
            | "fieldset"
            | "nav"
            | "main"
            | "aside"
            | "figure"
            | "tbody"
            | "thead"
    )
}

/// Elements whose content is not text.
fn is_skipped_content(tag: &str) -> bool {
    matches!(
        tag,
        "head" | "style" | "script" | "title" | "template" | "xml" | "noscript"
    )
}

/// Elements with no closing tag.
fn is_void(tag: &str) -> bool {
    matches!(
        tag,
        "br" | "img"
            | "hr"
            | "meta"
            | "link"
            | "input"
            | "wbr"
            | "col"
            | "area"
            | "base"
            | "source"
    )
}

/// An element the reader never sees: `hidden`, `display:none`,
/// `visibility:hidden` or Outlook's `mso-hide:all`. Its text is not the
/// sender's visible text, so it is never read (nor a command in it).
fn is_hidden(inside: &str) -> bool {
    let style = attribute(inside, "style")
        .unwrap_or("")
        .to_ascii_lowercase()
        .replace([' ', '\t'], "");
    // The boolean `hidden` attribute, outside quoted attribute values.
    let mut unquoted = String::with_capacity(inside.len());
    let mut quote: Option<char> = None;
    for c in inside.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, c) => unquoted.push(c),
        }
    }
    let hidden_attr = unquoted
        .split(|c: char| c.is_whitespace() || c == '/')
        .skip(1)
        .any(|a| a.eq_ignore_ascii_case("hidden") || a.to_ascii_lowercase().starts_with("hidden="));
    hidden_attr
        || style.contains("display:none")
        || style.contains("visibility:hidden")
        || style.contains("mso-hide:all")
}

/// Find the `>` closing a tag, ignoring `>` inside quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"') | (None, '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a tag's inside text (lowercased match).
fn attribute<'a>(inside: &'a str, name: &str) -> Option<&'a str> {
    let lower = inside.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower.get(from..).and_then(|s| s.find(name)) {
        let at = from + pos;
        from = at + name.len();
        let before_ok = at == 0
            || lower
                .get(..at)
                .and_then(|s| s.chars().last())
                .is_some_and(|c| c.is_whitespace());
        let rest = inside.get(at + name.len()..)?.trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        if !before_ok {
            continue;
        }
        let rest = rest.trim_start();
        let (quote, body) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), rest.get(1..)?),
            _ => (None, rest),
        };
        let end = match quote {
            Some(q) => body.find(q).unwrap_or(body.len()),
            None => body
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(body.len()),
        };
        return body.get(..end);
    }
    None
}

/// Convert an HTML body to plain text: block elements become lines, list
/// items get their numbers or bullets, `<blockquote>` becomes `> ` quoting,
/// entities are decoded, head/style/script are dropped. Outlook's MsoNormal
/// paragraphs are single lines; its empty paragraphs are blank lines.
pub fn html_to_text(html: &str) -> String {
    let mut out = TextOut::default();
    let mut rest = html;
    let mut skip_depth: Vec<String> = Vec::new();
    let mut lists: Vec<ListKind> = Vec::new();
    let mut pre_depth = 0usize;
    // Output length when each open block started, to spot empty blocks.
    let mut block_marks: Vec<(String, usize)> = Vec::new();

    loop {
        let Some(lt) = rest.find('<') else {
            if skip_depth.is_empty() {
                out.text(rest, pre_depth > 0);
            }
            break;
        };
        let Some((text, after)) = rest.split_at_checked(lt) else {
            break;
        };
        if skip_depth.is_empty() && !text.is_empty() {
            out.text(text, pre_depth > 0);
        }
        // Comments.
        if let Some(comment) = after.strip_prefix("<!--") {
            rest = match comment.find("-->") {
                Some(end) => comment.get(end + 3..).unwrap_or(""),
                None => "",
            };
            continue;
        }
        let Some(end) = tag_end(after) else {
            // An unterminated tag: treat the rest as text.
            if skip_depth.is_empty() {
                out.text(after, pre_depth > 0);
            }
            break;
        };
        let inside = after.get(1..end).unwrap_or("");
        rest = after.get(end + 1..).unwrap_or("");

        let closing = inside.starts_with('/');
        let name_src = inside.trim_start_matches('/');
        let name: String = name_src
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ':' || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            // `<!DOCTYPE>`, `<![if …]>`, stray `<`: nothing to output.
            if !inside.starts_with('!') && !inside.starts_with('?') && skip_depth.is_empty() {
                out.text("<", pre_depth > 0);
                out.text(inside, pre_depth > 0);
                out.text(">", pre_depth > 0);
            }
            continue;
        }

        let self_closing = inside.ends_with('/') || is_void(&name);
        if !skip_depth.is_empty() {
            // Inside skipped content: track nesting so that the element's
            // own closing tag ends the skip, not a nested one's.
            if closing {
                if let Some(pos) = skip_depth.iter().rposition(|t| *t == name) {
                    skip_depth.truncate(pos);
                }
            } else if !self_closing {
                push_capped(&mut skip_depth, name);
            }
            continue;
        }
        if is_skipped_content(&name) || (!closing && is_hidden(inside)) {
            if !closing && !self_closing {
                push_capped(&mut skip_depth, name);
            }
            continue;
        }

        match (name.as_str(), closing) {
            ("br", _) => out.hard_break(),
            ("hr", _) => {
                out.newline();
                out.buf.push_str("________________________________");
                out.newline();
            }
            ("td" | "th", false) if !out.at_line_start() => out.buf.push_str("  "),
            ("blockquote", false) => {
                out.newline();
                out.quote_depth += 1;
            }
            ("blockquote", true) => {
                out.newline();
                out.quote_depth = out.quote_depth.saturating_sub(1);
            }
            ("pre", false) => {
                out.newline();
                pre_depth += 1;
            }
            ("pre", true) => {
                out.newline();
                pre_depth = pre_depth.saturating_sub(1);
            }
            ("ol", false) => {
                out.newline();
                let start = attribute(inside, "start")
                    .and_then(|s| s.trim().parse::<u32>().ok())
                    .unwrap_or(1);
                let style = attribute(inside, "type")
                    .and_then(|s| s.chars().next())
                    .unwrap_or('1');
                if lists.len() < 64 {
                    lists.push(ListKind::Ordered { next: start, style });
                }
            }
            ("ul", false) => {
                out.newline();
                if lists.len() < 64 {
                    lists.push(ListKind::Unordered);
                }
            }
            ("ol" | "ul", true) => {
                lists.pop();
                out.newline();
                if lists.is_empty() {
                    out.blank_line();
                }
            }
            ("li", false) => {
                out.newline();
                let indent = "   ".repeat(lists.len().saturating_sub(1));
                let marker = match lists.last_mut() {
                    Some(ListKind::Ordered { next, style }) => {
                        let n = *next;
                        *next = next.saturating_add(1);
                        match style {
                            'a' => format!("{})", letter_label(n, false)),
                            'A' => format!("{})", letter_label(n, true)),
                            'i' => format!("{})", roman_label(n, false)),
                            'I' => format!("{})", roman_label(n, true)),
                            _ => format!("{n}."),
                        }
                    }
                    Some(ListKind::Unordered) | None => "•".to_string(),
                };
                out.pending_prefix = format!("{indent}{marker} ");
            }
            ("li", true) => {
                out.pending_prefix.clear();
                out.newline();
            }
            ("p", false) => {
                let class = attribute(inside, "class").unwrap_or("");
                if class.to_ascii_lowercase().starts_with("mso") {
                    out.newline();
                } else {
                    out.blank_line();
                }
                push_capped(&mut block_marks, (name.clone(), out.buf.len()));
            }
            ("div", false) => {
                out.newline();
                push_capped(&mut block_marks, (name.clone(), out.buf.len()));
            }
            ("p" | "div", true) => {
                let started = block_marks
                    .iter()
                    .rposition(|(t, _)| *t == name)
                    .and_then(|pos| block_marks.drain(pos..).next())
                    .map(|(_, len)| len);
                if started == Some(out.buf.len()) && out.pending_prefix.is_empty() {
                    // An empty paragraph: Outlook's way of spacing paragraphs.
                    out.hard_break();
                } else {
                    out.newline();
                }
            }
            (tag, _) if is_block(tag) => out.newline(),
            _ => {}
        }
    }
    out.finish()
}

/// Open-element stacks stay small whatever the input (unclosed tags by the
/// thousand): beyond the cap, further elements are simply not tracked.
fn push_capped<T>(stack: &mut Vec<T>, item: T) {
    if stack.len() < 256 {
        stack.push(item);
    }
}

fn letter_label(n: u32, upper: bool) -> String {
    let base = if upper { b'A' } else { b'a' };
    match u8::try_from(n) {
        Ok(v) if (1..=26).contains(&v) => char::from(base + (v - 1)).to_string(),
        _ => n.to_string(),
    }
}

fn roman_label(n: u32, upper: bool) -> String {
    const TABLE: [(u32, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    if n == 0 || n > 3999 {
        return n.to_string();
    }
    let mut left = n;
    let mut s = String::new();
    for (value, digits) in TABLE {
        while left >= value {
            s.push_str(digits);
            left -= value;
        }
    }
    if upper {
        s.to_ascii_uppercase()
    } else {
        s
    }
}

/// Named entities worth knowing in mail bodies.
fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "nbsp" => ' ',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "pound" => '£',
        "euro" => '€',
        "cent" => '¢',
        "yen" => '¥',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "middot" => '·',
        "bull" => '•',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "laquo" => '«',
        "raquo" => '»',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "sect" => '§',
        "para" => '¶',
        "shy" => '\u{ad}',
        "ensp" | "emsp" | "thinsp" => ' ',
        "zwnj" | "zwj" => '\u{200c}',
        "eacute" => 'é',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "aacute" => 'á',
        "agrave" => 'à',
        "acirc" => 'â',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ccedil" => 'ç',
        "ntilde" => 'ñ',
        "szlig" => 'ß',
        "rarr" => '→',
        "larr" => '←',
        "check" => '✓',
        _ => return None,
    })
}

/// Decode `&name;`, `&#123;` and `&#x1F;` entities; anything else is kept.
pub fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        let Some((before, after)) = rest.split_at_checked(amp) else {
            break;
        };
        out.push_str(before);
        let semi = after
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = semi.and_then(|semi| {
            let name = after.get(1..semi)?;
            let c = if let Some(num) = name.strip_prefix('#') {
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse::<u32>().ok()?,
                };
                // Windows-1252 quotes and dashes written as numeric C1 codes.
                let code = match code {
                    0x91 => 0x2018,
                    0x92 => 0x2019,
                    0x93 => 0x201c,
                    0x94 => 0x201d,
                    0x95 => 0x2022,
                    0x96 => 0x2013,
                    0x97 => 0x2014,
                    0xa0 => 0x20,
                    other => other,
                };
                char::from_u32(code).unwrap_or('\u{fffd}')
            } else {
                named_entity(name).or_else(|| named_entity(&name.to_ascii_lowercase()))?
            };
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = after.get(len..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn hidden_html_is_not_text() {
        let html =
            "<div style=\"display: none\">#approve HIDDEN-CODE<div>nested</div>still hidden</div>\
                    <p hidden>also hidden</p><span style='mso-hide:all'>outlook hidden</span>\
                    <p title=\"not hidden at all\">Visible</p><p>text</p>";
        let text = html_to_text(html);
        assert_eq!(text.trim(), "Visible\n\ntext", "{text:?}");
    }

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
    fn outlook_html_converts_lists_and_paragraphs() {
        let html = "<html><head><style>p.MsoNormal{margin:0}</style></head><body><div class=WordSection1><p class=MsoNormal>Dear Sir,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoListParagraph style='mso-list:l0 level1 lfo1'><![if !supportLists]><span style='mso-list:Ignore'>1.<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp;&nbsp; </span></span><![endif]>How many &pound;5 potholes?<o:p></o:p></p><p class=MsoNormal>Second line<o:p></o:p></p></div></body></html>";
        let t = html_to_text(html);
        assert_eq!(t, "Dear Sir,\n\n1.    How many £5 potholes?\nSecond line");
    }

    #[test]
    fn html_lists_divs_and_quotes() {
        let html = "<div>Hello</div><div><br></div><div>Please tell me:</div><ol><li>one</li><li>two<ol type=\"a\"><li>sub</li></ol></li></ol><ul><li>x</li></ul><p>Para</p><blockquote>old<br>older</blockquote>";
        let t = html_to_text(html);
        assert_eq!(
            t,
            "Hello\n\nPlease tell me:\n1. one\n2. two\n   a) sub\n\n• x\n\nPara\n> old\n> older"
        );
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
    fn entities_decode() {
        assert_eq!(
            decode_entities("a &amp; b &#163;5 &#x20AC;1 &bogus; &"),
            "a & b £5 €1 &bogus; &"
        );
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
            let _ = html_to_text(s);
            let _ = extract(s);
        }
    }
}
