//! `foid doctor trust`: measure the council's mail system instead of
//! guessing. Given header blocks of mail from officers and from outside,
//! say what each platform stamped, which mode fits, and propose its
//! `[trust]` section; then check the proposal against the same mail (every
//! officer's message vouched for, no outsider's).

use std::collections::BTreeSet;

use super::authres;
use super::received::{parse_received, ReceivedStamp};
use super::{check, parse_block, sender, DelegatedSend, Field, Policy, TrustMode};
use super::{ExchangeOnPrem, ExchangeOnline, GoogleWorkspace, Requirement};

/// What one message shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    pub from: Option<String>,
    pub officer: bool,
    pub auth_as: Vec<String>,
    pub auth_mechanism: Vec<String>,
    pub auth_source: Vec<String>,
    pub tenant: Vec<String>,
    pub cross_tenant_auth_as: Vec<String>,
    pub from_entity: Vec<String>,
    pub directionality: Vec<String>,
    /// `dmarc` result of mx.google.com's own Authentication-Results.
    pub google_dmarc: Option<String>,
    /// `Received` from the top: (by, with, client, Postfix-stamp login).
    pub hops: Vec<(String, String, Option<String>, Option<String>)>,
    /// Why the block could not be read, if it could not.
    pub unreadable: Option<String>,
}

fn values(fields: &[Field], name: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.value.trim().to_string())
        .collect()
}

/// Reads what the platform stamped on one message.
pub fn observe(header_block: &[u8], is_officer: impl Fn(&str) -> bool) -> Observation {
    let fields = match parse_block(header_block) {
        Ok(f) => f,
        Err(r) => {
            return Observation {
                unreadable: Some(r.to_string()),
                ..Observation::default()
            }
        }
    };
    let from = sender(&fields, None, DelegatedSend::SenderIsActor).ok();
    let postfix = ReceivedStamp::postfix(vec![]);
    let mut google_dmarc = None;
    if let Some(top) = fields.iter().position(|f| {
        f.name.eq_ignore_ascii_case("Received")
            && parse_received(&f.value).is_some_and(|r| r.by == "mx.google.com")
    }) {
        google_dmarc = fields
            .iter()
            .skip(top + 1)
            .take_while(|f| !f.name.eq_ignore_ascii_case("Received"))
            .filter(|f| f.name.eq_ignore_ascii_case("Authentication-Results"))
            .map(|f| authres::parse(&f.value))
            .filter(|ar| ar.authserv_id.as_deref() == Some("mx.google.com"))
            .flat_map(|ar| ar.results)
            .find(|r| r.method == "dmarc")
            .map(|r| r.result);
    }
    let hops = fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Received"))
        .filter_map(|f| parse_received(&f.value))
        .map(|r| {
            let login = postfix.login(&r);
            (r.by, r.with, r.client_ip, login)
        })
        .collect();
    Observation {
        officer: from.as_deref().is_some_and(&is_officer),
        from,
        auth_as: values(&fields, "X-MS-Exchange-Organization-AuthAs"),
        auth_mechanism: values(&fields, "X-MS-Exchange-Organization-AuthMechanism"),
        auth_source: values(&fields, "X-MS-Exchange-Organization-AuthSource"),
        tenant: values(&fields, "X-MS-Exchange-CrossTenant-Id"),
        cross_tenant_auth_as: values(&fields, "X-MS-Exchange-CrossTenant-AuthAs"),
        from_entity: values(&fields, "X-MS-Exchange-CrossTenant-FromEntityHeader"),
        directionality: values(&fields, "X-MS-Exchange-Organization-MessageDirectionality"),
        google_dmarc,
        hops,
        unreadable: None,
    }
}

fn all_one(v: &[String], want: &str) -> bool {
    v.len() == 1 && v.iter().all(|x| x.eq_ignore_ascii_case(want))
}

