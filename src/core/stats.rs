//! The figures a council reports and publishes: requests received and
//! answered per month and regime, timeliness, working days to answer,
//! outcomes per request and per question, internal reviews and flags.
//!
//! Pure: the shell hands over each case with its clock computed from its
//! events (as of the day it closed, or today while open), so "overdue" and
//! "on time" mean here what they mean in `foid show` and the digest.
//!
//! Cases are counted by their date of receipt: a report for a quarter is
//! about the requests received in it, and how they were dealt with, which
//! is the shape of the Cabinet Office's published FOI statistics.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use super::calendar::Calendar;
use super::case::{Closure, Outcome};
use super::clock::{CaseClock, Regime};

/// One case as the statistics see it.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub regime: Regime,
    /// An internal review (reported apart from the requests).
    pub is_review: bool,
    pub received_on: Date,
    /// `None` while open.
    pub closed: Option<(Date, Closure)>,
    /// The case's clock as of the day it closed, or as of today while open.
    pub clock: CaseClock,
    /// The recorded outcome of each question (empty until answered).
    pub outcomes: Vec<Outcome>,
    /// Kinds of the flags raised on the case.
    pub flags: Vec<String>,
}

/// Which cases a report covers, by date of receipt (both ends included).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Period {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl Period {
    pub fn contains(&self, date: Date) -> bool {
        self.from.is_none_or(|f| date >= f) && self.to.is_none_or(|t| date <= t)
    }
}

/// Counts and timeliness for a set of cases.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub received: usize,
    pub open: usize,
    pub overdue: usize,
    /// Closed with a reply sent.
    pub answered: usize,
    pub answered_on_time: usize,
    /// Answered on time as a share of answered, in per cent.
    pub timeliness_percent: Option<f64>,
    /// Closed by an officer without a reply (withdrawn, lapsed).
    pub closed_without_reply: usize,
    /// Imported past requests, whose response is not known.
    pub history: usize,
    /// Working days from the clock's start to the reply, over answered cases.
    pub median_working_days: Option<i32>,
    pub p90_working_days: Option<i32>,
    #[serde(skip)]
    days_to_answer: Vec<i32>,
}

/// A month's figures for one regime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthFigures {
    /// `YYYY-MM`, the month of receipt.
    pub month: String,
    pub regime: &'static str,
    #[serde(flatten)]
    pub figures: Figures,
}

/// What became of the request as a whole, in the categories of the Cabinet
/// Office's FOI statistics.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RequestOutcome {
    /// Everything held was given (questions not held aside).
    GrantedInFull,
    /// Some information given, some withheld.
    PartiallyWithheld,
    /// Everything held was withheld.
    WithheldInFull,
    /// None of it is held.
    NotHeld,
    /// The request refused as a whole: s.12 cost, s.14 vexatious or repeated.
    Refused { section: String },
    /// Answered with no outcome recorded per question.
    NotRecorded,
}

impl RequestOutcome {
    pub fn of(outcomes: &[Outcome]) -> RequestOutcome {
        if let Some(section) = outcomes.iter().find_map(|o| match o {
            Outcome::Refused { section } => Some(section.clone()),
            _ => None,
        }) {
            return RequestOutcome::Refused { section };
        }
        if outcomes.is_empty() {
            return RequestOutcome::NotRecorded;
        }
        let given = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Answered))
            .count();
        // s.21 is an exemption: the information is withheld because it is
        // already reasonably accessible, and counted as withheld.
        let withheld = outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Outcome::Exempt { .. } | Outcome::Published { .. } | Outcome::Cost
                )
            })
            .count();
        match (given, withheld) {
            (_, 0) if given > 0 => RequestOutcome::GrantedInFull,
            (0, 0) => RequestOutcome::NotHeld,
            (0, _) if outcomes.iter().all(|o| matches!(o, Outcome::Cost)) => {
                RequestOutcome::Refused {
                    section: "s.12".into(),
                }
            }
            (0, _) => RequestOutcome::WithheldInFull,
            _ => RequestOutcome::PartiallyWithheld,
        }
    }

    pub fn label(&self) -> String {
        match self {
            RequestOutcome::GrantedInFull => "granted in full".into(),
            RequestOutcome::PartiallyWithheld => "partially withheld".into(),
            RequestOutcome::WithheldInFull => "withheld in full".into(),
            RequestOutcome::NotHeld => "not held".into(),
            RequestOutcome::Refused { section } => format!("refused {section}"),
            RequestOutcome::NotRecorded => "not recorded".into(),
        }
    }
}

