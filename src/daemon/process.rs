//! The processing stage: stored raw messages become cases, case events and
//! outbox rows, one database transaction per message. The shell reads what
//! the core needs (the linked case, recent acknowledgements, the case
//! snapshot), the core plans, `apply` carries the plan out. A message that
//! cannot be read is quarantined with its reason; nothing stops the loop.

use anyhow::{Context as _, Result};
use tracing::{info, warn};

use super::apply::apply;
use super::attachment_check;
use super::similarity;
use super::Context;
use crate::core::approval;
use crate::core::case::{CaseId, Disposition, DraftState, RawId, RawState};
use crate::core::casework::{self, CommandMail, ForeignCode};
use crate::core::clock;
use crate::core::clock::Regime;
use crate::core::commands::{self, Command};
use crate::core::intake::{self, Classification, IncomingMessage, Kind};
use crate::core::letters::{self, Purpose};
use crate::core::message_id;
use crate::core::plan::{Plan, Target};
use crate::core::reference;
use crate::core::similarity::Signature;
use crate::core::trust;
use crate::core::workflow::{self, Council, IntakeContext, IntakeDecision, NewRequest};
use crate::mail::message::read_message;
use crate::store::{self, RawMessage, Tx};

/// What became of one message, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub disposition: Option<Disposition>,
    pub case: Option<CaseId>,
}

/// Failed processing attempts before a readable message is quarantined.
pub const MAX_PROCESSING_ATTEMPTS: i64 = 3;

/// Processes everything waiting; returns how many messages were handled.
pub async fn process_pending(ctx: &Context) -> Result<usize> {
    let mut handled = 0;
    // A cursor, so that a message whose state somehow stays `new` is never
    // taken twice in one pass.
    let mut after = 0;
    loop {
        let batch = ctx.store.unprocessed(after, 100).await?;
        if batch.is_empty() {
            return Ok(handled);
        }
        for raw in batch {
            let id = raw.raw_id();
            after = id.0;
            match process_one(ctx, &raw).await {
                Ok(outcome) => {
                    handled += 1;
                    info!(
                        raw_id = id.0,
                        state = ?outcome.disposition.as_ref().map(Disposition::state),
                        case = ?outcome.case.map(|c| c.0),
                        reason = ?outcome.disposition.as_ref().and_then(Disposition::reason),
                        "processed"
                    );
                }
                Err(e) => {
                    // Not the message's fault (it was readable): the
                    // database, or a bug. Try again on later passes; after
                    // a few failures quarantine it, kept with the reason,
                    // so that one message cannot stall the others for ever.
                    let attempts = ctx.store.count_processing_failure(id.0).await?;
                    if attempts < MAX_PROCESSING_ATTEMPTS {
                        warn!(raw_id = id.0, attempts, error = %format!("{e:#}"), "processing failed; will retry");
                        continue;
                    }
                    warn!(raw_id = id.0, attempts, error = %format!("{e:#}"), "processing failed; quarantining");
                    let plan = Plan::dispose(Disposition::Quarantined {
                        kind: None,
                        reason: format!("processing failed {attempts} times: {e:#}"),
                    });
                    let mut tx = ctx.store.begin().await?;
                    apply(ctx, &mut tx, &plan, Some(id)).await?;
                    tx.commit().await?;
                    handled += 1;
                }
            }
        }
    }
}

pub async fn process_one(ctx: &Context, raw: &RawMessage) -> Result<Outcome> {
    let mut tx = ctx.store.begin().await?;
    let plan = match read_message(&raw.bytes) {
        Err(e) => Plan::dispose(Disposition::Quarantined {
            kind: None,
            reason: e.to_string(),
        }),
        Ok(msg) => {
            let classification = intake::classify(&msg, &ctx.policy);
            let plan = plan_message(ctx, &mut tx, raw, &msg, &classification).await?;
            if ctx.is_history(raw) {
                plan.without_mail()
            } else {
                plan
            }
        }
    };
    let applied = apply(ctx, &mut tx, &plan, Some(raw.raw_id())).await?;
    tx.commit()
        .await
        .context("committing a processed message")?;
    if applied.queued > 0 {
        ctx.wake_sender();
    }
    Ok(Outcome {
        disposition: plan.disposition,
        case: applied.case,
    })
}

