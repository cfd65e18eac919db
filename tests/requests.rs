//! Intake over the request corpus in tests/fixtures/requests: every
//! fixture's kind, question count, options, parts, case reference and
//! requester, as listed in expected.toml; the accuracy figures; and
//! garbage, truncated and mutated input that must never panic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use foid::core::intake::IntakePolicy;
use foid::core::{html_text, message_text, questions};
use foid::mail::message::{parse_request, read_message, ParsedRequest};
use proptest::prelude::*;
use serde::Deserialize;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/requests");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    kind: String,
    questions: usize,
    options: Option<Vec<usize>>,
    parts: Option<Vec<usize>>,
    case_ref: Option<String>,
    identity: Option<String>,
    reply_to: Option<String>,
}

fn policy() -> IntakePolicy {
    IntakePolicy::new(
        "foi@council.test",
        "council.test",
        &["officer1@council.test", "officer2@council.test"],
    )
}

fn expectations() -> BTreeMap<String, Expect> {
    let text = std::fs::read_to_string(PathBuf::from(DIR).join("expected.toml"))
        .expect("tests/fixtures/requests/expected.toml");
    toml::from_str(&text).expect("expected.toml parses")
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(DIR)
        .expect("fixture folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn parse(raw: &[u8]) -> ParsedRequest {
    parse_request(raw, &policy(), None).expect("fixture parses")
}

#[test]
fn corpus_covers_every_style_and_is_listed() {
    let expected = expectations();
    let files = fixtures();
    assert!(files.len() >= 60, "only {} fixtures", files.len());
    for (name, _) in &files {
        assert!(
            expected.contains_key(name),
            "{name} has no entry in expected.toml"
        );
    }
    for name in expected.keys() {
        assert!(
            files.iter().any(|(n, _)| n == name),
            "expected.toml lists {name}, which is missing"
        );
    }
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for e in expected.values() {
        *by_kind.entry(e.kind.as_str()).or_default() += 1;
    }
    println!("fixtures by kind: {by_kind:?}");
    for kind in [
        "foi",
        "eir",
        "sar",
        "review",
        "correspondence",
        "command",
        "auto_reply",
        "bounce",
        "bulk",
        "spam",
        "unclear",
    ] {
        assert!(
            by_kind.get(kind).copied().unwrap_or(0) >= 3,
            "fewer than 3 {kind} fixtures"
        );
    }
}

#[test]
fn corpus_reads_as_expected() {
    let expected = expectations();
    let mut failures: Vec<String> = Vec::new();
    let (mut exact, mut within_one, mut total) = (0usize, 0usize, 0usize);

    for (name, raw) in fixtures() {
        let Some(want) = expected.get(&name) else {
            continue;
        };
        let got = parse(&raw);
        total += 1;

        let kind = got.kind.as_str();
        if kind != want.kind {
            failures.push(format!(
                "{name}: kind {kind}, expected {} (reasons: {:?})",
                want.kind, got.kind_reasons
            ));
        }
        if got.kind_reasons.is_empty() {
            failures.push(format!("{name}: no reasons given for {kind}"));
        }

        let n = got.questions.len();
        if n == want.questions {
            exact += 1;
        }
        if n.abs_diff(want.questions) <= 1 {
            within_one += 1;
        } else {
            failures.push(format!(
                "{name}: {n} questions, expected {}: {:#?}",
                want.questions,
                got.questions.iter().map(|q| &q.text).collect::<Vec<_>>()
            ));
        }
        if n != want.questions {
            println!(
                "question count off by one: {name}: {n}, expected {}",
                want.questions
            );
        }

        // Options and parts per question, where the count is right.
        if n == want.questions {
            if let Some(options) = &want.options {
                let got_options: Vec<usize> =
                    got.questions.iter().map(|q| q.options.len()).collect();
                if &got_options != options {
                    failures.push(format!(
                        "{name}: options {got_options:?}, expected {options:?}"
                    ));
                }
            }
            if let Some(parts) = &want.parts {
                let got_parts: Vec<usize> = got.questions.iter().map(|q| q.parts.len()).collect();
                if &got_parts != parts {
                    failures.push(format!("{name}: parts {got_parts:?}, expected {parts:?}"));
                }
            }
        }

        if got.case_ref != want.case_ref {
            failures.push(format!(
                "{name}: case_ref {:?}, expected {:?}",
                got.case_ref, want.case_ref
            ));
        }
        if let Some(identity) = &want.identity {
            if &got.requester.identity != identity {
                failures.push(format!(
                    "{name}: identity {}, expected {identity}",
                    got.requester.identity
                ));
            }
        }
        if let Some(reply_to) = &want.reply_to {
            if got.requester.reply_to.as_ref() != Some(reply_to) {
                failures.push(format!(
                    "{name}: reply_to {:?}, expected {reply_to}",
                    got.requester.reply_to
                ));
            }
        }
        // Question text is never empty, numbers are never zero, and the
        // sender's signature never ends up inside a question.
        let signature: Vec<String> = got
            .requester
            .name
            .iter()
            .flat_map(|n| {
                [
                    n.clone(),
                    n.split_whitespace().next().unwrap_or("").to_string(),
                ]
            })
            .filter(|n| !n.is_empty())
            .collect();
        for q in &got.questions {
            if q.number == 0 || (q.text.trim().is_empty() && q.parts.is_empty()) {
                failures.push(format!("{name}: malformed question {q:?}"));
            }
            let texts = std::iter::once(&q.text)
                .chain(q.options.iter())
                .chain(q.parts.iter().map(|p| &p.text));
            for text in texts {
                if text
                    .lines()
                    .any(|l| signature.iter().any(|s| s == l.trim()))
                {
                    failures.push(format!("{name}: signature inside question text {text:?}"));
                }
            }
        }
    }

    let exact_share = exact as f64 / total.max(1) as f64;
    println!(
        "question counts: {exact}/{total} exact ({:.1}%), {within_one}/{total} within one",
        exact_share * 100.0
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        exact_share >= 0.95,
        "only {:.1}% exact",
        exact_share * 100.0
    );
    assert_eq!(within_one, total, "some counts are off by more than one");
}

#[test]
fn json_has_the_documented_shape() {
    let raw = std::fs::read(PathBuf::from(DIR).join("journalist_years_parts.eml")).unwrap();
    let received: jiff::Timestamp = "2026-03-04T09:00:05Z".parse().unwrap();
    let parsed = parse_request(&raw, &policy(), Some(received)).unwrap();
    let v = serde_json::to_value(&parsed).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&v),
        [
            "case_ref",
            "kind",
            "kind_reasons",
            "notes",
            "questions",
            "received_at",
            "requester"
        ]
    );
    assert_eq!(v["kind"], "foi");
    assert_eq!(v["received_at"], "2026-03-04T09:00:05Z");
    assert!(v["case_ref"].is_null());
    assert_eq!(
        keys(&v["requester"]),
        ["email", "identity", "name", "reply_to"]
    );
    assert_eq!(v["requester"]["email"], "ben.lowry@westshiregazette.co.uk");
    let q = &v["questions"][0];
    assert_eq!(keys(q), ["number", "options", "parts", "text"]);
    assert_eq!(q["number"], 1);
    assert_eq!(
        q["text"],
        "How many staff were dismissed for gross misconduct in:"
    );
    assert_eq!(keys(&q["parts"][0]), ["label", "text"]);
    assert_eq!(q["parts"][0]["label"], "a");
    assert_eq!(q["parts"][0]["text"], "2022");
    assert!(v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "Please send the answers by email."));
}

