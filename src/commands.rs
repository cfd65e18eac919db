//! The commands that read rather than run: deadline, holidays, parse, cases,
//! show, stats.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;

use crate::cli::{
    load_config, open_store, CasesArgs, CheckAttachmentArgs, DeadlineArgs, DoctorTrustArgs,
    HeldArgs, HolidaysAction, HolidaysArgs, ParseArgs, PurgeArgs, ShowArgs, StatsArgs,
};
use crate::config::Config;
use crate::core::calendar::{Calendar, Region};
use crate::core::case::Closure;
use crate::core::clock::{self, ClockEvent, Regime};
use crate::daemon::{self, IMPORTED_HOLIDAYS_KEY};
use crate::store::{self, Store};

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
        // JSON only, so that it parses as it stands.
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        // The statutory date first; a target (the public-interest
        // extension's) on the next line.
        println!("{}", clock.due.unwrap_or(due));
        if let Some(target) = clock.target.filter(|t| Some(*t) != clock.due) {
            println!("target {target}");
        }
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

/// `foid check-attachment`: the breach check on files, with the limits and
/// thresholds of the configuration (or the defaults). Exits non-zero when
/// anything is found, so it can gate a script.
pub fn check_attachment(
    config_path: Option<&Path>,
    args: &CheckAttachmentArgs,
) -> Result<ExitCode> {
    use crate::core::breach_check::{self, clean};
    let config =
        optional_config(config_path)?.unwrap_or_else(|| Config::embedded("sqlite://foid.db", None));
    let policy = config.breach_policy();
    if let Some(dir) = &args.clean {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut all = Vec::new();
    for file in &args.files {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.display().to_string());
        let mut findings = breach_check::inspect(&name, &bytes, &policy);
        if let Some(dir) = &args.clean {
            match clean::clean(&name, &bytes, &policy) {
                Ok(c) => {
                    let out = dir.join(&name);
                    std::fs::write(&out, &c.bytes)
                        .with_context(|| format!("cannot write {}", out.display()))?;
                    if !args.json {
                        println!(
                            "{name}: cleaned copy {} (removed {})",
                            out.display(),
                            c.removed.join("; ")
                        );
                    }
                    findings = breach_check::inspect(&name, &c.bytes, &policy);
                }
                Err(why) if !args.json => println!("{name}: not cleaned: {why}"),
                Err(_) => {}
            }
        }
        if !args.json {
            if findings.is_empty() {
                println!("{name}: nothing found");
            }
            for f in &findings {
                println!("{}", f.line());
            }
        }
        all.extend(findings);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(if all.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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

pub async fn held(config: &Config, store: &Store, args: &HeldArgs) -> Result<ExitCode> {
    let tz = config.timezone();
    let held: Vec<serde_json::Value> = store
        .held()
        .await?
        .into_iter()
        .map(|h| {
            let received = clock::date_of_receipt(store::from_secs(h.arrived_at), &tz);
            serde_json::json!({
                "number": h.id,
                "message_id": h.message_id,
                "received_on": received.to_string(),
                "kind": h.kind,
                "reasons": h.quarantine_reason,
            })
        })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&held)?);
        return Ok(ExitCode::SUCCESS);
    }
    if held.is_empty() {
        println!("No messages are held.");
        return Ok(ExitCode::SUCCESS);
    }
    println!("Held for an officer (reply #open to the held notice, or send #open NUMBER):");
    for h in &held {
        println!(
            "  {:<7} {}  {:<8} {}\n          {}",
            h["number"],
            h["received_on"].as_str().unwrap_or(""),
            h["kind"].as_str().unwrap_or(""),
            h["message_id"].as_str().unwrap_or(""),
            h["reasons"].as_str().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn show(config: &Config, store: &Store, args: &ShowArgs) -> Result<ExitCode> {
    let Some(case) = store.case_by_reference(&args.reference).await? else {
        bail!("no case with reference {}", args.reference);
    };
    let events = store.case_events(case.id).await?;
    let calendar = daemon::build_calendar(config, store).await?;
    let today = clock::date_of_receipt(jiff::Timestamp::now(), &config.timezone());
    let clock = store
        .case_clock(&case, config.region(), &calendar, today)
        .await?;
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
        let closed = case.state == "closed";
        let left = match c.working_days_left {
            Some(n) if n < 0 && closed => format!("late by {} working day(s)", -n),
            Some(_) if closed => "on time".to_string(),
            Some(n) if n < 0 => format!("overdue by {} working day(s)", -n),
            Some(n) => format!("{n} working day(s) left"),
            None => "clock stopped".to_string(),
        };
        match (&case.closed_on, closed) {
            (Some(on), true) => println!(
                "Closed:    {on} ({}), {left}",
                case.closure.as_deref().unwrap_or("answered")
            ),
            _ => println!("Clock:     {left}"),
        }
    }
    for f in &case.flags {
        println!("Flag:      {}: {}", f.kind, f.detail);
        if !f.related.is_empty() {
            println!("           related: {}", f.related.join(", "));
        }
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
    use crate::core::stats::{self, CaseFacts, Period};
    let period = Period {
        from: args
            .from
            .as_deref()
            .map(|d| parse_date("--from", d))
            .transpose()?,
        to: args
            .to
            .as_deref()
            .map(|d| parse_date("--to", d))
            .transpose()?,
    };
    let today = clock::date_of_receipt(jiff::Timestamp::now(), &config.timezone());
    let calendar = daemon::build_calendar(config, store).await?;
    let cases: Vec<_> = store
        .cases(false)
        .await?
        .into_iter()
        .filter_map(|c| Some((c.received_on.parse().ok()?, c)))
        .filter(|(received_on, _)| period.contains(*received_on))
        .collect();
    let views: Vec<_> = cases.iter().map(|(_, c)| c.clone()).collect();
    let clocks = store
        .case_clocks(&views, config.region(), &calendar, today)
        .await?;
    let mut facts = Vec::new();
    for ((received_on, case), clock) in cases.into_iter().zip(clocks) {
        let Some(clock) = clock else {
            continue;
        };
        let closed = match (&case.closed_on, case.state.as_str()) {
            (Some(on), "closed") => on.parse().ok().map(|on| (on, closure_of(&case))),
            _ => None,
        };
        facts.push(CaseFacts {
            regime: clock.regime,
            is_review: case.kind == crate::core::intake::Kind::Review.as_str(),
            received_on,
            closed,
            clock,
            outcomes: case
                .questions
                .iter()
                .filter_map(|q| q.outcome.clone())
                .collect(),
            flags: case.flags.iter().map(|f| f.kind.clone()).collect(),
        });
    }
    let report = stats::report(&facts, period, today, &calendar);
    if args.csv {
        print_stats_csv(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let raw = store.raw_states().await?;
    let outbox = store.outbox_summary().await?;
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["messages"] = json!(raw
            .iter()
            .map(|(s, n)| (s.clone(), *n))
            .collect::<std::collections::BTreeMap<_, _>>());
        value["outbox"] = json!(outbox
            .iter()
            .map(|(s, p, n)| json!({"state": s, "purpose": p, "count": n}))
            .collect::<Vec<_>>());
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_stats(&report);
    for (state, n) in raw {
        println!("messages {state}: {n}");
    }
    for (state, purpose, n) in outbox {
        println!("outbox {state} {purpose}: {n}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `foid purge --closed-before DATE`: erases the personal data of cases
/// closed before the date; what stays is what the statistics need.
pub async fn purge(config: &Config, store: &Store, args: &PurgeArgs) -> Result<ExitCode> {
    let closed_before = parse_date("--closed-before", &args.closed_before)?;
    let today = clock::date_of_receipt(jiff::Timestamp::now(), &config.timezone());
    if closed_before > today {
        bail!("--closed-before {closed_before} is in the future");
    }
    if args.dry_run {
        let cases = store.purgeable_cases(closed_before).await?;
        if args.json {
            println!("{}", json!({ "dry_run": true, "cases": cases.len() }));
        } else {
            println!(
                "{} case(s) closed before {closed_before} would be purged (nothing changed)",
                cases.len()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let summary = store
        .purge_closed_before(
            closed_before,
            clock::start_of_day(closed_before, &config.timezone()),
            &crate::core::case::Actor::Foid,
            jiff::Timestamp::now(),
        )
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "purged {} case(s) closed before {closed_before}: {} message(s) erased, {} requester(s) anonymised, {} message(s) on no case erased",
            summary.cases, summary.messages, summary.requesters, summary.unlinked_messages
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_date(flag: &str, text: &str) -> Result<jiff::civil::Date> {
    text.parse()
        .map_err(|e| anyhow!("{flag}: {text:?} is not a date (YYYY-MM-DD): {e}"))
}

/// How a closed case was closed; cases closed before closures were
/// recorded were all answered.
fn closure_of(case: &crate::store::CaseView) -> Closure {
    match case.closure.as_deref() {
        Some("history") => Closure::History,
        Some("closed_by_officer") => Closure::ClosedByOfficer,
        _ => Closure::Answered,
    }
}

fn print_stats(r: &crate::core::stats::Report) {
    let t = &r.totals;
    let period = match (r.period.from, r.period.to) {
        (None, None) => "all requests".to_string(),
        (from, to) => format!(
            "requests received {} to {}",
            from.map_or("the start".into(), |d| d.to_string()),
            to.map_or("today".into(), |d| d.to_string())
        ),
    };
    println!("{period}, clocks as of {}", r.as_of);
    println!(
        "requests: {} ({} open, {} overdue, {} answered, {} closed without a reply, {} imported history)",
        t.received, t.open, t.overdue, t.answered, t.closed_without_reply, t.history
    );
    match t.timeliness_percent {
        Some(p) => println!(
            "answered within the time limit: {} of {} ({p:.1}%; the ICO monitors authorities below 90%)",
            t.answered_on_time, t.answered
        ),
        None => println!("answered within the time limit: no answered requests"),
    }
    if let (Some(median), Some(p90)) = (t.median_working_days, t.p90_working_days) {
        println!("working days to answer: median {median}, 90th percentile {p90}");
    }
    if !r.by_month.is_empty() {
        println!(
            "
{:<8} {:<12} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}",
            "MONTH", "REGIME", "RECEIVED", "ANSWERED", "ON TIME", "OVERDUE", "MEDIAN", "P90"
        );
        for m in &r.by_month {
            let f = &m.figures;
            let days = |d: Option<i32>| d.map_or("-".into(), |d| d.to_string());
            println!(
                "{:<8} {:<12} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}",
                m.month,
                m.regime,
                f.received,
                f.answered,
                f.answered_on_time,
                f.overdue,
                days(f.median_working_days),
                days(f.p90_working_days)
            );
        }
    }
    let list = |title: &str, counts: &std::collections::BTreeMap<String, usize>| {
        if !counts.is_empty() {
            println!(
                "
{title}:"
            );
            for (what, n) in counts {
                println!("  {what}: {n}");
            }
        }
    };
    list("requests answered, by outcome", &r.request_outcomes);
    list("questions answered, by outcome", &r.question_outcomes);
    list("questions withheld or refused, by section", &r.sections);
    let v = &r.reviews.figures;
    if v.received > 0 {
        println!(
            "
internal reviews: {} ({} open, {} answered, {} on time)",
            v.received, v.open, v.answered, v.answered_on_time
        );
    }
    list("internal reviews answered, by outcome", &r.reviews.outcomes);
    list("flags raised", &r.flags);
    println!();
}

/// One row per month and regime, the shape a spreadsheet or a publication
/// scheme takes.
fn print_stats_csv(r: &crate::core::stats::Report) -> Result<()> {
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record([
        "month",
        "regime",
        "received",
        "open",
        "overdue",
        "answered",
        "answered_on_time",
        "timeliness_percent",
        "closed_without_reply",
        "history",
        "median_working_days",
        "p90_working_days",
    ])?;
    let opt = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_default();
    for m in &r.by_month {
        let f = &m.figures;
        out.write_record([
            m.month.clone(),
            m.regime.to_string(),
            f.received.to_string(),
            f.open.to_string(),
            f.overdue.to_string(),
            f.answered.to_string(),
            f.answered_on_time.to_string(),
            f.timeliness_percent
                .map(|p| format!("{p:.1}"))
                .unwrap_or_default(),
            f.closed_without_reply.to_string(),
            f.history.to_string(),
            opt(f.median_working_days),
            opt(f.p90_working_days),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// `foid doctor trust`: what the mail system stamps on officers' and
/// outsiders' mail, the mode that fits, and the section to paste.
pub async fn doctor_trust(config: &Config, args: &DoctorTrustArgs) -> Result<ExitCode> {
    use crate::core::trust::doctor;
    let blocks = if args.paths.is_empty() {
        headers_over_imap(config, args.last).await?
    } else {
        headers_from_files(&args.paths)?
    };
    let policy = daemon::intake_policy(config);
    let is_officer = |a: &str| policy.is_officer(a);
    let seen: Vec<(String, doctor::Observation, Vec<u8>)> = blocks
        .into_iter()
        .map(|(label, bytes)| (label, doctor::observe(&bytes, is_officer), bytes))
        .collect();
    let officers: Vec<&doctor::Observation> =
        seen.iter().map(|s| &s.1).filter(|o| o.officer).collect();
    println!(
        "Read {} message(s): {} from configured officers, {} from anyone else.",
        seen.len(),
        officers.len(),
        seen.len() - officers.len()
    );
    for (label, o, _) in &seen {
        println!(
            "\n{label}\n  from: {}{}",
            o.from.as_deref().unwrap_or("(unreadable)"),
            if o.officer { " (officer)" } else { "" }
        );
        if let Some(why) = &o.unreadable {
            println!("  unreadable: {why}");
            continue;
        }
        let show = |name: &str, v: &[String]| {
            if !v.is_empty() {
                println!("  {name}: {}", v.join(" | "));
            }
        };
        show("X-MS-Exchange-Organization-AuthAs", &o.auth_as);
        show(
            "X-MS-Exchange-Organization-AuthMechanism",
            &o.auth_mechanism,
        );
        show("X-MS-Exchange-Organization-AuthSource", &o.auth_source);
        show(
            "X-MS-Exchange-Organization-MessageDirectionality",
            &o.directionality,
        );
        show("X-MS-Exchange-CrossTenant-Id", &o.tenant);
        show("X-MS-Exchange-CrossTenant-AuthAs", &o.cross_tenant_auth_as);
        show("X-MS-Exchange-CrossTenant-FromEntityHeader", &o.from_entity);
        if let Some(d) = &o.google_dmarc {
            println!("  mx.google.com dmarc: {d}");
        }
        for (i, (by, with, client, login)) in o.hops.iter().enumerate().take(6) {
            println!(
                "  Received {}: by {by} with {with} from [{}]{}",
                i + 1,
                client.as_deref().unwrap_or("?"),
                login
                    .as_deref()
                    .map(|l| format!(", authenticated sender {l}"))
                    .unwrap_or_default()
            );
        }
    }
    let pairs: Vec<(&doctor::Observation, &[u8])> =
        seen.iter().map(|(_, o, b)| (o, b.as_slice())).collect();
    let Some(proposal) = doctor::best(&pairs, &config.council.domain, is_officer) else {
        println!(
            "\nNo mode fits every officer's message. Send a few messages from officers' own mail clients to the FOI mailbox, let foid file them, and run this again; or give .eml files of them."
        );
        return Ok(ExitCode::FAILURE);
    };
    println!(
        "\nProposed configuration:\n\n{}",
        doctor::as_toml(&proposal)
    );
    let checked: Vec<(&[u8], bool)> = seen
        .iter()
        .map(|(_, o, b)| (b.as_slice(), o.officer))
        .collect();
    let ((ok, of), (bad, out_of)) = doctor::verify(&proposal, &checked, is_officer);
    println!(
        "Checked on the same mail: {ok} of {of} officers' message(s) vouched for; {bad} of {out_of} from anyone else vouched for as their own sender (colleagues who are not officers, submitting through the council's system, are expected here; outsiders are not)."
    );
    for (label, o, bytes) in seen.iter().filter(|s| s.1.officer) {
        if let Err(r) = crate::core::trust::check(bytes, None, is_officer, Some(&proposal)) {
            println!(
                "  not vouched for: {label} ({}): {r}",
                o.from.as_deref().unwrap_or("?")
            );
        }
    }
    if ok < of {
        println!(
            "Each message above claims an officer's From but the platform did not vouch for it: a forgery, or a path (a relay, a delegate, a device) to decide about before changing the configuration."
        );
    }
    println!(
        "\nNow probe it: from an account outside the council, send the FOI mailbox a message with From: set to an officer, and these lines at the top of its header (your mail client's \"edit headers\" or a script):\n\
         \n  X-MS-Exchange-Organization-AuthAs: Internal\
         \n  X-MS-Exchange-CrossTenant-Id: <your tenant id>\
         \n  Authentication-Results: {domain}; dmarc=pass header.from={domain}\
         \n  Received: from [10.0.0.1] (Authenticated sender: <an officer>) by mx.{domain} (Postfix) with ESMTPSA id PROBE; <date>\
         \n\nWhen foid has filed it, run this again: the probe must be counted among the messages from anyone else, and must not be vouched for.",
        domain = config.council.domain
    );
    Ok(if ok > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn headers_from_files(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "eml"))
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(p.clone());
        }
    }
    files
        .into_iter()
        .map(|f| {
            let bytes =
                std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?;
            Ok((f.display().to_string(), bytes))
        })
        .collect()
}

async fn headers_over_imap(config: &Config, last: u32) -> Result<Vec<(String, Vec<u8>)>> {
    use futures::TryStreamExt;
    let imap = config
        .imap
        .as_ref()
        .context("no [imap] configured: give .eml files instead")?;
    let mut conn = crate::mail::imap::ImapConnection::connect(imap).await?;
    let mut out = Vec::new();
    for configured in [&imap.processed_folder, &imap.quarantine_folder] {
        let folder = conn.folder(configured);
        let Ok(mailbox) = conn.session.select(&folder).await else {
            println!("(no folder {folder})");
            continue;
        };
        if mailbox.exists == 0 {
            continue;
        }
        let first = mailbox.exists.saturating_sub(last.saturating_sub(1)).max(1);
        let got: Vec<(u32, Vec<u8>)> = conn
            .session
            .fetch(format!("{first}:*"), "BODY.PEEK[HEADER]")
            .await
            .with_context(|| format!("FETCH in {folder}"))?
            .try_filter_map(|f| async move { Ok(f.header().map(|h| (f.message, h.to_vec()))) })
            .try_collect()
            .await
            .with_context(|| format!("FETCH in {folder}"))?;
        out.extend(got.into_iter().map(|(n, h)| (format!("{folder} #{n}"), h)));
    }
    conn.logout().await;
    Ok(out)
}
