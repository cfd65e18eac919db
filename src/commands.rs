//! The commands that read rather than run: deadline, holidays, parse, cases,
//! show, stats.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;

use crate::cli::{
    load_config, open_store, CasesArgs, DeadlineArgs, HolidaysAction, HolidaysArgs, ParseArgs,
    ShowArgs, StatsArgs,
};
use crate::config::Config;
use crate::core::calendar::{Calendar, Region};
use crate::core::clock::{self, ClockEvent, Regime};
use crate::daemon::{self, IMPORTED_HOLIDAYS_KEY};
use crate::store::Store;

/// The configuration if one is named or `foid.toml` exists; commands that
/// work without one use the defaults otherwise.
fn optional_config(path: Option<&Path>) -> Result<Option<Config>> {
    if path.is_some() || Path::new(crate::config::DEFAULT_CONFIG_PATH).exists() {
        load_config(path).map(Some)
    } else {
        Ok(None)
    }
}

pub fn deadline(config_path: Option<&Path>, args: &DeadlineArgs) -> Result<ExitCode> {
    let config = optional_config(config_path)?;
    let regime: Regime = args.regime.parse().map_err(|e| anyhow!("--regime: {e}"))?;
    let region: Region = match (&args.region, &config) {
        (Some(r), _) => r.parse().map_err(|e| anyhow!("--region: {e}"))?,
        (None, Some(c)) => c.region(),
        (None, None) => Region::EnglandAndWales,
    };
    let tz_name = args
        .timezone
        .clone()
        .or_else(|| config.as_ref().map(|c| c.council.timezone.clone()))
        .unwrap_or_else(|| "Europe/London".into());
    let tz = jiff::tz::TimeZone::get(&tz_name)
        .map_err(|_| anyhow!("--timezone: {tz_name:?} is not a known IANA time zone"))?;
    let received = parse_received(&args.received, &tz)?;
    let mut calendar = Calendar::shipped();
    if let Some(c) = &config {
        daemon::apply_holiday_config(c, &mut calendar);
    }
    let events = [ClockEvent::Received { date: received }];
    let today = clock::date_of_receipt(jiff::Timestamp::now(), &tz);
    let clock = clock::case_clock(regime, region, &events, &calendar, today);
    let due = clock
        .deadline()
        .ok_or_else(|| anyhow!("no due date could be computed"))?;
    if args.json {
        let out = json!({
            "regime": regime.as_str(),
            "region": region.as_str(),
            "received_on": received.to_string(),
            "due_on": clock.due.map(|d| d.to_string()),
            "target_on": clock.target.map(|d| d.to_string()),
            "steps": if args.explain { serde_json::to_value(&clock.steps)? } else { serde_json::Value::Null },
        });
        println!("{due}");
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{due}");
        if args.explain {
            print!("{}", clock.explain());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A date is the date of receipt itself; a timestamp is converted to the
/// council's time zone first (23:30 UTC on a summer Thursday is a Friday).
fn parse_received(text: &str, tz: &jiff::tz::TimeZone) -> Result<jiff::civil::Date> {
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        if !text.contains('T') && !text.contains(' ') {
            return Ok(date);
        }
    }
    let ts: jiff::Timestamp = text.parse().map_err(|_| {
        anyhow!("--received: {text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 timestamp (e.g. 2026-06-04T23:30:00Z)")
    })?;
    Ok(clock::date_of_receipt(ts, tz))
}

pub async fn holidays(config_path: Option<&Path>, args: &HolidaysArgs) -> Result<ExitCode> {
    let config = optional_config(config_path)?;
    if let Some(HolidaysAction::Import { file }) = &args.action {
        let config = config.ok_or_else(|| {
            anyhow!("importing needs a configuration (the import is kept in its database): pass --config FILE")
        })?;
        return import_holidays(&config, file).await;
    }
    let calendar = match &config {
        Some(c) => {
            let store = open_store(c).await?;
            daemon::build_calendar(c, &store).await?
        }
        None => Calendar::shipped(),
    };
    let year = args
        .year
        .unwrap_or_else(|| jiff::Zoned::now().date().year());
    let region: Option<Region> = args
        .region
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| anyhow!("--region: {e}"))?;
    let list = calendar.holidays(year, region);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        for h in list {
            println!(
                "{}  {:<3}  {:<17}  {:<9}  {}",
                h.date,
                h.date.strftime("%a"),
                h.region.as_str(),
                h.source.to_string(),
                h.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks a gov.uk bank-holidays.json, keeps it in the database (read at
/// every start, before the configuration's own changes), and reports what
/// it changed. Open cases are recomputed at the next start.
async fn import_holidays(config: &Config, file: &PathBuf) -> Result<ExitCode> {
    let json =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut calendar = Calendar::shipped();
    let summary = calendar
        .import_govuk_json(&json)
        .with_context(|| format!("{} is not a gov.uk bank-holidays.json", file.display()))?;
    let store = open_store(config).await?;
    store.set_setting(IMPORTED_HOLIDAYS_KEY, &json).await?;
    for d in &summary.divisions {
        println!(
            "{}: {} holiday(s), {}-{}",
            d.region.as_str(),
            d.events,
            d.first_year,
            d.last_year
        );
    }
    println!(
        "imported: {} added, {} removed, {} renamed compared with the shipped data; open cases are recomputed at the next start",
        summary.added, summary.removed, summary.renamed
    );
    Ok(ExitCode::SUCCESS)
}

pub fn parse(config_path: Option<&Path>, args: &ParseArgs) -> Result<ExitCode> {
    let config =
        optional_config(config_path)?.unwrap_or_else(|| Config::embedded("sqlite://foid.db", None));
    let raw = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let policy = daemon::intake_policy(&config);
    let received_at = crate::daemon::import::arrival_time(&raw);
    let parsed = match crate::mail::message::parse_request(&raw, &policy, received_at) {
        Ok(p) => p,
        Err(e) => bail!("{} would be quarantined: {e}", args.file.display()),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&parsed)?);
    } else {
        let value = serde_json::to_value(&parsed)?;
        print_parsed(&value);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_parsed(v: &serde_json::Value) {
    let s = |k: &str| v[k].as_str().unwrap_or("-").to_string();
    println!("kind:       {}", s("kind"));
    if let Some(reasons) = v["kind_reasons"].as_array() {
        for r in reasons {
            println!("            - {}", r.as_str().unwrap_or_default());
        }
    }
    println!("case ref:   {}", s("case_ref"));
    let r = &v["requester"];
    println!(
        "requester:  {} <{}>, replies to {}, identity {}",
        r["name"].as_str().unwrap_or("-"),
        r["email"].as_str().unwrap_or("-"),
        r["reply_to"].as_str().unwrap_or("-"),
        r["identity"].as_str().unwrap_or("-"),
    );
    println!("received:   {}", s("received_at"));
    let questions = v["questions"].as_array().cloned().unwrap_or_default();
    println!("questions:  {}", questions.len());
    for q in &questions {
        println!(
            "  {}. {}",
            q["number"],
            q["text"].as_str().unwrap_or_default()
        );
        for p in q["parts"].as_array().into_iter().flatten() {
            println!(
                "     {}) {}",
                p["label"].as_str().unwrap_or_default(),
                p["text"].as_str().unwrap_or_default()
            );
        }
        for o in q["options"].as_array().into_iter().flatten() {
            println!("     · {}", o.as_str().unwrap_or_default());
        }
    }
    for n in v["notes"].as_array().into_iter().flatten() {
        println!("note:       {}", n.as_str().unwrap_or_default());
    }
}

pub async fn cases(store: &Store, args: &CasesArgs) -> Result<ExitCode> {
    let cases = store.cases(!args.all).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&cases)?);
        return Ok(ExitCode::SUCCESS);
    }
    crate::daemon::demo::print_cases(&cases);
    let quarantined = store.quarantined().await?;
    if !quarantined.is_empty() {
        println!("\nQuarantined messages (kept with their raw bytes):");
        for q in quarantined {
            println!(
                "  #{:<6} {}  {}",
                q.id,
                q.message_id,
                q.quarantine_reason.unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn show(config: &Config, store: &Store, args: &ShowArgs) -> Result<ExitCode> {
    let Some(case) = store.case_by_reference(&args.reference).await? else {
        bail!("no case with reference {}", args.reference);
    };
    let events = store.case_events(case.id).await?;
    // The clock as of today, derived from the case's clock events.
    let clock = match case.regime.parse::<Regime>() {
        Ok(regime) => {
            let clock_events = store.clock_events(case.id).await?;
            let calendar = daemon::build_calendar(config, store).await?;
            let today = clock::date_of_receipt(jiff::Timestamp::now(), &config.timezone());
            Some(clock::case_clock(
                regime,
                config.region(),
                &clock_events,
                &calendar,
                today,
            ))
        }
        Err(_) => None,
    };
    if args.json {
        let mut value = serde_json::to_value(&case)?;
        value["events"] = serde_json::to_value(&events)?;
        value["clock"] = match &clock {
            Some(c) => json!({
                "due_on": c.due.map(|d| d.to_string()),
                "target_on": c.target.map(|d| d.to_string()),
                "working_days_left": c.working_days_left,
                "state": c.state,
            }),
            None => serde_json::Value::Null,
        };
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}  {} ({})  {}",
        case.reference, case.regime, case.kind, case.state
    );
    println!(
        "Requester: {} <{}>  [{}]",
        case.requester.name.as_deref().unwrap_or("-"),
        case.requester.email,
        case.requester.identity
    );
    println!("Subject:   {}", case.subject);
    println!("Received:  {} ({})", case.received_on, case.received_at);
    println!("Due:       {}", case.due_on.as_deref().unwrap_or("-"));
    if let Some(c) = &clock {
        let left = match c.working_days_left {
            Some(n) if n < 0 => format!("overdue by {} working day(s)", -n),
            Some(n) => format!("{n} working day(s) left"),
            None => "clock stopped".to_string(),
        };
        println!("Clock:     {left}");
    }
    for f in &case.flags {
        println!("Flag:      {} {}", f.kind, f.evidence);
    }
    println!("\nQuestions:");
    for q in &case.questions {
        let outcome = q
            .outcome
            .as_ref()
            .map(|o| format!("  [{}]", o.label()))
            .unwrap_or_default();
        println!("  {}. {}{outcome}", q.question.number, q.question.text);
        for p in &q.question.parts {
            println!("     {}) {}", p.label, p.text);
        }
        for o in &q.question.options {
            println!("     · {o}");
        }
    }
    println!("\nHistory:");
    for e in &events {
        println!("  {}  {:<24} {}", e.at, e.kind, e.actor);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn stats(config: &Config, store: &Store, args: &StatsArgs) -> Result<ExitCode> {
    let cases = store.cases(false).await?;
    let today = clock::date_of_receipt(jiff::Timestamp::now(), &config.timezone());
    let open = cases.iter().filter(|c| c.state == "open").count();
    let overdue = cases
        .iter()
        .filter(|c| {
            c.state == "open"
                && c.due_on
                    .as_deref()
                    .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                    .is_some_and(|d| d < today)
        })
        .count();
    let closed: Vec<_> = cases.iter().filter(|c| c.state == "closed").collect();
    let on_time = closed
        .iter()
        .filter(|c| match (&c.closed_on, &c.due_on) {
            (Some(closed), Some(due)) => closed <= due,
            _ => false,
        })
        .count();
    let timeliness = (!closed.is_empty()).then(|| on_time as f64 / closed.len() as f64 * 100.0);
    let raw = store.raw_states().await?;
    let outbox = store.outbox_summary().await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "cases": cases.len(),
                "open": open,
                "overdue": overdue,
                "closed": closed.len(),
                "closed_on_time": on_time,
                "timeliness_percent": timeliness,
                "messages": raw.iter().map(|(s, n)| (s.clone(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
                "outbox": outbox.iter().map(|(s, p, n)| json!({"state": s, "purpose": p, "count": n})).collect::<Vec<_>>(),
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "cases: {} ({open} open, {overdue} overdue, {} closed)",
        cases.len(),
        closed.len()
    );
    match timeliness {
        Some(p) => println!(
            "answered within the time limit: {on_time} of {} ({p:.1}%; the ICO monitors authorities below 90%)",
            closed.len()
        ),
        None => println!("answered within the time limit: no closed cases yet"),
    }
    for (state, n) in raw {
        println!("messages {state}: {n}");
    }
    for (state, purpose, n) in outbox {
        println!("outbox {state} {purpose}: {n}");
    }
    Ok(ExitCode::SUCCESS)
}
