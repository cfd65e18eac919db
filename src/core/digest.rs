//! The morning digest to the team and the escalation to the manager: what
//! is due soon, what is overdue, drafts waiting for an approver, mail that
//! could not be delivered and messages held for an officer. Pure: the
//! shell gathers the facts (each open case with its live clock) and sends
//! what this returns, once per working day.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::calendar::{Calendar, WorkingDays};
use super::letters::{long_date, AutoSubmitted, OutgoingMail, Purpose};

/// An open case as the digest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCase {
    pub reference: String,
    pub subject: String,
    pub regime: String,
    pub assigned_to: Option<String>,
    /// The date the officers work to (the PIT target, else the due date).
    pub deadline: Option<Date>,
    /// Working days to the deadline; negative when overdue, `None` while
    /// the clock is stopped.
    pub working_days_left: Option<i32>,
}

/// A draft no approver has approved yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingApproval {
    pub reference: String,
    pub version: u32,
    pub drafted_by: String,
    pub drafted_on: Date,
}

/// Mail that could not be delivered: an outbox row that failed for good,
/// or a bounce that came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDelivery {
    pub reference: Option<String>,
    pub what: String,
    pub on: Date,
}

/// A message held for an officer, on no case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldMail {
    pub number: i64,
    pub received_on: Date,
    pub from: String,
    pub subject: String,
    pub reasons: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Cases due within this many working days are listed as due soon.
    pub due_within: i32,
}

/// The facts the digest is made from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub open: Vec<OpenCase>,
    pub awaiting_approval: Vec<AwaitingApproval>,
    pub failed: Vec<FailedDelivery>,
    pub held: Vec<HeldMail>,
    /// Held messages beyond those listed.
    pub held_not_listed: usize,
}

/// One day's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub day: Date,
    /// Most overdue first.
    pub overdue: Vec<OpenCase>,
    /// Soonest first.
    pub due_soon: Vec<OpenCase>,
    pub awaiting_approval: Vec<AwaitingApproval>,
    pub failed: Vec<FailedDelivery>,
    pub held: Vec<HeldMail>,
    pub held_not_listed: usize,
}

impl Digest {
    pub fn new(day: Date, facts: Facts, settings: Settings) -> Digest {
        let (mut overdue, mut due_soon): (Vec<_>, Vec<_>) = facts
            .open
            .into_iter()
            .filter(|c| {
                c.working_days_left
                    .is_some_and(|n| n <= settings.due_within)
            })
            .partition(|c| c.working_days_left.is_some_and(|n| n < 0));
        overdue.sort_by_key(|c| (c.working_days_left, c.reference.clone()));
        due_soon.sort_by_key(|c| (c.working_days_left, c.reference.clone()));
        Digest {
            day,
            overdue,
            due_soon,
            awaiting_approval: facts.awaiting_approval,
            failed: facts.failed,
            held: facts.held,
            held_not_listed: facts.held_not_listed,
        }
    }

    /// Nothing to tell the team.
    pub fn is_empty(&self) -> bool {
        self.overdue.is_empty()
            && self.due_soon.is_empty()
            && self.awaiting_approval.is_empty()
            && self.failed.is_empty()
            && self.held.is_empty()
    }

