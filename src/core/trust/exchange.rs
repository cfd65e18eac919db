//! Exchange Online and Exchange Server on-premises. Exchange records its
//! own verdict on the sender in `X-MS-Exchange-Organization-*` and
//! `X-MS-Exchange-CrossTenant-*` fields and strips outsiders' copies at its
//! edge (the header firewall). The values are public, so only their
//! combination counts, and any duplicate refuses: Exchange adds its stamps
//! after the sender's fields, so a forged copy would stand beside the
//! genuine one (shared approval-trust.md §2 and its addendum).
//! `Authentication-Results` is never used to accept: intra-tenant mail
//! shows `dkim=none; dmarc=none`. `compauth=fail` is reported as an
//! intra-organisation spoof attempt.

use super::authres;
use super::{refuse, Field, Refusal, RefusalCode};

const AUTH_AS: &str = "X-MS-Exchange-Organization-AuthAs";
const AUTH_MECHANISM: &str = "X-MS-Exchange-Organization-AuthMechanism";
const AUTH_SOURCE: &str = "X-MS-Exchange-Organization-AuthSource";
const DIRECTIONALITY: &str = "X-MS-Exchange-Organization-MessageDirectionality";
const TENANT: &str = "X-MS-Exchange-CrossTenant-Id";
const CROSS_TENANT_AUTH_AS: &str = "X-MS-Exchange-CrossTenant-AuthAs";
const FROM_ENTITY: &str = "X-MS-Exchange-CrossTenant-FromEntityHeader";

/// `[trust.exchange_online]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeOnline {
    /// The council's tenant GUID (lowercase).
    pub tenant_id: String,
    /// Allowed `FromEntityHeader` values: `Hosted`, and `HybridOnPrem` for
    /// a hybrid council that opts in.
    pub from_entity: Vec<String>,
    /// Allowed `AuthMechanism` values; empty: any.
    pub auth_mechanism: Vec<String>,
    pub require_originating: bool,
}

/// `[trust.exchange_onprem]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeOnPrem {
    /// The Exchange servers that may appear as `AuthSource` (lowercase).
    pub auth_source_hosts: Vec<String>,
    /// Allowed `AuthMechanism` values; empty: any.
    pub auth_mechanism: Vec<String>,
}

/// Refuses a header block in which any Exchange organisation or
/// cross-tenant field appears more than once.
fn no_duplicates(fields: &[Field]) -> Result<(), Refusal> {
    let mut seen: Vec<String> = Vec::new();
    for f in fields {
        let name = f.name.to_ascii_lowercase();
        if !(name.starts_with("x-ms-exchange-organization-")
            || name.starts_with("x-ms-exchange-crosstenant-"))
        {
            continue;
        }
        if seen.contains(&name) {
            return refuse(
                RefusalCode::Ambiguous,
                format!(
                    "{} appears more than once: someone outside wrote one",
                    f.name
                ),
            );
        }
        seen.push(name);
    }
    Ok(())
}

fn value<'a>(fields: &'a [Field], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.value.trim())
}

/// What `compauth` said, when it said fail: Microsoft's verdict on a
/// message claiming the council's own domain from outside.
fn spoof_note(fields: &[Field]) -> String {
    fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Authentication-Results"))
        .map(|f| authres::parse(&f.value))
        .flat_map(|ar| ar.results)
        .find(|r| r.method == "compauth" && r.result == "fail")
        .map(|r| {
            format!(
                "; compauth=fail reason={}: an attempt to pass as the council from outside",
                r.prop("reason").unwrap_or("?")
            )
        })
        .unwrap_or_default()
}

fn require(
    fields: &[Field],
    name: &str,
    allowed: &[String],
    code: RefusalCode,
) -> Result<String, Refusal> {
    let Some(v) = value(fields, name) else {
        return refuse(code, format!("no {name}{}", spoof_note(fields)));
    };
    if !allowed.iter().any(|a| a.eq_ignore_ascii_case(v)) {
        return refuse(
            code,
            format!(
                "{name}: {v}, not {}{}",
                allowed.join(" or "),
                spoof_note(fields)
            ),
        );
    }
    Ok(v.to_string())
}

/// The `AuthMechanism`, which must be one of `allowed` when any are.
fn mechanism(fields: &[Field], allowed: &[String]) -> Result<String, Refusal> {
    if allowed.is_empty() {
        Ok(value(fields, AUTH_MECHANISM).unwrap_or("none").to_string())
    } else {
        require(fields, AUTH_MECHANISM, allowed, RefusalCode::NotAllowed)
    }
}

fn internal() -> Vec<String> {
    vec!["Internal".into()]
}

pub fn exchange_online(fields: &[Field], p: &ExchangeOnline) -> Result<String, Refusal> {
    no_duplicates(fields)?;
    require(fields, AUTH_AS, &internal(), RefusalCode::NotAuthenticated)?;
    require(
        fields,
        CROSS_TENANT_AUTH_AS,
        &internal(),
        RefusalCode::NotAuthenticated,
    )?;
    let tenant = require(
        fields,
        TENANT,
        std::slice::from_ref(&p.tenant_id),
        RefusalCode::WrongTenant,
    )?;
    let entity = require(fields, FROM_ENTITY, &p.from_entity, RefusalCode::NotAllowed)?;
    if p.require_originating {
        require(
            fields,
            DIRECTIONALITY,
            &["Originating".to_string()],
            RefusalCode::NotAuthenticated,
        )?;
    }
    let mechanism = mechanism(fields, &p.auth_mechanism)?;
    Ok(format!(
        "Exchange Online: AuthAs Internal, CrossTenant-AuthAs Internal, tenant {tenant}, FromEntityHeader {entity}{}, AuthMechanism {mechanism}",
        if p.require_originating { ", Originating" } else { "" }
    ))
}

pub fn exchange_onprem(fields: &[Field], p: &ExchangeOnPrem) -> Result<String, Refusal> {
    no_duplicates(fields)?;
    require(fields, AUTH_AS, &internal(), RefusalCode::NotAuthenticated)?;
    let source = require(
        fields,
        AUTH_SOURCE,
        &p.auth_source_hosts,
        RefusalCode::NotAllowed,
    )?;
    let mechanism = mechanism(fields, &p.auth_mechanism)?;
    Ok(format!(
        "Exchange: AuthAs Internal, AuthSource {source}, AuthMechanism {mechanism}"
    ))
}
