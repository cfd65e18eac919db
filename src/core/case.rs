//! The vocabulary of a case: ids, states, who acted, what became of a
//! message, and the typed event log every piece of case state is derived
//! from. Strings appear only where these meet the database, JSON and the
//! command line, through `as_str`/`FromStr` here.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::breach_check::Finding;
use super::clock::{ClockEvent, Regime};
use super::intake::Kind;
use super::questions::Question;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A case's row id (not its reference).
    CaseId
);
id_type!(
    /// A stored raw message.
    RawId
);
id_type!(
    /// A row of the outbox.
    OutboxId
);
id_type!(
    /// A requester (one person across the addresses they use).
    RequesterId
);
id_type!(
    /// An issued approval code (its hash, never the code).
    CodeId
);

/// A plain enum stored as snake_case text: its derives, `as_str` and
/// `Display`, in one place.
macro_rules! db_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident,)* }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize,
            strum::EnumString, strum::IntoStaticStr,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

db_enum!(
    /// Whether a case is still being worked.
    CaseState {
        Open,
        Closed,
    }
);

db_enum!(
    /// Where a raw message stands in processing.
    RawState {
        New,
        Processed,
        Duplicate,
        Ignored,
        Quarantined,
        /// On no case, not opened on foid's own judgement: an officer's
        /// `#open` makes it a case.
        Held,
    }
);

db_enum!(
    /// Where a stored message came from.
    Source {
        Imap,
        Maildir,
        Import,
    }
);

db_enum!(
    /// Which way a message went, for the thread links of a case.
    Direction {
        In,
        Out,
    }
);

db_enum!(
    /// The state of a draft reply.
    DraftState {
        /// Waiting for an approver.
        Pending,
        /// Approved and queued to the requester.
        Approved,
        /// Sent back to the drafter.
        Rejected,
        /// A newer draft replaced it.
        Superseded,
    }
);

/// Who did something on a case. Stored as `foid`, `mail system`,
/// `officer:ADDRESS` or `requester:ADDRESS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "actor", content = "address", rename_all = "snake_case")]
pub enum Actor {
    Foid,
    MailSystem,
    Officer(String),
    Requester(String),
}

impl Actor {
    pub fn to_db(&self) -> String {
        match self {
            Actor::Foid => "foid".into(),
            Actor::MailSystem => "mail system".into(),
            Actor::Officer(a) => format!("officer:{a}"),
            Actor::Requester(a) => format!("requester:{a}"),
        }
    }

    /// The stored form back; a bare address (older rows) is a requester.
    pub fn from_db(s: &str) -> Actor {
        match s {
            "foid" => Actor::Foid,
            "mail system" => Actor::MailSystem,
            _ => match s.split_once(':') {
                Some(("officer", a)) => Actor::Officer(a.to_string()),
                Some(("requester", a)) => Actor::Requester(a.to_string()),
                _ => Actor::Requester(s.to_string()),
            },
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Foid => f.write_str("foid"),
            Actor::MailSystem => f.write_str("mail system"),
            Actor::Officer(a) | Actor::Requester(a) => f.write_str(a),
        }
    }
}

/// What became of one raw message; stored on its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// It made or joined a case (the plan's case).
    Processed(Kind),
    /// The same mail was processed before.
    Duplicate(Kind),
    /// Machine mail or mail for nobody: kept with the reason.
    Ignored { kind: Kind, reason: String },
    /// Could not or must not be acted on: kept with the reason.
    Quarantined { kind: Option<Kind>, reason: String },
    /// Spam, or mail that reads like no request: kept with the reasons
    /// until an officer opens it as a case.
    Held { kind: Kind, reason: String },
}

impl Disposition {
    pub fn state(&self) -> RawState {
        match self {
            Disposition::Processed(_) => RawState::Processed,
            Disposition::Duplicate(_) => RawState::Duplicate,
            Disposition::Ignored { .. } => RawState::Ignored,
            Disposition::Quarantined { .. } => RawState::Quarantined,
            Disposition::Held { .. } => RawState::Held,
        }
    }

