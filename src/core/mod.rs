//! The domain as pure functions over plain data: no I/O, no clock reads
//! (`now` and `today` are arguments).

pub mod approval;
pub mod breach_check;
pub mod calendar;
pub mod case;
pub mod casework;
pub mod clock;
pub mod commands;
pub mod digest;
pub mod exemptions;
pub mod flags;
pub mod focus;
pub mod html_text;
pub mod intake;
pub mod letters;
pub mod message_id;
pub mod message_text;
pub mod plan;
pub mod questions;
pub mod reference;
pub mod reply;
pub mod request_likeness;
pub mod similarity;
pub mod spam;
pub mod stats;
pub mod trust;
pub mod web_form;
pub mod workflow;

/// A rule pattern with ASCII word boundaries. The regex crate's lazy DFA
/// cannot run Unicode `\b` over text holding a `£` or a curly quote and
/// falls back to an engine tens of times slower; every word the rule
/// tables look for is ASCII, so the ASCII boundary means the same there.
pub(crate) fn ascii_word_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// A set of case-insensitive rules, to be matched against text lowercased
/// first (`str::to_ascii_lowercase`, which keeps byte offsets). Each
/// pattern starts with `(?i)` (or `(?im)`); the flag is dropped and the
/// literal letters are lowercased, escapes kept. Without `(?i)` the regex
/// crate's literal prefilter looks for a few exact words instead of every
/// mix of cases of them: parsing a message took 12% less CPU
/// (docs/benchmarks.md section 5d).
#[allow(clippy::expect_used)] // constant patterns, checked by the unit tests
pub(crate) fn lowercase_rule_set(patterns: &[&str]) -> regex::RegexSet {
    regex::RegexSet::new(patterns.iter().map(|p| lowercase_rule(p)))
        .expect("valid constant regex set")
}

fn lowercase_rule(pattern: &str) -> String {
    let rest = match (pattern.strip_prefix("(?i)"), pattern.strip_prefix("(?im)")) {
        (Some(rest), _) => rest.to_string(),
        (None, Some(rest)) => format!("(?m){rest}"),
        (None, None) => panic!("a lowercase rule starts with (?i): {pattern}"),
    };
    let mut out = String::with_capacity(rest.len());
    let mut escaped = false;
    for c in rest.chars() {
        out.push(if escaped { c } else { c.to_ascii_lowercase() });
        escaped = !escaped && c == '\\';
    }
    ascii_word_boundaries(&out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_lowercase_rule_keeps_its_escapes() {
        assert_eq!(
            super::lowercase_rule(r"(?i)\bFOI\S+\b"),
            r"(?-u:\b)foi\S+(?-u:\b)"
        );
        assert_eq!(super::lowercase_rule(r"(?im)^Dear\W"), r"(?m)^dear\W");
        let set = super::lowercase_rule_set(&[r"(?i)\bSEO\b", r"(?i)\bwebinar\b"]);
        assert!(set.is_match(&"Cheap SEO".to_ascii_lowercase()));
        assert!(!set.is_match("video"));
    }
}
