//! Commands planned on a case held in memory: each plan is applied to the
//! snapshot the way the store would, so a test can run a whole exchange
//! (draft, preview, approve) and every refusal along the way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::*;
use crate::core::breach_check::{self, clean, Checked, CleanedAttachment, Policy};
use crate::core::case::{CaseId, EventRecord};
use crate::core::letters::OutgoingMail;
use crate::core::questions::Question;

const DRAFTER: &str = "officer1@council.test";
const APPROVER: &str = "officer2@council.test";
const SECOND_APPROVER: &str = "manager@council.test";
const CLERK: &str = "clerk@council.test";

struct Bed {
    key: ApprovalKey,
    calendar: Calendar,
    tz: TimeZone,
    team: Vec<String>,
    approvers: Vec<String>,
    now: Timestamp,
}

impl Bed {
    fn new() -> Bed {
        Bed {
            key: ApprovalKey::new(vec![7; 32]).unwrap(),
            calendar: Calendar::shipped(),
            tz: TimeZone::get("Europe/London").unwrap(),
            team: vec![DRAFTER.into(), APPROVER.into(), CLERK.into()],
            approvers: vec![DRAFTER.into(), APPROVER.into(), SECOND_APPROVER.into()],
            // Wednesday 2 December 2026, 10:00 in London.
            now: "2026-12-02T10:00:00Z".parse().unwrap(),
        }
    }

