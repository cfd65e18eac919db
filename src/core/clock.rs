//! The statutory clock: a case's due date, derived from its events and the
//! calendar, never stored as a bare number (so a holiday proclaimed later or a
//! corrected event simply gives a new answer). Rules: shared legal/rules.md §0.
//! Pure: no I/O, and `today` is always an argument.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, Region, WorkingDays};

/// The council time zone unless configured otherwise (R1).
pub const DEFAULT_TIME_ZONE: &str = "Europe/London";

/// FOIA s.9(2) / FOISA s.9(4): a fee unpaid for three months beginning with
/// the day the fees notice was given lets the request lapse. "Beginning with"
/// means the period ends the day before the corresponding date, so the
/// request lapses *on* the corresponding date (or on the 1st of the next
/// month if there is none). rules.md §1.4 marks the convention [UNCONFIRMED].
pub const FEE_LAPSE_MONTHS: i8 = 3;

/// The statutory limit for FOIA/EIR/FOISA and the day-20 date of a PIT case.
pub const STATUTORY_WORKING_DAYS: u32 = 20;

/// An information-rights regime, each with its own limit and working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Regime {
    /// FOIA s.10(1): 20 UK working days.
    Foi,
    /// EIR reg 5(2): 20 UK working days.
    Eir,
    /// EIR reg 7 (complex and voluminous): 40 UK working days from receipt.
    EirExtended,
    /// FOIA s.10(3) public-interest extension: the refusal notice is still due
    /// on day 20; day 40 is the ICO's normal target, not a statutory date.
    Pit,
    /// Internal review (s.45 Code): 20 UK working days.
    Review,
    /// Internal review in exceptional cases, and EIR reg 11: 40 UK working days.
    ReviewExtended,
    /// UK GDPR Art 12(3)/12A: one calendar month, rolled to the council's next working day.
    Sar,
    /// Art 12A extension: three months from the same start.
    SarExtended,
    /// FOISA s.10 (Scottish councils): 20 working days, Scottish holidays only.
    Foisa,
    /// FOISA s.21 review: 20 working days, Scottish holidays only.
    FoisaReview,
}

/// How a regime's period is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", content = "count", rename_all = "kebab-case")]
pub enum Limit {
    /// The nth working day after day 0.
    WorkingDays(u32),
    /// The corresponding date n calendar months on, rolled to a working day.
    Months(i8),
}

/// How a regime treats a fees notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeeRule {
    /// FOIA s.10(2) / FOISA s.10(2): working days from notice to payment are disregarded.
    Disregard,
    /// SAR: the month starts when the fee is received (R8).
    StartsOnPayment,
    /// No fee pause modelled (EIR reg 8 not researched: rules.md §2; reviews carry no fee).
    NotApplicable,
}

impl Regime {
    pub const ALL: [Regime; 10] = [
        Regime::Foi,
        Regime::Eir,
        Regime::EirExtended,
        Regime::Pit,
        Regime::Review,
        Regime::ReviewExtended,
        Regime::Sar,
        Regime::SarExtended,
        Regime::Foisa,
        Regime::FoisaReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Foi => "foi",
            Regime::Eir => "eir",
            Regime::EirExtended => "eir-extended",
            Regime::Pit => "pit",
            Regime::Review => "review",
            Regime::ReviewExtended => "review-extended",
            Regime::Sar => "sar",
            Regime::SarExtended => "sar-extended",
            Regime::Foisa => "foisa",
            Regime::FoisaReview => "foisa-review",
        }
    }

    /// The period; for [`Regime::Pit`] the 40-day target.
    pub fn limit(self) -> Limit {
        match self {
            Regime::Foi | Regime::Eir | Regime::Review | Regime::Foisa | Regime::FoisaReview => {
                Limit::WorkingDays(STATUTORY_WORKING_DAYS)
            }
            Regime::EirExtended | Regime::Pit | Regime::ReviewExtended => Limit::WorkingDays(40),
            Regime::Sar => Limit::Months(1),
            Regime::SarExtended => Limit::Months(3),
        }
    }

    /// Which days count: FOIA/EIR use the whole UK (R2), FOISA Scotland (R10),
    /// SAR the council's own division (rules.md §3.3.1).
    pub fn working_days(self, region: Region) -> WorkingDays {
        match self {
            Regime::Foisa | Regime::FoisaReview => WorkingDays::Region(Region::Scotland),
            Regime::Sar | Regime::SarExtended => WorkingDays::Region(region),
            _ => WorkingDays::Uk,
        }
    }

    /// The regime an `Extended` event moves this one to, if it can be extended.
    pub fn extension(self) -> Option<Regime> {
        match self {
            Regime::Foi => Some(Regime::Pit),
            Regime::Eir => Some(Regime::EirExtended),
            Regime::Review => Some(Regime::ReviewExtended),
            Regime::Sar => Some(Regime::SarExtended),
            _ => None,
        }
    }

    /// Whether the period end is a target rather than a statutory date (PIT).
    pub fn is_target(self) -> bool {
        self == Regime::Pit
    }

    fn fee_rule(self) -> FeeRule {
        match self {
            Regime::Foi | Regime::Pit | Regime::Foisa => FeeRule::Disregard,
            Regime::Sar | Regime::SarExtended => FeeRule::StartsOnPayment,
            _ => FeeRule::NotApplicable,
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown regime name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown regime '{0}': valid regimes are foi, eir, eir-extended, pit, review, review-extended, sar, sar-extended, foisa, foisa-review")]
pub struct ParseRegimeError(pub String);

impl FromStr for Regime {
    type Err = ParseRegimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Regime::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| ParseRegimeError(s.to_string()))
    }
}

/// The date of receipt (R1): the council-time-zone date of the moment the
/// mail reached the council (the IMAP arrival time, not the Date header).
pub fn date_of_receipt(ts: Timestamp, tz: &TimeZone) -> Date {
    tz.to_datetime(ts).date()
}

/// The first moment of a council-time day: mail that arrived before it was
/// received before that date.
pub fn start_of_day(date: Date, tz: &TimeZone) -> Timestamp {
    date.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The due date for a request received on `received` with no other events
/// (for [`Regime::Pit`], the day-40 target).
pub fn due_date(regime: Regime, region: Region, received: Date, calendar: &Calendar) -> Date {
    let clock = case_clock(
        regime,
        region,
        &[ClockEvent::Received { date: received }],
        calendar,
        received,
    );
    clock
        .deadline()
        .expect("a received request with no stops always has a due date")
}

/// One entry of a case's clock history, stored as JSON in the case event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClockEvent {
    /// The request reached the council (the date of receipt, R1).
    Received { date: Date },
    /// FOIA s.1(3) / Art 12A: the council asked what the requester means.
    ClarificationSought { date: Date },
    /// The clarification arrived: FOIA/EIR/FOISA restart (R4), SAR resumes (R8).
    ClarificationReceived { date: Date },
    /// A fees notice (FOIA s.9) or SAR fee request was given.
    FeesNoticeGiven { date: Date },
    /// The fee was received.
    FeeReceived { date: Date },
    /// The period was extended: foi → pit, eir → eir-extended,
    /// review → review-extended, sar → sar-extended.
    Extended { date: Date, to: Regime },
    /// SAR: identity evidence was asked for.
    IdRequested { date: Date },
    /// SAR: identity evidence arrived.
    IdReceived { date: Date },
}