/// What to do with one readable message.
async fn plan_message(
    ctx: &Context,
    tx: &mut Tx,
    raw: &RawMessage,
    msg: &IncomingMessage,
    classification: &Classification,
) -> Result<Plan> {
    let kind = classification.kind;
    // The same mail seen twice (two folders, a UIDVALIDITY change): one case.
    if let Some((_, case)) =
        store::processed_twin(tx, raw.raw_id(), &raw.message_id, &raw.sha256).await?
    {
        let mut plan = Plan::dispose(Disposition::Duplicate(kind));
        if let Some(case) = case {
            plan.target = Target::Case(case);
        }
        return Ok(plan);
    }
    if kind == Kind::Command {
        if ctx.is_history(raw) {
            return Ok(Plan::dispose(Disposition::Ignored {
                kind,
                reason: "past mail imported as history: an officer's #commands in it are not carried out".into(),
            }));
        }
        return plan_commands(ctx, tx, raw, msg, classification).await;
    }
    plan_intake(ctx, tx, raw, msg, classification).await
}

fn council(ctx: &Context) -> Council<'_> {
    Council {
        name: &ctx.config.council.name,
        address: &ctx.config.council.address,
        team: &ctx.config.officers.team,
    }
}

/// A request, a reply on a case, a bounce, or mail for nobody.
async fn plan_intake(
    ctx: &Context,
    tx: &mut Tx,
    raw: &RawMessage,
    msg: &IncomingMessage,
    classification: &Classification,
) -> Result<Plan> {
    let kind = classification.kind;
    let requester = intake::requester_of(msg);
    let reply_to = requester
        .reply_to
        .clone()
        .unwrap_or_else(|| requester.email.clone());
    let mut linked_case =
        linked_case(tx, msg, classification.case_ref.as_deref(), Some(&reply_to)).await?;
    if linked_case.is_none() && kind == Kind::Bounce {
        // A delivery report quotes the headers of what bounced.
        let ours = message_id::ours_in(
            &String::from_utf8_lossy(&raw.bytes),
            &ctx.config.council.domain,
        );
        linked_case = store::case_id_by_message_ids(tx, &ours).await?;
    }
    let recent_acknowledgements = recent_acknowledgements(ctx, tx, &reply_to).await?;
    let decision = workflow::decide(
        kind,
        &IntakeContext {
            region: ctx.region,
            linked_case,
            recent_acknowledgements,
            from_ourselves: ctx.is_our_address(&requester.email),
            from_officer: ctx.is_officer(&requester.email),
            history: ctx.is_history(raw),
        },
    );
    let received_at = store::from_secs(raw.arrived_at);
    let received_on = clock::date_of_receipt(received_at, &ctx.tz);
    Ok(match decision {
        IntakeDecision::NewCase {
            regime,
            acknowledge,
        } => {
            let request = new_request(
                ctx,
                tx,
                raw,
                Opening {
                    msg,
                    classification,
                    requester: &requester,
                    reply_to: &reply_to,
                    regime,
                    acknowledge,
                    reviewed: linked_case.filter(|_| kind == Kind::Review),
                },
            )
            .await?;
            workflow::plan_new_case(&request, &council(ctx), &ctx.calendar(), ctx.region)
        }
        IntakeDecision::AddToCase { case_id } => {
            let case = store::case_snapshot(tx, case_id).await?;
            let from = msg.from_email.as_deref().unwrap_or("");
            workflow::plan_correspondence(
                &case,
                raw.raw_id(),
                msg,
                classification,
                ctx.is_officer(from),
                received_on,
                &council(ctx),
                &ctx.calendar(),
                ctx.region,
            )
        }
        IntakeDecision::DeliveryFailure { case_id } => {
            let reference = store::case_reference(tx, case_id).await?;
            workflow::plan_delivery_failure(case_id, &reference, raw.raw_id(), msg, &council(ctx))
        }
        IntakeDecision::Ignore { reason } => Plan::dispose(Disposition::Ignored { kind, reason }),
        IntakeDecision::Hold { notify } => workflow::plan_hold(
            raw.raw_id(),
            msg,
            classification,
            received_on,
            notify && ctx.config.intake.held_notices,
            &council(ctx),
        ),
    })
}

