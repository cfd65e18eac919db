//! The plan executor: the one place a [`Plan`] becomes rows, in the
//! caller's transaction. Every decision was made in the core; this only
//! carries it out, in order.

use anyhow::{anyhow, Result};
use tracing::warn;

use super::Context;
use crate::core::case::{Actor, CaseEvent, CaseId, Disposition, RawId};
use crate::core::letters::OutgoingMail;
use crate::core::plan::{Effect, Plan, Target};
use crate::mail::compose;
use crate::store::{self, NewOutboxMessage, RequesterIdentity, Tx};

/// What applying a plan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub case: Option<CaseId>,
    /// Mail queued to send (the sender is woken after the commit).
    pub queued: usize,
}

/// Applies a plan in `tx`; the caller commits.
pub async fn apply(ctx: &Context, tx: &mut Tx, plan: &Plan, raw: Option<RawId>) -> Result<Applied> {
    let now = ctx.now();
    let case = match &plan.target {
        Target::NoCase => None,
        Target::Case(id) => Some(*id),
        Target::NewCase(new) => {
            let requester = store::upsert_requester(
                tx,
                &RequesterIdentity {
                    name: new.requester_name.clone(),
                    identity_key: new.requester_identity.clone(),
                    address: new.requester_address.clone(),
                },
                now,
            )
            .await?;
            Some(store::insert_case(tx, new, requester, now).await?)
        }
    };
    let this = || case.ok_or_else(|| anyhow!("a plan with no case has a case effect"));
    let mut applied = Applied { case, queued: 0 };
    for effect in &plan.effects {
        match effect {
            Effect::Event { on, actor, event } => {
                let target = match on {
                    Some(other) => *other,
                    None => this()?,
                };
                store::add_event(tx, target, now, actor, event).await?;
            }
            Effect::LinkMessage {
                message_id,
                direction,
            } => store::link_message(tx, message_id, this()?, *direction).await?,
            Effect::SetState {
                state,
                closed_on,
                closure,
            } => store::set_case_state(tx, this()?, *state, *closed_on, *closure).await?,
            Effect::RaiseFlag(flag) => store::add_flag(tx, this()?, flag, now).await?,
            Effect::SetRegime(regime) => store::set_case_regime(tx, this()?, *regime).await?,
            Effect::SetDue(due) => store::set_due_on(tx, this()?, *due).await?,
            Effect::SetAssignee(a) => store::set_assignee(tx, this()?, a.as_deref()).await?,
            Effect::SetOutcomes(o) => store::set_outcomes(tx, this()?, o).await?,
            Effect::RecordDraft(d) => store::insert_draft(tx, this()?, d, now).await?,
            Effect::SetDraftState { version, state } => {
                store::set_draft_state(tx, this()?, *version, *state).await?
            }
            Effect::IssueCode(code) => {
                store::insert_code(tx, this()?, code).await?;
            }
            Effect::UseCode(code) => store::use_code(tx, *code, now).await?,
            Effect::Queue(mail) => {
                if queue(ctx, tx, case, mail).await? {
                    applied.queued += 1;
                }
            }
            Effect::ReleaseHeld {
                raw_message_id,
                kind,
            } => {
                store::finish_raw(
                    tx,
                    RawId(*raw_message_id),
                    &Disposition::Processed(*kind),
                    Some(this()?),
                    now,
                )
                .await?
            }
        }
    }
    if let (Some(disposition), Some(raw)) = (&plan.disposition, raw) {
        store::finish_raw(tx, raw, disposition, case, now).await?;
    }
    Ok(applied)
}

/// Renders and queues a message, linking its Message-ID to the case; mail
/// to the requester is recorded on the case. Returns whether it was queued.
pub(super) async fn queue(
    ctx: &Context,
    tx: &mut Tx,
    case: Option<CaseId>,
    mail: &OutgoingMail,
) -> Result<bool> {
    if mail.to.is_empty() {
        return Ok(false);
    }
    let now = ctx.now();
    let c = &ctx.config.council;
    let rendered = match compose::render(mail, &c.name, &c.address, &c.domain, now) {
        Ok(r) => r,
        Err(e) => {
            // An address nobody can write to (a broken From header): the
            // case stands, and its history says why nothing was sent.
            if let Some(case) = case {
                store::add_event(
                    tx,
                    case,
                    now,
                    &Actor::Foid,
                    &CaseEvent::MailNotQueued {
                        purpose: mail.purpose.as_str().to_string(),
                        to: mail.to.clone(),
                        error: format!("{e:#}"),
                    },
                )
                .await?;
            }
            warn!(purpose = mail.purpose.as_str(), error = %format!("{e:#}"), "mail not queued");
            return Ok(false);
        }
    };
    let recipients: Vec<String> = rendered
        .recipients
        .iter()
        .map(|r| r.to_ascii_lowercase())
        .collect();
    store::enqueue(
        tx,
        &NewOutboxMessage {
            case_id: case,
            purpose: mail.purpose,
            message_id: rendered.message_id.clone(),
            envelope_from: rendered.envelope_from,
            recipients: recipients.clone(),
            bytes: rendered.bytes,
            sent_copy: rendered.sent_copy,
        },
        ctx.hold_outgoing,
        now,
    )
    .await?;
    if let Some(case) = case {
        store::link_message(
            tx,
            &rendered.message_id,
            case,
            crate::core::case::Direction::Out,
        )
        .await?;
        if mail.purpose.is_to_requester() {
            store::add_event(
                tx,
                case,
                now,
                &Actor::Foid,
                &CaseEvent::SentToRequester {
                    purpose: mail.purpose.as_str().to_string(),
                    message_id: rendered.message_id,
                    to: recipients,
                },
            )
            .await?;
        }
    }
    Ok(true)
}
