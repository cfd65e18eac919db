//! Inputs kept from fuzzing the parse path (fuzz/, target `parse`): every
//! file in tests/fixtures/fuzz goes through the same entry points as the
//! fuzz target and must come back, without a panic, within the time limit.
//! A file is added here for each thing the fuzzer finds, and a few of the
//! inputs that reach the most code are kept so the test means something
//! while it has found nothing.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use foid::core::intake::IntakePolicy;
use foid::core::{message_text, questions};
use foid::mail::message::{parse_request, MessageError};
use foid::mail::raw;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fuzz");

/// Per input, in an unoptimised test build on a busy machine; each takes a
/// few milliseconds, a pathological one would take far longer.
const LIMIT: Duration = Duration::from_secs(2);

fn inputs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(DIR)
        .expect("tests/fixtures/fuzz")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    files
}

/// What the fuzz target does with one input. `read_message` turns a panic
/// inside it into `ParserFailed` (so a message is quarantined rather than
/// the daemon going down); here that counts as the panic it is.
fn run_all(data: &[u8]) -> Result<(), String> {
    let policy = IntakePolicy::new(
        "foi@council.test",
        "council.test",
        &["officer1@council.test"],
    );
    if let Err(MessageError::ParserFailed) = parse_request(data, &policy, None) {
        return Err("parse_request caught a panic (ParserFailed)".into());
    }
    let sha = raw::sha256_hex(data);
    let id = raw::stored_message_id(data, &sha);
    if id.is_empty() {
        return Err("stored_message_id was empty".into());
    }
    let text = String::from_utf8_lossy(data);
    let _ = questions::split_questions(&text);
    let _ = message_text::extract(&text);
    Ok(())
}

/// Runs one input on its own thread so a hang fails the test instead of
/// stalling it, and a panic names the file.
fn check(path: &Path) -> Result<Duration, String> {
    let data = std::fs::read(path).map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let start = Instant::now();
        let outcome =
            std::panic::catch_unwind(|| run_all(&data)).unwrap_or_else(|_| Err("panicked".into()));
        let _ = tx.send(outcome.map(|()| start.elapsed()));
    });
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(took)) if took <= LIMIT => Ok(took),
        Ok(Ok(took)) => Err(format!("took {took:?} (limit {LIMIT:?})")),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("did not return within {LIMIT:?}")),
    }
}

#[test]
fn fuzz_inputs_parse_without_panic_in_time() {
    let files = inputs();
    assert!(!files.is_empty(), "no inputs in {DIR}");
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        match check(path) {
            Ok(took) => eprintln!("{name}: ok in {took:?}"),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz regressions:\n{}",
        failures.join("\n")
    );
}
