//! The one TOML configuration file: reading, defaults and validation.
//!
//! Every error names the key (`[imap] port`) and what is wrong with it, so an
//! IT officer can fix the file without reading code.

mod oauth;
mod trust;
pub use oauth::*;
pub use trust::*;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::core::calendar::Region;

/// Default path of the configuration file when neither `--config` nor
/// `FOID_CONFIG` is given.
pub const DEFAULT_CONFIG_PATH: &str = "foid.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub council: Council,
    #[serde(default)]
    pub database: Database,
    #[serde(default)]
    pub source: Source,
    pub imap: Option<Imap>,
    /// `[smtp]`: the connection keys only.
    pub smtp: Option<Connection>,
    #[serde(default)]
    pub officers: Officers,
    #[serde(default)]
    pub holidays: Holidays,
    #[serde(default)]
    pub intake: Intake,
    #[serde(default)]
    pub approval: Approval,
    /// `[breach_check]`: what every attachment of a draft is checked for.
    #[serde(default)]
    pub breach_check: BreachCheck,
    #[serde(default)]
    pub import: Import,
    /// `[reminders]`: the morning digest and the escalation of overdue cases.
    #[serde(default)]
    pub reminders: Reminders,
    /// `[http]`: the optional listener for `/healthz` and `/metrics`.
    pub http: Option<Http>,
    /// `[retention]`: when closed cases' personal data is erased.
    #[serde(default)]
    pub retention: Retention,
    /// `[similarity]`: when a new request is flagged as a repeat,
    /// duplicate, aggregation, campaign or for volume.
    #[serde(default)]
    pub similarity: crate::core::flags::Settings,
    pub trust: Option<Trust>,
    /// The token source for `auth = "oauth2"` in `[imap]` or `[smtp]`.
    pub oauth2: Option<OAuth2>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Council {
    pub name: String,
    /// The FOI mailbox address: the From of everything foid sends.
    pub address: String,
    /// The council's mail domain; our Message-IDs end in it.
    pub domain: String,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// `{prefix}` (FOI, EIR, SAR, IR), `{year}` and `{seq}` (zero-padded to
    /// five digits) are substituted.
    #[serde(default = "default_reference_format")]
    pub reference_format: String,
}

fn default_region() -> String {
    "england-and-wales".into()
}
fn default_timezone() -> String {
    "Europe/London".into()
}
fn default_reference_format() -> String {
    "{prefix}-{year}-{seq}".into()
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    #[serde(default = "default_database_url")]
    pub url: String,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &redact_url(&self.url))
            .finish()
    }
}

impl Default for Database {
    fn default() -> Self {
        Database {
            url: default_database_url(),
        }
    }
}

fn default_database_url() -> String {
    "sqlite://foid.db".into()
}

/// Where mail comes from when it is not an IMAP server: a Maildir that the
/// local MTA delivers into.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub maildir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS (IMAP 143, submission 587).
    Starttls,
    /// No TLS at all: only accepted for a loopback host.
    None,
}

impl fmt::Display for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tls::Implicit => "implicit",
            Tls::Starttls => "starttls",
            Tls::None => "none",
        })
    }
}

/// Connection keys shared by `[imap]` and `[smtp]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default = "default_tls")]
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub auth: AuthMethod,
    /// For `auth = "oauth2"`: the mechanism that carries the token.
    #[serde(default)]
    pub sasl_mechanism: SaslMechanism,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
    /// Set when the configuration is loaded: the one token cache that
    /// `[imap]` and `[smtp]` share.
    #[serde(skip)]
    pub tokens: Option<std::sync::Arc<crate::mail::oauth::TokenSource>>,
}

fn default_tls() -> Tls {
    Tls::Implicit
}
fn default_timeout_seconds() -> u64 {
    60
}

