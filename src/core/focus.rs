//! What a question asks for: the kind of answer (a count, a sum of money,
//! a length of time, a share, names, documents, a date, a yes or no) and
//! the thing it counts or costs, its head ("how many *households*", "spent
//! on *agency staff*").
//!
//! Repeat detection weighs words, and two questions on one topic share
//! most of their words whether they ask the same thing or not: "the number
//! of households on the register" and "the number of lettings made to
//! households on the register" differ in one word, the one that matters.
//! A rewording keeps the kind of answer and the thing counted while it
//! changes the rest; a different question on the same topic changes one
//! of them. So two questions whose kinds of answer have nothing in common,
//! or whose heads appear nowhere in the other, are scored down
//! (`core::similarity::compare`).
//!
//! Pure: the question's text in, the focus out.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// Kinds of answer, as bits.
pub const COUNT: u8 = 1;
pub const MONEY: u8 = 1 << 1;
pub const TIME: u8 = 1 << 2;
pub const SHARE: u8 = 1 << 3;
pub const NAMES: u8 = 1 << 4;
pub const DOCUMENTS: u8 = 1 << 5;
pub const DATE: u8 = 1 << 6;
pub const YES_NO: u8 = 1 << 7;

/// A question's focus; an unknown part is empty (0, `None`) and then
/// counts neither for nor against a match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Focus {
    /// The kinds of answer asked for, as bits ("the number and cost of"
    /// is both a count and money).
    pub kinds: u8,
    /// The head's term (as `core::similarity` hashes terms).
    pub head: Option<u32>,
}

/// Each kind's wording. "How much" is money or an amount of something,
/// so it is both kinds.
const KINDS: &[(u8, &str)] = &[
    (
        COUNT,
        r"(?i)\bhow many\b|\bnumbers? of\b|\bcount of\b|\bhow much\b|\bhow often\b|\bquantity\b|\btonnes?\b|\bvolume of\b",
    ),
    (
        MONEY,
        r"(?i)£|\bhow much\b|\bcosts?\b|\bcosting\b|\bspen[dt]\b|\bspending\b|\bexpenditure\b|\bpaid\b|\bpayments?\b|\bprices?\b|\bcharg(?:e|es|ed|ing)\b|\bfees?\b|\bincome\b|\brevenue\b|\bbudgets?\b|\bvalue\b|\bsalar(?:y|ies)\b|\bfunding\b|\bgrants?\b|\bpay\b",
    ),
    (
        TIME,
        r"(?i)\bhow long\b|\b(?:waiting|response|average|processing) times?\b|\btime taken\b|\bdays? (?:taken|to)\b|\bweeks? (?:taken|to)\b|\bwait(?:ed|ing)?\b|\bwithin \d+ (?:hours|days|weeks)\b|\bduration\b",
    ),
    (
        SHARE,
        r"(?i)\bpercentage\b|\bproportion\b|%|\bper ?cent\b|\bshare of\b|\brate of\b",
    ),
    (
        NAMES,
        r"(?i)\bwhich\b|\bnames?\b|\bwho\b|\blist of\b|\bjob titles?\b|\bidentity\b",
    ),
    (
        DOCUMENTS,
        r"(?i)\bcop(?:y|ies)\b|\bpolic(?:y|ies)\b|\bminutes\b|\breports?\b|\bguidance\b|\bprocedures?\b|\bcorrespondence\b|\be-?mails\b|\bdocuments?\b|\bplans?\b|\bstrateg(?:y|ies)\b|\bassessments?\b",
    ),
    (
        DATE,
        r"(?i)\bwhen\b|\bwhat date\b|\b(?:start|end|expiry) dates?\b|\bdates? (?:of|on|when)\b",
    ),
    (
        YES_NO,
        r"(?i)\bwhether\b|^\s*(?:does|do|did|is|are|has|have|was|were|will|can) (?:the|your|you|any|there|it)\b",
    ),
];

static KIND_SET: LazyLock<RegexSet> =
    LazyLock::new(|| super::lowercase_rule_set(&KINDS.iter().map(|(_, p)| *p).collect::<Vec<_>>()));

/// The wording before a head: what is counted, or what money goes on.
#[allow(clippy::expect_used)] // a constant pattern, checked by the unit tests
static HEAD_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&super::ascii_word_boundaries(
        r"\b(?:how many|numbers? of|proportion of|percentage of|(?:spent|spend|spending|expenditure|paid) (?:on|to|for)|costs? of|income from)\s+([a-z][a-z' -]{0,80})",
    ))
    .expect("valid constant regex")
});

/// Words that end the phrase a head is the last word of: function words,
/// and verbs that follow a counted noun ("how many staff *work*").
const PHRASE_ENDS: &str = "
of in on at to for from by with within without into onto over under between
during since per as than that who whom which where when whose whether while
were was are is be been being have has had do does did will would can could
should may might must and or but not nor there this these those it they them
their its you your we our us i my me he she his her currently now each every
still yet also both either just only ever already so if because about across
after before around against including like such
work works live lives attend attends apply applies use uses own owns employ
employs maintain maintains operate operates receive receives hold holds manage
manages visit visits occupy occupies remain remains exist exists need needs
wait waits die dies leave leaves go goes come comes get gets take takes make
makes pay pays spend spends earn earns cost costs serve serves provide provides
made paid sent held taken given spent built sold done seen kept left brought
found lost won put run set cut let got gone
";

