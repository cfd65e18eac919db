//! Ingest benchmarks against the real test bed (Dovecot, Postfix,
//! PostgreSQL started by tests/testbed/testbed.sh): issue 4's figures.
//!
//!     cargo run --release --example bench_ingest -- [N] [options]
//!
//! N (default 10000) small, realistic requests are written straight into
//! the Maildir `new/` directory of foi@council.test (owned by the `mail`
//! user, named the way Dovecot's own delivery names them, with `S=` and
//! `W=` sizes), then one untimed SELECT lets Dovecot index them, as its LMTP
//! delivery would have done as each message arrived. Then:
//!
//! a. raw fetch: async-imap through foid's own connector, SELECT INBOX and
//!    `UID FETCH lo:hi (UID BODY.PEEK[])` in windows of 500, each stream
//!    drained; over implicit TLS (as the daemon runs) and plain IMAP.
//! b. foid's whole ingest + processing of the same N messages on the same
//!    server: `foid::daemon::ingest::run_pass` with a fresh database,
//!    officers configured and no `[smtp]`, so the acknowledgements and case
//!    emails are rendered and queued as in production but never sent.
//!    Checked afterwards: N cases, 2N queued mails, the inbox empty. On
//!    SQLite, and on PostgreSQL (the test bed's runs with fsync=off).
//!    With `--breakdown`, the same pipeline rebuilt from foid's public
//!    pieces with a timer around each stage (sizes fetch, body fetch, store,
//!    process, move).
//! c. IDLE latency: the release binary `target/release/foid run` (no
//!    `[smtp]`) idle on the inbox; M (default 50) requests sent one at a
//!    time through Postfix's MX port; for each, the time from Postfix's 250
//!    after DATA until the case row exists (the SQLite file is polled
//!    read-only every 5 ms). The floor: the same with a bare async-imap
//!    client in IDLE (no foid), from the 250 to the EXISTS.
//!
//! Options: `--reps R` (default 2; the median is reported), `--m M`,
//! `--no-pg`, `--no-idle`, `--no-raw`, `--no-foid`, `--breakdown`,
//! `--keep` (leave the temporary directory; the servers are always
//! stopped), `--pause-ms LO:HI` (the random pause before each IDLE-latency
//! message, default 50:250), `--race LO:HI` (instead of latency: rounds
//! of two messages, the second sent LO..HI ms after the first, to catch
//! mail that arrives while the daemon drains; reports misses),
//! `--drop-ack-index` (drop the index of migration 0002 after migrating,
//! to measure without it), `--roundtrip` (the cost of one statement and
//! of one small transaction through foid's Store). The bench builds `target/release/foid` itself (`cargo build
//! --release --bin foid`) before measuring IDLE latency.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use futures::TryStreamExt;
use rand::Rng;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use foid::config::Config;
use foid::daemon::Context;
use foid::mail::imap::{uid_set, ImapConnection};
use foid::store::{Checkpoint, NewRawMessage, Store};

const FOI: &str = "foi@council.test";

// ---------------------------------------------------------------- options

struct Options {
    n: usize,
    m: usize,
    reps: usize,
    pg: bool,
    idle: bool,
    raw: bool,
    foid: bool,
    breakdown: bool,
    keep: bool,
    pause_ms: (u64, u64),
    race: Option<(u64, u64)>,
    drop_ack_index: bool,
    roundtrip: bool,
}

fn options() -> Result<Options> {
    let mut o = Options {
        n: 10_000,
        m: 50,
        reps: 2,
        pg: true,
        idle: true,
        raw: true,
        foid: true,
        breakdown: false,
        keep: false,
        pause_ms: (50, 250),
        race: None,
        drop_ack_index: false,
        roundtrip: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reps" => o.reps = args.next().context("--reps R")?.parse()?,
            "--m" => o.m = args.next().context("--m M")?.parse()?,
            "--no-pg" => o.pg = false,
            "--no-idle" => o.idle = false,
            "--no-raw" => o.raw = false,
            "--no-foid" => o.foid = false,
            "--breakdown" => o.breakdown = true,
            "--keep" => o.keep = true,
            "--drop-ack-index" => o.drop_ack_index = true,
            "--roundtrip" => o.roundtrip = true,
            "--race" => {
                let v = args.next().context("--race LO:HI")?;
                let (lo, hi) = v.split_once(':').context("--race LO:HI")?;
                o.race = Some((lo.parse()?, hi.parse()?));
            }
            "--pause-ms" => {
                let v = args.next().context("--pause-ms LO:HI")?;
                let (lo, hi) = v.split_once(':').context("--pause-ms LO:HI")?;
                o.pause_ms = (lo.parse()?, hi.parse()?);
                if o.pause_ms.0 >= o.pause_ms.1 {
                    bail!("--pause-ms LO:HI needs LO < HI");
                }
            }
            n if n.chars().all(|c| c.is_ascii_digit()) => o.n = n.parse()?,
            other => bail!("unknown argument {other:?}"),
        }
    }
    if o.reps == 0 || o.n == 0 {
        bail!("N and --reps must be at least 1");
    }
    Ok(o)
}

// ---------------------------------------------------------------- test bed

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testbed/testbed.sh")
}

struct Bed {
    root: PathBuf,
    bed: PathBuf,
    env: HashMap<String, String>,
    keep: bool,
}