/// What a new case is opened from.
struct Opening<'a> {
    msg: &'a IncomingMessage,
    classification: &'a Classification,
    requester: &'a intake::Requester,
    reply_to: &'a str,
    regime: Regime,
    acknowledge: bool,
    /// The case an internal review reviews.
    reviewed: Option<CaseId>,
}

/// Allocates the new case's reference and gathers what opening it needs.
async fn new_request<'a>(
    ctx: &Context,
    tx: &mut Tx,
    raw: &RawMessage,
    o: Opening<'a>,
) -> Result<NewRequest<'a>> {
    let received_at = store::from_secs(raw.arrived_at);
    let received_on = clock::date_of_receipt(received_at, &ctx.tz);
    let prefix = reference::prefix(o.regime);
    let seq = store::next_reference_number(tx, prefix, received_on.year()).await?;
    let reference = ctx
        .policy
        .references
        .format(prefix, received_on.year(), seq);
    let reviewed = match o.reviewed {
        Some(case) => Some((case, store::case_reference(tx, case).await?)),
        None => None,
    };
    let kind = o.classification.kind;
    let split = workflow::questions_of(kind, &o.msg.new_text);
    let history = ctx.is_history(raw);
    // History is the past being loaded, not work; a review and a subject
    // access request are not FOI requests that s.14 or s.12 speak of.
    let signature = Signature::of_request(&split.questions, &o.msg.new_text);
    let flags = if history || matches!(kind, Kind::Review | Kind::Sar) {
        Vec::new()
    } else {
        similarity::flags_for(
            ctx,
            tx,
            o.requester,
            received_on,
            &split.questions,
            &signature,
        )
        .await?
    };
    Ok(NewRequest {
        raw_id: raw.raw_id(),
        msg: o.msg,
        classification: o.classification,
        requester: o.requester,
        reply_to: o.reply_to,
        reference,
        received_at,
        received_on,
        regime: o.regime,
        acknowledge: o.acknowledge,
        reviewed,
        history,
        split,
        signature,
        flags,
    })
}

/// Acknowledgements sent to an address in the last day.
async fn recent_acknowledgements(ctx: &Context, tx: &mut Tx, reply_to: &str) -> Result<i64> {
    store::recent_mail(
        tx,
        Purpose::Acknowledgement,
        reply_to,
        ctx.now() - jiff::SignedDuration::from_hours(24),
    )
    .await
}

/// The held message an officer's `#open` names and what it would open:
/// the request read again (under the officer's regime, if given).
struct HeldRequest {
    raw: RawMessage,
    msg: IncomingMessage,
    classification: Classification,
    regime: Regime,
    held_because: String,
}

