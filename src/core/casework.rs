//! What an officer's commands do to a case: each command is checked
//! against the case as it stands and either planned (its events, state
//! changes, drafts, codes and mail) or refused with the reason, and the
//! officer gets one answer saying which. Pure: the case snapshot, the
//! commands, the key, the calendar and `now` come in; a [`Plan`] goes out.
//! Commands run in order on a working copy of the case, so `#assign` then
//! `#draft` in one mail see each other.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::approval::{self, ApprovalKey, CodeFor};
use super::breach_check::{Checked, CleanedAttachment, Finding};
use super::calendar::{Calendar, Region};
use super::case::{
    Actor, AttachmentMeta, CaseEvent, CaseSnapshot, CaseState, Closure, CodeId, Direction,
    Disposition, DraftAttachment, DraftSnapshot, DraftState, QuestionOutcome, RawId, StoredCode,
};
use super::clock::{self, CaseClock, ClockEvent, ClockState, Regime};
use super::commands::{self, Command, CommandLine, Extension};
use super::exemptions::{self, Statute};
use super::intake::Kind;
use super::letters::{
    self, long_date, Attachment, CaseSummary, CommandResult, PreviewFacts, Purpose, RequesterLetter,
};
use super::plan::{Effect, NewCode, NewDraft, Plan, Target};
use super::reply::{self, Letter, LetterFor};
use super::workflow::kind_label;

/// The council's side: who the officers are and the approval rules.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    pub council_name: &'a str,
    pub council_address: &'a str,
    pub team: &'a [String],
    /// Who may approve (the team when none are configured).
    pub approvers: &'a [String],
    pub manager: Option<&'a str>,
    /// The approver must not be the drafter.
    pub four_eyes: bool,
    pub code_ttl_hours: i64,
    pub key: &'a ApprovalKey,
    pub calendar: &'a Calendar,
    pub region: Region,
    pub tz: &'a TimeZone,
    pub now: Timestamp,
}

impl Settings<'_> {
    pub fn today(&self) -> Date {
        clock::date_of_receipt(self.now, self.tz)
    }

    pub fn is_officer(&self, address: &str) -> bool {
        let a = address;
        self.team.iter().any(|t| t.eq_ignore_ascii_case(a))
            || self.approvers.iter().any(|t| t.eq_ignore_ascii_case(a))
            || self.manager.is_some_and(|m| m.eq_ignore_ascii_case(a))
    }

    pub fn is_approver(&self, address: &str) -> bool {
        self.approvers
            .iter()
            .any(|t| t.eq_ignore_ascii_case(address))
    }
}

/// The officer's mail the commands came in.
#[derive(Debug, Clone)]
pub struct CommandMail<'a> {
    pub raw_id: RawId,
    pub message_id: &'a str,
    /// The mail's attachments, each with what the breach check found.
    pub attachments: &'a [Checked],
    /// For `#clean`: the pending draft's attachments cleaned (and checked
    /// again) by the adapter; empty otherwise.
    pub cleaned: &'a [CleanedAttachment],
    /// What vouched for the sender (the trust gate's evidence).
    pub evidence: &'a str,
    pub commands: &'a [CommandLine],
    /// For `#open`: what the adapter made of the held message it names
    /// (the new case's reference, or why nothing was opened).
    pub open: Option<Outcome>,
}

/// A presented code's hash that belongs to another case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignCode {
    pub code_sha256: String,
    pub reference: String,
}

/// A command's result: what was done, or why not.
pub type Outcome = Result<String, String>;

struct Work<'a> {
    case: Option<CaseSnapshot>,
    plan: Plan,
    actor: &'a str,
    mail: &'a CommandMail<'a>,
    s: &'a Settings<'a>,
    foreign: &'a [ForeignCode],
    status: Option<String>,
    help: bool,
}

/// Plans an authenticated officer's commands on a case (or on no case,
/// when none was found for the mail).
pub fn plan_commands(
    case: Option<&CaseSnapshot>,
    actor: &str,
    mail: &CommandMail<'_>,
    foreign: &[ForeignCode],
    s: &Settings<'_>,
) -> Plan {
    let target = match case {
        Some(c) => Target::Case(c.id),
        None => Target::NoCase,
    };
    let mut w = Work {
        case: case.cloned(),
        plan: Plan::new(target),
        actor,
        mail,
        s,
        foreign,
        status: None,
        help: false,
    };
    if w.case.is_some() {
        w.plan.event(
            w.officer(),
            CaseEvent::CommandsReceived {
                raw_message_id: mail.raw_id.0,
                commands: mail.commands.iter().map(CommandLine::shown).collect(),
                evidence: mail.evidence.to_string(),
            },
        );
        w.plan.push(Effect::LinkMessage {
            message_id: mail.message_id.to_string(),
            direction: Direction::In,
        });
    }
    let mut results = Vec::new();
    for c in mail.commands {
        let outcome = w.run(&c.command);
        if let (Err(reason), Some(_)) = (&outcome, &w.case) {
            w.plan.event(
                w.officer(),
                CaseEvent::CommandRefused {
                    command: c.shown(),
                    reason: reason.clone(),
                },
            );
        }
        results.push(CommandResult {
            line: c.shown(),
            done: outcome.is_ok(),
            text: match outcome {
                Ok(t) | Err(t) => t,
            },
        });
    }
    let summary = w.case.as_ref().map(|c| w.summary(c));
    let answer = letters::answer(
        actor,
        w.case.as_ref().map(|c| c.reference.as_str()),
        mail.message_id,
        &results,
        summary.as_ref(),
        w.status.as_deref(),
        w.help,
    );
    w.plan.queue(answer);
    w.plan.disposition = Some(Disposition::Processed(Kind::Command));
    w.plan
}

