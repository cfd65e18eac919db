//! The clock from the command line (`foid deadline`, `foid holidays`) and
//! the recomputation of open cases when the bank holidays change.

mod common;

use std::path::Path;

use common::{request, run_foid};
use foid::config::Config;
use foid::daemon::{self, Context};
use foid::store::Store;

#[test]
fn deadline_prints_the_due_date_first() {
    let (ok, out, err) = run_foid(&["deadline", "--regime", "foi", "--received", "2026-11-27"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().next(), Some("2026-12-30"));

    // A summer timestamp late in the evening UTC is the next day in London.
    let (ok, out, _) = run_foid(&[
        "deadline",
        "--regime",
        "foi",
        "--received",
        "2025-07-10T23:30:00Z",
    ]);
    assert!(ok);
    let friday = run_foid(&["deadline", "--regime", "foi", "--received", "2025-07-11"]).1;
    assert_eq!(out.lines().next(), friday.lines().next());
    let thursday = run_foid(&["deadline", "--regime", "foi", "--received", "2025-07-10"]).1;
    assert_ne!(out.lines().next(), thursday.lines().next());

    // Scotland: Easter Monday is a working day under FOISA.
    let (_, out, _) = run_foid(&["deadline", "--regime", "foisa", "--received", "2025-04-17"]);
    assert_eq!(out.lines().next(), Some("2025-05-19"));
    // SAR in Northern Ireland rolls past St Patrick's Day.
    let (_, out, _) = run_foid(&[
        "deadline",
        "--regime",
        "sar",
        "--received",
        "2026-02-17",
        "--region",
        "northern-ireland",
    ]);
    assert_eq!(out.lines().next(), Some("2026-03-18"));
}

#[test]
fn deadline_explains_and_speaks_json() {
    let (ok, out, _) = run_foid(&[
        "deadline",
        "--regime",
        "foi",
        "--received",
        "2026-11-27",
        "--explain",
    ]);
    assert!(ok);
    assert!(out.contains("St Andrew"), "{out}");
    assert!(out.contains("Christmas Day"), "{out}");
    assert!(out.contains("working day 20"), "{out}");

    let (ok, out, _) = run_foid(&[
        "deadline",
        "--regime",
        "eir-extended",
        "--received",
        "2024-11-29",
        "--json",
    ]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&out).expect("--json prints only JSON");
    assert_eq!(json["due_on"], "2025-01-31");
    assert_eq!(json["regime"], "eir-extended");
}

#[test]
fn the_public_interest_target_follows_the_statutory_date() {
    let (ok, out, _) = run_foid(&["deadline", "--regime", "pit", "--received", "2026-11-27"]);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    // 20 working days for the refusal notice, then the ICO's 40-day target.
    assert_eq!(lines, vec!["2026-12-30", "target 2027-01-29"], "{out}");
}

#[test]
fn deadline_refuses_bad_input_clearly() {
    let (ok, _, err) = run_foid(&["deadline", "--regime", "fio", "--received", "2026-11-27"]);
    assert!(!ok);
    assert!(err.contains("--regime") && err.contains("foi"), "{err}");
    let (ok, _, err) = run_foid(&["deadline", "--regime", "foi", "--received", "27/11/2026"]);
    assert!(!ok);
    assert!(
        err.contains("--received") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
}

#[test]
fn holidays_lists_a_year_and_imports_govuk_json() {
    let (ok, out, _) = run_foid(&["holidays", "--year", "2027", "--region", "scotland"]);
    assert!(ok);
    assert!(
        out.contains("2027-01-04"),
        "2 January 2027 is a Saturday: substitute Monday 4th\n{out}"
    );
    assert!(out.contains("2027-11-30"), "{out}");
    assert!(!out.contains("northern-ireland"), "{out}");
    let (_, out2035, _) = run_foid(&["holidays", "--year", "2035"]);
    assert!(
        out2035.contains("2035-03-23"),
        "Good Friday 2035, derived from the rules:\n{out2035}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("foid.toml");
    std::fs::write(
        &config,
        common::local_config_text(&dir.path().join("h.db"), dir.path()),
    )
    .expect("config");
    let json = dir.path().join("bank-holidays.json");
    std::fs::write(
        &json,
        r#"{"england-and-wales":{"division":"england-and-wales","events":[
            {"title":"New Year’s Day","date":"2027-01-01","notes":"","bunting":true},
            {"title":"Extra proclaimed day","date":"2027-06-14","notes":"","bunting":true}]}}"#,
    )
    .expect("json");
    let c = config.to_str().expect("path");
    let (ok, out, err) = run_foid(&[
        "--config",
        c,
        "holidays",
        "import",
        json.to_str().expect("path"),
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("england-and-wales"), "{out}");
    let (ok, out, _) = run_foid(&[
        "--config",
        c,
        "holidays",
        "--year",
        "2027",
        "--region",
        "england-and-wales",
    ]);
    assert!(ok);
    assert!(
        out.contains("2027-06-14") && out.contains("Extra proclaimed day"),
        "{out}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"england-and-wales\": 3}").expect("write");
    let (ok, _, err) = run_foid(&[
        "--config",
        c,
        "holidays",
        "import",
        bad.to_str().expect("path"),
    ]);
    assert!(!ok);
    assert!(err.contains("bad.json"), "{err}");
}

/// A bank holiday added in the configuration moves the due date of open
/// cases at the next start, and the case records the old and new dates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_cases_are_recomputed_when_holidays_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = common::local_config_text(&dir.path().join("r.db"), dir.path());
    let config = Config::parse(&base, Path::new("t.toml")).expect("config");
    let store = Store::open(&config.database.url).await.expect("store");
    store.migrate().await.expect("migrate");
    let eml = dir.path().join("r.eml");
    // Date of receipt Friday 27 November 2026: due Wednesday 30 December.
    std::fs::write(
        &eml,
        request(1, "alice@public.test", "Bins", "How many bins?"),
    )
    .expect("write");
    daemon::import::run(
        &config,
        &store,
        &foid::cli::ImportArgs {
            paths: vec![eml],
            send: false,
            history: false,
            older_than: None,
        },
    )
    .await
    .expect("import");
    let ctx = Context::new(config, store.clone()).await.expect("context");
    assert_eq!(
        daemon::recompute_open_cases(&ctx)
            .await
            .expect("first start"),
        0
    );
    let case = store.cases(true).await.expect("cases").remove(0);
    assert_eq!(case.due_on.as_deref(), Some("2026-12-30"));

    // A day proclaimed at short notice inside the period.
    let changed = format!("{base}[[holidays.add]]\ndate = \"2026-12-10\"\nregion = \"scotland\"\nname = \"Proclaimed day\"\n");
    let config = Config::parse(&changed, Path::new("t.toml")).expect("config");
    let ctx = Context::new(config, store.clone()).await.expect("context");
    assert_eq!(
        daemon::recompute_open_cases(&ctx).await.expect("recompute"),
        1
    );
    let case = store.cases(true).await.expect("cases").remove(0);
    assert_eq!(case.due_on.as_deref(), Some("2026-12-31"));
    let events = store.case_events(case.id).await.expect("events");
    let event = events
        .iter()
        .find(|e| e.kind == "due_date_recomputed")
        .expect("recorded");
    assert_eq!(event.detail["old_due_on"], "2026-12-30");
    assert_eq!(event.detail["new_due_on"], "2026-12-31");
    // Nothing changes on the next start.
    assert_eq!(daemon::recompute_open_cases(&ctx).await.expect("again"), 0);
}

