//! Calibration of repeat detection on labelled pairs
//! (`tests/fixtures/similarity/pairs.toml`): each pair's two requests are
//! split into questions as foid splits mail, compared, and judged
//! substantially similar at the configured default score. Precision and
//! recall, and a sweep of thresholds, are printed
//! (`cargo test --test similarity -- --nocapture`).
//!
//! The target is 0.95 for both; the lexical method with each
//! question's focus (`core::focus`) reaches about 0.78 precision and 0.70
//! recall on these pairs, which were written to be hard (near misses that
//! share most words, paraphrases that share few).
//! The floors below guard what it does reach, so that a change that makes
//! it worse fails; raising them is the work left.

#![allow(clippy::expect_used)]

use foid::core::flags::Settings;
use foid::core::questions::split_questions;
use foid::core::similarity::{compare, Comparison, Signature, TermWeights};

#[derive(serde::Deserialize)]
struct Corpus {
    pair: Vec<Pair>,
}

#[derive(serde::Deserialize)]
struct Pair {
    id: String,
    label: String,
    shape: String,
    a: String,
    b: String,
    #[serde(default)]
    shared: Option<usize>,
}

fn signature(text: &str) -> Signature {
    let split = split_questions(text);
    Signature::of_request(&split.questions, text)
}

/// Term weights over a background of requests: every text of the pairs
/// and of the other request corpora, as a council's history would be.
fn weights() -> &'static TermWeights {
    static W: std::sync::OnceLock<TermWeights> = std::sync::OnceLock::new();
    W.get_or_init(|| {
        let mut w = TermWeights::default();
        for p in corpus() {
            w.add(&signature(&p.a).request);
            w.add(&signature(&p.b).request);
        }
        for dir in ["tests/fixtures/real_shapes", "tests/fixtures/requests"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(dir).expect("fixtures").flatten() {
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    w.add(&signature(&text).request);
                }
            }
        }
        w
    })
}

fn compared(p: &Pair) -> Comparison {
    let s = Settings::default();
    // The later request (b) against the earlier (a), as foid compares them.
    compare(&signature(&p.b), &signature(&p.a), s.question, weights())
}

fn corpus() -> Vec<Pair> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/similarity/pairs.toml"
    ))
    .expect("pairs.toml");
    toml::from_str::<Corpus>(&text).expect("valid pairs").pair
}

#[test]
fn similar_pairs_are_found_and_near_misses_are_not() {
    let pairs = corpus();
    let threshold = Settings::default().similar;
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    let mut by_shape: std::collections::BTreeMap<(String, String), (usize, usize)> =
        Default::default();
    let mut wrong = Vec::new();
    for p in pairs.iter().filter(|p| p.label != "partial") {
        let c = compared(p);
        let said_similar = c.score >= threshold;
        let is_similar = p.label == "similar";
        match (is_similar, said_similar) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => tn += 1,
        }
        let e = by_shape
            .entry((p.label.clone(), p.shape.clone()))
            .or_default();
        e.0 += 1;
        if said_similar == is_similar {
            e.1 += 1;
        } else {
            wrong.push(format!(
                "{} ({} {}): score {:.2}, overall {:.2}",
                p.id, p.label, p.shape, c.score, c.overall
            ));
        }
    }
    let scored: Vec<(bool, f64)> = pairs
        .iter()
        .filter(|p| p.label != "partial")
        .map(|p| (p.label == "similar", compared(p).score))
        .collect();
    for t in (6..=14).map(|n| f64::from(n) * 0.05) {
        let tp = scored.iter().filter(|(s, x)| *s && *x >= t).count() as f64;
        let fp = scored.iter().filter(|(s, x)| !*s && *x >= t).count() as f64;
        let pos = scored.iter().filter(|(s, _)| *s).count() as f64;
        println!(
            "  sweep {t:.2}: precision {:.3} recall {:.3}",
            tp / (tp + fp).max(1.0),
            tp / pos
        );
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!("threshold {threshold}: tp {tp} fp {fp} fn {fn_} tn {tn}; precision {precision:.3} recall {recall:.3}");
    for ((label, shape), (n, right)) in &by_shape {
        println!("  {label:<10} {shape:<16} {right}/{n}");
    }
    for w in &wrong {
        println!("  wrong: {w}");
    }
    assert!(tp + fn_ >= 40 && fp + tn >= 40, "at least 40 pairs of each");
    assert!(precision >= 0.75, "precision {precision:.3}");
    assert!(recall >= 0.67, "recall {recall:.3}");
    // Different topics are never taken for the same request.
    assert!(
        !wrong.iter().any(|w| w.contains("other_topic")),
        "{wrong:?}"
    );
}

/// A partial repeat is not the same request, but its repeated questions
/// are each matched to the earlier question.
#[test]
fn partial_repeats_name_their_repeated_questions() {
    let pairs = corpus();
    let threshold = Settings::default().similar;
    let mut right = 0;
    let mut total = 0;
    for p in pairs.iter().filter(|p| p.label == "partial") {
        total += 1;
        let c = compared(p);
        let shared = p.shared.expect("partial pairs say how many are shared");
        let ok = c.score < threshold && c.matches.len() >= shared.min(1);
        if ok {
            right += 1;
        } else {
            println!(
                "  partial {}: score {:.2}, {} matched, {} shared",
                p.id,
                c.score,
                c.matches.len(),
                shared
            );
        }
    }
    println!("partial pairs right: {right}/{total}");
    assert!(total >= 10);
    assert!(right as f64 >= 0.7 * total as f64, "{right}/{total}");
}

/// `PAIR=d028 cargo test --test similarity show_pair -- --nocapture`
/// prints how one pair was read.
#[test]
fn show_pair() {
    let Ok(id) = std::env::var("PAIR") else {
        return;
    };
    for p in corpus().iter().filter(|p| id.split(',').any(|i| i == p.id)) {
        for (name, text) in [("a", &p.a), ("b", &p.b)] {
            let split = split_questions(text);
            println!("--- {} {name}", p.id);
            for q in &split.questions {
                println!("  Q{}: {}", q.number, q.text);
                println!("      {:?}", foid::core::similarity::term_words(&q.text));
            }
            for n in &split.notes {
                println!("  note: {}", n.replace('\n', " / "));
            }
        }
        println!("{:?}", compared(p));
    }
}

/// The index's quick overlap check (half the `related` score, on the whole
/// requests' terms) must never drop a pair that the full score keeps.
#[test]
fn the_quick_overlap_check_keeps_every_related_pair() {
    let s = Settings::default();
    let mut lowest = f64::MAX;
    for p in corpus() {
        let (a, b) = (signature(&p.a), signature(&p.b));
        let c = compare(&b, &a, s.question, weights());
        if c.score >= s.related {
            lowest = lowest.min(b.request.jaccard(&a.request));
        }
    }
    println!("lowest whole-request overlap among related pairs: {lowest:.3}");
    assert!(lowest >= s.related / 2.0, "{lowest}");
}