impl Work<'_> {
    fn officer(&self) -> Actor {
        Actor::Officer(self.actor.to_string())
    }

    fn today(&self) -> Date {
        self.s.today()
    }

    fn run(&mut self, command: &Command) -> Outcome {
        match command {
            Command::Help => {
                self.help = true;
                return Ok("the commands are listed below".into());
            }
            Command::Unknown { word } => {
                return Err(format!(
                    "#{word} is not a command foid knows; #help lists them"
                ))
            }
            Command::Malformed { word, problem } => return Err(format!("#{word} {problem}")),
            Command::Open { .. } => {
                return match (&self.case, &self.mail.open) {
                    (Some(c), _) => Err(format!(
                        "#open is for a held message; this mail is about case {}",
                        c.reference
                    )),
                    (None, Some(outcome)) => outcome.clone(),
                    (None, None) => Err(
                        "no held message named: reply to the held notice, or give its number (#open 123; `foid held` lists them)"
                            .into(),
                    ),
                }
            }
            _ => {}
        }
        let Some(case) = self.case.as_ref() else {
            return Err(
                "foid found no case for this mail: reply to a case email, or put the case reference in the subject"
                    .into(),
            );
        };
        if command.needs_approver() && !self.s.is_approver(self.actor) {
            return Err(format!(
                "only approvers may #{}; {} is not one ([officers] approvers)",
                command.word(),
                self.actor
            ));
        }
        let allowed_when_closed = matches!(
            command,
            Command::Note { .. } | Command::Status | Command::Reopen { .. }
        );
        if case.state == CaseState::Closed && !allowed_when_closed {
            return Err(format!(
                "case {} is closed; #reopen it first",
                case.reference
            ));
        }
        match command {
            Command::Draft { body } => self.draft(body),
            Command::Refuse { ground, reasons } => self.refuse(ground, reasons),
            Command::Approve {
                code,
                despite_findings,
            } => self.approve(code, despite_findings.as_deref()),
            Command::Clean => self.clean(),
            Command::Reject { reason } => self.reject(reason),
            Command::Clarify { text } => self.clarify(text),
            Command::Fee { pence, text } => self.fee(*pence, text),
            Command::Paid { date } => self.paid(*date),
            Command::Extend { extension, reason } => self.extend(*extension, reason),
            Command::SetRegime { regime, reason } => self.set_regime(*regime, reason),
            Command::Assign { to } => self.assign(to),
            Command::Note { text } => {
                self.event(CaseEvent::Note { text: text.clone() });
                Ok("note added".into())
            }
            Command::Close { reason } => self.close(reason),
            Command::Reopen { reason } => self.reopen(reason),
            Command::Status => {
                self.status = Some(self.status_text());
                Ok("the case's status is below".into())
            }
            Command::Help
            | Command::Unknown { .. }
            | Command::Malformed { .. }
            | Command::Open { .. } => Err("unreachable".into()),
        }
    }

    fn case(&self) -> Result<&CaseSnapshot, String> {
        self.case.as_ref().ok_or_else(|| "no case".to_string())
    }

    fn event(&mut self, event: CaseEvent) {
        if let Some(c) = self.case.as_mut() {
            c.events.push(super::case::EventRecord {
                at: self.s.now,
                actor: Actor::Officer(self.actor.to_string()),
                event: event.clone(),
            });
        }
        let actor = self.officer();
        self.plan.event(actor, event);
    }

    /// The clock of the working case as of today.
    fn clock(&self) -> Option<CaseClock> {
        let c = self.case.as_ref()?;
        Some(clock::case_clock(
            c.regime,
            self.s.region,
            &c.clock_events(),
            self.s.calendar,
            self.today(),
        ))
    }

    /// Records a clock event and the due date that follows from it.
    fn clock_event(&mut self, event: ClockEvent) -> Option<CaseClock> {
        self.event(CaseEvent::Clock(event));
        let clock = self.clock()?;
        self.plan.push(Effect::SetDue(clock.deadline()));
        if let Some(c) = self.case.as_mut() {
            c.due_on = clock.deadline();
        }
        Some(clock)
    }

    fn letter_for<'b>(&self, c: &'b CaseSnapshot) -> LetterFor<'b>
    where
        Self: 'b,
    {
        LetterFor {
            council_name: self.s.council_name,
            council_address: self.s.council_address,
            reference: &c.reference,
            regime: c.regime,
            requester_name: c.requester_name.as_deref(),
            questions: &c.questions,
        }
    }

    fn draft(&mut self, body: &str) -> Outcome {
        let c = self.case()?;
        let letter = reply::compose_draft(&self.letter_for(c), body).map_err(|problems| {
            format!(
                "the draft was not recorded:\n      - {}",
                problems.join("\n      - ")
            )
        })?;
        let attachments = self.mail_attachments();
        self.record_draft(letter, false, attachments)
    }

    fn refuse(&mut self, ground: &str, reasons: &str) -> Outcome {
        let c = self.case()?;
        let statute = Statute::of(c.regime);
        let ground = exemptions::refusal_ground(statute, ground)?;
        let letter = reply::compose_refusal(&self.letter_for(c), &ground, reasons);
        let attachments = self.mail_attachments();
        self.record_draft(letter, true, attachments)
    }

    /// The mail's attachments as a draft's, with their findings.
    fn mail_attachments(&self) -> Vec<DraftAttachment> {
        self.mail
            .attachments
            .iter()
            .map(|c| draft_attachment(&c.attachment, &c.findings))
            .collect()
    }

    /// `#clean`: the pending draft again, with cleaned attachments.
    fn clean(&mut self) -> Outcome {
        let c = self.case()?.clone();
        let Some(draft) = c.draft.clone().filter(|d| d.state == DraftState::Pending) else {
            return Err(
                "no draft is waiting for approval; #clean works on the pending draft".into(),
            );
        };
        if draft.attachments.is_empty() {
            return Err(format!(
                "draft {} has no attachments to clean",
                draft.version
            ));
        }
        let made_from: Vec<&str> = self
            .mail
            .cleaned
            .iter()
            .map(|a| a.original_sha256.as_str())
            .collect();
        let stored: Vec<&str> = draft
            .attachments
            .iter()
            .map(|a| a.meta.sha256.as_str())
            .collect();
        if made_from != stored {
            // The adapter made the copies from the draft as stored; they
            // must not land on any other draft.
            return Err("the cleaned copies were made from another draft; nothing was changed: send #clean again".into());
        }
        let mut report = Vec::new();
        for a in self.mail.cleaned {
            let name = &a.checked.attachment.filename;
            match &a.not_cleaned {
                Some(why) => report.push(format!("{name}: not cleaned: {why}")),
                None if a.removed.is_empty() => report.push(format!("{name}: nothing to remove")),
                None => report.push(format!("{name}: removed {}", a.removed.join("; "))),
            }
        }
        let attachments = self
            .mail
            .cleaned
            .iter()
            .map(|a| draft_attachment(&a.checked.attachment, &a.checked.findings))
            .collect();
        let letter = Letter {
            text: draft.letter.clone(),
            outcomes: draft.outcomes.clone(),
            notes: Vec::new(),
        };
        let recorded = self.record_draft(letter, draft.refusal, attachments)?;
        Ok(format!("{}\n      {recorded}", report.join("\n      ")))
    }

    /// Records a draft (superseding any earlier one) and sends each
    /// approver a preview with their own code.
    fn record_draft(
        &mut self,
        letter: Letter,
        refusal: bool,
        attachments: Vec<DraftAttachment>,
    ) -> Outcome {
        let c = self.case()?.clone();
        let approvers: Vec<String> = self
            .s
            .approvers
            .iter()
            .filter(|a| !(self.s.four_eyes && a.eq_ignore_ascii_case(self.actor)))
            .map(|a| a.to_ascii_lowercase())
            .collect();
        if approvers.is_empty() {
            return Err(if self.s.four_eyes {
                "the draft was not recorded: no approver other than you is configured, and four-eyes approval is on ([approval] four_eyes)".into()
            } else {
                "the draft was not recorded: no approvers are configured ([officers] approvers)"
                    .into()
            });
        }
        let metas: Vec<AttachmentMeta> = attachments.iter().map(|a| a.meta.clone()).collect();
        let subject = letters::requester_subject(&c.reference, &c.subject);
        let sha256 = reply::content_sha256(&letter.text, &subject, &c.reply_to, &metas);
        let version = c.draft.as_ref().map_or(1, |d| d.version + 1);
        if let Some(previous) = c.draft.as_ref().filter(|d| d.state == DraftState::Pending) {
            self.plan.push(Effect::SetDraftState {
                version: previous.version,
                state: DraftState::Superseded,
            });
        }
        self.plan.push(Effect::RecordDraft(NewDraft {
            version,
            created_by: self.actor.to_ascii_lowercase(),
            letter: letter.text.clone(),
            sha256: sha256.clone(),
            refusal,
            outcomes: letter.outcomes.clone(),
            attachments: attachments.clone(),
        }));
        let findings = draft_findings(&attachments);
        self.event(CaseEvent::DraftRecorded {
            version,
            sha256: sha256.clone(),
            refusal,
            attachments: metas.clone(),
            outcomes: letter.outcomes.clone(),
            findings: findings.clone(),
        });
        let draft = DraftSnapshot {
            version,
            state: DraftState::Pending,
            created_by: self.actor.to_ascii_lowercase(),
            created_at: self.s.now,
            letter: letter.text,
            sha256,
            refusal,
            outcomes: letter.outcomes,
            attachments,
        };
        let mut codes = Vec::new();
        for approver in &approvers {
            codes.push(self.send_preview(&c, &draft, approver, &letter.notes));
        }
        self.event(CaseEvent::PreviewSent {
            version,
            approvers: approvers.clone(),
        });
        if let Some(case) = self.case.as_mut() {
            case.draft = Some(draft.clone());
            case.codes.extend(codes);
        }
        let mut text = format!(
            "{} {version} recorded ({}{}); preview with approval code sent to {}",
            if refusal {
                "refusal notice, draft"
            } else {
                "draft"
            },
            outcome_summary(&draft.outcomes),
            attachment_summary(&metas),
            approvers.join(", ")
        );
        for n in &letter.notes {
            text.push_str(&format!("\n      note: {n}"));
        }
        if !findings.is_empty() {
            text.push_str(&format!(
                "\n      BLOCKED: the attachment check found {}; approval needs new files (#draft), cleaned copies (#clean), or #approve CODE --despite-findings REASON:{}",
                things(findings.len()),
                listed(&findings)
            ));
        }
        Ok(text)
    }

    /// Issues a code for one approver and queues their preview.
    fn send_preview(
        &mut self,
        c: &CaseSnapshot,
        draft: &DraftSnapshot,
        approver: &str,
        notes: &[String],
    ) -> StoredCode {
        let issued_at = self.s.now;
        let expires_at = issued_at
            .checked_add(self.s.code_ttl_hours.hours())
            .unwrap_or(issued_at);
        let code = approval::code(
            self.s.key,
            &CodeFor {
                case: c.id,
                draft_version: draft.version,
                content_sha256: &draft.sha256,
                approver,
                issued_at: issued_at.as_second(),
            },
        );
        let canonical = approval::normalise(&code).unwrap_or_default();
        let code_sha256 = approval::code_hash(&canonical);
        self.plan.push(Effect::IssueCode(NewCode {
            draft_version: draft.version,
            approver: approver.to_string(),
            code_sha256: code_sha256.clone(),
            issued_at,
            expires_at,
        }));
        let subject = letters::requester_subject(&c.reference, &c.subject);
        let attachments: Vec<(AttachmentMeta, Vec<u8>)> = draft
            .attachments
            .iter()
            .map(|a| (a.meta.clone(), a.bytes.clone()))
            .collect();
        let expires = self
            .s
            .tz
            .to_datetime(expires_at)
            .strftime("%A %-d %B %Y %H:%M")
            .to_string();
        let clock = self
            .clock()
            .map(|k| on_time_line(&k, self.today()))
            .unwrap_or_default();
        let mail = letters::preview(&PreviewFacts {
            reference: &c.reference,
            version: draft.version,
            refusal: draft.refusal,
            drafter: &draft.created_by,
            approver,
            code: &code,
            expires: &expires,
            to: &c.reply_to,
            subject: &subject,
            received_on: c.received_on,
            in_reply_to: &c.request_message_id,
            attachments: &attachments,
            outcomes: &outcome_summary(&draft.outcomes),
            clock: &clock,
            sha256: &draft.sha256,
            notes,
            findings: &draft_findings(&draft.attachments),
            letter: &draft.letter,
        });
        self.plan.queue(mail);
        StoredCode {
            id: CodeId(0),
            case: c.id,
            draft_version: draft.version,
            approver: approver.to_string(),
            code_sha256,
            issued_at,
            expires_at,
            used_at: None,
        }
    }

    fn approve(&mut self, presented: &str, despite_findings: Option<&str>) -> Outcome {
        let c = self.case()?.clone();
        let Some(canonical) = approval::normalise(presented) else {
            // Not echoed: a live code with a typo in it is still a secret.
            return Err(
                "that is not an approval code: a code is 20 letters and digits in four groups, as printed in your preview"
                    .into(),
            );
        };
        let hash = approval::code_hash(&canonical);
        let Some(row) = c
            .codes
            .iter()
            .find(|r| approval::hashes_equal(&r.code_sha256, &hash))
            .cloned()
        else {
            if let Some(f) = self
                .foreign
                .iter()
                .find(|f| approval::hashes_equal(&f.code_sha256, &hash))
            {
                return Err(format!(
                    "this code belongs to case {}, not to {}; nothing was approved",
                    f.reference, c.reference
                ));
            }
            return Err(format!(
                "this code is not one foid issued for case {}: check that it was copied whole",
                c.reference
            ));
        };
        if !row.approver.eq_ignore_ascii_case(self.actor) {
            return Err(format!(
                "this code was issued to {}, not to you: approve with the code in your own preview",
                row.approver
            ));
        }
        let Some(draft) = c.draft.clone() else {
            return Err("there is no draft to approve".into());
        };
        if row.draft_version != draft.version {
            return Err(format!(
                "this code is for draft {}, which draft {} replaced: use the code in the preview of draft {}",
                row.draft_version, draft.version, draft.version
            ));
        }
        if row.used_at.is_some() || draft.state == DraftState::Approved {
            return Err(format!(
                "draft {} was already approved; nothing more is sent",
                draft.version
            ));
        }
        if draft.state != DraftState::Pending {
            return Err(format!(
                "draft {} was {}; it can no longer be approved",
                draft.version,
                draft.state.as_str()
            ));
        }
        if self.s.now > row.expires_at {
            return Err(format!(
                "this code expired on {}; the drafter can send a new preview with #draft",
                self.s
                    .tz
                    .to_datetime(row.expires_at)
                    .strftime("%-d %B %Y %H:%M")
            ));
        }
        if self.s.four_eyes && draft.created_by.eq_ignore_ascii_case(self.actor) {
            return Err(
                "you drafted this reply; with four-eyes approval another approver must approve it"
                    .into(),
            );
        }
        // The stored draft must still be exactly what the code was issued for.
        let subject = letters::requester_subject(&c.reference, &c.subject);
        let metas: Vec<AttachmentMeta> = draft.attachments.iter().map(|a| a.meta.clone()).collect();
        let sha_now = reply::content_sha256(&draft.letter, &subject, &c.reply_to, &metas);
        let bytes_intact = draft
            .attachments
            .iter()
            .all(|a| sha256_hex(&a.bytes) == a.meta.sha256);
        let genuine = approval::verify(
            self.s.key,
            &CodeFor {
                case: c.id,
                draft_version: draft.version,
                content_sha256: &sha_now,
                approver: &row.approver,
                issued_at: row.issued_at.as_second(),
            },
            &canonical,
        );
        if !(genuine && bytes_intact && sha_now == draft.sha256) {
            return Err(
                "the code does not match the draft as stored: nothing was approved; ask for a new #draft"
                    .into(),
            );
        }

        // The breach check: nothing found, or overridden with a reason.
        let unchecked: Vec<&str> = draft
            .attachments
            .iter()
            .filter(|a| a.findings.is_none())
            .map(|a| a.meta.filename.as_str())
            .collect();
        if !unchecked.is_empty() {
            return Err(format!(
                "draft {} was recorded before attachments were checked, so {} never went through the check; nothing was approved: send a new #draft",
                draft.version,
                unchecked.join(", ")
            ));
        }
        let findings = draft_findings(&draft.attachments);
        match (findings.is_empty(), despite_findings) {
            (true, _) => {}
            (false, None) => {
                return Err(format!(
                    "the attachment check found {} in draft {} (listed in your preview); nothing was approved. Ask for new files or a #clean copy, or, if each one is meant to go out, approve with: #approve CODE --despite-findings REASON{}",
                    things(findings.len()),
                    draft.version,
                    listed(&findings)
                ));
            }
            (false, Some(reason)) => self.event(CaseEvent::FindingsOverridden {
                version: draft.version,
                reason: reason.to_string(),
                findings: findings.iter().map(Finding::line).collect(),
            }),
        }

        // Approved: used once, in the same plan as the reply it sends.
        self.plan.push(Effect::UseCode(row.id));
        self.plan.push(Effect::SetDraftState {
            version: draft.version,
            state: DraftState::Approved,
        });
        self.event(CaseEvent::DraftApproved {
            version: draft.version,
            sha256: draft.sha256.clone(),
        });
        let mut reply = letters::OutgoingMail::new(
            Purpose::Reply,
            vec![c.reply_to.clone()],
            subject,
            draft.letter.clone(),
            letters::AutoSubmitted::No,
        )
        .replying_to(&c.request_message_id);
        reply.attachments = draft
            .attachments
            .iter()
            .map(|a| Attachment {
                filename: a.meta.filename.clone(),
                content_type: a.meta.content_type.clone(),
                bytes: a.bytes.clone(),
            })
            .collect();
        self.plan.queue(reply);

        let today = self.today();
        let deadline = self.clock().and_then(|k| k.deadline());
        let on_time = deadline.is_none_or(|d| today <= d);
        self.plan.push(Effect::SetOutcomes(draft.outcomes.clone()));
        self.plan.push(Effect::SetState {
            state: CaseState::Closed,
            closed_on: Some(today),
            closure: Some(Closure::Answered),
        });
        self.event(CaseEvent::Closed {
            closure: Closure::Answered,
            responded_on: Some(today),
            on_time: Some(on_time),
            outcomes: draft.outcomes.clone(),
            reason: String::new(),
        });
        let timing = match deadline {
            Some(d) if on_time => format!("on time (due {})", long_date(d)),
            Some(d) => format!("LATE (it was due {})", long_date(d)),
            None => "with the clock stopped".to_string(),
        };
        if !draft.created_by.eq_ignore_ascii_case(self.actor) {
            self.plan.queue(letters::officer_notice(
                vec![draft.created_by.clone()],
                &c.reference,
                "Your draft was approved and sent",
                format!(
                    "{} approved draft {} of the reply on case {}. It has been sent to {} and the case is closed, {timing}.\n",
                    self.actor, draft.version, c.reference, c.reply_to
                ),
            ));
        }
        if let Some(case) = self.case.as_mut() {
            case.state = CaseState::Closed;
            if let Some(d) = case.draft.as_mut() {
                d.state = DraftState::Approved;
            }
            for code in case.codes.iter_mut().filter(|k| k.id == row.id) {
                code.used_at = Some(self.s.now);
            }
        }
        Ok(format!(
            "draft {} approved; the reply is queued to {}; case closed, {timing}",
            draft.version, c.reply_to
        ))
    }

    fn reject(&mut self, reason: &str) -> Outcome {
        let c = self.case()?.clone();
        let Some(draft) = c.draft.clone().filter(|d| d.state == DraftState::Pending) else {
            return Err("no draft is waiting for approval".into());
        };
        self.plan.push(Effect::SetDraftState {
            version: draft.version,
            state: DraftState::Rejected,
        });
        self.event(CaseEvent::DraftRejected {
            version: draft.version,
            reason: reason.to_string(),
        });
        self.plan.queue(letters::officer_notice(
            vec![draft.created_by.clone()],
            &c.reference,
            "Your draft was sent back",
            format!(
                "{} sent back draft {} of the reply on case {}:\n\n{}\n\nSend a new #draft when it is ready.\n",
                self.actor, draft.version, c.reference, reason
            ),
        ));
        if let Some(d) = self.case.as_mut().and_then(|k| k.draft.as_mut()) {
            d.state = DraftState::Rejected;
        }
        Ok(format!(
            "draft {} sent back to {}",
            draft.version, draft.created_by
        ))
    }

    fn requester_letter(
        &mut self,
        purpose: Purpose,
        kind: &str,
        text: &str,
        amount: Option<&str>,
        until: Option<Date>,
    ) -> Result<(), String> {
        let c = self.case()?.clone();
        let mail = letters::to_requester(&RequesterLetter {
            purpose,
            kind,
            reference: &c.reference,
            regime: c.regime,
            requester_name: c.requester_name.as_deref(),
            to: &c.reply_to,
            subject: &c.subject,
            request_message_id: &c.request_message_id,
            received_on: c.received_on,
            council_name: self.s.council_name,
            text,
            amount,
            until,
        });
        self.plan.queue(mail);
        Ok(())
    }

    fn clarify(&mut self, text: &str) -> Outcome {
        if let Some(ClockState::AwaitingClarification { since }) = self.clock().map(|k| k.state) {
            return Err(format!(
                "a clarification has been awaited since {}; a second request would not restart anything",
                long_date(since)
            ));
        }
        self.requester_letter(Purpose::Clarification, "clarification", text, None, None)?;
        let today = self.today();
        self.clock_event(ClockEvent::ClarificationSought { date: today });
        let to = self.case()?.reply_to.clone();
        Ok(format!(
            "clarification request sent to {to}; the clock is stopped until the answer arrives on the case"
        ))
    }

    fn fee(&mut self, pence: u64, text: &str) -> Outcome {
        let c = self.case()?;
        let clock = self.clock().ok_or("no clock")?;
        if matches!(
            c.regime,
            Regime::Eir
                | Regime::EirExtended
                | Regime::Review
                | Regime::ReviewExtended
                | Regime::FoisaReview
        ) {
            return Err(format!(
                "the {} clock does not stop for a fee, so foid does not send fees notices for it",
                c.regime
            ));
        }
        if let ClockState::AwaitingFee { since, .. } = clock.state {
            return Err(format!(
                "a fees notice given on {} is still unpaid",
                long_date(since)
            ));
        }
        let amount = commands::format_pence(pence);
        self.requester_letter(
            Purpose::FeesNotice,
            "fees_notice",
            text,
            Some(&amount),
            None,
        )?;
        let today = self.today();
        let clock = self.clock_event(ClockEvent::FeesNoticeGiven { date: today });
        let lapses = match clock.map(|k| k.state) {
            Some(ClockState::AwaitingFee {
                lapses_on: Some(d), ..
            }) => format!("; unpaid, the request lapses on {}", long_date(d)),
            _ => String::new(),
        };
        Ok(format!(
            "fees notice for {amount} sent; the clock is stopped until #paid{lapses}"
        ))
    }

    fn paid(&mut self, date: Option<Date>) -> Outcome {
        let today = self.today();
        let date = date.unwrap_or(today);
        let Some(ClockState::AwaitingFee { since, .. }) = self.clock().map(|k| k.state) else {
            return Err("no fees notice is awaiting payment".into());
        };
        if date < since || date > today {
            return Err(format!(
                "the payment date must be between the fees notice ({}) and today",
                long_date(since)
            ));
        }
        let clock = self.clock_event(ClockEvent::FeeReceived { date });
        Ok(format!(
            "fee recorded as received on {}; the clock runs again: {}",
            long_date(date),
            clock.map(|k| clock_line(&k)).unwrap_or_default()
        ))
    }

    fn extend(&mut self, extension: Extension, reason: &str) -> Outcome {
        let before = self.clock().ok_or("no clock")?;
        let (to, kind) = match extension {
            Extension::PublicInterest { .. } => (Regime::Pit, "extension_pit"),
            Extension::Eir => (Regime::EirExtended, "extension_eir"),
            Extension::Sar => (Regime::SarExtended, "extension_sar"),
            Extension::Review => (Regime::ReviewExtended, "extension_review"),
        };
        if before.regime == to {
            return Err(format!("the case is already extended ({to})"));
        }
        if before.regime.extension() != Some(to) {
            return Err(format!(
                "this case runs under {}; that extension is for {} cases",
                before.regime,
                match to {
                    Regime::Pit => "FOI",
                    Regime::EirExtended => "EIR",
                    Regime::SarExtended => "subject access",
                    _ => "internal review",
                }
            ));
        }
        let today = self.today();
        if let Extension::PublicInterest { until } = extension {
            if until <= today {
                return Err("the date you expect to answer by must be after today".into());
            }
        }
        let late = before.due.is_some_and(|d| today > d);
        let after = self
            .clock_event(ClockEvent::Extended { date: today, to })
            .ok_or("no clock")?;
        let (until, mut text) = match extension {
            Extension::PublicInterest { until } => {
                let mut t = format!(
                    "public interest extension recorded; notice sent with the expected date {}",
                    long_date(until)
                );
                if let Some(target) = after.target.filter(|t| until > *t) {
                    t.push_str(&format!(
                        "; note: the ICO expects no more than 20 further working days (by {}) except in exceptional cases",
                        long_date(target)
                    ));
                }
                (Some(until), t)
            }
            _ => (
                after.deadline(),
                format!("extension recorded; notice sent; {}", clock_line(&after)),
            ),
        };
        if late {
            text.push_str(&format!(
                "; note: the notice was due by {}, so it is late",
                before.due.map(long_date).unwrap_or_default()
            ));
        }
        self.requester_letter(Purpose::ExtensionNotice, kind, reason, None, until)?;
        Ok(text)
    }

    fn set_regime(&mut self, regime: Regime, reason: &str) -> Outcome {
        let c = self.case()?.clone();
        if c.regime == regime {
            return Err(format!("the case already runs under {regime}"));
        }
        self.plan.push(Effect::SetRegime(regime));
        self.event(CaseEvent::RegimeChanged {
            from: c.regime,
            to: regime,
            reason: reason.to_string(),
        });
        if let Some(case) = self.case.as_mut() {
            case.regime = regime;
        }
        let clock = self.clock().ok_or("no clock")?;
        self.plan.push(Effect::SetDue(clock.deadline()));
        Ok(format!(
            "regime changed from {} to {regime}; {}",
            c.regime,
            clock_line(&clock)
        ))
    }

    fn assign(&mut self, to: &str) -> Outcome {
        if !self.s.is_officer(to) {
            return Err(format!("{to} is not a configured officer"));
        }
        let c = self.case()?.clone();
        self.plan.push(Effect::SetAssignee(Some(to.to_string())));
        self.event(CaseEvent::Assigned { to: to.to_string() });
        if !to.eq_ignore_ascii_case(self.actor) {
            let clock = self.clock().map(|k| clock_line(&k)).unwrap_or_default();
            self.plan.queue(letters::officer_notice(
                vec![to.to_string()],
                &c.reference,
                "Assigned to you",
                format!(
                    "{} assigned case {} to you: {} from {}, received {}.\nClock: {clock}\n\nReply to this email with #status for the questions and the history.\n",
                    self.actor,
                    c.reference,
                    kind_label(c.regime),
                    letters::greeting_name(c.requester_name.as_deref()),
                    long_date(c.received_on)
                ),
            ));
        }
        if let Some(case) = self.case.as_mut() {
            case.assigned_to = Some(to.to_string());
        }
        Ok(format!("case assigned to {to}"))
    }

    fn close(&mut self, reason: &str) -> Outcome {
        let c = self.case()?.clone();
        if let Some(d) = c.draft.as_ref().filter(|d| d.state == DraftState::Pending) {
            self.plan.push(Effect::SetDraftState {
                version: d.version,
                state: DraftState::Superseded,
            });
        }
        let today = self.today();
        self.plan.push(Effect::SetState {
            state: CaseState::Closed,
            closed_on: Some(today),
            closure: Some(Closure::ClosedByOfficer),
        });
        self.event(CaseEvent::Closed {
            closure: Closure::ClosedByOfficer,
            responded_on: None,
            on_time: None,
            outcomes: vec![],
            reason: reason.to_string(),
        });
        if let Some(case) = self.case.as_mut() {
            case.state = CaseState::Closed;
        }
        Ok("case closed without a reply".into())
    }

    fn reopen(&mut self, reason: &str) -> Outcome {
        let c = self.case()?;
        if c.state == CaseState::Open {
            return Err("the case is open".into());
        }
        self.plan.push(Effect::SetState {
            state: CaseState::Open,
            closed_on: None,
            closure: None,
        });
        self.event(CaseEvent::Reopened {
            reason: reason.to_string(),
        });
        if let Some(case) = self.case.as_mut() {
            case.state = CaseState::Open;
        }
        Ok("case reopened".into())
    }

    fn summary(&self, c: &CaseSnapshot) -> CaseSummary {
        CaseSummary {
            state: c.state.as_str().to_string(),
            kind_label: kind_label(c.regime).to_string(),
            requester: format!(
                "{} <{}>",
                letters::greeting_name(c.requester_name.as_deref()),
                c.requester_address
            ),
            received_on_long: long_date(c.received_on),
            clock: if c.state == CaseState::Closed {
                "stopped: the case is closed".into()
            } else {
                self.clock().map(|k| clock_line(&k)).unwrap_or_default()
            },
            assigned_to: c.assigned_to.clone(),
            draft: c.draft.as_ref().map(|d| {
                format!(
                    "{} {} by {}, {}",
                    if d.refusal {
                        "refusal notice, draft"
                    } else {
                        "draft"
                    },
                    d.version,
                    d.created_by,
                    match (d.state, draft_findings(&d.attachments).len()) {
                        (DraftState::Pending, 0) => "waiting for approval".to_string(),
                        (DraftState::Pending, n) => format!(
                            "blocked by {n} finding{} of the attachment check (#clean, a new #draft, or #approve CODE --despite-findings REASON)",
                            if n == 1 { "" } else { "s" }
                        ),
                        (DraftState::Approved, _) => "approved and sent".into(),
                        (DraftState::Rejected, _) => "sent back".into(),
                        (DraftState::Superseded, _) => "superseded".into(),
                    }
                )
            }),
        }
    }

    fn status_text(&self) -> String {
        let Some(c) = self.case.as_ref() else {
            return String::new();
        };
        let mut out = String::new();
        out.push_str(&format!(
            "Subject:   {}\nRegime:    {}\nReply to:  {}\n",
            c.subject, c.regime, c.reply_to
        ));
        if let Some(k) = self.clock() {
            out.push_str("\nClock:\n");
            for line in k.explain().lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        out.push_str("\nQuestions:\n");
        if c.questions.is_empty() {
            out.push_str("  (none split out; the request is quoted in the case email)\n");
        }
        for q in &c.questions {
            out.push_str(&format!("  {}. {}\n", q.number, q.text));
        }
        let flags: Vec<String> = c
            .events
            .iter()
            .filter_map(|e| match &e.event {
                CaseEvent::Flagged { flag } => Some(flag.summary()),
                _ => None,
            })
            .collect();
        if !flags.is_empty() {
            out.push_str("\nFlags (advice; officers decide):\n");
            for f in flags {
                out.push_str(&format!("  - {f}\n"));
            }
        }
        out.push_str("\nHistory (latest last):\n");
        let skip = c.events.len().saturating_sub(20);
        for e in c.events.iter().skip(skip) {
            let when = self.s.tz.to_datetime(e.at).strftime("%Y-%m-%d %H:%M");
            out.push_str(&format!("  {when}  {:<22} {}\n", e.event.kind(), e.actor));
        }
        out
    }
}

