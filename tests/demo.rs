//! `foid demo`, the README's first command: runs on a machine with no mail
//! server and prints a table that matches the seeded mail.

mod common;

use common::run_foid;

#[test]
fn demo_prints_the_seeded_cases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workspace = dir.path().join("demo");
    let (ok, out, err) = run_foid(&["demo", "--dir", workspace.to_str().expect("path")]);
    assert!(ok, "{out}\n{err}");
    assert!(err.trim().is_empty(), "a clean run logs nothing: {err}");

    // (reference prefix, kind, requester, questions, received, due)
    let expected = [
        (
            "FOI-",
            "foi",
            "Sarah Jenkins",
            4,
            "2026-11-23",
            "2026-12-22",
        ),
        (
            "FOI-",
            "foi",
            "Research Team",
            3,
            "2026-11-23",
            "2026-12-22",
        ),
        ("FOI-", "foi", "Tom Reed", 3, "2026-11-24", "2026-12-23"),
        ("EIR-", "eir", "Priya Shah", 2, "2026-11-24", "2026-12-23"),
        (
            "SAR-",
            "sar",
            "Michael O'Brien",
            1,
            "2026-11-25",
            "2026-12-29",
        ),
        ("IR-", "review", "Dan Fowler", 1, "2026-11-25", "2026-12-24"),
        (
            "FOI-",
            "foi",
            "Hughes, Karen",
            2,
            "2026-11-26",
            "2026-12-29",
        ),
        ("FOI-", "foi", "Linda Marsh", 2, "2026-11-26", "2026-12-29"),
        // Delivered 23:30 UTC on a Friday in winter: a Friday receipt.
        ("FOI-", "foi", "Alex Green", 2, "2026-11-27", "2026-12-30"),
    ];
    let rows: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("REFERENCE"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), expected.len(), "{out}");
    for (row, (prefix, kind, who, questions, received, due)) in rows.iter().zip(expected) {
        assert!(row.starts_with(prefix), "{row}");
        assert!(row.contains(&format!(" {kind} ")), "{row}");
        assert!(row.contains(who), "{row}");
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(cols[n - 3], questions.to_string(), "{row}");
        assert_eq!(cols[n - 2], received, "{row}");
        assert_eq!(cols[n - 1], due, "{row}");
    }
    for robot in ["auto_reply", "bounce", "bulk"] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(robot)),
            "{robot} listed as making no case:\n{out}"
        );
    }
    assert!(
        out.contains("18 email(s)"),
        "9 acknowledgements and 9 case emails queued:\n{out}"
    );
    assert!(workspace.join("foid.db").is_file());
    assert!(workspace.join("foid.toml").is_file());

    // The workspace's configuration works with the other commands.
    let config = workspace.join("foid.toml");
    let (ok, cases, _) = run_foid(&[
        "--config",
        config.to_str().expect("path"),
        "cases",
        "--json",
    ]);
    assert!(ok);
    let cases: serde_json::Value = serde_json::from_str(&cases).expect("json");
    assert_eq!(cases.as_array().map(Vec::len), Some(9));
    let first = &cases[0];
    for key in [
        "reference",
        "regime",
        "state",
        "requester",
        "received_on",
        "due_on",
        "flags",
        "questions",
    ] {
        assert!(
            first.get(key).is_some(),
            "cases --json lacks {key}: {first}"
        );
    }
    let reference = first["reference"].as_str().expect("reference");
    let (ok, shown, _) = run_foid(&[
        "--config",
        config.to_str().expect("path"),
        "show",
        reference,
        "--json",
    ]);
    assert!(ok);
    let shown: serde_json::Value = serde_json::from_str(&shown).expect("json");
    assert_eq!(
        shown["clock"]["due_on"], first["due_on"],
        "the stored due date is the clock's"
    );
    assert!(shown["events"].as_array().is_some_and(|e| !e.is_empty()));

    // Running the demo again in the same workspace adds nothing.
    let (ok, again, _) = run_foid(&["demo", "--dir", workspace.to_str().expect("path")]);
    assert!(ok);
    let rows_again = again
        .lines()
        .filter(|l| {
            ["FOI-", "EIR-", "SAR-", "IR-"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .count();
    assert_eq!(rows_again, 9, "{again}");
}

/// `--log-format json`: every log line is one JSON object a log collector
/// can read, with its level and message.
#[test]
fn logs_can_be_json_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workspace = dir.path().join("demo");
    let (ok, _, err) = run_foid(&[
        "--log-format",
        "json",
        "--log",
        "info",
        "demo",
        "--dir",
        workspace.to_str().expect("path"),
    ]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 3, "the demo logs what it processes: {err}");
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string() && v["message"].is_string(), "{line}");
    }
}