/// `[imap]`: the connection keys and the folders. Read through
/// [`ImapFile`] rather than `#[serde(flatten)]`, which would lose the key
/// name from type errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "ImapFile")]
pub struct Imap {
    pub connection: Connection,
    pub mailbox: String,
    pub processed_folder: String,
    pub quarantine_folder: String,
    /// Where copies of what foid sends are kept; unset, the folder the
    /// server marks `\Sent` (RFC 6154: `Sent Items` on Exchange,
    /// `[Gmail]/Sent Mail` on Google), else `Sent`.
    pub sent_folder: Option<String>,
    /// Largest UID window fetched at once.
    pub fetch_window: u32,
    /// Wait for new mail with IDLE when the server offers it; `false`
    /// polls instead (for proxies and firewalls that break long IDLEs).
    pub use_idle: bool,
    /// IDLE is re-issued after this many minutes (servers drop it at 30).
    pub idle_minutes: u64,
    /// Poll interval when the server has no IDLE or `use_idle` is false.
    pub poll_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImapFile {
    host: String,
    port: Option<u16>,
    #[serde(default = "default_tls")]
    tls: Tls,
    ca_file: Option<PathBuf>,
    #[serde(default)]
    auth: AuthMethod,
    #[serde(default)]
    sasl_mechanism: SaslMechanism,
    username: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    #[serde(default = "default_timeout_seconds")]
    timeout_seconds: u64,
    #[serde(default = "default_mailbox")]
    mailbox: String,
    #[serde(default = "default_processed_folder")]
    processed_folder: String,
    #[serde(default = "default_quarantine_folder")]
    quarantine_folder: String,
    sent_folder: Option<String>,
    #[serde(default = "default_fetch_window")]
    fetch_window: u32,
    #[serde(default = "default_use_idle")]
    use_idle: bool,
    #[serde(default = "default_idle_minutes")]
    idle_minutes: u64,
    #[serde(default = "default_poll_seconds")]
    poll_seconds: u64,
}

impl From<ImapFile> for Imap {
    fn from(f: ImapFile) -> Imap {
        Imap {
            connection: Connection {
                host: f.host,
                port: f.port,
                tls: f.tls,
                ca_file: f.ca_file,
                auth: f.auth,
                sasl_mechanism: f.sasl_mechanism,
                username: f.username,
                password: f.password,
                password_env: f.password_env,
                password_file: f.password_file,
                timeout_seconds: f.timeout_seconds,
                tokens: None,
            },
            mailbox: f.mailbox,
            processed_folder: f.processed_folder,
            quarantine_folder: f.quarantine_folder,
            sent_folder: f.sent_folder,
            fetch_window: f.fetch_window,
            use_idle: f.use_idle,
            idle_minutes: f.idle_minutes,
            poll_seconds: f.poll_seconds,
        }
    }
}

fn default_mailbox() -> String {
    "INBOX".into()
}
fn default_processed_folder() -> String {
    "FOI/Processed".into()
}
fn default_quarantine_folder() -> String {
    "FOI/Quarantine".into()
}
fn default_fetch_window() -> u32 {
    500
}
fn default_use_idle() -> bool {
    true
}
fn default_idle_minutes() -> u64 {
    20
}
fn default_poll_seconds() -> u64 {
    60
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officers {
    /// Receive case emails and may send commands.
    #[serde(default)]
    pub team: Vec<String>,
    /// May approve drafts; the team when empty.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// Receives escalations of overdue cases.
    pub manager: Option<String>,
}

impl Officers {
    pub fn approvers(&self) -> &[String] {
        if self.approvers.is_empty() {
            &self.team
        } else {
            &self.approvers
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holidays {
    /// Days proclaimed at short notice, before the shipped data knows them.
    #[serde(default)]
    pub add: Vec<HolidayChange>,
    /// Days the shipped data has that are no longer bank holidays.
    #[serde(default)]
    pub remove: Vec<HolidayChange>,
    /// A gov.uk `bank-holidays.json` file read at start.
    pub govuk_json: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayChange {
    pub date: String,
    pub region: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    /// Messages larger than this are quarantined without being downloaded.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: u64,
    /// Read the council's spam filter's headers (SpamAssassin, rspamd,
    /// Exchange Online / EOP).
    #[serde(default = "default_true")]
    pub honour_filter_headers: bool,
    /// Subject tags the council's filter writes on spam.
    #[serde(default = "default_spam_subject_tags")]
    pub spam_subject_tags: Vec<String>,
    /// Exchange spam confidence level counted as spam.
    #[serde(default = "default_scl_threshold")]
    pub spam_scl_threshold: i32,
    /// Microsoft bulk complaint level counted as bulk mail.
    #[serde(default = "default_bcl_threshold")]
    pub bulk_bcl_threshold: i32,
    /// Tell the team of each message held as not reading like a request.
    #[serde(default = "default_true")]
    pub held_notices: bool,
}

impl Default for Intake {
    fn default() -> Self {
        Intake {
            max_message_bytes: default_max_message_bytes(),
            honour_filter_headers: true,
            spam_subject_tags: default_spam_subject_tags(),
            spam_scl_threshold: default_scl_threshold(),
            bulk_bcl_threshold: default_bcl_threshold(),
            held_notices: true,
        }
    }
}

fn default_spam_subject_tags() -> Vec<String> {
    crate::core::spam::SpamPolicy::default().subject_tags
}

fn default_scl_threshold() -> i32 {
    crate::core::spam::SpamPolicy::default().scl_threshold
}

fn default_bcl_threshold() -> i32 {
    crate::core::spam::SpamPolicy::default().bcl_threshold
}

fn default_max_message_bytes() -> u64 {
    25 * 1024 * 1024
}

/// `[approval]`: how drafts are approved.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The approver must not be the officer who drafted the reply.
    #[serde(default = "default_four_eyes")]
    pub four_eyes: bool,
    /// How long an approval code works.
    #[serde(default = "default_code_ttl_hours")]
    pub code_ttl_hours: i64,
    /// A file holding the key approval codes are made with (32 bytes or
    /// more; hex or raw).
    pub key_file: Option<PathBuf>,
    /// An environment variable holding the key (hex).
    pub key_env: Option<String>,
}

/// `[import]`: how `foid import` treats past mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Import {
    /// With `--history`, requests received more than this many days before
    /// the import are recorded as closed history (no acknowledgement, left
    /// out of timeliness); newer ones are opened as work. The default
    /// leaves room for the 20 working days and an extension of 20 more.
    pub history_older_than_days: i64,
}

impl Default for Import {
    fn default() -> Self {
        Import {
            history_older_than_days: 60,
        }
    }
}

/// `[retention]`: each working morning, the personal data of cases closed
/// more than `purge_closed_after_days` ago is erased (`foid purge` does it
/// by hand). Unset: nothing is erased automatically.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub purge_closed_after_days: Option<i64>,
}

/// `[http]`: where `/healthz` and `/metrics` are served.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// `ADDRESS:PORT`, e.g. `127.0.0.1:9187`.
    pub listen: String,
}

/// `[reminders]`: each working morning, a digest to the team (due soon,
/// overdue, drafts awaiting approval, deliveries failed, mail held) and the
/// overdue cases to the manager.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reminders {
    pub digest: bool,
    /// Council time, `HH:MM`.
    pub digest_time: String,
    /// Cases due within this many working days are listed as due soon.
    pub due_within_days: i32,
    /// Send the overdue cases to `[officers] manager` too.
    pub escalate_overdue: bool,
}

impl Default for Reminders {
    fn default() -> Self {
        Reminders {
            digest: true,
            digest_time: "08:30".into(),
            due_within_days: 5,
            escalate_overdue: true,
        }
    }
}

impl Reminders {
    /// The digest time; validated at load.
    pub fn time(&self) -> jiff::civil::Time {
        self.digest_time
            .parse()
            .unwrap_or(jiff::civil::Time::constant(8, 30, 0, 0))
    }
}

/// The check of a draft's attachments for hidden and personal data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreachCheck {
    /// Wall-clock time one attachment may take to check or clean.
    pub timeout_seconds: u64,
    /// Addresses meant to be in replies (the FOI mailbox is always one).
    pub allowed_addresses: Vec<String>,
    pub limits: crate::core::breach_check::Limits,
    pub thresholds: crate::core::breach_check::Thresholds,
}