impl ClockEvent {
    pub fn date(&self) -> Date {
        match *self {
            ClockEvent::Received { date }
            | ClockEvent::ClarificationSought { date }
            | ClockEvent::ClarificationReceived { date }
            | ClockEvent::FeesNoticeGiven { date }
            | ClockEvent::FeeReceived { date }
            | ClockEvent::Extended { date, .. }
            | ClockEvent::IdRequested { date }
            | ClockEvent::IdReceived { date } => date,
        }
    }
}

/// Where the clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockState {
    /// No `Received` event yet.
    NotStarted,
    Running,
    /// Stopped until the clarification arrives.
    AwaitingClarification {
        since: Date,
    },
    /// Stopped until the fee arrives; `lapses_on` for FOIA/FOISA (none for SAR).
    AwaitingFee {
        since: Date,
        lapses_on: Option<Date>,
    },
    /// SAR: the month starts when the identity evidence arrives.
    AwaitingId {
        since: Date,
    },
    /// The fee was not paid in time; the council need not comply.
    Lapsed {
        on: Date,
    },
}

/// One line of the explanation, in date order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// An event or a piece of arithmetic.
    Event { date: Date, text: String },
    /// A working day counted towards the limit.
    Counted { date: Date, day: u32 },
    /// A day not counted, and why.
    Skipped { date: Date, reason: String },
    /// A due or target date.
    Due { date: Date, text: String },
}

impl Step {
    pub fn date(&self) -> Date {
        match self {
            Step::Event { date, .. }
            | Step::Counted { date, .. }
            | Step::Skipped { date, .. }
            | Step::Due { date, .. } => *date,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = fmt_date(self.date());
        match self {
            Step::Event { text, .. } => write!(f, "{day}  {text}"),
            Step::Counted { day: n, .. } => write!(f, "{day}  working day {n}"),
            Step::Skipped { reason, .. } => write!(f, "{day}  not counted: {reason}"),
            Step::Due { text, .. } => write!(f, "{day}  {text}"),
        }
    }
}

/// The clock of one case as of `today`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClock {
    /// The regime in force after any extension.
    pub regime: Regime,
    pub working_days: WorkingDays,
    /// Day 0 (or, for SAR, the start of the month) in force.
    pub start: Option<Date>,
    /// The statutory due date; None while stopped. For PIT the day-20 date
    /// by which the s.17(1) notice was due.
    pub due: Option<Date>,
    /// PIT: the day-40 target for the public-interest decision.
    pub target: Option<Date>,
    /// Working days from `today` to [`CaseClock::deadline`]: 0 on the day
    /// itself, negative when overdue. A non-working `today` counts as the
    /// next working day, so negative always means overdue.
    pub working_days_left: Option<i32>,
    pub state: ClockState,
    /// The `today` this clock was computed for.
    pub as_of: Date,
    /// How the dates were reached, for `--explain` and the case email.
    pub steps: Vec<Step>,
    /// Oddities in the events (ignored or late events), for the officers.
    pub warnings: Vec<String>,
}

impl CaseClock {
    /// The date the officers work to: the PIT target, otherwise the due date.
    /// (A PIT case stopped between day 20 and day 40 has none.)
    pub fn deadline(&self) -> Option<Date> {
        if self.regime.is_target() {
            self.target
        } else {
            self.due
        }
    }

    /// Whether the deadline has passed as of the `today` given.
    pub fn is_overdue(&self) -> bool {
        self.working_days_left.is_some_and(|n| n < 0)
    }

    /// A plain-text explanation: a summary line, the steps, then warnings.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        let rule = match self.working_days {
            WorkingDays::Uk => "working days exclude weekends, Christmas Day, Good Friday and bank holidays anywhere in the UK".to_string(),
            WorkingDays::Region(r) => format!("working days exclude weekends, Christmas Day and bank holidays in {r}"),
        };
        let summary = match (self.state, self.due, self.target) {
            (ClockState::NotStarted, _, _) => "not started: no date of receipt".to_string(),
            (ClockState::Lapsed { on }, _, _) => {
                format!("lapsed on {}: the fee was not paid", fmt_date(on))
            }
            (_, Some(due), Some(target)) => format!(
                "statutory date {}, target {}",
                fmt_date(due),
                fmt_date(target)
            ),
            (_, Some(due), None) => format!("due {}", fmt_date(due)),
            (ClockState::AwaitingClarification { .. }, None, _) => {
                "stopped: awaiting clarification".to_string()
            }
            (ClockState::AwaitingFee { .. }, None, _) => "stopped: awaiting the fee".to_string(),
            (ClockState::AwaitingId { .. }, None, _) => {
                "stopped: awaiting identity evidence".to_string()
            }
            (ClockState::Running, None, _) => "no due date".to_string(),
        };
        out.push_str(&format!("{}: {summary} ({rule})", self.regime));
        if let Some(left) = self.working_days_left {
            let text = match left {
                0 if Some(self.as_of) == self.deadline() => " - due today".to_string(),
                0 => " - due on the next working day".to_string(),
                1 => " - 1 working day left".to_string(),
                n if n > 0 => format!(" - {n} working days left"),
                -1 => " - overdue by 1 working day".to_string(),
                n => format!(" - overdue by {} working days", -n),
            };
            out.push_str(&text);
        }
        out.push('\n');
        for step in &self.steps {
            out.push_str(&format!("  {step}\n"));
        }
        for w in &self.warnings {
            out.push_str(&format!("  warning: {w}\n"));
        }
        out
    }
}

