//! `[trust]`: how the council's mail system vouches for an officer's mail,
//! one mode and its section, turned into the core's [`Policy`].

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{is_domain, is_email_address};
use crate::core::trust::{
    AuthenticationResults, DelegatedSend, ExchangeOnPrem, ExchangeOnline, GoogleWorkspace, Hops,
    Policy, ReceivedStamp, Requirement, Stamp, TrustMode,
};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    /// Exactly one mode; there is no fallback to a weaker one.
    pub mode: TrustModeName,
    /// Mail sent on behalf of another mailbox (`Sender` ≠ `From`).
    #[serde(default)]
    pub delegated_send: DelegatedSendName,
    /// Warn an officer (at their configured address, at most once a day)
    /// when mail claiming to be from them fails the gate.
    #[serde(default = "default_true")]
    pub notify_impersonated_officer: bool,
    pub received_stamp: Option<ReceivedStampConfig>,
    pub authentication_results: Option<AuthenticationResultsConfig>,
    pub exchange_online: Option<ExchangeOnlineConfig>,
    pub exchange_onprem: Option<ExchangeOnPremConfig>,
    pub google_workspace: Option<GoogleWorkspaceConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustModeName {
    /// The council's own MTA stamps authenticated submission in `Received`
    /// (Postfix `smtpd_sasl_authenticated_header = yes`).
    ReceivedStamp,
    /// The council's own border filter writes `Authentication-Results`.
    AuthenticationResults,
    /// Microsoft 365.
    ExchangeOnline,
    /// Exchange Server on the council's premises.
    ExchangeOnprem,
    GoogleWorkspace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelegatedSendName {
    #[default]
    Refuse,
    SenderIsActor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementName {
    #[default]
    DmarcPass,
    DkimAligned,
}

/// `[trust.received_stamp]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivedStampConfig {
    /// The council's MTAs as they name themselves in `Received: … by HOST`.
    pub hosts: Vec<String>,
    /// Client addresses of the council's own relays and content filters
    /// between the entry hop and the mailbox.
    #[serde(default)]
    pub internal_relays: Vec<String>,
    /// SASL login → officer address, where they differ.
    #[serde(default)]
    pub logins: BTreeMap<String, String>,
    #[serde(default = "default_max_hops")]
    pub max_hops: usize,
    /// The MTA's stamp, a pattern with a `(?P<login>…)` group; Postfix's by
    /// default.
    pub stamp: Option<String>,
    /// Transmission types of an authenticated submission (RFC 3848).
    #[serde(default = "default_with_types")]
    pub with_types: Vec<String>,
}

/// `[trust.authentication_results]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationResultsConfig {
    /// The authserv-ids the council's own filter writes.
    pub authserv_ids: Vec<String>,
    /// The council's MTAs, as for `received_stamp`.
    pub hosts: Vec<String>,
    #[serde(default)]
    pub internal_relays: Vec<String>,
    #[serde(default = "default_max_hops")]
    pub max_hops: usize,
    #[serde(default)]
    pub require: RequirementName,
    #[serde(default)]
    pub dkim_selectors: Vec<String>,
}

/// `[trust.exchange_online]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeOnlineConfig {
    /// The council's tenant GUID.
    pub tenant_id: String,
    /// `Hosted`; add `HybridOnPrem` only for a hybrid council.
    #[serde(default = "default_from_entity")]
    pub from_entity: Vec<String>,
    /// `AuthMechanism` values to accept; empty: any.
    #[serde(default)]
    pub auth_mechanism: Vec<String>,
    #[serde(default = "default_true")]
    pub require_originating: bool,
}

/// `[trust.exchange_onprem]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeOnPremConfig {
    /// The Exchange servers that appear as `AuthSource`.
    pub auth_source_hosts: Vec<String>,
    #[serde(default)]
    pub auth_mechanism: Vec<String>,
}

/// `[trust.google_workspace]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleWorkspaceConfig {
    /// The council's mail domains; default: `[council] domain`.
    #[serde(default)]
    pub council_domains: Vec<String>,
    #[serde(default)]
    pub require: RequirementName,
    #[serde(default = "default_google_selectors")]
    pub dkim_selectors: Vec<String>,
}

