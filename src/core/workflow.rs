//! What to do with a classified message: the case state machine's first
//! steps. Pure: the shell looks up the linked case and recent history, this
//! decides ([`decide`]) and plans ([`plan_new_case`],
//! [`plan_correspondence`], [`plan_delivery_failure`]); the shell carries
//! the plan out in one transaction.

use jiff::civil::Date;

use super::calendar::{Calendar, Region};
use super::case::{
    Actor, CaseEvent, CaseId, CaseSnapshot, CaseState, Closure, Direction, Disposition, RawId,
};
use super::clock::{self, ClockEvent, ClockState, Regime};
use super::flags::Flag;
use super::intake::{Classification, IncomingMessage, Kind, Requester};
use super::letters::{self, CaseFacts};
use super::plan::{Effect, NewCase, Plan, Target};
use super::questions::{self, Questions};
use super::similarity::Signature;
use super::trust;

/// At most this many acknowledgements go to one address per day: a loop
/// with another robot, or a flood, must not make us a spam source.
pub const ACKNOWLEDGEMENTS_PER_SENDER_PER_DAY: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeDecision {
    /// A new request: open a case under this regime.
    NewCase { regime: Regime, acknowledge: bool },
    /// A message about an existing case (clarification, thanks, complaint,
    /// an officer's reply): add it to the case's history.
    AddToCase { case_id: CaseId },
    /// A bounce of mail we sent for a case: record it and tell the officers.
    DeliveryFailure { case_id: CaseId },
    /// Nothing to open and nobody to answer; kept with the reason.
    Ignore { reason: String },
    /// Not opened on foid's own judgement: kept for an officer to `#open`;
    /// the team is told when `notify` (not for the filter's spam, which
    /// would only move the flood into their inboxes).
    Hold { notify: bool },
}

/// What the shell found out before asking.
#[derive(Debug, Clone)]
pub struct IntakeContext {
    pub region: Region,
    /// The case this message belongs to, found by reference, thread or
    /// WhatDoTheyKnow address.
    pub linked_case: Option<CaseId>,
    /// Acknowledgements sent to this requester address in the last 24 hours.
    pub recent_acknowledgements: i64,
    /// Whether the sender is one of our own addresses.
    pub from_ourselves: bool,
    /// Whether the sender is a configured officer.
    pub from_officer: bool,
    /// Past mail imported as history (`foid import --history`): nothing
    /// is opened as work, held or sent for it.
    pub history: bool,
}

/// The regime a new request of this kind runs under.
pub fn regime_for(kind: Kind, region: Region) -> Option<Regime> {
    let scottish = region == Region::Scotland;
    match kind {
        Kind::Foi | Kind::Correspondence | Kind::Command if scottish => Some(Regime::Foisa),
        Kind::Foi | Kind::Correspondence | Kind::Command => Some(Regime::Foi),
        Kind::Eir => Some(Regime::Eir),
        Kind::Sar => Some(Regime::Sar),
        Kind::Review if scottish => Some(Regime::FoisaReview),
        Kind::Review => Some(Regime::Review),
        Kind::AutoReply | Kind::Bounce | Kind::Bulk | Kind::Spam | Kind::Unclear => None,
    }
}

