//! The daemon as a council runs it (`foid run`, a separate process) against
//! the real test bed: SIGKILL at random moments loses and repeats nothing;
//! a Dovecot outage mid-IDLE is survived without help; SIGTERM stops it
//! cleanly.

mod common;

use std::time::{Duration, Instant};

use common::{request, signal, start_daemon, TestBed, FOI};
use foid::store::Store;

async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A small deterministic generator for the kill moments.
struct Lcg(u64);
impl Lcg {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + (self.0 >> 33) % (hi - lo)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_ingestion_loses_and_repeats_nothing() {
    const N: usize = 1000;
    let bed = TestBed::start();
    let db = bed.sqlite_url("crash.db");
    let text = bed.config_text_with(&db, "fetch_window = 100", false, "");
    let config = bed.dir.path().join("crash.toml");
    std::fs::write(&config, text).expect("config");
    let log = bed.dir.path().join("crash.log");

    let mut smtp = bed.smtp();
    for n in 0..N {
        let from = format!("requester{}@public.test", n % 3);
        smtp.send(
            &from,
            FOI,
            &request(
                n,
                &from,
                &format!("Request number {n}"),
                "1. How many?\r\n2. How much?",
            ),
        );
    }
    smtp.quit();
    assert_eq!(
        bed.wait_for_maildir(FOI, "", N, Duration::from_secs(120)),
        N,
        "all delivered"
    );

    let store = Store::open(&db).await.expect("store");
    store.migrate().await.expect("migrate");
    let mut rng = Lcg(0x5eed_f01d);
    let mut kills = 0;
    let mut progress_at_kills = Vec::new();
    let mut daemon = start_daemon(&config, &log);
    // First SIGTERM while it is busy: it finishes the item in hand and
    // exits cleanly within seconds, leaving nothing half-done (the counts
    // at the end prove it).
    wait_until("the first cases", Duration::from_secs(60), || {
        let store = store.clone();
        async move { store.case_count().await.unwrap_or(0) > 0 }
    })
    .await;
    signal(&daemon, "-TERM");
    let asked = Instant::now();
    let status = daemon.wait().expect("wait");
    let stopped_in = asked.elapsed();
    assert!(
        status.success(),
        "a busy foid exits cleanly on SIGTERM: {status}"
    );
    assert!(
        stopped_in < Duration::from_secs(10),
        "SIGTERM took {stopped_in:?}"
    );
    let at_term = store.case_count().await.expect("count");
    assert!(
        at_term < N as i64,
        "SIGTERM landed mid-ingestion ({at_term} of {N})"
    );
    daemon = start_daemon(&config, &log);
    // Then kill it at random moments while it works, at least five times.
    while kills < 5 || (kills < 12 && store.case_count().await.expect("count") < (N as i64) / 2) {
        tokio::time::sleep(Duration::from_millis(rng.next_ms(150, 900))).await;
        signal(&daemon, "-KILL");
        daemon.wait().expect("reap");
        kills += 1;
        progress_at_kills.push(store.case_count().await.expect("count"));
        daemon = start_daemon(&config, &log);
    }
    wait_until(
        "every message to become a case and leave the inbox",
        Duration::from_secs(300),
        || {
            let store = store.clone();
            let bed = &bed;
            async move {
                store.case_count().await.unwrap_or(0) >= N as i64 && bed.maildir_count(FOI, "") == 0
            }
        },
    )
    .await;

    // SIGTERM: a clean stop, once the last restart is up and connected.
    wait_until(
        "the last restart to connect",
        Duration::from_secs(60),
        || {
            let log = log.clone();
            async move {
                std::fs::read_to_string(&log)
                    .map(|t| t.matches("IMAP connected").count() > kills + 1)
                    .unwrap_or(false)
            }
        },
    )
    .await;
    signal(&daemon, "-TERM");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = daemon.try_wait().expect("wait") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit after SIGTERM: {status}");

