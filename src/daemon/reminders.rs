//! The morning digest: sleeps until the next digest time (council time,
//! working days only, read against the last digest recorded in the
//! database), then sends the team what is due, overdue, awaiting approval,
//! failed and held, and the manager the overdue cases. Claimed per day in
//! the database, so a restart or a second instance never sends it twice.

use std::time::Duration;

use anyhow::{Context as _, Result};
use tokio::sync::watch;
use tracing::info;

use super::{apply, sleep_or_stop, Context};
use crate::core::calendar::WorkingDays;
use crate::core::digest::{self, AwaitingApproval, Digest, FailedDelivery, HeldMail, OpenCase};
use crate::store::{self, date_of};

/// The daily jobs' names in the `daily_jobs` table.
pub const DIGEST_JOB: &str = "digest";
pub const PURGE_JOB: &str = "purge";

/// The singleton lease of the morning jobs: one instance runs them (the
/// per-day claims would stop a second from sending twice anyway).
pub const DAILY_JOBS_LEASE: &str = "daily jobs";

/// How far back failed deliveries are listed.
const FAILURES_LISTED_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);

/// Held messages listed in one digest (the rest are counted).
const HELD_LISTED: usize = 50;

/// What one digest run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestRun {
    /// Queued this many mails (the digest, and the escalation if any).
    Sent(usize),
    /// Nothing to list: recorded as done, nothing sent.
    NothingToSay,
    /// Already done for that day (before a restart, or by another instance).
    AlreadyDone,
}

/// Runs until `stop`: each working morning, the digest, then the purge of
/// cases past the retention period.
pub async fn run(ctx: &Context, mut stop: watch::Receiver<bool>) -> Result<()> {
    let r = &ctx.config.reminders;
    let digest_on = r.digest && !ctx.config.officers.team.is_empty();
    let purge_after = ctx.config.retention.purge_closed_after_days;
    if !digest_on && purge_after.is_none() {
        info!("no morning jobs ([reminders] digest is off or [officers] team is empty, and no [retention])");
        let _ = stop.wait_for(|s| *s).await;
        return Ok(());
    }
    // The job the schedule is read from: the last day it was done.
    let scheduled = if digest_on { DIGEST_JOB } else { PURGE_JOB };
    let mut standing_by = false;
    loop {
        let Some(mut lease) = ctx.store.lease(DAILY_JOBS_LEASE).await? else {
            if !standing_by {
                info!("another instance runs the morning jobs; standing by");
            }
            standing_by = true;
            if sleep_or_stop(&mut stop, super::ingest::STANDBY_RETRY).await {
                return Ok(());
            }
            continue;
        };
        if standing_by {
            info!("took over the morning jobs");
        }
        // Held until stop, or until a check finds it lost (an error: the
        // supervisor starts this stage again, which stands by or takes it).
        loop {
            lease.check().await.context("the daily jobs lease")?;
            let last = ctx.store.last_daily_job(scheduled).await?;
            let (day, at) = digest::next_digest_at(
                ctx.now(),
                &ctx.tz,
                r.time(),
                &ctx.calendar(),
                WorkingDays::Region(ctx.region),
                last,
            );
            let wait = Duration::try_from(at.duration_since(ctx.now())).unwrap_or_default();
            if !wait.is_zero() {
                // At most an hour at a time (a wall clock stepped by NTP, or
                // a host resumed from suspend, must not delay the digest by
                // a day), and less while a shared lease needs re-checking.
                let nap = wait
                    .min(Duration::from_secs(3600))
                    .min(lease.recheck_within().unwrap_or(Duration::MAX));
                if sleep_or_stop(&mut stop, nap).await {
                    return Ok(());
                }
                if ctx.now() < at {
                    continue;
                }
            }
            if digest_on {
                match send_digest(ctx, day).await? {
                    DigestRun::Sent(n) => info!(%day, mails = n, "daily digest queued"),
                    DigestRun::NothingToSay => info!(%day, "daily digest: nothing to list"),
                    DigestRun::AlreadyDone => info!(%day, "daily digest already sent for today"),
                }
            }
            if let Some(days) = purge_after {
                if let Some(summary) = purge_for(ctx, day, days).await? {
                    info!(%day, cases = summary.cases, requesters = summary.requesters,
                        messages = summary.messages + summary.unlinked_messages, "retention purge");
                }
            }
        }
    }
}