async fn held_request(
    ctx: &Context,
    tx: &mut Tx,
    id: i64,
    officer: &str,
    regime: Option<Regime>,
) -> Result<std::result::Result<HeldRequest, String>> {
    let Some(raw) = store::raw_message_in(tx, RawId(id)).await? else {
        return Ok(Err(format!("there is no message {id}")));
    };
    if raw.state != RawState::Held.as_str() {
        return Ok(Err(match raw.case_id {
            Some(_) => format!("message {id} is not held: it is already on a case"),
            None => format!("message {id} is not held (it is {})", raw.state),
        }));
    }
    let msg = match read_message(&raw.bytes) {
        Ok(m) => m,
        Err(e) => return Ok(Err(format!("message {id} cannot be read: {e}"))),
    };
    let (read_as, mut reasons) = intake::request_kind(&msg);
    let kind = match regime {
        Some(Regime::Eir) => Kind::Eir,
        Some(Regime::Sar) => Kind::Sar,
        Some(Regime::Review | Regime::FoisaReview) => Kind::Review,
        Some(_) => Kind::Foi,
        None => read_as,
    };
    reasons.insert(0, format!("opened from hold by officer {officer}"));
    let regime = regime
        .or_else(|| workflow::regime_for(kind, ctx.region))
        .unwrap_or(Regime::Foi);
    let held_because = raw.quarantine_reason.clone().unwrap_or_default();
    Ok(Ok(HeldRequest {
        raw,
        msg,
        classification: Classification {
            kind,
            reasons,
            case_ref: None,
        },
        regime,
        held_because,
    }))
}