impl Default for BreachCheck {
    fn default() -> Self {
        BreachCheck {
            timeout_seconds: 60,
            allowed_addresses: Vec::new(),
            limits: Default::default(),
            thresholds: Default::default(),
        }
    }
}

impl Config {
    /// The breach check's policy as configured.
    pub fn breach_policy(&self) -> crate::core::breach_check::Policy {
        let b = &self.breach_check;
        let mut allowed = b.allowed_addresses.clone();
        allowed.push(self.council.address.clone());
        crate::core::breach_check::Policy {
            limits: b.limits.clone(),
            thresholds: b.thresholds.clone(),
            allowed_addresses: allowed,
        }
    }
}

impl Default for Approval {
    fn default() -> Self {
        Approval {
            four_eyes: default_four_eyes(),
            code_ttl_hours: default_code_ttl_hours(),
            key_file: None,
            key_env: None,
        }
    }
}

impl fmt::Debug for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Approval")
            .field("four_eyes", &self.four_eyes)
            .field("code_ttl_hours", &self.code_ttl_hours)
            .field("key_file", &self.key_file)
            .field("key_env", &self.key_env)
            .finish()
    }
}

fn default_four_eyes() -> bool {
    true
}
fn default_code_ttl_hours() -> i64 {
    72
}

/// One thing wrong with the configuration, named by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub problem: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.problem)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path} is not valid: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("configuration file {path} has {} problem(s):\n{}", problems.len(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<ConfigProblem>,
    },
}

