//! The outbox as a council depends on it, against the real test bed: replies
//! queued while Postfix is down all go out, in order, once it is back, with
//! no attempts spent on the outage; and `foid run` SIGKILLed at random
//! moments while 200 replies go out loses none and sends a reply twice only
//! when killed between the server's 250 and the commit that records it.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{start_daemon, TestBed, FOI};
use foid::core::letters::Purpose;
use foid::store::{self, NewOutboxMessage, Store};

const RECIPIENTS: [&str; 3] = ["alice@public.test", "bob@public.test", "carol@public.test"];

/// Queues `n` replies the way an approval does, numbered from `first`.
async fn queue_replies(store: &Store, tag: &str, first: usize, n: usize) {
    let mut tx = store.begin().await.expect("begin");
    for i in first..first + n {
        let to = RECIPIENTS[i % RECIPIENTS.len()];
        let message_id = format!("<reply-{tag}-{i}@council.test>");
        let bytes = format!(
            "From: Test Borough Council <{FOI}>\r\nTo: {to}\r\nSubject: [FOI-2026-{i:05}] Re: your request\r\n\
             Message-ID: {message_id}\r\nDate: Wed, 02 Dec 2026 12:00:00 +0000\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nDear Requester,\r\n\r\nReply number {i}.\r\n"
        );
        store::enqueue(
            &mut tx,
            &NewOutboxMessage {
                case_id: None,
                purpose: Purpose::Reply,
                message_id,
                envelope_from: FOI.into(),
                recipients: vec![to.into()],
                bytes: bytes.into_bytes(),
                sent_copy: None,
            },
            false,
            jiff::Timestamp::now(),
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");
}

/// How many times each reply of `tag` reached its recipient, and the order
/// they arrived in (by the number in the Message-ID).
fn deliveries(bed: &TestBed, tag: &str) -> (HashMap<usize, usize>, Vec<usize>) {
    let mut counts = HashMap::new();
    let mut order = Vec::new();
    let needle = format!("Message-ID: <reply-{tag}-");
    for user in RECIPIENTS {
        let (local, domain) = user.split_once('@').expect("address");
        let root = Path::new(&bed.var("FOID_TB_MAILDIR_ROOT"))
            .join(domain)
            .join(local);
        let mut files: Vec<_> = ["new", "cur"]
            .iter()
            .flat_map(|s| std::fs::read_dir(root.join(s)).into_iter().flatten())
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        // Dovecot names a delivered file `SECS.MUSECSP…`, microseconds not
        // zero-padded: sort by the two numbers.
        files.sort_by_key(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let mut it = name.split('.');
            let secs: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let usecs: u64 = it
                .next()
                .and_then(|s| s.strip_prefix('M'))
                .map(|s| {
                    s.chars()
                        .take_while(|c| c.is_ascii_digit())
                        .collect::<String>()
                })
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            (secs, usecs)
        });
        for f in files {
            let text = String::from_utf8_lossy(&std::fs::read(&f).expect("read")).into_owned();
            let Some(at) = text.find(&needle) else {
                continue;
            };
            let rest = &text[at + needle.len()..];
            let n: usize = rest
                .split('@')
                .next()
                .and_then(|d| d.parse().ok())
                .expect("numbered reply");
            *counts.entry(n).or_insert(0) += 1;
            order.push(n);
        }
    }
    (counts, order)
}

async fn outbox_counts(store: &Store) -> (i64, i64) {
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'queued'")
        .fetch_one(store.pool())
        .await
        .expect("count");
    let max_attempts: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(attempts), 0) FROM outbox")
        .fetch_one(store.pool())
        .await
        .expect("attempts");
    (queued, max_attempts)
}

