//! Who may command foid. The FOI mailbox is open to the world and a From
//! header proves nothing, so an officer's command counts only when the
//! council's own mail system vouches for the sender. This is the gate, a
//! pure function over the top-level header block exactly as received, in
//! the order of shared approval-trust.md §8.2:
//!
//! 1. well-formedness: one From with one plain mailbox, no NUL or stray CR,
//!    no repeated From/Sender/Message-ID/Date/Subject;
//! 2. identity: the From addr-spec (the display name is never used);
//! 3. authorisation: the address is an officer (checked before anything
//!    that could answer, so outsiders learn nothing);
//! 4. vouching, in the one configured mode (no fallback to a weaker one).
//!
//! The modes, one file each: `received_stamp` and the walk of `Received`
//! (received.rs), `authentication_results` (authres.rs), `exchange_online`
//! and `exchange_onprem` (exchange.rs), `google_workspace` (google.rs).
//!
//! `received_stamp` (a council running its own Postfix): the `Received`
//! fields are walked from the top, through the council's own hosts and past
//! the final delivery (LMTP) and configured internal relays, to the hop
//! where the message entered the council's system. Only that hop's stamp
//! counts, `(Authenticated sender: LOGIN)` with `ESMTPA`/`ESMTPSA`, and the
//! login must be the From address. Anything the sender wrote lower down —
//! stamps, `Authentication-Results`, `X-MS-*` — is never read.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use regex::Regex;

pub mod authres;
pub mod doctor;
pub mod exchange;
pub mod google;
pub mod received;

pub use authres::{AuthenticationResults, Requirement};
pub use exchange::{ExchangeOnPrem, ExchangeOnline};
pub use google::GoogleWorkspace;
pub use received::{parse_received, Hops, Received, ReceivedStamp, Stamp};

/// Largest header block the gate reads.
pub const MAX_HEADER_BLOCK: usize = 256 * 1024;
/// Most fields in a header block.
pub const MAX_FIELDS: usize = 1000;

/// One header field, unfolded, as written (not decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// The configured way the council's mail system vouches for a sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustMode {
    ReceivedStamp(ReceivedStamp),
    AuthenticationResults(AuthenticationResults),
    ExchangeOnline(ExchangeOnline),
    ExchangeOnPrem(ExchangeOnPrem),
    GoogleWorkspace(GoogleWorkspace),
}

impl TrustMode {
    /// The mode's name, as in `[trust] mode`.
    pub fn name(&self) -> &'static str {
        match self {
            TrustMode::ReceivedStamp(_) => "received_stamp",
            TrustMode::AuthenticationResults(_) => "authentication_results",
            TrustMode::ExchangeOnline(_) => "exchange_online",
            TrustMode::ExchangeOnPrem(_) => "exchange_onprem",
            TrustMode::GoogleWorkspace(_) => "google_workspace",
        }
    }
}

/// What to do with mail an officer sent on behalf of another mailbox
/// (`Sender` differs from `From`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DelegatedSend {
    /// Refuse it (the default): commands come from the officer's own mailbox.
    #[default]
    Refuse,
    /// Treat the `Sender` as the one who commands.
    SenderIsActor,
}

/// `[trust]`: the one mode, and the rule for delegated sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub mode: TrustMode,
    pub delegated_send: DelegatedSend,
}

/// Why a message may not command foid; `code` goes into the quarantine
/// reason and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: RefusalCode,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum RefusalCode {
    /// The header block is not one a real client writes.
    MalformedHeaders,
    /// The sender is not an officer.
    NotOfficer,
    /// No `[trust]` mode is configured.
    NotConfigured,
    /// The message did not pass through the council's hosts as configured.
    NoTrustedHop,
    /// It entered the council's system without authenticated submission.
    NotAuthenticated,
    /// It was submitted by another login than the From address.
    LoginMismatch,
    /// Sent on behalf of someone else (`Sender` differs from `From`).
    Delegated,
    /// A field the platform writes once appears more than once.
    Ambiguous,
    /// Vouched for by another Microsoft 365 tenant than the council's.
    WrongTenant,
    /// Vouched for, but by a path the configuration does not allow (a
    /// hybrid connector, an auth mechanism, a server, a domain).
    NotAllowed,
}

impl RefusalCode {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

fn refuse<T>(code: RefusalCode, detail: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        code,
        detail: detail.into(),
    })
}

