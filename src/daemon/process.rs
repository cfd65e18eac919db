//! The processing stage: stored raw messages become cases, case events and
//! outbox rows, one database transaction per message. A message that cannot
//! be read is quarantined with its reason; nothing stops the loop.

use anyhow::{Context as _, Result};
use serde_json::json;
use tracing::{info, warn};

use super::Context;
use crate::core::clock::{self, ClockEvent};
use crate::core::intake::{self, IncomingMessage, Kind};
use crate::core::letters::{self, CaseFacts, OutgoingMail};
use crate::core::questions;
use crate::core::reference;
use crate::core::workflow::{self, IntakeContext, IntakeDecision};
use crate::mail::compose;
use crate::mail::message::read_message;
use crate::store::{self, NewCase, NewOutboxMessage, RawMessage, Tx};

/// What became of one message, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    NewCase(String),
    AddedToCase(i64),
    DeliveryFailure(i64),
    Duplicate,
    Ignored(String),
    Quarantined(String),
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
            let id = raw.id;
            after = id;
            match process_one(ctx, &raw).await {
                Ok(outcome) => {
                    handled += 1;
                    info!(raw_id = id, ?outcome, "processed");
                }
                Err(e) => {
                    // Not the message's fault (it was readable): the
                    // database, or a bug. Try again on later passes; after
                    // a few failures quarantine it, kept with the reason,
                    // so that one message cannot stall the others for ever.
                    let attempts = ctx.store.count_processing_failure(id).await?;
                    if attempts < MAX_PROCESSING_ATTEMPTS {
                        warn!(raw_id = id, attempts, error = %format!("{e:#}"), "processing failed; will retry");
                        continue;
                    }
                    warn!(raw_id = id, attempts, error = %format!("{e:#}"), "processing failed; quarantining");
                    let mut tx = ctx.store.begin().await?;
                    store::finish_raw(
                        &mut tx,
                        id,
                        "quarantined",
                        None,
                        None,
                        Some(&format!("processing failed {attempts} times: {e:#}")),
                        ctx.now(),
                    )
                    .await?;
                    tx.commit().await?;
                    handled += 1;
                }
            }
        }
    }
}

