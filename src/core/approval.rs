//! Approval codes: a keyed HMAC over the case, the draft version, the hash
//! of the exact letter and attachments, the approver and the time of issue,
//! printed as 20 Crockford base32 symbols (100 bits) in four groups, a form
//! that survives retyping and mobile clients: case does not matter, and the
//! letters easily mistaken for digits (O, I, L) are read as the digits.
//! Only a hash of each code is stored; codes are compared in constant time.
//! Pure: the key and the time of issue are arguments.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::case::CaseId;

/// Symbols in a code.
pub const CODE_SYMBOLS: usize = 20;
/// Shortest key accepted (bytes).
pub const MIN_KEY_BYTES: usize = 32;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DOMAIN: &[u8] = b"foid-approve-v1";

/// The secret codes are made with. Never printed.
#[derive(Clone)]
pub struct ApprovalKey(Vec<u8>);

impl ApprovalKey {
    pub fn new(bytes: Vec<u8>) -> Result<ApprovalKey, String> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the approval key must be at least {MIN_KEY_BYTES} bytes, not {}",
                bytes.len()
            ));
        }
        Ok(ApprovalKey(bytes))
    }
}

impl fmt::Debug for ApprovalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApprovalKey(***)")
    }
}

/// What a code is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeFor<'a> {
    pub case: CaseId,
    pub draft_version: u32,
    /// SHA-256 (hex) of the draft's letter, subject, recipient and attachments.
    pub content_sha256: &'a str,
    /// The approver's address, lowercased.
    pub approver: &'a str,
    /// Unix seconds.
    pub issued_at: i64,
}

fn mac(key: &ApprovalKey, f: &CodeFor<'_>) -> [u8; 32] {
    // Keys of any length are accepted by HMAC; this cannot fail.
    let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(&key.0) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    for part in [
        DOMAIN,
        f.case.0.to_string().as_bytes(),
        f.draft_version.to_string().as_bytes(),
        f.content_sha256.as_bytes(),
        f.approver.to_ascii_lowercase().as_bytes(),
        f.issued_at.to_string().as_bytes(),
    ] {
        // Length-prefixed, so no two field lists give the same input.
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part);
    }
    m.finalize().into_bytes().into()
}

/// The 20 symbols of a code, without separators.
fn symbols(mac: &[u8; 32]) -> String {
    let mut out = String::with_capacity(CODE_SYMBOLS);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in mac {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 && out.len() < CODE_SYMBOLS {
            bits -= 5;
            let i = ((acc >> bits) & 31) as usize;
            out.push(char::from(*ALPHABET.get(i).unwrap_or(&b'0')));
        }
        if out.len() == CODE_SYMBOLS {
            break;
        }
        acc &= (1 << bits) - 1;
    }
    out
}

/// The code to print: `XXXXX-XXXXX-XXXXX-XXXXX`.
pub fn code(key: &ApprovalKey, f: &CodeFor<'_>) -> String {
    let s = symbols(&mac(key, f));
    let groups: Vec<&str> = (0..4).filter_map(|i| s.get(i * 5..i * 5 + 5)).collect();
    groups.join("-")
}

/// The presented code as its 20 canonical symbols: spaces and dashes
/// dropped, case folded, O read as 0 and I or L as 1. `None` when it cannot
/// be a code.
pub fn normalise(presented: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_SYMBOLS);
    for c in presented.trim().chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\u{a0}' | '\u{2010}' | '\u{2011}' | '\u{2013}' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == CODE_SYMBOLS).then_some(out)
}

/// What is stored of a code: the SHA-256 of its canonical symbols.
pub fn code_hash(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Whether `presented` (canonical symbols) is the code for `f`, compared in
/// constant time.
pub fn verify(key: &ApprovalKey, f: &CodeFor<'_>, canonical: &str) -> bool {
    let expected = symbols(&mac(key, f));
    expected.as_bytes().ct_eq(canonical.as_bytes()).into()
}

/// Whether two stored hashes are equal, in constant time.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The code with its symbols replaced, for copies that must not carry it
/// (the Sent folder).
pub const REDACTED: &str = "[code removed from this copy]";

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn key() -> ApprovalKey {
        ApprovalKey::new(vec![7u8; 32]).unwrap()
    }

    fn fields(approver: &str) -> CodeFor<'_> {
        CodeFor {
            case: CaseId(12),
            draft_version: 2,
            content_sha256: "ab12",
            approver,
            issued_at: 1_796_000_000,
        }
    }

    #[test]
    fn a_code_is_four_groups_of_unambiguous_symbols() {
        let c = code(&key(), &fields("jane@council.test"));
        assert_eq!(c.len(), 23, "{c}");
        assert_eq!(c.matches('-').count(), 3, "{c}");
        assert!(c
            .chars()
            .all(|ch| ch == '-' || ALPHABET.contains(&(ch as u8))));
        for bad in ['I', 'L', 'O', 'U'] {
            assert!(!c.contains(bad), "{c}");
        }
    }

    #[test]
    fn retyped_codes_verify_and_altered_ones_do_not() {
        let f = fields("jane@council.test");
        let c = code(&key(), &f);
        for typed in [
            c.clone(),
            c.to_lowercase(),
            c.replace('-', " "),
            c.replace('-', ""),
            format!("  {c}  "),
        ] {
            let n = normalise(&typed).unwrap();
            assert!(verify(&key(), &f, &n), "{typed}");
        }
        // One symbol changed, one dropped, one added.
        let n = normalise(&c).unwrap();
        let mut changed = n.clone().into_bytes();
        changed[5] = if changed[5] == b'A' { b'B' } else { b'A' };
        assert!(!verify(&key(), &f, &String::from_utf8(changed).unwrap()));
        assert!(normalise(&n[..19]).is_none());
        assert!(normalise(&format!("{n}A")).is_none());
        assert!(normalise("123456").is_none());
        assert!(
            normalise("ABCDE-FGHIJ-KLMNP-QRSTU").is_none(),
            "U is no symbol"
        );
    }

    #[test]
    fn look_alike_letters_read_as_digits() {
        assert_eq!(
            normalise("o0il1-22222-33333-44444").unwrap(),
            "00111222223333344444"
        );
    }

    #[test]
    fn a_code_is_bound_to_every_field() {
        let k = key();
        let base = fields("jane@council.test");
        let n = normalise(&code(&k, &base)).unwrap();
        let variants = [
            CodeFor {
                case: CaseId(13),
                ..base
            },
            CodeFor {
                draft_version: 3,
                ..base
            },
            CodeFor {
                content_sha256: "ab13",
                ..base
            },
            CodeFor {
                approver: "raj@council.test",
                ..base
            },
            CodeFor {
                issued_at: base.issued_at + 1,
                ..base
            },
        ];
        for v in variants {
            assert!(!verify(&k, &v, &n), "{v:?}");
        }
        let other_key = ApprovalKey::new(vec![8u8; 32]).unwrap();
        assert!(!verify(&other_key, &base, &n));
        // The approver's case does not matter.
        assert!(verify(
            &k,
            &CodeFor {
                approver: "Jane@Council.TEST",
                ..base
            },
            &n
        ));
    }

    #[test]
    fn short_keys_are_refused_and_keys_never_print() {
        assert!(ApprovalKey::new(vec![1; 16]).is_err());
        assert_eq!(format!("{:?}", key()), "ApprovalKey(***)");
        assert_eq!(code_hash("A").len(), 64);
    }
}
