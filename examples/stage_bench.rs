//! Where intake's time goes, stage by stage, on the request corpus (a
//! diagnostic beside parse_bench): reading, classification, the request
//! likeness judgement, question splitting.
//!
//!     cargo run --release --example stage_bench -- [N]

use std::time::Instant;

use foid::core::intake::{self, IntakePolicy};
use foid::core::{questions, request_likeness};
use foid::mail::message::read_message;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/requests");
    let mut msgs = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().extension().is_some_and(|x| x == "eml") {
            if let Ok(m) = std::fs::read(entry.path())
                .map_err(|_| ())
                .and_then(|b| read_message(&b).map_err(|_| ()))
            {
                msgs.push(m);
            }
        }
    }
    let policy = IntakePolicy::new(
        "foi@council.test",
        "council.test",
        &["officer1@council.test"],
    );
    let time = |name: &str, f: &dyn Fn(&intake::IncomingMessage)| {
        for m in &msgs {
            f(m);
        }
        let start = Instant::now();
        for _ in 0..rounds {
            for m in &msgs {
                f(m);
            }
        }
        let per = start.elapsed().as_secs_f64() * 1e6 / (rounds * msgs.len()) as f64;
        println!("{name:<20} {per:>8.1} µs per message");
    };
    time("classify", &|m| {
        intake::classify(m, &policy);
    });
    time("request likeness", &|m| {
        request_likeness::judge(&request_likeness::Evidence {
            subject: &m.subject,
            text: &m.new_text,
            from_email: m.from_email.as_deref().unwrap_or(""),
            headers: &m.headers,
            attachment_names: &m.attachment_names,
        });
    });
    time("split questions", &|m| {
        questions::split_questions(&m.new_text);
    });
}