    fn settings(&self) -> Settings<'_> {
        Settings {
            council_name: "Example Borough Council",
            council_address: "foi@council.test",
            team: &self.team,
            approvers: &self.approvers,
            manager: Some(SECOND_APPROVER),
            four_eyes: true,
            code_ttl_hours: 72,
            key: &self.key,
            calendar: &self.calendar,
            region: Region::EnglandAndWales,
            tz: &self.tz,
            now: self.now,
        }
    }

    /// Plans `text` from `actor` on `case` and applies it to the case.
    fn run(&self, case: &mut CaseSnapshot, actor: &str, text: &str) -> Plan {
        self.run_with(case, actor, text, &[])
    }

    fn run_with(
        &self,
        case: &mut CaseSnapshot,
        actor: &str,
        text: &str,
        attachments: &[Attachment],
    ) -> Plan {
        let commands = commands::parse(text);
        // The check and the cleaning are pure, so the bed runs them as
        // the daemon's adapter does.
        let policy = Policy::default();
        let checked: Vec<Checked> = attachments
            .iter()
            .map(|a| Checked {
                attachment: a.clone(),
                findings: breach_check::inspect(&a.filename, &a.bytes, &policy),
            })
            .collect();
        let cleaned: Vec<CleanedAttachment> = match &case.draft {
            Some(d) if commands.iter().any(|l| l.command == Command::Clean) => d
                .attachments
                .iter()
                .map(|a| {
                    let c = clean::clean(&a.meta.filename, &a.bytes, &policy).expect("cleanable");
                    CleanedAttachment {
                        original_sha256: a.meta.sha256.clone(),
                        checked: Checked {
                            attachment: Attachment {
                                filename: a.meta.filename.clone(),
                                content_type: a.meta.content_type.clone(),
                                bytes: c.bytes.clone(),
                            },
                            findings: breach_check::inspect(&a.meta.filename, &c.bytes, &policy),
                        },
                        removed: c.removed,
                        not_cleaned: None,
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        let mail = CommandMail {
            raw_id: RawId(1),
            message_id: "<cmd@council.test>",
            attachments: &checked,
            cleaned: &cleaned,
            evidence: "test",
            commands: &commands,
            open: None,
        };
        let plan = plan_commands(Some(case), actor, &mail, &[], &self.settings());
        apply(case, &plan, self.now);
        plan
    }
}

fn case() -> CaseSnapshot {
    let received = date(2026, 11, 16);
    CaseSnapshot {
        id: CaseId(42),
        reference: "FOI-2026-00042".into(),
        regime: Regime::Foi,
        kind: Kind::Foi,
        state: CaseState::Open,
        requester_name: Some("Jo Bloggs".into()),
        requester_address: "jo@public.test".into(),
        reply_to: "jo@public.test".into(),
        subject: "Pothole claims".into(),
        received_on: received,
        due_on: Some(date(2026, 12, 15)),
        request_message_id: "<req@public.test>".into(),
        request_text: "1. How many claims?\n2. How much was paid?".into(),
        questions: vec![
            Question {
                number: 1,
                text: "How many claims were made in 2025?".into(),
                options: vec![],
                parts: vec![],
            },
            Question {
                number: 2,
                text: "How much was paid out?".into(),
                options: vec![],
                parts: vec![],
            },
        ],
        assigned_to: None,
        events: vec![EventRecord {
            at: "2026-11-16T09:00:00Z".parse().unwrap(),
            actor: Actor::Foid,
            event: CaseEvent::Clock(ClockEvent::Received { date: received }),
        }],
        draft: None,
        codes: vec![],
    }
}

/// What the store does with a plan, on the snapshot.
fn apply(case: &mut CaseSnapshot, plan: &Plan, now: Timestamp) {
    for effect in &plan.effects {
        match effect {
            Effect::Event {
                on: None,
                actor,
                event,
            } => case.events.push(EventRecord {
                at: now,
                actor: actor.clone(),
                event: event.clone(),
            }),
            Effect::Event { .. }
            | Effect::LinkMessage { .. }
            | Effect::Queue(_)
            | Effect::ReleaseHeld { .. }
            | Effect::RaiseFlag(_) => {}
            Effect::SetState { state, .. } => case.state = *state,
            Effect::SetRegime(r) => case.regime = *r,
            Effect::SetDue(d) => case.due_on = *d,
            Effect::SetAssignee(a) => case.assigned_to = a.clone(),
            Effect::SetOutcomes(_) => {}
            Effect::RecordDraft(d) => {
                case.draft = Some(DraftSnapshot {
                    version: d.version,
                    state: DraftState::Pending,
                    created_by: d.created_by.clone(),
                    created_at: now,
                    letter: d.letter.clone(),
                    sha256: d.sha256.clone(),
                    refusal: d.refusal,
                    outcomes: d.outcomes.clone(),
                    attachments: d.attachments.clone(),
                });
                case.codes.clear();
            }
            Effect::SetDraftState { version, state } => {
                if let Some(d) = case.draft.as_mut().filter(|d| d.version == *version) {
                    d.state = *state;
                }
            }
            Effect::IssueCode(c) => {
                let id = CodeId(case.codes.len() as i64 + 1);
                case.codes.push(StoredCode {
                    id,
                    case: case.id,
                    draft_version: c.draft_version,
                    approver: c.approver.clone(),
                    code_sha256: c.code_sha256.clone(),
                    issued_at: c.issued_at,
                    expires_at: c.expires_at,
                    used_at: None,
                });
            }
            Effect::UseCode(id) => {
                for c in case.codes.iter_mut().filter(|c| c.id == *id) {
                    c.used_at = Some(now);
                }
            }
        }
    }
}

fn queued(plan: &Plan, purpose: Purpose) -> Vec<&OutgoingMail> {
    plan.mail().filter(|m| m.purpose == purpose).collect()
}

/// The officer's answer to their commands.
fn answer(plan: &Plan) -> &str {
    let answers = queued(plan, Purpose::Answer);
    assert_eq!(answers.len(), 1, "one answer per command mail");
    &answers[0].body
}

/// The approval code printed in `approver`'s preview.
fn code_for(plan: &Plan, approver: &str) -> String {
    queued(plan, Purpose::Preview)
        .into_iter()
        .find(|m| m.to == vec![approver.to_string()])
        .and_then(|m| m.redact.first().cloned())
        .unwrap_or_else(|| panic!("no preview to {approver}"))
}

fn refused(plan: &Plan) -> Vec<String> {
    plan.events()
        .filter_map(|e| match e {
            CaseEvent::CommandRefused { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

const DRAFT: &str = "#draft\n1. There were 14 claims.\n2. #not-held\n";

#[test]
fn a_draft_goes_to_every_approver_but_its_drafter() {
    let bed = Bed::new();
    let mut c = case();
    let plan = bed.run(&mut c, DRAFTER, DRAFT);
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    let previews = queued(&plan, Purpose::Preview);
    let to: Vec<&str> = previews.iter().map(|m| m.to[0].as_str()).collect();
    assert_eq!(to, vec![APPROVER, SECOND_APPROVER]);
    let d = c.draft.as_ref().unwrap();
    assert_eq!((d.version, d.state), (1, DraftState::Pending));
    assert!(d.letter.contains("There were 14 claims"), "{}", d.letter);
    assert!(d.letter.contains("How much was paid out?"), "{}", d.letter);
    assert_eq!(c.codes.len(), 2);
    // The preview shows the exact letter and its code; the code is only in
    // the preview, and is redacted from its kept copy.
    let code = code_for(&plan, APPROVER);
    assert!(previews[0].body.contains(&code));
    assert!(previews[0].body.contains("There were 14 claims"));
    assert!(!answer(&plan).contains(&code), "the drafter saw a code");
    assert_ne!(code, code_for(&plan, SECOND_APPROVER));
    // The codes are stored only as hashes.
    for stored in &c.codes {
        assert!(!stored.code_sha256.contains(&code));
    }
}

#[test]
fn the_right_approver_with_the_right_code_sends_the_reply_and_closes_the_case() {
    let bed = Bed::new();
    let mut c = case();
    let attachment = claims_csv();
    let drafted = bed.run_with(&mut c, DRAFTER, DRAFT, std::slice::from_ref(&attachment));
    let code = code_for(&drafted, APPROVER);
    // Codes survive the ways people retype them.
    let retyped = code.to_ascii_lowercase().replace('-', " ");
    let plan = bed.run(&mut c, APPROVER, &format!("#approve {retyped}"));
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    let replies = queued(&plan, Purpose::Reply);
    assert_eq!(replies.len(), 1);
    let reply = replies[0];
    assert_eq!(reply.to, vec!["jo@public.test"]);
    assert_eq!(reply.in_reply_to.as_deref(), Some("<req@public.test>"));
    assert_eq!(reply.body, c.draft.as_ref().unwrap().letter);
    assert_eq!(reply.attachments, vec![attachment]);
    assert_eq!(reply.auto_submitted, letters::AutoSubmitted::No);
    assert_eq!(c.state, CaseState::Closed);
    assert_eq!(c.draft.as_ref().unwrap().state, DraftState::Approved);
    assert!(c.codes.iter().any(|k| k.used_at.is_some()));
    let closed = plan
        .events()
        .find_map(|e| match e {
            CaseEvent::Closed {
                on_time, outcomes, ..
            } => Some((*on_time, outcomes.clone())),
            _ => None,
        })
        .expect("closed");
    assert_eq!(closed.0, Some(true));
    assert_eq!(closed.1.len(), 2);
    // The drafter hears that it went.
    let notices = queued(&plan, Purpose::OfficerNotice);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].to, vec![DRAFTER]);

    // The same code again: nothing more is sent.
    let again = bed.run(&mut c, APPROVER, &format!("#approve {code}"));
    assert!(queued(&again, Purpose::Reply).is_empty());
    assert_eq!(refused(&again).len(), 1, "{}", answer(&again));
    // The code is a secret until used: neither the answer nor the log
    // repeats it whole.
    assert!(!answer(&again).contains(&code), "{}", answer(&again));
    assert!(!format!("{:?}", again.effects).contains(&code));
}

#[test]
fn approvals_that_must_not_send() {
    let bed = Bed::new();
    type Attempt = Box<dyn Fn(&Plan, &CaseSnapshot) -> (String, String)>;
    let cases: Vec<(&str, Attempt, &str)> = vec![
        (
            "another approver's code",
            Box::new(|p, _| (SECOND_APPROVER.into(), code_for(p, APPROVER))),
            "issued to",
        ),
        (
            "an officer who is not an approver",
            Box::new(|p, _| (CLERK.into(), code_for(p, APPROVER))),
            "only approvers",
        ),
        (
            "a code changed in one symbol",
            Box::new(|p, _| {
                let code = code_for(p, APPROVER);
                let last = code.chars().last().unwrap();
                let swap = if last == 'Z' { 'Y' } else { 'Z' };
                let mut altered: String = code.chars().take(code.chars().count() - 1).collect();
                altered.push(swap);
                (APPROVER.into(), altered)
            }),
            "not one foid issued",
        ),
        (
            "the code with a character added",
            Box::new(|p, _| (APPROVER.into(), format!("{}X", code_for(p, APPROVER)))),
            "not an approval code",
        ),
        (
            "a number instead of a code",
            Box::new(|_, _| (APPROVER.into(), "123456".into())),
            "not an approval code",
        ),
    ];
    for (what, attempt, why) in cases {
        let mut c = case();
        let drafted = bed.run(&mut c, DRAFTER, DRAFT);
        let (actor, code) = attempt(&drafted, &c);
        let plan = bed.run(&mut c, &actor, &format!("#approve {code}"));
        assert!(
            queued(&plan, Purpose::Reply).is_empty(),
            "{what}: a reply was queued"
        );
        assert_eq!(c.state, CaseState::Open, "{what}");
        let reasons = refused(&plan);
        assert!(
            reasons.iter().any(|r| r.contains(why)),
            "{what}: {reasons:?}"
        );
        let live = code_for(&drafted, APPROVER);
        assert!(
            !answer(&plan).contains(&live),
            "{what}: the answer repeats the live code"
        );
    }
}

#[test]
fn the_drafter_cannot_approve_their_own_draft() {
    let bed = Bed::new();
    let mut c = case();
    // An approver drafts: they get no preview, and a colleague's code is
    // not theirs to use.
    let drafted = bed.run(&mut c, APPROVER, DRAFT);
    assert!(queued(&drafted, Purpose::Preview)
        .iter()
        .all(|m| m.to != vec![APPROVER.to_string()]));
    let code = code_for(&drafted, DRAFTER);
    let plan = bed.run(&mut c, APPROVER, &format!("#approve {code}"));
    assert!(queued(&plan, Purpose::Reply).is_empty());
    // Without four-eyes, a sole approver may draft and approve.
    let mut bed = Bed::new();
    bed.approvers = vec![DRAFTER.into()];
    let mut settings_case = case();
    let commands = commands::parse(DRAFT);
    let mut s = bed.settings();
    s.four_eyes = false;
    let mail = CommandMail {
        raw_id: RawId(1),
        message_id: "<cmd@council.test>",
        attachments: &[],
        cleaned: &[],
        evidence: "test",
        commands: &commands,
        open: None,
    };
    let plan = plan_commands(Some(&settings_case), DRAFTER, &mail, &[], &s);
    apply(&mut settings_case, &plan, bed.now);
    assert_eq!(code_for(&plan, DRAFTER).len(), 23);
    // With it, a sole approver cannot even record one.
    let plan = plan_commands(Some(&case()), DRAFTER, &mail, &[], &bed.settings());
    assert!(
        refused(&plan)[0].contains("four-eyes"),
        "{:?}",
        refused(&plan)
    );
}

#[test]
fn a_code_for_a_replaced_draft_is_refused() {
    let bed = Bed::new();
    let mut c = case();
    let first = bed.run(&mut c, DRAFTER, DRAFT);
    let old = code_for(&first, APPROVER);
    let second = bed.run(
        &mut c,
        DRAFTER,
        "#draft\n1. There were 15 claims.\n2. #not-held\n",
    );
    assert_eq!(c.draft.as_ref().unwrap().version, 2);
    let plan = bed.run(&mut c, APPROVER, &format!("#approve {old}"));
    assert!(queued(&plan, Purpose::Reply).is_empty());
    assert!(!refused(&plan).is_empty());
    let plan = bed.run(
        &mut c,
        APPROVER,
        &format!("#approve {}", code_for(&second, APPROVER)),
    );
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    assert!(queued(&plan, Purpose::Reply)[0].body.contains("15 claims"));
}

#[test]
fn a_draft_changed_after_its_preview_is_not_sent() {
    let bed = Bed::new();
    let mut c = case();
    let drafted = bed.run(&mut c, DRAFTER, DRAFT);
    let code = code_for(&drafted, APPROVER);
    // Someone edits the stored letter (or an attachment's bytes).
    c.draft.as_mut().unwrap().letter.push_str("\nP.S. extra\n");
    let plan = bed.run(&mut c, APPROVER, &format!("#approve {code}"));
    assert!(queued(&plan, Purpose::Reply).is_empty());
    assert!(
        refused(&plan)[0].contains("does not match"),
        "{:?}",
        refused(&plan)
    );
}

#[test]
fn an_expired_code_is_refused() {
    let mut bed = Bed::new();
    let mut c = case();
    let drafted = bed.run(&mut c, DRAFTER, DRAFT);
    let code = code_for(&drafted, APPROVER);
    bed.now += jiff::SignedDuration::from_hours(73);
    let plan = bed.run(&mut c, APPROVER, &format!("#approve {code}"));
    assert!(queued(&plan, Purpose::Reply).is_empty());
    assert!(
        refused(&plan)[0].contains("expired"),
        "{:?}",
        refused(&plan)
    );
}

#[test]
fn a_code_from_another_case_names_that_case() {
    let bed = Bed::new();
    let mut other = case();
    other.id = CaseId(7);
    other.reference = "FOI-2026-00007".into();
    let drafted = bed.run(&mut other, DRAFTER, DRAFT);
    let code = code_for(&drafted, APPROVER);
    let mut c = case();
    bed.run(&mut c, DRAFTER, DRAFT);
    let commands = commands::parse(&format!("#approve {code}"));
    let foreign = [ForeignCode {
        code_sha256: approval::code_hash(&approval::normalise(&code).unwrap()),
        reference: "FOI-2026-00007".into(),
    }];
    let mail = CommandMail {
        raw_id: RawId(2),
        message_id: "<cmd2@council.test>",
        attachments: &[],
        cleaned: &[],
        evidence: "test",
        commands: &commands,
        open: None,
    };
    let plan = plan_commands(Some(&c), APPROVER, &mail, &foreign, &bed.settings());
    assert!(queued(&plan, Purpose::Reply).is_empty());
    assert!(
        refused(&plan)[0].contains("FOI-2026-00007"),
        "{:?}",
        refused(&plan)
    );
}

#[test]
fn a_rejected_draft_goes_back_to_its_drafter_and_cannot_be_approved() {
    let bed = Bed::new();
    let mut c = case();
    let drafted = bed.run(&mut c, DRAFTER, DRAFT);
    let plan = bed.run(&mut c, APPROVER, "#reject Q2 is held by Highways; ask them");
    let notices = queued(&plan, Purpose::OfficerNotice);
    assert_eq!(notices[0].to, vec![DRAFTER]);
    assert!(notices[0].body.contains("Highways"));
    let plan = bed.run(
        &mut c,
        SECOND_APPROVER,
        &format!("#approve {}", code_for(&drafted, SECOND_APPROVER)),
    );
    assert!(queued(&plan, Purpose::Reply).is_empty());
}

#[test]
fn a_refusal_notice_cites_the_section() {
    let bed = Bed::new();
    let mut c = case();
    let plan = bed.run(
        &mut c,
        DRAFTER,
        "#refuse s12\nThe records are held on paper in 40 depots.",
    );
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    let d = c.draft.as_ref().unwrap();
    assert!(d.refusal);
    assert!(d.letter.contains("section 12"), "{}", d.letter);
    assert!(d.letter.contains("40 depots"), "{}", d.letter);
    let plan = bed.run(&mut c, DRAFTER, "#refuse s99\nno such section");
    assert!(!refused(&plan).is_empty());
}

#[test]
fn clarification_stops_the_clock_once() {
    let bed = Bed::new();
    let mut c = case();
    let plan = bed.run(
        &mut c,
        DRAFTER,
        "#clarify Which financial year do you mean?",
    );
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    let letter = &queued(&plan, Purpose::Clarification)[0];
    assert_eq!(letter.to, vec!["jo@public.test"]);
    assert!(letter.body.contains("Which financial year"));
    assert_eq!(c.due_on, None, "the clock stops");
    let plan = bed.run(&mut c, DRAFTER, "#clarify And which wards?");
    assert!(queued(&plan, Purpose::Clarification).is_empty());
    assert_eq!(refused(&plan).len(), 1);
}

#[test]
fn fees_stop_the_foi_clock_until_paid_and_never_the_eir_one() {
    let bed = Bed::new();
    let mut c = case();
    let before = c.due_on;
    let plan = bed.run(
        &mut c,
        DRAFTER,
        "#fee £25.50 Copying 250 pages at 10p a page.",
    );
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    assert!(queued(&plan, Purpose::FeesNotice)[0]
        .body
        .contains("£25.50"));
    assert_eq!(c.due_on, None);
    let plan = bed.run(&mut c, DRAFTER, "#paid");
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    assert!(c.due_on >= before, "{:?} vs {before:?}", c.due_on);
    let plan = bed.run(&mut c, DRAFTER, "#paid");
    assert_eq!(refused(&plan).len(), 1, "paid twice");

    let mut eir = case();
    eir.regime = Regime::Eir;
    let plan = bed.run(&mut eir, DRAFTER, "#fee £10 maps");
    assert!(queued(&plan, Purpose::FeesNotice).is_empty());
    assert_eq!(refused(&plan).len(), 1);
}

#[test]
fn extensions_match_the_regime() {
    let bed = Bed::new();
    let mut c = case();
    let plan = bed.run(&mut c, DRAFTER, "#extend eir complex and voluminous");
    assert_eq!(refused(&plan).len(), 1, "{}", answer(&plan));
    let plan = bed.run(
        &mut c,
        DRAFTER,
        "#extend pit 2027-01-15 Weighing the public interest in s.43.",
    );
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    assert_eq!(c.regime, Regime::Foi, "the regime column is the request's");
    assert!(queued(&plan, Purpose::ExtensionNotice)[0]
        .body
        .contains("15 January 2027"));
}

#[test]
fn one_mail_may_carry_several_commands_and_each_is_answered() {
    let bed = Bed::new();
    let mut c = case();
    let plan = bed.run(
        &mut c,
        DRAFTER,
        "#assign officer2@council.test\n#note Spoke to Highways.\n#frobnicate\n#status\n",
    );
    let text = answer(&plan);
    assert!(text.contains("frobnicate"), "{text}");
    assert!(text.contains("How many claims"), "{text}");
    assert_eq!(c.assigned_to.as_deref(), Some(APPROVER));
    assert_eq!(queued(&plan, Purpose::OfficerNotice)[0].to, vec![APPROVER]);
    assert_eq!(refused(&plan).len(), 1);
    let plan = bed.run(&mut c, DRAFTER, "#assign someone@public.test");
    assert_eq!(refused(&plan).len(), 1);
}

#[test]
fn a_closed_case_takes_only_notes_status_and_reopen() {
    let bed = Bed::new();
    let mut c = case();
    bed.run(&mut c, DRAFTER, "#close withdrawn by the requester");
    assert_eq!(c.state, CaseState::Closed);
    let plan = bed.run(&mut c, DRAFTER, DRAFT);
    assert!(c.draft.is_none());
    assert!(refused(&plan)[0].contains("closed"));
    let plan = bed.run(&mut c, DRAFTER, "#note filed\n#reopen sent in error");
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    assert_eq!(c.state, CaseState::Open);
}

#[test]
fn commands_with_no_case_are_answered() {
    let bed = Bed::new();
    let commands = commands::parse("#approve ABCD-EFGH-JKMN-PQRS-TVWX");
    let mail = CommandMail {
        raw_id: RawId(1),
        message_id: "<cmd@council.test>",
        attachments: &[],
        cleaned: &[],
        evidence: "test",
        commands: &commands,
        open: None,
    };
    let plan = plan_commands(None, APPROVER, &mail, &[], &bed.settings());
    assert_eq!(plan.target, Target::NoCase);
    assert!(answer(&plan).contains("no case"), "{}", answer(&plan));
    assert!(queued(&plan, Purpose::Reply).is_empty());
}

#[test]
fn the_requesters_answer_to_a_clarification_restarts_the_clock() {
    use crate::core::intake::{Classification, IncomingMessage};
    use crate::core::workflow::{plan_correspondence, Council};
    let bed = Bed::new();
    let mut c = case();
    bed.run(
        &mut c,
        DRAFTER,
        "#clarify Which financial year do you mean?",
    );
    assert_eq!(c.due_on, None);
    // The requester answers on Monday 7 December 2026.
    let msg = IncomingMessage {
        from_email: Some("jo@public.test".into()),
        subject: "Re: [FOI-2026-00042] Pothole claims".into(),
        new_text: "I mean April 2025 to March 2026.".into(),
        message_id: Some("<answer@public.test>".into()),
        ..IncomingMessage::default()
    };
    let classification = Classification {
        kind: Kind::Correspondence,
        reasons: vec![],
        case_ref: Some(c.reference.clone()),
    };
    let team = bed.team.clone();
    let plan = plan_correspondence(
        &c,
        RawId(9),
        &msg,
        &classification,
        false,
        date(2026, 12, 7),
        &Council {
            name: "Example Borough Council",
            address: "foi@council.test",
            team: &team,
        },
        &bed.calendar,
        Region::EnglandAndWales,
    );
    // 20 working days counted afresh from the answer (rules.md R4), past
    // Christmas Day, the Boxing Day substitute, New Year's Day and
    // Scotland's 2 January substitute (a bank holiday in any part of the UK
    // is not a working day for FOIA).
    assert!(plan
        .effects
        .contains(&Effect::SetDue(Some(date(2027, 1, 8)))));
    let notices = queued(&plan, Purpose::OfficerNotice);
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0].body.contains("8 January 2027"),
        "{}",
        notices[0].body
    );

    // An officer's mail on the case does not restart it.
    let plan = plan_correspondence(
        &c,
        RawId(10),
        &IncomingMessage {
            from_email: Some(DRAFTER.into()),
            ..msg.clone()
        },
        &classification,
        true,
        date(2026, 12, 7),
        &Council {
            name: "Example Borough Council",
            address: "foi@council.test",
            team: &team,
        },
        &bed.calendar,
        Region::EnglandAndWales,
    );
    assert!(!plan.effects.iter().any(|e| matches!(e, Effect::SetDue(_))));
}

#[test]
fn a_regime_change_recomputes_the_clock_and_says_why() {
    let bed = Bed::new();
    let mut c = case();
    c.due_on = None; // so that the recomputed date shows
    let plan = bed.run(
        &mut c,
        DRAFTER,
        "#regime eir the request is about air quality",
    );
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    assert_eq!(c.regime, Regime::Eir);
    assert!(plan.events().any(|e| matches!(
        e,
        CaseEvent::RegimeChanged { from: Regime::Foi, to: Regime::Eir, reason } if reason.contains("air quality")
    )));
    // FOIA and EIR both give 20 working days from the same receipt, St
    // Andrew's Day (Monday 30 November) not counted.
    assert_eq!(c.due_on, Some(date(2026, 12, 15)));
    let plan = bed.run(&mut c, DRAFTER, "#regime eir again");
    assert_eq!(refused(&plan).len(), 1);
    // Now an EIR case: the EIR extension is the one that applies.
    let plan = bed.run(&mut c, DRAFTER, "#extend eir complex and voluminous");
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
}

#[test]
fn help_lists_every_command() {
    let bed = Bed::new();
    let mut c = case();
    let plan = bed.run(&mut c, DRAFTER, "#help");
    let text = answer(&plan);
    for word in commands::WORDS {
        assert!(
            text.contains(&format!("#{word}")),
            "#{word} missing from {text}"
        );
    }
}

fn claims_csv() -> Attachment {
    Attachment {
        filename: "claims.csv".into(),
        content_type: "text/csv".into(),
        bytes: b"year,claims\n2025,14\n".to_vec(),
    }
}

/// A JPEG whose comment segment names who took it: a finding that
/// `#clean` can remove.
fn commented_photo() -> Attachment {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xFE, 0, 13];
    bytes.extend_from_slice(b"taken by Jo");
    bytes.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34, 0xFF, 0xD9]);
    Attachment {
        filename: "site.jpg".into(),
        content_type: "image/jpeg".into(),
        bytes,
    }
}

