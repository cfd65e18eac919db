//! HTML mail bodies as the text a reader sees: paragraphs, lists numbered
//! as the client shows them, quotes marked with `>`, entities decoded, and
//! hidden content (`display:none`, `hidden`, Outlook's `mso-hide`) left
//! out, so that nothing invisible can carry a command or a question.
//!
//! Pure and panic-free on arbitrary input: slicing goes through `get` at
//! positions found by `find` (always char boundaries).

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;

use super::message_text::tidy;

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
        }
    }
}
