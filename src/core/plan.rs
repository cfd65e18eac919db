//! A plan: what the core decided should happen to a case, as effects for
//! the shell to carry out in one transaction (`daemon::apply`). Deciding and
//! doing are apart, so every decision is a pure function that tests can
//! call, and every effect is applied in one place.

use jiff::civil::Date;

use super::case::{
    Actor, CaseEvent, CaseId, CaseState, Closure, CodeId, Direction, Disposition, DraftAttachment,
    DraftState, QuestionOutcome,
};
use super::clock::Regime;
use super::intake::Kind;
use super::letters::OutgoingMail;
use super::questions::Question;

/// The case the effects apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Effects touch no case (an ignored message, an answer to an officer
    /// about no case).
    NoCase,
    Case(CaseId),
    /// Open this case first; the effects then apply to it.
    NewCase(Box<NewCase>),
}

/// A case to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub reference: String,
    pub regime: Regime,
    pub kind: Kind,
    pub requester_name: Option<String>,
    pub requester_identity: String,
    pub requester_address: String,
    pub reply_to: String,
    pub subject: String,
    pub received_at: jiff::Timestamp,
    pub received_on: Date,
    pub due_on: Option<Date>,
    pub raw_message_id: i64,
    /// The request's Message-ID, which the reply is threaded on.
    pub request_message_id: String,
    pub request_text: String,
    pub questions: Vec<Question>,
    /// What later requests are compared with (`core::similarity`).
    pub signature: crate::core::similarity::Signature,
}

/// A draft to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDraft {
    pub version: u32,
    pub created_by: String,
    pub letter: String,
    pub sha256: String,
    pub refusal: bool,
    pub outcomes: Vec<QuestionOutcome>,
    pub attachments: Vec<DraftAttachment>,
}

/// An approval code issued: its hash, never the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode {
    pub draft_version: u32,
    pub approver: String,
    pub code_sha256: String,
    pub issued_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Append to the log of the plan's case, or of another (`on`).
    Event {
        on: Option<CaseId>,
        actor: Actor,
        event: CaseEvent,
    },
    /// A Message-ID belongs to the case, so replies thread back.
    LinkMessage {
        message_id: String,
        direction: Direction,
    },
    SetState {
        state: CaseState,
        closed_on: Option<Date>,
        /// How it closed; `None` when it opens again.
        closure: Option<Closure>,
    },
    SetRegime(Regime),
    /// The cached due date (derived from the clock events).
    SetDue(Option<Date>),
    SetAssignee(Option<String>),
    SetOutcomes(Vec<QuestionOutcome>),
    RecordDraft(NewDraft),
    SetDraftState {
        version: u32,
        state: DraftState,
    },
    IssueCode(NewCode),
    /// Mark a code used (single use), in the same transaction as its effect.
    UseCode(CodeId),
    /// Render and queue a mail, linking its Message-ID to the case.
    Queue(OutgoingMail),
    /// Store a flag on the case (the `flags` table; the log has its event).
    RaiseFlag(crate::core::flags::Flag),
    /// A held message became the plan's case.
    ReleaseHeld {
        raw_message_id: i64,
        kind: Kind,
    },
}

/// What the core decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub target: Target,
    pub effects: Vec<Effect>,
    /// What became of the raw message the plan answers, if any.
    pub disposition: Option<Disposition>,
}

impl Plan {
    pub fn new(target: Target) -> Plan {
        Plan {
            target,
            effects: Vec::new(),
            disposition: None,
        }
    }

    /// A plan that only records what became of a message.
    pub fn dispose(disposition: Disposition) -> Plan {
        Plan {
            target: Target::NoCase,
            effects: Vec::new(),
            disposition: Some(disposition),
        }
    }

    /// The plan with no mail in it: past mail imported as history is
    /// recorded, never answered.
    pub fn without_mail(mut self) -> Plan {
        self.effects.retain(|e| !matches!(e, Effect::Queue(_)));
        self
    }

    pub fn event(&mut self, actor: Actor, event: CaseEvent) {
        self.effects.push(Effect::Event {
            on: None,
            actor,
            event,
        });
    }

    pub fn push(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    pub fn queue(&mut self, mail: OutgoingMail) {
        self.effects.push(Effect::Queue(mail));
    }

    /// The mail the plan queues, for tests and logs.
    pub fn mail(&self) -> impl Iterator<Item = &OutgoingMail> {
        self.effects.iter().filter_map(|e| match e {
            Effect::Queue(m) => Some(m),
            _ => None,
        })
    }

    /// The events the plan appends to its own case.
    pub fn events(&self) -> impl Iterator<Item = &CaseEvent> {
        self.effects.iter().filter_map(|e| match e {
            Effect::Event {
                on: None, event, ..
            } => Some(event),
            _ => None,
        })
    }
}
