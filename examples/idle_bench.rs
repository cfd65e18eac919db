//! The resident memory and start-up time of an idle `foid run` over a
//! database of 10,000 to 1,000,000 cases.
//!
//! `cargo build --release && cargo run --release --example idle_bench [-- 10000 1000000]`
//!
//! Each size gets a fresh SQLite database filled as years of use would
//! leave it: one requester per three cases, each case with its stored
//! message (about 1 KB), two questions, two events and its similarity
//! signature; 1% of cases open, the rest answered. `foid run` (the release
//! binary, a Maildir source, the `[http]` listener) is then started twice:
//! the first start recomputes the open cases' clocks against the calendar,
//! the second is a normal restart. Start-up is the time until `/healthz`
//! answers 200, and until it says the similarity index is built (from then
//! on requests are processed); memory is VmRSS after 3 s idle, and VmHWM
//! (the peak).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use foid::core::similarity::{Signature, Terms};
use foid::store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BATCH: usize = 20_000;

fn message(n: usize) -> Vec<u8> {
    format!(
        "From: Requester {r} <requester{r}@public.test>\r\nTo: foi@council.example\r\nSubject: Information request {n}\r\nMessage-ID: <bench-{n}@public.test>\r\nDate: Mon, 5 Jan 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDear Sir or Madam,\r\n\r\nUnder the Freedom of Information Act 2000, please tell me:\r\n\r\n1. How many potholes were reported in ward {w} in each of the last three years?\r\n2. How much did the council spend repairing them, by year?\r\n\r\nI would like the information by email, as a spreadsheet if possible.\r\n\r\nYours faithfully,\r\nRequester {r}\r\n",
        r = n / 3,
        w = n % 40
    )
    .into_bytes()
}

fn signature(rng: &mut StdRng) -> Vec<u8> {
    let questions = (0..rng.gen_range(1..=4))
        .map(|_| Terms::from_hashes((0..rng.gen_range(3..=8)).map(|_| rng.gen()).collect()))
        .collect();
    Signature::from_questions(questions).to_bytes()
}

