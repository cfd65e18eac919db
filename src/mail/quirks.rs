//! Work-arounds for mail-parser 0.11, applied to a copy of the bytes it is
//! given (the stored raw message is never changed).
//!
//! A `Date` whose zone is a single military letter (`Z`, `A`, … RFC 5322
//! §4.3's obsolete zones) makes mail-parser 0.11 read on into the next
//! header, so a valid `From` after it was lost and the message quarantined.
//! RFC 5322 says those zones should be read as `-0000` (their signs were
//! defined backwards), which is what the copy gets.

use std::borrow::Cow;

/// The bytes with every obsolete one-letter `Date` zone written as `-0000`.
pub fn for_parser(raw: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut start = 0;
    while start < raw.len() {
        let end = raw[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(raw.len(), |p| start + p + 1);
        let line = &raw[start..end];
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            break; // the end of the header block
        }
        if let Some(zone_at) = one_letter_zone(content) {
            let buf = out.get_or_insert_with(|| raw.to_vec());
            // Offsets in `buf` are shifted by what earlier fixes added.
            let shift = buf.len() - raw.len();
            let at = start + zone_at + shift;
            buf.splice(at..at + 1, b"-0000".iter().copied());
        }
        start = end;
    }
    match out {
        Some(fixed) => Cow::Owned(fixed),
        None => Cow::Borrowed(raw),
    }
}

/// Where the zone letter of a `Date:` line is, when it is a single letter.
fn one_letter_zone(line: &[u8]) -> Option<usize> {
    let colon = line.iter().position(|b| *b == b':')?;
    if !line[..colon].eq_ignore_ascii_case(b"date") {
        return None;
    }
    let trimmed_len = line.iter().rposition(|b| !b.is_ascii_whitespace())? + 1;
    let last = *line.get(trimmed_len - 1)?;
    let before = *line.get(trimmed_len.checked_sub(2)?)?;
    (last.is_ascii_alphabetic() && before == b' ' && trimmed_len - 1 > colon)
        .then_some(trimmed_len - 1)
}

#[cfg(test)]
mod tests {
    use super::for_parser;

    #[test]
    fn a_military_zone_becomes_minus_zero() {
        let raw =
            b"Date: Fri, 27 Nov 2026 10:00:00 Z\r\nFrom: Jo <jo@public.test>\r\n\r\nbody Z\r\n";
        let fixed = for_parser(raw);
        assert_eq!(
            &fixed[..],
            &b"Date: Fri, 27 Nov 2026 10:00:00 -0000\r\nFrom: Jo <jo@public.test>\r\n\r\nbody Z\r\n"[..]
        );
        let parsed = mail_parser::MessageParser::new()
            .parse(&fixed)
            .expect("parses");
        assert_eq!(
            parsed
                .from()
                .and_then(|f| f.first())
                .and_then(|a| a.address()),
            Some("jo@public.test")
        );
    }

    #[test]
    fn other_dates_and_bodies_are_left_alone() {
        for raw in [
            &b"Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nFrom: a@b.test\r\n\r\nx\r\n"[..],
            &b"Date: Fri, 27 Nov 2026 10:00:00 UT\r\nFrom: a@b.test\r\n\r\nx\r\n"[..],
            &b"Subject: Plan B\r\nFrom: a@b.test\r\n\r\nDate: 1 A\r\n"[..],
        ] {
            assert!(matches!(for_parser(raw), std::borrow::Cow::Borrowed(_)));
        }
    }
}
