//! `foid demo`: a first look with no mail server and no network. Creates a
//! throwaway workspace (SQLite database, a Maildir seeded with realistic
//! mail, a configuration file), runs the real pipeline over it and prints
//! the cases.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::{maildir, Context};
use crate::config::Config;
use crate::core::case::Closure;
use crate::core::letters::Purpose;
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
    (
        "13-whatdotheyknow-resend.eml",
        include_str!("../../config/demo/13-whatdotheyknow-resend.eml"),
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
    let journey = play_journey(&ctx, &workspace).await?;
    let written = write_outbox(&store, &workspace.join("outbox")).await?;

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
    if let Some(j) = &journey {
        println!(
            "\nAn officer's day on {}: {} replied to the case email with #draft and an answer under each question;\n\
             {} got a preview with an approval code and replied #approve CODE; foid sent the reply and closed the case.",
            j.reference,
            OFFICER,
            APPROVER
        );
    }
    println!(
        "\n{} email(s) written to {} (the demo has no [smtp], so none is sent):",
        written.len(),
        workspace.join("outbox").display()
    );
    for (purpose, count) in tally(written.iter().cloned()) {
        println!("  {count:>3} {purpose}");
    }
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

/// The demo's officer (who drafts) and approver (who approves).
const OFFICER: &str = "officer@council.example";
const APPROVER: &str = "manager@council.example";

/// The answers the demo's officer gives, one per question of the first
/// request, in the forms officers use: an answer, `#not-held`, `#exempt`.
const ANSWERS: &[&str] = &[
    "1,284 potholes were reported to the council in 2025.",
    "#not-held The council records when a repair is made, not how long after the report.",
    "#exempt s43(2) The total would reveal the contractor's unit rates, which are commercially sensitive while the highways contract is re-tendered. We weighed the public interest in how highways money is spent against the council's ability to get value in the tender, and concluded that it favours withholding the figure until the contract is let.",
    "The council received 212 claims for vehicle damage caused by potholes in 2025 and paid 61 of them.",
];

pub struct Journey {
    pub reference: String,
}

/// An officer drafts the reply to the first request by email, an approver
/// approves it by email, and foid sends it: the messages are written to
/// the Maildir as the council's Postfix would deliver them (its Received
/// line for a logged-in submission is what the `[trust]` gate checks), and
/// processed by the same pipeline. `None` when the case was answered by an
/// earlier run in this workspace.
async fn play_journey(ctx: &Context, workspace: &Path) -> Result<Option<Journey>> {
    let Some(case) = ctx
        .store
        .cases(false)
        .await?
        .into_iter()
        .find(|c| c.kind == "foi")
    else {
        return Ok(None);
    };
    if case.state != "open" {
        return Ok(None);
    }
    let new = workspace.join("Maildir").join("new");
    let case_email = ctx
        .store
        .outbox_for_case(case.id)
        .await?
        .into_iter()
        .find(|m| m.purpose == Purpose::CaseEmail.as_str())
        .context("the demo case has no case email")?;
    let answers: String = ANSWERS
        .iter()
        .take(case.questions.len().max(1))
        .enumerate()
        .map(|(i, a)| format!("{}. {a}\n", i + 1))
        .collect();
    let draft = officer_mail(
        OFFICER,
        "Olive Officer",
        &format!("Re: [{}] {}", case.reference, case.subject),
        &case_email.message_id,
        &format!(
            "#draft\nDear {},\n\nThank you for your request.\n\n{answers}",
            greeting(&case)
        ),
    );
    std::fs::write(new.join("20-officer-draft.eml"), draft)?;
    maildir::ingest_pass(ctx).await?;

    let preview = ctx
        .store
        .outbox_for_case(case.id)
        .await?
        .into_iter()
        .find(|m| m.purpose == Purpose::Preview.as_str())
        .context("the draft was not previewed: see `foid show` for why")?;
    let code = approval_code(&preview.bytes).context("the preview carries no #approve line")?;
    let approval = officer_mail(
        APPROVER,
        "Morgan Manager",
        &format!("Re: [{}] Draft 1 for approval", case.reference),
        &preview.message_id,
        &format!("#approve {code}\n\nFine to go.\n"),
    );
    std::fs::write(new.join("21-approval.eml"), approval)?;
    maildir::ingest_pass(ctx).await?;
    Ok(Some(Journey {
        reference: case.reference,
    }))
}

fn greeting(case: &CaseView) -> String {
    case.requester
        .name
        .clone()
        .unwrap_or_else(|| "Requester".into())
}

/// An officer's mail to the FOI mailbox as the council's Postfix delivers
/// it: its submission hop (logged in as the sender), then the LMTP hop.
fn officer_mail(from: &str, name: &str, subject: &str, in_reply_to: &str, body: &str) -> String {
    let now = jiff::Timestamp::now();
    let date = now.strftime("%a, %d %b %Y %H:%M:%S +0000");
    let id = format!(
        "<demo-{}-{}@council.example>",
        now.as_nanosecond(),
        from.len()
    );
    format!(
        "Return-Path: <{from}>\r\n\
         Received: from mx.council.example\r\n\tby mx.council.example with LMTP\r\n\tid demo\r\n\t(envelope-from <{from}>)\r\n\tfor <foi@council.example>; {date}\r\n\
         Received: from [10.0.0.5] (unknown [10.0.0.5])\r\n\t(Authenticated sender: {from})\r\n\tby mx.council.example (Postfix) with ESMTPSA id DEMO1\r\n\tfor <foi@council.example>; {date}\r\n\
         From: {name} <{from}>\r\nTo: foi@council.example\r\nSubject: {subject}\r\nMessage-ID: {id}\r\n\
         In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\nDate: {date}\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
        body.replace('\n', "\r\n")
    )
}

/// The code on a preview's `#approve` line.
fn approval_code(preview: &[u8]) -> Option<String> {
    let message = mail_parser::MessageParser::default().parse(preview)?;
    let text = message.body_text(0)?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("#approve "))
        .and_then(|c| c.split_whitespace().next())
        .map(str::to_string)
}