fn default_max_hops() -> usize {
    8
}
fn default_with_types() -> Vec<String> {
    vec!["ESMTPA".into(), "ESMTPSA".into()]
}
fn default_from_entity() -> Vec<String> {
    vec!["Hosted".into()]
}
fn default_true() -> bool {
    true
}
fn default_google_selectors() -> Vec<String> {
    vec!["google".into()]
}

fn lower(v: &[String]) -> Vec<String> {
    v.iter().map(|s| s.trim().to_ascii_lowercase()).collect()
}

fn requirement(r: RequirementName) -> Requirement {
    match r {
        RequirementName::DmarcPass => Requirement::DmarcPass,
        RequirementName::DkimAligned => Requirement::DkimAligned,
    }
}

impl Trust {
    /// The core's form of `[trust]`; `None` when the mode's section is
    /// missing or wrong (validation has said which).
    pub fn policy(&self, council_domain: &str) -> Option<Policy> {
        let mode = match self.mode {
            TrustModeName::ReceivedStamp => {
                let r = self.received_stamp.as_ref()?;
                let stamp = match &r.stamp {
                    Some(p) => Stamp::new(p).ok()?,
                    None => Stamp::postfix(),
                };
                TrustMode::ReceivedStamp(ReceivedStamp {
                    hops: Hops {
                        hosts: lower(&r.hosts),
                        internal_relays: r.internal_relays.clone(),
                        max_hops: r.max_hops,
                    },
                    stamp,
                    with_types: r
                        .with_types
                        .iter()
                        .map(|t| t.to_ascii_uppercase())
                        .collect(),
                    logins: r
                        .logins
                        .iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_ascii_lowercase()))
                        .collect(),
                })
            }
            TrustModeName::AuthenticationResults => {
                let a = self.authentication_results.as_ref()?;
                TrustMode::AuthenticationResults(AuthenticationResults {
                    hops: Hops {
                        hosts: lower(&a.hosts),
                        internal_relays: a.internal_relays.clone(),
                        max_hops: a.max_hops,
                    },
                    authserv_ids: lower(&a.authserv_ids),
                    require: requirement(a.require),
                    dkim_selectors: a.dkim_selectors.clone(),
                })
            }
            TrustModeName::ExchangeOnline => {
                let e = self.exchange_online.as_ref()?;
                TrustMode::ExchangeOnline(ExchangeOnline {
                    tenant_id: e.tenant_id.trim().to_ascii_lowercase(),
                    from_entity: e.from_entity.clone(),
                    auth_mechanism: e.auth_mechanism.clone(),
                    require_originating: e.require_originating,
                })
            }
            TrustModeName::ExchangeOnprem => {
                let e = self.exchange_onprem.as_ref()?;
                TrustMode::ExchangeOnPrem(ExchangeOnPrem {
                    auth_source_hosts: lower(&e.auth_source_hosts),
                    auth_mechanism: e.auth_mechanism.clone(),
                })
            }
            TrustModeName::GoogleWorkspace => {
                let g = self.google_workspace.as_ref()?;
                let domains = if g.council_domains.is_empty() {
                    vec![council_domain.to_ascii_lowercase()]
                } else {
                    lower(&g.council_domains)
                };
                TrustMode::GoogleWorkspace(GoogleWorkspace {
                    council_domains: domains,
                    require: requirement(g.require),
                    dkim_selectors: g.dkim_selectors.clone(),
                })
            }
        };
        Some(Policy {
            mode,
            delegated_send: match self.delegated_send {
                DelegatedSendName::Refuse => DelegatedSend::Refuse,
                DelegatedSendName::SenderIsActor => DelegatedSend::SenderIsActor,
            },
        })
    }

    /// Everything wrong with `[trust]`, by key.
    pub(super) fn problems(&self, bad: &mut impl FnMut(&str, String)) {
        let missing = |section: &str, hint: &str| {
            format!("missing: mode = {section:?} needs [trust.{section}] with {hint}")
        };
        match self.mode {
            TrustModeName::ReceivedStamp => match &self.received_stamp {
                None => bad(
                    "[trust.received_stamp]",
                    missing(
                        "received_stamp",
                        "hosts = [\"your MTA's name in Received: ... by HOST\"]",
                    ),
                ),
                Some(r) => {
                    hops_problems(
                        "received_stamp",
                        &r.hosts,
                        &r.internal_relays,
                        r.max_hops,
                        bad,
                    );
                    for (login, address) in &r.logins {
                        if !is_email_address(address) {
                            bad(
                                &format!("[trust.received_stamp.logins] {login}"),
                                format!("{address:?} is not an email address"),
                            );
                        }
                    }
                    if let Some(p) = &r.stamp {
                        if let Err(e) = Stamp::new(p) {
                            bad("[trust.received_stamp] stamp", e);
                        }
                    }
                    if r.with_types.is_empty() {
                        bad(
                            "[trust.received_stamp] with_types",
                            "must list at least one transmission type (ESMTPA, ESMTPSA)".into(),
                        );
                    }
                }
            },
            TrustModeName::AuthenticationResults => match &self.authentication_results {
                None => bad(
                    "[trust.authentication_results]",
                    missing("authentication_results", "authserv_ids and hosts"),
                ),
                Some(a) => {
                    hops_problems(
                        "authentication_results",
                        &a.hosts,
                        &a.internal_relays,
                        a.max_hops,
                        bad,
                    );
                    if a.authserv_ids.is_empty() || a.authserv_ids.iter().any(|h| !is_domain(h)) {
                        bad(
                            "[trust.authentication_results] authserv_ids",
                            "must list the authserv-ids your own filter writes (e.g. [\"mx.council.gov.uk\"])".into(),
                        );
                    }
                }
            },
            TrustModeName::ExchangeOnline => match &self.exchange_online {
                None => bad(
                    "[trust.exchange_online]",
                    missing("exchange_online", "tenant_id = \"your tenant's GUID\""),
                ),
                Some(e) => {
                    if !is_guid(&e.tenant_id) {
                        bad(
                            "[trust.exchange_online] tenant_id",
                            format!(
                                "{:?} is not a tenant GUID (8-4-4-4-12 hex digits; Entra admin centre, Overview)",
                                e.tenant_id
                            ),
                        );
                    }
                    if e.from_entity.is_empty() {
                        bad(
                            "[trust.exchange_online] from_entity",
                            "must list at least \"Hosted\"".into(),
                        );
                    }
                    for v in &e.from_entity {
                        if !matches!(v.as_str(), "Hosted" | "HybridOnPrem") {
                            bad(
                                "[trust.exchange_online] from_entity",
                                format!("{v:?} is not Hosted or HybridOnPrem"),
                            );
                        }
                    }
                }
            },
            TrustModeName::ExchangeOnprem => match &self.exchange_onprem {
                None => bad(
                    "[trust.exchange_onprem]",
                    missing("exchange_onprem", "auth_source_hosts"),
                ),
                Some(e) => {
                    if e.auth_source_hosts.is_empty() {
                        bad(
                            "[trust.exchange_onprem] auth_source_hosts",
                            "must list the Exchange servers that appear as X-MS-Exchange-Organization-AuthSource".into(),
                        );
                    }
                }
            },
            TrustModeName::GoogleWorkspace => match &self.google_workspace {
                None => bad(
                    "[trust.google_workspace]",
                    missing("google_workspace", "at least require = \"dmarc_pass\""),
                ),
                Some(g) => {
                    for d in &g.council_domains {
                        if !is_domain(d) {
                            bad(
                                "[trust.google_workspace] council_domains",
                                format!("{d:?} is not a domain"),
                            );
                        }
                    }
                    if g.require == RequirementName::DkimAligned && g.dkim_selectors.is_empty() {
                        bad(
                            "[trust.google_workspace] dkim_selectors",
                            "require = \"dkim_aligned\" needs the council's Google DKIM selectors"
                                .into(),
                        );
                    }
                }
            },
        }
    }
}

