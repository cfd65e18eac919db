//! Section 14 and section 12 flags on a new request, with their evidence
//! (rules.md §5). foid flags; the officers decide. Pure: the shell finds
//! the earlier cases (the similarity index's candidates and the
//! requester's own cases) and scores them; this says which flags follow.
//!
//! - `repeat` (FOIA s.14(2)): the same requester made a substantially
//!   similar request that the council complied with (answered, or said it
//!   did not hold), and a reasonable interval has not passed since.
//! - `duplicate`: the same requester has an open case asking the same.
//! - `aggregation` (s.12, Fees Regulations reg 5): the same requester, or
//!   requesters acting in concert (one organisation's domain), sent
//!   similar requests within 60 consecutive working days.
//! - `campaign`: substantially the same request from several requesters
//!   within a window: answer once, consider publishing and s.21.
//! - `vexatious-indicators` (s.14(1)): the volume from one requester.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, WorkingDays};
use super::case::{CaseState, Closure, Outcome, QuestionOutcome};
use super::intake::organisation_of;
use super::questions::Question;
use super::similarity::Comparison;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagKind {
    Repeat,
    Duplicate,
    Aggregation,
    Campaign,
    VexatiousIndicators,
}

impl FlagKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::Repeat => "repeat",
            FlagKind::Duplicate => "duplicate",
            FlagKind::Aggregation => "aggregation",
            FlagKind::Campaign => "campaign",
            FlagKind::VexatiousIndicators => "vexatious-indicators",
        }
    }
}

/// A flag on a case, as stored and shown (`foid show --json` `flags`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// The related cases' references.
    pub related: Vec<String>,
    /// The best similarity score behind the flag (0 to 1); for volume, the
    /// count over the configured limit.
    pub score: f64,
    /// One line for the officer.
    pub detail: String,
    /// Per related case: dates, score, which questions matched and, for a
    /// repeat, what the council answered.
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub reference: String,
    pub received_on: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_on: Option<Date>,
    pub score: f64,
    pub questions: Vec<MatchedQuestion>,
}

// Scores are never NaN, so equality is total (plans and events compare).
impl Eq for Flag {}
impl Eq for Evidence {}
impl Eq for MatchedQuestion {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedQuestion {
    /// The new request's question number and the earlier one's.
    pub number: u32,
    pub earlier_number: u32,
    pub earlier_text: String,
    pub score: f64,
    /// What the council answered to the earlier question, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier_answer: Option<String>,
}

/// Thresholds and windows (`[similarity]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Score at which two requests are substantially similar (repeat,
    /// duplicate, campaign).
    pub similar: f64,
    /// Score at which two requests ask for similar information (aggregation).
    pub related: f64,
    /// Score at which two questions ask the same.
    pub question: f64,
    /// Working days after an answer within which a repeat is flagged.
    pub reasonable_interval_working_days: i32,
    /// Working days within which requests are aggregated (reg 5: 60).
    pub aggregation_working_days: i32,
    /// Working days within which alike requests from others make a campaign.
    pub campaign_working_days: i32,
    /// Requesters (the new one included) that make a campaign.
    pub campaign_requesters: usize,
    /// Requests from one requester within the window that are flagged.
    pub volume_requests: usize,
    pub volume_working_days: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            similar: 0.45,
            related: 0.3,
            question: 0.5,
            reasonable_interval_working_days: 60,
            aggregation_working_days: 60,
            campaign_working_days: 60,
            campaign_requesters: 3,
            volume_requests: 10,
            volume_working_days: 60,
        }
    }
}

/// The new request.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    /// The requester's identity key (a WhatDoTheyKnow user by name).
    pub requester: &'a str,
    pub address: &'a str,
    pub received_on: Date,
    pub questions: &'a [Question],
}

/// An earlier case and how the new request compares with it.
#[derive(Debug, Clone)]
pub struct Earlier {
    pub reference: String,
    pub requester: String,
    pub address: String,
    pub received_on: Date,
    pub due_on: Option<Date>,
    pub state: CaseState,
    pub closure: Option<Closure>,
    pub closed_on: Option<Date>,
    pub outcomes: Vec<QuestionOutcome>,
    pub questions: Vec<Question>,
    pub comparison: Comparison,
}

impl Earlier {
    fn same_requester(&self, new: &Incoming<'_>) -> bool {
        self.requester == new.requester || self.address.eq_ignore_ascii_case(new.address)
    }