pub async fn process_one(ctx: &Context, raw: &RawMessage) -> Result<Outcome> {
    let now = ctx.now();
    let msg = match read_message(&raw.bytes) {
        Ok(m) => m,
        Err(e) => {
            let reason = e.to_string();
            let mut tx = ctx.store.begin().await?;
            store::finish_raw(
                &mut tx,
                raw.id,
                "quarantined",
                None,
                None,
                Some(&reason),
                now,
            )
            .await?;
            tx.commit().await?;
            return Ok(Outcome::Quarantined(reason));
        }
    };
    let classification = intake::classify(&msg, &ctx.policy);
    let kind = classification.kind;
    let mut tx = ctx.store.begin().await?;

    // The same mail seen twice (two folders, a UIDVALIDITY change): one case.
    if let Some((_, case_id)) =
        store::processed_twin(&mut tx, raw.id, &raw.message_id, &raw.sha256).await?
    {
        store::finish_raw(
            &mut tx,
            raw.id,
            "duplicate",
            Some(kind.as_str()),
            case_id,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(Outcome::Duplicate);
    }

    let requester = intake::requester_of(&msg);
    let reply_to = requester
        .reply_to
        .clone()
        .unwrap_or_else(|| requester.email.clone());
    let mut linked_case =
        linked_case(&mut tx, &msg, classification.case_ref.as_deref(), &reply_to).await?;
    if linked_case.is_none() && kind == Kind::Bounce {
        // A delivery report quotes the headers of what bounced.
        let ours = intake::our_message_ids(
            &String::from_utf8_lossy(&raw.bytes),
            &ctx.config.council.domain,
        );
        linked_case = store::case_id_by_message_ids(&mut tx, &ours).await?;
    }
    let recent_acknowledgements = recent_acknowledgements(&mut tx, &reply_to, now).await?;
    let decision = workflow::decide(
        kind,
        &IntakeContext {
            region: ctx.region,
            linked_case,
            recent_acknowledgements,
            from_ourselves: ctx.is_our_address(&requester.email),
        },
    );
    let outcome = match decision {
        IntakeDecision::NewCase {
            regime,
            acknowledge,
        } => {
            let (case_id, reference) = open_case(
                ctx,
                &mut tx,
                raw,
                &msg,
                &classification,
                &requester,
                &reply_to,
                regime,
                acknowledge,
            )
            .await?;
            if let Some(reviewed) = linked_case.filter(|_| kind == Kind::Review) {
                link_review(&mut tx, case_id, &reference, reviewed, now).await?;
            }
            Outcome::NewCase(reference)
        }
        IntakeDecision::AddToCase { case_id } => {
            store::add_event(
                &mut tx,
                case_id,
                now,
                &requester.email,
                if kind == Kind::Command {
                    "officer_message"
                } else {
                    "message_received"
                },
                &json!({
                    "raw_message_id": raw.id,
                    "kind": kind.as_str(),
                    "reasons": classification.reasons,
                    "subject": msg.subject,
                    "text": msg.new_text,
                }),
            )
            .await?;
            store::link_message(&mut tx, &raw.message_id, case_id, "in").await?;
            store::finish_raw(
                &mut tx,
                raw.id,
                "processed",
                Some(kind.as_str()),
                Some(case_id),
                None,
                now,
            )
            .await?;
            Outcome::AddedToCase(case_id)
        }
        IntakeDecision::DeliveryFailure { case_id } => {
            store::add_event(
                &mut tx,
                case_id,
                now,
                "mail system",
                "delivery_failure",
                &json!({ "raw_message_id": raw.id, "subject": msg.subject, "report": msg.new_text }),
            )
            .await?;
            let reference = store::case_reference(&mut tx, case_id).await?;
            let notice =
                letters::delivery_failure(&reference, &ctx.config.officers.team, &msg.new_text);
            queue(ctx, &mut tx, Some(case_id), &notice).await?;
            store::finish_raw(
                &mut tx,
                raw.id,
                "processed",
                Some(kind.as_str()),
                Some(case_id),
                None,
                now,
            )
            .await?;
            Outcome::DeliveryFailure(case_id)
        }
        IntakeDecision::Ignore { reason } => {
            store::finish_raw(
                &mut tx,
                raw.id,
                "ignored",
                Some(kind.as_str()),
                None,
                Some(&reason),
                now,
            )
            .await?;
            Outcome::Ignored(reason)
        }
    };
    tx.commit()
        .await
        .context("committing a processed message")?;
    Ok(outcome)
}

/// The case a message belongs to: by the reference in its subject, by the
/// thread it answers, or by the WhatDoTheyKnow per-request address.
async fn linked_case(
    tx: &mut Tx,
    msg: &IncomingMessage,
    case_ref: Option<&str>,
    reply_to: &str,
) -> Result<Option<i64>> {
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
    if intake::wdtk_address(reply_to).is_some() {
        return store::case_by_reply_address(tx, reply_to).await;
    }
    Ok(None)
}

async fn recent_acknowledgements(tx: &mut Tx, address: &str, now: jiff::Timestamp) -> Result<i64> {
    let recipients = serde_json::to_string(&[address.to_ascii_lowercase()])?;
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE purpose = 'acknowledgement'
         AND LOWER(recipients_json) = $1 AND created_at > $2",
    )
    .bind(recipients)
    .bind(store::to_secs(now) - 86_400)
    .fetch_one(&mut **tx)
    .await?)
}