    let cases = store.case_count().await.expect("count");
    assert_eq!(
        cases, N as i64,
        "exactly one case per request after {kills} kills"
    );
    let distinct: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT c.subject) FROM cases c")
        .fetch_one(store.pool())
        .await
        .expect("distinct");
    assert_eq!(distinct, N as i64, "no request lost, none doubled");
    let raw: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT message_id) FROM raw_messages WHERE state = 'processed'",
    )
    .fetch_one(store.pool())
    .await
    .expect("raw");
    assert_eq!(raw, N as i64);
    let outbox: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE purpose = 'case_email'")
            .fetch_one(store.pool())
            .await
            .expect("outbox");
    assert_eq!(outbox, N as i64, "one case email per case");
    assert_eq!(bed.maildir_count(FOI, ""), 0);
    assert_eq!(
        bed.maildir_count(FOI, ".FOI.Processed"),
        N,
        "every message moved exactly once"
    );
    // The kills must have landed while there was work in hand.
    let mid_flight = progress_at_kills.iter().filter(|&&c| c < N as i64).count();
    assert!(
        mid_flight >= 3,
        "kills landed mid-ingestion only {mid_flight} times: {progress_at_kills:?}"
    );
    eprintln!(
        "{N} requests, SIGTERM at {at_term} cases (stopped in {stopped_in:?}), {kills} SIGKILLs (cases at each: {progress_at_kills:?}), {cases} cases"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_outage_mid_idle_is_survived() {
    let bed = TestBed::start();
    let db = bed.sqlite_url("outage.db");
    let config = bed.dir.path().join("outage.toml");
    std::fs::write(&config, bed.config_text_with(&db, "", false, "")).expect("config");
    let log = bed.dir.path().join("outage.log");
    let store = Store::open(&db).await.expect("store");
    store.migrate().await.expect("migrate");
    let mut daemon = start_daemon(&config, &log);

    let mut smtp = bed.smtp();
    smtp.send(
        "alice@public.test",
        FOI,
        &request(1, "alice@public.test", "Before the outage", "How many?"),
    );
    smtp.quit();
    wait_until("the first case", Duration::from_secs(30), || {
        let store = store.clone();
        async move { store.case_count().await.unwrap_or(0) == 1 }
    })
    .await;

    // Dovecot goes away for 30 seconds while the daemon sits in IDLE; mail
    // arriving meanwhile waits in Postfix's queue.
    bed.control("stop-imap");
    let mut smtp = bed.smtp();
    smtp.send(
        "bob@public.test",
        FOI,
        &request(2, "bob@public.test", "During the outage", "How much?"),
    );
    smtp.send(
        "carol@public.test",
        FOI,
        &request(3, "carol@public.test", "Also during the outage", "Who?"),
    );
    smtp.quit();
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        daemon.try_wait().expect("wait").is_none(),
        "the daemon must not exit when its server goes away:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    bed.control("start-imap");

    wait_until(
        "the daemon to reconnect and pick up mail delivered meanwhile",
        Duration::from_secs(150),
        || {
            let store = store.clone();
            async move { store.case_count().await.unwrap_or(0) == 3 }
        },
    )
    .await;
    signal(&daemon, "-TERM");
    let status = daemon.wait().expect("wait");
    assert!(status.success());
    let log_text = std::fs::read_to_string(&log).expect("log");
    assert!(
        log_text.contains("reconnecting"),
        "the outage was noticed:\n{log_text}"
    );
    // Logged as what it was: the server ending the session under IDLE.
    assert!(
        log_text.contains("during IDLE") && !log_text.contains("ending IDLE"),
        "the dropped IDLE is named as such:\n{log_text}"
    );
}

/// With IDLE switched off the daemon polls, and still picks mail up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_without_idle_picks_mail_up() {
    let bed = TestBed::start();
    let db = bed.sqlite_url("poll.db");
    let config = bed.dir.path().join("poll.toml");
    std::fs::write(
        &config,
        bed.config_text_with(&db, "use_idle = false\npoll_seconds = 1", false, ""),
    )
    .expect("config");
    let log = bed.dir.path().join("poll.log");
    let store = Store::open(&db).await.expect("store");
    store.migrate().await.expect("migrate");
    let mut daemon = start_daemon(&config, &log);
    // Give it time to finish its first (empty) pass and start polling.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut smtp = bed.smtp();
    smtp.send(
        "alice@public.test",
        FOI,
        &request(1, "alice@public.test", "Polled", "How many?"),
    );
    smtp.quit();
    wait_until(
        "the polled message to become a case",
        Duration::from_secs(20),
        || {
            let store = store.clone();
            async move { store.case_count().await.unwrap_or(0) == 1 }
        },
    )
    .await;
    signal(&daemon, "-TERM");
    assert!(daemon.wait().expect("wait").success());
}

