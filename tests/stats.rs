//! `foid stats` on a seeded database, against figures worked out by hand:
//! received and answered per month and regime, timeliness, working days to
//! answer, outcomes per request and per question, and a period filter.

#![allow(clippy::expect_used)]

mod common;

use foid::core::case::{Closure, Outcome, QuestionOutcome};
use foid::core::clock::Regime;
use jiff::civil::date;

fn request(n: usize, received: &str, question: &str) -> String {
    format!(
        "From: Requester {n} <stats{n}@public.test>\nTo: foi@council.test\nSubject: Information request {n}\nMessage-ID: <stats-{n}@public.test>\nDate: {received}\n\nDear Sir or Madam,\n\nUnder the Freedom of Information Act, {question}\n\nYours faithfully,\nRequester {n}\n"
    )
}

fn outcomes(list: &[Outcome]) -> Vec<QuestionOutcome> {
    list.iter()
        .enumerate()
        .map(|(i, o)| QuestionOutcome {
            number: i as u32 + 1,
            outcome: o.clone(),
            answer: None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_match_figures_worked_out_by_hand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = common::local_context(dir.path()).await;
    let seeds = [
        (
            "Mon, 5 Jan 2026 10:00:00 +0000",
            "please tell me:\n\n1. How many parking fines were issued in 2025?\n2. How many of those fines were cancelled on appeal?",
        ),
        (
            "Mon, 5 Jan 2026 11:00:00 +0000",
            "please tell me:\n\n1. What did the council spend on agency staff in 2025?\n2. Which agencies supplied those staff?",
        ),
        (
            "Mon, 2 Feb 2026 10:00:00 +0000",
            "please tell me how many air quality monitors the council runs.",
        ),
        (
            "Mon, 2 Feb 2026 12:00:00 +0000",
            "please tell me how many library branches closed since 2020.",
        ),
        (
            "Mon, 9 Feb 2026 10:00:00 +0000",
            "please tell me the number of school crossing patrols employed.",
        ),
    ];
    for (n, (received, question)) in seeds.iter().enumerate() {
        common::import_text(
            &ctx,
            dir.path(),
            &format!("{n}.eml"),
            &request(n, received, question),
        )
        .await;
    }
    let cases = ctx.store.cases(false).await.expect("cases");
    assert_eq!(cases.len(), 5, "{cases:#?}");
    let exempt = Outcome::Exempt {
        section: "s43(2)".into(),
    };
    // Day 9, on time; day 22, late; (EIR) day 20, on time.
    common::close_case(
        &ctx,
        cases[0].id,
        date(2026, 1, 16),
        Closure::Answered,
        &outcomes(&[Outcome::Answered, Outcome::NotHeld]),
    )
    .await;
    common::close_case(
        &ctx,
        cases[1].id,
        date(2026, 2, 4),
        Closure::Answered,
        &outcomes(&[Outcome::Answered, exempt]),
    )
    .await;
    let mut tx = ctx.store.begin().await.expect("tx");
    foid::store::set_case_regime(&mut tx, cases[2].id, Regime::Eir)
        .await
        .expect("regime");
    tx.commit().await.expect("commit");
    common::close_case(
        &ctx,
        cases[2].id,
        date(2026, 3, 2),
        Closure::Answered,
        &outcomes(&[Outcome::Cost]),
    )
    .await;
    // cases[3] stays open, long overdue; cases[4] is withdrawn.
    common::close_case(
        &ctx,
        cases[4].id,
        date(2026, 2, 10),
        Closure::ClosedByOfficer,
        &[],
    )
    .await;

    let config = common::local_config_file(dir.path());
    let c = config.to_str().expect("path");
    let (ok, out, err) = common::run_foid(&["--config", c, "stats", "--json"]);
    assert!(ok, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).expect("json");
    let t = &s["totals"];
    assert_eq!(
        [
            &t["received"],
            &t["open"],
            &t["overdue"],
            &t["answered"],
            &t["answered_on_time"],
            &t["closed_without_reply"]
        ],
        [5, 1, 1, 3, 2, 1],
        "{s:#}"
    );
    assert!((t["timeliness_percent"].as_f64().expect("percent") - 66.67).abs() < 0.01);
    assert_eq!(
        (&t["median_working_days"], &t["p90_working_days"]),
        (&20.into(), &22.into())
    );
    assert_eq!(s["by_regime"]["eir"]["answered"], 1);
    assert_eq!(s["by_regime"]["foi"]["received"], 4);
    let month = |m: &str, r: &str| {
        s["by_month"]
            .as_array()
            .expect("months")
            .iter()
            .find(|row| row["month"] == m && row["regime"] == r)
            .cloned()
            .unwrap_or_else(|| panic!("no {m} {r} in {s:#}"))
    };
    let jan = month("2026-01", "foi");
    assert_eq!(
        [&jan["received"], &jan["answered"], &jan["answered_on_time"]],
        [2, 2, 1]
    );
    let feb = month("2026-02", "foi");
    assert_eq!(
        [
            &feb["received"],
            &feb["open"],
            &feb["overdue"],
            &feb["closed_without_reply"]
        ],
        [2, 1, 1, 1]
    );
    assert_eq!(month("2026-02", "eir")["median_working_days"], 20);
    assert_eq!(s["request_outcomes"]["granted in full"], 1);
    assert_eq!(s["request_outcomes"]["partially withheld"], 1);
    assert_eq!(s["request_outcomes"]["refused s.12"], 1);
    assert_eq!(s["question_outcomes"]["answered"], 2);
    assert_eq!(s["question_outcomes"]["not held"], 1);
    assert_eq!(s["sections"]["s43(2)"], 1);

    // February's requests only.
    let (ok, out, err) = common::run_foid(&[
        "--config",
        c,
        "stats",
        "--json",
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-28",
    ]);
    assert!(ok, "{err}");
    let feb: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        [&feb["totals"]["received"], &feb["totals"]["answered"]],
        [3, 1],
        "{feb:#}"
    );

    // The spreadsheet form: a header and one row per month and regime.
    let (ok, out, err) = common::run_foid(&["--config", c, "stats", "--csv"]);
    assert!(ok, "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 4, "{out}");
    assert!(rows[0].starts_with("month,regime,received,"), "{out}");
    assert!(
        rows.contains(&"2026-01,foi,2,0,0,2,1,50.0,0,0,9,22"),
        "{out}"
    );

    let (ok, _, err) = common::run_foid(&["--config", c, "stats", "--from", "1 Feb"]);
    assert!(
        !ok && err.contains("--from") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
}