/// The clock of a case: due date, target, working days left as of `today`,
/// state and explanation, all from the events and the calendar. Events may
/// come in any order (they are taken by date, ties in the given order).
pub fn case_clock(
    regime: Regime,
    region: Region,
    events: &[ClockEvent],
    calendar: &Calendar,
    today: Date,
) -> CaseClock {
    let mut sorted: Vec<&ClockEvent> = events.iter().collect();
    sorted.sort_by_key(|e| e.date());
    let timeline = Timeline::read(regime, &sorted);
    let mut clock = match regime.limit() {
        Limit::WorkingDays(_) => working_day_clock(timeline, region, calendar, today),
        Limit::Months(_) => month_clock(timeline, region, calendar, today),
    };
    if let ClockState::AwaitingFee {
        lapses_on: Some(on),
        ..
    } = clock.state
    {
        if today >= on {
            clock.state = ClockState::Lapsed { on };
            clock.steps.push(Step::Event {
                date: on,
                text: format!(
                    "fee not paid within {FEE_LAPSE_MONTHS} months of the fees notice: the request lapses"
                ),
            });
        }
    }
    if let (Some(deadline), false) = (
        clock.deadline(),
        matches!(clock.state, ClockState::Lapsed { .. }),
    ) {
        let rule = clock.working_days;
        let effective_today = calendar.working_day_on_or_after(today, rule);
        clock.working_days_left =
            Some(calendar.working_days_between(effective_today, deadline, rule));
    }
    clock
}

/// A due date that changed between two calendars (R11: recorded on the case
/// as an event with the old and new dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueChange<I> {
    pub case: I,
    pub old_due: Option<Date>,
    pub new_due: Option<Date>,
    pub old_target: Option<Date>,
    pub new_target: Option<Date>,
}

/// Recomputes open cases under the old and new calendar and returns those
/// whose due date or target moved. rules.md §6.4 suggests keeping the earlier
/// date as an internal target; the caller has both.
pub fn recompute_changes<I: Clone>(
    old: &Calendar,
    new: &Calendar,
    cases: &[(I, Regime, Region, Vec<ClockEvent>)],
    today: Date,
) -> Vec<DueChange<I>> {
    cases
        .iter()
        .filter_map(|(id, regime, region, events)| {
            let a = case_clock(*regime, *region, events, old, today);
            let b = case_clock(*regime, *region, events, new, today);
            (a.due != b.due || a.target != b.target).then(|| DueChange {
                case: id.clone(),
                old_due: a.due,
                new_due: b.due,
                old_target: a.target,
                new_target: b.target,
            })
        })
        .collect()
}

/// The events read in date order, before any counting.
struct Timeline {
    regime: Regime,
    received: Option<Date>,
    /// Day 0 (working-day regimes) or the SAR relevant time.
    start: Option<Date>,
    clarification_since: Option<Date>,
    fee_since: Option<Date>,
    id_since: Option<Date>,
    /// Fee periods (inclusive) whose working days are disregarded.
    disregard: Vec<(Date, Date)>,
    /// SAR clarification pauses (inclusive).
    pauses: Vec<(Date, Date)>,
    extended_on: Option<Date>,
    notes: Vec<Step>,
    warnings: Vec<String>,
}

impl Timeline {
    fn read(base: Regime, events: &[&ClockEvent]) -> Timeline {
        let sar = matches!(base.limit(), Limit::Months(_));
        let mut t = Timeline {
            regime: base,
            received: None,
            start: None,
            clarification_since: None,
            fee_since: None,
            id_since: None,
            disregard: Vec::new(),
            pauses: Vec::new(),
            extended_on: None,
            notes: Vec::new(),
            warnings: Vec::new(),
        };
        for event in events {
            let date = event.date();
            let day = fmt_date(date);
            let mut note: Option<String> = None;
            match **event {
                ClockEvent::Received { .. } => {
                    if t.received.is_some() {
                        t.warnings.push(format!(
                            "a second date of receipt ({day}) is ignored; the first counts"
                        ));
                        continue;
                    }
                    note = Some(if sar {
                        "request received".into()
                    } else {
                        "request received: day 0".into()
                    });
                    t.received = Some(date);
                    t.start = Some(t.start.map_or(date, |s| s.max(date)));
                }
                ClockEvent::ClarificationSought { .. } => {
                    note = Some(if sar {
                        "clarification sought: the month is paused until it arrives".into()
                    } else {
                        "clarification sought: the clock stops; 20 working days start afresh when it arrives".into()
                    });
                    t.clarification_since.get_or_insert(date);
                }
                ClockEvent::ClarificationReceived { .. } => {
                    let since = t.clarification_since.take();
                    if sar {
                        match since {
                            Some(s) => {
                                note = Some(format!(
                                    "clarification received: paused from {} to {day} inclusive",
                                    fmt_date(s)
                                ));
                                t.pauses.push((s, date));
                            }
                            None => t.warnings.push(format!(
                                "clarification received on {day} but none was sought; no pause counted"
                            )),
                        }
                    } else {
                        if since.is_none() {
                            t.warnings.push(format!(
                                "clarification received on {day} but none was recorded as sought; the clock restarts anyway"
                            ));
                        }
                        note = Some("clarification received: new day 0, the clock restarts".into());
                        t.start = Some(date);
                    }
                }
                ClockEvent::FeesNoticeGiven { .. } => match t.regime.fee_rule() {
                    FeeRule::Disregard => {
                        note = Some(format!(
                            "fees notice given: working days are disregarded until the fee is received; unpaid, the request lapses on {}",
                            fmt_date(fee_lapse_date(date))
                        ));
                        t.fee_since.get_or_insert(date);
                    }
                    FeeRule::StartsOnPayment => {
                        note = Some("fee requested: the month starts when it is received".into());
                        t.fee_since.get_or_insert(date);
                    }
                    FeeRule::NotApplicable => t.warnings.push(format!(
                        "fees notice on {day} ignored: fees do not stop the {} clock here{}",
                        t.regime,
                        if matches!(t.regime, Regime::Eir | Regime::EirExtended) {
                            " (EIR reg 8 advance payment is not modelled)"
                        } else {
                            ""
                        }
                    )),
                },
                ClockEvent::FeeReceived { .. } => {
                    let rule = t.regime.fee_rule();
                    match (t.fee_since.take(), rule) {
                        (Some(since), FeeRule::Disregard) => {
                            note = Some(format!(
                                "fee received: working days from {} to {day} are disregarded",
                                fmt_date(since)
                            ));
                            if date >= fee_lapse_date(since) {
                                t.warnings.push(format!(
                                    "the fee arrived on {day}, after the {FEE_LAPSE_MONTHS}-month period ended; counted as paid"
                                ));
                            }
                            t.disregard.push((since, date));
                        }
                        (Some(_), _) => {
                            note = Some("fee received: the month starts".into());
                            t.start = Some(t.start.map_or(date, |s| s.max(date)));
                        }
                        (None, FeeRule::NotApplicable) => {}
                        (None, _) => t.warnings.push(format!(
                            "fee received on {day} with no fees notice outstanding; ignored"
                        )),
                    }
                }
                ClockEvent::Extended { to, .. } => {
                    if to == t.regime {
                        // The caller passed the already-extended regime: consistent.
                        t.extended_on.get_or_insert(date);
                    } else if t.regime.extension() == Some(to) {
                        note = Some(format!("extended: {} becomes {to}", t.regime));
                        t.regime = to;
                        t.extended_on = Some(date);
                    } else {
                        t.warnings.push(format!(
                            "extension on {day} ignored: {} cannot be extended to {to}",
                            t.regime
                        ));
                    }
                }
                ClockEvent::IdRequested { .. } => {
                    if sar {
                        note = Some(
                            "identity evidence requested: the month starts when it arrives".into(),
                        );
                        t.id_since.get_or_insert(date);
                    } else {
                        t.warnings.push(format!(
                            "identity request on {day} ignored: it only affects subject access requests"
                        ));
                    }
                }
                ClockEvent::IdReceived { .. } => {
                    if sar {
                        if t.id_since.take().is_none() {
                            t.warnings.push(format!(
                                "identity evidence received on {day} but none was recorded as requested"
                            ));
                        }
                        note = Some("identity evidence received: the month starts".into());
                        t.start = Some(t.start.map_or(date, |s| s.max(date)));
                    } else {
                        t.warnings.push(format!(
                            "identity evidence on {day} ignored: it only affects subject access requests"
                        ));
                    }
                }
            }
            if let Some(text) = note {
                t.notes.push(Step::Event { date, text });
            }
        }
        t
    }