/// Issue 16: a crash after a fetched window (and the checkpoint past it)
/// was committed, and before it was processed, leaves stored mail that no
/// new mail will ever arrive to wake. Started again on a quiet mailbox,
/// foid must process and file it by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_but_unprocessed_mail_is_processed_at_start_without_new_mail() {
    use foid::mail::imap::ImapConnection;
    use foid::store::{Checkpoint, NewRawMessage};
    use futures::TryStreamExt;

    let bed = TestBed::start();
    let url = bed.sqlite_url("resume.db");
    let config_path = bed.write_config("resume.toml", &url, "");
    let config = bed.config(&url);
    // Three requesters, five each: within the acknowledgement limit.
    const REQUESTERS: [&str; 3] = ["alice@public.test", "bob@public.test", "carol@public.test"];
    const N: usize = 15;
    let mut smtp = bed.smtp();
    for i in 0..N {
        let from = REQUESTERS[i % 3];
        smtp.send(
            from,
            FOI,
            &request(i, from, &format!("Resume {i}"), "1. How many bins?"),
        );
    }
    smtp.quit();
    assert_eq!(bed.wait_for_maildir(FOI, "", N, Duration::from_secs(60)), N);

    // The state a SIGKILL right after the window's commit leaves: every
    // message stored as `new`, the checkpoint already past them.
    let store = Store::open(&url).await.expect("store");
    store.migrate().await.expect("migrate");
    let imap = config.imap.as_ref().expect("[imap]");
    let mut conn = ImapConnection::connect(imap).await.expect("imap");
    let mailbox = conn.session.select("INBOX").await.expect("select");
    let uidvalidity = i64::from(mailbox.uid_validity.expect("uidvalidity"));
    let fetched: Vec<(u32, Vec<u8>)> = conn
        .session
        .uid_fetch("1:*", "(UID BODY.PEEK[])")
        .await
        .expect("fetch")
        .try_filter_map(|f| async move { Ok(f.uid.zip(f.body().map(<[u8]>::to_vec))) })
        .try_collect()
        .await
        .expect("fetch");
    conn.logout().await;
    assert_eq!(fetched.len(), N);
    let last_uid = fetched
        .iter()
        .map(|(u, _)| i64::from(*u))
        .max()
        .expect("uids");
    let now = jiff::Timestamp::now();
    let raws: Vec<NewRawMessage> = fetched
        .into_iter()
        .map(|(uid, bytes)| {
            let sha256 = foid::mail::raw::sha256_hex(&bytes);
            NewRawMessage {
                message_id: foid::mail::raw::stored_message_id(&bytes, &sha256),
                sha256,
                bytes,
                source: foid::core::case::Source::Imap,
                mailbox: Some("INBOX".into()),
                uidvalidity: Some(uidvalidity),
                uid: Some(i64::from(uid)),
                arrived_at: now,
                quarantine_reason: None,
            }
        })
        .collect();
    let checkpoint = Checkpoint {
        mailbox: "INBOX".into(),
        uidvalidity,
        last_uid,
    };
    store
        .store_fetched(&checkpoint, &raws, now)
        .await
        .expect("store the window");
    assert_eq!(store.case_count().await.expect("count"), 0);

    // Started again; nothing new arrives.
    let log = bed.dir.path().join("foid.log");
    let mut child = start_daemon(&config_path, &log);
    let started = Instant::now();
    wait_until(
        "the stored mail to become cases",
        Duration::from_secs(30),
        || async { store.case_count().await.expect("count") == N as i64 },
    )
    .await;
    let took = started.elapsed();
    for who in REQUESTERS {
        assert_eq!(
            bed.wait_for_maildir(who, "", N / 3, Duration::from_secs(30)),
            N / 3,
            "acknowledgements to {who}"
        );
    }
    let start = Instant::now();
    while bed.maildir_count(FOI, "") > 0 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(bed.maildir_count(FOI, ""), 0, "the inbox was not emptied");
    eprintln!(
        "{N} stored-but-unprocessed messages became cases {:.1} s after start with no new mail",
        took.as_secs_f64()
    );
    signal(&child, "-TERM");
    child.wait().ok();
    store.close().await;
}

/// A stage that loses its database fails, is restarted by the supervisor
/// (never left dead in a live process), and works again once the
/// database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_that_loses_its_database_is_restarted() {
    let bed = TestBed::start();
    let db = bed.pg_url();
    let config = bed.dir.path().join("supervised.toml");
    std::fs::write(
        &config,
        bed.config_text_with(&db, "use_idle = false\npoll_seconds = 1", false, ""),
    )
    .expect("config");
    let log = bed.dir.path().join("supervised.log");
    {
        let store = Store::open(&db).await.expect("store");
        store.migrate().await.expect("migrate");
        store.close().await;
    }
    let mut daemon = start_daemon(&config, &log);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Each query then waits out the pool's 30-s acquire timeout, so the
    // first failure reaches the supervisor about a minute later.
    bed.control("stop-pg");
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("stage failed; restarting it")
    {
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "no stage restart was logged:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        daemon.try_wait().expect("wait").is_none(),
        "a restart, not an exit, for one failure"
    );
    bed.control("start-pg");

    let mut smtp = bed.smtp();
    smtp.send(
        "alice@public.test",
        FOI,
        &request(
            1,
            "alice@public.test",
            "After the database came back",
            "How many?",
        ),
    );
    smtp.quit();
    let store = Store::open(&db).await.expect("store");
    wait_until(
        "the restarted stage to make the case",
        Duration::from_secs(90),
        || {
            let store = store.clone();
            async move { store.case_count().await.unwrap_or(0) == 1 }
        },
    )
    .await;
    signal(&daemon, "-TERM");
    let status = daemon.wait().expect("wait");
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}