/// The mode the officers' mail fits, from their observations; `None` when
/// no mode fits all of them.
pub fn propose(officers: &[&Observation], council_domain: &str) -> Option<Policy> {
    if officers.is_empty() {
        return None;
    }
    let set = |f: fn(&Observation) -> &Vec<String>| -> BTreeSet<String> {
        officers.iter().flat_map(|o| f(o).iter().cloned()).collect()
    };
    let mode = if officers.iter().all(|o| {
        all_one(&o.auth_as, "Internal")
            && all_one(&o.cross_tenant_auth_as, "Internal")
            && o.tenant.len() == 1
            && o.from_entity.len() == 1
    }) && set(|o| &o.tenant).len() == 1
    {
        let tenant = set(|o| &o.tenant).into_iter().next()?;
        TrustMode::ExchangeOnline(ExchangeOnline {
            tenant_id: tenant.to_ascii_lowercase(),
            from_entity: set(|o| &o.from_entity).into_iter().collect(),
            auth_mechanism: set(|o| &o.auth_mechanism).into_iter().collect(),
            require_originating: officers
                .iter()
                .all(|o| all_one(&o.directionality, "Originating")),
        })
    } else if officers
        .iter()
        .all(|o| all_one(&o.auth_as, "Internal") && o.auth_source.len() == 1 && o.tenant.is_empty())
    {
        TrustMode::ExchangeOnPrem(ExchangeOnPrem {
            auth_source_hosts: set(|o| &o.auth_source)
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            auth_mechanism: set(|o| &o.auth_mechanism).into_iter().collect(),
        })
    } else if officers
        .iter()
        .all(|o| o.google_dmarc.as_deref() == Some("pass"))
    {
        TrustMode::GoogleWorkspace(GoogleWorkspace {
            council_domains: vec![council_domain.to_ascii_lowercase()],
            require: Requirement::DmarcPass,
            dkim_selectors: vec!["google".into()],
        })
    } else {
        // received_stamp: every officer's message has a stamped hop; the
        // hosts are those that wrote the hops down to it, and the relays
        // the clients of unauthenticated hops above it (not LMTP). Only a
        // loopback or private address can be a relay: a public one above
        // the stamp is where the message really came in, and the stamp
        // below it is the sender's own text.
        // A relay is kept only when most of the officers' messages pass
        // through it: a forgery sent from inside the network (its stamp
        // below an unauthenticated hop) must not teach foid to skip that hop.
        let mut hosts = BTreeSet::new();
        let mut relays: std::collections::BTreeMap<String, usize> = Default::default();
        for o in officers {
            let entry = o.hops.iter().position(|h| h.3.is_some())?;
            let mut mine = BTreeSet::new();
            for (by, with, client, _) in o.hops.iter().take(entry) {
                hosts.insert(by.clone());
                if with != "LMTP" {
                    let c = client.as_ref().filter(|c| is_private(c))?;
                    mine.insert(c.clone());
                }
            }
            for c in mine {
                *relays.entry(c).or_default() += 1;
            }
            if let Some((by, _, _, _)) = o.hops.get(entry) {
                hosts.insert(by.clone());
            }
        }
        let mut r = ReceivedStamp::postfix(hosts.into_iter().collect());
        r.hops.internal_relays = relays
            .into_iter()
            .filter(|(_, n)| 2 * n > officers.len())
            .map(|(c, _)| c)
            .collect();
        TrustMode::ReceivedStamp(r)
    };
    Some(Policy {
        mode,
        delegated_send: DelegatedSend::Refuse,
    })
}

fn is_private(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        Ok(std::net::IpAddr::V6(v6)) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => false,
    }
}

