//! The daemon: ingest -> process -> send, each stage idempotent, supervised
//! and stopped cleanly on SIGTERM/SIGINT after the item in hand.

pub mod apply;
pub mod attachment_check;
pub mod demo;
pub mod http;
pub mod import;
pub mod ingest;
pub mod maildir;
pub mod metrics;
pub mod process;
pub mod reminders;
pub mod send;
pub mod similarity;
pub mod supervise;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use tokio::sync::{watch, Notify};
use tracing::{info, warn};

use crate::config::Config;
use crate::core::approval::ApprovalKey;
use crate::core::calendar::{Calendar, Region};
use crate::core::intake::IntakePolicy;
use crate::core::reference::ReferenceFormat;
use crate::core::trust::Policy;
use crate::store::Store;

/// What every stage needs: configuration, storage, the calendar.
pub struct Context {
    pub config: Config,
    pub store: Store,
    /// Swapped whole when SIGHUP reloads the holidays.
    calendar: std::sync::RwLock<std::sync::Arc<Calendar>>,
    pub region: Region,
    pub tz: jiff::tz::TimeZone,
    pub policy: IntakePolicy,
    /// How officers' mail is vouched for; `None`: no command is obeyed.
    pub trust: Option<Policy>,
    pub approval_key: ApprovalKey,
    /// Queue outgoing mail as held (never sent): a backfill import.
    pub hold_outgoing: bool,
    /// Imported mail that arrived before this is history
    /// (`foid import --history`): recorded closed, nothing sent.
    pub history_before: Option<jiff::Timestamp>,
    /// Wakes the send stage when mail is queued.
    pub sender_wakeup: Notify,
    /// This process, for the claims it makes on outbox rows.
    pub instance: String,
    /// What draft attachments are checked for.
    pub breach_policy: std::sync::Arc<crate::core::breach_check::Policy>,
    /// Past requests' signatures, for repeat detection.
    pub similarity: std::sync::Mutex<crate::store::similarity_index::SimilarityIndex>,
    /// Whether `similarity` holds the database's history yet (`foid run`
    /// builds it in its ingest stage, so the rest starts at once).
    pub similarity_loaded: std::sync::atomic::AtomicBool,
    /// What `/metrics` and `/healthz` report.
    pub metrics: metrics::Metrics,
}

impl Context {
    /// A context with the similarity index built.
    pub async fn new(config: Config, store: Store) -> Result<Context> {
        let ctx = Context::without_index(config, store).await?;
        similarity::ensure_loaded(&ctx).await?;
        Ok(ctx)
    }

    /// A context whose similarity index is still to be built
    /// ([`similarity::ensure_loaded`]): for `foid run`, whose other stages
    /// need not wait for it.
    pub async fn without_index(config: Config, store: Store) -> Result<Context> {
        let calendar = build_calendar(&config, &store).await?;
        let policy = intake_policy(&config);
        let trust = config
            .trust
            .as_ref()
            .and_then(|t| t.policy(&config.council.domain));
        if trust.is_none() && !config.officers.team.is_empty() {
            warn!("no [trust] mode is configured: officers' #commands will be quarantined, not obeyed");
        }
        let approval_key = load_approval_key(&config)?;
        Ok(Context {
            similarity: std::sync::Mutex::new(
                crate::store::similarity_index::SimilarityIndex::new(),
            ),
            similarity_loaded: std::sync::atomic::AtomicBool::new(false),
            metrics: metrics::Metrics::default(),
            breach_policy: std::sync::Arc::new(config.breach_policy()),
            region: config.region(),
            tz: config.timezone(),
            calendar: std::sync::RwLock::new(std::sync::Arc::new(calendar)),
            policy,
            trust,
            approval_key,
            config,
            store,
            hold_outgoing: false,
            history_before: None,
            sender_wakeup: Notify::new(),
            instance: format!(
                "{}-{}-{:08x}",
                hostname(),
                std::process::id(),
                rand::random::<u32>()
            ),
        })
    }

