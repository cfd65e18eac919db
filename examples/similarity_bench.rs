//! Checking one new request against a history of 10,000 to 1,000,000
//! earlier requests: the index lookup and the scoring of its candidates
//! (what `daemon::similarity::flags_for` does before it reads the few
//! matches from the database), beside a naive scan of every request.
//!
//! `cargo run --release --example similarity_bench [-- 10000 100000 1000000]`
//!
//! The synthetic history: 400 topics of 40 words each over a general
//! vocabulary of 30,000 words drawn by a Zipf-like law; each request has 1
//! to 6 questions of 3 to 8 terms, mostly from its topic. Half the probes
//! are rewordings of a stored request (a third of their terms replaced),
//! half are new requests.

use std::time::Instant;

use foid::core::similarity::{compare, Signature, Terms};
use foid::store::similarity_index::SimilarityIndex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TOPICS: u32 = 400;
const TOPIC_WORDS: u32 = 40;
const GENERAL: u32 = 30_000;

fn word(rng: &mut StdRng, topic: u32) -> u32 {
    if rng.gen_bool(0.7) {
        1_000_000 + topic * TOPIC_WORDS + rng.gen_range(0..TOPIC_WORDS)
    } else {
        // Zipf-like: small ids much more often.
        let x: f64 = rng.gen();
        (f64::from(GENERAL).powf(x) as u32).min(GENERAL - 1)
    }
}

fn request(rng: &mut StdRng) -> Signature {
    let topic = rng.gen_range(0..TOPICS);
    let questions = (0..rng.gen_range(1..=6))
        .map(|_| {
            let n = rng.gen_range(3..=8);
            Terms::from_hashes((0..n).map(|_| mix(word(rng, topic))).collect())
        })
        .collect();
    Signature::from_questions(questions)
}

fn reworded(rng: &mut StdRng, s: &Signature) -> Signature {
    let questions = s
        .questions
        .iter()
        .map(|q| {
            Terms::from_hashes(
                q.as_slice()
                    .iter()
                    .map(|t| {
                        if rng.gen_bool(0.33) {
                            mix(rng.gen())
                        } else {
                            *t
                        }
                    })
                    .collect(),
            )
        })
        .collect();
    Signature::from_questions(questions)
}

/// Term ids spread over u32 as term hashes are.
fn mix(x: u32) -> u32 {
    let mut z = u64::from(x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z ^= z >> 29;
    (z ^ (z >> 32)) as u32
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    println!("| history | build | index memory | RSS growth | check p50 | check p99 | candidates (mean) | reworded found | naive scan p50 |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let mut rng = StdRng::seed_from_u64(7);
        let rss_before = rss_kib();
        let started = Instant::now();
        let mut index = SimilarityIndex::new();
        let mut kept = Vec::new();
        for id in 0..n {
            let s = request(&mut rng);
            if id % (n / 500).max(1) == 0 {
                kept.push((id as i64, s.clone()));
            }
            index.insert(id as i64, &s);
        }
        index.finish();
        let build = started.elapsed();
        let rss_growth = rss_kib().saturating_sub(rss_before);

        let mut times = Vec::new();
        let mut candidates = 0usize;
        let mut found = 0usize;
        let mut reworded_probes = 0usize;
        for i in 0..1000 {
            let (probe, source) = if i % 2 == 0 {
                let (id, s) = &kept[i / 2 % kept.len()];
                reworded_probes += 1;
                (reworded(&mut rng, s), Some(*id))
            } else {
                (request(&mut rng), None)
            };
            let t = Instant::now();
            let cands = index.candidates(&probe.request, None, 0.15);
            let mut best: Option<(i64, f64)> = None;
            for (case, old) in &cands {
                let c = compare(&probe, old, 0.5, &index.weights);
                if c.score >= 0.3 && best.is_none_or(|(_, s)| c.score > s) {
                    best = Some((*case, c.score));
                }
            }
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            candidates += cands.len();
            if source.is_some() && best.map(|(c, _)| c) == source {
                found += 1;
            }
        }
        times.sort_by(f64::total_cmp);

        let mut naive = Vec::new();
        for _ in 0..20 {
            let probe = request(&mut rng);
            let t = Instant::now();
            let mut hits = 0usize;
            for (_, old) in index.all() {
                if probe.request.jaccard(&old.request) >= 0.3 {
                    hits += 1;
                }
            }
            std::hint::black_box(hits);
            naive.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        naive.sort_by(f64::total_cmp);

        println!(
            "| {n} | {:.1} s | {:.0} MB | {:.0} MB | {:.3} ms | {:.3} ms | {:.1} | {found}/{reworded_probes} | {:.1} ms |",
            build.as_secs_f64(),
            index.heap_bytes() as f64 / 1e6,
            rss_growth as f64 / 1024.0,
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            candidates as f64 / 1000.0,
            percentile(&naive, 0.5),
        );
    }
}
