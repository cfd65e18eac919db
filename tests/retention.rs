//! `foid purge`: the personal data of cases closed before a date is gone —
//! from the database file itself — while the statistics read the same, a
//! requester with a later case keeps their identity, and a second purge
//! finds nothing.

#![allow(clippy::expect_used)]

mod common;

use foid::core::case::{Closure, Outcome, QuestionOutcome};
use jiff::civil::date;

fn request(n: usize, from: &str, date: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: foi@council.test\nSubject: Request {n} about bus shelters\nMessage-ID: <retention-{n}@public.test>\nDate: {date}\n\nDear Council,\n\n{body}\n\nYours faithfully\n"
    )
}

/// `foid stats --json` without the outbox counts (a purge fails the mail
/// of purged cases that never went).
fn stats(config: &str) -> serde_json::Value {
    let (ok, out, err) = common::run_foid(&["--config", config, "stats", "--json"]);
    assert!(ok, "{err}");
    let mut v: serde_json::Value = serde_json::from_str(&out).expect("json");
    v.as_object_mut().expect("object").remove("outbox");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_erases_personal_data_and_keeps_the_statistics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = common::local_context(dir.path()).await;
    const ONE: &str = "Quentin Zebedee-Hartswood <quentin.hartswood@public.test>";
    const OTHER: &str = "Persephone Vandermolen <pvandermolen@public.test>";
    let now = jiff::Timestamp::now()
        .strftime("%a, %d %b %Y %H:%M:%S +0000")
        .to_string();
    let mails = [
        (ONE, "Tue, 3 Jun 2025 10:00:00 +0100", "1. How many bus shelters were repaired in 2024? I live at 14 Quillfeather Lane and mine was not."),
        (OTHER, "Wed, 4 Jun 2025 10:00:00 +0100", "1. How much did the council spend on bus shelter cleaning in 2024?"),
        (OTHER, now.as_str(), "1. How many bus shelters have real-time displays?"),
    ];
    for (n, (from, when, body)) in mails.iter().enumerate() {
        common::import_text(
            &ctx,
            dir.path(),
            &format!("{n}.eml"),
            &request(n, from, when, body),
        )
        .await;
    }
    // Mail on no case, from last year: held for an officer.
    common::import_text(
        &ctx,
        dir.path(),
        "held.eml",
        "From: Ottoline Brackenbury <ottoline@public.test>\nTo: foi@council.test\nSubject: Bins\nMessage-ID: <retention-held@public.test>\nDate: Thu, 5 Jun 2025 10:00:00 +0100\n\nHello,\n\nThe bins in Marchbank Close have not been emptied.\n\nOttoline\n",
    )
    .await;
    assert_eq!(ctx.store.held().await.expect("held").len(), 1);
    let cases = ctx.store.cases(false).await.expect("cases");
    assert_eq!(cases.len(), 3);
    let answered = |text: &str| QuestionOutcome {
        number: 1,
        outcome: Outcome::Answered,
        answer: Some(text.into()),
    };
    common::close_case(
        &ctx,
        cases[0].id,
        date(2025, 6, 20),
        Closure::Answered,
        &[answered("Ms Zebedee-Hartswood, 212 were repaired.")],
    )
    .await;
    common::close_case(
        &ctx,
        cases[1].id,
        date(2025, 7, 10),
        Closure::Answered,
        &[QuestionOutcome {
            number: 1,
            outcome: Outcome::NotHeld,
            answer: None,
        }],
    )
    .await;

    let config = common::local_config_file(dir.path());
    let c = config.to_str().expect("path");
    let before = stats(c);

    let (ok, out, err) = common::run_foid(&[
        "--config",
        c,
        "purge",
        "--closed-before",
        "2026-01-01",
        "--dry-run",
    ]);
    assert!(ok && out.contains("2 case(s)"), "{out}{err}");
    let (ok, out, err) = common::run_foid(&[
        "--config",
        c,
        "purge",
        "--closed-before",
        "2026-01-01",
        "--json",
    ]);
    assert!(ok, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(summary["cases"], 2, "{summary}");
    assert_eq!(
        summary["requesters"], 1,
        "the other requester has a later case: {summary}"
    );
    assert_eq!(summary["messages"], 2, "{summary}");
    assert_eq!(summary["unlinked_messages"], 1, "{summary}");

    // The statistics do not change.
    assert_eq!(stats(c), before);

    // The purged case keeps its reference, dates, regime and outcome.
    let (ok, out, err) = common::run_foid(&["--config", c, "show", &cases[0].reference, "--json"]);
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(shown["received_on"], "2025-06-03");
    assert_eq!(shown["closed_on"], "2025-06-20");
    assert_eq!(shown["questions"][0]["outcome"], "answered", "{shown:#}");
    assert_eq!(shown["requester"]["email"], "", "{shown:#}");
    assert!(shown["requester"]["name"].is_null(), "{shown:#}");
    let events = shown["events"].as_array().expect("events");
    assert!(
        events.iter().any(|e| e["kind"] == "clock"),
        "the clock stays"
    );
    assert!(
        events.iter().any(|e| e["kind"] == "purged"),
        "the purge is on record"
    );
    // The other requester still has their open case, and their identity.
    let (ok, out, _) = common::run_foid(&["--config", c, "show", &cases[2].reference, "--json"]);
    assert!(ok);
    assert!(out.contains("pvandermolen@public.test"), "{out}");

    // Nothing of the purged cases is left in the database file (free pages
    // and the write-ahead log included).
    let mut bytes = std::fs::read(dir.path().join("local.db")).expect("db");
    bytes.extend(std::fs::read(dir.path().join("local.db-wal")).unwrap_or_default());
    let file = String::from_utf8_lossy(&bytes).to_lowercase();
    for gone in ["quentin", "hartswood", "quillfeather", "212 were repaired"] {
        assert!(
            !file.contains(gone),
            "{gone:?} is still in the database file"
        );
    }
    // The held message from before the date is erased too. (The notice the
    // team got about it was made by this import, today, and waits for its
    // own retention period.)
    let held = ctx.store.held().await.expect("held");
    let raw = ctx
        .store
        .raw_message(held[0].id)
        .await
        .expect("raw")
        .expect("row");
    assert!(raw.bytes.is_empty());
    assert!(
        file.contains("pvandermolen"),
        "the later case's requester is kept"
    );

    // Again: nothing more to purge.
    let (ok, out, _) = common::run_foid(&[
        "--config",
        c,
        "purge",
        "--closed-before",
        "2026-01-01",
        "--json",
    ]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).expect("json")["cases"],
        0
    );
    let (ok, _, err) = common::run_foid(&["--config", c, "purge", "--closed-before", "2999-01-01"]);
    assert!(!ok && err.contains("future"), "{err}");
}