pub fn decide(kind: Kind, ctx: &IntakeContext) -> IntakeDecision {
    if ctx.from_ourselves {
        return IntakeDecision::Ignore {
            reason: "sent by foid itself".into(),
        };
    }
    if ctx.from_officer
        && ctx.linked_case.is_none()
        && matches!(
            kind,
            Kind::Foi | Kind::Eir | Kind::Sar | Kind::Review | Kind::Correspondence | Kind::Unclear
        )
    {
        // An officer is never the requester: opening a case would
        // acknowledge the officer and start a clock for nobody.
        return IntakeDecision::Ignore {
            reason: "an officer's mail that names no case and carries no #command; not opened as a request".into(),
        };
    }
    match (kind, ctx.linked_case) {
        (Kind::AutoReply, _) => IntakeDecision::Ignore {
            reason: "automatic reply".into(),
        },
        (Kind::Bulk, _) => IntakeDecision::Ignore {
            reason: "bulk or list mail".into(),
        },
        (Kind::Bounce, Some(case_id)) => IntakeDecision::DeliveryFailure { case_id },
        (Kind::Bounce, None) => IntakeDecision::Ignore {
            reason: "delivery report for mail not linked to a case".into(),
        },
        // Spam and unclear mail on a case's thread join it (the link is
        // evidence the filter did not have); on none, they are held, except
        // in history, where nobody is waiting for an answer.
        (Kind::Spam | Kind::Unclear, None) if ctx.history => IntakeDecision::Ignore {
            reason: format!(
                "past mail imported as history: {} on no case, not held",
                kind.as_str()
            ),
        },
        (Kind::Spam, None) => IntakeDecision::Hold { notify: false },
        (Kind::Unclear, None) => IntakeDecision::Hold { notify: true },
        // A review asks about an earlier case but is a case of its own.
        (Kind::Review, _) => new_case(Kind::Review, ctx),
        // Linked by our reference, by the thread of mail we exchanged, or by
        // a WhatDoTheyKnow request address: part of that case, whatever the
        // text looks like ("Re: …" without a reference reads as a request).
        (_, Some(case_id)) => IntakeDecision::AddToCase { case_id },
        // A reply we cannot place is safer as a new case than lost.
        (kind, None) => new_case(kind, ctx),
    }
}

fn new_case(kind: Kind, ctx: &IntakeContext) -> IntakeDecision {
    let regime = regime_for(kind, ctx.region).unwrap_or(Regime::Foi);
    IntakeDecision::NewCase {
        regime,
        acknowledge: !ctx.history
            && ctx.recent_acknowledgements < ACKNOWLEDGEMENTS_PER_SENDER_PER_DAY,
    }
}

/// The council's side of intake's letters.
#[derive(Debug, Clone, Copy)]
pub struct Council<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub team: &'a [String],
}

/// A new request, with what the shell looked up for it.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub raw_id: RawId,
    pub msg: &'a IncomingMessage,
    pub classification: &'a Classification,
    pub requester: &'a Requester,
    pub reply_to: &'a str,
    /// Allocated by the store for this case.
    pub reference: String,
    pub received_at: jiff::Timestamp,
    pub received_on: Date,
    pub regime: Regime,
    pub acknowledge: bool,
    /// The case an internal review reviews, and its reference.
    pub reviewed: Option<(CaseId, String)>,
    /// Past mail imported as history: the case is recorded closed.
    pub history: bool,
    /// The request's questions ([`questions_of`]).
    pub split: Questions,
    /// What later requests are compared with.
    pub signature: Signature,
    /// What the earlier cases say about it (`core::flags`).
    pub flags: Vec<Flag>,
}

/// A new request's questions: a review and a subject access request are
/// one ask each; anything else is split into its questions.
pub fn questions_of(kind: Kind, text: &str) -> Questions {
    match kind {
        Kind::Review => questions::review_request(text),
        Kind::Sar => questions::subject_access_request(text),
        _ => questions::split_questions(text),
    }
}

/// Why a history case is closed, on its `closed` event.
pub const HISTORY_CLOSURE_REASON: &str =
    "past mail imported as history: the response is not known, and the case is left out of timeliness";