/// An accepted sender and the evidence that vouched for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vouched {
    pub actor: String,
    pub evidence: String,
}

/// The whole gate: well-formedness, identity, authorisation, vouching.
/// `parsed_from` is the From address as the mail parser read it: if the
/// two readings differ, something is being smuggled and the message is
/// refused.
pub fn check(
    header_block: &[u8],
    parsed_from: Option<&str>,
    is_officer: impl Fn(&str) -> bool,
    policy: Option<&Policy>,
) -> Result<Vouched, Refusal> {
    let fields = parse_block(header_block)?;
    let delegated = policy.map(|p| p.delegated_send).unwrap_or_default();
    let actor = sender(&fields, parsed_from, delegated)?;
    if !is_officer(&actor) {
        return refuse(
            RefusalCode::NotOfficer,
            format!("{actor} is not a configured officer"),
        );
    }
    let Some(policy) = policy else {
        return refuse(
            RefusalCode::NotConfigured,
            "no [trust] mode is configured, so no command can be authenticated",
        );
    };
    let evidence = match &policy.mode {
        TrustMode::ReceivedStamp(p) => received::received_stamp(&fields, &actor, p)?,
        TrustMode::AuthenticationResults(p) => authres::authentication_results(&fields, &actor, p)?,
        TrustMode::ExchangeOnline(p) => exchange::exchange_online(&fields, p)?,
        TrustMode::ExchangeOnPrem(p) => exchange::exchange_onprem(&fields, p)?,
        TrustMode::GoogleWorkspace(p) => google::google_workspace(&fields, &actor, p)?,
    };
    Ok(Vouched { actor, evidence })
}

/// The header block as fields, strictly: refuses NUL bytes, a CR not
/// followed by LF, a bare LF in a block that otherwise uses CRLF, a line
/// that is neither a field nor a continuation, and oversize blocks.
pub fn parse_block(block: &[u8]) -> Result<Vec<Field>, Refusal> {
    let end = block_end(block);
    let head = block.get(..end).unwrap_or(block);
    if head.len() > MAX_HEADER_BLOCK {
        return refuse(
            RefusalCode::MalformedHeaders,
            format!("header block over {MAX_HEADER_BLOCK} bytes"),
        );
    }
    if head.contains(&0) {
        return refuse(
            RefusalCode::MalformedHeaders,
            "NUL byte in the header block",
        );
    }
    let crlf = head.windows(2).any(|w| w == b"\r\n");
    for (i, b) in head.iter().enumerate() {
        let next = head.get(i + 1).copied();
        let prev = i.checked_sub(1).and_then(|p| head.get(p)).copied();
        if *b == b'\r' && next != Some(b'\n') {
            return refuse(RefusalCode::MalformedHeaders, "bare CR in the header block");
        }
        if *b == b'\n' && crlf && prev != Some(b'\r') {
            return refuse(
                RefusalCode::MalformedHeaders,
                "bare LF in a CRLF header block",
            );
        }
    }
    let text = String::from_utf8_lossy(head);
    let mut fields: Vec<Field> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match fields.last_mut() {
                Some(f) => {
                    f.value.push(' ');
                    f.value.push_str(line.trim());
                }
                None => {
                    return refuse(
                        RefusalCode::MalformedHeaders,
                        "the header block starts with a continuation line",
                    )
                }
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return refuse(
                RefusalCode::MalformedHeaders,
                format!("not a header field: {:?}", truncate(line, 60)),
            );
        };
        if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
            return refuse(
                RefusalCode::MalformedHeaders,
                format!("bad field name {:?}", truncate(name, 60)),
            );
        }
        fields.push(Field {
            name: name.to_string(),
            value: value.trim().to_string(),
        });
        if fields.len() > MAX_FIELDS {
            return refuse(
                RefusalCode::MalformedHeaders,
                format!("more than {MAX_FIELDS} header fields"),
            );
        }
    }
    Ok(fields)
}

/// Where the header block ends: the first empty line.
fn block_end(raw: &[u8]) -> usize {
    let mut i = 0;
    while let Some(pos) = raw
        .get(i..)
        .and_then(|r| r.iter().position(|b| *b == b'\n'))
    {
        let line_start = i + pos + 1;
        match raw.get(line_start..) {
            Some([b'\n', ..]) | Some([b'\r', b'\n', ..]) | Some([]) => return line_start,
            Some(_) => i = line_start,
            None => break,
        }
    }
    raw.len()
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

static ADDR_SPEC: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)] // a constant pattern, covered by the tests
    Regex::new(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
        .expect("valid constant regex")
});

