//! IMAP's modified UTF-7 for folder names (RFC 3501 §5.1.3): printable
//! ASCII stands for itself (`&` as `&-`), anything else is UTF-16 in a
//! base64 variant between `&` and `-`. A council's folder named
//! `Éléments envoyés` (French Exchange) is `&AMk-l&AOk-ments envoy&AOk-s`
//! on the wire. foid always writes names this way rather than asking for
//! `UTF8=ACCEPT`: every server understands it, so there is one path.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::IMAP_MUTF7,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

fn is_direct(c: char) -> bool {
    (' '..='~').contains(&c)
}

/// A folder name as the server is to be sent it.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if !pending.is_empty() {
            let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&ENGINE.encode(bytes));
            out.push('-');
            pending.clear();
        }
    };
    for c in name.chars() {
        if is_direct(c) {
            flush(&mut pending, &mut out);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// A name the server sent, as people read it; `None` when it is not valid
/// modified UTF-7 (a server's own mistake must not stop anything).
pub fn decode(wire: &str) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find('-')?;
        let run = &after[..end];
        if run.is_empty() {
            out.push('&');
        } else {
            let bytes = ENGINE.decode(run).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units = bytes
                .chunks_exact(2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]));
            for c in char::decode_utf16(units) {
                out.push(c.ok()?);
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// For logs and reports: the decoded name, or the server's bytes as they
/// came when they do not decode.
pub fn display(wire: &str) -> String {
    decode(wire).unwrap_or_else(|| wire.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of RFC 3501 §5.1.3 and names real servers use.
    const PAIRS: &[(&str, &str)] = &[
        ("INBOX", "INBOX"),
        ("Sent Items", "Sent Items"),
        ("[Gmail]/Sent Mail", "[Gmail]/Sent Mail"),
        ("&", "&-"),
        ("Tom & Jerry", "Tom &- Jerry"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        ("Éléments envoyés", "&AMk-l&AOk-ments envoy&AOk-s"),
        ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
        ("Gesendete Elemente", "Gesendete Elemente"),
        ("FOI/Wysłane", "FOI/Wys&AUI-ane"),
        ("Ceisiadau 😀", "Ceisiadau &2D3eAA-"),
    ];

    #[test]
    fn encodes_and_decodes_published_and_real_names() {
        for (name, wire) in PAIRS {
            assert_eq!(encode(name), *wire, "encoding {name}");
            assert_eq!(decode(wire).as_deref(), Some(*name), "decoding {wire}");
        }
    }

    #[test]
    fn control_characters_are_encoded() {
        assert_eq!(encode("a\tb\u{7f}"), "a&AAk-b&AH8-");
        assert_eq!(decode("a&AAk-b&AH8-").as_deref(), Some("a\tb\u{7f}"));
    }

    #[test]
    fn malformed_names_do_not_decode_and_display_as_sent() {
        for bad in ["&", "&AMk", "&A-", "&AM*-", "&2D0-", "x&AMkA-"] {
            assert_eq!(decode(bad), None, "{bad}");
            assert_eq!(display(bad), bad);
        }
        assert_eq!(display("&AMk-t&AOk-"), "Été");
    }
}