impl Bed {
    fn start(keep: bool) -> Result<Bed> {
        let root = tempfile::Builder::new()
            .prefix("foid-bench-")
            .tempdir_in("/tmp")?
            .keep();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))?;
        let bed = root.join("bed");
        std::fs::create_dir(&bed)?;
        // Dovecot keeps the caller's stderr open: files, never pipes.
        let status = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(&bed)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(root.join("start.log"))?)
            .stderr(std::fs::File::create(root.join("start.err"))?)
            .status()?;
        let mut me = Bed {
            root,
            bed,
            env: HashMap::new(),
            keep,
        };
        if !status.success() {
            let out = std::fs::read_to_string(me.root.join("start.log")).unwrap_or_default();
            bail!("the test bed did not start:\n{out}");
        }
        me.env = std::fs::read_to_string(me.bed.join("testbed.env"))?
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Ok(me)
    }

    fn var(&self, key: &str) -> String {
        self.env.get(key).cloned().unwrap_or_default()
    }

    fn port(&self, key: &str) -> u16 {
        self.var(key).parse().unwrap_or(0)
    }

    fn foi_maildir(&self) -> PathBuf {
        Path::new(&self.var("FOID_TB_MAILDIR_ROOT")).join("council.test/foi")
    }

    /// Messages in a folder of the FOI maildir (`""` = inbox), new + cur.
    fn count(&self, folder: &str) -> usize {
        let dir = self.foi_maildir().join(folder);
        ["new", "cur"]
            .iter()
            .map(|s| {
                std::fs::read_dir(dir.join(s))
                    .map(|d| d.count())
                    .unwrap_or(0)
            })
            .sum()
    }

    /// Configuration text for the FOI mailbox: no [smtp], officers set.
    fn config_text(&self, database_url: &str, tls: &str) -> String {
        let port = if tls == "none" {
            self.port("FOID_TB_IMAP_PORT")
        } else {
            self.port("FOID_TB_IMAPS_PORT")
        };
        format!(
            r#"
[council]
name = "Test Borough Council"
address = "{FOI}"
domain = "council.test"

[database]
url = "{database_url}"

[imap]
host = "localhost"
port = {port}
tls = "{tls}"
ca_file = "{ca}"
username = "{FOI}"
password = "{pw}"
processed_folder = "FOI/Processed"
quarantine_folder = "FOI/Quarantine"
sent_folder = "Sent"
timeout_seconds = 60

[officers]
team = ["officer1@council.test", "officer2@council.test"]
manager = "manager@council.test"
"#,
            ca = self.var("FOID_TB_CA"),
            pw = self.var("FOID_TB_PASSWORD"),
        )
    }

    fn config(&self, database_url: &str, tls: &str) -> Result<Config> {
        Config::parse(
            &self.config_text(database_url, tls),
            Path::new("bench.toml"),
        )
        .map_err(|e| anyhow!("{e}"))
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.bed)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if self.keep {
            eprintln!("kept {}", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

// ---------------------------------------------------------------- requests

const FIRST: [&str; 20] = [
    "Sarah", "Tom", "Priya", "Michael", "Karen", "Linda", "Alex", "Dan", "Stella", "Omar", "Grace",
    "Ben", "Aisha", "Rhys", "Fiona", "Harry", "Mei", "Callum", "Joanne", "Kwame",
];
const LAST: [&str; 20] = [
    "Jenkins", "Reed", "Shah", "O'Brien", "Hughes", "Marsh", "Green", "Fowler", "Grant", "Hassan",
    "Walker", "Price", "Khan", "Evans", "Campbell", "Wright", "Chen", "Murray", "Taylor", "Mensah",
];
const DOMAINS: [&str; 5] = [
    "example.com",
    "example.org",
    "example.net",
    "mail.example.co.uk",
    "press.example.com",
];
const TOPICS: [(&str, &str); 8] = [
    ("potholes", "pothole repairs"),
    ("parking", "parking enforcement"),
    ("libraries", "library opening hours"),
    ("agency staff", "agency staff in children's services"),
    ("council tax", "council tax arrears"),
    ("fly-tipping", "fly-tipping incidents"),
    ("street lighting", "street lighting faults"),
    ("school transport", "home to school transport"),
];

/// Request `i` of fill `round`, with LF line ends (as Dovecot stores mail).
fn request(tag: &str, round: usize, i: usize, date: &str) -> Vec<u8> {
    let first = FIRST[i % FIRST.len()];
    let last = LAST[(i / FIRST.len()) % LAST.len()];
    let domain = DOMAINS[i % DOMAINS.len()];
    let local: String = format!("{first}.{last}.{i}")
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let from = format!("{local}@{domain}");
    let (short, long) = TOPICS[(i / 7) % TOPICS.len()];
    let y = 2022 + (i % 4);
    let (subject, body) = match i % 5 {
        0 => (
            format!("Freedom of Information request - {short}"),
            format!(
                "Dear FOI Officer,\n\nPlease provide the following information under the Freedom of Information Act 2000.\n\n1. How many complaints about {long} did the council receive in {y}?\n2. How much did the council spend on {long} in {y}, broken down by month?\n3. How many staff (FTE) work on {long} as at today's date?\n\nI would prefer to receive the information electronically, as a spreadsheet if possible.\n\nKind regards,\n{first} {last}\n"
            ),
        ),
        1 => (
            format!("FOI request: {short}"),
            format!(
                "Hello,\n\nCould you please tell me how many {long} cases were recorded by the council in the financial year {y}/{y2}?\n\nMany thanks,\n{first}\n\nSent from my iPhone\n",
                y2 = (y + 1) % 100
            ),
        ),
        2 => (
            format!("Information request regarding {short}"),
            format!(
                "Dear Sir or Madam,\n\nI am writing to request information about {long}.\n\na) the number of reports made to the council in {y};\nb) the average time taken to resolve a report;\nc) the total cost to the council of dealing with those reports.\n\nPlease treat this as a request under the Freedom of Information Act.\n\nYours faithfully,\n\n{first} {last}\n"
            ),
        ),
        3 => (
            format!("FOI: {short} contracts {y}"),
            format!(
                "Hi,\n\nI'm a reporter at the Local Chronicle looking into {long} across the region.\n\nWhich companies held contracts with the council for {long} in {y}, and what was the value of each contract?\n\nCould you also say whether any of those contracts were awarded without competitive tender?\n\nThanks in advance,\n{first} {last}\nLocal Chronicle newsroom\n07700 900{n:03}\n",
                n = i % 1000
            ),
        ),
        _ => (
            format!("Request for information - {short}"),
            format!(
                "Dear Information Governance team,\n\nUnder the Freedom of Information Act 2000 I would like to request:\n\n1. The council's current policy document on {long}.\n2. The number of staff training sessions held on {long} since January {y}.\n3. Any internal audit reports about {long} produced since {y}.\n4. The name of the senior officer responsible for {long}.\n\nIf any part of this request is unclear, please contact me.\n\nRegards,\n{first} {last}\n"
            ),
        ),
    };
    format!(
        "Return-Path: <{from}>\nReceived: from mx.{domain} (mx.{domain} [192.0.2.{oct}])\n\tby mx.council.test (Postfix) with ESMTPS id 4Xb{tag}{round}q{i}\n\tfor <{FOI}>; {date}\nFrom: {first} {last} <{from}>\nTo: {FOI}\nSubject: {subject}\nDate: {date}\nMessage-ID: <bench-{tag}-{round}-{i}@{domain}>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 7bit\nUser-Agent: Mozilla Thunderbird\n\n{body}",
        oct = 1 + i % 250,
    )
    .into_bytes()
}

fn crlf(lf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lf.len() + lf.len() / 30);
    for &b in lf {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn rfc2822_now() -> String {
    jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .strftime("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

/// Writes n requests into the inbox's `new/` the Maildir way (tmp/, then
/// rename), owned by uid/gid 8 (`mail`), as Dovecot's own delivery names
/// them. Returns how long it took.
fn fill_maildir(bed: &Bed, tag: &str, round: usize, n: usize) -> Result<Duration> {
    let t = Instant::now();
    let root = bed.foi_maildir();
    for sub in ["", "new", "cur", "tmp"] {
        let d = root.join(sub);
        if !d.exists() {
            std::fs::create_dir_all(&d)?;
            std::os::unix::fs::chown(&d, Some(8), Some(8))?;
        }
    }
    let date = rfc2822_now();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let pid = std::process::id();
    for i in 0..n {
        let bytes = request(tag, round, i, &date);
        let vsize = bytes.len() + bytes.iter().filter(|b| **b == b'\n').count();
        let name = format!(
            "{}.M{}P{pid}Q{}R{round}.foidbench,S={},W={vsize}",
            now.as_secs(),
            now.subsec_micros(),
            i + 1,
            bytes.len()
        );
        let tmp = root.join("tmp").join(&name);
        std::fs::write(&tmp, &bytes)?;
        std::os::unix::fs::chown(&tmp, Some(8), Some(8))?;
        std::fs::rename(&tmp, root.join("new").join(&name))?;
    }
    Ok(t.elapsed())
}

/// One untimed SELECT so that Dovecot indexes what was written behind its
/// back (LMTP delivery would have indexed each message as it came).
/// Returns EXISTS.
async fn index_inbox(cfg: &Config) -> Result<u32> {
    let mut conn = ImapConnection::connect(cfg.imap.as_ref().context("[imap]")?).await?;
    let mb = conn.session.select("INBOX").await?;
    conn.logout().await;
    Ok(mb.exists)
}

async fn fill(bed: &Bed, cfg: &Config, tag: &str, round: usize, n: usize) -> Result<()> {
    let before = index_inbox(cfg).await?;
    if before != 0 {
        bail!("the inbox holds {before} messages before a fill");
    }
    let took = fill_maildir(bed, tag, round, n)?;
    let t = Instant::now();
    let exists = index_inbox(cfg).await?;
    if exists as usize != n {
        bail!("after writing {n} messages the inbox has {exists}");
    }
    eprintln!(
        "  filled the inbox with {n} requests: written in {:.2} s, indexed by Dovecot in {:.2} s (untimed)",
        took.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---------------------------------------------------------------- a. raw

struct RawResult {
    total: Duration,
    fetch: Duration,
    messages: usize,
    bytes: usize,
}

async fn raw_fetch(cfg: &Config) -> Result<RawResult> {
    let t0 = Instant::now();
    let mut conn = ImapConnection::connect(cfg.imap.as_ref().context("[imap]")?).await?;
    let mb = conn.session.select("INBOX").await?;
    let hi = i64::from(mb.uid_next.context("UIDNEXT")?) - 1;
    let lo = (hi - i64::from(mb.exists) + 1).max(1);
    let t1 = Instant::now();
    let (mut messages, mut bytes) = (0usize, 0usize);
    let mut start = lo;
    while start <= hi {
        let end = (start + 499).min(hi);
        let (m, b) = conn
            .session
            .uid_fetch(format!("{start}:{end}"), "(UID BODY.PEEK[])")
            .await?
            .try_fold((0usize, 0usize), |(m, b), f| async move {
                Ok((m + 1, b + f.body().map_or(0, <[u8]>::len)))
            })
            .await?;
        messages += m;
        bytes += b;
        start = end + 1;
    }
    let fetch = t1.elapsed();
    conn.logout().await;
    Ok(RawResult {
        total: t0.elapsed(),
        fetch,
        messages,
        bytes,
    })
}

// ---------------------------------------------------------------- b. foid

struct FoidResult {
    total: Duration,
    breakdown: Option<Breakdown>,
}

#[derive(Default, Debug, Clone)]
struct Breakdown {
    connect: Duration,
    sizes: Duration,
    bodies: Duration,
    store: Duration,
    process: Duration,
    moves: Duration,
}

static DROP_ACK_INDEX: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

async fn open_store(url: &str) -> Result<Store> {
    let store = Store::open(url).await?;
    store.migrate().await?;
    if DROP_ACK_INDEX.load(std::sync::atomic::Ordering::Relaxed) {
        // For comparison only: the schema as it was before migration 0002.
        sqlx::query("DROP INDEX IF EXISTS outbox_acknowledgements")
            .execute(store.pool())
            .await?;
    }
    Ok(store)
}

/// Checks that the pass did all of it: N cases, 2N queued mails, no raw
/// message left unprocessed, the inbox empty.
async fn verify(bed: &Bed, store: &Store, n: usize, processed_before: usize) -> Result<()> {
    let cases = store.case_count().await?;
    let states = store.raw_states().await?;
    let outbox = store.outbox_summary().await?;
    let queued: i64 = outbox
        .iter()
        .filter(|(s, _, _)| s == "queued")
        .map(|(_, _, c)| c)
        .sum();
    let inbox = bed.count("");
    let processed = bed.count(".FOI.Processed") - processed_before;
    if cases as usize != n
        || queued as usize != 2 * n
        || inbox != 0
        || processed != n
        || states != vec![("processed".to_string(), n as i64)]
    {
        bail!(
            "incomplete pass: {cases} cases, outbox {outbox:?}, raw {states:?}, inbox {inbox}, moved {processed} (wanted {n})"
        );
    }
    eprintln!(
        "  verified: {cases} cases, {queued} mails queued (acknowledgement + case email each), inbox empty, {processed} moved to FOI/Processed"
    );
    Ok(())
}

async fn foid_pass(bed: &Bed, url: &str, n: usize) -> Result<FoidResult> {
    let config = bed.config(url, "implicit")?;
    let store = open_store(url).await?;
    let ctx = Context::new(config, store.clone()).await?;
    let before = bed.count(".FOI.Processed");
    let t = Instant::now();
    foid::daemon::ingest::run_pass(&ctx).await?;
    let total = t.elapsed();
    verify(bed, &store, n, before).await?;
    store.close().await;
    Ok(FoidResult {
        total,
        breakdown: None,
    })
}

/// The same pipeline as `ingest::run_pass` (folders, SELECT, per window:
/// sizes, bodies, store with checkpoint, process, move), rebuilt from
/// foid's public pieces with a timer around each stage. Oversize handling
/// and UIDVALIDITY changes are left out: the bench has neither.
async fn foid_breakdown(bed: &Bed, url: &str, n: usize) -> Result<FoidResult> {
    let config = bed.config(url, "implicit")?;
    let store = open_store(url).await?;
    let ctx = Context::new(config, store.clone()).await?;
    let cfg = ctx.config.imap.clone().context("[imap]")?;
    let before = bed.count(".FOI.Processed");
    let mut b = Breakdown::default();
    let t = Instant::now();
    let mut conn = ImapConnection::connect(&cfg).await?;
    let processed_folder = conn.ensure_folder(&cfg.processed_folder).await?;
    conn.ensure_folder(&cfg.quarantine_folder).await?;
    let mb = conn.session.select("INBOX").await?;
    let uidvalidity = i64::from(mb.uid_validity.context("UIDVALIDITY")?);
    let hi = i64::from(mb.uid_next.context("UIDNEXT")?) - 1;
    let mut checkpoint = ctx
        .store
        .checkpoint(&cfg.mailbox)
        .await?
        .unwrap_or(Checkpoint {
            mailbox: cfg.mailbox.clone(),
            uidvalidity,
            last_uid: 0,
        });
    b.connect = t.elapsed();
    let window = i64::from(cfg.fetch_window);
    while checkpoint.last_uid < hi {
        let start = checkpoint.last_uid + 1;
        let end = (start + window - 1).min(hi);
        let s = Instant::now();
        let sizes: Vec<(u32, Option<i64>)> = conn
            .session
            .uid_fetch(format!("{start}:{end}"), "(UID RFC822.SIZE INTERNALDATE)")
            .await?
            .try_filter_map(|f| async move {
                Ok(f.uid.map(|u| (u, f.internal_date().map(|d| d.timestamp()))))
            })
            .try_collect()
            .await?;
        b.sizes += s.elapsed();
        let s = Instant::now();
        let uids: Vec<u32> = sizes.iter().map(|(u, _)| *u).collect();
        let mut bodies: HashMap<u32, Vec<u8>> = HashMap::new();
        if !uids.is_empty() {
            let got: Vec<(u32, Vec<u8>)> = conn
                .session
                .uid_fetch(uid_set(&uids), "(UID BODY.PEEK[])")
                .await?
                .try_filter_map(|f| async move {
                    Ok(match (f.uid, f.body()) {
                        (Some(u), Some(body)) => Some((u, body.to_vec())),
                        _ => None,
                    })
                })
                .try_collect()
                .await?;
            bodies.extend(got);
        }
        let now = ctx.now();
        let fetched: Vec<NewRawMessage> = sizes
            .into_iter()
            .filter_map(|(uid, internal)| {
                let bytes = bodies.remove(&uid)?;
                let sha256 = foid::mail::raw::sha256_hex(&bytes);
                Some(NewRawMessage {
                    message_id: foid::mail::raw::stored_message_id(&bytes, &sha256),
                    sha256,
                    bytes,
                    source: foid::core::case::Source::Imap,
                    mailbox: Some(checkpoint.mailbox.clone()),
                    uidvalidity: Some(uidvalidity),
                    uid: Some(i64::from(uid)),
                    arrived_at: internal
                        .and_then(|s| jiff::Timestamp::from_second(s).ok())
                        .unwrap_or(now),
                    quarantine_reason: None,
                })
            })
            .collect();
        b.bodies += s.elapsed();
        let s = Instant::now();
        checkpoint.last_uid = end;
        ctx.store
            .store_fetched(&checkpoint, &fetched, ctx.now())
            .await?;
        b.store += s.elapsed();
        let s = Instant::now();
        foid::daemon::process::process_pending(&ctx).await?;
        b.process += s.elapsed();
        let s = Instant::now();
        let pending = ctx.store.server_pending(&cfg.mailbox).await?;
        let done: Vec<_> = pending.iter().filter(|p| p.state != "new").collect();
        let uids: Vec<u32> = done.iter().map(|p| p.uid as u32).collect();
        let ids: Vec<i64> = done.iter().map(|p| p.id).collect();
        for (u, i) in uids.chunks(500).zip(ids.chunks(500)) {
            conn.move_uids(u, &processed_folder).await?;
            ctx.store.mark_server_done(i).await?;
        }
        b.moves += s.elapsed();
    }
    conn.logout().await;
    let total = t.elapsed();
    verify(bed, &store, n, before).await?;
    store.close().await;
    Ok(FoidResult {
        total,
        breakdown: Some(b),
    })
}

/// The cost of one statement and of one small transaction through foid's
/// Store (sqlx Any driver): the floor under processing's ~20 statements
/// and one commit per message.
async fn roundtrip(url: &str) -> Result<(f64, f64)> {
    let store = open_store(url).await?;
    let n = 20_000;
    let mut tx = store.begin().await?;
    let t = Instant::now();
    for i in 0..n {
        let _: i64 = sqlx::query_scalar("SELECT $1")
            .bind(i as i64)
            .fetch_one(&mut *tx)
            .await?;
    }
    let per_statement = t.elapsed().as_secs_f64() / n as f64;
    tx.commit().await?;
    let k = 2_000;
    let t = Instant::now();
    for i in 0..k {
        let mut tx = store.begin().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('bench', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(i.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    let per_tx = t.elapsed().as_secs_f64() / k as f64;
    store.close().await;
    Ok((per_statement, per_tx))
}

/// A fresh PostgreSQL database on the test bed's server.
async fn fresh_pg(bed: &Bed, name: &str) -> Result<String> {
    let base = bed.var("FOID_TB_PG_URL");
    let admin = Store::open(&base).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.pool())
        .await?;
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').context("PG url")?;
    Ok(format!("{prefix}/{name}"))
}

// ---------------------------------------------------------------- c. IDLE

/// A small async SMTP client for the MX port.
struct Smtp {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Smtp {
    async fn connect(port: u16) -> Result<Smtp> {
        let s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        s.set_nodelay(true)?;
        let (r, w) = s.into_split();
        let mut c = Smtp {
            r: BufReader::new(r),
            w,
        };
        c.expect("220").await?;
        c.command("EHLO bench.example", "250").await?;
        Ok(c)
    }

    async fn expect(&mut self, code: &str) -> Result<String> {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.r.read_line(&mut line).await? == 0 {
                bail!("SMTP connection closed");
            }
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                break;
            }
        }
        if !all.starts_with(code) {
            bail!("expected {code}, got {all}");
        }
        Ok(all)
    }

    async fn command(&mut self, line: &str, code: &str) -> Result<String> {
        self.w.write_all(format!("{line}\r\n").as_bytes()).await?;
        self.expect(code).await
    }

    /// Sends one message (CRLF, no line starting with a dot); returns the
    /// instant the 250 after DATA was read.
    async fn send(&mut self, from: &str, bytes: &[u8]) -> Result<Instant> {
        self.command(&format!("MAIL FROM:<{from}>"), "250").await?;
        self.command(&format!("RCPT TO:<{FOI}>"), "250").await?;
        self.command("DATA", "354").await?;
        let mut data = bytes.to_vec();
        if !data.ends_with(b"\r\n") {
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b".\r\n");
        self.w.write_all(&data).await?;
        self.expect("250").await?;
        Ok(Instant::now())
    }

    async fn quit(mut self) {
        let _ = self.command("QUIT", "221").await;
    }
}

fn idle_request(tag: &str, round: usize, i: usize) -> (String, Vec<u8>) {
    // Requesters distinct from the bulk fills' and from each other.
    let bytes = request(tag, round, 100_000 + i, &rfc2822_now());
    let text = String::from_utf8_lossy(&bytes);
    let from = text
        .lines()
        .find_map(|l| l.strip_prefix("Return-Path: <"))
        .and_then(|l| l.strip_suffix('>'))
        .unwrap_or("someone@example.com")
        .to_string();
    (from, crlf(&bytes))
}

async fn random_pause((lo, hi): (u64, u64)) {
    let ms = rand::thread_rng().gen_range(lo..hi);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

fn foid_binary() -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--bin", "foid", "--quiet"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("cargo build --release --bin foid failed");
    }
    Ok(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/foid"))
}

/// The real daemon in IDLE; latency from 250 to the case row, per message.
async fn daemon_latency(
    bed: &Bed,
    bin: &Path,
    tag: &str,
    rep: usize,
    m: usize,
    pause: (u64, u64),
    race: Option<(u64, u64)>,
) -> Result<(Vec<Duration>, usize)> {
    let db = bed.root.join(format!("idle-{rep}.db"));
    let url = format!("sqlite://{}", db.display());
    let cfg_path = bed.root.join(format!("idle-{rep}.toml"));
    std::fs::write(&cfg_path, bed.config_text(&url, "implicit"))?;
    let log_path = bed.root.join(format!("idle-{rep}.log"));
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(&cfg_path)
        .arg("run")
        .env_remove("FOID_CONFIG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(
            bed.root.join(format!("idle-{rep}.out")),
        )?)
        .stderr(std::fs::File::create(&log_path)?)
        .spawn()?;
    let result: Result<(Vec<Duration>, usize)> = async {
        // Idle: connected, the (empty) inbox drained, IDLE issued.
        let t = Instant::now();
        loop {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            if log.contains("IMAP connected") {
                break;
            }
            if t.elapsed() > Duration::from_secs(30) {
                bail!("foid did not connect:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let ro = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&db)
            .read_only(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(ro)
            .await?;
        let count = |pool: sqlx::SqlitePool| async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases")
                .fetch_one(&pool)
                .await
        };
        let base = count(pool.clone()).await?;
        let mut smtp = Smtp::connect(bed.port("FOID_TB_SMTP_PORT")).await?;
        let mut out = Vec::with_capacity(m);
        let mut misses = 0usize;
        if let Some(gap) = race {
            // Two messages per round, the second sent while the daemon is
            // likely busy with the first (woken ~0.5 s after it): does the
            // daemon still see the second without waiting for more mail?
            for i in 0..m {
                random_pause(pause).await;
                let before = count(pool.clone()).await?;
                let (from, bytes) = idle_request(tag, rep, 2 * i);
                smtp.send(&from, &bytes).await?;
                random_pause(gap).await;
                let (from, bytes) = idle_request(tag, rep, 2 * i + 1);
                let sent = smtp.send(&from, &bytes).await?;
                loop {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    if count(pool.clone()).await? >= before + 2 {
                        out.push(sent.elapsed());
                        break;
                    }
                    if sent.elapsed() > Duration::from_secs(30) {
                        eprintln!("  round {i}: second message has no case 30 s after its 250 (missed wake-up)");
                        misses += 1;
                        break;
                    }
                }
            }
            smtp.quit().await;
            pool.close().await;
            return Ok((out, misses));
        }
        for i in 0..m {
            random_pause(pause).await;
            let (from, bytes) = idle_request(tag, rep, i);
            let sent = smtp.send(&from, &bytes).await?;
            let mut tick = tokio::time::interval(Duration::from_millis(5));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if count(pool.clone()).await? > base + i as i64 {
                    out.push(sent.elapsed());
                    break;
                }
                if sent.elapsed() > Duration::from_secs(30) {
                    // Not woken by this message: it stays in the inbox
                    // until something else wakes the daemon (the next
                    // message here). Counted, and left out of the figures.
                    eprintln!("  message {i}: no case 30 s after the 250 (missed wake-up)");
                    misses += 1;
                    break;
                }
            }
        }
        smtp.quit().await;
        pool.close().await;
        Ok((out, misses))
    }
    .await;
    // SIGTERM, as systemd stops it.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let t = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if t.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("  foid did not stop within 20 s of SIGTERM; killed");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    result
}

/// The floor: a bare async-imap client in IDLE on the inbox; latency from
/// the 250 to the EXISTS.
async fn idle_floor(
    bed: &Bed,
    tag: &str,
    rep: usize,
    m: usize,
    pause: (u64, u64),
) -> Result<Vec<Duration>> {
    let cfg = bed.config("sqlite::memory:", "implicit")?;
    let conn = ImapConnection::connect(cfg.imap.as_ref().context("[imap]")?).await?;
    let mut session = conn.session;
    let start_exists = session.select("INBOX").await?.exists;
    let mut smtp = Smtp::connect(bed.port("FOID_TB_SMTP_PORT")).await?;
    let mut out = Vec::with_capacity(m);
    for i in 0..m {
        let mut idle = session.idle();
        idle.init().await?;
        random_pause(pause).await;
        let (from, bytes) = idle_request(tag, 1000 + rep, i);
        let sent = smtp.send(&from, &bytes).await?;
        loop {
            let (fut, _stop) = idle.wait_with_timeout(Duration::from_secs(60));
            match fut.await? {
                async_imap::extensions::idle::IdleResponse::NewData(d) => {
                    if matches!(
                        d.parsed(),
                        async_imap::imap_proto::Response::MailboxData(
                            async_imap::imap_proto::MailboxDatum::Exists(_)
                        )
                    ) {
                        out.push(sent.elapsed());
                        break;
                    }
                }
                other => bail!("message {i}: IDLE ended without EXISTS: {other:?}"),
            }
        }
        session = idle.done().await?;
    }
    smtp.quit().await;
    // Leave the inbox as it was: the next run starts empty.
    let n = session.select("INBOX").await?.exists;
    if n > start_exists {
        let _: Vec<_> = session
            .store(
                format!("{}:*", start_exists + 1),
                "+FLAGS.SILENT (\\Deleted)",
            )
            .await?
            .try_collect()
            .await?;
        let _: Vec<_> = session.expunge().await?.try_collect().await?;
    }
    let _ = session.logout().await;
    Ok(out)
}

// ---------------------------------------------------------------- report

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Nearest-rank percentile.
fn percentile(v: &[Duration], p: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    s.sort_by(|a, b| a.total_cmp(b));
    if s.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Default)]
struct Report {
    rows: Vec<(String, String)>,
}

impl Report {
    fn row(&mut self, what: impl Into<String>, value: impl Into<String>) {
        let (w, v) = (what.into(), value.into());
        eprintln!("  => {w}: {v}");
        self.rows.push((w, v));
    }
}

// ---------------------------------------------------------------- main

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let o = options()?;
    DROP_ACK_INDEX.store(o.drop_ack_index, std::sync::atomic::Ordering::Relaxed);
    let tag = format!("{:x}", std::process::id());
    eprintln!(
        "bench_ingest: N={} M={} reps={} ; load average {} ; {} cores",
        o.n,
        o.m,
        o.reps,
        load(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let bin = if o.idle { Some(foid_binary()?) } else { None };
    let bed = Bed::start(o.keep)?;
    eprintln!("test bed up in {}", bed.bed.display());
    let tls_cfg = bed.config("sqlite::memory:", "implicit")?;
    let plain_cfg = bed.config("sqlite::memory:", "none")?;
    let mut report = Report::default();
    let mut round = 0usize;
    let n = o.n;

    let mut raw_tls = Vec::new();
    let mut raw_plain = Vec::new();
    if o.raw {
        round += 1;
        fill(&bed, &tls_cfg, &tag, round, n).await?;
        for rep in 0..o.reps {
            for (label, cfg, acc) in [
                ("TLS", &tls_cfg, &mut raw_tls),
                ("plain", &plain_cfg, &mut raw_plain),
            ] {
                eprintln!(
                    "a. raw fetch over {label}, run {} (load {})",
                    rep + 1,
                    load()
                );
                let r = raw_fetch(cfg).await?;
                if r.messages != n {
                    bail!("raw fetch got {} messages, wanted {n}", r.messages);
                }
                eprintln!(
                    "  {} messages, {:.1} MiB: {:.3} s in all ({:.3} s fetching), {:.0} messages/s",
                    r.messages,
                    r.bytes as f64 / 1048576.0,
                    r.total.as_secs_f64(),
                    r.fetch.as_secs_f64(),
                    n as f64 / r.total.as_secs_f64()
                );
                acc.push(r.total.as_secs_f64());
            }
        }
        for (label, v) in [("TLS", &raw_tls), ("plain", &raw_plain)] {
            let m = median(v);
            report.row(
                format!("a. raw fetch, {label}, N={n}"),
                format!(
                    "median {m:.3} s = {:.0} msg/s (runs: {})",
                    n as f64 / m,
                    fmt_runs(v)
                ),
            );
        }
        // Empty the inbox for (b): move everything to a scratch folder.
        clear_inbox(&tls_cfg).await?;
    }

    if o.foid {
        let mut backends: Vec<&str> = vec!["sqlite"];
        if o.pg {
            backends.push("postgres");
        }
        for backend in backends {
            let mut totals = Vec::new();
            let mut breakdowns = Vec::new();
            for rep in 0..o.reps {
                round += 1;
                fill(&bed, &tls_cfg, &tag, round, n).await?;
                let url = match backend {
                    "sqlite" => format!(
                        "sqlite://{}",
                        bed.root.join(format!("b-{rep}.db")).display()
                    ),
                    _ => fresh_pg(&bed, &format!("bench_b_{rep}")).await?,
                };
                eprintln!(
                    "b. foid ingest+process on {backend}, run {} (load {})",
                    rep + 1,
                    load()
                );
                let r = foid_pass(&bed, &url, n).await?;
                eprintln!(
                    "  {n} messages in {:.3} s, {:.0} messages/s",
                    r.total.as_secs_f64(),
                    n as f64 / r.total.as_secs_f64()
                );
                totals.push(r.total.as_secs_f64());
                if o.breakdown {
                    round += 1;
                    fill(&bed, &tls_cfg, &tag, round, n).await?;
                    let url = match backend {
                        "sqlite" => format!(
                            "sqlite://{}",
                            bed.root.join(format!("bd-{rep}.db")).display()
                        ),
                        _ => fresh_pg(&bed, &format!("bench_bd_{rep}")).await?,
                    };
                    eprintln!("b'. the same, stage by stage (load {})", load());
                    let r = foid_breakdown(&bed, &url, n).await?;
                    let b = r.breakdown.clone().unwrap_or_default();
                    eprintln!("  {:.3} s in all: {b:?}", r.total.as_secs_f64());
                    breakdowns.push((r.total, b));
                }
            }
            let m = median(&totals);
            let mut line = format!(
                "median {m:.3} s = {:.0} msg/s (runs: {})",
                n as f64 / m,
                fmt_runs(&totals)
            );
            if !raw_tls.is_empty() {
                line.push_str(&format!("; foid/raw(TLS) = {:.1}x", m / median(&raw_tls)));
            }
            report.row(format!("b. foid ingest+process, {backend}, N={n}"), line);
            for (i, (total, b)) in breakdowns.iter().enumerate() {
                let t = total.as_secs_f64();
                let pct = |d: Duration| 100.0 * d.as_secs_f64() / t;
                report.row(
                    format!("b'. stages, {backend}, run {}", i + 1),
                    format!(
                        "{t:.2} s: connect+select {:.2} s, sizes {:.2} s ({:.0}%), bodies {:.2} s ({:.0}%), store {:.2} s ({:.0}%), process {:.2} s ({:.0}%), move {:.2} s ({:.0}%)",
                        b.connect.as_secs_f64(),
                        b.sizes.as_secs_f64(),
                        pct(b.sizes),
                        b.bodies.as_secs_f64(),
                        pct(b.bodies),
                        b.store.as_secs_f64(),
                        pct(b.store),
                        b.process.as_secs_f64(),
                        pct(b.process),
                        b.moves.as_secs_f64(),
                        pct(b.moves),
                    ),
                );
            }
        }
    }

    if o.roundtrip {
        let mut backends = vec![(
            "sqlite",
            format!("sqlite://{}", bed.root.join("rt.db").display()),
        )];
        if o.pg {
            backends.push(("postgres", fresh_pg(&bed, "bench_rt").await?));
        }
        for (backend, url) in backends {
            let mut st = Vec::new();
            let mut tx = Vec::new();
            for _ in 0..o.reps {
                eprintln!("round trips on {backend} (load {})", load());
                let (a, b) = roundtrip(&url).await?;
                st.push(a * 1e6);
                tx.push(b * 1e6);
            }
            report.row(
                format!("round trip floor, {backend}"),
                format!(
                    "one statement {:.0} us, one transaction (BEGIN, 1 upsert, COMMIT) {:.0} us (medians of {} runs)",
                    median(&st),
                    median(&tx),
                    o.reps
                ),
            );
        }
    }

    if let Some(bin) = bin {
        let m = o.m;
        let mut foid_runs: Vec<Vec<Duration>> = Vec::new();
        let mut floor_runs: Vec<Vec<Duration>> = Vec::new();
        let mut misses: Vec<usize> = Vec::new();
        for rep in 0..o.reps {
            eprintln!(
                "c. IDLE latency through foid, run {} (load {})",
                rep + 1,
                load()
            );
            let (v, missed) = daemon_latency(&bed, &bin, &tag, rep, m, o.pause_ms, o.race).await?;
            eprintln!(
                "  p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms, {missed} missed",
                percentile(&v, 50.0),
                percentile(&v, 90.0),
                percentile(&v, 100.0)
            );
            foid_runs.push(v);
            misses.push(missed);
            eprintln!(
                "c. IDLE floor (bare client), run {} (load {})",
                rep + 1,
                load()
            );
            let v = idle_floor(&bed, &tag, rep, m, o.pause_ms).await?;
            eprintln!(
                "  p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms",
                percentile(&v, 50.0),
                percentile(&v, 90.0),
                percentile(&v, 100.0)
            );
            floor_runs.push(v);
        }
        let stat = |runs: &[Vec<Duration>], p: f64| {
            median(&runs.iter().map(|v| percentile(v, p)).collect::<Vec<_>>())
        };
        for (label, runs) in [
            ("foid run (250 -> case row)", &foid_runs),
            ("floor (250 -> EXISTS)", &floor_runs),
        ] {
            report.row(
                format!("c. IDLE latency, {label}, M={m}"),
                format!(
                    "p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms (median over {} runs; per run p50: {})",
                    stat(runs, 50.0),
                    stat(runs, 90.0),
                    stat(runs, 100.0),
                    runs.len(),
                    runs.iter()
                        .map(|v| format!("{:.0}", percentile(v, 50.0)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        report.row(
            format!("c. foid run: messages with no case within 30 s, M={m}"),
            format!(
                "{} (per run: {})",
                misses.iter().sum::<usize>(),
                misses
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        report.row(
            format!("c. foid's own cost (difference), M={m}"),
            format!(
                "p50 {:+.0} ms, p90 {:+.0} ms",
                stat(&foid_runs, 50.0) - stat(&floor_runs, 50.0),
                stat(&foid_runs, 90.0) - stat(&floor_runs, 90.0)
            ),
        );
    }

    println!();
    println!(
        "bench_ingest summary (N={}, M={}, reps={}, load now {})",
        o.n,
        o.m,
        o.reps,
        load()
    );
    let width = report.rows.iter().map(|(w, _)| w.len()).max().unwrap_or(0);
    for (w, v) in &report.rows {
        println!("{w:<width$}  {v}");
    }
    drop(bed);
    Ok(())
}

fn fmt_runs(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Moves the inbox to a scratch folder, so the next fill starts empty.
async fn clear_inbox(cfg: &Config) -> Result<()> {
    let mut conn = ImapConnection::connect(cfg.imap.as_ref().context("[imap]")?).await?;
    let scratch = conn.ensure_folder("BenchScratch").await?;
    let mb = conn.session.select("INBOX").await?;
    if mb.exists > 0 {
        conn.session.mv("1:*", &scratch).await?;
    }
    conn.logout().await;
    Ok(())
}