/// The retention purge for `day`: cases closed more than `days` before it.
/// `None` when it was already done that day.
pub async fn purge_for(
    ctx: &Context,
    day: jiff::civil::Date,
    days: i64,
) -> Result<Option<store::PurgeSummary>> {
    let mut tx = ctx.store.begin().await?;
    let claimed = store::claim_daily_job(&mut tx, PURGE_JOB, day, &ctx.instance, ctx.now()).await?;
    tx.commit().await?;
    if !claimed {
        return Ok(None);
    }
    let cutoff = day - jiff::Span::new().days(days);
    Ok(Some(
        ctx.store
            .purge_closed_before(
                cutoff,
                crate::core::clock::start_of_day(cutoff, &ctx.tz),
                &crate::core::case::Actor::Foid,
                ctx.now(),
            )
            .await?,
    ))
}

/// Makes and queues the digest for `day`, unless it was already done.
pub async fn send_digest(ctx: &Context, day: jiff::civil::Date) -> Result<DigestRun> {
    let r = &ctx.config.reminders;
    let digest = Digest::new(
        day,
        facts(ctx).await?,
        digest::Settings {
            due_within: r.due_within_days,
        },
    );
    let mut tx = ctx.store.begin().await?;
    if !store::claim_daily_job(&mut tx, DIGEST_JOB, day, &ctx.instance, ctx.now()).await? {
        return Ok(DigestRun::AlreadyDone);
    }
    let mut queued = 0;
    if !digest.is_empty() {
        queued += usize::from(
            apply::queue(ctx, &mut tx, None, &digest.mail(&ctx.config.officers.team)).await?,
        );
    }
    if let (true, Some(manager)) = (r.escalate_overdue, &ctx.config.officers.manager) {
        if let Some(mail) = digest.escalation(manager) {
            queued += usize::from(apply::queue(ctx, &mut tx, None, &mail).await?);
        }
    }
    tx.commit().await?;
    if queued == 0 {
        return Ok(DigestRun::NothingToSay);
    }
    ctx.wake_sender();
    Ok(DigestRun::Sent(queued))
}

/// Everything the digest lists, read now.
async fn facts(ctx: &Context) -> Result<digest::Facts> {
    let today = ctx.today();
    let cases = ctx.store.cases(true).await?;
    let clocks = ctx
        .store
        .case_clocks(&cases, ctx.region, &ctx.calendar(), today)
        .await?;
    let mut open = Vec::new();
    for (case, clock) in cases.into_iter().zip(clocks) {
        open.push(OpenCase {
            deadline: clock.as_ref().and_then(|c| c.deadline()),
            working_days_left: clock.as_ref().and_then(|c| c.working_days_left),
            reference: case.reference,
            subject: case.subject,
            regime: case.regime,
            assigned_to: case.assigned_to,
        });
    }
    let awaiting_approval = ctx
        .store
        .pending_drafts()
        .await?
        .into_iter()
        .map(|d| AwaitingApproval {
            reference: d.reference,
            version: u32::try_from(d.version).unwrap_or(0),
            drafted_by: d.created_by,
            drafted_on: date_of(d.created_at, &ctx.tz),
        })
        .collect();
    let failed = ctx
        .store
        .delivery_problems(ctx.now() - FAILURES_LISTED_FOR)
        .await?
        .into_iter()
        .map(|p| FailedDelivery {
            reference: p.reference,
            what: p.what,
            on: date_of(p.at, &ctx.tz),
        })
        .collect();
    let mut held = Vec::new();
    let all_held = ctx.store.held().await?;
    for h in all_held.iter().take(HELD_LISTED) {
        let (from, subject) = match ctx.store.raw_message(h.id).await? {
            Some(raw) => match crate::mail::message::read_message(&raw.bytes) {
                Ok(m) => (m.from_email.unwrap_or_default(), m.subject),
                Err(e) => (String::new(), format!("(unreadable: {e})")),
            },
            None => (String::new(), String::new()),
        };
        held.push(HeldMail {
            number: h.id,
            received_on: date_of(h.arrived_at, &ctx.tz),
            from,
            subject,
            reasons: h.quarantine_reason.clone().unwrap_or_default(),
        });
    }
    Ok(digest::Facts {
        open,
        awaiting_approval,
        failed,
        held,
        held_not_listed: all_held.len().saturating_sub(HELD_LISTED),
    })
}