    /// The bank holidays in force.
    pub fn calendar(&self) -> std::sync::Arc<Calendar> {
        match self.calendar.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts reloaded holidays in force (SIGHUP).
    pub fn set_calendar(&self, calendar: Calendar) {
        let mut slot = match self.calendar.write() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = std::sync::Arc::new(calendar);
    }

    /// Whether an address is an officer's (team, approvers or manager).
    pub fn is_officer(&self, address: &str) -> bool {
        self.policy.is_officer(address)
    }

    /// Whether a stored message is past mail imported as history.
    pub fn is_history(&self, raw: &crate::store::RawMessage) -> bool {
        raw.source == crate::core::case::Source::Import.as_str()
            && self
                .history_before
                .is_some_and(|before| crate::store::from_secs(raw.arrived_at) < before)
    }

    /// Tells the send stage there is mail to send.
    pub fn wake_sender(&self) {
        self.sender_wakeup.notify_one();
    }

    /// The settings officers' commands are planned with.
    pub fn casework<'a>(&'a self, calendar: &'a Calendar) -> crate::core::casework::Settings<'a> {
        let o = &self.config.officers;
        crate::core::casework::Settings {
            council_name: &self.config.council.name,
            council_address: &self.config.council.address,
            team: &o.team,
            approvers: o.approvers(),
            manager: o.manager.as_deref(),
            four_eyes: self.config.approval.four_eyes,
            code_ttl_hours: self.config.approval.code_ttl_hours,
            key: &self.approval_key,
            calendar,
            region: self.region,
            tz: &self.tz,
            now: self.now(),
        }
    }

    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }

    pub fn today(&self) -> jiff::civil::Date {
        crate::core::clock::date_of_receipt(self.now(), &self.tz)
    }

    pub fn is_our_address(&self, address: &str) -> bool {
        address.eq_ignore_ascii_case(&self.config.council.address)
    }
}

/// Who we are, for telling our own mail and the officers' commands apart.
pub fn intake_policy(config: &Config) -> IntakePolicy {
    let officers: Vec<&str> = config
        .officers
        .team
        .iter()
        .chain(config.officers.approvers.iter())
        .chain(config.officers.manager.iter())
        .map(String::as_str)
        .collect();
    let mut policy = IntakePolicy::new(&config.council.address, &config.council.domain, &officers);
    if let Ok(references) = ReferenceFormat::new(&config.council.reference_format) {
        policy.references = references;
    }
    policy.spam = config.spam_policy();
    policy
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "foid".into())
}

/// The key approval codes are made with: `[approval] key_env` or
/// `key_file` (hex, or raw bytes), else `approval.key` in foid's state
/// directory, made on first start (mode 0600).
pub fn load_approval_key(config: &Config) -> Result<ApprovalKey> {
    let a = &config.approval;
    let bytes = if let Some(var) = &a.key_env {
        let text = std::env::var(var).with_context(|| {
            format!("[approval] key_env: environment variable {var} is not set")
        })?;
        hex::decode(text.trim()).with_context(|| {
            format!("[approval] key_env: {var} must hold the key as hex (at least 64 hex digits)")
        })?
    } else if let Some(file) = &a.key_file {
        read_key_file(file).with_context(|| format!("[approval] key_file: {}", file.display()))?
    } else {
        let path = state_dir(config).join("approval.key");
        if path.exists() {
            read_key_file(&path).with_context(|| format!("approval key {}", path.display()))?
        } else {
            generate_key_file(&path)?
        }
    };
    ApprovalKey::new(bytes).map_err(|e| anyhow::anyhow!("{e}"))
}

fn read_key_file(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(hex::decode(text.trim()).unwrap_or(bytes))
}

fn generate_key_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let key: [u8; 32] = rand::random();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the approval key {}", path.display()))?;
    f.write_all(hex::encode(key).as_bytes())?;
    f.sync_all()?;
    info!(path = %path.display(), "generated a new approval key (set [approval] key_file to use your own; every instance must share it)");
    Ok(key.to_vec())
}

/// Where foid keeps its own files: systemd's `STATE_DIRECTORY`, else the
/// directory of the SQLite database, else `~/.local/state/foid`.
pub fn state_dir(config: &Config) -> PathBuf {
    if let Some(dir) = std::env::var_os("STATE_DIRECTORY") {
        if let Some(first) = std::env::split_paths(&dir).next() {
            return first;
        }
    }
    if let Some(rest) = config.database.url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        if path != ":memory:" {
            if let Some(dir) = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                return dir.to_path_buf();
            }
            return PathBuf::from(".");
        }
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/state/foid"),
        None => PathBuf::from("/var/lib/foid"),
    }
}

/// Settings key under which an imported gov.uk bank-holidays.json is kept.
pub const IMPORTED_HOLIDAYS_KEY: &str = "govuk_bank_holidays_json";
/// Settings key of the calendar fingerprint open cases were computed with.
pub const CALENDAR_FINGERPRINT_KEY: &str = "calendar_fingerprint";