    /// Whether the council complied (s.14(2) applies only then): it
    /// answered, said it did not hold the information, or pointed to where
    /// it is published. History's response is not known, so it counts, and
    /// the flag says so.
    fn complied(&self) -> bool {
        match self.closure {
            Some(Closure::History) => true,
            Some(Closure::Answered) | None if self.state == CaseState::Closed => {
                self.outcomes.is_empty()
                    || self.outcomes.iter().any(|o| {
                        matches!(
                            o.outcome,
                            Outcome::Answered | Outcome::NotHeld | Outcome::Published { .. }
                        )
                    })
            }
            _ => false,
        }
    }

    /// When the council answered; for history, the statutory due date
    /// stands in (the answer date is not known).
    fn answered_on(&self) -> Option<Date> {
        match self.closure {
            Some(Closure::History) => self.due_on.or(Some(self.received_on)),
            _ => self.closed_on,
        }
    }

    fn evidence(&self, new: &Incoming<'_>) -> Evidence {
        let questions = self
            .comparison
            .matches
            .iter()
            .filter_map(|m| {
                let newq = new.questions.get(m.new);
                let old = self.questions.get(m.old)?;
                Some(MatchedQuestion {
                    number: newq.map_or(m.new as u32 + 1, |q| q.number),
                    earlier_number: old.number,
                    earlier_text: old.text.clone(),
                    score: round(m.score),
                    earlier_answer: self
                        .outcomes
                        .iter()
                        .find(|o| o.number == old.number)
                        .and_then(|o| o.answer.clone()),
                })
            })
            .collect();
        Evidence {
            reference: self.reference.clone(),
            received_on: self.received_on,
            answered_on: self.answered_on().filter(|_| self.complied()),
            score: round(self.comparison.score),
            questions,
        }
    }
}