#[test]
fn seed_style_options_keep_their_text() {
    let raw = std::fs::read(PathBuf::from(DIR).join("survey_seed_like.eml")).unwrap();
    let parsed = parse(&raw);
    let q2 = &parsed.questions[1];
    assert_eq!(q2.number, 2);
    assert!(q2
        .text
        .starts_with("Does your local authority use a content services"));
    assert_eq!(
        q2.options.first().map(String::as_str),
        Some("Yes, we have done this since 2019 or earlier")
    );
    // The seed's option without its bullet stays an option.
    assert_eq!(
        parsed.questions[3].options.last().map(String::as_str),
        Some("No, we do not plan to do this")
    );
}

#[test]
fn forwarded_and_quoted_text() {
    let dir = PathBuf::from(DIR);
    let fwd =
        read_message(&std::fs::read(dir.join("outlook_forward_request.eml")).unwrap()).unwrap();
    assert!(fwd.forwarded_request);
    assert!(fwd
        .new_text
        .contains("How often is each playground inspected?"));
    let reply =
        read_message(&std::fs::read(dir.join("review_outlook_quoted.eml")).unwrap()).unwrap();
    assert!(!reply.new_text.contains("You asked"));
    assert!(reply.full_text.contains("You asked"));
    let wdtk =
        read_message(&std::fs::read(dir.join("wdtk_numbered_parking.eml")).unwrap()).unwrap();
    assert!(!wdtk.new_text.contains("whatdotheyknow"));
    assert!(!wdtk.new_text.contains("Disclaimer"));
}

