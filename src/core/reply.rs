//! The reply letter, in the shape of the seed letter: each question quoted,
//! the answer (or the statutory paragraph for a refusal) under it, then the
//! re-use, review and complaint paragraphs. An officer's `#draft` — the
//! case email's skeleton pasted back with answers filled in, or just
//! `1. answer`, `2. #not-held` — is read against the case's questions, and
//! the letter is composed again from the templates, so its shape and its
//! statutory wording never depend on what the officer's mail client did to
//! the skeleton.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use minijinja::context;
use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::case::{AttachmentMeta, Outcome, QuestionOutcome};
use super::clock::Regime;
use super::commands::{self, Marker};
use super::exemptions::{self, RefusalGround, Statute};
use super::letters::{greeting_name, render, statute};
use super::questions::Question;

/// What the letter is written for.
#[derive(Debug, Clone)]
pub struct LetterFor<'a> {
    pub council_name: &'a str,
    pub council_address: &'a str,
    pub reference: &'a str,
    pub regime: Regime,
    pub requester_name: Option<&'a str>,
    pub questions: &'a [Question],
}

/// A composed letter and what it decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub text: String,
    pub outcomes: Vec<QuestionOutcome>,
    /// Things the officer should know about how the draft was read.
    pub notes: Vec<String>,
}

#[allow(clippy::expect_used)] // constant patterns, covered by the tests
fn re(p: &str) -> Regex {
    Regex::new(p).expect("valid constant regex")
}

static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:q(?:uestion)?\s*)?(\d{1,3})\s*[.):]\s*(.*)$"));
/// Where the skeleton's closing paragraphs (composed again) begin.
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:where any part of this request is refused|you may re-use|if you are dissatisfied|if you remain dissatisfied|yours sincerely|yours faithfully|-{4,}\s*end of skeleton)",
    )
});
/// Lines of the skeleton's opening that the letter writes itself.
static PREAMBLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:-{4,}\s*reply skeleton|your request for information has now been considered\.?|you asked:?|reference:\s*\S+|dear .{1,80},)\s*$",
    )
});
/// The officer's own salutation ("Dear Ms Example,"), which wins over the
/// name foid took from the request.
static SALUTATION: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*dear (.{1,80}),\s*$"));
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*\[answer(?: to question \d+)?\]\s*$"));