#[test]
fn findings_block_approval_until_overridden_with_a_reason() {
    let bed = Bed::new();
    let mut c = case();
    let drafted = bed.run_with(&mut c, DRAFTER, DRAFT, &[commented_photo()]);
    let told = answer(&drafted);
    assert!(
        told.contains("BLOCKED") && told.contains("site.jpg: image metadata"),
        "{told}"
    );
    let preview = queued(&drafted, Purpose::Preview)[0];
    assert!(
        preview.subject.contains("BLOCKED by the attachment check"),
        "{}",
        preview.subject
    );
    assert!(
        preview.body.contains("STOP") && preview.body.contains("--despite-findings REASON"),
        "{}",
        preview.body
    );
    let code = code_for(&drafted, APPROVER);

    let plan = bed.run(&mut c, APPROVER, &format!("#approve {code}"));
    assert!(
        refused(&plan)[0].contains("nothing was approved"),
        "{}",
        answer(&plan)
    );
    assert!(queued(&plan, Purpose::Reply).is_empty());
    assert!(
        c.codes.iter().all(|k| k.used_at.is_none()),
        "a refused approval spends no code"
    );

    let plan = bed.run(
        &mut c,
        APPROVER,
        &format!("#approve {code} --despite-findings the photo is published on our site"),
    );
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    assert_eq!(queued(&plan, Purpose::Reply).len(), 1);
    let overridden = plan.events().find_map(|e| match e {
        CaseEvent::FindingsOverridden {
            reason, findings, ..
        } => Some((reason.clone(), findings.len())),
        _ => None,
    });
    assert_eq!(
        overridden,
        Some(("the photo is published on our site".to_string(), 1))
    );
}

