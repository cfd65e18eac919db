//! The council's own spam filter's verdict on a message: SpamAssassin and
//! rspamd headers, Exchange Online / EOP's spam confidence and antispam
//! report, and subject tags the filter writes. foid has no filter of its
//! own; it honours the one the council runs, so that spam is never
//! acknowledged (an acknowledgement to a forged sender is backscatter).
//!
//! A verdict counts only when the council's mail system wrote it. Mail
//! arrives with whatever headers its sender chose, and only headers above
//! the hop where the message entered the council's system are the
//! council's. With the entry hop known (`Hops` from `[trust]`), a verdict
//! must sit above it; without, only the topmost field of each name is read
//! (a filter prepends its header, so its own copy is the one nearest the
//! top). Exchange's `X-MS-Exchange-Organization-*` fields are stripped from
//! mail entering the organisation, so those count wherever they are.
//!
//! Only positive verdicts act: a sender who forges "spam" only holds back
//! their own mail, and a forged "not spam" changes nothing.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::trust::{self, Field, Hops};

/// How filter verdicts are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpamPolicy {
    /// Read the filter headers at all.
    pub honour_filter_headers: bool,
    /// Subject prefixes or tags the council's filter writes, e.g.
    /// `*****SPAM*****` (SpamAssassin's default) or `[SPAM]`.
    pub subject_tags: Vec<String>,
    /// Exchange spam confidence level at or above which mail is spam (EOP
    /// marks 5 and 6 as spam, 9 as high confidence spam).
    pub scl_threshold: i32,
    /// Microsoft bulk complaint level at or above which mail is bulk.
    pub bcl_threshold: i32,
    /// The council's own hops, when `[trust]` names them: verdicts must sit
    /// above the entry hop.
    pub hops: Option<Hops>,
}

impl Default for SpamPolicy {
    fn default() -> Self {
        SpamPolicy {
            honour_filter_headers: true,
            subject_tags: vec!["*****SPAM*****".into(), "[SPAM]".into()],
            scl_threshold: 5,
            bcl_threshold: 7,
            hops: None,
        }
    }
}

/// What the filter said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Spam (or phishing, malware): held, never acknowledged.
    Spam(Vec<String>),
    /// Bulk mail (newsletters, marketing) by the filter's own measure.
    Bulk(Vec<String>),
    Clean,
}

/// The filter's verdict on a header block (top-level fields, in order).
pub fn verdict(headers: &[(String, String)], subject: &str, policy: &SpamPolicy) -> Verdict {
    let mut spam = Vec::new();
    let mut bulk = Vec::new();
    for tag in &policy.subject_tags {
        let t = tag.trim();
        if !t.is_empty() && subject.to_lowercase().contains(&t.to_lowercase()) {
            spam.push(format!("subject carries the filter's tag \"{t}\""));
        }
    }
    if policy.honour_filter_headers {
        let counted = counted_fields(headers, policy.hops.as_ref());
        for (i, (name, value)) in headers.iter().enumerate() {
            let exchange_org = starts_with_ignore_case(name, "X-MS-Exchange-Organization-");
            if !exchange_org && !counted.contains(&i) {
                continue;
            }
            read_field(name, value, policy, &mut spam, &mut bulk);
        }
    }
    if !spam.is_empty() {
        Verdict::Spam(spam)
    } else if !bulk.is_empty() {
        Verdict::Bulk(bulk)
    } else {
        Verdict::Clean
    }
}

/// The positions of the fields the council's system wrote: above the entry
/// hop when it is known, else the topmost of each name.
fn counted_fields(headers: &[(String, String)], hops: Option<&Hops>) -> Vec<usize> {
    if let Some(hops) = hops {
        let fields: Vec<Field> = headers
            .iter()
            .map(|(n, v)| Field {
                name: n.clone(),
                value: v.clone(),
            })
            .collect();
        return match trust::received::entry_hop(&fields, hops, |_| false) {
            Ok(entry) => (0..entry.field_index).collect(),
            // No walk through the council's hosts: nothing the council
            // wrote can be told apart, so nothing counts.
            Err(_) => Vec::new(),
        };
    }
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (i, (name, _)) in headers.iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        if !seen.contains(&lower) {
            seen.push(lower);
            out.push(i);
        }
    }
    out
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