fn draft_attachment(a: &Attachment, findings: &[Finding]) -> DraftAttachment {
    DraftAttachment {
        meta: AttachmentMeta {
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.bytes.len() as u64,
            sha256: sha256_hex(&a.bytes),
        },
        bytes: a.bytes.clone(),
        findings: Some(findings.to_vec()),
    }
}

/// "1 thing", "3 things".
fn things(n: usize) -> String {
    format!("{n} thing{}", if n == 1 { "" } else { "s" })
}

/// Findings as indented lines of an answer.
fn listed(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("\n      - {}", f.line()))
        .collect()
}

/// Every finding of a draft's attachments.
fn draft_findings(attachments: &[DraftAttachment]) -> Vec<Finding> {
    attachments
        .iter()
        .flat_map(|a| a.findings.iter().flatten().cloned())
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// "due Tuesday 22 December 2026, 14 working days left".
pub fn clock_line(k: &CaseClock) -> String {
    match k.state {
        ClockState::AwaitingClarification { since } => {
            return format!("stopped since {}: awaiting clarification", long_date(since))
        }
        ClockState::AwaitingFee { since, .. } => {
            return format!("stopped since {}: awaiting the fee", long_date(since))
        }
        ClockState::AwaitingId { since } => {
            return format!(
                "stopped since {}: awaiting identity evidence",
                long_date(since)
            )
        }
        ClockState::Lapsed { on } => {
            return format!("lapsed on {}: the fee was not paid", long_date(on))
        }
        ClockState::NotStarted => return "not started".into(),
        ClockState::Running => {}
    }
    let Some(d) = k.deadline() else {
        return "no due date".into();
    };
    let what = if k.regime.is_target() {
        "target"
    } else {
        "due"
    };
    match k.working_days_left {
        Some(n) if n < 0 => format!("{what} {}, overdue by {} working day(s)", long_date(d), -n),
        Some(0) => format!("{what} {}, today or the next working day", long_date(d)),
        Some(n) => format!("{what} {}, {n} working day(s) left", long_date(d)),
        None => format!("{what} {}", long_date(d)),
    }
}

/// For a preview: whether sending today would be on time.
fn on_time_line(k: &CaseClock, today: Date) -> String {
    let line = clock_line(k);
    match k.deadline() {
        Some(d) if today <= d => format!("{line}; sent today, the reply is on time"),
        Some(_) => format!("{line}; the reply is already late"),
        None => line,
    }
}

/// "1 answered, 1 not held, 1 exempt s43(2)".
pub fn outcome_summary(outcomes: &[QuestionOutcome]) -> String {
    if outcomes.is_empty() {
        return "no questions".into();
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for o in outcomes {
        let label = o.outcome.label();
        match counts.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => counts.push((label, 1)),
        }
    }
    counts
        .iter()
        .map(|(l, n)| format!("{n} {l}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn attachment_summary(metas: &[AttachmentMeta]) -> String {
    match metas.len() {
        0 => String::new(),
        1 => "; 1 attachment".into(),
        n => format!("; {n} attachments"),
    }
}

#[cfg(test)]
#[path = "casework_tests.rs"]
mod tests;