/// The shipped bank holidays, then an imported gov.uk file, then the
/// configuration's own additions and removals.
pub async fn build_calendar(config: &Config, store: &Store) -> Result<Calendar> {
    let mut calendar = Calendar::shipped();
    if let Some(json) = store.setting(IMPORTED_HOLIDAYS_KEY).await? {
        calendar
            .import_govuk_json(&json)
            .context("the imported gov.uk bank holidays in the database are not valid")?;
    }
    if let Some(path) = &config.holidays.govuk_json {
        let json = std::fs::read_to_string(path)
            .with_context(|| format!("[holidays] govuk_json: cannot read {}", path.display()))?;
        calendar
            .import_govuk_json(&json)
            .with_context(|| format!("[holidays] govuk_json: {} is not valid", path.display()))?;
    }
    apply_holiday_config(config, &mut calendar);
    Ok(calendar)
}

pub fn apply_holiday_config(config: &Config, calendar: &mut Calendar) {
    for change in &config.holidays.add {
        if let (Ok(date), Ok(region)) = (change.date.parse(), change.region.parse()) {
            let name = change
                .name
                .clone()
                .unwrap_or_else(|| "Bank holiday (configured)".into());
            calendar.add_day(region, date, name);
        }
    }
    for change in &config.holidays.remove {
        if let (Ok(date), Ok(region)) = (change.date.parse(), change.region.parse()) {
            calendar.remove_day(region, date);
        }
    }
}

/// The whole daemon. With `once`, one pass of each stage and exit.
/// `config_path` is read again on SIGHUP, for the holidays.
pub async fn run(config: Config, config_path: &Path, once: bool) -> Result<()> {
    // Listen for SIGTERM/SIGINT before anything else, so that a stop
    // requested while starting up is a clean stop too.
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = std::sync::Arc::new(stop_tx);
    if !once {
        // Registered here, not in the task, so no signal falls between.
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        let stop_tx = stop_tx.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            info!("shutdown requested; finishing the item in hand");
            let _ = stop_tx.send(true);
        });
    }
    let store = Store::open(&config.database.url).await?;
    let applied = store.migrate().await?;
    if applied > 0 {
        info!(applied, "database migrated");
    }
    let listener = match (&config.http, once) {
        (Some(h), false) => Some(http::bind(&h.listen).await?),
        _ => None,
    };
    let ctx = std::sync::Arc::new(Context::without_index(config, store).await?);
    // Held for the process's lifetime: the other instances' sign that this
    // one is alive and its outbox claims are live.
    let _alive = ctx.store.instance_lease(&ctx.instance).await?;
    recompute_open_cases(&ctx).await?;
    if once {
        similarity::ensure_loaded(&ctx).await?;
        run_once(&ctx).await?;
        return Ok(());
    }
    if !once {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
        let (ctx, path) = (ctx.clone(), config_path.to_path_buf());
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                match reload_holidays(&ctx, &path).await {
                    Ok(changed) => info!(
                        changed,
                        "SIGHUP: bank holidays reloaded; open cases' due dates recomputed (other settings take effect at the next start)"
                    ),
                    Err(e) => warn!(error = %format!("{e:#}"), "SIGHUP: not reloaded; the holidays in force stay"),
                }
            }
        });
    }
    if let Some(listener) = listener {
        // Not supervised: a listener that fails takes nothing else down,
        // and its absence shows in the monitoring at once.
        let (ctx, stop) = (ctx.clone(), stop_rx.clone());
        tokio::spawn(async move {
            if let Err(e) = http::serve(ctx, listener, stop).await {
                warn!(error = %format!("{e:#}"), "the HTTP listener stopped");
            }
        });
    }

    // Each stage under supervision: restarted when it fails, and the
    // process ends with an error when one keeps failing.
    let restarts = supervise::Restarts::default();
    let ingest = {
        let (ctx, stop, stop_all) = (ctx.clone(), stop_rx.clone(), stop_tx.clone());
        tokio::spawn(async move {
            supervise::supervise("ingest", restarts, stop.clone(), &stop_all, || {
                let (ctx, stop) = (ctx.clone(), stop.clone());
                async move {
                    // Requests are checked against the whole history, so
                    // none is processed before the index holds it.
                    similarity::ensure_loaded(&ctx).await?;
                    if ctx.config.imap.is_some() {
                        ingest::run(&ctx, stop).await
                    } else {
                        maildir::run(&ctx, stop).await
                    }
                }
            })
            .await
        })
    };
    let sender = {
        let (ctx, stop, stop_all) = (ctx.clone(), stop_rx.clone(), stop_tx.clone());
        tokio::spawn(async move {
            supervise::supervise("send", restarts, stop.clone(), &stop_all, || {
                let (ctx, stop) = (ctx.clone(), stop.clone());
                async move { send::run(&ctx, stop).await }
            })
            .await
        })
    };
    let reminders = {
        let (ctx, stop, stop_all) = (ctx.clone(), stop_rx.clone(), stop_tx.clone());
        tokio::spawn(async move {
            supervise::supervise("reminders", restarts, stop.clone(), &stop_all, || {
                let (ctx, stop) = (ctx.clone(), stop.clone());
                async move { reminders::run(&ctx, stop).await }
            })
            .await
        })
    };
    let maintenance = {
        let ctx = ctx.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            // The WAL grows until checkpointed; do it in the quiet moments.
            while !sleep_or_stop(&mut stop, Duration::from_secs(600)).await {
                if let Err(e) = ctx.store.checkpoint_wal().await {
                    warn!(error = %format!("{e:#}"), "WAL checkpoint failed");
                }
            }
            Ok::<(), anyhow::Error>(())
        })
    };
    let (a, b, c, d) = tokio::join!(ingest, sender, reminders, maintenance);
    let mut failed = None;
    for (name, result) in [
        ("ingest", a),
        ("send", b),
        ("reminders", c),
        ("maintenance", d),
    ] {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failed = Some(e),
            Err(e) => failed = Some(anyhow::anyhow!("the {name} supervisor panicked: {e}")),
        }
    }
    ctx.store.checkpoint_wal().await.ok();
    ctx.store.close().await;
    match failed {
        Some(e) => Err(e),
        None => {
            info!("stopped");
            Ok(())
        }
    }
}