/// The section a question's outcome relies on, for "refused by section".
fn section_of(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Exempt { section } | Outcome::Refused { section } => Some(section.clone()),
        Outcome::Published { .. } => Some("s.21".into()),
        Outcome::Cost => Some("s.12".into()),
        Outcome::Answered | Outcome::NotHeld => None,
    }
}

/// Internal reviews received in the period and what they decided.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReviewFigures {
    #[serde(flatten)]
    pub figures: Figures,
    /// The review's reply, by the same categories as a request's.
    pub outcomes: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub period: Period,
    /// The day open cases' clocks were read on.
    pub as_of: Date,
    /// Requests (internal reviews apart).
    pub totals: Figures,
    pub by_regime: BTreeMap<&'static str, Figures>,
    pub by_month: Vec<MonthFigures>,
    /// Answered requests by outcome.
    pub request_outcomes: BTreeMap<String, usize>,
    /// Questions of answered requests by outcome.
    pub question_outcomes: BTreeMap<String, usize>,
    /// Questions refused or withheld, by the section relied on.
    pub sections: BTreeMap<String, usize>,
    pub reviews: ReviewFigures,
    pub flags: BTreeMap<String, usize>,
}

/// The regime a case is reported under: an extension stays with its
/// request's regime (a PIT extension is still an FOI request).
pub fn reported_regime(regime: Regime) -> &'static str {
    match regime {
        Regime::Foi | Regime::Pit => "foi",
        Regime::Eir | Regime::EirExtended => "eir",
        Regime::Sar | Regime::SarExtended => "sar",
        Regime::Review | Regime::ReviewExtended => "review",
        Regime::Foisa => "foisa",
        Regime::FoisaReview => "foisa-review",
    }
}

impl Figures {
    fn add(&mut self, case: &CaseFacts, calendar: &Calendar) {
        self.received += 1;
        match case.closed {
            None => {
                self.open += 1;
                if case.clock.is_overdue() {
                    self.overdue += 1;
                }
            }
            Some((_, Closure::History)) => self.history += 1,
            Some((_, Closure::ClosedByOfficer)) => self.closed_without_reply += 1,
            Some((closed_on, Closure::Answered)) => {
                self.answered += 1;
                // The clock read on the day of the reply: not overdue then
                // is on time.
                if !case.clock.is_overdue() {
                    self.answered_on_time += 1;
                }
                let start = case.clock.start.unwrap_or(case.received_on);
                self.days_to_answer.push(calendar.working_days_between(
                    start,
                    closed_on,
                    case.clock.working_days,
                ));
            }
        }
    }