/// Opens a case: its questions and clock, the acknowledgement (unless held
/// back) and the case email.
pub fn plan_new_case(
    r: &NewRequest<'_>,
    council: &Council<'_>,
    calendar: &Calendar,
    region: Region,
) -> Plan {
    let events = [ClockEvent::Received {
        date: r.received_on,
    }];
    let due_on = clock::case_clock(r.regime, region, &events, calendar, r.received_on).due;
    let split = &r.split;
    let mut plan = Plan::new(Target::NewCase(Box::new(NewCase {
        reference: r.reference.clone(),
        regime: r.regime,
        kind: r.classification.kind,
        requester_name: r.requester.name.clone(),
        requester_identity: r.requester.identity.clone(),
        requester_address: r.requester.email.clone(),
        reply_to: r.reply_to.to_string(),
        subject: r.msg.subject.clone(),
        received_at: r.received_at,
        received_on: r.received_on,
        due_on,
        raw_message_id: r.raw_id.0,
        request_message_id: r.msg.message_id.clone().unwrap_or_default(),
        request_text: r.msg.new_text.clone(),
        questions: split.questions.clone(),
        signature: r.signature.clone(),
    })));
    plan.event(
        Actor::Foid,
        CaseEvent::Opened {
            raw_message_id: r.raw_id.0,
            kind: r.classification.kind,
            reasons: r.classification.reasons.clone(),
            notes: split.notes.clone(),
        },
    );
    for e in events {
        plan.event(Actor::Foid, CaseEvent::Clock(e));
    }
    if let Some(id) = &r.msg.message_id {
        plan.push(Effect::LinkMessage {
            message_id: id.clone(),
            direction: Direction::In,
        });
    }
    if r.history {
        // Kept for repeat detection, never as work: no letters, no clock.
        plan.push(Effect::SetState {
            state: CaseState::Closed,
            closed_on: None,
            closure: Some(Closure::History),
        });
        plan.event(
            Actor::Foid,
            CaseEvent::Closed {
                closure: Closure::History,
                responded_on: None,
                on_time: None,
                outcomes: vec![],
                reason: HISTORY_CLOSURE_REASON.into(),
            },
        );
        plan.disposition = Some(Disposition::Processed(r.classification.kind));
        return plan;
    }
    for flag in &r.flags {
        plan.push(Effect::RaiseFlag(flag.clone()));
        plan.event(Actor::Foid, CaseEvent::Flagged { flag: flag.clone() });
    }
    let flag_lines: Vec<String> = r.flags.iter().map(Flag::summary).collect();
    let facts = CaseFacts {
        council_name: council.name,
        council_address: council.address,
        reference: &r.reference,
        regime: r.regime,
        kind_label: kind_label(r.regime),
        kind_reasons: &r.classification.reasons,
        requester_name: r.requester.name.as_deref(),
        requester_email: &r.requester.email,
        reply_to: r.reply_to,
        subject: &r.msg.subject,
        received_on: r.received_on,
        due_on,
        questions: &split.questions,
        notes: &split.notes,
        flags: &flag_lines,
        request_text: &r.msg.new_text,
    };
    if r.acknowledge {
        let original = r.msg.message_id.clone().unwrap_or_default();
        plan.queue(letters::acknowledgement(&facts, &original));
    } else {
        plan.event(
            Actor::Foid,
            CaseEvent::AcknowledgementWithheld {
                reason: "acknowledgement rate limit for this address reached".into(),
            },
        );
    }
    if !council.team.is_empty() {
        plan.queue(letters::case_email(&facts, council.team));
    }
    if let Some((reviewed, reviewed_reference)) = &r.reviewed {
        // An internal review is a case of its own; both say which reviews which.
        plan.event(
            Actor::Foid,
            CaseEvent::Reviews {
                reference: reviewed_reference.clone(),
            },
        );
        plan.push(Effect::Event {
            on: Some(*reviewed),
            actor: Actor::Foid,
            event: CaseEvent::ReviewRequested {
                reference: r.reference.clone(),
            },
        });
    }
    plan.disposition = Some(Disposition::Processed(r.classification.kind));
    plan
}

