//! SIGHUP: `foid run` reads its configuration again for the bank holidays,
//! recomputes the open cases' due dates and records why; a configuration
//! that does not load changes nothing and the daemon carries on.

#![allow(clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use foid::core::calendar::{Calendar, WorkingDays};

fn wait_for_log(log: &std::path::Path, text: &str, count: usize) {
    let start = Instant::now();
    while common::read_text(log).matches(text).count() < count {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no {text:?} in the log:\n{}",
            common::read_text(log)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn show(config: &str, reference: &str) -> serde_json::Value {
    let (ok, out, err) = common::run_foid(&["--config", config, "show", reference, "--json"]);
    assert!(ok, "{err}");
    serde_json::from_str(&out).expect("json")
}

#[test]
fn sighup_reloads_the_holidays_and_recomputes_open_cases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    let base = common::local_config_text(&dir.path().join("foid.db"), &maildir);
    let config = dir.path().join("foid.toml");
    std::fs::write(&config, &base).expect("config");
    let c = config.to_str().expect("path");
    std::fs::write(
        maildir.join("new/1.eml"),
        common::request(
            1,
            "reader@public.test",
            "Library visits",
            "How many visits did each library have in 2025?",
        ),
    )
    .expect("mail");
    let log = dir.path().join("foid.log");
    let mut daemon = common::start_daemon(&config, &log);
    wait_for_log(&log, "maildir pass", 1);
    let (ok, out, _) = common::run_foid(&["--config", c, "cases", "--json"]);
    assert!(ok);
    let cases: serde_json::Value = serde_json::from_str(&out).expect("json");
    let reference = cases[0]["reference"]
        .as_str()
        .expect("reference")
        .to_string();
    let due: jiff::civil::Date = cases[0]["due_on"]
        .as_str()
        .expect("due")
        .parse()
        .expect("date");

    // A day proclaimed at short notice, a week into the clock.
    let calendar = Calendar::shipped();
    let received: jiff::civil::Date = cases[0]["received_on"]
        .as_str()
        .expect("received")
        .parse()
        .expect("date");
    let proclaimed = calendar.add_working_days(received, 5, WorkingDays::Uk);
    assert!(proclaimed < due);
    std::fs::write(
        &config,
        format!("{base}[[holidays.add]]\ndate = \"{proclaimed}\"\nregion = \"england-and-wales\"\nname = \"Proclaimed day\"\n"),
    )
    .expect("config");
    common::signal(&daemon, "-HUP");
    wait_for_log(&log, "SIGHUP: bank holidays reloaded", 1);
    let shown = show(c, &reference);
    let moved = calendar.add_working_days(due, 1, WorkingDays::Uk);
    assert_eq!(shown["due_on"], moved.to_string(), "{shown:#}");
    assert!(
        shown["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "due_date_recomputed"),
        "the change is recorded on the case"
    );

    // A configuration that does not load: nothing changes, foid runs on.
    std::fs::write(&config, "[council\nname = ").expect("config");
    common::signal(&daemon, "-HUP");
    wait_for_log(&log, "SIGHUP: not reloaded", 1);
    assert!(daemon.try_wait().expect("wait").is_none(), "still running");
    std::fs::write(&config, &base).expect("config");
    assert_eq!(
        show(c, &reference)["due_on"],
        moved.to_string(),
        "the holidays in force stayed"
    );
    common::stop_daemon(&mut daemon);
}