    fn finish(&mut self) {
        self.timeliness_percent = (self.answered > 0)
            .then(|| self.answered_on_time as f64 / self.answered as f64 * 100.0);
        self.days_to_answer.sort_unstable();
        self.median_working_days = percentile(&self.days_to_answer, 50);
        self.p90_working_days = percentile(&self.days_to_answer, 90);
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[i32], p: usize) -> Option<i32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The report over the cases received within `period`.
pub fn report(cases: &[CaseFacts], period: Period, as_of: Date, calendar: &Calendar) -> Report {
    let mut totals = Figures::default();
    let mut by_regime: BTreeMap<&'static str, Figures> = BTreeMap::new();
    let mut by_month: BTreeMap<(String, &'static str), Figures> = BTreeMap::new();
    let mut request_outcomes = BTreeMap::new();
    let mut question_outcomes = BTreeMap::new();
    let mut sections = BTreeMap::new();
    let mut reviews = ReviewFigures::default();
    let mut flags = BTreeMap::new();
    for case in cases.iter().filter(|c| period.contains(c.received_on)) {
        for kind in &case.flags {
            *flags.entry(kind.clone()).or_insert(0) += 1;
        }
        let answered = matches!(case.closed, Some((_, Closure::Answered)));
        if case.is_review {
            reviews.figures.add(case, calendar);
            if answered {
                *reviews
                    .outcomes
                    .entry(RequestOutcome::of(&case.outcomes).label())
                    .or_insert(0) += 1;
            }
            continue;
        }
        let regime = reported_regime(case.regime);
        totals.add(case, calendar);
        by_regime.entry(regime).or_default().add(case, calendar);
        let month = format!(
            "{:04}-{:02}",
            case.received_on.year(),
            case.received_on.month()
        );
        by_month
            .entry((month, regime))
            .or_default()
            .add(case, calendar);
        if answered {
            *request_outcomes
                .entry(RequestOutcome::of(&case.outcomes).label())
                .or_insert(0) += 1;
            for outcome in &case.outcomes {
                *question_outcomes.entry(outcome.label()).or_insert(0) += 1;
                if let Some(section) = section_of(outcome) {
                    *sections.entry(section).or_insert(0) += 1;
                }
            }
        }
    }
    totals.finish();
    reviews.figures.finish();
    by_regime.values_mut().for_each(Figures::finish);
    Report {
        period,
        as_of,
        totals,
        by_regime,
        by_month: by_month
            .into_iter()
            .map(|((month, regime), mut figures)| {
                figures.finish();
                MonthFigures {
                    month,
                    regime,
                    figures,
                }
            })
            .collect(),
        request_outcomes,
        question_outcomes,
        sections,
        reviews,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::core::calendar::Region;
    use crate::core::clock::{case_clock, ClockEvent};

    fn calendar() -> Calendar {
        Calendar::shipped()
    }

    /// A case received on `received`, closed as `closed` (or open), its
    /// clock read as of the closing day or `today`.
    fn case(
        regime: Regime,
        received: Date,
        closed: Option<(Date, Closure)>,
        today: Date,
        outcomes: Vec<Outcome>,
    ) -> CaseFacts {
        let events = [ClockEvent::Received { date: received }];
        let as_of = closed.map_or(today, |(d, _)| d);
        CaseFacts {
            regime,
            is_review: matches!(regime, Regime::Review),
            received_on: received,
            closed,
            clock: case_clock(regime, Region::EnglandAndWales, &events, &calendar(), as_of),
            outcomes,
            flags: vec![],
        }
    }

    #[test]
    fn request_outcomes_follow_the_cabinet_office_categories() {
        let exempt = || Outcome::Exempt {
            section: "s40(2)".into(),
        };
        use Outcome::*;
        assert_eq!(
            RequestOutcome::of(&[Answered, NotHeld]),
            RequestOutcome::GrantedInFull
        );
        assert_eq!(
            RequestOutcome::of(&[Answered, exempt()]),
            RequestOutcome::PartiallyWithheld
        );
        assert_eq!(
            RequestOutcome::of(&[exempt(), NotHeld]),
            RequestOutcome::WithheldInFull
        );
        assert_eq!(
            RequestOutcome::of(&[NotHeld, NotHeld]),
            RequestOutcome::NotHeld
        );
        assert_eq!(RequestOutcome::of(&[Cost, Cost]).label(), "refused s.12");
        assert_eq!(
            RequestOutcome::of(&[
                Answered,
                Refused {
                    section: "s.14(1)".into()
                }
            ])
            .label(),
            "refused s.14(1)"
        );
        assert_eq!(
            RequestOutcome::of(&[Published { url: "u".into() }]),
            RequestOutcome::WithheldInFull
        );
        assert_eq!(RequestOutcome::of(&[]), RequestOutcome::NotRecorded);
    }

    #[test]
    fn figures_by_hand() {
        let today = date(2026, 3, 20);
        let cases = vec![
            // Received Mon 5 Jan, answered Fri 16 Jan: day 9, on time.
            case(
                Regime::Foi,
                date(2026, 1, 5),
                Some((date(2026, 1, 16), Closure::Answered)),
                today,
                vec![Outcome::Answered, Outcome::NotHeld],
            ),
            // Received Mon 5 Jan, due Mon 2 Feb (day 20), answered Wed 4
            // Feb: day 22, late.
            case(
                Regime::Foi,
                date(2026, 1, 5),
                Some((date(2026, 2, 4), Closure::Answered)),
                today,
                vec![
                    Outcome::Answered,
                    Outcome::Exempt {
                        section: "s43(2)".into(),
                    },
                ],
            ),
            // EIR received Mon 2 Feb, answered Mon 2 Mar: day 20, on time.
            case(
                Regime::Eir,
                date(2026, 2, 2),
                Some((date(2026, 3, 2), Closure::Answered)),
                today,
                vec![Outcome::Cost],
            ),
            // Open since 2 Feb: due 2 Mar, overdue on 20 Mar.
            case(Regime::Foi, date(2026, 2, 2), None, today, vec![]),
            // Open since 16 Mar: not due yet.
            case(Regime::Foi, date(2026, 3, 16), None, today, vec![]),
            // Withdrawn, and a history case: neither in timeliness.
            case(
                Regime::Foi,
                date(2026, 2, 9),
                Some((date(2026, 2, 10), Closure::ClosedByOfficer)),
                today,
                vec![],
            ),
            case(
                Regime::Foi,
                date(2026, 1, 12),
                Some((date(2026, 1, 12), Closure::History)),
                today,
                vec![],
            ),
            // A review, answered on day 15 upholding a refusal.
            case(
                Regime::Review,
                date(2026, 2, 16),
                Some((date(2026, 3, 9), Closure::Answered)),
                today,
                vec![Outcome::Exempt {
                    section: "s43(2)".into(),
                }],
            ),
        ];
        let r = report(&cases, Period::default(), today, &calendar());
        let t = &r.totals;
        assert_eq!(
            (
                t.received,
                t.open,
                t.overdue,
                t.answered,
                t.answered_on_time
            ),
            (7, 2, 1, 3, 2)
        );
        assert_eq!((t.closed_without_reply, t.history), (1, 1));
        assert_eq!(
            t.timeliness_percent.map(|p| (p * 10.0).round()),
            Some(667.0)
        );
        // Days to answer 9, 20, 22: median 20, p90 22.
        assert_eq!(
            (t.median_working_days, t.p90_working_days),
            (Some(20), Some(22))
        );
        assert_eq!(r.by_regime["eir"].answered, 1);
        assert_eq!(r.by_regime["foi"].received, 6);
        let jan: Vec<_> = r.by_month.iter().filter(|m| m.month == "2026-01").collect();
        assert_eq!(jan.len(), 1);
        assert_eq!(
            (
                jan[0].figures.received,
                jan[0].figures.answered,
                jan[0].figures.answered_on_time
            ),
            (3, 2, 1)
        );
        assert_eq!(r.request_outcomes["granted in full"], 1);
        assert_eq!(r.request_outcomes["partially withheld"], 1);
        assert_eq!(r.request_outcomes["refused s.12"], 1);
        assert_eq!(r.question_outcomes["answered"], 2);
        assert_eq!(r.sections["s43(2)"], 1);
        assert_eq!(r.sections["s.12"], 1);
        assert_eq!(
            (r.reviews.figures.received, r.reviews.figures.answered),
            (1, 1)
        );
        assert_eq!(r.reviews.figures.median_working_days, Some(15));
        assert_eq!(r.reviews.outcomes["withheld in full"], 1);

        // February only: the EIR, the two open/withdrawn from 2 and 9 Feb,
        // and the review.
        let feb = report(
            &cases,
            Period {
                from: Some(date(2026, 2, 1)),
                to: Some(date(2026, 2, 28)),
            },
            today,
            &calendar(),
        );
        assert_eq!((feb.totals.received, feb.totals.answered), (3, 1));
        assert_eq!(feb.reviews.figures.received, 1);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let ten: Vec<i32> = (1..=10).collect();
        assert_eq!(percentile(&ten, 50), Some(5));
        assert_eq!(percentile(&ten, 90), Some(9));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
    }
}
