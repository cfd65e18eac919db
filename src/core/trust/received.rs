//! `received_stamp`: the council's own MTA records the SASL login of an
//! authenticated submission in its `Received` line, and only the hop where
//! the message entered the council's system counts. The walk from the top
//! is shared with `authentication_results`, which trusts only what the
//! council's own hops wrote above that entry hop.

use std::sync::LazyLock;

use regex::Regex;

use super::{refuse, truncate, Field, Refusal, RefusalCode};

/// One `Received` value, read from its end, where the receiving server
/// wrote it: whatever the client chose (its HELO name, the addresses) comes
/// first, so a look-alike clause planted there is never taken for the
/// server's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub by: String,
    pub with: String,
    pub client_ip: Option<String>,
    /// Everything before the `by` clause, where the stamp is.
    pub from_part: String,
}

static BY_CLAUSE: LazyLock<Regex> = LazyLock::new(|| {
    // After `with TYPE` come only the server's own items, in any order:
    // comments (Exim's TLS version and `(Exim 4.96)`), `tls CIPHER`,
    // `id QUEUEID`, `(envelope-from <…>)` and `for <…>`. None of them can
    // be a bare `by`, so a by-clause planted in the client's HELO can never
    // be the one matched.
    #[allow(clippy::expect_used)] // a constant pattern, covered by the tests
    Regex::new(
        r"(?i)(?:^|\s)by\s+(?P<by>[A-Za-z0-9.-]+)(?:\s+\([^()]*\))?\s+with\s+(?P<with>[A-Za-z0-9]+)(?:\s+\([^()]*\)|\s+tls\s+[A-Za-z0-9_-]+|\s+id\s+[^\s;()<>]+|\s+\(envelope-from\s+<[^<>]*>\)|\s+for\s+<?[^\s<>;()]+>?)*\s*$",
    )
    .expect("valid constant regex")
});

static CLIENT_IP: LazyLock<Regex> = LazyLock::new(|| {
    // The bracketed address the server looked up, in the last comment that
    // has one: `(rdns [192.0.2.7])` (Postfix), `([192.0.2.7] helo=x)` (Exim).
    #[allow(clippy::expect_used)] // a constant pattern, covered by the tests
    Regex::new(
        r"(?i)\((?:[^()\[\]]*\s)?\[(?:ipv6:)?(?P<ip>[0-9a-f.:]+)\](?::\d+)?(?:\s[^()\[\]]*)?\)",
    )
    .expect("valid constant regex")
});

static BARE_CLIENT_IP: LazyLock<Regex> = LazyLock::new(|| {
    // Exim without reverse DNS: `from [192.0.2.7] (helo=x)`.
    #[allow(clippy::expect_used)] // a constant pattern, covered by the tests
    Regex::new(r"(?i)^from\s+\[(?:ipv6:)?(?P<ip>[0-9a-f.:]+)\](?::\d+)?(?:\s|$)")
        .expect("valid constant regex")
});

/// Reads one `Received` value; `None` when it is not in the shape an MTA
/// writes.
pub fn parse_received(value: &str) -> Option<Received> {
    let (head, _date) = value.rsplit_once(';')?;
    let head = head.trim();
    let by = BY_CLAUSE.captures(head)?;
    let whole = by.get(0)?;
    let from_part = head.get(..whole.start())?.trim();
    let client_ip = CLIENT_IP
        .captures_iter(from_part)
        .last()
        .or_else(|| BARE_CLIENT_IP.captures(from_part))
        .and_then(|c| c.name("ip"))
        .map(|m| m.as_str().to_ascii_lowercase());
    Some(Received {
        by: by.name("by")?.as_str().to_ascii_lowercase(),
        with: by.name("with")?.as_str().to_ascii_uppercase(),
        client_ip,
        from_part: from_part.to_string(),
    })
}

/// The pattern of an MTA's authentication stamp, with a `login` group,
/// matched at the very end of the part before `by` (right where the server
/// writes it, after anything the client chose).
#[derive(Debug, Clone)]
pub struct Stamp(Regex);

impl Stamp {
    /// Postfix with `smtpd_sasl_authenticated_header = yes`.
    pub const POSTFIX: &'static str = r"\(Authenticated sender:\s*(?P<login>[^()\s]+)\)";

    pub fn new(pattern: &str) -> Result<Stamp, String> {
        let anchored = Regex::new(&format!(r"(?i)(?:{pattern})\s*$"))
            .map_err(|e| format!("not a valid pattern: {e}"))?;
        if !anchored.capture_names().any(|n| n == Some("login")) {
            return Err("the pattern has no (?P<login>…) group".into());
        }
        Ok(Stamp(anchored))
    }

    pub fn postfix() -> Stamp {
        #[allow(clippy::expect_used)] // a constant pattern, covered by the tests
        Stamp::new(Stamp::POSTFIX).expect("valid constant pattern")
    }

    fn login(&self, from_part: &str) -> Option<String> {
        self.0
            .captures(from_part)
            .and_then(|c| c.name("login"))
            .map(|m| m.as_str().to_string())
    }
}