    /// The digest to the team.
    pub fn mail(&self, team: &[String]) -> OutgoingMail {
        let mut body = format!("FOI cases on {}.\n", long_date(self.day));
        let section = |body: &mut String, title: String, lines: Vec<String>| {
            if !lines.is_empty() {
                body.push_str(&format!("\n{title}\n"));
                for line in lines {
                    body.push_str(&format!("  {line}\n"));
                }
            }
        };
        section(
            &mut body,
            format!("OVERDUE ({})", self.overdue.len()),
            self.overdue.iter().map(case_line).collect(),
        );
        section(
            &mut body,
            format!("DUE SOON ({})", self.due_soon.len()),
            self.due_soon.iter().map(case_line).collect(),
        );
        section(
            &mut body,
            format!(
                "DRAFTS AWAITING APPROVAL ({})",
                self.awaiting_approval.len()
            ),
            self.awaiting_approval
                .iter()
                .map(|d| {
                    format!(
                        "{}  draft {} by {}, {}",
                        d.reference,
                        d.version,
                        d.drafted_by,
                        long_date(d.drafted_on)
                    )
                })
                .collect(),
        );
        section(
            &mut body,
            format!("DELIVERIES FAILED ({})", self.failed.len()),
            self.failed
                .iter()
                .map(|f| {
                    format!(
                        "{}  {}: {}",
                        f.reference.as_deref().unwrap_or("(no case)"),
                        long_date(f.on),
                        f.what
                    )
                })
                .collect(),
        );
        section(
            &mut body,
            format!(
                "HELD FOR AN OFFICER ({})",
                self.held.len() + self.held_not_listed
            ),
            self.held
                .iter()
                .map(|h| {
                    format!(
                        "{}  {}  {}: {}\n      why: {}",
                        super::letters::held_tag(h.number),
                        h.received_on,
                        h.from,
                        h.subject,
                        h.reasons
                    )
                })
                .collect(),
        );
        if self.held_not_listed > 0 {
            body.push_str(&format!(
                "  … and {} more: `foid held` lists them all.\n",
                self.held_not_listed
            ));
        }
        if !self.held.is_empty() {
            body.push_str(
                "\nTo open a held message as a case, send #open NUMBER to the FOI mailbox, or reply #open to its held notice.\n",
            );
        }
        body.push_str("\nReply #status to a case email for its full state. This digest is sent each working morning when there is something to list.\n");
        OutgoingMail::new(
            Purpose::Digest,
            team.to_vec(),
            format!(
                "FOI digest {}: {} overdue, {} due soon, {} awaiting approval",
                self.day,
                self.overdue.len(),
                self.due_soon.len(),
                self.awaiting_approval.len()
            ),
            body,
            AutoSubmitted::AutoGenerated,
        )
    }

    /// To the manager, when cases are overdue.
    pub fn escalation(&self, manager: &str) -> Option<OutgoingMail> {
        if self.overdue.is_empty() {
            return None;
        }
        let mut body = format!(
            "{} FOI case(s) are past their statutory deadline on {}. The ICO expects a reply within 20 working days; late replies count against the council's timeliness figures.\n\n",
            self.overdue.len(),
            long_date(self.day)
        );
        for c in &self.overdue {
            body.push_str(&format!(
                "  {}\n      assigned to: {}\n",
                case_line(c),
                c.assigned_to.as_deref().unwrap_or("nobody")
            ));
        }
        Some(OutgoingMail::new(
            Purpose::Escalation,
            vec![manager.to_string()],
            format!(
                "FOI escalation {}: {} case(s) overdue",
                self.day,
                self.overdue.len()
            ),
            body,
            AutoSubmitted::AutoGenerated,
        ))
    }
}

fn case_line(c: &OpenCase) -> String {
    let when = match (c.deadline, c.working_days_left) {
        (Some(d), Some(n)) if n < 0 => format!("due {d}, overdue by {} working day(s)", -n),
        (Some(d), Some(0)) => format!("due today, {d}"),
        (Some(d), Some(n)) => format!("due {d}, {n} working day(s) left"),
        _ => "clock stopped".to_string(),
    };
    let who = c
        .assigned_to
        .as_deref()
        .map(|a| format!(" [{a}]"))
        .unwrap_or_default();
    format!("{}  {}  {when}  {}{who}", c.reference, c.regime, c.subject)
}