/// A message held for an officer: kept with its reasons; the team told
/// (when `notify`) how to open it. Nothing goes to the sender.
pub fn plan_hold(
    raw_id: RawId,
    msg: &IncomingMessage,
    classification: &Classification,
    received_on: Date,
    notify: bool,
    council: &Council<'_>,
) -> Plan {
    let mut plan = Plan::dispose(Disposition::Held {
        kind: classification.kind,
        reason: classification.reasons.join("; "),
    });
    if notify && !council.team.is_empty() {
        plan.queue(letters::held_notice(
            &letters::HeldFacts {
                raw_message_id: raw_id.0,
                from: msg.from_email.as_deref().unwrap_or("(no address)"),
                subject: &msg.subject,
                received_on,
                reasons: &classification.reasons,
                text: &msg.new_text,
            },
            council.team,
        ));
    }
    plan
}

/// An officer's `#open` of a held message: the case it would have been,
/// opened now from its own date of receipt, plus the answer to the
/// officer. `answer` is the plan casework made of the officer's mail; its
/// mail joins the new case, so replies to it reach the case.
pub fn plan_open_held(
    request: &NewRequest<'_>,
    officer: &str,
    held_because: &str,
    answer: Plan,
    council: &Council<'_>,
    calendar: &Calendar,
    region: Region,
) -> Plan {
    let mut plan = plan_new_case(request, council, calendar, region);
    plan.event(
        Actor::Officer(officer.to_string()),
        CaseEvent::OpenedFromHold {
            raw_message_id: request.raw_id.0,
            held_because: held_because.to_string(),
        },
    );
    plan.push(Effect::ReleaseHeld {
        raw_message_id: request.raw_id.0,
        kind: request.classification.kind,
    });
    plan.effects.extend(answer.effects);
    plan.disposition = answer.disposition;
    plan
}

/// Mail on an existing case. A requester's answer to a clarification
/// request restarts the clock (FOIA s.1(3); R4), and the officers are told.
#[allow(clippy::too_many_arguments)]
pub fn plan_correspondence(
    case: &CaseSnapshot,
    raw_id: RawId,
    msg: &IncomingMessage,
    classification: &Classification,
    from_officer: bool,
    received_on: Date,
    council: &Council<'_>,
    calendar: &Calendar,
    region: Region,
) -> Plan {
    let from = msg.from_email.clone().unwrap_or_default();
    let mut plan = Plan::new(Target::Case(case.id));
    let actor = if from_officer {
        Actor::Officer(from.clone())
    } else {
        Actor::Requester(from.clone())
    };
    plan.event(
        actor.clone(),
        CaseEvent::MessageReceived {
            raw_message_id: raw_id.0,
            kind: classification.kind,
            reasons: classification.reasons.clone(),
            subject: msg.subject.clone(),
            text: msg.new_text.clone(),
        },
    );
    if let Some(id) = &msg.message_id {
        plan.push(Effect::LinkMessage {
            message_id: id.clone(),
            direction: Direction::In,
        });
    }
    let mut events = case.clock_events();
    let before = clock::case_clock(case.regime, region, &events, calendar, received_on);
    let from_requester = case.is_requester(&from)
        || msg
            .reply_to
            .as_deref()
            .is_some_and(|r| case.is_requester(r));
    if let (ClockState::AwaitingClarification { since }, true, false) =
        (before.state, from_requester, from_officer)
    {
        let restart = ClockEvent::ClarificationReceived { date: received_on };
        events.push(restart.clone());
        let after = clock::case_clock(case.regime, region, &events, calendar, received_on);
        plan.event(actor, CaseEvent::Clock(restart));
        plan.event(
            Actor::Foid,
            CaseEvent::ClarificationArrived {
                raw_message_id: raw_id.0,
            },
        );
        plan.push(Effect::SetDue(after.deadline()));
        if !council.team.is_empty() {
            let due = after
                .deadline()
                .map(|d| {
                    format!(
                        "The clock restarts: the new due date is {}.",
                        letters::long_date(d)
                    )
                })
                .unwrap_or_default();
            plan.queue(letters::officer_notice(
                council.team.to_vec(),
                &case.reference,
                "Clarification received",
                format!(
                    "The requester answered the clarification request of {} on case {}, received {}. {due}\n\nTheir reply:\n\n{}\n",
                    letters::long_date(since),
                    case.reference,
                    letters::long_date(received_on),
                    msg.new_text
                ),
            ));
        }
    }
    plan.disposition = Some(Disposition::Processed(classification.kind));
    plan
}

