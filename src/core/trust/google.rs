//! Google Workspace. Google writes no "internal sender" field; what it
//! vouches for is its own `Authentication-Results: mx.google.com` written
//! with its topmost `Received … by mx.google.com`. That authserv-id is the
//! same for every Google customer, so a copy lower in the block is the
//! sender's own text and never read (shared approval-trust.md §3).

use super::authres::{self, Requirement};
use super::received::parse_received;
use super::{domain_of, refuse, Field, Refusal, RefusalCode};

const GOOGLE_MX: &str = "mx.google.com";

/// `[trust.google_workspace]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleWorkspace {
    /// The council's mail domains (lowercase).
    pub council_domains: Vec<String>,
    pub require: Requirement,
    /// For `DkimAligned`: the council's Google DKIM selectors.
    pub dkim_selectors: Vec<String>,
}

pub fn google_workspace(
    fields: &[Field],
    actor: &str,
    p: &GoogleWorkspace,
) -> Result<String, Refusal> {
    let domain = domain_of(actor);
    if !p.council_domains.iter().any(|d| d == domain) {
        return refuse(
            RefusalCode::NotAllowed,
            format!("{domain} is not one of the council's domains"),
        );
    }
    let Some(top) = fields.iter().position(|f| {
        f.name.eq_ignore_ascii_case("Received")
            && parse_received(&f.value).is_some_and(|r| r.by == GOOGLE_MX)
    }) else {
        return refuse(
            RefusalCode::NoTrustedHop,
            "no Received by mx.google.com: the message did not come through Google",
        );
    };
    // Google's own fields: after its topmost Received, up to the next one.
    let block: Vec<&Field> = fields
        .iter()
        .skip(top + 1)
        .take_while(|f| !f.name.eq_ignore_ascii_case("Received"))
        .filter(|f| f.name.eq_ignore_ascii_case("Authentication-Results"))
        .collect();
    let google: Vec<authres::AuthResults> = block
        .iter()
        .map(|f| authres::parse(&f.value))
        .filter(|ar| ar.authserv_id.as_deref() == Some(GOOGLE_MX))
        .collect();
    let ar = match google.as_slice() {
        [one] => one,
        [] => {
            return refuse(
                RefusalCode::NotAuthenticated,
                "no Authentication-Results from mx.google.com under Google's topmost Received",
            )
        }
        _ => {
            return refuse(
                RefusalCode::Ambiguous,
                "more than one Authentication-Results from mx.google.com under Google's topmost Received",
            )
        }
    };
    let shown = authres::shows(ar, p.require, domain, &p.dkim_selectors)
        .or_else(|why| refuse(RefusalCode::NotAuthenticated, why))?;
    Ok(format!(
        "Google Workspace: Authentication-Results mx.google.com under Received field {}: {shown}",
        fields
            .iter()
            .take(top + 1)
            .filter(|f| f.name.eq_ignore_ascii_case("Received"))
            .count()
    ))
}
