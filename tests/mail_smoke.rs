//! Smoke test of the mail adapters against the real test bed: IMAP over
//! implicit TLS and STARTTLS with the test bed's own CA (append, read back,
//! folder creation with the server's separator, move), and SMTP submission
//! through Postfix into Dovecot.

mod common;

use std::time::Duration;

use common::{TestBed, FOI, OFFICER1};
use foid::mail::imap::ImapConnection;
use foid::mail::smtp::SmtpSender;
use futures::TryStreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_over_tls_append_read_back_and_move() {
    let bed = TestBed::start();
    let config = bed.config(&bed.sqlite_url("smoke.db"));
    let imap = config.imap.clone().expect("imap");
    let mut conn = ImapConnection::connect(&imap).await.expect("IMAPS login");
    assert!(conn.features.idle && conn.features.r#move);
    assert_eq!(conn.delimiter, ".", "Dovecot Maildir uses '.'");
    assert_eq!(conn.folder("FOI/Processed"), "FOI.Processed");

    let message = b"From: Alice <alice@public.test>\r\nTo: foi@council.test\r\nSubject: smoke\r\nMessage-ID: <smoke-1@public.test>\r\n\r\nHello over TLS.\r\n";
    conn.append("INBOX", message).await.expect("append");
    let mailbox = conn.session.select("INBOX").await.expect("select");
    assert_eq!(mailbox.exists, 1);
    let bodies: Vec<Vec<u8>> = conn
        .session
        .uid_fetch("1:*", "(UID BODY.PEEK[])")
        .await
        .expect("fetch")
        .try_filter_map(|f| async move { Ok(f.body().map(|b| b.to_vec())) })
        .try_collect()
        .await
        .expect("drain");
    assert_eq!(bodies, vec![message.to_vec()], "read back byte for byte");

    let folder = conn
        .ensure_folder("FOI/Processed")
        .await
        .expect("create folder");
    assert_eq!(folder, "FOI.Processed");
    assert_eq!(
        conn.ensure_folder("FOI/Processed").await.expect("exists"),
        folder
    );
    conn.move_uids(&[1], &folder).await.expect("move");
    let mailbox = conn.session.select("INBOX").await.expect("select");
    assert_eq!(mailbox.exists, 0);
    assert_eq!(bed.maildir_count(FOI, ".FOI.Processed"), 1);
    conn.logout().await;

    // STARTTLS on the plain port works too, and plaintext on loopback.
    let text = bed.config_text(&bed.sqlite_url("smoke.db"), "").replacen(
        &format!(
            "port = {}\ntls = \"implicit\"",
            bed.port("FOID_TB_IMAPS_PORT")
        ),
        &format!(
            "port = {}\ntls = \"starttls\"",
            bed.port("FOID_TB_IMAP_PORT")
        ),
        1,
    );
    let starttls =
        foid::config::Config::parse(&text, std::path::Path::new("t.toml")).expect("config");
    let conn = ImapConnection::connect(starttls.imap.as_ref().expect("imap"))
        .await
        .expect("STARTTLS login");
    conn.logout().await;
    let plain = foid::config::Config::parse(
        &text.replace("tls = \"starttls\"", "tls = \"none\""),
        std::path::Path::new("t.toml"),
    )
    .expect("plaintext allowed on loopback");
    let conn = ImapConnection::connect(plain.imap.as_ref().expect("imap"))
        .await
        .expect("plaintext login on loopback");
    conn.logout().await;

    // A server whose certificate we do not trust is refused.
    let untrusted = foid::config::Config::parse(
        &bed.config_text(&bed.sqlite_url("smoke.db"), "").replacen(
            &format!("ca_file = \"{}\"\n", bed.ca()),
            "",
            1,
        ),
        std::path::Path::new("t.toml"),
    )
    .expect("config");
    let err = ImapConnection::connect(untrusted.imap.as_ref().expect("imap"))
        .await
        .err()
        .expect("untrusted certificate accepted");
    assert!(format!("{err:#}").contains("TLS handshake"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_submission_through_postfix() {
    let bed = TestBed::start();
    let config = bed.config(&bed.sqlite_url("smoke.db"));
    let sender =
        SmtpSender::new(config.smtp.as_ref().expect("smtp"), "council.test").expect("sender");
    sender.check().await.expect("SMTP connection");
    let message = format!(
        "From: foi@council.test\r\nTo: {OFFICER1}\r\nSubject: smoke\r\nMessage-ID: <smoke-2@council.test>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nHello through Postfix.\r\n"
    );
    sender
        .send(FOI, &[OFFICER1.to_string()], message.as_bytes())
        .await
        .expect("send");
    let n = bed.wait_for_maildir(OFFICER1, "", 1, Duration::from_secs(20));
    assert_eq!(n, 1, "message delivered into Dovecot");
}
