//! Splitting an mbox file into messages the way mail tools do, so that an
//! import loses none: a message starts at a `From ` postmark line (`From
//! sender date`), with or without a blank line before it; `>From ` quoting
//! is undone (mboxrd); a `Content-Length` header (mboxcl) is honoured when
//! it lands on the next postmark or the end; a byte-order mark is skipped.

use std::sync::LazyLock;

use regex::bytes::Regex;

const BOM: &[u8] = b"\xEF\xBB\xBF";

static POSTMARK: LazyLock<Regex> = LazyLock::new(|| {
    // `From sender Www Mmm dd hh:mm:ss yyyy`, the date as asctime writes it
    // (zone and extra words tolerated): what a body line starting "From "
    // hardly ever looks like.
    #[allow(clippy::expect_used)] // a constant pattern, covered by the tests
    Regex::new(
        r"^From \S+\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?\s+(?:[A-Z]{3,4}\s+|[+-]\d{4}\s+)?\d{4}",
    )
    .expect("valid constant regex")
});

/// Whether the bytes are an mbox (start with a `From ` line).
pub fn is_mbox(bytes: &[u8]) -> bool {
    bytes
        .strip_prefix(BOM)
        .unwrap_or(bytes)
        .starts_with(b"From ")
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// Where a new message starts: any `From ` line after a blank line, or a
/// postmark-shaped one anywhere.
fn starts_message(line: &[u8], previous_blank: bool) -> bool {
    line.starts_with(b"From ") && (previous_blank || POSTMARK.is_match(line))
}

/// The messages of an mbox, without their postmark lines.
pub fn split(bytes: &[u8]) -> Vec<Vec<u8>> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    let mut messages = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        // At a postmark line (the first line always counts as one).
        i += 1;
        let mut message = Vec::new();
        let mut in_header = true;
        let mut content_length: Option<usize> = None;
        let mut previous_blank = false;
        let mut by_length = false;
        while i < lines.len() {
            let line = lines[i];
            if in_header {
                if is_blank(line) {
                    in_header = false;
                    message.extend_from_slice(line);
                    i += 1;
                    if let Some(n) = content_length {
                        if let Some(next) = body_by_length(&lines, i, n) {
                            let mut taken = 0;
                            while taken < n {
                                message.extend_from_slice(lines[i]);
                                taken += lines[i].len();
                                i += 1;
                            }
                            i = next;
                            by_length = true;
                            break;
                        }
                    }
                    continue;
                }
                if let Some(v) = header_value(line, b"content-length") {
                    content_length = std::str::from_utf8(v)
                        .ok()
                        .and_then(|s| s.trim().parse().ok());
                }
                message.extend_from_slice(line);
                i += 1;
                continue;
            }
            if starts_message(line, previous_blank) {
                break;
            }
            previous_blank = is_blank(line);
            message.extend_from_slice(unquote(line));
            i += 1;
        }
        messages.push(if by_length {
            message
        } else {
            trim_separator(message)
        });
    }
    messages
}

/// The next postmark line (or the end) after a body of exactly `n` bytes
/// from line `start` and an optional blank line; `None` when the length
/// does not land there, and the body is then read line by line.
fn body_by_length(lines: &[&[u8]], start: usize, n: usize) -> Option<usize> {
    let mut taken = 0;
    let mut i = start;
    while taken < n {
        taken += lines.get(i)?.len();
        i += 1;
    }
    if taken != n {
        return None;
    }
    let mut j = i;
    if lines.get(j).is_some_and(|l| is_blank(l)) {
        j += 1;
    }
    // The separating blank line is the mbox's: the next message starts at
    // the postmark.
    match lines.get(j) {
        None => Some(j),
        Some(l) if l.starts_with(b"From ") => Some(j),
        Some(_) => None,
    }
}

fn header_value<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let colon = line.iter().position(|b| *b == b':')?;
    line[..colon]
        .eq_ignore_ascii_case(name)
        .then(|| &line[colon + 1..])
}

/// `>From ` (any number of `>`) loses one `>`.
fn unquote(line: &[u8]) -> &[u8] {
    match line.iter().position(|b| *b != b'>') {
        Some(n) if n > 0 && line[n..].starts_with(b"From ") => &line[1..],
        _ => line,
    }
}

/// The blank line before the next `From ` belongs to the mbox, not the message.
fn trim_separator(mut m: Vec<u8>) -> Vec<u8> {
    if m.ends_with(b"\r\n\r\n") {
        m.truncate(m.len() - 2);
    } else if m.ends_with(b"\n\n") {
        m.truncate(m.len() - 1);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_with_blank_lines_and_unquoted() {
        let mbox = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nhello\n>From the start\n\nFrom c@d Mon Jan  1 00:00:00 2024\nSubject: two\n\nbye\n";
        let parts = split(mbox);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            b"Subject: one\n\nhello\nFrom the start\n".to_vec()
        );
        assert_eq!(parts[1], b"Subject: two\n\nbye\n".to_vec());
    }

    #[test]
    fn split_without_blank_lines_and_with_a_bom() {
        let mbox = b"\xEF\xBB\xBFFrom a@b Mon Jan  1 00:00:00 2024\r\nSubject: one\r\n\r\nhello\r\nFrom c@d Tue Jan  2 10:11:12 2024\r\nSubject: two\r\n\r\nFrom here on it is prose.\r\nbye\r\nFrom e@f Wed Jan  3 10:11:12 +0000 2024\r\nSubject: three\r\n\r\nx\r\n";
        assert!(is_mbox(mbox));
        let parts = split(mbox);
        assert_eq!(parts.len(), 3, "{parts:?}");
        // A body line that starts "From " but is no postmark stays.
        assert!(String::from_utf8_lossy(&parts[1]).contains("From here on it is prose."));
    }

    #[test]
    fn content_length_keeps_a_from_line_inside_the_body() {
        let body = b"line one\n\nFrom Mon Jan  1 00:00:00 2024 is not a postmark here\n";
        let mut mbox = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n".to_vec();
        mbox.extend(format!("Content-Length: {}\n\n", body.len()).as_bytes());
        mbox.extend(body);
        mbox.extend(b"\nFrom c@d Mon Jan  1 00:00:00 2024\nSubject: two\n\nbye\n");
        let parts = split(&mbox);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].ends_with(body));
        assert_eq!(parts[1], b"Subject: two\n\nbye\n".to_vec());
        // A wrong length falls back to the line rule.
        let wrong = String::from_utf8(mbox.clone()).unwrap().replace(
            &format!("Content-Length: {}", body.len()),
            "Content-Length: 5",
        );
        assert_eq!(split(wrong.as_bytes()).len(), 3);
    }
}