static ENDS: LazyLock<std::collections::HashSet<&'static str>> =
    LazyLock::new(|| PHRASE_ENDS.split_whitespace().collect());

/// Words before the head that say nothing of what is counted.
const LEADING: &[&str] = &[
    "the",
    "a",
    "an",
    "any",
    "all",
    "total",
    "individual",
    "separate",
    "different",
    "current",
    "currently",
    "existing",
    "new",
    "named",
];

/// The focus of a question, `term` being how words become terms.
pub fn of_question(text: &str, term: impl Fn(&str) -> Option<u32>) -> Focus {
    let lower = text.to_ascii_lowercase();
    let kinds = KIND_SET
        .matches(&lower)
        .iter()
        .filter_map(|i| KINDS.get(i).map(|(k, _)| *k))
        .fold(0, |acc, k| acc | k);
    let head = HEAD_CUE
        .captures(&lower)
        .and_then(|c| c.get(1))
        .and_then(|m| head_word(m.as_str()))
        .and_then(term);
    Focus { kinds, head }
}

/// The last word of the noun phrase at the start of `after`.
fn head_word(after: &str) -> Option<&str> {
    let mut last = None;
    for word in after
        // Split as `core::similarity` splits words, so the head is a term.
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .take_while(|w| !w.is_empty())
        .take(5)
    {
        let is_participle = word.len() > 4 && word.ends_with("ed") && !word.ends_with("eed");
        if ENDS.contains(word) || is_participle {
            break;
        }
        if last.is_none() && LEADING.contains(&word) {
            continue;
        }
        last = Some(word);
    }
    last
}

/// What two questions' match is multiplied by: 1 when their foci agree
/// or are not known; less when their kinds of answer have nothing in
/// common (a count against a sum of money), and when neither's head is
/// among the other's terms (what is counted is something else). Factors
/// calibrated on `tests/fixtures/similarity/pairs.toml`.
pub fn agreement(a: &Focus, a_terms: &[u32], b: &Focus, b_terms: &[u32]) -> f64 {
    let kinds_differ = a.kinds != 0 && b.kinds != 0 && a.kinds & b.kinds == 0;
    let heads_differ = match (a.head, b.head) {
        (Some(x), Some(y)) => x != y && !b_terms.contains(&x) && !a_terms.contains(&y),
        _ => false,
    };
    let mut factor = 1.0;
    if kinds_differ {
        factor *= KINDS_DIFFER;
    }
    if heads_differ {
        factor *= HEADS_DIFFER;
    }
    factor
}

const KINDS_DIFFER: f64 = 0.5;
const HEADS_DIFFER: f64 = 0.7;

#[cfg(test)]
mod tests {
    use super::*;

    fn focus(text: &str) -> (u8, Option<String>) {
        let f = of_question(text, |w| Some(u32::from(w.as_bytes()[0])));
        let lower = text.to_ascii_lowercase();
        let head = HEAD_CUE
            .captures(&lower)
            .and_then(|c| c.get(1))
            .and_then(|m| head_word(m.as_str()).map(str::to_string));
        (f.kinds, head)
    }

    #[test]
    fn a_count_has_the_counted_thing_as_its_head() {
        assert_eq!(
            focus("How many council officers were paid more than £100,000?"),
            (COUNT | MONEY, Some("officers".into()))
        );
        assert_eq!(
            focus("The number of social housing lettings made to households"),
            (COUNT, Some("lettings".into()))
        );
        assert_eq!(
            focus("how many households subscribed to the garden waste service"),
            (COUNT, Some("households".into()))
        );
        assert_eq!(
            focus("How many street lights does the council maintain?").1,
            Some("lights".into())
        );
        assert_eq!(focus("How many of them were repaired?").1, None);
    }

    #[test]
    fn money_has_what_it_went_on_as_its_head() {
        assert_eq!(
            focus("The total amount spent on agency staff in children's services"),
            (MONEY, Some("staff".into()))
        );
        assert_eq!(focus("What is the annual charge?").0, MONEY);
    }

    #[test]
    fn other_kinds_of_answer() {
        assert_eq!(focus("How long, on average, do residents wait?").0, TIME);
        assert_eq!(
            focus("What proportion of absence was due to stress?").0,
            SHARE
        );
        assert_eq!(focus("Please send a copy of the policy").0, DOCUMENTS);
        assert_eq!(focus("Does the council use glyphosate?").0, YES_NO);
        assert_eq!(focus("Which company operates the chargers?").0, NAMES);
    }

    #[test]
    fn focuses_differ_on_kind_or_on_head() {
        let count = Focus {
            kinds: COUNT,
            head: Some(1),
        };
        let money = Focus {
            kinds: MONEY,
            head: Some(1),
        };
        let other_head = Focus {
            kinds: COUNT,
            head: Some(2),
        };
        assert_eq!(agreement(&count, &[1, 5], &count, &[1, 5]), 1.0);
        assert_eq!(agreement(&count, &[1, 5], &money, &[1, 5]), KINDS_DIFFER);
        assert_eq!(
            agreement(&count, &[1, 5], &other_head, &[2, 5]),
            HEADS_DIFFER
        );
        // The other's head among my terms: the same thing, named otherwise.
        assert_eq!(agreement(&count, &[1, 2], &other_head, &[2, 5]), 1.0);
        assert_eq!(agreement(&count, &[1], &Focus::default(), &[7]), 1.0);
    }
}