fn first_word(value: &str) -> String {
    value
        .trim()
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// `KEY:VALUE;` items of an EOP report (`SFV:SPM;CAT:BULK;SCL:5;…`).
fn report_item<'a>(value: &'a str, key: &str) -> Option<&'a str> {
    value.split(';').find_map(|item| {
        let (k, v) = item.split_once(':')?;
        k.trim().eq_ignore_ascii_case(key).then(|| v.trim())
    })
}

fn read_field(
    name: &str,
    value: &str,
    policy: &SpamPolicy,
    spam: &mut Vec<String>,
    bulk: &mut Vec<String>,
) {
    let shown = value.trim();
    let shown: String = shown.chars().take(80).collect();
    let n = name.to_ascii_lowercase();
    match n.as_str() {
        // SpamAssassin; rspamd's milter writes `X-Spam: Yes`.
        "x-spam-flag" | "x-spam" if first_word(value) == "yes" => {
            spam.push(format!("filter header {name}: {shown}"))
        }
        "x-spam-status" if first_word(value) == "yes" => {
            spam.push(format!("filter header {name}: {shown}"))
        }
        "x-rspamd-action" => {
            let action = value.trim().to_ascii_lowercase();
            if matches!(action.as_str(), "reject" | "add header" | "rewrite subject") {
                spam.push(format!("filter header {name}: {shown}"));
            }
        }
        "x-ms-exchange-organization-scl" => {
            if let Ok(scl) = value.trim().parse::<i32>() {
                if scl >= policy.scl_threshold {
                    spam.push(format!(
                        "Exchange spam confidence {scl} (spam from {})",
                        policy.scl_threshold
                    ));
                }
            }
        }
        "x-forefront-antispam-report" => {
            let sfv = report_item(value, "SFV").unwrap_or("").to_ascii_uppercase();
            let cat = report_item(value, "CAT").unwrap_or("").to_ascii_uppercase();
            if matches!(sfv.as_str(), "SPM" | "BLK") {
                spam.push(format!("Exchange antispam verdict SFV:{sfv}"));
            }
            match cat.as_str() {
                "SPM" | "HSPM" | "PHSH" | "HPHSH" | "MALW" | "SPOOF" | "GIMP" => {
                    spam.push(format!("Exchange antispam category CAT:{cat}"))
                }
                "BULK" => bulk.push("Exchange antispam category CAT:BULK".into()),
                _ => {}
            }
            if let Some(scl) = report_item(value, "SCL").and_then(|s| s.parse::<i32>().ok()) {
                if scl >= policy.scl_threshold {
                    spam.push(format!("Exchange antispam report SCL:{scl}"));
                }
            }
        }
        "x-microsoft-antispam" => {
            if let Some(bcl) = report_item(value, "BCL").and_then(|s| s.parse::<i32>().ok()) {
                if bcl >= policy.bcl_threshold {
                    bulk.push(format!(
                        "Microsoft bulk complaint level {bcl} (bulk from {})",
                        policy.bcl_threshold
                    ));
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn v(fields: &[(&str, &str)], subject: &str) -> Verdict {
        verdict(&h(fields), subject, &SpamPolicy::default())
    }

    #[test]
    fn spamassassin_and_rspamd_verdicts_count() {
        assert!(matches!(v(&[("X-Spam-Flag", "YES")], ""), Verdict::Spam(_)));
        assert!(matches!(
            v(&[("X-Spam-Status", "Yes, score=9.1 required=5.0")], ""),
            Verdict::Spam(_)
        ));
        assert!(matches!(v(&[("X-Spam", "Yes")], ""), Verdict::Spam(_)));
        assert!(matches!(
            v(&[("X-Rspamd-Action", "add header")], ""),
            Verdict::Spam(_)
        ));
        assert_eq!(
            v(&[("X-Spam-Status", "No, score=0.3 required=5.0")], ""),
            Verdict::Clean
        );
        assert_eq!(v(&[("X-Rspamd-Action", "no action")], ""), Verdict::Clean);
    }

    #[test]
    fn exchange_verdicts_count_and_their_thresholds_hold() {
        assert!(matches!(
            v(&[("X-MS-Exchange-Organization-SCL", "6")], ""),
            Verdict::Spam(_)
        ));
        assert_eq!(
            v(&[("X-MS-Exchange-Organization-SCL", "1")], ""),
            Verdict::Clean
        );
        assert_eq!(
            v(&[("X-MS-Exchange-Organization-SCL", "-1")], ""),
            Verdict::Clean
        );
        assert!(matches!(
            v(
                &[(
                    "X-Forefront-Antispam-Report",
                    "CIP:192.0.2.1;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:SPM;H:x;CAT:SPM;"
                )],
                ""
            ),
            Verdict::Spam(_)
        ));
        assert!(matches!(
            v(
                &[(
                    "X-Forefront-Antispam-Report",
                    "CIP:192.0.2.1;SCL:1;SFV:NSPM;CAT:BULK;"
                )],
                ""
            ),
            Verdict::Bulk(_)
        ));
        assert!(matches!(
            v(&[("X-Microsoft-Antispam", "BCL:8;")], ""),
            Verdict::Bulk(_)
        ));
        assert_eq!(
            v(
                &[(
                    "X-Forefront-Antispam-Report",
                    "CIP:192.0.2.1;SCL:1;SFV:NSPM;CAT:NONE;"
                )],
                ""
            ),
            Verdict::Clean
        );
    }

    #[test]
    fn subject_tags_count_whatever_the_case() {
        assert!(matches!(
            v(&[], "*****SPAM***** Cheap watches"),
            Verdict::Spam(_)
        ));
        assert!(matches!(v(&[], "[spam] hello"), Verdict::Spam(_)));
        assert_eq!(v(&[], "Spamalot tickets: FOI"), Verdict::Clean);
    }

    #[test]
    fn without_known_hops_only_the_topmost_field_of_a_name_counts() {
        // The council's filter said no; the sender's own "YES" below it is
        // not read (and would only have held back their own mail).
        let fields = [
            ("X-Spam-Flag", "NO"),
            (
                "Received",
                "from a by b with ESMTP; Mon, 1 Jun 2026 10:00:00 +0000",
            ),
            ("X-Spam-Flag", "YES"),
        ];
        assert_eq!(v(&fields, ""), Verdict::Clean);
    }

    #[test]
    fn with_known_hops_only_fields_above_the_entry_hop_count() {
        let policy = SpamPolicy {
            hops: Some(Hops {
                hosts: vec!["mx.council.test".into()],
                internal_relays: vec!["127.0.0.1".into()],
                max_hops: 8,
            }),
            ..SpamPolicy::default()
        };
        let above = h(&[
            ("X-Spam-Flag", "YES"),
            (
                "Received",
                "from mail.example.org (mail.example.org [192.0.2.7]) by mx.council.test (Postfix) with ESMTPS id 1; Mon, 1 Jun 2026 10:00:00 +0000",
            ),
        ]);
        assert!(matches!(verdict(&above, "", &policy), Verdict::Spam(_)));
        // Written by the sender, below the entry hop: not the council's.
        let below = h(&[
            (
                "Received",
                "from mail.example.org (mail.example.org [192.0.2.7]) by mx.council.test (Postfix) with ESMTPS id 1; Mon, 1 Jun 2026 10:00:00 +0000",
            ),
            ("X-Spam-Flag", "YES"),
        ]);
        assert_eq!(verdict(&below, "", &policy), Verdict::Clean);
        // Exchange organisation fields are stripped at the border: they
        // count wherever they are.
        let org = h(&[
            (
                "Received",
                "from mail.example.org (mail.example.org [192.0.2.7]) by mx.council.test (Postfix) with ESMTPS id 1; Mon, 1 Jun 2026 10:00:00 +0000",
            ),
            ("X-MS-Exchange-Organization-SCL", "9"),
        ]);
        assert!(matches!(verdict(&org, "", &policy), Verdict::Spam(_)));
    }

    #[test]
    fn headers_are_ignored_when_the_council_says_so() {
        let policy = SpamPolicy {
            honour_filter_headers: false,
            ..SpamPolicy::default()
        };
        assert_eq!(
            verdict(&h(&[("X-Spam-Flag", "YES")]), "", &policy),
            Verdict::Clean
        );
    }
}
