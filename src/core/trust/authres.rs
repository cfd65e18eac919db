//! `Authentication-Results` (RFC 8601): the parser, and the generic mode
//! for a council whose own border filter writes these fields. A field
//! counts only when its authserv-id is one the council configured and it
//! stands in the trusted prefix (written by the council's own hops, above
//! the entry hop); a field with no parseable authserv-id (Microsoft's
//! style) never counts.

use super::received::{entry_hop, Hops};
use super::{domain_of, refuse, Field, Refusal, RefusalCode};

/// One `method=result` of an `Authentication-Results` field, with its
/// properties (`header.from`, `header.i`, `header.s`, `smtp.mailfrom`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    pub method: String,
    pub result: String,
    pub props: Vec<(String, String)>,
}

impl MethodResult {
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An `Authentication-Results` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResults {
    /// `None` when the field does not start with one (it then never counts).
    pub authserv_id: Option<String>,
    pub results: Vec<MethodResult>,
}

impl AuthResults {
    pub fn find<'a>(&'a self, method: &'a str) -> impl Iterator<Item = &'a MethodResult> + 'a {
        self.results
            .iter()
            .filter(move |r| r.method.eq_ignore_ascii_case(method))
    }
}

/// Removes RFC 5322 comments (nested parentheses), outside quoted strings;
/// `None` when they do not balance.
fn strip_comments(value: &str) -> Option<String> {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                in_quote = !in_quote;
                out.push(c);
            }
            '(' if !in_quote => depth += 1,
            ')' if !in_quote && depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    (depth == 0 && !in_quote).then_some(out)
}

fn is_authserv_id(token: &str) -> bool {
    !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Parses one `Authentication-Results` value.
pub fn parse(value: &str) -> AuthResults {
    let Some(text) = strip_comments(value) else {
        return AuthResults {
            authserv_id: None,
            results: vec![],
        };
    };
    let mut parts = text.split(';');
    let head = parts.next().unwrap_or("").trim();
    let authserv_id = if head.contains('=') {
        None
    } else {
        let mut words = head.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(id), None, None) if is_authserv_id(id) => Some(id.to_ascii_lowercase()),
            (Some(id), Some(v), None)
                if is_authserv_id(id) && v.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(id.to_ascii_lowercase())
            }
            _ => None,
        }
    };
    // A field without an authserv-id still has its results read (for the
    // record), starting with the first part.
    let rest: Vec<&str> = if authserv_id.is_some() || !head.contains('=') {
        parts.collect()
    } else {
        std::iter::once(head).chain(parts).collect()
    };
    let mut results = Vec::new();
    for part in rest {
        let mut words = part.split_whitespace();
        let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
            continue;
        };
        // `ptype.property=value`, and Microsoft's bare `reason=601`,
        // `action=none`.
        let props = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim_matches('"').to_string()))
            .collect();
        results.push(MethodResult {
            method: method.to_ascii_lowercase(),
            result: result.to_ascii_lowercase(),
            props,
        });
    }
    AuthResults {
        authserv_id,
        results,
    }
}

/// What an accepted `Authentication-Results` must show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// `dmarc=pass` with `header.from` the From domain.
    DmarcPass,
    /// `dkim=pass` signed by the From domain (`header.d` or `header.i`),
    /// with one of the configured selectors when any are.
    DkimAligned,
}

/// Whether `ar` shows `requirement` for `from_domain`; the evidence or why not.
pub fn shows(
    ar: &AuthResults,
    requirement: Requirement,
    from_domain: &str,
    selectors: &[String],
) -> Result<String, String> {
    match requirement {
        Requirement::DmarcPass => {
            let pass = ar.find("dmarc").find(|r| {
                r.result == "pass"
                    && r.prop("header.from")
                        .is_some_and(|d| d.eq_ignore_ascii_case(from_domain))
            });
            match pass {
                Some(_) => Ok(format!("dmarc=pass header.from={from_domain}")),
                None => Err(format!(
                    "no dmarc=pass for header.from={from_domain} (dmarc: {})",
                    summary(ar, "dmarc")
                )),
            }
        }
        Requirement::DkimAligned => {
            let pass = ar.find("dkim").find(|r| {
                let signer = r
                    .prop("header.d")
                    .map(str::to_string)
                    .or_else(|| r.prop("header.i").map(|i| domain_of(i).to_string()));
                r.result == "pass"
                    && signer.is_some_and(|d| d.eq_ignore_ascii_case(from_domain))
                    && (selectors.is_empty()
                        || r.prop("header.s")
                            .is_some_and(|s| selectors.iter().any(|x| x.eq_ignore_ascii_case(s))))
            });
            match pass {
                Some(r) => Ok(format!(
                    "dkim=pass for {from_domain} (selector {})",
                    r.prop("header.s").unwrap_or("?")
                )),
                None => Err(format!(
                    "no aligned dkim=pass for {from_domain} (dkim: {})",
                    summary(ar, "dkim")
                )),
            }
        }
    }
}

