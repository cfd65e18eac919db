//! `foid demo`, the README's first command: runs on a machine with no mail
//! server, plays an officer's draft and an approval by email, and prints a
//! table that matches the seeded mail and the files it wrote.

mod common;

use common::run_foid;

/// A table row cut at the header's column starts: column name → text.
fn columns(header: &str, row: &str) -> Vec<(String, String)> {
    let names = [
        "REFERENCE",
        "KIND",
        "REQUESTER",
        "QUESTIONS",
        "RECEIVED",
        "DUE",
        "STATE",
        "FLAGS",
        "OUTCOMES",
    ];
    let starts: Vec<usize> = names
        .iter()
        .map(|n| {
            header
                .find(n)
                .unwrap_or_else(|| panic!("no {n} in {header}"))
        })
        .collect();
    let chars: Vec<char> = row.chars().collect();
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let from = starts[i].min(chars.len());
            let to = starts
                .get(i + 1)
                .copied()
                .unwrap_or(chars.len())
                .min(chars.len());
            let text: String = chars[from..to].iter().collect();
            (name.to_string(), text.trim().to_string())
        })
        .collect()
}

fn cell<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    row.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

#[test]
fn demo_prints_the_seeded_cases_and_writes_what_it_sends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workspace = dir.path().join("demo");
    let (ok, out, err) = run_foid(&["demo", "--dir", workspace.to_str().expect("path")]);
    assert!(ok, "{out}\n{err}");
    assert!(err.trim().is_empty(), "a clean run logs nothing: {err}");

    // (reference prefix, kind, requester, questions, received, due, state, flags)
    let expected = [
        (
            "FOI-",
            "foi",
            "Sarah Jenkins",
            "4",
            "2026-11-23",
            "2026-12-22",
            "answered",
            "-",
        ),
        (
            "FOI-",
            "foi",
            "Research Team",
            "3",
            "2026-11-23",
            "2026-12-22",
            "open",
            "-",
        ),
        (
            "FOI-",
            "foi",
            "Tom Reed",
            "3",
            "2026-11-24",
            "2026-12-23",
            "open",
            "-",
        ),
        (
            "EIR-",
            "eir",
            "Priya Shah",
            "2",
            "2026-11-24",
            "2026-12-23",
            "open",
            "-",
        ),
        (
            "SAR-",
            "sar",
            "Michael O'Brien",
            "1",
            "2026-11-25",
            "2026-12-29",
            "open",
            "-",
        ),
        (
            "IR-",
            "review",
            "Dan Fowler",
            "1",
            "2026-11-25",
            "2026-12-24",
            "open",
            "-",
        ),
        (
            "FOI-",
            "foi",
            "Hughes, Karen",
            "2",
            "2026-11-26",
            "2026-12-29",
            "open",
            "-",
        ),
        (
            "FOI-",
            "foi",
            "Linda Marsh",
            "2",
            "2026-11-26",
            "2026-12-29",
            "open",
            "-",
        ),
        // Delivered 23:30 UTC on a Friday in winter: a Friday receipt.
        (
            "FOI-",
            "foi",
            "Alex Green",
            "2",
            "2026-11-27",
            "2026-12-30",
            "open",
            "-",
        ),
        // The same WhatDoTheyKnow user, a new address, the same questions
        // reworded, while the first is still open.
        (
            "FOI-",
            "foi",
            "Sarah Jenkins",
            "4",
            "2026-12-01",
            "2026-12-31",
            "open",
            "duplicate",
        ),
    ];
    let header = out
        .lines()
        .find(|l| l.starts_with("REFERENCE"))
        .expect("a table");
    let rows: Vec<Vec<(String, String)>> = out
        .lines()
        .skip_while(|l| !l.starts_with("REFERENCE"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| columns(header, l))
        .collect();
    assert_eq!(rows.len(), expected.len(), "{out}");
    for (row, (prefix, kind, who, questions, received, due, state, flags)) in
        rows.iter().zip(expected)
    {
        assert!(cell(row, "REFERENCE").starts_with(prefix), "{row:?}");
        assert_eq!(cell(row, "KIND"), kind, "{row:?}");
        assert_eq!(cell(row, "REQUESTER"), who, "{row:?}");
        assert_eq!(cell(row, "QUESTIONS"), questions, "{row:?}");
        assert_eq!(cell(row, "RECEIVED"), received, "{row:?}");
        assert_eq!(cell(row, "DUE"), due, "{row:?}");
        assert_eq!(cell(row, "STATE"), state, "{row:?}");
        assert_eq!(cell(row, "FLAGS"), flags, "{row:?}");
    }
    assert_eq!(
        cell(&rows[0], "OUTCOMES"),
        "2 answered, 1 not held, 1 exempt s43(2)",
        "the officer's answers, one outcome per question"
    );
    for robot in ["auto_reply", "bounce", "bulk"] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(robot)),
            "{robot} listed as making no case:\n{out}"
        );
    }

    // The table matches the files: every case's acknowledgement and case
    // email, the preview, the answers to the officers and the reply.
    let outbox = workspace.join("outbox");
    let files: Vec<String> = std::fs::read_dir(&outbox)
        .expect("outbox directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        out.contains(&format!("{} email(s) written", files.len())),
        "{out}"
    );
    for row in &rows {
        let reference = cell(row, "REFERENCE");
        for purpose in ["acknowledgement", "case_email"] {
            assert_eq!(
                files
                    .iter()
                    .filter(|f| f.ends_with(&format!("-{purpose}-{reference}.eml")))
                    .count(),
                1,
                "{purpose} of {reference}: {files:?}"
            );
        }
    }
    let answered = cell(&rows[0], "REFERENCE");
    let reply = files
        .iter()
        .find(|f| f.ends_with(&format!("-reply-{answered}.eml")))
        .expect("the reply was written");
    let reply = std::fs::read(outbox.join(reply)).expect("reply");
    let reply = mail_parser::MessageParser::default()
        .parse(&reply[..])
        .expect("a message");
    assert!(reply
        .to()
        .and_then(|t| t.first())
        .and_then(|a| a.address())
        .is_some_and(|a| a.contains("whatdotheyknow.com")));
    let text = reply.body_text(0).expect("text");
    for want in [
        "1,284 potholes",
        "does not hold this information",
        "section 43(2)",
        "212 claims",
        "internal review",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert_eq!(
        files.iter().filter(|f| f.contains("-preview-")).count(),
        1,
        "{files:?}"
    );
    assert!(workspace.join("foid.db").is_file());
    assert!(workspace.join("foid.toml").is_file());

    // The workspace's configuration works with the other commands.
    let config = workspace.join("foid.toml");
    let (ok, cases, _) = run_foid(&[
        "--config",
        config.to_str().expect("path"),
        "cases",
        "--all",
        "--json",
    ]);
    assert!(ok);
    let cases: serde_json::Value = serde_json::from_str(&cases).expect("json");
    assert_eq!(cases.as_array().map(Vec::len), Some(10));
    let open = &cases[1];
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
        assert!(open.get(key).is_some(), "cases --json lacks {key}: {open}");
    }
    let reference = open["reference"].as_str().expect("reference");
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
        shown["clock"]["due_on"], open["due_on"],
        "the stored due date is the clock's"
    );
    assert!(shown["events"].as_array().is_some_and(|e| !e.is_empty()));
    assert_eq!(cases[9]["flags"][0]["kind"], "duplicate");
    assert_eq!(cases[9]["flags"][0]["related"][0], cases[0]["reference"]);

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
    assert_eq!(rows_again, 10, "{again}");
    assert!(
        again.contains(&format!("{} email(s) written", files.len())),
        "{again}"
    );
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