impl Config {
    /// Reads and validates the file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text; `path` is only for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: describe_toml_error(&e),
        })?;
        let problems = config.problems();
        if problems.is_empty() {
            config.share_token_source();
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            })
        }
    }

    /// The embedded defaults used by `foid demo` and commands run without a
    /// configuration file.
    pub fn embedded(database_url: &str, maildir: Option<PathBuf>) -> Config {
        Config {
            council: Council {
                name: "Example Borough Council".into(),
                address: "foi@council.example".into(),
                domain: "council.example".into(),
                region: default_region(),
                timezone: default_timezone(),
                reference_format: default_reference_format(),
            },
            database: Database {
                url: database_url.into(),
            },
            source: Source { maildir },
            imap: None,
            smtp: None,
            officers: Officers {
                team: vec!["officer@council.example".into()],
                approvers: vec![],
                manager: Some("manager@council.example".into()),
            },
            holidays: Holidays::default(),
            intake: Intake::default(),
            import: Import::default(),
            reminders: Reminders::default(),
            http: None,
            retention: Retention::default(),
            similarity: Default::default(),
            approval: Approval::default(),
            breach_check: BreachCheck::default(),
            trust: None,
            oauth2: None,
        }
    }

    /// Gives `[imap]` and `[smtp]` one token source between them when
    /// either logs in with OAuth 2.0: one token serves both.
    fn share_token_source(&mut self) {
        let Some(oauth2) = &self.oauth2 else { return };
        let mailbox = oauth2
            .subject
            .clone()
            .or_else(|| {
                self.imap
                    .as_ref()
                    .and_then(|i| i.connection.username.clone())
            })
            .or_else(|| self.smtp.as_ref().and_then(|s| s.username.clone()));
        let source = std::sync::Arc::new(crate::mail::oauth::TokenSource::new(
            oauth2.clone(),
            mailbox,
        ));
        let imap = self.imap.as_mut().map(|i| &mut i.connection);
        for connection in [imap, self.smtp.as_mut()].into_iter().flatten() {
            if connection.auth == AuthMethod::Oauth2 {
                connection.tokens = Some(source.clone());
            }
        }
    }

    pub fn region(&self) -> Region {
        // Validated in `problems`, so the fallback is never taken for a loaded file.
        self.council
            .region
            .parse()
            .unwrap_or(Region::EnglandAndWales)
    }

    pub fn timezone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.council.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// Every problem found, so that one run shows them all.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut bad = |key: &str, problem: String| {
            out.push(ConfigProblem {
                key: key.to_string(),
                problem,
            })
        };

        if self.council.name.trim().is_empty() {
            bad("[council] name", "must not be empty".into());
        }
        if !is_email_address(&self.council.address) {
            bad(
                "[council] address",
                format!(
                    "{:?} is not an email address (expected e.g. foi@council.gov.uk)",
                    self.council.address
                ),
            );
        }
        if !is_domain(&self.council.domain) {
            bad(
                "[council] domain",
                format!(
                    "{:?} is not a domain name (expected e.g. council.gov.uk)",
                    self.council.domain
                ),
            );
        }
        if let Err(e) = self.council.region.parse::<Region>() {
            bad("[council] region", e.to_string());
        }
        if jiff::tz::TimeZone::get(&self.council.timezone).is_err() {
            bad(
                "[council] timezone",
                format!(
                    "{:?} is not a known IANA time zone (expected e.g. Europe/London)",
                    self.council.timezone
                ),
            );
        }
        if let Err(e) = crate::core::reference::ReferenceFormat::new(&self.council.reference_format)
        {
            bad("[council] reference_format", e.to_string());
        }
        if !(self.database.url.starts_with("sqlite:")
            || self.database.url.starts_with("postgres://")
            || self.database.url.starts_with("postgresql://"))
        {
            bad(
                "[database] url",
                format!(
                    "{:?} must start with sqlite:// or postgres://",
                    redact_url(&self.database.url)
                ),
            );
        }
        if self.imap.is_none() && self.source.maildir.is_none() {
            bad(
                "[imap]",
                "missing: configure the FOI mailbox as [imap], or a local [source] maildir".into(),
            );
        }
        if self.imap.is_some() && self.source.maildir.is_some() {
            bad(
                "[source] maildir",
                "cannot be used together with [imap]: choose one source of mail".into(),
            );
        }
        if let Some(imap) = &self.imap {
            connection_problems("imap", &imap.connection, &mut bad);
            for (key, value) in [
                ("mailbox", &imap.mailbox),
                ("processed_folder", &imap.processed_folder),
                ("quarantine_folder", &imap.quarantine_folder),
                (
                    "sent_folder",
                    imap.sent_folder.as_ref().unwrap_or(&imap.mailbox),
                ),
            ] {
                if value.trim().is_empty() {
                    bad(&format!("[imap] {key}"), "must not be empty".into());
                }
            }
            if imap.processed_folder == imap.mailbox {
                bad(
                    "[imap] processed_folder",
                    "must differ from [imap] mailbox, or processed mail would be read again".into(),
                );
            }
            if imap.fetch_window == 0 || imap.fetch_window > 10_000 {
                bad("[imap] fetch_window", "must be between 1 and 10000".into());
            }
            if imap.poll_seconds == 0 {
                bad("[imap] poll_seconds", "must be at least 1".into());
            }
            if imap.idle_minutes == 0 || imap.idle_minutes >= 29 {
                bad(
                    "[imap] idle_minutes",
                    "must be between 1 and 28: servers drop IDLE after 29 minutes".into(),
                );
            }
        }
        if let Some(smtp) = &self.smtp {
            connection_problems("smtp", smtp, &mut bad);
        }
        for (i, address) in self.officers.team.iter().enumerate() {
            if !is_email_address(address) {
                bad(
                    &format!("[officers] team[{i}]"),
                    format!("{address:?} is not an email address"),
                );
            }
        }
        for (i, address) in self.officers.approvers.iter().enumerate() {
            if !is_email_address(address) {
                bad(
                    &format!("[officers] approvers[{i}]"),
                    format!("{address:?} is not an email address"),
                );
            }
        }
        if let Some(manager) = &self.officers.manager {
            if !is_email_address(manager) {
                bad(
                    "[officers] manager",
                    format!("{manager:?} is not an email address"),
                );
            }
        }
        for (list, changes) in [
            ("add", &self.holidays.add),
            ("remove", &self.holidays.remove),
        ] {
            for (i, change) in changes.iter().enumerate() {
                let key = format!("[holidays] {list}[{i}]");
                if change.date.parse::<jiff::civil::Date>().is_err() {
                    bad(
                        &format!("{key}.date"),
                        format!("{:?} is not a date (expected YYYY-MM-DD)", change.date),
                    );
                }
                if let Err(e) = change.region.parse::<Region>() {
                    bad(&format!("{key}.region"), e.to_string());
                }
            }
        }
        if self.approval.key_file.is_some() && self.approval.key_env.is_some() {
            bad(
                "[approval] key_file",
                "give only one of key_file and key_env".into(),
            );
        }
        if let Some(var) = &self.approval.key_env {
            if std::env::var_os(var).is_none() {
                bad(
                    "[approval] key_env",
                    format!("environment variable {var} is not set"),
                );
            }
        }
        if let Some(file) = &self.approval.key_file {
            if !file.is_file() {
                bad(
                    "[approval] key_file",
                    format!("{} does not exist or is not a file", file.display()),
                );
            }
        }
        if !(1..=24 * 30).contains(&self.approval.code_ttl_hours) {
            bad(
                "[approval] code_ttl_hours",
                "must be between 1 and 720 (30 days)".into(),
            );
        }
        let s = &self.similarity;
        for (key, value) in [
            ("similar", s.similar),
            ("related", s.related),
            ("question", s.question),
        ] {
            if !(0.05..=1.0).contains(&value) {
                bad(
                    &format!("[similarity] {key}"),
                    format!("must be a score between 0.05 and 1 (not {value})"),
                );
            }
        }
        if s.related > s.similar {
            bad(
                "[similarity] related",
                "must not be above [similarity] similar (related requests include the similar ones)".into(),
            );
        }
        for (key, value) in [
            (
                "reasonable_interval_working_days",
                s.reasonable_interval_working_days,
            ),
            ("aggregation_working_days", s.aggregation_working_days),
            ("campaign_working_days", s.campaign_working_days),
            ("volume_working_days", s.volume_working_days),
        ] {
            if !(1..=2600).contains(&value) {
                bad(
                    &format!("[similarity] {key}"),
                    "must be between 1 and 2600 working days".into(),
                );
            }
        }
        for (key, value) in [
            ("campaign_requesters", s.campaign_requesters),
            ("volume_requests", s.volume_requests),
        ] {
            if value < 2 {
                bad(&format!("[similarity] {key}"), "must be at least 2".into());
            }
        }
        if !(0..=36_500).contains(&self.import.history_older_than_days) {
            bad(
                "[import] history_older_than_days",
                "must be between 0 and 36500 (days)".into(),
            );
        }
        if let Some(h) = &self.http {
            if h.listen.parse::<std::net::SocketAddr>().is_err() {
                bad(
                    "[http] listen",
                    format!(
                        "{:?} is not ADDRESS:PORT (e.g. \"127.0.0.1:9187\")",
                        h.listen
                    ),
                );
            }
        }
        if let Some(days) = self.retention.purge_closed_after_days {
            if !(30..=36_500).contains(&days) {
                bad(
                    "[retention] purge_closed_after_days",
                    "must be between 30 and 36500 (days after a case closed; an internal review or an ICO appeal can come months later)".into(),
                );
            }
        }
        let r = &self.reminders;
        if r.digest_time.parse::<jiff::civil::Time>().is_err() {
            bad(
                "[reminders] digest_time",
                format!(
                    "{:?} is not a time of day (HH:MM, council time)",
                    r.digest_time
                ),
            );
        }
        if !(0..=40).contains(&r.due_within_days) {
            bad(
                "[reminders] due_within_days",
                "must be between 0 and 40 (working days)".into(),
            );
        }
        let b = &self.breach_check;
        if !(1..=3600).contains(&b.timeout_seconds) {
            bad(
                "[breach_check] timeout_seconds",
                "must be between 1 and 3600".into(),
            );
        }
        let l = &b.limits;
        for (key, value) in [
            ("max_file_bytes", l.max_file_bytes),
            ("max_unpacked_bytes", l.max_unpacked_bytes),
            ("max_compression_ratio", l.max_compression_ratio),
            ("max_entries", l.max_entries as u64),
            ("max_xml_depth", l.max_xml_depth as u64),
            ("max_cells", l.max_cells),
            ("max_shared_strings_bytes", l.max_shared_strings_bytes),
        ] {
            if value == 0 {
                bad(
                    &format!("[breach_check.limits] {key}"),
                    "must be more than 0".into(),
                );
            }
        }
        if let Some(trust) = &self.trust {
            trust.problems(&mut bad);
        }
        let imap = self.imap.as_ref().map(|i| &i.connection);
        let oauth_users: Vec<&str> = [("imap", imap), ("smtp", self.smtp.as_ref())]
            .into_iter()
            .filter_map(|(section, c)| Some((section, c?)))
            .filter(|(_, c)| c.auth == AuthMethod::Oauth2)
            .map(|(section, _)| section)
            .collect();
        match (&self.oauth2, oauth_users.is_empty()) {
            (None, false) => bad(
                "[oauth2]",
                format!(
                    "missing: [{}] auth = \"oauth2\" needs the [oauth2] section",
                    oauth_users.join("] and [")
                ),
            ),
            (Some(_), true) => bad(
                "[oauth2]",
                "is configured but neither [imap] nor [smtp] has auth = \"oauth2\"".into(),
            ),
            (Some(oauth2), false) => oauth2.problems(&mut bad),
            (None, true) => {}
        }
        if self.intake.max_message_bytes < 64 * 1024 {
            bad(
                "[intake] max_message_bytes",
                "must be at least 65536: real requests with attachments are larger".into(),
            );
        }
        if !(0..=9).contains(&self.intake.spam_scl_threshold) {
            bad(
                "[intake] spam_scl_threshold",
                format!(
                    "is {}; Exchange spam confidence runs from 0 to 9 (EOP marks 5 and above as spam)",
                    self.intake.spam_scl_threshold
                ),
            );
        }
        if !(0..=9).contains(&self.intake.bulk_bcl_threshold) {
            bad(
                "[intake] bulk_bcl_threshold",
                format!(
                    "is {}; the bulk complaint level runs from 0 to 9",
                    self.intake.bulk_bcl_threshold
                ),
            );
        }
        if self
            .intake
            .spam_subject_tags
            .iter()
            .any(|t| t.trim().is_empty())
        {
            bad(
                "[intake] spam_subject_tags",
                "has an empty tag, which would match every subject".into(),
            );
        }
        out
    }

    /// How the council's spam filter's verdicts are read: `[intake]`, with
    /// the council's own hops from `[trust]` when it names them.
    pub fn spam_policy(&self) -> crate::core::spam::SpamPolicy {
        use crate::core::trust::TrustMode;
        let hops = self
            .trust
            .as_ref()
            .and_then(|t| t.policy(&self.council.domain))
            .and_then(|p| match p.mode {
                TrustMode::ReceivedStamp(r) => Some(r.hops),
                TrustMode::AuthenticationResults(a) => Some(a.hops),
                _ => None,
            });
        crate::core::spam::SpamPolicy {
            honour_filter_headers: self.intake.honour_filter_headers,
            subject_tags: self.intake.spam_subject_tags.clone(),
            scl_threshold: self.intake.spam_scl_threshold,
            bcl_threshold: self.intake.bulk_bcl_threshold,
            hops,
        }
    }
}

