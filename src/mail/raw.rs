//! What ingestion needs to know of a raw message before it is parsed: its
//! hash and the Message-ID it is deduplicated by.

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The Message-ID a message is known by: Outlook's original one when
/// Exchange rewrote it, else the message's own, else a synthetic one made
/// from the content hash (never empty, so two id-less messages are never
/// taken for the same one).
pub fn stored_message_id(bytes: &[u8], sha256: &str) -> String {
    let fixed = super::quirks::for_parser(bytes);
    let headers = mail_parser::MessageParser::new().parse_headers(&fixed[..]);
    let from_header = |name: &str| {
        headers.as_ref().and_then(|m| {
            m.header(name)
                .and_then(|v| v.as_text())
                .map(|s| s.trim().trim_matches(['<', '>']).trim().to_string())
                .filter(|s| !s.is_empty() && s.len() <= 998)
        })
    };
    let id = from_header("X-Microsoft-Original-Message-ID")
        .or_else(|| {
            headers
                .as_ref()
                .and_then(|m| m.message_id().map(str::to_string))
                .filter(|s| !s.is_empty())
        })
        .or_else(|| from_header("Message-ID"));
    match id {
        Some(id) => format!("<{}>", id.trim_matches(['<', '>'])),
        None => format!("<synthetic.{sha256}@foid.invalid>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids() {
        let m = b"From: a@b.test\r\nMessage-ID: <x1@b.test>\r\n\r\nhi\r\n";
        assert_eq!(stored_message_id(m, "h"), "<x1@b.test>");
        let outlook = b"From: a@b.test\r\nMessage-ID: <rewritten@prod.outlook.com>\r\nX-Microsoft-Original-Message-ID: <orig@b.test>\r\n\r\nhi\r\n";
        assert_eq!(stored_message_id(outlook, "h"), "<orig@b.test>");
        let none = b"From: a@b.test\r\n\r\nhi\r\n";
        assert_eq!(
            stored_message_id(none, "abc"),
            "<synthetic.abc@foid.invalid>"
        );
        assert_eq!(
            stored_message_id(b"\x00\xff", "z"),
            "<synthetic.z@foid.invalid>"
        );
    }
}