    /// Stopped states take precedence: clarification, then identity, then fee.
    fn state(&self) -> ClockState {
        if let Some(since) = self.clarification_since {
            ClockState::AwaitingClarification { since }
        } else if let Some(since) = self.id_since {
            ClockState::AwaitingId { since }
        } else if let Some(since) = self.fee_since {
            let lapses_on =
                (self.regime.fee_rule() == FeeRule::Disregard).then(|| fee_lapse_date(since));
            ClockState::AwaitingFee { since, lapses_on }
        } else {
            ClockState::Running
        }
    }

    /// The earliest date from which the clock is stopped, if it is.
    fn stopped_from(&self) -> Option<Date> {
        [self.clarification_since, self.id_since, self.fee_since]
            .into_iter()
            .flatten()
            .min()
    }

    fn not_started(self, working_days: WorkingDays, today: Date) -> CaseClock {
        let mut warnings = self.warnings;
        warnings.push("no date of receipt recorded".into());
        CaseClock {
            regime: self.regime,
            working_days,
            start: None,
            due: None,
            target: None,
            working_days_left: None,
            state: ClockState::NotStarted,
            as_of: today,
            steps: self.notes,
            warnings,
        }
    }
}

fn working_day_clock(t: Timeline, region: Region, calendar: &Calendar, today: Date) -> CaseClock {
    let rule = t.regime.working_days(region);
    let (Some(start), Some(_)) = (t.start, t.received) else {
        return t.not_started(rule, today);
    };
    let Limit::WorkingDays(limit) = t.regime.limit() else {
        unreachable!("working-day regimes only extend to working-day regimes")
    };
    let stop = t.stopped_from();
    let state = t.state();
    let mut warnings = t.warnings;
    let mut notes = t.notes.into_iter().peekable();
    let mut steps = Vec::new();
    while let Some(n) = notes.next_if(|n| n.date() <= start) {
        steps.push(n);
    }

    let mut counted: Vec<Date> = Vec::new();
    let mut d = start;
    while counted.len() < limit as usize {
        d = next_day(d);
        if stop.is_some_and(|s| d >= s) {
            break;
        }
        while let Some(n) = notes.next_if(|n| n.date() <= d) {
            steps.push(n);
        }
        if let Some(reason) = calendar.non_working_reason(d, rule) {
            steps.push(Step::Skipped { date: d, reason });
        } else if t.disregard.iter().any(|(a, b)| (*a..=*b).contains(&d)) {
            steps.push(Step::Skipped {
                date: d,
                reason: "between the fees notice and the fee's receipt: disregarded".into(),
            });
        } else {
            counted.push(d);
            let n = counted.len() as u32;
            steps.push(Step::Counted { date: d, day: n });
            if n == STATUTORY_WORKING_DAYS && t.regime == Regime::Pit {
                steps.push(Step::Due {
                    date: d,
                    text: "statutory date: the 20th working day, for the refusal notice (s.17(1))"
                        .into(),
                });
            }
        }
    }
    let nth = |n: u32| counted.get(n as usize - 1).copied();
    let (due, target) = if t.regime == Regime::Pit {
        (nth(STATUTORY_WORKING_DAYS), nth(limit))
    } else {
        (nth(limit), None)
    };
    if let Some(date) = target {
        steps.push(Step::Due {
            date,
            text: "target: the 40th working day, for the public-interest decision (ICO; not statutory)"
                .into(),
        });
    } else if let (Some(date), false) = (due, t.regime == Regime::Pit) {
        steps.push(Step::Due {
            date,
            text: format!("due: the {} working day after day 0", ordinal(limit)),
        });
    }
    if let Some(s) = stop {
        if counted.len() < limit as usize {
            while let Some(n) = notes.next_if(|n| n.date() <= s) {
                steps.push(n);
            }
            steps.push(Step::Event {
                date: s,
                text: match state {
                    ClockState::AwaitingFee { .. } => format!(
                        "clock stopped with {} of {limit} working days used; it resumes the day after the fee is received",
                        counted.len()
                    ),
                    _ => "clock stopped: no due date until the clarification arrives".into(),
                },
            });
        } else {
            warnings.push(format!(
                "the clock was stopped on {}, after the period had already run out",
                fmt_date(s)
            ));
        }
    }
    steps.extend(notes);

    // A late extension notice is still recorded, but the officers should know.
    let extended = matches!(
        t.regime,
        Regime::EirExtended | Regime::Pit | Regime::ReviewExtended
    );
    if let Some(on) = t.extended_on.filter(|_| extended) {
        let original = nth(STATUTORY_WORKING_DAYS);
        if let Some(original) = original.filter(|o| on > *o) {
            let law = match t.regime {
                Regime::EirExtended => "EIR reg 7 requires notice within the first 20 working days",
                Regime::Pit => "the s.17(1) notice of the extension was due by day 20",
                _ => "the extension came after the original period ended",
            };
            warnings.push(format!(
                "extended on {}, after the original due date {}: {law}",
                fmt_date(on),
                fmt_date(original)
            ));
        }
    }
    CaseClock {
        regime: t.regime,
        working_days: rule,
        start: Some(start),
        due,
        target,
        working_days_left: None,
        state,
        as_of: today,
        steps,
        warnings,
    }
}