/// The one mailbox of a From or Sender value, lowercased: refuses several
/// mailboxes, group syntax, encoded-words or anything but plain ASCII in
/// the address itself.
pub fn mailbox(value: &str) -> Result<String, String> {
    // Characters outside quoted strings and comments, and the angle-addr.
    let mut outside = String::new();
    let mut angle: Option<String> = None;
    let mut angles = 0;
    let mut in_quote = false;
    let mut escaped = false;
    let mut comment = 0usize;
    let mut in_angle = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quote || comment > 0 => escaped = true,
            '"' if comment == 0 && !in_angle => in_quote = !in_quote,
            _ if in_quote => {}
            '(' if !in_angle => comment += 1,
            ')' if comment > 0 => comment -= 1,
            _ if comment > 0 => {}
            '<' => {
                if in_angle {
                    return Err("'<' inside an address".into());
                }
                angles += 1;
                in_angle = true;
                angle = Some(String::new());
            }
            '>' if in_angle => in_angle = false,
            c if in_angle => {
                if let Some(a) = angle.as_mut() {
                    a.push(c);
                }
            }
            c => outside.push(c),
        }
    }
    if in_quote || comment > 0 || in_angle {
        return Err("unbalanced quotes, comment or angle brackets".into());
    }
    if angles > 1 || outside.contains(',') {
        return Err("more than one mailbox".into());
    }
    if outside.contains(':') || outside.contains(';') {
        return Err("group syntax".into());
    }
    let address = match angle {
        Some(a) => a,
        None => outside.trim().to_string(),
    };
    let address = address.trim();
    if address.contains("=?") {
        return Err("an encoded-word in the address".into());
    }
    if !ADDR_SPEC.is_match(address) {
        return Err(format!(
            "{:?} is not a plain address",
            truncate(address, 80)
        ));
    }
    Ok(address.to_ascii_lowercase())
}

fn count(fields: &[Field], name: &str) -> usize {
    fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case(name))
        .count()
}

fn first<'a>(fields: &'a [Field], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.value.as_str())
}

/// The domain of an address (all of it when there is no `@`).
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(_, d)| d)
}