/// Within `limit` working days of each other (cheap when far apart).
fn within(calendar: &Calendar, a: Date, b: Date, limit: i32) -> bool {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let calendar_days = (hi - lo).get_days();
    // 5 working days a week at most: further apart than this is out.
    if i64::from(calendar_days) > i64::from(limit) * 7 / 5 + 7 {
        return false;
    }
    calendar.working_days_between(lo, hi, WorkingDays::Uk) <= limit
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The flags a new request raises. `requests_in_volume_window` counts the
/// requester's earlier requests within the volume window.
pub fn assess(
    new: &Incoming<'_>,
    earlier: &[Earlier],
    requests_in_volume_window: usize,
    settings: &Settings,
    calendar: &Calendar,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    let mine: Vec<&Earlier> = earlier.iter().filter(|e| e.same_requester(new)).collect();

    let repeats: Vec<&Earlier> = mine
        .iter()
        .copied()
        .filter(|e| e.comparison.score >= settings.similar && e.complied())
        .filter(|e| {
            e.answered_on().is_some_and(|answered| {
                answered <= new.received_on
                    && within(
                        calendar,
                        answered,
                        new.received_on,
                        settings.reasonable_interval_working_days,
                    )
            })
        })
        .collect();
    if let Some(flag) = flag(FlagKind::Repeat, &repeats, new, |best| {
        let history = best.closure == Some(Closure::History);
        format!(
            "s.14(2): substantially similar to {} from the same requester, {} on {}{}; a reasonable interval ({} working days) has not passed",
            best.reference,
            if history { "imported as history (whether it was answered is not recorded; due" } else { "answered" },
            best.answered_on().map_or_else(String::new, |d| d.to_string()),
            if history { ")" } else { "" },
            settings.reasonable_interval_working_days,
        )
    }) {
        flags.push(flag);
    }

    let duplicates: Vec<&Earlier> = mine
        .iter()
        .copied()
        .filter(|e| e.state == CaseState::Open && e.comparison.score >= settings.similar)
        .collect();
    if let Some(flag) = flag(FlagKind::Duplicate, &duplicates, new, |best| {
        format!(
            "the same requester's open case {} asks substantially the same (received {})",
            best.reference, best.received_on
        )
    }) {
        flags.push(flag);
    }

    let org = organisation_of(new.address);
    let aggregated: Vec<&Earlier> = earlier
        .iter()
        .filter(|e| {
            e.same_requester(new)
                || (org.is_some() && organisation_of(&e.address) == org)
                || e.comparison.score >= settings.similar
        })
        .filter(|e| e.comparison.score >= settings.related)
        // A repeat or a duplicate is already said; aggregation adds the rest.
        .filter(|e| {
            !repeats
                .iter()
                .chain(duplicates.iter())
                .any(|d| d.reference == e.reference)
        })
        .filter(|e| e.closure != Some(Closure::History))
        .filter(|e| {
            within(
                calendar,
                e.received_on,
                new.received_on,
                settings.aggregation_working_days,
            )
        })
        .collect();
    if let Some(flag) = flag(FlagKind::Aggregation, &aggregated, new, |_| {
        let concert = aggregated.iter().any(|e| !e.same_requester(new));
        format!(
            "s.12 / Fees Regulations reg 5: {} similar request(s) {} within {} working days; their costs may be aggregated",
            aggregated.len(),
            if concert { "from this requester or others apparently acting in concert" } else { "from this requester" },
            settings.aggregation_working_days
        )
    }) {
        flags.push(flag);
    }

    let mut others: Vec<&Earlier> = earlier
        .iter()
        .filter(|e| !e.same_requester(new) && e.comparison.score >= settings.similar)
        .filter(|e| {
            within(
                calendar,
                e.received_on,
                new.received_on,
                settings.campaign_working_days,
            )
        })
        .collect();
    others.sort_by(|a, b| a.requester.cmp(&b.requester));
    let requesters = {
        let mut r: Vec<&str> = others.iter().map(|e| e.requester.as_str()).collect();
        r.dedup();
        r.len()
    };
    if requesters + 1 >= settings.campaign_requesters {
        if let Some(flag) = flag(FlagKind::Campaign, &others, new, |_| {
            format!(
                "substantially the same request from {} requesters within {} working days: answer once, consider publishing it (s.21)",
                requesters + 1,
                settings.campaign_working_days
            )
        }) {
            flags.push(flag);
        }
    }

    if requests_in_volume_window + 1 >= settings.volume_requests {
        flags.push(Flag {
            kind: FlagKind::VexatiousIndicators,
            related: Vec::new(),
            score: round((requests_in_volume_window + 1) as f64 / settings.volume_requests as f64),
            detail: format!(
                "{} requests from this requester within {} working days (the limit set is {}); for the officer's judgement under s.14(1)",
                requests_in_volume_window + 1,
                settings.volume_working_days,
                settings.volume_requests
            ),
            evidence: Vec::new(),
        });
    }
    flags
}

/// A flag over `cases` (none: no flag), best match first.
fn flag(
    kind: FlagKind,
    cases: &[&Earlier],
    new: &Incoming<'_>,
    detail: impl FnOnce(&Earlier) -> String,
) -> Option<Flag> {
    let mut cases = cases.to_vec();
    cases.sort_by(|a, b| b.comparison.score.total_cmp(&a.comparison.score));
    let best = cases.first()?;
    Some(Flag {
        kind,
        related: cases.iter().map(|e| e.reference.clone()).collect(),
        score: round(best.comparison.score),
        detail: detail(best),
        evidence: cases.iter().map(|e| e.evidence(new)).collect(),
    })
}

impl Flag {
    /// The line in the case email and `#status`.
    pub fn summary(&self) -> String {
        let mut line = format!("{}: {}", self.kind.as_str(), self.detail);
        if !self.related.is_empty() {
            line.push_str(&format!(" [related: {}]", self.related.join(", ")));
        }
        for e in self.evidence.iter().take(3) {
            for q in &e.questions {
                line.push_str(&format!(
                    "\n      question {} matches {} question {} ({:.0}%): {}",
                    q.number,
                    e.reference,
                    q.earlier_number,
                    q.score * 100.0,
                    q.earlier_text
                ));
                if let Some(answer) = &q.earlier_answer {
                    line.push_str(&format!("\n        answered then: {answer}"));
                }
            }
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::similarity::QuestionMatch;
    use jiff::civil::date;

    fn q(n: u32, text: &str) -> Question {
        Question {
            number: n,
            text: text.into(),
            options: vec![],
            parts: vec![],
        }
    }

    fn earlier(reference: &str, requester: &str, score: f64) -> Earlier {
        Earlier {
            reference: reference.into(),
            requester: requester.into(),
            address: format!("{requester}@example.org"),
            received_on: date(2026, 9, 1),
            due_on: Some(date(2026, 9, 29)),
            state: CaseState::Closed,
            closure: Some(Closure::Answered),
            closed_on: Some(date(2026, 9, 20)),
            outcomes: vec![QuestionOutcome {
                number: 1,
                outcome: Outcome::Answered,
                answer: Some("4,210 potholes.".into()),
            }],
            questions: vec![q(1, "How many potholes were repaired?")],
            comparison: Comparison {
                score,
                overall: score,
                matches: vec![QuestionMatch {
                    new: 0,
                    old: 0,
                    score,
                }],
            },
        }
    }

    fn incoming<'a>(
        requester: &'a str,
        address: &'a str,
        questions: &'a [Question],
    ) -> Incoming<'a> {
        Incoming {
            requester,
            address,
            received_on: date(2026, 11, 2),
            questions,
        }
    }

    fn kinds(flags: &[Flag]) -> Vec<FlagKind> {
        flags.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn a_repeat_within_the_interval_points_to_the_answer() {
        let cal = Calendar::shipped();
        let qs = [q(1, "Number of potholes repaired?")];
        let new = incoming("jo", "jo@new.example.org", &qs);
        let flags = assess(
            &new,
            &[earlier("FOI-1", "jo", 0.8)],
            0,
            &Settings::default(),
            &cal,
        );
        assert_eq!(kinds(&flags), vec![FlagKind::Repeat]);
        let f = &flags[0];
        assert_eq!(f.related, vec!["FOI-1".to_string()]);
        assert_eq!(f.evidence[0].answered_on, Some(date(2026, 9, 20)));
        assert_eq!(
            f.evidence[0].questions[0].earlier_answer.as_deref(),
            Some("4,210 potholes.")
        );
        assert!(f.summary().contains("4,210"), "{}", f.summary());
    }

    #[test]
    fn no_repeat_after_the_interval_or_for_a_near_miss_or_a_refusal() {
        let cal = Calendar::shipped();
        let qs = [q(1, "x")];
        let s = Settings::default();
        let mut old = earlier("FOI-1", "jo", 0.8);
        old.closed_on = Some(date(2026, 5, 1));
        old.received_on = date(2026, 4, 1);
        let late = incoming("jo", "jo@example.org", &qs);
        assert!(assess(&late, &[old], 0, &s, &cal).is_empty());
        let near = earlier("FOI-2", "jo", 0.3);
        assert!(!kinds(&assess(&late, &[near], 0, &s, &cal)).contains(&FlagKind::Repeat));
        let mut refused = earlier("FOI-3", "jo", 0.9);
        refused.outcomes = vec![QuestionOutcome {
            number: 1,
            outcome: Outcome::Exempt {
                section: "s43".into(),
            },
            answer: None,
        }];
        assert!(!kinds(&assess(&late, &[refused], 0, &s, &cal)).contains(&FlagKind::Repeat));
    }

    #[test]
    fn open_alike_case_is_a_duplicate_and_others_make_a_campaign() {
        let cal = Calendar::shipped();
        let qs = [q(1, "x")];
        let s = Settings::default();
        let mut open = earlier("FOI-1", "jo", 0.9);
        open.state = CaseState::Open;
        open.closure = None;
        open.closed_on = None;
        let new = incoming("jo", "jo@example.org", &qs);
        assert_eq!(
            kinds(&assess(&new, &[open], 0, &s, &cal)),
            vec![FlagKind::Duplicate]
        );

        let copies = [earlier("FOI-2", "ann", 0.9), earlier("FOI-3", "bob", 0.85)];
        let flags = assess(&new, &copies, 0, &s, &cal);
        assert!(kinds(&flags).contains(&FlagKind::Campaign), "{flags:?}");
        let one_other = [earlier("FOI-2", "ann", 0.9)];
        assert!(!kinds(&assess(&new, &one_other, 0, &s, &cal)).contains(&FlagKind::Campaign));
    }

    #[test]
    fn aggregation_by_requester_or_organisation_within_sixty_working_days() {
        let cal = Calendar::shipped();
        let qs = [q(1, "x")];
        let s = Settings::default();
        // Same organisation domain, a related (not identical) request.
        let mut colleague = earlier("FOI-1", "ann", 0.35);
        colleague.address = "ann@press.example".into();
        let new = incoming("bob", "bob@press.example", &qs);
        assert_eq!(
            kinds(&assess(&new, &[colleague.clone()], 0, &s, &cal)),
            vec![FlagKind::Aggregation]
        );
        // A shared webmail domain is no concert.
        colleague.address = "ann@gmail.com".into();
        let webmail = incoming("bob", "bob@gmail.com", &qs);
        assert!(assess(&webmail, &[colleague], 0, &s, &cal).is_empty());
    }

    #[test]
    fn volume_is_flagged_at_the_limit() {
        let cal = Calendar::shipped();
        let qs = [q(1, "x")];
        let s = Settings::default();
        let new = incoming("jo", "jo@example.org", &qs);
        assert!(assess(&new, &[], 8, &s, &cal).is_empty());
        assert_eq!(
            kinds(&assess(&new, &[], 9, &s, &cal)),
            vec![FlagKind::VexatiousIndicators]
        );
    }
}