    pub fn kind(&self) -> Option<Kind> {
        match self {
            Disposition::Processed(k) | Disposition::Duplicate(k) => Some(*k),
            Disposition::Ignored { kind, .. } | Disposition::Held { kind, .. } => Some(*kind),
            Disposition::Quarantined { kind, .. } => *kind,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Disposition::Ignored { reason, .. }
            | Disposition::Quarantined { reason, .. }
            | Disposition::Held { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// What the council did about one question, for the reply and the returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The information was given.
    Answered,
    /// Not held (FOIA s.1(1)(a); EIR reg 12(4)(a)).
    NotHeld,
    /// Withheld under an exemption or exception, e.g. `s40(2)`, `reg 12(5)(e)`.
    Exempt { section: String },
    /// Reasonably accessible by other means (FOIA s.21 / FOISA s.25).
    Published { url: String },
    /// Over the appropriate cost limit (FOIA s.12).
    Cost,
    /// The whole request refused, e.g. under s.14(1), s.14(2) or s.12.
    Refused { section: String },
}

impl Outcome {
    /// A short label for tables and the stats: `answered`, `exempt s40(2)`.
    pub fn label(&self) -> String {
        match self {
            Outcome::Answered => "answered".into(),
            Outcome::NotHeld => "not held".into(),
            Outcome::Exempt { section } => format!("exempt {section}"),
            Outcome::Published { .. } => "published (s.21)".into(),
            Outcome::Cost => "cost limit (s.12)".into(),
            Outcome::Refused { section } => format!("refused {section}"),
        }
    }

    /// Whether this withholds information (the letter is then also a
    /// refusal notice).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Outcome::Answered)
    }
}

/// The outcome recorded for one question when its case closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionOutcome {
    pub number: u32,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The answer as sent, kept so a repeat of the request can be shown
    /// what the council said then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// How a case was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closure {
    /// The approved reply was sent.
    Answered,
    /// An officer closed it without a reply (`#close`): withdrawn, lapsed, duplicate.
    ClosedByOfficer,
    /// Past mail imported as history (`foid import --history`): kept for
    /// repeat detection; the response is not known, so it is left out of
    /// timeliness.
    History,
}

impl Closure {
    /// The `closure` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Closure::Answered => "answered",
            Closure::ClosedByOfficer => "closed_by_officer",
            Closure::History => "history",
        }
    }
}

/// A file sent with a draft, as recorded in the log (the bytes are kept with
/// the draft).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

/// One entry of a case's history. Stored as `kind` (the tag) and
/// `detail_json` (the content); the clock events are one variant, so the
/// clock is derived from the same log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum CaseEvent {
    /// A new request opened the case.
    Opened {
        raw_message_id: i64,
        kind: Kind,
        reasons: Vec<String>,
        #[serde(default)]
        notes: Vec<String>,
    },
    /// A statutory clock event.
    Clock(ClockEvent),
    /// Mail on the case from outside: clarification, thanks, complaint.
    MessageReceived {
        raw_message_id: i64,
        kind: Kind,
        reasons: Vec<String>,
        subject: String,
        text: String,
    },
    /// An officer's mail before commands were executed (older history).
    OfficerMessage {
        raw_message_id: i64,
        kind: Kind,
        reasons: Vec<String>,
        subject: String,
        text: String,
    },
    /// A bounce of mail foid sent for the case.
    DeliveryFailure {
        raw_message_id: i64,
        subject: String,
        report: String,
    },
    /// No acknowledgement was sent, and why.
    AcknowledgementWithheld {
        reason: String,
    },
    /// This internal review reviews the case with this reference.
    Reviews {
        reference: String,
    },
    /// An internal review of this case was requested.
    ReviewRequested {
        reference: String,
    },
    /// Mail that could not be rendered (a broken address).
    MailNotQueued {
        purpose: String,
        to: Vec<String>,
        error: String,
    },
    /// The SMTP server refused mail for good.
    SendFailed {
        message_id: String,
        purpose: String,
        error: String,
    },
    /// The bank holidays changed and the due date with them.
    DueDateRecomputed {
        old_due_on: Option<String>,
        new_due_on: Option<String>,
        reason: String,
    },
    /// An authenticated officer's commands, with the evidence that vouched
    /// for the sender.
    CommandsReceived {
        raw_message_id: i64,
        commands: Vec<String>,
        evidence: String,
    },
    /// A command that was not carried out, and why (the officer was told).
    CommandRefused {
        command: String,
        reason: String,
    },
    /// A draft reply was recorded.
    DraftRecorded {
        version: u32,
        sha256: String,
        refusal: bool,
        attachments: Vec<AttachmentMeta>,
        outcomes: Vec<QuestionOutcome>,
        /// What the breach check found in the attachments.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        findings: Vec<Finding>,
    },
    /// An approver approved a draft despite the breach check's findings.
    FindingsOverridden {
        version: u32,
        reason: String,
        findings: Vec<String>,
    },
    /// An officer opened a message foid had held (spam by the filter's
    /// verdict, or mail that read like no request) as this case.
    OpenedFromHold {
        raw_message_id: i64,
        held_because: String,
    },
    /// Previews with approval codes went to these approvers.
    PreviewSent {
        version: u32,
        approvers: Vec<String>,
    },
    /// An approver approved the draft with their code.
    DraftApproved {
        version: u32,
        sha256: String,
    },
    /// An approver sent the draft back.
    DraftRejected {
        version: u32,
        reason: String,
    },
    /// Mail to the requester was queued: the reply, a clarification
    /// request, a fees notice, an extension notice.
    SentToRequester {
        purpose: String,
        message_id: String,
        to: Vec<String>,
    },
    /// The requester's answer to a clarification request arrived.
    ClarificationArrived {
        raw_message_id: i64,
    },
    Assigned {
        to: String,
    },
    Note {
        text: String,
    },
    /// The regime was changed by an officer (the clock follows it).
    RegimeChanged {
        from: Regime,
        to: Regime,
        reason: String,
    },
    Closed {
        closure: Closure,
        responded_on: Option<Date>,
        on_time: Option<bool>,
        outcomes: Vec<QuestionOutcome>,
        #[serde(default)]
        reason: String,
    },
    Reopened {
        reason: String,
    },
    /// A flag for the officers (s.14, s.12), with its evidence.
    Flagged {
        flag: crate::core::flags::Flag,
    },
    /// The retention period passed: the case's personal data was erased
    /// (`foid purge`); its dates, regime, outcomes and clock remain.
    Purged {
        closed_before: Date,
    },
}