/// A bounce of mail foid sent for a case: recorded, and the officers told.
pub fn plan_delivery_failure(
    case_id: CaseId,
    reference: &str,
    raw_id: RawId,
    msg: &IncomingMessage,
    council: &Council<'_>,
) -> Plan {
    let mut plan = Plan::new(Target::Case(case_id));
    plan.event(
        Actor::MailSystem,
        CaseEvent::DeliveryFailure {
            raw_message_id: raw_id.0,
            subject: msg.subject.clone(),
            report: msg.new_text.clone(),
        },
    );
    plan.queue(letters::delivery_failure(
        reference,
        council.team,
        &msg.new_text,
    ));
    plan.disposition = Some(Disposition::Processed(Kind::Bounce));
    plan
}

/// Mail foid queued for a case was refused for good by the SMTP server:
/// recorded on the case; when it was meant for the requester, the team is
/// told, since the requester is still waiting for it.
pub fn plan_send_failure(
    case_id: CaseId,
    reference: &str,
    message_id: &str,
    purpose: letters::Purpose,
    error: &str,
    team: &[String],
) -> Plan {
    let mut plan = Plan::new(Target::Case(case_id));
    plan.event(
        Actor::Foid,
        CaseEvent::SendFailed {
            message_id: message_id.to_string(),
            purpose: purpose.as_str().to_string(),
            error: error.to_string(),
        },
    );
    if (purpose.is_to_requester() || purpose == letters::Purpose::Acknowledgement)
        && !team.is_empty()
    {
        plan.queue(letters::officer_notice(
            team.to_vec(),
            reference,
            "Reply not sent",
            format!(
                "foid could not send the {} for case {reference}: the mail server refused it \
                 for good.\n\nThe server said: {error}\n\nThe requester has not received it; \
                 check the address and write to the requester again.\n",
                purpose.label()
            ),
        ));
    }
    plan
}

/// Mail that failed the trust gate: quarantined with the evidence, and no
/// reply to its sender. When it claimed an officer's address and that
/// officer is to be told (`warn`), a warning goes to the configured address,
/// never to the message's own.
pub fn plan_gate_refusal(refusal: &trust::Refusal, warn: Option<&str>, subject: &str) -> Plan {
    let mut plan = Plan::dispose(Disposition::Quarantined {
        kind: Some(Kind::Command),
        reason: format!("unauthenticated_command: {refusal}"),
    });
    if let Some(officer) = warn {
        plan.queue(letters::OutgoingMail::new(
            letters::Purpose::ImpersonationWarning,
            vec![officer.to_string()],
            "Someone tried to command foid as you".into(),
            format!(
                "foid received a command that claimed to come from {officer}, and refused it: the council's mail system did not vouch for it.\n\n\
                 Subject: {subject}\nWhy:     {refusal}\n\n\
                 Nothing was done. If it was you, send it again from your own mailbox through the council's mail system. If it was not, tell IT: the message is kept in foid's quarantine. You will get at most one such warning a day.\n"
            ),
            letters::AutoSubmitted::AutoGenerated,
        ));
    }
    plan
}