/// Lowercase words only: how question text is compared across mail clients.
fn words(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a numbered line quotes the question (rather than answering it).
fn quotes(rest: &str, q: &Question) -> bool {
    let a = words(rest);
    let b = words(&q.text);
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    common >= b.chars().count().min(30) || (a.chars().count() >= 20 && b.starts_with(&a))
}

/// The lines of a question block that repeat the question's own parts and
/// options (the skeleton prints them).
fn repeats_question(line: &str, q: &Question) -> bool {
    let w = words(line);
    if w.is_empty() {
        return false;
    }
    q.options.iter().any(|o| words(o) == w)
        || q.parts
            .iter()
            .any(|p| words(&p.text) == w || words(&format!("{} {}", p.label, p.text)) == w)
}

/// One question's block in the draft.
struct Block {
    number: u32,
    lines: Vec<String>,
}

/// Reads an officer's draft against the questions and composes the letter;
/// `Err` lists what must be fixed, in the officer's terms.
pub fn compose_draft(f: &LetterFor<'_>, body: &str) -> Result<Letter, Vec<String>> {
    let statute = Statute::of(f.regime);
    let mut warn_s14 = false;
    let mut lines: Vec<String> = Vec::new();
    for line in body.lines() {
        if CLOSING.is_match(line) {
            break;
        }
        if commands::marker(line) == Some(Ok(Marker::WarnSection14)) {
            warn_s14 = true;
            continue;
        }
        lines.push(line.trim_end().to_string());
    }
    let salutation = lines
        .iter()
        .find_map(|l| SALUTATION.captures(l))
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().trim().to_string());
    let mut f = f.clone();
    if let Some(name) = salutation.as_deref() {
        f.requester_name = Some(name);
    }
    let f = &f;
    // The skeleton's heading and opening lines are written by the template.
    let heading = statute_heading_words(f.regime);
    lines.retain(|l| !(PREAMBLE.is_match(l) || (!heading.is_empty() && words(l) == heading)));

    let (intro, blocks, found_any) = split_blocks(&lines, f.questions);
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    if !found_any {
        if lines.iter().any(|l| commands::marker(l).is_some()) {
            problems.push(
                "write each marker under the number of its question (e.g. \"2. #not-held\")"
                    .to_string(),
            );
            return Err(problems);
        }
        let text = tidy(&lines);
        if text.is_empty() {
            return Err(vec![
                "the draft is empty: write the reply after #draft".into()
            ]);
        }
        if !f.questions.is_empty() {
            notes.push(format!(
                "foid found none of the case's {} question(s) in the draft, so the letter is your text as written; to answer question by question, paste the skeleton or write \"1. …\", \"2. …\"",
                f.questions.len()
            ));
        }
        let outcomes = f
            .questions
            .iter()
            .map(|q| QuestionOutcome {
                number: q.number,
                outcome: Outcome::Answered,
                answer: None,
            })
            .collect();
        return Ok(Letter {
            text: render_letter(f, None, &[], Some(&text), None, warn_s14),
            outcomes,
            notes,
        });
    }

    let mut items = Vec::new();
    let mut outcomes = Vec::new();
    for q in f.questions {
        let Some(block) = blocks.iter().find(|b| b.number == q.number) else {
            problems.push(format!(
                "question {} is not in the draft: give it an answer or a marker",
                q.number
            ));
            continue;
        };
        match read_answer(q, &block.lines, statute) {
            Ok((outcome, answer, item_outcome)) => {
                outcomes.push(QuestionOutcome {
                    number: q.number,
                    outcome,
                    answer: (!answer.is_empty()).then(|| answer.clone()),
                });
                items.push(Item {
                    number: q.number,
                    text: &q.text,
                    parts: &q.parts,
                    options: &q.options,
                    answer,
                    outcome: item_outcome,
                });
            }
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let intro = tidy(&intro);
    Ok(Letter {
        text: render_letter(
            f,
            (!intro.is_empty()).then_some(intro.as_str()),
            &items,
            None,
            None,
            warn_s14,
        ),
        outcomes,
        notes,
    })
}

/// A whole-request refusal notice (`#refuse`).
pub fn compose_refusal(f: &LetterFor<'_>, ground: &RefusalGround, reasons: &str) -> Letter {
    let items: Vec<Item<'_>> = f
        .questions
        .iter()
        .map(|q| Item {
            number: q.number,
            text: &q.text,
            parts: &q.parts,
            options: &q.options,
            answer: String::new(),
            outcome: ItemOutcome::answered(),
        })
        .collect();
    let statute = Statute::of(f.regime);
    let refusal = RefusalView::of(statute, ground, reasons.trim());
    let section = ground.section();
    Letter {
        text: render_letter(f, None, &items, None, Some(&refusal), false),
        outcomes: f
            .questions
            .iter()
            .map(|q| QuestionOutcome {
                number: q.number,
                outcome: Outcome::Refused {
                    section: section.clone(),
                },
                answer: None,
            })
            .collect(),
        notes: vec![],
    }
}

/// The hash a draft's approval is bound to: the letter, where it goes, and
/// every attachment.
pub fn content_sha256(
    letter: &str,
    subject: &str,
    to: &str,
    attachments: &[AttachmentMeta],
) -> String {
    let mut h = Sha256::new();
    for part in [
        b"foid-draft-v1".as_slice(),
        subject.as_bytes(),
        to.as_bytes(),
        letter.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    for a in attachments {
        for part in [
            a.filename.as_bytes(),
            a.content_type.as_bytes(),
            a.sha256.as_bytes(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
    }
    hex::encode(h.finalize())
}

fn statute_heading_words(regime: Regime) -> String {
    words(statute(regime).heading)
}

/// The draft split at the questions: the text before the first, each
/// question's block, and whether any question was found. A numbered line
/// that quotes its question's text starts a block (the skeleton pasted
/// back); when no line does, numbered lines in order do ("1. Yes").
fn split_blocks(lines: &[String], questions: &[Question]) -> (Vec<String>, Vec<Block>, bool) {
    let numbered = |l: &str| -> Option<(u32, String)> {
        let c = NUMBERED.captures(l)?;
        Some((
            c.get(1)?.as_str().parse().ok()?,
            c.get(2)?.as_str().to_string(),
        ))
    };
    let quoting = lines.iter().any(|l| {
        numbered(l)
            .is_some_and(|(n, rest)| questions.iter().any(|q| q.number == n && quotes(&rest, q)))
    });
    // A case of one question answered without its number.
    if !quoting && questions.len() == 1 && !lines.iter().any(|l| numbered(l).is_some()) {
        if let Some(q) = questions.first() {
            return (
                vec![],
                vec![Block {
                    number: q.number,
                    lines: lines.to_vec(),
                }],
                lines.iter().any(|l| !l.trim().is_empty()),
            );
        }
    }
    let mut intro = Vec::new();
    let mut blocks: Vec<Block> = Vec::new();
    let mut next_q = 0usize;
    let mut i = 0usize;
    while let Some(line) = lines.get(i) {
        i += 1;
        let start = numbered(line).and_then(|(n, rest)| {
            // Only the next question in order (or a later one, if one was
            // left out) starts a block; other numbers are answer text.
            let pos = questions.iter().skip(next_q).position(|q| q.number == n)? + next_q;
            let q = questions.get(pos)?;
            if quoting && !quotes(&rest, q) {
                return None;
            }
            Some((pos, q, rest))
        });
        let Some((pos, q, rest)) = start else {
            match blocks.last_mut() {
                Some(b) => b.lines.push(line.clone()),
                None => intro.push(line.clone()),
            }
            continue;
        };
        next_q = pos + 1;
        let mut block = Block {
            number: q.number,
            lines: vec![],
        };
        if quoting {
            // The question's text may have been wrapped onto more lines,
            // followed by its parts and options: skip them all.
            let mut said = words(&rest);
            let whole = words(&q.text);
            while let Some(next) = lines.get(i) {
                let w = words(next);
                let continues = !w.is_empty()
                    && whole.len() > said.len()
                    && whole
                        .get(said.len()..)
                        .is_some_and(|left| left.trim_start().starts_with(&w));
                if continues {
                    said = format!("{said} {w}");
                    i += 1;
                } else if repeats_question(next, q) {
                    i += 1;
                } else {
                    break;
                }
            }
        } else if !rest.trim().is_empty() {
            block.lines.push(rest);
        }
        blocks.push(block);
    }
    let found = !blocks.is_empty();
    (intro, blocks, found)
}

/// The outcome and answer text of one question's block.
fn read_answer(
    q: &Question,
    lines: &[String],
    statute: Statute,
) -> Result<(Outcome, String, ItemOutcome), String> {
    let mut marker: Option<Marker> = None;
    let mut text: Vec<String> = Vec::new();
    for line in lines {
        if PLACEHOLDER.is_match(line) {
            continue;
        }
        match commands::marker_with_text(line) {
            Some(Ok((m, reason))) => {
                if marker.is_some() {
                    return Err(format!(
                        "question {} has more than one marker: give one outcome per question",
                        q.number
                    ));
                }
                marker = Some(m);
                if !reason.is_empty() {
                    text.push(reason);
                }
            }
            Some(Err(e)) => return Err(format!("question {}: {e}", q.number)),
            None => text.push(line.clone()),
        }
    }
    let answer = tidy(&text);
    let n = q.number;
    let (outcome, view) = match marker {
        None | Some(Marker::WarnSection14) => {
            if answer.is_empty() {
                return Err(format!(
                    "question {n} has no answer: write it under the question, or mark it #not-held, #exempt SECTION, #published URL or #cost"
                ));
            }
            (Outcome::Answered, ItemOutcome::answered())
        }
        Some(Marker::NotHeld) => (
            Outcome::NotHeld,
            ItemOutcome {
                kind: "not_held",
                ..ItemOutcome::answered()
            },
        ),
        Some(Marker::Exempt { section }) => {
            let ground = match statute {
                Statute::DataProtection => None,
                s => Some(
                    exemptions::exemption(s, &section)
                        .ok_or_else(|| format!("question {n}: {}", exemptions::not_a_ground(s, &section)))?,
                ),
            };
            if ground.is_some_and(|g| g.qualified) && answer.is_empty() {
                return Err(format!(
                    "question {n}: {section} is a qualified exemption; write why it applies and how the public interest was weighed under the marker"
                ));
            }
            (
                Outcome::Exempt {
                    section: section.clone(),
                },
                ItemOutcome {
                    kind: "exempt",
                    cite: statute.cite(&section),
                    title: ground.map(|g| g.title).unwrap_or(""),
                    qualified: ground.is_some_and(|g| g.qualified),
                    url: String::new(),
                },
            )
        }
        Some(Marker::Published { url }) => (
            Outcome::Published { url: url.clone() },
            ItemOutcome {
                kind: "published",
                url,
                ..ItemOutcome::answered()
            },
        ),
        Some(Marker::Cost) => match statute {
            Statute::Foia | Statute::Foisa => (
                Outcome::Cost,
                ItemOutcome {
                    kind: "cost",
                    ..ItemOutcome::answered()
                },
            ),
            Statute::Eir => {
                return Err(format!(
                    "question {n}: the EIR have no cost limit; a request too costly to answer is manifestly unreasonable: #exempt reg 12(4)(b)"
                ))
            }
            Statute::DataProtection => {
                return Err(format!(
                    "question {n}: subject access has no cost limit"
                ))
            }
        },
    };
    Ok((outcome, answer, view))
}

/// One question as the template prints it.
#[derive(Serialize)]
struct Item<'a> {
    number: u32,
    text: &'a str,
    parts: &'a [super::questions::Part],
    options: &'a [String],
    answer: String,
    outcome: ItemOutcome,
}

#[derive(Serialize)]
struct ItemOutcome {
    kind: &'static str,
    cite: String,
    title: &'static str,
    qualified: bool,
    url: String,
}

impl ItemOutcome {
    fn answered() -> ItemOutcome {
        ItemOutcome {
            kind: "answered",
            cite: String::new(),
            title: "",
            qualified: false,
            url: String::new(),
        }
    }
}

#[derive(Serialize)]
struct RefusalView {
    kind: &'static str,
    cite: String,
    title: &'static str,
    qualified: bool,
    reasons: String,
}

impl RefusalView {
    fn of(statute: Statute, ground: &RefusalGround, reasons: &str) -> RefusalView {
        let (kind, cite, title, qualified) = match ground {
            RefusalGround::Cost => ("cost", String::new(), "", false),
            RefusalGround::Vexatious => ("vexatious", String::new(), "", false),
            RefusalGround::Repeated => ("repeated", String::new(), "", false),
            RefusalGround::ManifestlyUnreasonable => {
                ("manifestly_unreasonable", String::new(), "", true)
            }
            RefusalGround::Exemption { section, ground } => (
                "exemption",
                statute.cite(section),
                ground.title,
                ground.qualified,
            ),
        };
        RefusalView {
            kind,
            cite,
            title,
            qualified,
            reasons: reasons.to_string(),
        }
    }
}

/// Lines joined, blank runs squeezed, ends trimmed.
fn tidy(lines: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut blank = false;
    for l in lines {
        if l.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push("");
            blank = false;
        }
        out.push(l.as_str());
    }
    out.join("\n")
}

/// The review paragraph of a reply: how to ask for an internal review, or
/// nothing when the letter is the review's own outcome.
fn review_paragraph(f: &LetterFor<'_>) -> Option<String> {
    let addr = f.council_address;
    let r = f.reference;
    match f.regime {
        Regime::Review | Regime::ReviewExtended | Regime::FoisaReview => None,
        Regime::Foisa => Some(format!(
            "If you are dissatisfied with the way we have dealt with your request, you have the right to require us to review our actions and decisions (section 20 of FOISA). Please write to {addr} within 40 working days of receiving this letter, quoting {r} and saying why you are dissatisfied."
        )),
        Regime::Sar | Regime::SarExtended => Some(format!(
            "If you are dissatisfied with our response, please write to {addr}, quoting {r}, and we will review it."
        )),
        _ => Some(format!(
            "If you are dissatisfied with the handling of your request, you may ask for an internal review. Please write to {addr}, explaining your grounds and quoting {r}, within 40 working days of the date of this letter."
        )),
    }
}

fn render_letter(
    f: &LetterFor<'_>,
    intro: Option<&str>,
    items: &[Item<'_>],
    free_text: Option<&str>,
    refusal: Option<&RefusalView>,
    warn_s14: bool,
) -> String {
    let law = statute(f.regime);
    let statute_key = match Statute::of(f.regime) {
        Statute::Foia => "foia",
        Statute::Eir => "eir",
        Statute::Foisa => "foisa",
        Statute::DataProtection => "data_protection",
    };
    render(
        "reply",
        context! {
            requester_name => greeting_name(f.requester_name),
            heading => law.heading,
            reference => f.reference,
            intro => intro,
            free_text => free_text,
            items => items,
            refusal => refusal,
            warn_s14 => warn_s14,
            statute => statute_key,
            council_name => f.council_name,
            reuse => law.reuse,
            review_paragraph => review_paragraph(f),
            complaint => law.complaint,
            regulator_address => law.regulator_address,
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::questions::Part;

    fn questions() -> Vec<Question> {
        vec![
            Question {
                number: 1,
                text: "How many potholes were reported on council roads in 2025?".into(),
                options: vec![],
                parts: vec![],
            },
            Question {
                number: 2,
                text: "How many compensation claims for vehicle damage did you receive?".into(),
                options: vec![],
                parts: vec![Part {
                    label: "a".into(),
                    text: "How many were paid?".into(),
                }],
            },
            Question {
                number: 3,
                text: "Which contractor repairs potholes, and what is the contract worth?".into(),
                options: vec!["Under £1m".into(), "£1m or more".into()],
                parts: vec![],
            },
        ]
    }

    fn letter_for(q: &[Question]) -> LetterFor<'_> {
        LetterFor {
            council_name: "Test Borough Council",
            council_address: "foi@council.test",
            reference: "FOI-2026-00001",
            regime: Regime::Foi,
            requester_name: Some("Jane Doe"),
            questions: q,
        }
    }

    const SKELETON_FILLED: &str = "\
---------------------------------------------------------------- reply skeleton
Freedom of Information Act 2000 (FOI Act)

Your request for information has now been considered.

You asked:

1. How many potholes were reported on council roads in 2025?

There were 4,210 reports.

2. How many compensation claims for vehicle damage
did you receive?
   a) How many were paid?

#not-held

3. Which contractor repairs potholes, and what is the contract worth?
· Under £1m
· £1m or more

#exempt s43(2)
The contract value is commercially sensitive until the retender closes.

Where any part of this request is refused, this letter acts as a refusal notice under section 17(1) of the Freedom of Information Act 2000.

You may re-use the information under the Open Government Licence.
---------------------------------------------------------------- end of skeleton
Jane Smith
FOI Officer";

    #[test]
    fn the_officers_salutation_wins() {
        let q = questions();
        let body = format!("Dear Dr Doe,\n\n{SKELETON_FILLED}");
        let l = compose_draft(&letter_for(&q), &body).unwrap();
        assert!(l.text.starts_with("Dear Dr Doe,\n"), "{}", l.text);
        assert_eq!(l.text.matches("Dear ").count(), 1, "{}", l.text);
    }

    #[test]
    fn the_pasted_skeleton_keeps_the_letters_shape() {
        let q = questions();
        let l = compose_draft(&letter_for(&q), SKELETON_FILLED).unwrap();
        let t = &l.text;
        assert!(t.starts_with("Dear Jane Doe,\n\nFreedom of Information Act 2000 (FOI Act)\nReference: FOI-2026-00001\n"), "{t}");
        assert!(t.contains("\n1. How many potholes were reported on council roads in 2025?\n\nThere were 4,210 reports.\n"), "{t}");
        assert!(t.contains("2. How many compensation claims for vehicle damage did you receive?\n   a) How many were paid?\n\nTest Borough Council does not hold this information. Therefore, this letter acts as a refusal notice under section 17(1)"), "{t}");
        assert!(t.contains("· Under £1m\n· £1m or more\n\nThis information is withheld under section 43(2) of the Freedom of Information Act 2000 (commercial interests)."), "{t}");
        assert!(t.contains("qualified exemption"), "{t}");
        assert!(
            t.contains("The contract value is commercially sensitive"),
            "{t}"
        );
        assert!(t.contains("internal review"), "{t}");
        assert!(t.contains("section 50"), "{t}");
        assert!(t.contains("Open Government Licence"), "{t}");
        assert!(
            !t.contains("Jane Smith"),
            "the officer's signature is not the letter: {t}"
        );
        assert!(!t.contains("[Answer"), "{t}");
        assert_eq!(t.matches("You asked:").count(), 1, "{t}");
        assert_eq!(
            l.outcomes
                .iter()
                .map(|o| o.outcome.clone())
                .collect::<Vec<_>>(),
            vec![
                Outcome::Answered,
                Outcome::NotHeld,
                Outcome::Exempt {
                    section: "s43(2)".into()
                }
            ]
        );
    }

    #[test]
    fn answers_by_number_alone() {
        let q = questions();
        let body = "Thank you for your patience.\n1. 4,210\n2. #not-held\n3. #published https://council.test/contracts";
        let l = compose_draft(&letter_for(&q), body).unwrap();
        assert!(
            l.text.contains("Thank you for your patience."),
            "{}",
            l.text
        );
        assert!(!l.text.contains("has now been considered"), "{}", l.text);
        assert!(
            l.text
                .contains("1. How many potholes were reported on council roads in 2025?\n\n4,210"),
            "{}",
            l.text
        );
        assert!(l.text.contains("section 21"), "{}", l.text);
        assert!(
            l.text.contains("https://council.test/contracts"),
            "{}",
            l.text
        );
    }

    #[test]
    fn what_is_missing_is_said() {
        let q = questions();
        let e = compose_draft(&letter_for(&q), "1. 4,210\n3. #exempt s99").unwrap_err();
        assert!(
            e.iter()
                .any(|p| p.contains("question 2 is not in the draft")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|p| p.contains("s99 is not an exemption")),
            "{e:?}"
        );
        let e = compose_draft(
            &letter_for(&q),
            &SKELETON_FILLED.replace("There were 4,210 reports.", "[Answer to question 1]"),
        )
        .unwrap_err();
        assert!(
            e.iter().any(|p| p.contains("question 1 has no answer")),
            "{e:?}"
        );
        let e = compose_draft(&letter_for(&q), "1. x\n2. #not-held\n#cost\n3. y").unwrap_err();
        assert!(
            e.iter().any(|p| p.contains("more than one marker")),
            "{e:?}"
        );
        let e = compose_draft(&letter_for(&q), "1. x\n2. y\n3. #exempt s43").unwrap_err();
        assert!(e.iter().any(|p| p.contains("qualified exemption")), "{e:?}");
    }

    #[test]
    fn numbered_lists_inside_an_answer_stay_in_it() {
        let q = questions();
        let body = "1. The roads with most reports were:\n1. High Street\n2. Mill Lane\n2. 31 claims, 12 paid\n3. #not-held";
        let l = compose_draft(&letter_for(&q), body).unwrap();
        // "1. High Street" repeats a number already used, so it stays in
        // answer 1. ("2. Mill Lane" would start question 2: the preview
        // shows the approver exactly that before anything is sent.)
        assert!(
            l.text
                .contains("The roads with most reports were:\n1. High Street\n"),
            "{}",
            l.text
        );
    }

    #[test]
    fn free_text_is_kept_and_said() {
        let q = questions();
        let l = compose_draft(
            &letter_for(&q),
            "We enclose a spreadsheet answering all three questions.",
        )
        .unwrap();
        assert!(
            l.text
                .contains("We enclose a spreadsheet answering all three questions."),
            "{}",
            l.text
        );
        assert!(!l.text.contains("You asked:"), "{}", l.text);
        assert_eq!(l.notes.len(), 1);
        assert!(compose_draft(&letter_for(&q), "#not-held").is_err());
        let one = &q[..1];
        let l = compose_draft(&letter_for(one), "#not-held").unwrap();
        assert_eq!(l.outcomes[0].outcome, Outcome::NotHeld);
    }

    #[test]
    fn each_statute_has_its_own_wording() {
        let q = questions();
        let mut f = letter_for(&q);
        f.regime = Regime::Eir;
        let l = compose_draft(
            &f,
            "1. x\n2. #not-held\n3. #exempt reg 12(5)(e)\nCommercial confidentiality.",
        )
        .unwrap();
        assert!(l.text.contains("regulation 12(4)(a)"), "{}", l.text);
        assert!(l.text.contains("regulation 12(5)(e)"), "{}", l.text);
        assert!(compose_draft(&f, "1. x\n2. #cost\n3. y").is_err());
        f.regime = Regime::Foisa;
        let l = compose_draft(&f, "1. x\n2. #not-held\n3. y").unwrap();
        assert!(
            l.text
                .contains("section 17 of the Freedom of Information (Scotland) Act 2002"),
            "{}",
            l.text
        );
        assert!(
            l.text.contains("Scottish Information Commissioner"),
            "{}",
            l.text
        );
        f.regime = Regime::Review;
        let l = compose_draft(&f, "1. x\n2. y\n3. z").unwrap();
        assert!(
            !l.text.contains("ask for an internal review"),
            "a review's own outcome: {}",
            l.text
        );
    }

    #[test]
    fn refusal_notices() {
        let q = questions();
        let f = letter_for(&q);
        let l = compose_refusal(
            &f,
            &RefusalGround::Repeated,
            "You asked the same in FOI-2026-00001, answered on 1 December 2026.",
        );
        assert!(l.text.contains("section 14(2)"), "{}", l.text);
        assert!(l.text.contains("17(5)"), "{}", l.text);
        assert!(l.text.contains("FOI-2026-00001, answered"), "{}", l.text);
        assert!(
            l.text.contains("You asked:\n\n1. How many potholes"),
            "{}",
            l.text
        );
        assert!(l.outcomes.iter().all(|o| o.outcome
            == Outcome::Refused {
                section: "s14(2)".into()
            }));
        let l = compose_refusal(&f, &RefusalGround::Cost, "");
        assert!(l.text.contains("£450"), "{}", l.text);
        assert!(l.text.contains("section 16"), "{}", l.text);
    }

    #[test]
    fn the_s14_warning_can_be_added() {
        let q = questions();
        let l = compose_draft(&letter_for(&q), "1. a\n2. b\n3. c\n#warn-s14").unwrap();
        assert!(
            l.text.contains(
                "repeated requests relating to this matter will be considered under section 14"
            ),
            "{}",
            l.text
        );
    }

    #[test]
    fn the_content_hash_binds_everything() {
        let a = AttachmentMeta {
            filename: "a.csv".into(),
            content_type: "text/csv".into(),
            size: 3,
            sha256: "00".into(),
        };
        let base = content_sha256("letter", "subject", "to@x", std::slice::from_ref(&a));
        assert_ne!(
            base,
            content_sha256("letter!", "subject", "to@x", std::slice::from_ref(&a))
        );
        assert_ne!(
            base,
            content_sha256("letter", "subject", "other@x", std::slice::from_ref(&a))
        );
        assert_ne!(base, content_sha256("letter", "subject", "to@x", &[]));
        let b = AttachmentMeta {
            sha256: "01".into(),
            ..a
        };
        assert_ne!(base, content_sha256("letter", "subject", "to@x", &[b]));
    }
}