fn default_true() -> bool {
    true
}

fn connection_problems(section: &str, c: &Connection, bad: &mut impl FnMut(&str, String)) {
    if c.host.trim().is_empty() {
        bad(&format!("[{section}] host"), "must not be empty".into());
    }
    if c.port == Some(0) {
        bad(
            &format!("[{section}] port"),
            "must be between 1 and 65535".into(),
        );
    }
    if c.tls == Tls::None && !is_loopback_host(&c.host) {
        bad(
            &format!("[{section}] tls"),
            format!(
                "\"none\" sends the password in clear and is only allowed for a loopback host, not {:?}; use \"implicit\" or \"starttls\"",
                c.host
            ),
        );
    }
    let password = c.password_secret();
    match c.auth {
        AuthMethod::Password => {
            if c.username.is_some() && password.given() == 0 {
                bad(
                    &format!("[{section}] password"),
                    "username is set but no password, password_env or password_file".into(),
                );
            }
            if c.sasl_mechanism != SaslMechanism::Auto {
                bad(
                    &format!("[{section}] sasl_mechanism"),
                    "is for auth = \"oauth2\"; password logins use the server's LOGIN/PLAIN".into(),
                );
            }
        }
        AuthMethod::Oauth2 => {
            if c.username.as_deref().is_none_or(|u| u.trim().is_empty()) {
                bad(
                    &format!("[{section}] username"),
                    "missing: with auth = \"oauth2\" it is the mailbox's address".into(),
                );
            }
            if password.given() > 0 {
                bad(
                    &format!("[{section}] password"),
                    "auth = \"oauth2\" takes no password: the secret goes in [oauth2]".into(),
                );
            }
            if section == "smtp" && c.sasl_mechanism == SaslMechanism::Oauthbearer {
                bad(
                    "[smtp] sasl_mechanism",
                    "foid's SMTP client speaks XOAUTH2 only (what Exchange Online and Gmail offer); use \"auto\" or \"xoauth2\"".into(),
                );
            }
        }
    }
    check_secret(section, &password, bad);
    if let Some(file) = &c.ca_file {
        if !file.is_file() {
            bad(
                &format!("[{section}] ca_file"),
                format!("{} does not exist or is not a file", file.display()),
            );
        }
    }
    if c.timeout_seconds == 0 || c.timeout_seconds > 600 {
        bad(
            &format!("[{section}] timeout_seconds"),
            "must be between 1 and 600".into(),
        );
    }
}

