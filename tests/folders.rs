//! Folders on every IMAP server a council runs: the personal namespace
//! (Courier's and Cyrus's `INBOX.` layout, no MOVE), and a folder that
//! cannot be made, which must never stop requests becoming cases.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// The FOI mailbox's Maildir root, made before Dovecot first writes it.
fn maildir_root(bed: &TestBed) -> std::path::PathBuf {
    let root = Path::new(&bed.var("FOID_TB_MAILDIR_ROOT")).join("council.test/foi");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).expect("maildir");
    }
    root
}

fn chown_mail(path: &Path) {
    let status = Command::new("chown")
        .args(["-R", "mail:mail"])
        .arg(path)
        .status()
        .expect("chown");
    assert!(status.success());
}

#[test]
fn courier_layout_takes_the_example_folder_names() {
    let bed = TestBed::start_with(&[("FOID_TB_LAYOUT", "courier")]);
    let db = bed.sqlite_url("courier.db");
    let config = bed.dir.path().join("courier.toml");
    // The example configuration's folder names, and a small message limit
    // so that one message is quarantined.
    std::fs::write(
        &config,
        bed.config_text(&db, "[intake]\nmax_message_bytes = 65536\n"),
    )
    .expect("config");

    let (ok, out, err) = check_config_connect(&config, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("namespace \"INBOX.\", separator \".\"") && out.contains("MOVE no"),
        "{out}"
    );
    assert!(
        out.contains("processed_folder \"INBOX.FOI.Processed\" missing"),
        "{out}"
    );

    let log = bed.dir.path().join("foid.log");
    let mut daemon = start_daemon(&config, &log);
    let mut smtp = bed.smtp();
    for (n, who) in ["alice@public.test", "bob@public.test", "carol@public.test"]
        .iter()
        .enumerate()
    {
        smtp.send(
            who,
            FOI,
            &request(
                n + 1,
                who,
                "Parking permits",
                "How many were issued in 2025?",
            ),
        );
    }
    let big = format!(
        "From: Dan <dan@public.test>\r\nTo: {FOI}\r\nSubject: Big\r\nMessage-ID: <big-{}@public.test>\r\n\r\n{}\r\n",
        std::process::id(),
        "x".repeat(100_000)
    );
    smtp.send("dan@public.test", FOI, big.as_bytes());
    smtp.quit();
    for who in ["alice@public.test", "bob@public.test", "carol@public.test"] {
        assert_eq!(
            bed.wait_for_maildir(who, "", 1, Duration::from_secs(60)),
            1,
            "{who}:\n{}",
            read_text(&log)
        );
    }
    // Dovecot keeps INBOX.FOI.Processed as .FOI.Processed on disk: the
    // prefix is the namespace's, not part of the Maildir name.
    assert_eq!(
        bed.wait_for_maildir(FOI, ".FOI.Processed", 3, Duration::from_secs(30)),
        3,
        "{}",
        read_text(&log)
    );
    assert_eq!(
        bed.wait_for_maildir(FOI, ".FOI.Quarantine", 1, Duration::from_secs(30)),
        1
    );
    assert!(
        bed.wait_for_maildir(FOI, ".Sent", 3, Duration::from_secs(30)) >= 3,
        "sent copies"
    );
    let start = Instant::now();
    while bed.maildir_count(FOI, "") > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the inbox is emptied without MOVE"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    stop_daemon(&mut daemon);
    let text = read_text(&log);
    assert!(!text.contains("IMAP folder unavailable"), "{text}");
}

#[test]
fn a_folder_that_cannot_be_made_stops_no_request() {
    let bed = TestBed::start();
    // A file where the processed folder's Maildir would go: Dovecot
    // refuses to CREATE it.
    let root = maildir_root(&bed);
    std::fs::write(root.join(".FOI.Processed"), "in the way").expect("blocker");
    chown_mail(&root);
    let db = bed.sqlite_url("blocked.db");
    let config = bed.dir.path().join("blocked.toml");
    std::fs::write(&config, bed.config_text(&db, "")).expect("config");

    let (ok, out, _) = check_config_connect(&config, &["--create-folders"]);
    assert!(!ok, "{out}");
    let imap = out
        .lines()
        .find(|l| l.starts_with("imap: FAILED"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        imap.contains("[imap] processed_folder \"FOI.Processed\": cannot create IMAP folder FOI.Processed: NO"),
        "names the folder and the server's answer: {imap}"
    );

    let log = bed.dir.path().join("foid.log");
    let mut daemon = start_daemon(&config, &log);
    let mut smtp = bed.smtp();
    for (n, who) in ["alice@public.test", "bob@public.test"].iter().enumerate() {
        smtp.send(
            who,
            FOI,
            &request(
                n + 1,
                who,
                "Bin collections",
                "How many were missed in 2025?",
            ),
        );
    }
    smtp.quit();
    for who in ["alice@public.test", "bob@public.test"] {
        assert_eq!(
            bed.wait_for_maildir(who, "", 1, Duration::from_secs(60)),
            1,
            "{who} is acknowledged though the folder cannot be made:\n{}",
            read_text(&log)
        );
    }
    let text = read_text(&log);
    assert!(
        text.contains("ERROR")
            && text.contains("IMAP folder unavailable")
            && text.contains("cannot create IMAP folder FOI.Processed: NO"),
        "reported with the server's answer:\n{text}"
    );
    assert_eq!(
        bed.maildir_count(FOI, ""),
        2,
        "the messages wait in the inbox"
    );

    // IT clears the way; foid tries again within its backoff (30 s) and
    // moves what waited.
    std::fs::remove_file(root.join(".FOI.Processed")).expect("remove blocker");
    assert_eq!(
        bed.wait_for_maildir(FOI, ".FOI.Processed", 2, Duration::from_secs(90)),
        2,
        "{}",
        read_text(&log)
    );
    assert_eq!(bed.maildir_count(FOI, ""), 0);
    stop_daemon(&mut daemon);
    assert!(read_text(&log).contains("IMAP folder available again"));
}

/// Folder names outside ASCII (a Welsh or French council's own names) go
/// to the server in modified UTF-7 and are reported as written.
#[test]
fn folder_names_outside_ascii_work() {
    let bed = TestBed::start();
    let db = bed.sqlite_url("names.db");
    let config = bed.dir.path().join("names.toml");
    let text = bed
        .config_text_with(&db, "", false, "")
        .replace("\"FOI/Processed\"", "\"FOI/Traités\"")
        .replace("\"FOI/Quarantine\"", "\"FOI/Mis à l'écart\"");
    std::fs::write(&config, text).expect("config");

    let (ok, out, err) = check_config_connect(&config, &["--create-folders"]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("processed_folder \"FOI.Traités\" created")
            && out.contains("quarantine_folder \"FOI.Mis à l'écart\" created"),
        "{out}"
    );

    let mut smtp = bed.smtp();
    smtp.send(
        "alice@public.test",
        FOI,
        &request(1, "alice@public.test", "Street lights", "How many are out?"),
    );
    smtp.quit();
    assert_eq!(bed.wait_for_maildir(FOI, "", 1, Duration::from_secs(20)), 1);
    let (ok, out, err) = run_foid(&["--config", config.to_str().expect("path"), "run", "--once"]);
    assert!(ok, "{out}\n{err}");
    // Dovecot keeps the wire name on disk: the message is in the folder
    // the configuration named, not in one with a mangled name.
    assert_eq!(bed.maildir_count(FOI, ".FOI.Trait&AOk-s"), 1, "{err}");
    assert_eq!(bed.maildir_count(FOI, ""), 0);
}
