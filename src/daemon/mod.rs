//! The daemon: ingest -> process -> send, each stage idempotent, supervised
//! and stopped cleanly on SIGTERM/SIGINT after the item in hand.

pub mod demo;
pub mod import;
pub mod ingest;
pub mod maildir;
pub mod process;
pub mod send;

use std::time::Duration;

use anyhow::{Context as _, Result};
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::config::Config;
use crate::core::calendar::{Calendar, Region};
use crate::core::intake::IntakePolicy;
use crate::store::Store;

/// What every stage needs: configuration, storage, the calendar.
pub struct Context {
    pub config: Config,
    pub store: Store,
    pub calendar: Calendar,
    pub region: Region,
    pub tz: jiff::tz::TimeZone,
    pub policy: IntakePolicy,
    /// Queue outgoing mail as held (never sent): a backfill import.
    pub hold_outgoing: bool,
}

impl Context {
    pub async fn new(config: Config, store: Store) -> Result<Context> {
        let calendar = build_calendar(&config, &store).await?;
        let policy = intake_policy(&config);
        Ok(Context {
            region: config.region(),
            tz: config.timezone(),
            calendar,
            policy,
            config,
            store,
            hold_outgoing: false,
        })
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
    IntakePolicy::new(&config.council.address, &config.council.domain, &officers)
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
pub async fn run(config: Config, once: bool) -> Result<()> {
    // Listen for SIGTERM/SIGINT before anything else, so that a stop
    // requested while starting up is a clean stop too.
    let (stop_tx, stop_rx) = watch::channel(false);
    if !once {
        // Registered here, not in the task, so no signal falls between.
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
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
    let ctx = std::sync::Arc::new(Context::new(config, store).await?);
    recompute_open_cases(&ctx).await?;
    if once {
        run_once(&ctx).await?;
        return Ok(());
    }

    let ingest = {
        let ctx = ctx.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            if ctx.config.imap.is_some() {
                ingest::run(&ctx, stop).await
            } else {
                maildir::run(&ctx, stop).await
            }
        })
    };
    let sender = {
        let ctx = ctx.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move { send::run(&ctx, stop).await })
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
            Ok(())
        })
    };
    let (a, b, c) = tokio::join!(ingest, sender, maintenance);
    for (name, result) in [("ingest", a), ("send", b), ("maintenance", c)] {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => error!(stage = name, error = %format!("{e:#}"), "stage failed"),
            Err(e) => error!(stage = name, error = %e, "stage panicked"),
        }
    }
    ctx.store.checkpoint_wal().await.ok();
    ctx.store.close().await;
    info!("stopped");
    Ok(())
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

/// When the bank holidays changed since open cases were computed, recompute
/// each open case's due date and record the change on the case.
pub async fn recompute_open_cases(ctx: &Context) -> Result<usize> {
    let fingerprint = ctx.calendar.fingerprint();
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
    for case in ctx.store.cases(true).await? {
        let Ok(regime) = case.regime.parse::<crate::core::clock::Regime>() else {
            continue;
        };
        let events = ctx.store.clock_events(case.id).await?;
        let clock =
            crate::core::clock::case_clock(regime, ctx.region, &events, &ctx.calendar, today);
        let new_due = clock.due.map(|d| d.to_string());
        if new_due != case.due_on {
            ctx.store
                .set_due_date(
                    case.id,
                    clock.due,
                    "due_date_recomputed",
                    &serde_json::json!({
                        "old_due_on": case.due_on,
                        "new_due_on": new_due,
                        "reason": "bank holidays changed",
                    }),
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