/// Never prints the password, whatever logs a configuration.
impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .field("auth", &self.auth)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

impl Connection {
    /// The secret, read when needed so it never sits in the parsed config
    /// longer than necessary and is never logged.
    pub fn password(&self) -> anyhow::Result<Option<String>> {
        self.password_secret().read()
    }

    fn password_secret(&self) -> Secret<'_> {
        Secret {
            key: "password",
            inline: self.password.as_deref(),
            env: self.password_env.as_deref(),
            file: self.password_file.as_deref(),
        }
    }

    pub fn port_or(&self, implicit: u16, plain: u16) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Implicit => implicit,
            Tls::Starttls | Tls::None => plain,
        })
    }
}

/// A secret given inline, by environment variable (`KEY_env`) or in a file
/// (`KEY_file`), read only when it is needed and never logged.
pub struct Secret<'a> {
    pub key: &'static str,
    pub inline: Option<&'a str>,
    pub env: Option<&'a str>,
    pub file: Option<&'a Path>,
}

impl Secret<'_> {
    /// How many of the three ways were used.
    pub fn given(&self) -> usize {
        usize::from(self.inline.is_some())
            + usize::from(self.env.is_some())
            + usize::from(self.file.is_some())
    }

    pub fn read(&self) -> anyhow::Result<Option<String>> {
        use anyhow::Context;
        let key = self.key;
        if let Some(value) = self.inline {
            return Ok(Some(value.to_string()));
        }
        if let Some(var) = self.env {
            return std::env::var(var)
                .map(Some)
                .with_context(|| format!("{key}_env: environment variable {var} is not set"));
        }
        if let Some(file) = self.file {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("{key}_file: cannot read {}", file.display()))?;
            return Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()));
        }
        Ok(None)
    }
}

/// One source at most, and the one given must be there.
fn check_secret(section: &str, secret: &Secret<'_>, bad: &mut impl FnMut(&str, String)) {
    let key = secret.key;
    if secret.given() > 1 {
        bad(
            &format!("[{section}] {key}"),
            format!("give only one of {key}, {key}_env and {key}_file"),
        );
    }
    if let Some(var) = secret.env {
        if std::env::var_os(var).is_none() {
            bad(
                &format!("[{section}] {key}_env"),
                format!("environment variable {var} is not set"),
            );
        }
    }
    if let Some(file) = secret.file {
        if !file.is_file() {
            bad(
                &format!("[{section}] {key}_file"),
                format!("{} does not exist or is not a file", file.display()),
            );
        }
    }
}

pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn is_email_address(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !local.contains(char::is_whitespace) && is_domain(domain)
        }
        None => false,
    }
}

pub(crate) fn is_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// A database URL with its password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The toml crate's message already names the key and line; keep it on one
/// line-block and make unknown keys read naturally.
fn describe_toml_error(e: &toml::de::Error) -> String {
    e.to_string().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    const GOOD: &str = r#"
[council]
name = "Test Council"
address = "foi@council.test"
domain = "council.test"

[imap]
host = "imap.council.test"
username = "foi@council.test"
password = "x"

[officers]
team = ["officer1@council.test"]
"#;

    fn problems_of(text: &str) -> Vec<String> {
        match parse(text) {
            Err(ConfigError::Invalid { problems, .. }) => {
                problems.iter().map(|p| p.to_string()).collect()
            }
            Err(e) => vec![e.to_string()],
            Ok(_) => vec![],
        }
    }

    #[test]
    fn good_config_has_defaults() {
        let c = parse(GOOD).expect("valid");
        assert_eq!(c.council.timezone, "Europe/London");
        assert_eq!(c.region(), Region::EnglandAndWales);
        let imap = c.imap.expect("imap");
        assert_eq!(imap.mailbox, "INBOX");
        assert_eq!(imap.connection.tls, Tls::Implicit);
        assert_eq!(imap.connection.port_or(993, 143), 993);
        assert_eq!(c.database.url, "sqlite://foid.db");
        assert_eq!(
            c.officers.approvers(),
            &["officer1@council.test".to_string()]
        );
    }

    #[test]
    fn breach_check_keys_are_read_and_checked() {
        let c = parse(&format!(
            "{GOOD}\n[breach_check]\ntimeout_seconds = 5\nallowed_addresses = [\"press@council.test\"]\n[breach_check.thresholds]\npeoples_names = 20\n[breach_check.limits]\nmax_entries = 50\n"
        ))
        .expect("valid");
        let policy = c.breach_policy();
        assert_eq!(policy.thresholds.peoples_names, 20);
        assert_eq!(
            policy.thresholds.email_addresses, 1,
            "the rest keep their defaults"
        );
        assert_eq!(policy.limits.max_entries, 50);
        assert!(policy.allowed_addresses.contains(&c.council.address));
        let p = problems_of(&format!(
            "{GOOD}\n[breach_check.limits]\nmax_xml_depth = 0\n"
        ));
        assert_eq!(
            p,
            vec!["[breach_check.limits] max_xml_depth: must be more than 0"]
        );
        let p = problems_of(&format!("{GOOD}\n[breach_check]\ntimeout_seconds = 0\n"));
        assert_eq!(
            p,
            vec!["[breach_check] timeout_seconds: must be between 1 and 3600"]
        );
        let p = problems_of(&format!("{GOOD}\n[breach_check.thresholds]\nnames = 3\n"));
        assert!(
            p.len() == 1 && p[0].contains("unknown field `names`"),
            "{p:?}"
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        let c = parse(GOOD).expect("valid");
        let shown = format!("{c:?}");
        assert!(shown.contains("imap.council.test"));
        assert!(!shown.contains("password: Some(\"x\")"), "{shown}");
        assert!(shown.contains("\"***\""), "{shown}");
    }

    #[test]
    fn plaintext_to_remote_host_is_refused() {
        let p = problems_of(&GOOD.replace(
            "host = \"imap.council.test\"",
            "host = \"imap.council.test\"\ntls = \"none\"",
        ));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("[imap] tls:"), "{p:?}");
        assert!(p[0].contains("loopback"));
        let ok = problems_of(&GOOD.replace(
            "host = \"imap.council.test\"",
            "host = \"127.0.0.1\"\ntls = \"none\"",
        ));
        assert!(ok.is_empty(), "{ok:?}");
    }

    #[test]
    fn bad_region_names_the_key_and_the_choices() {
        let p = problems_of(&GOOD.replace(
            "domain = \"council.test\"",
            "domain = \"council.test\"\nregion = \"wales\"",
        ));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("[council] region:"), "{p:?}");
        assert!(p[0].contains("england-and-wales"), "{p:?}");
    }

    #[test]
    fn bad_timezone_and_address_are_both_reported() {
        let p = problems_of(
            &GOOD
                .replace(
                    "address = \"foi@council.test\"",
                    "address = \"foi-at-council\"",
                )
                .replace(
                    "domain = \"council.test\"",
                    "domain = \"council.test\"\ntimezone = \"Europe/Londn\"",
                ),
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("[council] address:")));
        assert!(p.iter().any(|m| m.starts_with("[council] timezone:")));
    }

    #[test]
    fn unknown_key_is_a_syntax_error_naming_it() {
        let e = parse(&GOOD.replace("password = \"x\"", "password = \"x\"\npasword_env = \"Y\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("pasword_env"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = parse(&GOOD.replace(
            "host = \"imap.council.test\"",
            "host = \"imap.council.test\"\nport = \"nine-nine-three\"",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("port"), "{e}");
    }

    #[test]
    fn two_password_sources_and_missing_env_are_refused() {
        let p = problems_of(&GOOD.replace(
            "password = \"x\"",
            "password = \"x\"\npassword_env = \"FOID_TEST_SURELY_UNSET_VARIABLE\"",
        ));
        assert!(p.iter().any(|m| m.contains("only one of")), "{p:?}");
        assert!(
            p.iter()
                .any(|m| m.contains("FOID_TEST_SURELY_UNSET_VARIABLE is not set")),
            "{p:?}"
        );
    }

    #[test]
    fn missing_source_is_reported() {
        let text = GOOD.split("[imap]").next().expect("head").to_string();
        let p = problems_of(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("[imap]:"), "{p:?}");
    }

    #[test]
    fn bad_database_url_is_redacted() {
        let p = problems_of(&format!(
            "{GOOD}\n[database]\nurl = \"mysql://foi:hunter2@db/foid\"\n"
        ));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("[database] url:"));
        assert!(!p[0].contains("hunter2"), "{p:?}");
    }

    #[test]
    fn holiday_changes_are_checked() {
        let p = problems_of(&format!(
            "{GOOD}\n[[holidays.add]]\ndate = \"2026-13-01\"\nregion = \"scotland\"\n"
        ));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("[holidays] add[0].date:"), "{p:?}");
    }

    fn with_oauth(oauth2: &str) -> String {
        format!(
            "{}\n[oauth2]\n{oauth2}\n",
            GOOD.replace("password = \"x\"", "auth = \"oauth2\"")
        )
    }

    #[test]
    fn oauth2_logins_are_checked_by_key() {
        let entra =
            "provider = \"entra\"\ntenant_id = \"t\"\nclient_id = \"c\"\nclient_secret = \"s\"";
        let c = parse(&with_oauth(entra)).expect("valid");
        let imap = c.imap.expect("imap");
        assert_eq!(imap.connection.auth, AuthMethod::Oauth2);
        assert!(
            imap.connection.tokens.is_some(),
            "the token source is attached"
        );

        let p = problems_of(&GOOD.replace("password = \"x\"", "auth = \"oauth2\""));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("[oauth2]: missing: [imap] auth = \"oauth2\""),
            "{p:?}"
        );

        let p = problems_of(&format!("{GOOD}\n[oauth2]\n{entra}\n"));
        assert!(p[0].contains("neither [imap] nor [smtp] has auth"), "{p:?}");

        let p = problems_of(&with_oauth(&entra.replace("tenant_id = \"t\"\n", "")));
        assert_eq!(
            p,
            vec!["[oauth2] tenant_id: missing: provider \"entra\" needs it"]
        );

        let both = format!(
            "{entra}\ncertificate_file = \"Cargo.toml\"\nprivate_key_file = \"Cargo.toml\""
        );
        let p = problems_of(&with_oauth(&both));
        assert!(
            p[0].starts_with("[oauth2] client_secret: give either"),
            "{p:?}"
        );

        let half = entra.replace("client_secret = \"s\"", "certificate_file = \"Cargo.toml\"");
        let p = problems_of(&with_oauth(&half));
        assert!(
            p.iter().any(|m| m.starts_with(
                "[oauth2] certificate_file: certificate_file and private_key_file go together"
            )),
            "{p:?}"
        );

        let p = problems_of(&with_oauth(
            "provider = \"generic\"\ntoken_url = \"http://idp.council.test/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\nscope = \"mail\"",
        ));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("[oauth2] token_url:") && p[0].contains("in clear"),
            "{p:?}"
        );

        let p = problems_of(&with_oauth(
            "provider = \"google\"\nservice_account_file = \"Cargo.toml\"\nclient_id = \"c\"",
        ));
        assert!(
            p[0].starts_with("[oauth2] client_id: provider \"google\" takes"),
            "{p:?}"
        );

        let p = problems_of(
            &with_oauth(entra).replace("auth = \"oauth2\"", "auth = \"oauth2\"\npassword = \"x\""),
        );
        assert!(
            p[0].starts_with("[imap] password: auth = \"oauth2\" takes no password"),
            "{p:?}"
        );
    }

    #[test]
    fn smtp_oauthbearer_is_refused_with_why() {
        let text = format!(
            "{}\n[smtp]\nhost = \"smtp.council.test\"\nauth = \"oauth2\"\nsasl_mechanism = \"oauthbearer\"\nusername = \"foi@council.test\"\n",
            with_oauth("provider = \"entra\"\ntenant_id = \"t\"\nclient_id = \"c\"\nclient_secret = \"s\"")
        );
        let p = problems_of(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("[smtp] sasl_mechanism:") && p[0].contains("XOAUTH2 only"),
            "{p:?}"
        );
    }

    #[test]
    fn example_config_is_valid() {
        // The example's certificate paths are the council's; point them at
        // files that exist here.
        let text = include_str!("../../config/foid.example.toml")
            .replace("/etc/foid/foid-app.pem", "Cargo.toml")
            .replace("/etc/foid/foid-app.key", "Cargo.toml");
        let c = parse(&text).expect("config/foid.example.toml must be valid");
        let imap = c.imap.expect("imap");
        assert_eq!(imap.connection.auth, AuthMethod::Oauth2);
        assert!(imap.connection.tokens.is_some());
        assert!(c.smtp.is_some_and(|s| s.tokens.is_some()));
    }
}