impl PartialEq for Stamp {
    fn eq(&self, other: &Stamp) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for Stamp {}

/// The council's own hops, as configured for either Received-based mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hops {
    /// The council's MTAs, as they name themselves after `by` (lowercase).
    pub hosts: Vec<String>,
    /// Client addresses of the council's own relays and filters between the
    /// entry hop and the mailbox (a content filter re-injecting mail).
    pub internal_relays: Vec<String>,
    /// How many `Received` fields to walk before giving up.
    pub max_hops: usize,
}

/// Where a message entered the council's system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryHop {
    /// Its position among all the header fields (everything before it was
    /// written by the council's own hops).
    pub field_index: usize,
    pub received: Received,
    /// "entry hop (Received field 2): by mx… from [192.0.2.7] with ESMTPSA".
    pub place: String,
}

/// Walks `Received` from the top through the council's own hosts, past
/// LMTP and internal relays, to the entry hop. `entry_anyway` marks a hop
/// that is the entry wherever it came from (an authenticated submission).
pub fn entry_hop(
    fields: &[Field],
    hops: &Hops,
    entry_anyway: impl Fn(&Received) -> bool,
) -> Result<EntryHop, Refusal> {
    let received: Vec<(usize, &Field)> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name.eq_ignore_ascii_case("Received"))
        .collect();
    if received.is_empty() {
        return refuse(
            RefusalCode::NoTrustedHop,
            "no Received field: the message did not arrive through the council's mail system",
        );
    }
    for (hop, (field_index, field)) in received.iter().enumerate().take(hops.max_hops) {
        let Some(r) = parse_received(&field.value) else {
            return refuse(
                RefusalCode::NoTrustedHop,
                format!(
                    "Received field {} is not in the shape the council's mail system writes: {:?}",
                    hop + 1,
                    truncate(&field.value, 160)
                ),
            );
        };
        if !hops.hosts.iter().any(|h| h.eq_ignore_ascii_case(&r.by)) {
            return refuse(
                RefusalCode::NoTrustedHop,
                format!(
                    "Received field {} was written by {}, not by a configured host ({})",
                    hop + 1,
                    r.by,
                    hops.hosts.join(", ")
                ),
            );
        }
        let internal = !entry_anyway(&r)
            && (r.with == "LMTP"
                || r.client_ip.as_deref().is_some_and(|ip| {
                    hops.internal_relays
                        .iter()
                        .any(|relay| relay.eq_ignore_ascii_case(ip))
                }));
        if internal {
            continue;
        }
        let client = r.client_ip.as_deref().unwrap_or("an unknown client");
        let place = format!(
            "entry hop (Received field {}): by {} from [{client}] with {}",
            hop + 1,
            r.by,
            r.with
        );
        return Ok(EntryHop {
            field_index: *field_index,
            received: r,
            place,
        });
    }
    refuse(
        RefusalCode::NoTrustedHop,
        format!(
            "no entry hop within the first {} Received fields",
            hops.max_hops
        ),
    )
}

/// `[trust.received_stamp]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedStamp {
    pub hops: Hops,
    /// The MTA's stamp (Postfix by default).
    pub stamp: Stamp,
    /// Transmission types that mean an authenticated submission (RFC 3848),
    /// uppercase.
    pub with_types: Vec<String>,
    /// SASL login → address, where they differ (lowercase).
    pub logins: std::collections::BTreeMap<String, String>,
}

impl ReceivedStamp {
    /// Postfix's stamp and types for these hosts.
    pub fn postfix(hosts: Vec<String>) -> ReceivedStamp {
        ReceivedStamp {
            hops: Hops {
                hosts,
                internal_relays: vec![],
                max_hops: 8,
            },
            stamp: Stamp::postfix(),
            with_types: vec!["ESMTPA".into(), "ESMTPSA".into()],
            logins: Default::default(),
        }
    }

    /// The login of an authenticated submission recorded in `r`.
    pub fn login(&self, r: &Received) -> Option<String> {
        self.with_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&r.with))
            .then(|| self.stamp.login(&r.from_part))
            .flatten()
    }
}

/// The `received_stamp` mode: the entry hop must carry the stamp of an
/// authenticated submission whose login is the From address.
pub fn received_stamp(
    fields: &[Field],
    actor: &str,
    policy: &ReceivedStamp,
) -> Result<String, Refusal> {
    // An authenticated submission is the entry wherever it came from (a
    // content filter re-injects from the same loopback address an officer's
    // client may use); only unauthenticated hops are passed.
    let entry = entry_hop(fields, &policy.hops, |r| policy.login(r).is_some())?;
    let place = &entry.place;
    let Some(login) = policy.login(&entry.received) else {
        return refuse(
            RefusalCode::NotAuthenticated,
            format!("{place}: no authenticated submission"),
        );
    };
    let address = policy
        .logins
        .get(&login.to_ascii_lowercase())
        .cloned()
        .unwrap_or_else(|| login.to_ascii_lowercase());
    if !address.eq_ignore_ascii_case(actor) {
        return refuse(
            RefusalCode::LoginMismatch,
            format!("{place}: submitted by login {login} ({address}), not by {actor}"),
        );
    }
    Ok(format!("{place}, authenticated sender {login}"))
}
