//! `foid import` loses nothing: every message in a tree of mixed files
//! (Maildir folders with dotted names and `.Sent` subfolders, `.txt`
//! saves, an mbox without blank lines and with a byte-order mark) is read,
//! and what is not mail is named with the reason and makes the exit
//! status non-zero.

mod common;

use std::path::Path;

fn message(n: usize, from: &str) -> String {
    format!(
        "From: Requester {n} <{from}>\r\nTo: foi@council.test\r\nSubject: Request {n}\r\nMessage-ID: <import-{n}@public.test>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\n1. How many streetlights are there in ward {n}?\r\n"
    )
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn a_tree_of_mixed_files_imports_every_message_and_names_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("history");
    write(
        &root.join("loose/one.eml"),
        message(1, "a1@public.test").as_bytes(),
    );
    write(
        &root.join("loose/saved as text.txt"),
        message(2, "a2@public.test").as_bytes(),
    );
    let md = root.join("Maildir");
    write(
        &md.join("cur/1762077600.M1P2.mail,S=300,W=310:2,S"),
        message(3, "a3@public.test").as_bytes(),
    );
    write(
        &md.join("new/1762077601.M2P2.mail,S=300,W=310"),
        message(4, "a4@public.test").as_bytes(),
    );
    write(
        &md.join(".Sent/cur/1762077602.M3P2.mail,S=300:2,S"),
        message(5, "a5@public.test").as_bytes(),
    );
    write(&md.join("tmp/1762077603.M4P2.mail"), b"From: half a deliv");
    write(&md.join("dovecot.index.log"), b"\x01\x02\x03 binary");
    write(&md.join("subscriptions"), b"Sent\n");
    let mut mbox = b"\xEF\xBB\xBF".to_vec();
    for n in 6..9 {
        mbox.extend(format!("From a{n}@public.test Mon Nov  2 10:00:00 2026\r\n").as_bytes());
        mbox.extend(message(n, &format!("a{n}@public.test")).as_bytes());
    }
    write(&root.join("archive/2025.mbox"), &mbox);
    write(
        &root.join("archive/reply.msg"),
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest of an OLE file",
    );
    write(
        &root.join("archive/readme.txt"),
        b"These are last year's requests.\n",
    );

    let config = dir.path().join("foid.toml");
    std::fs::write(
        &config,
        common::local_config_text(&dir.path().join("import.db"), &dir.path().join("inbox")),
    )
    .expect("config");
    let (ok, out, err) = common::run_foid(&[
        "--config",
        config.to_str().expect("path"),
        "import",
        root.to_str().expect("path"),
    ]);
    assert!(
        !ok,
        "skipped files must make the exit status non-zero: {out}{err}"
    );
    assert!(
        out.contains("8 message(s) found, 8 stored, 0 already known"),
        "{out}{err}"
    );
    assert!(out.contains("2 mail-server file(s) passed over"), "{out}");
    assert!(out.contains("2 skipped"), "{out}");
    assert!(out.contains("reply.msg: an Outlook .msg file"), "{out}");
    assert!(
        out.contains("readme.txt: does not look like a message"),
        "{out}"
    );

    // Again: everything is already known, nothing is stored twice.
    let (_, again, _) = common::run_foid(&[
        "--config",
        config.to_str().expect("path"),
        "import",
        root.to_str().expect("path"),
    ]);
    assert!(
        again.contains("8 message(s) found, 0 stored, 8 already known"),
        "{again}"
    );
    let (ok, cases, err) = common::run_foid(&[
        "--config",
        config.to_str().expect("path"),
        "cases",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&cases).expect("json");
    assert_eq!(
        v.as_array().map(|a| a.len()),
        Some(8),
        "one case per message"
    );
}