#[allow(clippy::too_many_arguments)]
async fn open_case(
    ctx: &Context,
    tx: &mut Tx,
    raw: &RawMessage,
    msg: &IncomingMessage,
    classification: &intake::Classification,
    requester: &intake::Requester,
    reply_to: &str,
    regime: clock::Regime,
    acknowledge: bool,
) -> Result<(i64, String)> {
    let now = ctx.now();
    let received_at = store::from_secs(raw.arrived_at);
    let received_on = clock::date_of_receipt(received_at, &ctx.tz);
    let events = vec![ClockEvent::Received { date: received_on }];
    let case_clock = clock::case_clock(regime, ctx.region, &events, &ctx.calendar, received_on);
    let due_on = case_clock.due;

    let requester_id = store::upsert_requester(
        tx,
        &store::RequesterIdentity {
            name: requester.name.clone(),
            identity_key: requester.identity.clone(),
            address: requester.email.clone(),
        },
        now,
    )
    .await?;
    let prefix = reference::prefix(regime);
    let seq = store::next_reference_number(tx, prefix, received_on.year()).await?;
    let reference = reference::format(
        &ctx.config.council.reference_format,
        prefix,
        received_on.year(),
        seq,
    );
    let split = questions::split_questions(&msg.new_text);
    let case_id = store::insert_case(
        tx,
        &NewCase {
            reference: reference.clone(),
            regime: regime.to_string(),
            kind: classification.kind.as_str().to_string(),
            requester_id,
            requester_address: requester.email.clone(),
            reply_to: reply_to.to_string(),
            subject: msg.subject.clone(),
            received_at,
            received_on,
            due_on,
            raw_message_id: raw.id,
            request_text: msg.new_text.clone(),
            questions: split.questions.clone(),
        },
        now,
    )
    .await?;
    store::add_event(
        tx,
        case_id,
        now,
        "foid",
        "opened",
        &json!({
            "raw_message_id": raw.id,
            "kind": classification.kind.as_str(),
            "reasons": classification.reasons,
            "notes": split.notes,
        }),
    )
    .await?;
    for event in &events {
        store::add_event(
            tx,
            case_id,
            now,
            "foid",
            "clock",
            &serde_json::to_value(event)?,
        )
        .await?;
    }
    store::link_message(tx, &raw.message_id, case_id, "in").await?;

    let facts = CaseFacts {
        council_name: &ctx.config.council.name,
        council_address: &ctx.config.council.address,
        reference: &reference,
        regime,
        kind_label: workflow::kind_label(regime),
        kind_reasons: &classification.reasons,
        requester_name: requester.name.as_deref(),
        requester_email: &requester.email,
        reply_to,
        subject: &msg.subject,
        received_on,
        due_on,
        questions: &split.questions,
        notes: &split.notes,
        flags: &[],
        request_text: &msg.new_text,
    };
    if acknowledge {
        let original = msg.message_id.clone().unwrap_or_default();
        queue(
            ctx,
            tx,
            Some(case_id),
            &letters::acknowledgement(&facts, &original),
        )
        .await?;
    } else {
        store::add_event(
            tx,
            case_id,
            now,
            "foid",
            "acknowledgement_withheld",
            &json!({ "reason": "acknowledgement rate limit for this address reached" }),
        )
        .await?;
    }
    if !ctx.config.officers.team.is_empty() {
        queue(
            ctx,
            tx,
            Some(case_id),
            &letters::case_email(&facts, &ctx.config.officers.team),
        )
        .await?;
    }
    store::finish_raw(
        tx,
        raw.id,
        "processed",
        Some(classification.kind.as_str()),
        Some(case_id),
        None,
        now,
    )
    .await?;
    Ok((case_id, reference))
}

/// An internal review is a case of its own; both cases say which reviews
/// which.
async fn link_review(
    tx: &mut Tx,
    review_id: i64,
    review_reference: &str,
    reviewed_id: i64,
    now: jiff::Timestamp,
) -> Result<()> {
    let reviewed_reference = store::case_reference(tx, reviewed_id).await?;
    store::add_event(
        tx,
        review_id,
        now,
        "foid",
        "reviews",
        &json!({ "reference": reviewed_reference }),
    )
    .await?;
    store::add_event(
        tx,
        reviewed_id,
        now,
        "foid",
        "review_requested",
        &json!({ "reference": review_reference }),
    )
    .await?;
    Ok(())
}

/// Renders and queues a message, linking its Message-ID to the case.
async fn queue(
    ctx: &Context,
    tx: &mut Tx,
    case_id: Option<i64>,
    mail: &OutgoingMail,
) -> Result<()> {
    if mail.to.is_empty() {
        return Ok(());
    }
    let rendered = match compose::render(
        mail,
        &ctx.config.council.name,
        &ctx.config.council.address,
        &ctx.config.council.domain,
        ctx.now(),
    ) {
        Ok(r) => r,
        Err(e) => {
            // An address nobody can write to (a broken From header): the
            // case stands, and its history says why nothing was sent.
            if let Some(case_id) = case_id {
                store::add_event(
                    tx,
                    case_id,
                    ctx.now(),
                    "foid",
                    "mail_not_queued",
                    &json!({ "purpose": mail.purpose.as_str(), "to": mail.to, "error": format!("{e:#}") }),
                )
                .await?;
            }
            warn!(purpose = mail.purpose.as_str(), error = %format!("{e:#}"), "mail not queued");
            return Ok(());
        }
    };
    store::enqueue(
        tx,
        &NewOutboxMessage {
            case_id,
            purpose: mail.purpose.as_str().to_string(),
            message_id: rendered.message_id.clone(),
            envelope_from: rendered.envelope_from,
            recipients: rendered
                .recipients
                .iter()
                .map(|r| r.to_ascii_lowercase())
                .collect(),
            bytes: rendered.bytes,
        },
        ctx.hold_outgoing,
        ctx.now(),
    )
    .await?;
    if let Some(case_id) = case_id {
        store::link_message(tx, &rendered.message_id, case_id, "out").await?;
    }
    Ok(())
}