fn hops_problems(
    section: &str,
    hosts: &[String],
    relays: &[String],
    max_hops: usize,
    bad: &mut impl FnMut(&str, String),
) {
    if hosts.is_empty() || hosts.iter().any(|h| !is_domain(h)) {
        bad(
            &format!("[trust.{section}] hosts"),
            "must list the council's MTAs by the names they write after `by` in Received (e.g. [\"mx.council.gov.uk\"])".into(),
        );
    }
    for relay in relays {
        if relay.parse::<std::net::IpAddr>().is_err() {
            bad(
                &format!("[trust.{section}] internal_relays"),
                format!("{relay:?} is not an IP address"),
            );
        }
    }
    if max_hops == 0 || max_hops > 50 {
        bad(
            &format!("[trust.{section}] max_hops"),
            "must be between 1 and 50".into(),
        );
    }
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.trim().split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, ConfigError};
    use crate::core::trust::{DelegatedSend, TrustMode};

    const BASE: &str = "[council]\nname = \"Test Council\"\naddress = \"foi@council.test\"\ndomain = \"council.test\"\n[source]\nmaildir = \"/var/mail/foi\"\n[officers]\nteam = [\"officer1@council.test\"]\n";

    fn parse(trust: &str) -> Result<Config, ConfigError> {
        Config::parse(&format!("{BASE}{trust}"), Path::new("test.toml"))
    }

    fn problems(trust: &str) -> String {
        match parse(trust) {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        }
    }

    #[test]
    fn each_mode_reads_into_its_policy() {
        let cases = [
            ("[trust]\nmode = \"exchange_online\"\ndelegated_send = \"sender_is_actor\"\n[trust.exchange_online]\ntenant_id = \"3F0C6A52-9B1E-4D7A-8C25-6E1F0B9D4A73\"\n", "exchange_online"),
            ("[trust]\nmode = \"exchange_onprem\"\n[trust.exchange_onprem]\nauth_source_hosts = [\"EXCH01.council.local\"]\n", "exchange_onprem"),
            ("[trust]\nmode = \"google_workspace\"\n[trust.google_workspace]\n", "google_workspace"),
            ("[trust]\nmode = \"authentication_results\"\n[trust.authentication_results]\nauthserv_ids = [\"mx.council.test\"]\nhosts = [\"mx.council.test\"]\n", "authentication_results"),
            ("[trust]\nmode = \"received_stamp\"\n[trust.received_stamp]\nhosts = [\"mail.council.test\"]\nstamp = '\\(authenticated_id=(?P<login>[^()\\s]+)\\)'\nwith_types = [\"esmtpsa\"]\n", "received_stamp"),
        ];
        for (text, name) in cases {
            let config = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let policy = config
                .trust
                .as_ref()
                .and_then(|t| t.policy(&config.council.domain))
                .unwrap_or_else(|| panic!("{name}: no policy"));
            assert_eq!(policy.mode.name(), name);
            match &policy.mode {
                TrustMode::ExchangeOnline(e) => {
                    assert_eq!(e.tenant_id, "3f0c6a52-9b1e-4d7a-8c25-6e1f0b9d4a73");
                    assert_eq!(e.from_entity, vec!["Hosted"]);
                    assert!(e.require_originating);
                    assert_eq!(policy.delegated_send, DelegatedSend::SenderIsActor);
                }
                TrustMode::GoogleWorkspace(g) => {
                    assert_eq!(g.council_domains, vec!["council.test"]);
                    assert_eq!(g.dkim_selectors, vec!["google"]);
                }
                TrustMode::ReceivedStamp(r) => assert_eq!(r.with_types, vec!["ESMTPSA"]),
                _ => {}
            }
        }
    }

    #[test]
    fn a_bad_trust_section_names_its_key() {
        let missing = problems("[trust]\nmode = \"exchange_online\"\n");
        assert!(missing.contains("[trust.exchange_online]"), "{missing}");
        let guid = problems("[trust]\nmode = \"exchange_online\"\n[trust.exchange_online]\ntenant_id = \"contoso\"\n");
        assert!(guid.contains("[trust.exchange_online] tenant_id"), "{guid}");
        let entity = problems("[trust]\nmode = \"exchange_online\"\n[trust.exchange_online]\ntenant_id = \"3f0c6a52-9b1e-4d7a-8c25-6e1f0b9d4a73\"\nfrom_entity = [\"Internet\"]\n");
        assert!(entity.contains("from_entity"), "{entity}");
        let stamp = problems("[trust]\nmode = \"received_stamp\"\n[trust.received_stamp]\nhosts = [\"mx.council.test\"]\nstamp = \"no group\"\n");
        assert!(stamp.contains("[trust.received_stamp] stamp"), "{stamp}");
        let unknown = problems("[trust]\nmode = \"smoke_signals\"\n");
        assert!(
            unknown.contains("smoke_signals") || unknown.contains("mode"),
            "{unknown}"
        );
    }
}