/// One pass: fetch what is waiting, process it, send the outbox.
pub async fn run_once(ctx: &Context) -> Result<()> {
    let (_tx, stop) = watch::channel(false);
    if ctx.config.imap.is_some() {
        ingest::run_pass(ctx).await?;
    } else {
        maildir::ingest_pass(ctx).await?;
        process::process_pending(ctx).await?;
    }
    if ctx.config.smtp.is_some() {
        if ctx.store.backend() == crate::store::Backend::Sqlite {
            ctx.store.release_claims(ctx.now()).await?;
        }
        send::send_due(ctx, &stop).await?;
    }
    Ok(())
}

/// Sleeps, or returns early (true) when shutdown is requested.
pub async fn sleep_or_stop(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

/// Reads the configuration again and puts its holidays (`[holidays]`, the
/// gov.uk file, an imported one) in force, recomputing open cases whose
/// due date moves. A configuration that does not load changes nothing.
pub async fn reload_holidays(ctx: &Context, path: &Path) -> Result<usize> {
    let config = Config::load(path)?;
    let calendar = build_calendar(&config, &ctx.store).await?;
    ctx.set_calendar(calendar);
    recompute_open_cases(ctx).await
}

/// When the bank holidays changed since open cases were computed, recompute
/// each open case's due date and record the change on the case.
pub async fn recompute_open_cases(ctx: &Context) -> Result<usize> {
    let calendar = ctx.calendar();
    let fingerprint = calendar.fingerprint();
    if ctx
        .store
        .setting(CALENDAR_FINGERPRINT_KEY)
        .await?
        .as_deref()
        == Some(&fingerprint)
    {
        return Ok(0);
    }
    let mut changed = 0;
    let today = ctx.today();
    let cases = ctx.store.cases(true).await?;
    let clocks = ctx
        .store
        .case_clocks(&cases, ctx.region, &calendar, today)
        .await?;
    for (case, clock) in cases.into_iter().zip(clocks) {
        let Some(clock) = clock else {
            bail!(
                "case {}: regime {:?} is not known",
                case.reference,
                case.regime
            );
        };
        let new_due = clock.deadline().map(|d| d.to_string());
        if new_due != case.due_on {
            ctx.store
                .set_due_date(
                    case.id,
                    clock.deadline(),
                    &crate::core::case::CaseEvent::DueDateRecomputed {
                        old_due_on: case.due_on.clone(),
                        new_due_on: new_due.clone(),
                        reason: "bank holidays changed".into(),
                    },
                    ctx.now(),
                )
                .await?;
            info!(reference = %case.reference, old = ?case.due_on, new = ?new_due, "due date recomputed");
            changed += 1;
        }
    }
    ctx.store
        .set_setting(CALENDAR_FINGERPRINT_KEY, &fingerprint)
        .await?;
    Ok(changed)
}