/// Every mail foid queued, written as `NNN-purpose-REFERENCE.eml`: what
/// would have been sent. Returns the purposes of the files written.
async fn write_outbox(store: &Store, dir: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let references: std::collections::HashMap<i64, String> = store
        .cases(false)
        .await?
        .into_iter()
        .map(|c| (c.id.0, c.reference))
        .collect();
    let mut written = Vec::new();
    for m in store.outbox().await? {
        let reference = m
            .case_id
            .and_then(|id| references.get(&id).cloned())
            .unwrap_or_else(|| "no-case".into());
        let path = dir.join(format!("{:03}-{}-{reference}.eml", m.id, m.purpose));
        std::fs::write(&path, m.keepable_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        let label = m
            .purpose
            .parse::<Purpose>()
            .map(|p| p.label().to_string())
            .unwrap_or_else(|_| m.purpose.clone());
        written.push(label);
    }
    Ok(written)
}

/// Each distinct label with its count, in the order first seen.
fn tally(labels: impl IntoIterator<Item = String>) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for label in labels {
        match counts.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => counts.push((label, 1)),
        }
    }
    counts
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
team = ["{officer}"]
approvers = ["{approver}"]
manager = "{approver}"

# Officers' commands are obeyed only when the council's own mail server
# vouches for them: here, the Received line its Postfix (mx.council.example)
# writes for a logged-in submission, which the demo's officer replies carry.
[trust]
mode = "received_stamp"

[trust.received_stamp]
hosts = ["mx.council.example"]

[reminders]
digest = false
"#,
        officer = OFFICER,
        approver = APPROVER,
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
        "{:<16} {:<12} {:<28} {:>9}  {:<10}  {:<10}  {:<9}  {:<10}  OUTCOMES",
        "REFERENCE", "KIND", "REQUESTER", "QUESTIONS", "RECEIVED", "DUE", "STATE", "FLAGS",
    );
    for c in cases {
        let who = c
            .requester
            .name
            .clone()
            .unwrap_or_else(|| c.requester.email.clone());
        let flags: Vec<&str> = c.flags.iter().map(|f| f.kind.as_str()).collect();
        let state = match (c.state.as_str(), c.closure.as_deref()) {
            ("closed", Some(closure)) => closure.to_string(),
            (state, _) => state.to_string(),
        };
        println!(
            "{:<16} {:<12} {:<28} {:>9}  {:<10}  {:<10}  {:<9}  {:<10}  {}",
            c.reference,
            c.kind,
            truncate(&who, 28),
            c.questions.len(),
            c.received_on,
            match c.closure.as_deref() {
                Some(h) if h == Closure::History.as_str() => h,
                _ => c.due_on.as_deref().unwrap_or("-"),
            },
            state,
            if flags.is_empty() {
                "-".to_string()
            } else {
                flags.join(",")
            },
            outcomes_of(c)
        );
    }
}

/// The outcome recorded per question, counted: `2 answered, 1 not held,
/// 1 exempt s43(2)`; `-` before the case is answered.
fn outcomes_of(c: &CaseView) -> String {
    let outcomes = tally(
        c.questions
            .iter()
            .filter_map(|q| q.outcome.as_ref())
            .map(|o| o.label()),
    );
    if outcomes.is_empty() {
        return "-".into();
    }
    let list: Vec<String> = outcomes.iter().map(|(l, n)| format!("{n} {l}")).collect();
    list.join(", ")
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