/// Mail that claims to command foid: through the gate, then the commands.
/// Mail that fails the gate gets no reply (no backscatter, no oracle): it is
/// quarantined with the evidence, for the officers to see.
async fn plan_commands(
    ctx: &Context,
    tx: &mut Tx,
    raw: &RawMessage,
    msg: &IncomingMessage,
    classification: &Classification,
) -> Result<Plan> {
    let vouched = match trust::check(
        &raw.bytes,
        msg.from_email.as_deref(),
        |a| ctx.is_officer(a),
        ctx.trust.as_ref(),
    ) {
        Ok(v) => v,
        Err(refusal) => {
            warn!(raw_id = raw.id, from = ?msg.from_email, %refusal, "command refused at the gate; quarantined without reply");
            // The officer whose address it claims hears of it, at their
            // configured address, at most once a day.
            let claimed = msg.from_email.as_deref().filter(|a| {
                ctx.is_officer(a)
                    && ctx
                        .config
                        .trust
                        .as_ref()
                        .is_some_and(|t| t.notify_impersonated_officer)
            });
            let warned_today = match claimed {
                Some(officer) => {
                    store::recent_mail(
                        tx,
                        Purpose::ImpersonationWarning,
                        officer,
                        ctx.now() - jiff::SignedDuration::from_hours(24),
                    )
                    .await?
                        > 0
                }
                None => false,
            };
            return Ok(workflow::plan_gate_refusal(
                &refusal,
                claimed.filter(|_| !warned_today),
                &msg.subject,
            ));
        }
    };
    let lines = commands::parse(&msg.new_text);
    // Commands act on the case the mail is about: by its reference, or by
    // the thread of foid's mail it answers (never by the sender's address).
    let case_id = linked_case(tx, msg, classification.case_ref.as_deref(), None).await?;
    let case = match case_id {
        Some(id) => Some(store::case_snapshot(tx, id).await?),
        None => None,
    };
    let mut foreign = Vec::new();
    for line in &lines {
        if let Command::Approve { code, .. } = &line.command {
            if let Some(canonical) = approval::normalise(code) {
                let hash = approval::code_hash(&canonical);
                if let Some(reference) = store::case_of_code(tx, &hash).await? {
                    if case.as_ref().is_none_or(|c| c.reference != reference) {
                        foreign.push(ForeignCode {
                            code_sha256: hash,
                            reference,
                        });
                    }
                }
            }
        }
    }
    // The breach check runs before anything is planned, so the preview
    // and the approval both see its findings.
    let timeout = std::time::Duration::from_secs(ctx.config.breach_check.timeout_seconds);
    let drafting = lines
        .iter()
        .any(|l| matches!(l.command, Command::Draft { .. } | Command::Refuse { .. }));
    let checked = if drafting {
        attachment_check::check(&ctx.breach_policy, timeout, &msg.attachments).await
    } else {
        Vec::new()
    };
    let pending = case
        .as_ref()
        .and_then(|c| c.draft.as_ref())
        .filter(|d| d.state == DraftState::Pending);
    let cleaned = match pending {
        Some(d) if lines.iter().any(|l| l.command == Command::Clean) => {
            attachment_check::clean_all(&ctx.breach_policy, timeout, &d.attachments).await
        }
        _ => Vec::new(),
    };
    // `#open` on a held notice: the held message becomes a case.
    let open = lines.iter().find_map(|l| match l.command {
        Command::Open { held, regime } => Some((held, regime)),
        _ => None,
    });
    let held_id =
        open.and_then(|(held, _)| held.or_else(|| letters::held_in_subject(&msg.subject)));
    let held = match (open, held_id, &case) {
        (Some((_, regime)), Some(id), None) => {
            Some(held_request(ctx, tx, id, &vouched.actor, regime).await?)
        }
        _ => None,
    };
    let mut opened = None;
    let mut open_outcome = None;
    if let Some(held) = held {
        match held {
            Err(why) => open_outcome = Some(Err(why)),
            Ok(h) => {
                let requester = intake::requester_of(&h.msg);
                let reply_to = requester
                    .reply_to
                    .clone()
                    .unwrap_or_else(|| requester.email.clone());
                let acknowledge = recent_acknowledgements(ctx, tx, &reply_to).await?
                    < workflow::ACKNOWLEDGEMENTS_PER_SENDER_PER_DAY;
                open_outcome = Some(Ok(format!(
                    "held message {} is opened as a case from its date of receipt{}; the case email follows",
                    h.raw.id,
                    if acknowledge {
                        ", and its sender is acknowledged"
                    } else {
                        " (its sender's acknowledgements are at the day's limit: none sent)"
                    }
                )));
                opened = Some((h, requester, reply_to, acknowledge));
            }
        }
    }
    let calendar = ctx.calendar();
    let settings = ctx.casework(&calendar);
    let answer = casework::plan_commands(
        case.as_ref(),
        &vouched.actor,
        &CommandMail {
            raw_id: RawId(raw.id),
            message_id: msg.message_id.as_deref().unwrap_or(""),
            attachments: &checked,
            cleaned: &cleaned,
            evidence: &vouched.evidence,
            commands: &lines,
            open: open_outcome,
        },
        &foreign,
        &settings,
    );
    let Some((h, requester, reply_to, acknowledge)) = opened else {
        return Ok(answer);
    };
    let request = new_request(
        ctx,
        tx,
        &h.raw,
        Opening {
            msg: &h.msg,
            classification: &h.classification,
            requester: &requester,
            reply_to: &reply_to,
            regime: h.regime,
            acknowledge,
            reviewed: None,
        },
    )
    .await?;
    Ok(workflow::plan_open_held(
        &request,
        &vouched.actor,
        &h.held_because,
        answer,
        &council(ctx),
        &ctx.calendar(),
        ctx.region,
    ))
}

/// The case a message belongs to: by the reference in its subject, by the
/// thread it answers, or by the WhatDoTheyKnow per-request address.
async fn linked_case(
    tx: &mut Tx,
    msg: &IncomingMessage,
    case_ref: Option<&str>,
    reply_to: Option<&str>,
) -> Result<Option<CaseId>> {
    if let Some(reference) = case_ref {
        if let Some(id) = store::case_id_by_reference(tx, reference).await? {
            return Ok(Some(id));
        }
    }
    let mut thread: Vec<String> = msg.in_reply_to.clone();
    thread.extend(msg.references.iter().rev().cloned());
    if let Some(id) = store::case_id_by_message_ids(tx, &thread).await? {
        return Ok(Some(id));
    }
    if let Some(reply_to) = reply_to.filter(|r| intake::wdtk_address(r).is_some()) {
        return store::case_by_reply_address(tx, reply_to).await;
    }
    Ok(None)
}