/// When the next digest is due: `at` on the next working day after
/// `last_sent` (council time), or now when today's time has passed and
/// today's digest was not sent (foid was down at the time).
pub fn next_digest_at(
    now: Timestamp,
    tz: &TimeZone,
    at: Time,
    calendar: &Calendar,
    working_days: WorkingDays,
    last_sent: Option<Date>,
) -> (Date, Timestamp) {
    let today = now.to_zoned(tz.clone()).date();
    let mut day = today;
    loop {
        if calendar.is_working_day(day, working_days) && last_sent.is_none_or(|l| day > l) {
            // A time in a clock change's gap moves forward (jiff's
            // compatible disambiguation).
            let due = day
                .to_datetime(at)
                .to_zoned(tz.clone())
                .map(|z| z.timestamp())
                .unwrap_or(now);
            if day == today && due <= now {
                return (day, now);
            }
            if due > now {
                return (day, due);
            }
        }
        day = match day.tomorrow() {
            Ok(d) => d,
            Err(_) => return (day, now),
        };
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::{date, time};

    use super::*;

    fn case(reference: &str, left: Option<i32>) -> OpenCase {
        OpenCase {
            reference: reference.into(),
            subject: format!("About {reference}"),
            regime: "foi".into(),
            assigned_to: None,
            deadline: Some(date(2026, 12, 10)),
            working_days_left: left,
        }
    }

    #[test]
    fn lists_overdue_and_due_soon_in_order_and_leaves_the_rest() {
        let facts = Facts {
            open: vec![
                case("FOI-1", Some(12)),
                case("FOI-2", Some(-1)),
                case("FOI-3", Some(3)),
                case("FOI-4", Some(-6)),
                case("FOI-5", None),
                case("FOI-6", Some(0)),
            ],
            ..Facts::default()
        };
        let d = Digest::new(date(2026, 12, 7), facts, Settings { due_within: 5 });
        let refs = |v: &[OpenCase]| v.iter().map(|c| c.reference.clone()).collect::<Vec<_>>();
        assert_eq!(refs(&d.overdue), ["FOI-4", "FOI-2"]);
        assert_eq!(refs(&d.due_soon), ["FOI-6", "FOI-3"]);
        let mail = d.mail(&["team@council.test".into()]);
        assert!(
            mail.subject.contains("2 overdue, 2 due soon"),
            "{}",
            mail.subject
        );
        assert!(
            mail.body
                .contains("FOI-4  foi  due 2026-12-10, overdue by 6 working day(s)"),
            "{}",
            mail.body
        );
        assert!(mail.body.contains("due today"), "{}", mail.body);
        assert!(!mail.body.contains("FOI-1") && !mail.body.contains("FOI-5"));
        let escalation = d.escalation("manager@council.test").expect("overdue cases");
        assert_eq!(escalation.to, ["manager@council.test"]);
        assert!(
            escalation.body.contains("FOI-4") && escalation.body.contains("assigned to: nobody")
        );
    }

    #[test]
    fn held_mail_drafts_and_failures_are_listed() {
        let facts = Facts {
            held: vec![HeldMail {
                number: 42,
                received_on: date(2026, 12, 4),
                from: "someone@example.org".into(),
                subject: "Quick question".into(),
                reasons: "does not read as a request".into(),
            }],
            awaiting_approval: vec![AwaitingApproval {
                reference: "FOI-7".into(),
                version: 2,
                drafted_by: "officer@council.test".into(),
                drafted_on: date(2026, 12, 3),
            }],
            failed: vec![FailedDelivery {
                reference: Some("FOI-8".into()),
                what: "reply to a@b.test: 550 no such user".into(),
                on: date(2026, 12, 4),
            }],
            ..Facts::default()
        };
        let d = Digest::new(date(2026, 12, 7), facts, Settings { due_within: 5 });
        assert!(!d.is_empty());
        assert_eq!(d.escalation("m@council.test"), None, "nothing overdue");
        let body = d.mail(&[]).body;
        for want in [
            "[held 42]",
            "does not read as a request",
            "#open",
            "FOI-7  draft 2",
            "FOI-8",
            "550 no such user",
        ] {
            assert!(body.contains(want), "{want}: {body}");
        }
        assert!(Digest::new(
            date(2026, 12, 7),
            Facts::default(),
            Settings { due_within: 5 }
        )
        .is_empty());
    }

    #[test]
    fn the_next_digest_is_the_next_working_morning_once_a_day() {
        let tz = TimeZone::get("Europe/London").expect("tz");
        let cal = Calendar::shipped();
        let at = time(8, 30, 0, 0);
        let ts = |s: &str| s.parse::<Timestamp>().expect("ts");
        let next = |now: &str, last| next_digest_at(ts(now), &tz, at, &cal, WorkingDays::Uk, last);
        // Friday 4 December 2026, before the time: today at 08:30.
        assert_eq!(
            next("2026-12-04T07:00:00Z", None),
            (date(2026, 12, 4), ts("2026-12-04T08:30:00Z"))
        );
        // After the time and not yet sent: now (a restart catches up).
        assert_eq!(
            next("2026-12-04T15:00:00Z", None),
            (date(2026, 12, 4), ts("2026-12-04T15:00:00Z"))
        );
        // Sent today: Monday, over the weekend.
        assert_eq!(
            next("2026-12-04T15:00:00Z", Some(date(2026, 12, 4))),
            (date(2026, 12, 7), ts("2026-12-07T08:30:00Z"))
        );
        // Christmas: Thursday 24 December sent; Friday 25 and Monday 28
        // (Boxing Day substitute) are not working days.
        assert_eq!(
            next("2026-12-24T09:00:00Z", Some(date(2026, 12, 24))),
            (date(2026, 12, 29), ts("2026-12-29T08:30:00Z"))
        );
        // Summer time: 08:30 in London is 07:30 UTC.
        assert_eq!(
            next("2026-06-01T00:00:00Z", Some(date(2026, 5, 29))),
            (date(2026, 6, 1), ts("2026-06-01T07:30:00Z"))
        );
    }
}