/// Well-formedness and identity: the From address, or the Sender's when
/// delegated sending is allowed.
pub fn sender(
    fields: &[Field],
    parsed_from: Option<&str>,
    delegated: DelegatedSend,
) -> Result<String, Refusal> {
    for name in ["From", "Sender", "Message-ID", "Date", "Subject"] {
        if count(fields, name) > 1 {
            return refuse(
                RefusalCode::MalformedHeaders,
                format!("{} {name} fields", count(fields, name)),
            );
        }
    }
    let Some(from) = first(fields, "From") else {
        return refuse(RefusalCode::MalformedHeaders, "no From field");
    };
    let actor =
        mailbox(from).or_else(|e| refuse(RefusalCode::MalformedHeaders, format!("From: {e}")))?;
    if parsed_from.is_some_and(|p| !p.eq_ignore_ascii_case(&actor)) {
        return refuse(
            RefusalCode::MalformedHeaders,
            format!(
                "the From address reads as {actor} here and as {} to the mail parser",
                parsed_from.unwrap_or_default()
            ),
        );
    }
    if let Some(sender) = first(fields, "Sender") {
        let sender = mailbox(sender)
            .or_else(|e| refuse(RefusalCode::MalformedHeaders, format!("Sender: {e}")))?;
        if sender != actor {
            return match delegated {
                DelegatedSend::Refuse => refuse(
                    RefusalCode::Delegated,
                    format!("sent by {sender} on behalf of {actor}: commands must come from the officer's own mailbox"),
                ),
                DelegatedSend::SenderIsActor => Ok(sender),
            };
        }
    }
    Ok(actor)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const OFFICER: &str = "officer1@council.test";

    fn mode() -> Policy {
        Policy {
            mode: TrustMode::ReceivedStamp(ReceivedStamp::postfix(vec!["mx.council.test".into()])),
            delegated_send: DelegatedSend::Refuse,
        }
    }

    fn stamp_mode(m: &mut Policy) -> &mut ReceivedStamp {
        match &mut m.mode {
            TrustMode::ReceivedStamp(p) => p,
            _ => unreachable!("the tests' mode is received_stamp"),
        }
    }

    const LMTP: &str = "Received: from mx.council.test\r\n\tby mx.council.test with LMTP\r\n\tid RvshB/XdD2vDRAAAg+zDdQ\r\n\t(envelope-from <officer1@council.test>)\r\n\tfor <foi@council.test>; Wed, 02 Dec 2026 08:59:33 +0000\r\n";

    fn submitted(login: &str) -> String {
        format!("{LMTP}Received: from [127.0.0.1] (unknown [127.0.0.1])\r\n\t(Authenticated sender: {login})\r\n\tby mx.council.test (Postfix) with ESMTPSA id 16C5398F231\r\n\tfor <foi@council.test>; Wed,  2 Dec 2026 08:59:33 +0000 (UTC)\r\n")
    }

    const FROM_OUTSIDE: &str = "Received: from mail.evil.example (mail.evil.example [192.0.2.7])\r\n\tby mx.council.test (Postfix) with ESMTPS id 17A6298F232\r\n\tfor <foi@council.test>; Wed,  2 Dec 2026 08:59:33 +0000 (UTC)\r\n";

    fn gate(block: &str) -> Result<Vouched, Refusal> {
        check(
            block.as_bytes(),
            None,
            |a| a == OFFICER || a == "officer2@council.test",
            Some(&mode()),
        )
    }

    fn message(trace: &str, rest: &str) -> String {
        format!("{trace}From: Officer One <{OFFICER}>\r\nTo: foi@council.test\r\nSubject: Re: [FOI-2026-00001] x\r\nMessage-ID: <a@council.test>\r\n{rest}\r\n#approve X\r\n")
    }

    #[test]
    fn genuine_submission_is_vouched_for() {
        let v = gate(&message(&submitted(OFFICER), "")).unwrap();
        assert_eq!(v.actor, OFFICER);
        assert!(
            v.evidence
                .contains("by mx.council.test from [127.0.0.1] with ESMTPSA"),
            "{}",
            v.evidence
        );
        // The same in LF-only form (a Maildir file).
        let lf = message(&submitted(OFFICER), "").replace("\r\n", "\n");
        assert!(gate(&lf).is_ok());
        // The officer's address in another letter case.
        let upper = message(&submitted("Officer1@Council.TEST"), "")
            .replace(&format!("<{OFFICER}>"), "<Officer1@COUNCIL.test>");
        assert_eq!(gate(&upper).unwrap().actor, OFFICER);
    }

    #[test]
    fn mail_from_outside_is_refused_whatever_it_carries_below() {
        let forged = "Received: from [10.1.2.3] (unknown [10.1.2.3])\r\n\t(Authenticated sender: officer1@council.test)\r\n\tby mx.council.test (Postfix) with ESMTPSA id FAKE\r\n\tfor <foi@council.test>; Wed,  2 Dec 2026 08:00:00 +0000 (UTC)\r\nAuthentication-Results: mx.council.test; dmarc=pass header.from=council.test\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\n";
        for trace in [
            format!("{LMTP}{FROM_OUTSIDE}"),
            format!("{LMTP}{FROM_OUTSIDE}{forged}"),
        ] {
            let r = gate(&message(&trace, "")).unwrap_err();
            assert_eq!(r.code, RefusalCode::NotAuthenticated, "{r}");
            assert!(r.detail.contains("from [192.0.2.7] with ESMTPS"), "{r}");
        }
    }

    #[test]
    fn a_stamp_planted_in_the_helo_name_is_not_the_servers() {
        // Postfix joins a multi-word HELO into the from clause.
        let helo = "Received: from x (Authenticated sender: officer1@council.test) by mx.council.test (Postfix) with ESMTPSA id A (unknown [192.0.2.7])\r\n\tby mx.council.test (Postfix) with ESMTP id B\r\n\tfor <foi@council.test>; Wed,  2 Dec 2026 08:59:33 +0000 (UTC)\r\n";
        let r = gate(&message(&format!("{LMTP}{helo}"), "")).unwrap_err();
        assert_eq!(r.code, RefusalCode::NotAuthenticated, "{r}");
        let helo2 = "Received: from x (y [10.0.0.1]) (Authenticated sender: officer1@council.test) (unknown [192.0.2.7])\r\n\tby mx.council.test (Postfix) with ESMTPSA id B\r\n\tfor <foi@council.test>; Wed,  2 Dec 2026 08:59:33 +0000 (UTC)\r\n";
        let r = gate(&message(&format!("{LMTP}{helo2}"), "")).unwrap_err();
        assert_eq!(r.code, RefusalCode::NotAuthenticated, "{r}");
    }

    #[test]
    fn the_login_must_be_the_from_address() {
        let r = gate(&message(&submitted("clerk@council.test"), "")).unwrap_err();
        assert_eq!(r.code, RefusalCode::LoginMismatch, "{r}");
        let mut m = mode();
        stamp_mode(&mut m)
            .logins
            .insert("jsmith".into(), OFFICER.into());
        let ok = check(
            message(&submitted("jsmith"), "").as_bytes(),
            None,
            |a| a == OFFICER,
            Some(&m),
        );
        assert!(ok.is_ok(), "{ok:?}");
        stamp_mode(&mut m)
            .logins
            .insert("clerk".into(), "officer2@council.test".into());
        let r = check(
            message(&submitted("clerk"), "").as_bytes(),
            None,
            |a| a == OFFICER,
            Some(&m),
        )
        .unwrap_err();
        assert_eq!(
            r.code,
            RefusalCode::LoginMismatch,
            "a login mapped to another officer: {r}"
        );
    }

    #[test]
    fn hops_not_written_by_the_council_are_refused() {
        let r =
            gate(&message(FROM_OUTSIDE, "").replace("by mx.council.test", "by mx.evil.example"))
                .unwrap_err();
        assert_eq!(r.code, RefusalCode::NoTrustedHop, "{r}");
        let r = gate(&message("", "")).unwrap_err();
        assert_eq!(r.code, RefusalCode::NoTrustedHop, "{r}");
        let garbled = "Received: whatever\r\n";
        let r = gate(&message(garbled, "")).unwrap_err();
        assert_eq!(r.code, RefusalCode::NoTrustedHop, "{r}");
    }

    #[test]
    fn internal_relays_are_walked_past() {
        let filter = "Received: from localhost (localhost [127.0.0.1])\r\n\tby mx.council.test (Postfix) with ESMTP id C\r\n\tfor <foi@council.test>; Wed,  2 Dec 2026 08:59:34 +0000 (UTC)\r\n";
        let sub = submitted(OFFICER);
        let (lmtp, submission) = sub.split_at(LMTP.len());
        let block = format!("{lmtp}{filter}{submission}");
        // Without the relay configured, the filter's hop is the entry.
        assert_eq!(
            gate(&message(&block, "")).unwrap_err().code,
            RefusalCode::NotAuthenticated
        );
        let mut m = mode();
        stamp_mode(&mut m)
            .hops
            .internal_relays
            .push("127.0.0.1".into());
        let v = check(
            message(&block, "").as_bytes(),
            None,
            |a| a == OFFICER,
            Some(&m),
        )
        .unwrap();
        assert!(v.evidence.contains("Received field 3"), "{}", v.evidence);
    }

    #[test]
    fn identity_tricks_are_refused() {
        let sub = submitted("attacker@public.test");
        let display = message(&sub, "").replace(
            &format!("From: Officer One <{OFFICER}>"),
            &format!("From: \"{OFFICER}\" <attacker@public.test>"),
        );
        assert_eq!(gate(&display).unwrap_err().code, RefusalCode::NotOfficer);
        let cases = [
            "From: =?utf-8?b?b2ZmaWNlcjFAY291bmNpbC50ZXN0?=@evil.example".to_string(),
            format!("From: <{OFFICER}>, <attacker@public.test>"),
            format!("From: team: <attacker@public.test>, <{OFFICER}>;"),
            format!("From: <attacker@public.test>:<{OFFICER}>"),
            "From: officer1@council.test.".to_string(),
            "From: officer1@c\u{43e}uncil.test".to_string(),
        ];
        for from in cases {
            let m = message(&submitted(OFFICER), "")
                .replace(&format!("From: Officer One <{OFFICER}>"), &from);
            let r = gate(&m).unwrap_err();
            assert!(
                matches!(
                    r.code,
                    RefusalCode::MalformedHeaders | RefusalCode::NotOfficer
                ),
                "{from}: {r}"
            );
        }
        let twice = message(&submitted(OFFICER), "From: <attacker@public.test>\r\n");
        assert_eq!(
            gate(&twice).unwrap_err().code,
            RefusalCode::MalformedHeaders
        );
        for lookalike in [
            "officer1@counci1.test",
            "officer1@xn--council-8ya.test",
            "officer1@council.test.evil.example",
        ] {
            let m = message(&submitted(lookalike), "").replace(OFFICER, lookalike);
            assert_eq!(
                gate(&m).unwrap_err().code,
                RefusalCode::NotOfficer,
                "{lookalike}"
            );
        }
    }

    #[test]
    fn smuggling_bytes_are_refused() {
        let nul = message(&submitted(OFFICER), "").replace("Subject:", "Subject: a\0b\r\nX:");
        assert_eq!(gate(&nul).unwrap_err().code, RefusalCode::MalformedHeaders);
        let cr = message(&submitted(OFFICER), "").replace("To: foi", "To:\rfoi");
        assert_eq!(gate(&cr).unwrap_err().code, RefusalCode::MalformedHeaders);
        let lf = message(&submitted(OFFICER), "").replacen(
            "To: foi@council.test\r\n",
            "To: foi@council.test\n",
            1,
        );
        assert_eq!(gate(&lf).unwrap_err().code, RefusalCode::MalformedHeaders);
        let r = check(
            message(&submitted(OFFICER), "").as_bytes(),
            Some("attacker@public.test"),
            |a| a == OFFICER,
            Some(&mode()),
        )
        .unwrap_err();
        assert_eq!(
            r.code,
            RefusalCode::MalformedHeaders,
            "parser differential: {r}"
        );
    }

    #[test]
    fn sent_on_behalf_is_refused() {
        let m = message(&submitted(OFFICER), "Sender: officer2@council.test\r\n");
        assert_eq!(gate(&m).unwrap_err().code, RefusalCode::Delegated);
        let same = message(&submitted(OFFICER), &format!("Sender: {OFFICER}\r\n"));
        assert!(gate(&same).is_ok());
    }

    #[test]
    fn no_mode_means_no_command() {
        let r = check(
            message(&submitted(OFFICER), "").as_bytes(),
            None,
            |a| a == OFFICER,
            None,
        )
        .unwrap_err();
        assert_eq!(r.code, RefusalCode::NotConfigured);
    }

    #[test]
    fn received_fields_are_read_from_their_end() {
        let r = parse_received("from [127.0.0.1] (unknown [127.0.0.1]) (Authenticated sender: a@b.test) by mx.council.test (Postfix) with ESMTPSA id 1 for <foi@council.test>; Wed, 2 Dec 2026 08:59:33 +0000").unwrap();
        assert_eq!(r.by, "mx.council.test");
        assert_eq!(r.with, "ESMTPSA");
        assert_eq!(r.client_ip.as_deref(), Some("127.0.0.1"));
        let postfix = ReceivedStamp::postfix(vec![]);
        assert_eq!(postfix.login(&r).as_deref(), Some("a@b.test"));
        let v6 = parse_received("from mail.example (mail.example [IPv6:2001:db8::1]) by mx.council.test (Postfix) with ESMTPS id 2 for <foi@council.test>; date").unwrap();
        assert_eq!(v6.client_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(postfix.login(&v6), None);
        assert!(parse_received("by nowhere").is_none());
        // Exim's shape, with a site's own stamp just before `by`.
        let exim = parse_received("from [10.0.0.5] (helo=laptop) (authenticated_id=jsmith) by mail.council.test with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <j.smith@council.test>) id 1r2abc-000XYZ-0A for foi@council.test; Wed, 02 Dec 2026 09:00:00 +0000").unwrap();
        assert_eq!(exim.by, "mail.council.test");
        assert_eq!(exim.with, "ESMTPSA");
        assert_eq!(exim.client_ip.as_deref(), Some("10.0.0.5"));
        let mut site = ReceivedStamp::postfix(vec!["mail.council.test".into()]);
        site.stamp = Stamp::new(r"\(authenticated_id=(?P<login>[^()\s]+)\)").unwrap();
        assert_eq!(site.login(&exim).as_deref(), Some("jsmith"));
        assert_eq!(postfix.login(&exim), None);
        let with_rdns = parse_received("from laptop.council.test ([10.0.0.6] helo=laptop) by mail.council.test with esmtpa (Exim 4.96) id 1r2abd; date").unwrap();
        assert_eq!(with_rdns.client_ip.as_deref(), Some("10.0.0.6"));
        assert!(Stamp::new("no group").is_err());
    }
}
