//! `/healthz` and `/metrics` over HTTP from a running `foid run`, as a
//! monitoring system reads them.

#![allow(clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// One GET; (status code, body).
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    s.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[test]
fn healthz_and_metrics_report_the_running_daemon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    let port = free_port();
    let config = dir.path().join("foid.toml");
    std::fs::write(
        &config,
        common::local_config_text(&dir.path().join("foid.db"), &maildir)
            + &format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .expect("config");
    std::fs::write(
        maildir.join("new/1.eml"),
        common::request(
            1,
            "reader@public.test",
            "Library visits",
            "Dear Council,\r\n\r\nHow many visits did each library have in 2025?\r\n\r\nDora",
        ),
    )
    .expect("mail");
    let log = dir.path().join("foid.log");
    let mut daemon = common::start_daemon(&config, &log);

    let deadline = Instant::now() + Duration::from_secs(60);
    let metrics = loop {
        if let Some((200, text)) = get(port, "/metrics") {
            if metric(&text, "foid_messages_ingested_total") == Some(1.0) {
                break text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no metrics: {}",
            common::read_text(&log)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        metrics.contains("# TYPE foid_messages_ingested_total counter"),
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "foid_cases{state=\"open\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "foid_cases{state=\"overdue\"}"),
        Some(0.0),
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "foid_messages{state=\"processed\"}"),
        Some(1.0),
        "{metrics}"
    );
    // The acknowledgement and the case email wait: no [smtp] here.
    assert_eq!(
        metric(&metrics, "foid_outbox{state=\"queued\"}"),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "foid_mailbox_leader"),
        Some(1.0),
        "{metrics}"
    );
    let lag = metric(&metrics, "foid_poll_lag_seconds").expect("lag");
    assert!((0.0..30.0).contains(&lag), "{metrics}");

    let (status, body) = get(port, "/healthz").expect("healthz");
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["database"], "ok", "{health}");
    assert_eq!(health["mailbox"]["role"], "polling", "{health}");
    assert!(health["mailbox"]["last_poll"].is_string(), "{health}");
    assert_eq!(health["similarity_index"], "ready", "{health}");

    assert_eq!(get(port, "/nothing").map(|r| r.0), Some(404));
    common::stop_daemon(&mut daemon);

    // A taken port is a configuration error naming the key.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy = taken.local_addr().expect("addr").port();
    std::fs::write(
        &config,
        common::local_config_text(&dir.path().join("foid.db"), &maildir)
            + &format!("[http]\nlisten = \"127.0.0.1:{busy}\"\n"),
    )
    .expect("config");
    let (ok, _, err) = common::run_foid(&["--config", config.to_str().expect("path"), "run"]);
    assert!(!ok && err.contains("[http] listen"), "{err}");
}
