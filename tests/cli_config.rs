//! `foid check-config`: bad configuration is named key by key, and
//! `--connect` reports each server against the real test bed.

mod common;

use common::{check_config_connect, run_foid, TestBed};

const GOOD: &str = r#"
[council]
name = "Test Council"
address = "foi@council.test"
domain = "council.test"

[imap]
host = "imap.council.test"
username = "foi@council.test"
password = "x"

[officers]
team = ["officer1@council.test"]
"#;

fn check(text: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("foid.toml");
    std::fs::write(&path, text).expect("write config");
    run_foid(&[
        "--config",
        path.to_str().expect("utf8 path"),
        "check-config",
    ])
}

#[test]
fn good_config_passes() {
    let (ok, out, err) = check(GOOD);
    assert!(ok, "{out}{err}");
    assert!(out.contains("configuration OK"));
}

#[test]
fn bad_configs_name_the_key_and_the_problem() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "plaintext to a remote host",
            "host = \"imap.council.test\"\ntls = \"none\"",
            &["[imap] tls", "loopback"],
        ),
        (
            "unknown region",
            "domain = \"council.test\"\nregion = \"wales\"",
            &["[council] region", "england-and-wales"],
        ),
        (
            "unknown time zone",
            "domain = \"council.test\"\ntimezone = \"Europe/Londn\"",
            &["[council] timezone", "Europe/Londn"],
        ),
        (
            "misspelt key",
            "password = \"x\"\npasswrd_file = \"/etc/foid/pw\"",
            &["passwrd_file"],
        ),
        (
            "wrong type",
            "host = \"imap.council.test\"\nport = \"nine-nine-three\"",
            &["port"],
        ),
        (
            "two password sources",
            "password = \"x\"\npassword_file = \"/nonexistent/foid-password\"",
            &["[imap] password", "only one of", "[imap] password_file"],
        ),
        (
            "officer not an address",
            "team = [\"officer1@council.test\"]\napprovers = [\"Jane Smith\"]",
            &["[officers] approvers[0]", "not an email address"],
        ),
        (
            "reference format without {seq}",
            "address = \"foi@council.test\"\nreference_format = \"FOI-{year}\"",
            &["[council] reference_format", "{seq}"],
        ),
    ];
    for (name, replacement, expected) in cases {
        let first_line = replacement.lines().next().expect("line");
        let text = GOOD.replacen(first_line, replacement, 1);
        assert_ne!(text, GOOD, "{name}: replacement did not apply");
        let (ok, out, err) = check(&text);
        assert!(!ok, "{name}: accepted\n{out}");
        for needle in *expected {
            assert!(err.contains(needle), "{name}: {needle:?} not in:\n{err}");
        }
    }
}

#[test]
fn missing_file_says_what_to_do() {
    let (ok, _, err) = run_foid(&["--config", "/nonexistent/foid.toml", "check-config"]);
    assert!(!ok);
    assert!(err.contains("/nonexistent/foid.toml"), "{err}");
}

#[test]
fn check_config_connect_against_the_test_bed() {
    let bed = TestBed::start();
    let db = bed.sqlite_url("check.db");
    let good = bed.write_config("good.toml", &db, "");
    let (ok, out, err) = check_config_connect(&good, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("database: OK"), "{out}");
    assert!(out.contains("imap: OK"), "{out}");
    assert!(out.contains("IDLE yes"), "{out}");
    assert!(out.contains("smtp: OK"), "{out}");

    // A wrong password fails with a clear message for both servers.
    let text = bed.config_text(&db, "").replace(
        &format!("password = \"{}\"", bed.password()),
        "password = \"wrong-password\"",
    );
    let wrong = bed.dir.path().join("wrong.toml");
    std::fs::write(&wrong, text).expect("write");
    let (ok, out, _) = check_config_connect(&wrong, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("imap: FAILED"), "{out}");
    assert!(out.contains("login as foi@council.test failed"), "{out}");
    assert!(out.contains("smtp: FAILED"), "{out}");

    // An unreachable host: a closed port on loopback.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let text = bed.config_text(&db, "").replacen(
        &format!("port = {}", bed.port("FOID_TB_IMAPS_PORT")),
        &format!("port = {port}"),
        1,
    );
    let unreachable = bed.dir.path().join("unreachable.toml");
    std::fs::write(&unreachable, text).expect("write");
    let (ok, out, _) = check_config_connect(&unreachable, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("imap: FAILED"), "{out}");
    assert!(
        out.contains(&format!("cannot connect to IMAP server localhost:{port}")),
        "{out}"
    );
    assert!(out.contains("smtp: OK"), "{out}");
}