/// `foid stats` counts overdue from each open case's live clock, the same
/// definition `foid show` uses: a case whose clock stopped for a
/// clarification is not overdue, whatever its stored due date says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_and_show_agree_on_what_is_overdue() {
    use foid::core::case::{Actor, CaseEvent};
    use foid::core::clock::ClockEvent;
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = common::local_context(dir.path()).await;
    let old = |n: usize, subject: &str| {
        String::from_utf8(request(
            n,
            &format!("r{n}@public.test"),
            subject,
            "How many bins?",
        ))
        .expect("utf8")
        .replace(
            "Fri, 27 Nov 2026 10:00:00 +0000",
            "Tue, 1 Sep 2026 10:00:00 +0100",
        )
        .replace("\r\n", "\n")
    };
    common::import_text(&ctx, dir.path(), "1.eml", &old(1, "Overdue")).await;
    common::import_text(
        &ctx,
        dir.path(),
        "2.eml",
        &old(2, "Waiting for clarification"),
    )
    .await;
    let cases = ctx.store.cases(true).await.expect("cases");
    assert_eq!(cases.len(), 2);
    // Both stored due dates (29 September 2026) have passed.
    assert!(cases
        .iter()
        .all(|c| c.due_on.as_deref() == Some("2026-09-29")));
    let waiting = cases
        .iter()
        .find(|c| c.subject == "Waiting for clarification")
        .expect("case");
    ctx.store
        .record_event(
            waiting.id,
            jiff::Timestamp::now(),
            &Actor::Foid,
            &CaseEvent::Clock(ClockEvent::ClarificationSought {
                date: jiff::civil::date(2026, 9, 3),
            }),
        )
        .await
        .expect("event");

    let config = common::local_config_file(dir.path());
    let c = config.to_str().expect("path");
    let (ok, out, err) = run_foid(&["--config", c, "stats", "--json"]);
    assert!(ok, "{err}");
    let stats: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(stats["totals"]["open"], 2, "{stats}");
    assert_eq!(stats["totals"]["overdue"], 1, "{stats}");
    for (reference, overdue) in cases
        .iter()
        .map(|c| (c.reference.clone(), c.subject == "Overdue"))
    {
        let (ok, out, err) = run_foid(&["--config", c, "show", &reference, "--json"]);
        assert!(ok, "{err}");
        let shown: serde_json::Value = serde_json::from_str(&out).expect("json");
        let left = shown["clock"]["working_days_left"].as_i64();
        assert_eq!(left.is_some_and(|n| n < 0), overdue, "{reference}: {shown}");
    }
}