fn month_clock(t: Timeline, region: Region, calendar: &Calendar, today: Date) -> CaseClock {
    let rule = t.regime.working_days(region);
    let (Some(start), Some(received)) = (t.start, t.received) else {
        return t.not_started(rule, today);
    };
    let Limit::Months(months) = t.regime.limit() else {
        unreachable!("month regimes only extend to month regimes")
    };
    let state = t.state();
    let stopped_from = t.stopped_from();
    let mut steps = t.notes;
    let mut warnings = t.warnings;
    if state != ClockState::Running {
        steps.push(Step::Event {
            date: stopped_from.unwrap_or(start),
            text: "clock stopped: no due date until the awaited item arrives".into(),
        });
        return CaseClock {
            regime: t.regime,
            working_days: rule,
            start: Some(start),
            due: None,
            target: None,
            working_days_left: None,
            state,
            as_of: today,
            steps,
            warnings,
        };
    }
    if start != received {
        steps.push(Step::Event {
            date: start,
            text: "the month runs from here: the latest of receipt, identity evidence and fee"
                .into(),
        });
    }
    let period = if months == 1 {
        "one calendar month".to_string()
    } else {
        format!("{months} calendar months")
    };
    let (nominal, clamped) = add_months(start, months);
    steps.push(Step::Event {
        date: nominal,
        text: if clamped {
            format!(
                "{period} from {}: no day {} that month, so its last day",
                fmt_date(start),
                start.day()
            )
        } else {
            format!("{period} from {}: the same date", fmt_date(start))
        },
    });
    let paused: i64 = t
        .pauses
        .iter()
        .map(|(a, b)| {
            let a = (*a).max(start);
            if *b < a {
                0
            } else {
                i64::from(a.until(*b).expect("dates in range").get_days()) + 1
            }
        })
        .sum();
    let mut d = nominal;
    if paused > 0 {
        d = nominal + paused.days();
        steps.push(Step::Event {
            date: d,
            text: format!("plus {paused} calendar days paused awaiting clarification"),
        });
    }
    let mut rolled = false;
    while let Some(reason) = calendar.non_working_reason(d, rule) {
        steps.push(Step::Skipped { date: d, reason });
        d = next_day(d);
        rolled = true;
    }
    steps.push(Step::Due {
        date: d,
        text: if rolled {
            format!("due: the next working day in {region}")
        } else {
            "due".into()
        },
    });
    steps.sort_by_key(|s| s.date());

    if let Some(on) = t.extended_on.filter(|_| months > 1) {
        let (one_month, _) = add_months(start, 1);
        let one_month = calendar.working_day_on_or_after(one_month + paused.days(), rule);
        if on > one_month {
            warnings.push(format!(
                "extended on {}, after the first month ended ({}): notice is due within the first month",
                fmt_date(on),
                fmt_date(one_month)
            ));
        }
    }
    CaseClock {
        regime: t.regime,
        working_days: rule,
        start: Some(start),
        due: Some(d),
        target: None,
        working_days_left: None,
        state,
        as_of: today,
        steps,
        warnings,
    }
}

/// The corresponding date `months` later, or that month's last day (ICO
/// method, R8); the flag says the day was clamped.
fn add_months(date: Date, months: i8) -> (Date, bool) {
    let total = i32::from(date.month()) - 1 + i32::from(months);
    let year = date.year() + (total.div_euclid(12)) as i16;
    let month = (total.rem_euclid(12) + 1) as i8;
    let first = Date::new(year, month, 1).expect("date in range");
    let last = first.days_in_month();
    if date.day() <= last {
        (Date::new(year, month, date.day()).expect("day fits"), false)
    } else {
        (first.last_of_month(), true)
    }
}

/// The day a fee notice given on `notice` lapses if unpaid ([`FEE_LAPSE_MONTHS`]).
pub fn fee_lapse_date(notice: Date) -> Date {
    match add_months(notice, FEE_LAPSE_MONTHS) {
        (corresponding, false) => corresponding,
        (last_day, true) => next_day(last_day),
    }
}

fn next_day(d: Date) -> Date {
    d.tomorrow().expect("dates stay well inside jiff's range")
}

