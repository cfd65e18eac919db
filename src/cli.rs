//! Command-line definitions and the small commands; the daemon's stages
//! live in `daemon/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::config::{self, Config};
use crate::mail::mutf7;
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "foid",
    version,
    about = "The FOI mailroom daemon: reads the FOI mailbox, opens cases, keeps the statutory clock, sends approved replies",
    propagate_version = true
)]
pub struct Cli {
    /// The configuration file.
    #[arg(long, global = true, env = "FOID_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log filter, e.g. `info`, `debug`, `foid=debug` (or set RUST_LOG).
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
    /// Log lines as plain text (the default) or as one JSON object each,
    /// for a log collector.
    #[arg(long, global = true, env = "FOID_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: ingest mail, process it, send the outbox, until SIGTERM.
    Run(RunArgs),
    /// Try foid on a throwaway workspace with seeded requests; needs no mail server.
    Demo(DemoArgs),
    /// Apply database migrations (also done automatically at start).
    Migrate,
    /// Validate the configuration; with --connect, also log in to IMAP, SMTP and the database.
    CheckConfig(CheckConfigArgs),
    /// The statutory due date for a request received on a date (needs no configuration).
    Deadline(DeadlineArgs),
    /// List bank holidays, or import a gov.uk bank-holidays.json.
    Holidays(HolidaysArgs),
    /// Show what foid makes of one message: kind, requester, questions.
    Parse(ParseArgs),
    /// Run the breach check on files: hidden data and personal data, as a draft's attachments get it.
    CheckAttachment(CheckAttachmentArgs),
    /// Load past mail (.eml files, directories of them, mbox files) through the same processing.
    Import(ImportArgs),
    /// List cases.
    Cases(CasesArgs),
    /// List the messages held for an officer (spam, mail that reads like no request).
    Held(HeldArgs),
    /// Show one case with its questions, flags and history.
    Show(ShowArgs),
    /// Requests received and answered per month and regime, timeliness, outcomes, reviews, flags.
    Stats(StatsArgs),
    /// Erase the personal data of cases closed before a date (retention); statistics are kept.
    Purge(PurgeArgs),
    /// Measure the mail system: `doctor trust` proposes the [trust] section.
    Doctor(DoctorArgs),
}

