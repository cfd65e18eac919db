//! The trust gate over realistic header blocks of every platform a council
//! may run (tests/fixtures/trust): each genuine block is vouched for in its
//! own mode and refused in every other; every forgery is refused with the
//! expected code. Pure: no servers.

use std::collections::BTreeMap;
use std::path::Path;

use foid::core::trust::{
    check, AuthenticationResults, DelegatedSend, ExchangeOnPrem, ExchangeOnline, GoogleWorkspace,
    Hops, Policy, ReceivedStamp, Requirement, TrustMode,
};
use serde::Deserialize;

const TENANT: &str = "3f0c6a52-9b1e-4d7a-8c25-6e1f0b9d4a73";
const OFFICERS: [&str; 2] = ["officer1@council.example", "officer2@council.example"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    #[serde(default)]
    accept: Vec<String>,
    #[serde(default)]
    refuse: BTreeMap<String, String>,
    refuse_everywhere: Option<String>,
    #[serde(default)]
    accept_as_sender: Vec<String>,
    detail: Option<String>,
}

fn hops() -> Hops {
    Hops {
        hosts: vec!["mx.council.example".into()],
        internal_relays: vec!["127.0.0.1".into()],
        max_hops: 8,
    }
}

fn exchange_online(from_entity: &[&str]) -> TrustMode {
    TrustMode::ExchangeOnline(ExchangeOnline {
        tenant_id: TENANT.into(),
        from_entity: from_entity.iter().map(|s| s.to_string()).collect(),
        auth_mechanism: vec![],
        require_originating: true,
    })
}

/// Every mode, configured for the fixtures' council.
fn modes() -> Vec<(&'static str, TrustMode)> {
    let mut stamp = ReceivedStamp::postfix(vec!["mx.council.example".into()]);
    stamp.hops = hops();
    stamp
        .logins
        .insert("pshah".into(), "officer2@council.example".into());
    vec![
        ("received_stamp", TrustMode::ReceivedStamp(stamp)),
        (
            "authentication_results",
            TrustMode::AuthenticationResults(AuthenticationResults {
                hops: hops(),
                authserv_ids: vec!["mx.council.example".into()],
                require: Requirement::DmarcPass,
                dkim_selectors: vec![],
            }),
        ),
        ("exchange_online", exchange_online(&["Hosted"])),
        (
            "exchange_online_hybrid",
            exchange_online(&["Hosted", "HybridOnPrem"]),
        ),
        (
            "exchange_onprem",
            TrustMode::ExchangeOnPrem(ExchangeOnPrem {
                auth_source_hosts: vec![
                    "exch01.council.local".into(),
                    "exch02.council.local".into(),
                ],
                auth_mechanism: vec!["04".into()],
            }),
        ),
        (
            "google_workspace",
            TrustMode::GoogleWorkspace(GoogleWorkspace {
                council_domains: vec!["council.example".into()],
                require: Requirement::DmarcPass,
                dkim_selectors: vec!["google".into()],
            }),
        ),
    ]
}

fn gate(
    bytes: &[u8],
    mode: &TrustMode,
    delegated: DelegatedSend,
) -> Result<foid::core::trust::Vouched, foid::core::trust::Refusal> {
    let policy = Policy {
        mode: mode.clone(),
        delegated_send: delegated,
    };
    check(
        bytes,
        None,
        |a| OFFICERS.iter().any(|o| o.eq_ignore_ascii_case(a)),
        Some(&policy),
    )
}

fn fixtures() -> (std::path::PathBuf, BTreeMap<String, Expected>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trust");
    let text = std::fs::read_to_string(dir.join("expected.toml")).expect("expected.toml");
    (dir, toml::from_str(&text).expect("expected.toml parses"))
}