/// xorshift64*: a deterministic stream without extra crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn pathological() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut deep = String::from("From: a@b.test\r\n");
    for i in 0..60 {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    deep.push_str("Content-Type: text/plain\r\n\r\nhi\r\n");
    out.push(deep.into_bytes());
    let mut chain = String::from("From: a@b.test\r\n");
    for _ in 0..3000 {
        chain.push_str("Content-Type: message/rfc822\r\n\r\nFrom: c@d.test\r\n");
    }
    out.push(chain.into_bytes());
    let mut digest =
        String::from("From: a@b.test\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n");
    for _ in 0..2000 {
        digest.push_str(
            "--d\r\n\r\nFrom: x@y.test\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n",
        );
    }
    out.push(digest.into_bytes());
    out.push(
        format!(
            "From: a@b.test\r\nSubject: {}\r\n\r\nx",
            "é".repeat(100_000)
        )
        .into_bytes(),
    );
    out.push(format!("From: a@b.test\r\n\r\n{}", "1. ".repeat(50_000)).into_bytes());
    out.push(
        format!(
            "From: a@b.test\r\nContent-Type: text/html\r\n\r\n{}",
            "<ol><li><blockquote><div><p class=Mso>".repeat(5_000)
        )
        .into_bytes(),
    );
    out.push(format!("From: a@b.test\r\n\r\n{}", "> ".repeat(100_000)).into_bytes());
    // Large inputs shaped to make a careless line-by-line algorithm
    // quadratic (each about 1 MB of body text).
    let big = |body: String| format!("From: a@b.test\r\n\r\n{body}").into_bytes();
    out.push(big(format!("{}y\n", "> x\n".repeat(200_000))));
    out.push(big("Thanks\n".repeat(120_000)));
    out.push(big("Could you tell me X and also ".repeat(35_000)));
    out.push(big("- a\n".repeat(200_000)));
    out.push(big("1. a\n   - b\nc\n".repeat(60_000)));
    out.push(big(
        "Please use this email address for all replies to this request:\n".repeat(15_000),
    ));
    out.push(
        format!(
            "From: a@b.test\r\nContent-Type: text/html\r\n\r\n{}{}",
            "<div>".repeat(100_000),
            "</p>".repeat(100_000)
        )
        .into_bytes(),
    );
    out.push(b"From: =?utf-8?B?////?= <@>\r\nReturn-Path: <\r\n\r\n\xff\xfe\x00".to_vec());
    out.push(b"From: a@b.test\r\nContent-Transfer-Encoding: base64\r\n\r\n====\x80".to_vec());
    out.push(b"From: a@b.test\r\nContent-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=FF=FE=00=D8".to_vec());
    out
}

#[test]
fn garbage_truncations_and_mutations_never_panic() {
    let corpus: Vec<Vec<u8>> = fixtures().into_iter().map(|(_, raw)| raw).collect();
    let policy = policy();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut inputs: Vec<Vec<u8>> = pathological();

    // Random bytes, and random bytes after a plausible header.
    for i in 0..800 {
        let len = rng.below(600);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if i % 2 == 0 {
            let mut with_header =
                b"From: x@y.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                    .to_vec();
            with_header.append(&mut bytes);
            bytes = with_header;
        }
        inputs.push(bytes);
    }
    // Every fixture cut short at random points, and mutated.
    for raw in &corpus {
        for _ in 0..12 {
            let cut = rng.below(raw.len() + 1);
            inputs.push(raw.get(..cut).unwrap_or(raw).to_vec());
        }
        for _ in 0..12 {
            let mut m = raw.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(m.len());
                match rng.below(4) {
                    0 => m[at] = rng.next() as u8,
                    1 => m.insert(at, b"<>\r\n-:=?*#>"[rng.below(11)]),
                    2 => {
                        m.remove(at);
                    }
                    _ => {
                        let other = &corpus[rng.below(corpus.len())];
                        let from = rng.below(other.len());
                        let to = (from + rng.below(200)).min(other.len());
                        m.splice(at..at, other[from..to].iter().copied());
                    }
                }
                if m.is_empty() {
                    break;
                }
            }
            inputs.push(m);
        }
    }

    let mut ok = 0;
    for input in &inputs {
        if parse_request(input, &policy, None).is_ok() {
            ok += 1;
        }
    }
    println!(
        "{} hostile inputs, {ok} parsed, none panicked",
        inputs.len()
    );
    assert!(inputs.len() >= 2_000);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn text_functions_never_panic(s in "\\PC{0,400}") {
        let _ = questions::split_questions(&s);
        let _ = message_text::extract(&s);
        let _ = html_text::html_to_text(&s);
    }

    #[test]
    fn structured_text_never_panics(
        lines in proptest::collection::vec(
            "(1\\.|Q2|a\\)|\\(ii\\)|· |- |☐ |> |On x wrote:|From: x|Sent: y|To: z|#draft|Thanks,|)[ a-zA-Z0-9?:.é]{0,40}",
            0..30,
        )
    ) {
        let text = lines.join("\n");
        let q = questions::split_questions(&text);
        for question in &q.questions {
            prop_assert!(question.number > 0);
        }
        let _ = message_text::extract(&text);
    }
}