impl Command {
    /// Commands that only read and print, and may be piped into `head`.
    pub fn only_prints(&self) -> bool {
        matches!(
            self,
            Command::Deadline(_)
                | Command::Holidays(HolidaysArgs { action: None, .. })
                | Command::Parse(_)
                | Command::CheckAttachment(CheckAttachmentArgs { clean: None, .. })
                | Command::Doctor(_)
                | Command::Cases(_)
                | Command::Held(_)
                | Command::Show(_)
                | Command::Stats(_)
        )
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Ingest and process what is waiting, send the outbox, then exit.
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create the workspace (default: a new temporary directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    /// Also connect to IMAP, SMTP and the database and report each.
    #[arg(long)]
    pub connect: bool,
    /// With --connect: create the configured IMAP folders that are missing
    /// (otherwise nothing is created).
    #[arg(long, requires = "connect")]
    pub create_folders: bool,
}

#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// foi, eir, eir-extended, pit, review, review-extended, sar, sar-extended or foisa.
    #[arg(long)]
    pub regime: String,
    /// The date of receipt (YYYY-MM-DD) or the arrival time (RFC 3339), which is
    /// converted to the council's time zone first.
    #[arg(long, value_name = "DATE_OR_TIMESTAMP")]
    pub received: String,
    /// The council's gov.uk division (for SAR roll-forward): england-and-wales,
    /// scotland or northern-ireland.
    #[arg(long)]
    pub region: Option<String>,
    /// The time zone for timestamps (default: the configuration's, else Europe/London).
    #[arg(long)]
    pub timezone: Option<String>,
    /// List the counted and skipped days.
    #[arg(long)]
    pub explain: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HolidaysArgs {
    #[command(subcommand)]
    pub action: Option<HolidaysAction>,
    /// The year to list (default: this year).
    #[arg(long)]
    pub year: Option<i16>,
    /// Only this division.
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum HolidaysAction {
    /// Check a gov.uk bank-holidays.json, keep it in the database (read at
    /// every start) and show what it changes.
    Import { file: PathBuf },
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(subcommand)]
    pub what: DoctorWhat,
}

#[derive(Debug, Subcommand)]
pub enum DoctorWhat {
    /// Read mail from officers and from outside and say which [trust] mode
    /// fits, with the values seen and a proposed section.
    Trust(DoctorTrustArgs),
}

#[derive(Debug, Args)]
pub struct DoctorTrustArgs {
    /// .eml files or directories of them; without any, the last messages of
    /// the mailbox's processed and quarantine folders over IMAP.
    pub paths: Vec<PathBuf>,
    /// How many messages to read from each folder over IMAP.
    #[arg(long, default_value_t = 50)]
    pub last: u32,
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckAttachmentArgs {
    /// The files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write cleaned copies into this directory (same names), and check them again.
    #[arg(long, value_name = "DIR")]
    pub clean: Option<PathBuf>,
    /// The findings as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// .eml files, directories of them, or mbox files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Send acknowledgements and case emails for the imported mail (default: keep them held).
    #[arg(long)]
    pub send: bool,
    /// Past years for repeat detection: requests older than
    /// `[import] history_older_than_days` are recorded as closed history,
    /// with nothing sent and nothing counted for timeliness.
    #[arg(long)]
    pub history: bool,
    /// With --history: the age in days that makes a request history
    /// (instead of the configuration's).
    #[arg(long, value_name = "DAYS", requires = "history")]
    pub older_than: Option<u32>,
}

#[derive(Debug, Args)]
pub struct CasesArgs {
    #[arg(long)]
    pub json: bool,
    /// Include closed cases.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct HeldArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The case reference, e.g. FOI-2026-00123.
    pub reference: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Cases closed before this date (YYYY-MM-DD) are purged; so is mail on
    /// no case that arrived before it.
    #[arg(long, value_name = "DATE")]
    pub closed_before: String,
    /// Count what would be purged, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Only requests received on or after this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Only requests received on or before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// One row per month and regime.
    #[arg(long)]
    pub csv: bool,
}

pub fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    // The daemon reports what it does; the other commands print their
    // answer and log only warnings.
    let default = match cli.command {
        Command::Run(_) | Command::Import(_) => "info",
        _ => "warn",
    };
    let filter = cli
        .log
        .as_deref()
        .map(EnvFilter::new)
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match cli.log_format {
        // Colour only on a terminal: the journal and log files get plain text.
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Loads the configuration named on the command line, or `foid.toml`.
pub fn load_config(cli_path: Option<&Path>) -> Result<Config> {
    let path = cli_path
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(config::DEFAULT_CONFIG_PATH));
    if cli_path.is_none() && !path.exists() {
        bail!(
            "no configuration: {} does not exist. Pass --config FILE (or set FOID_CONFIG); \
             config/foid.example.toml documents every key. For a first look without one, run `foid demo`.",
            path.display()
        );
    }
    Ok(Config::load(&path)?)
}

/// Opens the database and brings its schema up to date.
pub async fn open_store(config: &Config) -> Result<Store> {
    let store = Store::open(&config.database.url).await?;
    store.migrate().await?;
    Ok(store)
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let config_path = cli.config.as_deref();
    match &cli.command {
        Command::Run(args) => {
            let config = load_config(config_path)?;
            let path = config_path
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(config::DEFAULT_CONFIG_PATH));
            crate::daemon::run(config, &path, args.once).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(args) => {
            crate::daemon::demo::run(args.dir.clone()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let config = load_config(config_path)?;
            let store = Store::open(&config.database.url).await?;
            let applied = store.migrate().await?;
            println!(
                "database {} is up to date ({applied} migration(s) applied now)",
                config::redact_url(&config.database.url)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig(args) => {
            check_config(config_path, args.connect, args.create_folders).await
        }
        Command::Deadline(args) => crate::commands::deadline(config_path, args),
        Command::Holidays(args) => crate::commands::holidays(config_path, args).await,
        Command::Parse(args) => crate::commands::parse(config_path, args),
        Command::CheckAttachment(args) => crate::commands::check_attachment(config_path, args),
        Command::Doctor(DoctorArgs {
            what: DoctorWhat::Trust(args),
        }) => {
            let config = load_config(config_path)?;
            crate::commands::doctor_trust(&config, args).await
        }
        Command::Import(args) => {
            let config = load_config(config_path)?;
            let store = open_store(&config).await?;
            let summary = crate::daemon::import::run(&config, &store, args).await?;
            // Anything skipped is said above, and makes the exit status say so too.
            Ok(if summary.skipped.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Cases(args) => {
            let config = load_config(config_path)?;
            let store = open_store(&config).await?;
            crate::commands::cases(&store, args).await
        }
        Command::Held(args) => {
            let config = load_config(config_path)?;
            let store = open_store(&config).await?;
            crate::commands::held(&config, &store, args).await
        }
        Command::Show(args) => {
            let config = load_config(config_path)?;
            let store = open_store(&config).await?;
            crate::commands::show(&config, &store, args).await
        }
        Command::Stats(args) => {
            let config = load_config(config_path)?;
            let store = open_store(&config).await?;
            crate::commands::stats(&config, &store, args).await
        }
        Command::Purge(args) => {
            let config = load_config(config_path)?;
            let store = open_store(&config).await?;
            crate::commands::purge(&config, &store, args).await
        }
    }
}

async fn check_config(
    path: Option<&Path>,
    connect: bool,
    create_folders: bool,
) -> Result<ExitCode> {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("foid: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    println!("configuration OK");
    if !connect {
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed = false;
    let mut report = |what: &str, result: Result<String>| match result {
        Ok(detail) => println!("{what}: OK ({detail})"),
        Err(e) => {
            failed = true;
            println!("{what}: FAILED: {e:#}");
        }
    };
    let db = async {
        let store = Store::open(&config.database.url).await?;
        store.migrate().await?;
        let cases = store.case_count().await?;
        store.close().await;
        Ok(format!(
            "{}, {cases} case(s)",
            config::redact_url(&config.database.url)
        ))
    }
    .await;
    report("database", db);
    let tokens = [
        config.imap.as_ref().map(|i| &i.connection),
        config.smtp.as_ref(),
    ]
    .into_iter()
    .flatten()
    .find_map(|c| c.tokens.clone());
    if let Some(tokens) = tokens {
        let result = async {
            let token = tokens.token().await?;
            let left = token.expires_at.duration_since(jiff::Timestamp::now());
            Ok(format!(
                "from {}, expires {} (in {} min), scope {}",
                token.issued_by,
                token.expires_at.round(jiff::Unit::Second)?,
                left.as_secs() / 60,
                token.scope.as_deref().unwrap_or("not stated"),
            ))
        }
        .await;
        report("oauth2 token", result);
    }
    if let Some(imap) = &config.imap {
        let result = async {
            let mut conn = crate::mail::imap::ImapConnection::connect(imap).await?;
            let mailbox = conn
                .session
                .examine(&imap.mailbox)
                .await
                .with_context(|| format!("cannot open mailbox {}", imap.mailbox))?;
            let mut detail = format!(
                "{}:{} as {}, {} has {} message(s); namespace {:?}, separator {:?}; {}",
                imap.connection.host,
                imap.connection.port_or(993, 143),
                imap.connection.username.as_deref().unwrap_or("-"),
                imap.mailbox,
                mailbox.exists,
                conn.namespace.prefix,
                conn.delimiter,
                conn.features.describe(),
            );
            let mut problems = Vec::new();
            for (key, configured) in [
                ("processed_folder", &imap.processed_folder),
                ("quarantine_folder", &imap.quarantine_folder),
            ] {
                let (name, exists) = conn.folder_exists(configured).await?;
                let name = mutf7::display(&name);
                let state = if exists {
                    "exists".to_string()
                } else if create_folders {
                    match conn.ensure_folder(configured).await {
                        Ok(_) => "created".to_string(),
                        Err(e) => {
                            problems.push(format!("[imap] {key} {name:?}: {e:#}"));
                            "cannot be created".to_string()
                        }
                    }
                } else {
                    "missing: foid creates it at start (--create-folders to create it now)"
                        .to_string()
                };
                detail.push_str(&format!("; {key} {name:?} {state}"));
            }
            use crate::mail::imap::SentChoice;
            let sent = conn.choose_sent_folder(imap.sent_folder.as_deref()).await?;
            let how = match &sent {
                SentChoice::Named(_) => "",
                SentChoice::Marked {
                    configured_missing: true,
                    ..
                } => ", which the server marks \\Sent ([imap] sent_folder does not exist)",
                SentChoice::Marked { .. } => ", which the server marks \\Sent",
                SentChoice::Missing(_) => ", created at first send",
            };
            detail.push_str(&format!(
                "; sent copies to {:?}{how}",
                mutf7::display(sent.name())
            ));
            conn.logout().await;
            if problems.is_empty() {
                Ok(detail)
            } else {
                Err(anyhow::anyhow!("{}; {detail}", problems.join("; ")))
            }
        }
        .await;
        report("imap", result);
    }
    if let Some(maildir) = &config.source.maildir {
        let result = if maildir.join("new").is_dir() {
            Ok(maildir.display().to_string())
        } else {
            Err(anyhow::anyhow!(
                "{} is not a Maildir (no new/ folder)",
                maildir.display()
            ))
        };
        report("maildir", result);
    }
    if let Some(smtp) = &config.smtp {
        let result = async {
            crate::mail::smtp::SmtpSender::new(smtp, &config.council.domain)?
                .check()
                .await?;
            Ok(format!("{}:{}", smtp.host, smtp.port_or(465, 587)))
        }
        .await;
        report("smtp", result);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