impl CaseEvent {
    /// The `kind` column of this event.
    pub fn kind(&self) -> &'static str {
        match self {
            CaseEvent::Opened { .. } => "opened",
            CaseEvent::Clock(_) => "clock",
            CaseEvent::MessageReceived { .. } => "message_received",
            CaseEvent::OfficerMessage { .. } => "officer_message",
            CaseEvent::DeliveryFailure { .. } => "delivery_failure",
            CaseEvent::AcknowledgementWithheld { .. } => "acknowledgement_withheld",
            CaseEvent::Reviews { .. } => "reviews",
            CaseEvent::ReviewRequested { .. } => "review_requested",
            CaseEvent::MailNotQueued { .. } => "mail_not_queued",
            CaseEvent::SendFailed { .. } => "send_failed",
            CaseEvent::DueDateRecomputed { .. } => "due_date_recomputed",
            CaseEvent::CommandsReceived { .. } => "commands_received",
            CaseEvent::CommandRefused { .. } => "command_refused",
            CaseEvent::DraftRecorded { .. } => "draft_recorded",
            CaseEvent::PreviewSent { .. } => "preview_sent",
            CaseEvent::FindingsOverridden { .. } => "findings_overridden",
            CaseEvent::OpenedFromHold { .. } => "opened_from_hold",
            CaseEvent::DraftApproved { .. } => "draft_approved",
            CaseEvent::DraftRejected { .. } => "draft_rejected",
            CaseEvent::SentToRequester { .. } => "sent_to_requester",
            CaseEvent::ClarificationArrived { .. } => "clarification_arrived",
            CaseEvent::Assigned { .. } => "assigned",
            CaseEvent::Note { .. } => "note",
            CaseEvent::Flagged { .. } => "flagged",
            CaseEvent::RegimeChanged { .. } => "regime_changed",
            CaseEvent::Closed { .. } => "closed",
            CaseEvent::Reopened { .. } => "reopened",
            CaseEvent::Purged { .. } => "purged",
        }
    }

    /// The `detail_json` column of this event.
    pub fn detail(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.remove("detail").unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        }
    }

    /// An event back from its two columns.
    pub fn from_columns(kind: &str, detail: &str) -> Result<CaseEvent, serde_json::Error> {
        let detail: serde_json::Value = serde_json::from_str(detail)?;
        serde_json::from_value(serde_json::json!({ "kind": kind, "detail": detail }))
    }
}

/// One stored event with who and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub at: jiff::Timestamp,
    pub actor: Actor,
    pub event: CaseEvent,
}

/// The latest draft of a case, as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftSnapshot {
    pub version: u32,
    pub state: DraftState,
    pub created_by: String,
    pub created_at: jiff::Timestamp,
    /// The final letter text, exactly as the requester would get it.
    pub letter: String,
    /// Hash binding the letter, subject, recipient and attachments.
    pub sha256: String,
    pub refusal: bool,
    pub outcomes: Vec<QuestionOutcome>,
    pub attachments: Vec<DraftAttachment>,
}

/// A file of a draft, with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftAttachment {
    pub meta: AttachmentMeta,
    pub bytes: Vec<u8>,
    /// What the breach check found; None when it was never checked.
    pub findings: Option<Vec<Finding>>,
}