async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_wait_out_an_smtp_outage_and_go_in_order() {
    let bed = TestBed::start();
    let url = bed.sqlite_url("outage.db");
    let config = bed.write_config("outage.toml", &url, "");
    let store = Store::open(&url).await.expect("store");
    store.migrate().await.expect("migrate");
    let mut daemon = start_daemon(&config, &bed.dir.path().join("foid.log"));

    bed.control("stop-smtp");
    const N: usize = 30;
    queue_replies(&store, "outage", 0, N).await;
    // Two minutes without a mail server.
    tokio::time::sleep(Duration::from_secs(120)).await;
    let (queued, attempts) = outbox_counts(&store).await;
    assert_eq!(queued, N as i64, "something left the outbox with no server");
    assert!(
        attempts <= 1,
        "an outage spent attempts ({attempts}); they are for the message's own failures"
    );
    let back = Instant::now();
    bed.control("start-smtp");
    wait_until(
        "every reply to be sent",
        Duration::from_secs(90),
        || async { outbox_counts(&store).await.0 == 0 },
    )
    .await;
    let after = back.elapsed();
    let (counts, order) = {
        let start = Instant::now();
        loop {
            let d = deliveries(&bed, "outage");
            if d.0.len() == N || start.elapsed() > Duration::from_secs(30) {
                break d;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    assert_eq!(counts.len(), N, "replies lost: {:?}", counts.keys());
    assert!(counts.values().all(|&c| c == 1), "sent twice: {counts:?}");
    // Per recipient, in the order queued.
    for (r, who) in RECIPIENTS.iter().enumerate() {
        let theirs: Vec<usize> = order.iter().copied().filter(|n| n % 3 == r).collect();
        let mut sorted = theirs.clone();
        sorted.sort();
        assert_eq!(theirs, sorted, "out of order for {who}");
    }
    let (_, attempts) = outbox_counts(&store).await;
    eprintln!(
        "SMTP outage 120 s, {N} replies queued: all sent {:.1} s after Postfix returned, max attempts {attempts}",
        after.as_secs_f64()
    );
    store.close().await;
    daemon.kill().ok();
    daemon.wait().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_sending_loses_no_reply() {
    let bed = TestBed::start();
    let url = bed.sqlite_url("kill.db");
    let config = bed.write_config("kill.toml", &url, "");
    let log = bed.dir.path().join("foid.log");
    let store = Store::open(&url).await.expect("store");
    store.migrate().await.expect("migrate");
    const N: usize = 200;
    queue_replies(&store, "kill", 0, N).await;

    // Kill at deterministic pseudo-random moments while it sends.
    let mut seed: u64 = 0x5eed_f01d;
    let mut next_ms = |lo: u64, hi: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + (seed >> 33) % (hi - lo)
    };
    let mut kills = 0;
    let mut queued_at_kills = Vec::new();
    while kills < 6 {
        let mut daemon = start_daemon(&config, &log);
        tokio::time::sleep(Duration::from_millis(next_ms(400, 1500))).await;
        daemon.kill().expect("SIGKILL");
        daemon.wait().ok();
        kills += 1;
        queued_at_kills.push(outbox_counts(&store).await.0);
        if outbox_counts(&store).await.0 == 0 {
            break;
        }
    }
    let mut daemon = start_daemon(&config, &log);
    wait_until("the outbox to empty", Duration::from_secs(180), || async {
        outbox_counts(&store).await.0 == 0
    })
    .await;
    let (counts, _) = {
        let start = Instant::now();
        loop {
            let d = deliveries(&bed, "kill");
            if d.0.len() == N || start.elapsed() > Duration::from_secs(30) {
                break d;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    assert_eq!(counts.len(), N, "replies lost after {kills} kills");
    let duplicates: usize = counts.values().map(|c| c - 1).sum();
    if let Ok(keep) = std::env::var("FOID_TEST_KEEP_LOG") {
        std::fs::copy(&log, keep).ok();
        let mut twice: Vec<_> = counts
            .iter()
            .filter(|(_, &c)| c > 1)
            .map(|(n, _)| *n)
            .collect();
        twice.sort();
        eprintln!("sent twice: {twice:?}");
    }
    eprintln!(
        "{N} replies, {kills} SIGKILLs (queued at each: {queued_at_kills:?}): {} delivered, {duplicates} duplicates",
        counts.len()
    );
    // Sending is one message at a time, so a kill can catch at most one
    // between the server's 250 and the commit.
    assert!(
        duplicates <= kills,
        "{duplicates} duplicates from {kills} kills"
    );
    let mid_flight = queued_at_kills
        .iter()
        .filter(|&&q| q > 0 && q < N as i64)
        .count();
    assert!(
        mid_flight >= 2,
        "the kills did not land while sending: {queued_at_kills:?}"
    );
    store.close().await;
    daemon.kill().ok();
    daemon.wait().ok();
}
