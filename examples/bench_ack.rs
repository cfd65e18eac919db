//! Request → acknowledgement latency over the real test bed: issue 8's
//! figure. Not a test; it prints figures.
//!
//!     cargo run --release --example bench_ack -- [M] [--reps R] [--oauth TTL]
//!
//! Starts its own test bed (tests/testbed/testbed.sh), then the release
//! binary `foid run` with IMAP IDLE and SMTP submission. M (default 30)
//! requests are sent one at a time to Postfix's MX port, each from its own
//! address (`alice+bN@public.test`, which Postfix and Dovecot deliver to
//! alice's mailbox, so the per-sender acknowledgement limit never holds one
//! back), after a random pause of 100–300 ms. For each, the time from
//! Postfix's 250 after DATA until the acknowledgement is a file in alice's
//! Maildir (polled every 2 ms). Reports p50, p90, p99 and max per run.
//!
//! With `--oauth TTL`, IMAP and SMTP log in with OAuth 2.0 tokens from the
//! test bed's provider, which issues them for TTL seconds; the run also
//! reports how many tokens were fetched and how many IMAP logins made.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use rand::Rng;

use common::{request, TestBed, FOI};

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

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    let i = ((sorted_ms.len() as f64 - 1.0) * p).round() as usize;
    sorted_ms[i.min(sorted_ms.len() - 1)]
}

struct Run {
    ms: Vec<f64>,
    seconds: f64,
    /// With OAuth: tokens issued, IMAP logins.
    tokens: Option<(usize, usize)>,
}

fn run(bin: &Path, rep: usize, m: usize, oauth_ttl: Option<u64>) -> Result<Run> {
    let ttl = oauth_ttl.map(|t| t.to_string());
    let settings: Vec<(&str, &str)> = ttl
        .as_deref()
        .map(|t| vec![("FOID_TB_OAUTH_TTL", t)])
        .unwrap_or_default();
    let bed = TestBed::start_with(&settings);
    let url = bed.sqlite_url(&format!("ack-{rep}.db"));
    let config = match oauth_ttl {
        None => bed.write_config(&format!("ack-{rep}.toml"), &url, ""),
        Some(_) => {
            let secret = bed.dir.path().join("secret");
            std::fs::write(&secret, bed.var("FOID_TB_OAUTH_SECRET"))?;
            let path = bed.dir.path().join(format!("ack-{rep}.toml"));
            let text = bed.oauth_config_text(&url, FOI, &bed.generic_oauth2(&secret), "");
            std::fs::write(&path, text)?;
            path
        }
    };
    let started = Instant::now();
    let log = bed.dir.path().join("foid.log");
    let mut child = Command::new(bin)
        .args(["--config", config.to_str().context("path")?, "run"])
        .env_remove("FOID_CONFIG")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()?;
    let result = (|| {
        let t = Instant::now();
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("IMAP connected")
        {
            if t.elapsed() > Duration::from_secs(30) {
                bail!("foid did not connect");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_secs(2));
        let mut smtp = bed.smtp();
        let mut out = Vec::with_capacity(m);
        let mut rng = rand::thread_rng();
        for i in 0..m {
            std::thread::sleep(Duration::from_millis(rng.gen_range(100..300)));
            let before = bed.maildir_count("alice@public.test", "");
            let from = format!("alice+b{rep}x{i}@public.test");
            let bytes = request(
                rep * 1000 + i,
                &from,
                "Library opening hours",
                "1. What were the opening hours of each library in 2025?",
            );
            smtp.send(&from, FOI, &bytes);
            let accepted = Instant::now();
            loop {
                if bed.maildir_count("alice@public.test", "") > before {
                    out.push(accepted.elapsed().as_secs_f64() * 1000.0);
                    break;
                }
                if accepted.elapsed() > Duration::from_secs(30) {
                    bail!("request {i}: no acknowledgement 30 s after the 250");
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        smtp.quit();
        Ok(out)
    })();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let tokens = oauth_ttl.map(|_| {
        let issued = read(bed.var("FOID_TB_OAUTH_LOG").into())
            .matches("token issued to foid")
            .count();
        let logins = read(bed.dir.path().join("bed/log/dovecot.log"))
            .matches("Login: user=<foi@council.test>, method=XOAUTH2")
            .count();
        (issued, logins)
    });
    Ok(Run {
        ms: result?,
        seconds: started.elapsed().as_secs_f64(),
        tokens,
    })
}

fn main() -> Result<()> {
    let mut m = 30;
    let mut reps = 2;
    let mut oauth_ttl = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reps" => reps = args.next().context("--reps R")?.parse()?,
            "--oauth" => oauth_ttl = Some(args.next().context("--oauth TTL")?.parse()?),
            n if n.chars().all(|c| c.is_ascii_digit()) => m = n.parse()?,
            other => bail!("unknown argument {other:?}"),
        }
    }
    let bin = foid_binary()?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "request -> acknowledgement, {m} requests, {}, load {}",
        match oauth_ttl {
            Some(ttl) => format!("OAuth 2.0 tokens of {ttl} s"),
            None => "password logins".into(),
        },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for rep in 0..reps {
        let Run {
            mut ms,
            seconds,
            tokens,
        } = run(&bin, rep, m, oauth_ttl)?;
        ms.sort_by(f64::total_cmp);
        println!(
            "run {}: p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms, {seconds:.0} s{}",
            rep + 1,
            percentile(&ms, 0.5),
            percentile(&ms, 0.9),
            percentile(&ms, 0.99),
            ms[ms.len() - 1],
            tokens
                .map(|(issued, logins)| format!(", {issued} tokens fetched, {logins} IMAP logins"))
                .unwrap_or_default()
        );
    }
    Ok(())
}