/// An approval code as stored: never the code itself, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode {
    pub id: CodeId,
    pub case: CaseId,
    pub draft_version: u32,
    pub approver: String,
    pub code_sha256: String,
    pub issued_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
    pub used_at: Option<jiff::Timestamp>,
}

/// Everything the plan of a command or a reply needs to know of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSnapshot {
    pub id: CaseId,
    pub reference: String,
    pub regime: Regime,
    pub kind: Kind,
    pub state: CaseState,
    pub requester_name: Option<String>,
    pub requester_address: String,
    pub reply_to: String,
    pub subject: String,
    pub received_on: Date,
    pub due_on: Option<Date>,
    /// The Message-ID of the request, for threading the reply on it.
    pub request_message_id: String,
    pub request_text: String,
    pub questions: Vec<Question>,
    pub assigned_to: Option<String>,
    pub events: Vec<EventRecord>,
    pub draft: Option<DraftSnapshot>,
    /// Codes issued for the latest draft.
    pub codes: Vec<StoredCode>,
}

impl CaseSnapshot {
    /// The clock events, oldest first.
    pub fn clock_events(&self) -> Vec<ClockEvent> {
        self.events
            .iter()
            .filter_map(|e| match &e.event {
                CaseEvent::Clock(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    /// Whether `address` is the requester's (From or reply address).
    pub fn is_requester(&self, address: &str) -> bool {
        address.eq_ignore_ascii_case(&self.requester_address)
            || address.eq_ignore_ascii_case(&self.reply_to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_their_columns() {
        let events = vec![
            CaseEvent::Clock(ClockEvent::Received {
                date: jiff::civil::date(2026, 11, 27),
            }),
            CaseEvent::Note {
                text: "rang the requester".into(),
            },
            CaseEvent::Closed {
                closure: Closure::Answered,
                responded_on: Some(jiff::civil::date(2026, 12, 3)),
                on_time: Some(true),
                outcomes: vec![
                    QuestionOutcome {
                        number: 1,
                        outcome: Outcome::Answered,
                        answer: None,
                    },
                    QuestionOutcome {
                        number: 2,
                        outcome: Outcome::Exempt {
                            section: "s40(2)".into(),
                        },
                        answer: None,
                    },
                ],
                reason: String::new(),
            },
        ];
        for e in events {
            let back = CaseEvent::from_columns(e.kind(), &e.detail().to_string()).expect("decodes");
            assert_eq!(back, e);
        }
    }

    #[test]
    fn a_question_outcome_with_its_answer_reads_as_an_outcome() {
        let stored = serde_json::to_string(&QuestionOutcome {
            number: 2,
            outcome: Outcome::Answered,
            answer: Some("We hold 14.".into()),
        })
        .expect("json");
        let outcome: Outcome = serde_json::from_str(&stored).expect("outcome");
        assert_eq!(outcome, Outcome::Answered);
        let back: QuestionOutcome = serde_json::from_str(&stored).expect("back");
        assert_eq!(back.answer.as_deref(), Some("We hold 14."));
    }

    #[test]
    fn clock_events_keep_their_stored_shape() {
        // Rows written before the typed log: kind "clock", detail the
        // ClockEvent's own JSON.
        let e = CaseEvent::from_columns("clock", r#"{"kind":"received","date":"2026-11-27"}"#)
            .expect("older clock row");
        assert_eq!(
            e,
            CaseEvent::Clock(ClockEvent::Received {
                date: jiff::civil::date(2026, 11, 27)
            })
        );
        let opened = CaseEvent::from_columns(
            "opened",
            r#"{"raw_message_id":3,"kind":"foi","reasons":["x"],"notes":[]}"#,
        )
        .expect("older opened row");
        assert_eq!(opened.kind(), "opened");
    }

    #[test]
    fn actors_and_states_have_one_stored_form() {
        for a in [
            Actor::Foid,
            Actor::MailSystem,
            Actor::Officer("a@council.test".into()),
            Actor::Requester("b@public.test".into()),
        ] {
            assert_eq!(Actor::from_db(&a.to_db()), a);
        }
        assert_eq!(
            Actor::from_db("old@public.test"),
            Actor::Requester("old@public.test".into())
        );
        for s in [CaseState::Open, CaseState::Closed] {
            assert_eq!(s.as_str().parse::<CaseState>().ok(), Some(s));
        }
        assert_eq!(
            "quarantined".parse::<RawState>().ok(),
            Some(RawState::Quarantined)
        );
        assert_eq!(DraftState::Superseded.as_str(), "superseded");
    }
}