fn summary(ar: &AuthResults, method: &str) -> String {
    let v: Vec<&str> = ar.find(method).map(|r| r.result.as_str()).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// `[trust.authentication_results]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationResults {
    pub hops: Hops,
    /// The authserv-ids the council's own filter writes (lowercase).
    pub authserv_ids: Vec<String>,
    pub require: Requirement,
    pub dkim_selectors: Vec<String>,
}

/// The generic mode: exactly one field with a configured authserv-id in
/// the trusted prefix, showing the required result for the From domain.
pub fn authentication_results(
    fields: &[Field],
    actor: &str,
    policy: &AuthenticationResults,
) -> Result<String, Refusal> {
    let entry = entry_hop(fields, &policy.hops, |_| false)?;
    let prefix = fields.get(..entry.field_index).unwrap_or(&[]);
    let ours: Vec<AuthResults> = prefix
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Authentication-Results"))
        .map(|f| parse(&f.value))
        .filter(|ar| {
            ar.authserv_id
                .as_ref()
                .is_some_and(|id| policy.authserv_ids.contains(id))
        })
        .collect();
    let ar = match ours.as_slice() {
        [one] => one,
        [] => {
            return refuse(
                RefusalCode::NotAuthenticated,
                format!(
                    "no Authentication-Results from {} above the {}",
                    policy.authserv_ids.join(", "),
                    entry.place
                ),
            )
        }
        more => {
            return refuse(
                RefusalCode::Ambiguous,
                format!(
                    "{} Authentication-Results from {} above the entry hop",
                    more.len(),
                    policy.authserv_ids.join(", ")
                ),
            )
        }
    };
    let domain = domain_of(actor);
    let shown = shows(ar, policy.require, domain, &policy.dkim_selectors).or_else(|why| {
        refuse(
            RefusalCode::NotAuthenticated,
            format!("{}: {why}", entry.place),
        )
    })?;
    Ok(format!(
        "Authentication-Results {} above the {}: {shown}",
        ar.authserv_id.as_deref().unwrap_or("?"),
        entry.place
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_authserv_id_is_read_or_absent() {
        let ar = parse("mx.council.test 1; dkim=pass (good) header.d=council.test header.s=sel1; dmarc=pass header.from=council.test");
        assert_eq!(ar.authserv_id.as_deref(), Some("mx.council.test"));
        assert_eq!(ar.results.len(), 2);
        assert_eq!(ar.results[0].prop("header.s"), Some("sel1"));
        // Microsoft's style has none: the results are still read, but the
        // field can never count.
        let ms = parse("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=council.test; dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=council.test;");
        assert_eq!(ms.authserv_id, None);
        assert_eq!(ms.find("dmarc").next().unwrap().result, "none");
        // A comment cannot smuggle a second authserv-id.
        let tricky = parse("evil.example(mx.council.test; dmarc=pass header.from=council.test");
        assert_eq!(tricky.authserv_id, None);
    }

    #[test]
    fn requirements_need_the_from_domain() {
        let ar = parse("mx.google.com; dkim=pass header.i=@council.test header.s=google; dmarc=pass (p=REJECT) header.from=council.test");
        assert!(shows(&ar, Requirement::DmarcPass, "council.test", &[]).is_ok());
        assert!(shows(&ar, Requirement::DmarcPass, "other.test", &[]).is_err());
        assert!(shows(
            &ar,
            Requirement::DkimAligned,
            "council.test",
            &["google".into()]
        )
        .is_ok());
        assert!(shows(
            &ar,
            Requirement::DkimAligned,
            "council.test",
            &["s2".into()]
        )
        .is_err());
    }
}