#[test]
fn clean_replaces_the_attachments_and_sends_new_previews() {
    let bed = Bed::new();
    let mut c = case();
    bed.run_with(&mut c, DRAFTER, DRAFT, &[commented_photo()]);
    let plan = bed.run(&mut c, DRAFTER, "#clean");
    let told = answer(&plan);
    assert!(refused(&plan).is_empty(), "{told}");
    assert!(
        told.contains("site.jpg: removed a comment") && told.contains("draft 2 recorded"),
        "{told}"
    );
    assert!(!told.contains("BLOCKED"), "{told}");
    let d = c.draft.clone().unwrap();
    assert_eq!(d.version, 2);
    assert!(!d.attachments[0]
        .bytes
        .windows(11)
        .any(|w| w == b"taken by Jo"));
    assert_eq!(d.attachments[0].findings, Some(vec![]));
    let code = code_for(&plan, APPROVER);
    let plan = bed.run(&mut c, APPROVER, &format!("#approve {code}"));
    assert!(refused(&plan).is_empty(), "{}", answer(&plan));
    assert_eq!(
        queued(&plan, Purpose::Reply)[0].attachments[0].bytes,
        d.attachments[0].bytes
    );
}

#[test]
fn a_draft_whose_attachments_were_never_checked_cannot_be_approved() {
    let bed = Bed::new();
    let mut c = case();
    let attachment = claims_csv();
    let drafted = bed.run_with(&mut c, DRAFTER, DRAFT, &[attachment]);
    // As a draft stored before the check existed reads back.
    for a in &mut c.draft.as_mut().unwrap().attachments {
        a.findings = None;
    }
    let plan = bed.run(
        &mut c,
        APPROVER,
        &format!("#approve {}", code_for(&drafted, APPROVER)),
    );
    assert!(
        refused(&plan)[0].contains("never went through the check"),
        "{}",
        answer(&plan)
    );
}

#[test]
fn cleaned_copies_made_from_another_draft_are_refused() {
    let bed = Bed::new();
    let mut c = case();
    bed.run_with(&mut c, DRAFTER, DRAFT, &[commented_photo()]);
    let commands = commands::parse("#clean");
    let stale = CleanedAttachment {
        original_sha256: "0".repeat(64),
        checked: Checked {
            attachment: commented_photo(),
            findings: vec![],
        },
        removed: vec![],
        not_cleaned: None,
    };
    let mail = CommandMail {
        raw_id: RawId(2),
        message_id: "<clean@council.test>",
        attachments: &[],
        cleaned: std::slice::from_ref(&stale),
        evidence: "test",
        commands: &commands,
        open: None,
    };
    let plan = plan_commands(Some(&c), DRAFTER, &mail, &[], &bed.settings());
    assert!(
        refused(&plan)[0].contains("made from another draft"),
        "{}",
        answer(&plan)
    );
}