async fn populate(store: &Store, n: usize) {
    let pool = store.pool();
    let mut rng = StdRng::seed_from_u64(7);
    let start = 1_735_000_000i64; // late December 2024
    for first in (0..n).step_by(BATCH) {
        let mut tx = pool.begin().await.expect("begin");
        for i in first..(first + BATCH).min(n) {
            let id = i as i64 + 1;
            let at = start + i as i64 * 60;
            let day = jiff::Timestamp::from_second(at)
                .expect("ts")
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date();
            let open = i % 100 == 0;
            let requester = (i / 3) as i64 + 1;
            if i % 3 == 0 {
                sqlx::query("INSERT INTO requesters (id, name, identity_key, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(requester)
                    .bind(format!("Requester {}", i / 3))
                    .bind(format!("requester{}@public.test", i / 3))
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .expect("requester");
                sqlx::query("INSERT INTO requester_addresses (address, requester_id, first_seen) VALUES ($1, $2, $3)")
                    .bind(format!("requester{}@public.test", i / 3))
                    .bind(requester)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .expect("address");
            }
            let bytes = message(i);
            sqlx::query(
                "INSERT INTO raw_messages (id, sha256, message_id, source, arrived_at, size, bytes, state, kind, stored_at, processed_at, server_done)
                 VALUES ($1, $2, $3, 'maildir', $4, $5, $6, 'processed', 'foi', $4, $4, 1)",
            )
            .bind(id)
            .bind(format!("{id:064x}"))
            .bind(format!("<bench-{i}@public.test>"))
            .bind(at)
            .bind(bytes.len() as i64)
            .bind(bytes)
            .execute(&mut *tx)
            .await
            .expect("raw");
            sqlx::query(
                "INSERT INTO cases (id, reference, regime, kind, state, requester_id, requester_address, reply_to, subject,
                    received_at, received_on, due_on, raw_message_id, request_text, created_at, closed_on, closure, request_message_id)
                 VALUES ($1, $2, 'foi', 'foi', $3, $4, $5, $5, $6, $7, $8, $9, $1, $10, $7, $11, $12, $13)",
            )
            .bind(id)
            .bind(format!("FOI-{}-{:07}", day.year(), id))
            .bind(if open { "open" } else { "closed" })
            .bind(requester)
            .bind(format!("requester{}@public.test", i / 3))
            .bind(format!("Information request {i}"))
            .bind(at)
            .bind(day.to_string())
            .bind(day.saturating_add(jiff::Span::new().days(28)).to_string())
            .bind("Under the Freedom of Information Act 2000, please tell me: 1. How many potholes were reported … 2. How much did the council spend …")
            .bind((!open).then(|| day.saturating_add(jiff::Span::new().days(14)).to_string()))
            .bind((!open).then_some("answered"))
            .bind(format!("<bench-{i}@public.test>"))
            .execute(&mut *tx)
            .await
            .expect("case");
            sqlx::query("UPDATE raw_messages SET case_id = $1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .expect("link");
            for (number, text) in [
                (
                    1,
                    "How many potholes were reported in each of the last three years?",
                ),
                (2, "How much did the council spend repairing them, by year?"),
            ] {
                sqlx::query("INSERT INTO questions (case_id, number, text, outcome_json) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(number)
                    .bind(text)
                    .bind((!open).then_some(r#"{"number":1,"outcome":"answered"}"#))
                    .execute(&mut *tx)
                    .await
                    .expect("question");
            }
            for (kind, detail) in [
                ("clock", format!(r#"{{"kind":"received","date":"{day}"}}"#)),
                (
                    "opened",
                    r#"{"raw_message_id":1,"kind":"foi","reasons":[]}"#.to_string(),
                ),
            ] {
                sqlx::query("INSERT INTO case_events (case_id, at, actor, kind, detail_json) VALUES ($1, $2, 'foid', $3, $4)")
                    .bind(id)
                    .bind(at)
                    .bind(kind)
                    .bind(detail)
                    .execute(&mut *tx)
                    .await
                    .expect("event");
            }
            sqlx::query("INSERT INTO case_signatures (case_id, signature) VALUES ($1, $2)")
                .bind(id)
                .bind(signature(&mut rng))
                .execute(&mut *tx)
                .await
                .expect("signature");
        }
        tx.commit().await.expect("commit");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// `/healthz`: (answered 200, the similarity index is built).
fn health(port: u16) -> (bool, bool) {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return (false, false);
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return (false, false);
    }
    let mut response = String::new();
    let _ = s.read_to_string(&mut response);
    (
        response.starts_with("HTTP/1.1 200"),
        response.contains("\"similarity_index\": \"ready\""),
    )
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// Starts `foid run`, waits for `/healthz` and for the similarity index
/// (requests are processed from then on), idles; (start-up, ready, RSS,
/// peak).
fn run_once(config: &Path, port: u16) -> (Duration, Duration, u64, u64) {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/foid");
    let started = Instant::now();
    let mut child = Command::new(&bin)
        .args(["--config", config.to_str().expect("path"), "run"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (cargo build --release first)", bin.display()));
    while !health(port).0 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "foid run did not come up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let startup = started.elapsed();
    while !health(port).1 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the index was not built"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let ready = started.elapsed();
    std::thread::sleep(Duration::from_secs(3));
    let rss = status_kib(child.id(), "VmRSS:");
    let peak = status_kib(child.id(), "VmHWM:");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    (startup, ready, rss, peak)
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 1_000_000]
    } else {
        sizes
    };
    println!("| cases | database | fill | first start | restart: /healthz | restart: index built | idle RSS | peak RSS |");
    println!("|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("foid.db");
        let maildir = dir.path().join("Maildir");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
        }
        let store = Store::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("store");
        store.migrate().await.expect("migrate");
        let filling = Instant::now();
        populate(&store, n).await;
        store.checkpoint_wal().await.expect("checkpoint");
        store.close().await;
        let fill = filling.elapsed();
        let port = free_port();
        let config = dir.path().join("foid.toml");
        std::fs::write(
            &config,
            format!(
                "[council]\nname = \"Bench Council\"\naddress = \"foi@council.example\"\ndomain = \"council.example\"\n\
                 [database]\nurl = \"sqlite://{}\"\n[source]\nmaildir = \"{}\"\n[officers]\nteam = [\"officer@council.example\"]\n\
                 [reminders]\ndigest = false\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
                db.display(),
                maildir.display()
            ),
        )
        .expect("config");
        let (_, first, _, _) = run_once(&config, port);
        let (restart, ready, rss, peak) = run_once(&config, port);
        let size_mb = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        println!(
            "| {n} | {size_mb:.0} MB | {:.1} s | {:.2} s | {:.2} s | {:.2} s | {:.1} MB | {:.1} MB |",
            fill.as_secs_f64(),
            first.as_secs_f64(),
            restart.as_secs_f64(),
            ready.as_secs_f64(),
            rss as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
}