#[test]
fn every_block_is_judged_as_expected_in_every_mode() {
    let (dir, expected) = fixtures();
    let on_disk = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .count();
    assert_eq!(on_disk, expected.len(), "every fixture has an expectation");
    let mut failures = Vec::new();
    let mut judged = 0;
    for (name, want) in &expected {
        let bytes = std::fs::read(dir.join(name)).expect("fixture");
        for (mode_name, mode) in modes() {
            judged += 1;
            let got = gate(&bytes, &mode, DelegatedSend::Refuse);
            let verdict = match &got {
                Ok(v) => format!("accepted ({})", v.evidence),
                Err(r) => format!("refused {r}"),
            };
            let accepted = want.accept.iter().any(|m| m == mode_name);
            if accepted != got.is_ok() {
                failures.push(format!(
                    "{name} in {mode_name}: {verdict}, expected {}",
                    if accepted { "accepted" } else { "refused" }
                ));
                continue;
            }
            let code = want
                .refuse
                .get(mode_name)
                .or(want.refuse_everywhere.as_ref());
            if let (Some(code), Err(r)) = (code, &got) {
                if r.code.as_str() != code {
                    failures.push(format!("{name} in {mode_name}: {verdict}, expected {code}"));
                }
                if let Some(detail) = &want.detail {
                    if want.refuse.contains_key(mode_name) && !r.detail.contains(detail.as_str()) {
                        failures.push(format!(
                            "{name} in {mode_name}: {verdict}, expected {detail:?} in the detail"
                        ));
                    }
                }
            }
        }
        for mode_name in &want.accept_as_sender {
            let (_, mode) = modes()
                .into_iter()
                .find(|(n, _)| n == mode_name)
                .expect("a known mode");
            match gate(&bytes, &mode, DelegatedSend::SenderIsActor) {
                Ok(v) if v.actor == "officer1@council.example" => {}
                other => failures.push(format!(
                    "{name} in {mode_name} with sender_is_actor: {other:?}"
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {judged} verdicts wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn lookalike_officers_are_not_officers() {
    let (dir, _) = fixtures();
    let genuine = std::fs::read_to_string(dir.join("postfix_submission.eml")).expect("fixture");
    let (_, mode) = modes().into_iter().next().expect("received_stamp");
    for lookalike in [
        "officer1@counci1.example",
        "officer1@c\u{43e}uncil.example",
        "officer1@xn--cuncil-0ve.example",
        "officer1@council.example.",
        "officer1@council.example.evil.example",
        "officer1@council-example.example",
    ] {
        // The login is the lookalike's own, so only the identity differs.
        let block = genuine
            .replace("<officer1@council.example>", &format!("<{lookalike}>"))
            .replace(
                "Authenticated sender: officer1@council.example",
                &format!("Authenticated sender: {lookalike}"),
            );
        let r = gate(block.as_bytes(), &mode, DelegatedSend::Refuse)
            .expect_err(&format!("{lookalike} was vouched for"));
        assert!(
            matches!(r.code.as_str(), "not_officer" | "malformed_headers"),
            "{lookalike}: {r}"
        );
    }
    // The real officer in another letter case is the officer.
    let upper = genuine.replace("<officer1@council.example>", "<Officer1@Council.EXAMPLE>");
    let v = gate(upper.as_bytes(), &mode, DelegatedSend::Refuse).expect("letter case");
    assert_eq!(v.actor, "officer1@council.example");
}

/// `foid doctor trust` on a mailbox of Exchange Online mail proposes
/// exchange_online with the tenant, and on Postfix mail received_stamp;
/// forgeries that claim an officer's From do not spoil the proposal.
#[test]
fn doctor_proposes_the_mode_the_mail_shows() {
    use foid::core::trust::doctor;
    let (dir, _) = fixtures();
    let is_officer = |a: &str| OFFICERS.iter().any(|o| o.eq_ignore_ascii_case(a));
    let read = |names: &[&str]| -> Vec<Vec<u8>> {
        names
            .iter()
            .map(|n| std::fs::read(dir.join(n)).expect("fixture"))
            .collect()
    };
    let propose = |blocks: &[Vec<u8>]| {
        let seen: Vec<doctor::Observation> = blocks
            .iter()
            .map(|b| doctor::observe(b, is_officer))
            .collect();
        let pairs: Vec<(&doctor::Observation, &[u8])> = seen
            .iter()
            .zip(blocks)
            .map(|(o, b)| (o, b.as_slice()))
            .collect();
        doctor::best(&pairs, "council.example", is_officer).expect("a proposal")
    };
    let exo = read(&[
        "exo_outlook_desktop.eml",
        "exo_smtp_auth.eml",
        "exo_direct_send.eml",
        "exo_forged_internal_once.eml",
    ]);
    let p = propose(&exo);
    match &p.mode {
        TrustMode::ExchangeOnline(e) => {
            assert_eq!(e.tenant_id, TENANT);
            assert_eq!(e.from_entity, vec!["Hosted"]);
        }
        other => panic!("proposed {other:?}"),
    }
    assert!(doctor::as_toml(&p).contains(&format!("tenant_id = \"{TENANT}\"")));
    let postfix = read(&["postfix_submission.eml", "postfix_forged_stamp_below.eml"]);
    match &propose(&postfix).mode {
        TrustMode::ReceivedStamp(r) => {
            assert_eq!(r.hops.hosts, vec!["mx.council.example"]);
            assert_eq!(r.hops.internal_relays, vec!["127.0.0.1"]);
        }
        other => panic!("proposed {other:?}"),
    }
    let onprem = read(&["exchange_onprem.eml"]);
    assert_eq!(propose(&onprem).mode.name(), "exchange_onprem");
    let google = read(&["google_workspace.eml", "google_forged_below.eml"]);
    assert_eq!(propose(&google).mode.name(), "google_workspace");
}
