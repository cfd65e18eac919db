//! `foid demo`: a first look with no mail server and no network. Creates a
//! throwaway workspace (SQLite database, a Maildir seeded with realistic
//! mail, a configuration file), runs the real pipeline over it and prints
//! the cases.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::{maildir, Context};
use crate::config::Config;
use crate::core::case::Closure;
use crate::store::{CaseView, Store};

/// The seeded mail: requests of every kind, and the robots' mail that must
/// not become a case.
const SEED: &[(&str, &str)] = &[
    (
        "01-whatdotheyknow.eml",
        include_str!("../../config/demo/01-whatdotheyknow.eml"),
    ),
    (
        "02-vendor-survey.eml",
        include_str!("../../config/demo/02-vendor-survey.eml"),
    ),
    (
        "03-journalist.eml",
        include_str!("../../config/demo/03-journalist.eml"),
    ),
    (
        "04-eir-air-quality.eml",
        include_str!("../../config/demo/04-eir-air-quality.eml"),
    ),
    ("05-sar.eml", include_str!("../../config/demo/05-sar.eml")),
    (
        "06-internal-review.eml",
        include_str!("../../config/demo/06-internal-review.eml"),
    ),
    (
        "07-outlook-html.eml",
        include_str!("../../config/demo/07-outlook-html.eml"),
    ),
    (
        "08-prose.eml",
        include_str!("../../config/demo/08-prose.eml"),
    ),
    (
        "09-lettered.eml",
        include_str!("../../config/demo/09-lettered.eml"),
    ),
    (
        "10-out-of-office.eml",
        include_str!("../../config/demo/10-out-of-office.eml"),
    ),
    (
        "11-bounce.eml",
        include_str!("../../config/demo/11-bounce.eml"),
    ),
    (
        "12-newsletter.eml",
        include_str!("../../config/demo/12-newsletter.eml"),
    ),
];

pub struct DemoResult {
    pub workspace: PathBuf,
    pub cases: Vec<CaseView>,
}

pub async fn run(dir: Option<PathBuf>) -> Result<DemoResult> {
    let workspace = match dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "foid-demo-{}-{}",
            std::process::id(),
            jiff::Timestamp::now().as_second()
        )),
    };
    let config_path = create_workspace(&workspace)?;
    let config = Config::load(&config_path)?;
    let store = Store::open(&config.database.url).await?;
    store.migrate().await?;
    let ctx = Context::new(config, store.clone()).await?;
    maildir::ingest_pass(&ctx).await?;

    let cases = store.cases(false).await?;
    print_cases(&cases);
    let not_cases = store.not_cases().await?;
    if !not_cases.is_empty() {
        println!("\nMail that made no case:");
        for (message_id, kind, reason) in &not_cases {
            println!(
                "  {:<12} {}  ({})",
                kind.as_deref().unwrap_or("-"),
                message_id,
                reason.as_deref().unwrap_or("-")
            );
        }
    }
    let outbox: i64 = store
        .outbox_summary()
        .await?
        .iter()
        .map(|(_, _, n)| n)
        .sum();
    println!(
        "\n{outbox} email(s) (acknowledgements and case emails) wait in the outbox; the demo has no [smtp], so none is sent."
    );
    println!("\nWorkspace:     {}", workspace.display());
    println!("Configuration: {}", config_path.display());
    println!("Database:      {}", workspace.join("foid.db").display());
    println!("Maildir:       {}", workspace.join("Maildir").display());
    println!(
        "\nLook closer:   foid --config {} show {}",
        config_path.display(),
        cases.first().map(|c| c.reference.as_str()).unwrap_or("REF")
    );
    store.close().await;
    Ok(DemoResult { workspace, cases })
}

/// Writes the Maildir (each message delivered at its Date), and a
/// configuration that uses it. Returns the configuration's path.
fn create_workspace(workspace: &Path) -> Result<PathBuf> {
    let maildir = workspace.join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub))
            .with_context(|| format!("cannot create {}", maildir.join(sub).display()))?;
    }
    for (name, text) in SEED {
        let path = maildir.join("new").join(name);
        if maildir.join("cur").join(format!("{name}:2,S")).exists() {
            continue;
        }
        std::fs::write(&path, text.replace('\n', "\r\n"))?;
        if let Some(delivered) = date_header(text) {
            let file = std::fs::File::options().write(true).open(&path)?;
            file.set_modified(delivered.into())?;
        }
    }
    let config_path = workspace.join("foid.toml");
    let config = format!(
        r#"# foid demo workspace: a local Maildir instead of IMAP, no SMTP.
[council]
name = "Example Borough Council"
address = "foi@council.example"
domain = "council.example"
region = "england-and-wales"

[database]
url = "sqlite://{db}"

[source]
maildir = "{maildir}"

[officers]
team = ["officer@council.example"]
manager = "manager@council.example"

# Officers' commands are obeyed only when the council's own mail server
# vouches for them; the demo has none, so its commands would be refused.
[trust]
mode = "received_stamp"

[trust.received_stamp]
hosts = ["mx.council.example"]
"#,
        db = workspace.join("foid.db").display(),
        maildir = maildir.display(),
    );
    std::fs::write(&config_path, config)?;
    Ok(config_path)
}

fn date_header(text: &str) -> Option<jiff::Timestamp> {
    let parsed = mail_parser::MessageParser::new().parse_headers(text.as_bytes())?;
    jiff::Timestamp::from_second(parsed.date()?.to_timestamp()).ok()
}

pub fn print_cases(cases: &[CaseView]) {
    println!(
        "{:<16} {:<12} {:<28} {:>9}  {:<10}  {:<10}",
        "REFERENCE", "KIND", "REQUESTER", "QUESTIONS", "RECEIVED", "DUE"
    );
    for c in cases {
        let who = c
            .requester
            .name
            .clone()
            .unwrap_or_else(|| c.requester.email.clone());
        println!(
            "{:<16} {:<12} {:<28} {:>9}  {:<10}  {:<10}",
            c.reference,
            c.kind,
            truncate(&who, 28),
            c.questions.len(),
            c.received_on,
            match c.closure.as_deref() {
                Some(h) if h == Closure::History.as_str() => h,
                _ => c.due_on.as_deref().unwrap_or("-"),
            }
        );
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
