//! Intake throughput on the request corpus: reads every fixture in
//! tests/fixtures/requests, parses the whole corpus N times (default 200)
//! and prints messages per second.
//!
//!     cargo run --release --example parse_bench -- [N]

use std::time::Instant;

use foid::core::intake::IntakePolicy;
use foid::mail::message::parse_request;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/requests");
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot read {dir}: {e}");
            std::process::exit(1);
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "eml") {
            if let Ok(bytes) = std::fs::read(&path) {
                corpus.push(bytes);
            }
        }
    }
    if corpus.is_empty() {
        eprintln!("no .eml files in {dir}");
        std::process::exit(1);
    }
    let policy = IntakePolicy::new(
        "foi@council.test",
        "council.test",
        &["officer1@council.test", "officer2@council.test"],
    );
    let bytes: usize = corpus.iter().map(Vec::len).sum();

    // Warm-up: compiles the lazily built rule tables.
    let mut questions = 0usize;
    for raw in &corpus {
        if let Ok(p) = parse_request(raw, &policy, None) {
            questions += p.questions.len();
        }
    }

    let start = Instant::now();
    let mut parsed = 0usize;
    for _ in 0..rounds {
        for raw in &corpus {
            if parse_request(raw, &policy, None).is_ok() {
                parsed += 1;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let messages = rounds * corpus.len();
    println!(
        "{} messages ({} KiB, {questions} questions) x {rounds} rounds: {parsed} parsed in {secs:.2} s",
        corpus.len(),
        bytes / 1024
    );
    println!(
        "{:.0} messages/second, {:.1} MiB/second",
        messages as f64 / secs,
        (bytes * rounds) as f64 / secs / (1024.0 * 1024.0)
    );
}