fn fmt_date(d: Date) -> String {
    d.strftime("%a %-d %b %Y").to_string()
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cal() -> Calendar {
        Calendar::shipped()
    }

    fn received(d: Date) -> ClockEvent {
        ClockEvent::Received { date: d }
    }

    const EW: Region = Region::EnglandAndWales;

    #[test]
    fn regime_names_round_trip() {
        for r in Regime::ALL {
            assert_eq!(r.to_string().parse::<Regime>().unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{r}\""));
            assert_eq!(serde_json::from_str::<Regime>(&json).unwrap(), r);
        }
        let err = "fooi".parse::<Regime>().unwrap_err().to_string();
        assert!(
            err.contains("'fooi'") && err.contains("eir-extended"),
            "{err}"
        );
    }

    #[test]
    fn events_serialise_with_a_kind_tag() {
        let e = ClockEvent::Extended {
            date: date(2025, 3, 4),
            to: Regime::Pit,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"extended","date":"2025-03-04","to":"pit"}"#
        );
        assert_eq!(serde_json::from_str::<ClockEvent>(&json).unwrap(), e);
        let e: ClockEvent =
            serde_json::from_str(r#"{"kind":"fees_notice_given","date":"2025-01-02"}"#).unwrap();
        assert_eq!(
            e,
            ClockEvent::FeesNoticeGiven {
                date: date(2025, 1, 2)
            }
        );
    }

    #[test]
    fn receipt_date_uses_the_council_time_zone() {
        let london = TimeZone::get(DEFAULT_TIME_ZONE).unwrap();
        let posix = TimeZone::posix("GMT0BST,M3.5.0/1,M10.5.0").unwrap();
        for tz in [&london, &posix] {
            // Summer: 23:30 UTC on Thursday 10 July 2025 is Friday 00:30 BST.
            let ts: Timestamp = "2025-07-10T23:30:00Z".parse().unwrap();
            assert_eq!(date_of_receipt(ts, tz), date(2025, 7, 11));
            // Winter: 23:30 UTC is 23:30 GMT, the same day.
            let ts: Timestamp = "2025-01-09T23:30:00Z".parse().unwrap();
            assert_eq!(date_of_receipt(ts, tz), date(2025, 1, 9));
            // Clocks go forward on Sun 30 Mar 2025 at 01:00 UTC.
            let ts: Timestamp = "2025-03-29T23:59:59Z".parse().unwrap();
            assert_eq!(date_of_receipt(ts, tz), date(2025, 3, 29));
            let ts: Timestamp = "2025-03-30T23:00:00Z".parse().unwrap();
            assert_eq!(date_of_receipt(ts, tz), date(2025, 3, 31));
            // Clocks go back on Sun 26 Oct 2025 at 01:00 UTC.
            let ts: Timestamp = "2025-10-25T23:00:00Z".parse().unwrap();
            assert_eq!(date_of_receipt(ts, tz), date(2025, 10, 26));
            let ts: Timestamp = "2025-10-26T23:00:00Z".parse().unwrap();
            assert_eq!(date_of_receipt(ts, tz), date(2025, 10, 26));
        }
        // Summer 23:30 UTC Thursday -> Friday receipt -> due date moves.
        let ts: Timestamp = "2025-07-10T23:30:00Z".parse().unwrap();
        let d = date_of_receipt(ts, &london);
        // (Boyne substitute Mon 14 Jul is skipped either way.)
        assert_eq!(due_date(Regime::Foi, EW, d, &cal()), date(2025, 8, 12));
        assert_eq!(
            due_date(Regime::Foi, EW, date(2025, 7, 10), &cal()),
            date(2025, 8, 11)
        );
    }

    #[test]
    fn each_regime() {
        let c = cal();
        let r = date(2025, 3, 3); // Monday
                                  // UK-wide working days skip St Patrick's Day (Mon 17 Mar); FOISA does not.
        assert_eq!(due_date(Regime::Foi, EW, r, &c), date(2025, 4, 1));
        assert_eq!(due_date(Regime::Eir, EW, r, &c), date(2025, 4, 1));
        assert_eq!(due_date(Regime::Review, EW, r, &c), date(2025, 4, 1));
        assert_eq!(
            due_date(Regime::Foisa, Region::Scotland, r, &c),
            date(2025, 3, 31)
        );
        assert_eq!(
            due_date(Regime::FoisaReview, Region::Scotland, r, &c),
            date(2025, 3, 31)
        );
        // 40: Good Friday 18 Apr, Easter Monday 21 Apr, early May 5 May.
        assert_eq!(due_date(Regime::EirExtended, EW, r, &c), date(2025, 5, 1));
        assert_eq!(
            due_date(Regime::ReviewExtended, EW, r, &c),
            date(2025, 5, 1)
        );
        assert_eq!(due_date(Regime::Pit, EW, r, &c), date(2025, 5, 1));
        assert_eq!(due_date(Regime::Sar, EW, r, &c), date(2025, 4, 3));
        assert_eq!(due_date(Regime::SarExtended, EW, r, &c), date(2025, 6, 3));
        // FOISA ignores the council's region.
        assert_eq!(due_date(Regime::Foisa, EW, r, &c), date(2025, 3, 31));
    }

    #[test]
    fn pit_has_statutory_date_and_target() {
        let c = cal();
        let r = date(2025, 3, 3);
        let events = [
            received(r),
            ClockEvent::Extended {
                date: date(2025, 3, 20),
                to: Regime::Pit,
            },
        ];
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2025, 4, 1));
        assert_eq!(clock.regime, Regime::Pit);
        assert_eq!(clock.due, Some(date(2025, 4, 1)));
        assert_eq!(clock.target, Some(date(2025, 5, 1)));
        assert_eq!(clock.deadline(), Some(date(2025, 5, 1)));
        assert!(!clock.is_overdue());
        assert!(clock.warnings.is_empty(), "{:?}", clock.warnings);
        // Extending after day 20 is flagged.
        let late = [
            received(r),
            ClockEvent::Extended {
                date: date(2025, 4, 2),
                to: Regime::Pit,
            },
        ];
        let clock = case_clock(Regime::Foi, EW, &late, &c, date(2025, 4, 1));
        assert_eq!(clock.target, Some(date(2025, 5, 1)));
        assert!(
            clock.warnings[0].contains("s.17(1)"),
            "{:?}",
            clock.warnings
        );
        // The caller may pass the already-extended regime: same result, no warning.
        let clock = case_clock(Regime::Pit, EW, &events, &c, date(2025, 4, 1));
        assert_eq!(
            (clock.due, clock.target),
            (Some(date(2025, 4, 1)), Some(date(2025, 5, 1)))
        );
        assert!(clock.warnings.is_empty(), "{:?}", clock.warnings);
        // A fees notice after day 20 stops the target but is not "overdue".
        let mut stopped = events.to_vec();
        stopped.push(ClockEvent::FeesNoticeGiven {
            date: date(2025, 4, 10),
        });
        let clock = case_clock(Regime::Foi, EW, &stopped, &c, date(2025, 4, 11));
        assert_eq!(clock.due, Some(date(2025, 4, 1)));
        assert_eq!(clock.target, None);
        assert_eq!(clock.deadline(), None);
        assert_eq!(clock.working_days_left, None);
        assert!(!clock.is_overdue());
    }

    #[test]
    fn eir_extension_and_invalid_extensions() {
        let c = cal();
        let r = date(2020, 4, 3);
        let ext = |to| ClockEvent::Extended {
            date: date(2020, 4, 20),
            to,
        };
        let clock = case_clock(
            Regime::Eir,
            EW,
            &[received(r), ext(Regime::EirExtended)],
            &c,
            r,
        );
        assert_eq!(clock.due, Some(date(2020, 6, 4)));
        assert_eq!(clock.target, None);
        let clock = case_clock(
            Regime::Eir,
            EW,
            &[received(r), ext(Regime::SarExtended)],
            &c,
            r,
        );
        assert_eq!(clock.due, Some(date(2020, 5, 5)));
        assert!(
            clock.warnings[0].contains("cannot be extended"),
            "{:?}",
            clock.warnings
        );
        let clock = case_clock(
            Regime::Review,
            EW,
            &[received(r), ext(Regime::ReviewExtended)],
            &c,
            r,
        );
        assert_eq!(clock.regime, Regime::ReviewExtended);
        assert_eq!(clock.due, Some(date(2020, 6, 4)));
        // FOISA has no extension.
        let clock = case_clock(
            Regime::Foisa,
            Region::Scotland,
            &[received(r), ext(Regime::Pit)],
            &c,
            r,
        );
        assert_eq!(clock.regime, Regime::Foisa);
        assert_eq!(clock.warnings.len(), 1);
    }

    #[test]
    fn clarification_restarts_the_working_day_clock() {
        let c = cal();
        let events = [
            received(date(2025, 6, 2)),
            ClarificationSought(date(2025, 6, 4)),
        ];
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2025, 6, 10));
        assert_eq!(
            clock.state,
            ClockState::AwaitingClarification {
                since: date(2025, 6, 4)
            }
        );
        assert_eq!(clock.due, None);
        assert_eq!(clock.working_days_left, None);
        assert!(clock.explain().contains("awaiting clarification"));
        let mut events = events.to_vec();
        events.push(ClockEvent::ClarificationReceived {
            date: date(2025, 6, 21),
        }); // Saturday
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2025, 6, 23));
        assert_eq!(clock.state, ClockState::Running);
        assert_eq!(clock.start, Some(date(2025, 6, 21)));
        // Same as a fresh request received on the Saturday (Boyne substitute Mon 14 Jul).
        assert_eq!(clock.due, Some(date(2025, 7, 21)));
        assert_eq!(clock.working_days_left, Some(19)); // Monday 23 Jun is day 1
    }

    #[allow(non_snake_case)]
    fn ClarificationSought(d: Date) -> ClockEvent {
        ClockEvent::ClarificationSought { date: d }
    }

    #[test]
    fn fee_days_are_disregarded() {
        let c = cal();
        // Received Mon 2 Jun 2025 (day 0); day 1 Tue 3 Jun. Notice Mon 9 Jun
        // after 4 working days; fee received Fri 13 Jun: 9-13 Jun disregarded.
        let mut events = vec![
            received(date(2025, 6, 2)),
            ClockEvent::FeesNoticeGiven {
                date: date(2025, 6, 9),
            },
        ];
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2025, 6, 10));
        assert_eq!(
            clock.state,
            ClockState::AwaitingFee {
                since: date(2025, 6, 9),
                lapses_on: Some(date(2025, 9, 9))
            }
        );
        assert_eq!(clock.due, None);
        assert!(
            clock.explain().contains("4 of 20 working days used"),
            "{}",
            clock.explain()
        );
        events.push(ClockEvent::FeeReceived {
            date: date(2025, 6, 13),
        });
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2025, 6, 13));
        // Without the fee: 30 Jun. With 5 working days disregarded: 7 Jul.
        assert_eq!(
            due_date(Regime::Foi, EW, date(2025, 6, 2), &c),
            date(2025, 6, 30)
        );
        assert_eq!(clock.due, Some(date(2025, 7, 7)));
        let skipped = clock
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Skipped { reason, .. } if reason.contains("fees notice")))
            .count();
        assert_eq!(skipped, 5);
        // FOISA disregards fee days too; EIR does not pause.
        let clock = case_clock(Regime::Eir, EW, &events, &c, date(2025, 6, 13));
        assert_eq!(clock.due, Some(date(2025, 6, 30)));
        assert_eq!(clock.warnings.len(), 1, "{:?}", clock.warnings);
        let clock = case_clock(
            Regime::Foisa,
            Region::Scotland,
            &events,
            &c,
            date(2025, 6, 13),
        );
        assert_eq!(clock.due, Some(date(2025, 7, 7)));
    }

    #[test]
    fn unpaid_fee_lapses_after_three_months() {
        let c = cal();
        let events = [
            received(date(2025, 11, 3)),
            ClockEvent::FeesNoticeGiven {
                date: date(2025, 11, 30),
            },
        ];
        // 30 Nov + 3 months: no 30 Feb, so the period ends 28 Feb and lapses 1 Mar.
        assert_eq!(fee_lapse_date(date(2025, 11, 30)), date(2026, 3, 1));
        assert_eq!(fee_lapse_date(date(2025, 1, 10)), date(2025, 4, 10));
        assert_eq!(fee_lapse_date(date(2023, 11, 29)), date(2024, 2, 29));
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2026, 2, 28));
        assert!(matches!(clock.state, ClockState::AwaitingFee { .. }));
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2026, 3, 1));
        assert_eq!(
            clock.state,
            ClockState::Lapsed {
                on: date(2026, 3, 1)
            }
        );
        assert_eq!(clock.working_days_left, None);
        assert!(clock.explain().contains("lapsed"));
        // A late payment is still honoured, with a warning.
        let mut paid = events.to_vec();
        paid.push(ClockEvent::FeeReceived {
            date: date(2026, 3, 2),
        });
        let clock = case_clock(Regime::Foi, EW, &paid, &c, date(2026, 3, 2));
        assert_eq!(clock.state, ClockState::Running);
        assert!(clock.warnings[0].contains("after the 3-month period"));
    }

    #[test]
    fn sar_events() {
        let c = cal();
        let r = date(2025, 9, 3);
        // ID requested then received: the month runs from the ID's arrival.
        let mut events = vec![
            received(r),
            ClockEvent::IdRequested {
                date: date(2025, 9, 4),
            },
        ];
        let clock = case_clock(Regime::Sar, EW, &events, &c, date(2025, 9, 5));
        assert_eq!(
            clock.state,
            ClockState::AwaitingId {
                since: date(2025, 9, 4)
            }
        );
        assert_eq!(clock.due, None);
        events.push(ClockEvent::IdReceived {
            date: date(2025, 9, 10),
        });
        let clock = case_clock(Regime::Sar, EW, &events, &c, date(2025, 9, 10));
        assert_eq!(clock.start, Some(date(2025, 9, 10)));
        assert_eq!(clock.due, Some(date(2025, 10, 10)));
        // Fee: month starts when it is paid.
        let events = [
            received(r),
            ClockEvent::FeesNoticeGiven { date: r },
            ClockEvent::FeeReceived {
                date: date(2025, 9, 12),
            },
        ];
        let clock = case_clock(Regime::Sar, EW, &events, &c, r);
        assert_eq!(clock.due, Some(date(2025, 10, 13))); // 12 Oct is a Sunday
                                                         // Clarification pause: 5 to 9 Sep inclusive = 5 days -> 3 Oct + 5 = 8 Oct.
        let events = [
            received(r),
            ClarificationSought(date(2025, 9, 5)),
            ClockEvent::ClarificationReceived {
                date: date(2025, 9, 9),
            },
        ];
        let clock = case_clock(Regime::Sar, EW, &events, &c, r);
        assert_eq!(clock.due, Some(date(2025, 10, 8)));
        // Extension: three months from the same start.
        let events = [
            received(date(2027, 1, 31)),
            ClockEvent::Extended {
                date: date(2027, 2, 10),
                to: Regime::SarExtended,
            },
        ];
        let clock = case_clock(Regime::Sar, EW, &events, &c, date(2027, 2, 10));
        assert_eq!(clock.due, Some(date(2027, 4, 30)));
        assert!(clock.warnings.is_empty());
        // Extending after the first month (due Mon 1 Mar 2027) is flagged.
        let late = [
            received(date(2027, 1, 31)),
            ClockEvent::Extended {
                date: date(2027, 3, 2),
                to: Regime::SarExtended,
            },
        ];
        let clock = case_clock(Regime::Sar, EW, &late, &c, date(2027, 3, 2));
        assert_eq!(clock.due, Some(date(2027, 4, 30)));
        assert!(
            clock.warnings[0].contains("first month"),
            "{:?}",
            clock.warnings
        );
        // ID events on a FOI request are ignored with a warning.
        let events = [received(r), ClockEvent::IdRequested { date: r }];
        let clock = case_clock(Regime::Foi, EW, &events, &c, r);
        assert_eq!(clock.state, ClockState::Running);
        assert_eq!(clock.warnings.len(), 1);
    }

    #[test]
    fn sar_leap_years_and_holidays() {
        let c = cal();
        assert_eq!(
            due_date(Regime::Sar, EW, date(2028, 1, 31), &c),
            date(2028, 2, 29)
        );
        assert_eq!(
            due_date(Regime::Sar, EW, date(2027, 1, 29), &c),
            date(2027, 3, 1)
        );
        // 29 Feb 2024 -> 29 Mar 2024 is Good Friday; E&W also has Easter Monday.
        assert_eq!(
            due_date(Regime::Sar, EW, date(2024, 2, 29), &c),
            date(2024, 4, 2)
        );
        assert_eq!(
            due_date(Regime::Sar, Region::Scotland, date(2024, 2, 29), &c),
            date(2024, 4, 1)
        );
        // Over a year end.
        assert_eq!(
            due_date(Regime::SarExtended, EW, date(2025, 11, 30), &c),
            date(2026, 3, 2)
        );
        assert_eq!(
            add_months(date(2025, 12, 31), 1),
            (date(2026, 1, 31), false)
        );
        assert_eq!(add_months(date(2025, 11, 30), 3), (date(2026, 2, 28), true));
    }

    #[test]
    fn working_days_left_and_overdue() {
        let c = cal();
        let events = [received(date(2019, 3, 15))]; // due Mon 15 Apr 2019
        let left = |today| case_clock(Regime::Foi, EW, &events, &c, today).working_days_left;
        assert_eq!(left(date(2019, 3, 15)), Some(20));
        assert_eq!(left(date(2019, 4, 12)), Some(1));
        assert_eq!(left(date(2019, 4, 13)), Some(0)); // Saturday: next working day is the due day
        assert_eq!(left(date(2019, 4, 15)), Some(0));
        assert_eq!(left(date(2019, 4, 16)), Some(-1));
        assert_eq!(left(date(2019, 4, 20)), Some(-4)); // Good Friday 19 Apr not counted
        assert_eq!(left(date(2019, 4, 22)), Some(-4)); // Easter Monday
        assert!(case_clock(Regime::Foi, EW, &events, &c, date(2019, 4, 16)).is_overdue());
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2019, 4, 16));
        assert!(
            clock.explain().contains("overdue by 1 working day"),
            "{}",
            clock.explain()
        );
    }

    #[test]
    fn explanation_names_each_skipped_day() {
        let c = cal();
        let clock = case_clock(
            Regime::Foi,
            EW,
            &[received(date(2019, 3, 15))],
            &c,
            date(2019, 3, 15),
        );
        let text = clock.explain();
        assert!(text.starts_with("foi: due Mon 15 Apr 2019"), "{text}");
        assert!(
            text.contains("Fri 15 Mar 2019  request received: day 0"),
            "{text}"
        );
        assert!(
            text.contains("Sat 16 Mar 2019  not counted: Saturday"),
            "{text}"
        );
        assert!(text.contains(
            "Mon 18 Mar 2019  not counted: St Patrick’s Day (substitute day) (northern-ireland)"
        ), "{text}");
        assert!(text.contains("Tue 19 Mar 2019  working day 1"), "{text}");
        assert!(
            text.contains("Mon 15 Apr 2019  due: the 20th working day after day 0"),
            "{text}"
        );
        let counted = clock
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Counted { .. }))
            .count();
        assert_eq!(counted, 20);
        // Steps are in date order.
        assert!(clock.steps.windows(2).all(|w| w[0].date() <= w[1].date()));
        let json = serde_json::to_string(&clock).unwrap();
        assert!(json.contains(r#""step":"skipped""#), "{json}");
    }

    #[test]
    fn missing_or_repeated_receipt() {
        let c = cal();
        let clock = case_clock(Regime::Foi, EW, &[], &c, date(2025, 1, 1));
        assert_eq!(clock.state, ClockState::NotStarted);
        assert_eq!(clock.due, None);
        let clock = case_clock(Regime::Sar, EW, &[], &c, date(2025, 1, 1));
        assert_eq!(clock.state, ClockState::NotStarted);
        let events = [received(date(2025, 6, 2)), received(date(2025, 6, 9))];
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2025, 6, 2));
        assert_eq!(clock.due, Some(date(2025, 6, 30)));
        assert_eq!(clock.warnings.len(), 1);
        // Order of the slice does not matter.
        let events = [
            ClockEvent::FeeReceived {
                date: date(2025, 6, 13),
            },
            received(date(2025, 6, 2)),
            ClockEvent::FeesNoticeGiven {
                date: date(2025, 6, 9),
            },
        ];
        let clock = case_clock(Regime::Foi, EW, &events, &c, date(2025, 6, 13));
        assert_eq!(clock.due, Some(date(2025, 7, 7)));
    }

    #[test]
    fn recompute_reports_moved_due_dates() {
        let old = cal();
        let mut new = cal();
        new.add_day(Region::Scotland, date(2031, 6, 16), "Proclaimed day");
        let cases = vec![
            ("A", Regime::Foi, EW, vec![received(date(2031, 6, 2))]),
            (
                "B",
                Regime::Foisa,
                Region::Scotland,
                vec![received(date(2031, 6, 2))],
            ),
            // SAR in E&W: Scottish days do not roll it.
            ("C", Regime::Sar, EW, vec![received(date(2031, 5, 16))]),
            ("D", Regime::Foi, EW, vec![received(date(2031, 8, 1))]),
            ("E", Regime::Pit, EW, vec![received(date(2031, 6, 2))]),
        ];
        let changes = recompute_changes(&old, &new, &cases, date(2031, 6, 3));
        let ids: Vec<&str> = changes.iter().map(|c| c.case).collect();
        assert_eq!(ids, ["A", "B", "E"]);
        assert_eq!(changes[0].old_due, Some(date(2031, 6, 30)));
        assert_eq!(changes[0].new_due, Some(date(2031, 7, 1)));
        assert!(changes[2].old_target < changes[2].new_target);
        assert_eq!(changes[2].new_due, Some(date(2031, 7, 1)));
        assert!(recompute_changes(&old, &old, &cases, date(2031, 6, 3)).is_empty());
    }
}