/// How a case is described to officers.
pub fn kind_label(regime: Regime) -> &'static str {
    match regime {
        Regime::Eir | Regime::EirExtended => "EIR request",
        Regime::Sar | Regime::SarExtended => "subject access request",
        Regime::Review | Regime::ReviewExtended => "internal review request",
        Regime::Foisa => "FOISA request",
        Regime::FoisaReview => "FOISA review request",
        Regime::Foi | Regime::Pit => "FOI request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(linked: Option<i64>) -> IntakeContext {
        IntakeContext {
            region: Region::EnglandAndWales,
            linked_case: linked.map(CaseId),
            recent_acknowledgements: 0,
            from_ourselves: false,
            from_officer: false,
            history: false,
        }
    }

    #[test]
    fn history_opens_nothing_as_work() {
        let past = IntakeContext {
            history: true,
            ..ctx(None)
        };
        assert_eq!(
            decide(Kind::Foi, &past),
            IntakeDecision::NewCase {
                regime: Regime::Foi,
                acknowledge: false
            }
        );
        for kind in [Kind::Spam, Kind::Unclear] {
            assert!(matches!(decide(kind, &past), IntakeDecision::Ignore { .. }));
        }
        let on_a_case = IntakeContext {
            history: true,
            ..ctx(Some(2))
        };
        assert_eq!(
            decide(Kind::Unclear, &on_a_case),
            IntakeDecision::AddToCase { case_id: CaseId(2) }
        );
    }

    #[test]
    fn an_officer_is_never_a_requester() {
        let officer = IntakeContext {
            from_officer: true,
            ..ctx(None)
        };
        assert!(matches!(
            decide(Kind::Foi, &officer),
            IntakeDecision::Ignore { .. }
        ));
        let on_a_case = IntakeContext {
            from_officer: true,
            ..ctx(Some(4))
        };
        assert_eq!(
            decide(Kind::Correspondence, &on_a_case),
            IntakeDecision::AddToCase { case_id: CaseId(4) }
        );
    }

    #[test]
    fn robots_get_no_case() {
        for kind in [Kind::AutoReply, Kind::Bulk, Kind::Bounce] {
            assert!(matches!(
                decide(kind, &ctx(None)),
                IntakeDecision::Ignore { .. }
            ));
        }
        assert_eq!(
            decide(Kind::Bounce, &ctx(Some(3))),
            IntakeDecision::DeliveryFailure { case_id: CaseId(3) }
        );
    }

    #[test]
    fn requests_open_cases_under_their_regime() {
        assert_eq!(
            decide(Kind::Eir, &ctx(None)),
            IntakeDecision::NewCase {
                regime: Regime::Eir,
                acknowledge: true
            }
        );
        let mut scottish = ctx(None);
        scottish.region = Region::Scotland;
        assert_eq!(
            decide(Kind::Foi, &scottish),
            IntakeDecision::NewCase {
                regime: Regime::Foisa,
                acknowledge: true
            }
        );
        assert_eq!(
            decide(Kind::Review, &ctx(Some(1))),
            IntakeDecision::NewCase {
                regime: Regime::Review,
                acknowledge: true
            }
        );
    }

    #[test]
    fn replies_join_their_case_or_open_one() {
        assert_eq!(
            decide(Kind::Correspondence, &ctx(Some(9))),
            IntakeDecision::AddToCase { case_id: CaseId(9) }
        );
        assert!(matches!(
            decide(Kind::Correspondence, &ctx(None)),
            IntakeDecision::NewCase { .. }
        ));
        assert_eq!(
            decide(Kind::Foi, &ctx(Some(4))),
            IntakeDecision::AddToCase { case_id: CaseId(4) }
        );
    }

    #[test]
    fn acknowledgements_are_rate_limited_and_never_to_ourselves() {
        let mut c = ctx(None);
        c.recent_acknowledgements = ACKNOWLEDGEMENTS_PER_SENDER_PER_DAY;
        assert_eq!(
            decide(Kind::Foi, &c),
            IntakeDecision::NewCase {
                regime: Regime::Foi,
                acknowledge: false
            }
        );
        c.from_ourselves = true;
        assert!(matches!(
            decide(Kind::Foi, &c),
            IntakeDecision::Ignore { .. }
        ));
    }
}