/// The proposal as the `[trust]` section to paste.
pub fn as_toml(policy: &Policy) -> String {
    let list = |v: &[String]| {
        format!(
            "[{}]",
            v.iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut out = format!("[trust]\nmode = \"{}\"\n\n", policy.mode.name());
    match &policy.mode {
        TrustMode::ExchangeOnline(e) => out.push_str(&format!(
            "[trust.exchange_online]\ntenant_id = \"{}\"\nfrom_entity = {}\nauth_mechanism = {}\nrequire_originating = {}\n",
            e.tenant_id,
            list(&e.from_entity),
            list(&e.auth_mechanism),
            e.require_originating
        )),
        TrustMode::ExchangeOnPrem(e) => out.push_str(&format!(
            "[trust.exchange_onprem]\nauth_source_hosts = {}\nauth_mechanism = {}\n",
            list(&e.auth_source_hosts),
            list(&e.auth_mechanism)
        )),
        TrustMode::GoogleWorkspace(g) => out.push_str(&format!(
            "[trust.google_workspace]\ncouncil_domains = {}\nrequire = \"dmarc_pass\"\n",
            list(&g.council_domains)
        )),
        TrustMode::ReceivedStamp(r) => out.push_str(&format!(
            "[trust.received_stamp]\nhosts = {}\ninternal_relays = {}\n",
            list(&r.hops.hosts),
            list(&r.hops.internal_relays)
        )),
        TrustMode::AuthenticationResults(a) => out.push_str(&format!(
            "[trust.authentication_results]\nauthserv_ids = {}\nhosts = {}\n",
            list(&a.authserv_ids),
            list(&a.hops.hosts)
        )),
    }
    out
}

/// How the proposal fares on the same mail: (officers' messages vouched
/// for, of; outsiders' messages vouched for, of).
pub fn verify(
    policy: &Policy,
    blocks: &[(&[u8], bool)],
    is_officer: impl Fn(&str) -> bool,
) -> ((usize, usize), (usize, usize)) {
    let mut officers = (0, 0);
    let mut outsiders = (0, 0);
    for (block, officer) in blocks {
        // Outsiders are judged as if they were officers: would the platform
        // have vouched for a message claiming to be one?
        let vouched = check(block, None, |a| !*officer || is_officer(a), Some(policy)).is_ok();
        let tally = if *officer {
            &mut officers
        } else {
            &mut outsiders
        };
        tally.1 += 1;
        tally.0 += usize::from(vouched);
    }
    (officers, outsiders)
}

/// The proposal that vouches for the most officers' messages (and, among
/// equals, the fewest others'), from the merge of the messages that fit
/// each mode: a forged message claiming an officer's From then shows up as
/// one the proposal does not vouch for, instead of spoiling it.
pub fn best(
    seen: &[(&Observation, &[u8])],
    council_domain: &str,
    is_officer: impl Fn(&str) -> bool + Copy,
) -> Option<Policy> {
    let officers: Vec<&Observation> = seen.iter().map(|s| s.0).filter(|o| o.officer).collect();
    // What each message fits on its own.
    let singles: Vec<(&Observation, Policy)> = officers
        .iter()
        .filter_map(|o| propose(&[*o], council_domain).map(|p| (*o, p)))
        .collect();
    // The merge of each mode's messages first (it keeps only what most of
    // them show); single messages only when no merge fits.
    let modes: BTreeSet<&str> = singles.iter().map(|(_, p)| p.mode.name()).collect();
    let mut candidates: Vec<Policy> = modes
        .into_iter()
        .filter_map(|mode| {
            let same: Vec<&Observation> = singles
                .iter()
                .filter(|(_, p)| p.mode.name() == mode)
                .map(|(o, _)| *o)
                .collect();
            propose(&same, council_domain)
        })
        .collect();
    if candidates.is_empty() {
        candidates = singles.into_iter().map(|(_, p)| p).collect();
    }
    let blocks: Vec<(&[u8], bool)> = seen.iter().map(|(o, b)| (*b, o.officer)).collect();
    candidates
        .into_iter()
        .map(|p| {
            let ((ok, _), (bad, _)) = verify(&p, &blocks, is_officer);
            (ok, std::cmp::Reverse(bad), p)
        })
        .filter(|(ok, _, _)| *ok > 0)
        .max_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)))
        .map(|(_, _, p)| p)
}
