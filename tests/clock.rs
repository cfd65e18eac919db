//! The statutory clock against the worked examples (legal/deadline-examples.csv),
//! dates beyond the shipped data, and property tests over 2015–2035.

use foid::core::calendar::{Calendar, Region, WorkingDays};
use foid::core::clock::{case_clock, due_date, ClockEvent, ClockState, Regime};
use jiff::civil::{date, Date};
use jiff::ToSpan;
use proptest::prelude::*;
use std::sync::OnceLock;

fn calendar() -> &'static Calendar {
    static CAL: OnceLock<Calendar> = OnceLock::new();
    CAL.get_or_init(Calendar::shipped)
}

/// Splits a CSV line with RFC 4180 quoting (the notes column has commas and quotes).
fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[test]
fn every_worked_example_passes() {
    let text = include_str!("fixtures/deadline-examples.csv");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    assert_eq!(
        split(lines.next().unwrap()),
        ["regime", "region", "received", "due", "note"]
    );
    let mut failures = Vec::new();
    let mut rows = 0;
    for line in lines {
        let f = split(line);
        let regime: Regime = f[0].parse().unwrap();
        let region: Region = f[1].parse().unwrap();
        let received: Date = f[2].parse().unwrap();
        let want: Date = f[3].parse().unwrap();
        rows += 1;
        let got = due_date(regime, region, received, calendar());
        let clock = case_clock(
            regime,
            region,
            &[ClockEvent::Received { date: received }],
            calendar(),
            received,
        );
        if got != want || clock.deadline() != Some(want) {
            failures.push(format!(
                "{regime} {region} received {received}: want {want}, got {got} / {:?} ({})\n{}",
                clock.deadline(),
                f[4],
                clock.explain()
            ));
        }
    }
    assert!(rows >= 24, "only {rows} examples read");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn beyond_the_shipped_data() {
    // Expected dates computed independently from the rules of rules.md §6.2.
    let ew = Region::EnglandAndWales;
    let cases = [
        (Regime::Foi, ew, date(2031, 12, 19), date(2032, 1, 22)),
        (Regime::Foi, ew, date(2032, 3, 12), date(2032, 4, 14)),
        (
            Regime::Foisa,
            Region::Scotland,
            date(2032, 3, 12),
            date(2032, 4, 12),
        ),
        (
            Regime::EirExtended,
            ew,
            date(2032, 3, 12),
            date(2032, 5, 13),
        ),
        (Regime::Foi, ew, date(2033, 12, 24), date(2034, 1, 26)),
        (Regime::Foi, ew, date(2034, 3, 31), date(2034, 5, 3)),
        (
            Regime::Foisa,
            Region::Scotland,
            date(2034, 3, 31),
            date(2034, 5, 2),
        ),
        (Regime::Foi, ew, date(2037, 12, 23), date(2038, 1, 26)),
        (Regime::Foi, ew, date(2039, 4, 1), date(2039, 5, 4)),
        // SAR rolls on the council's own division only.
        (Regime::Sar, ew, date(2033, 2, 17), date(2033, 3, 17)),
        (
            Regime::Sar,
            Region::NorthernIreland,
            date(2033, 2, 17),
            date(2033, 3, 18),
        ),
        (Regime::Sar, ew, date(2032, 6, 12), date(2032, 7, 12)),
        (
            Regime::Sar,
            Region::NorthernIreland,
            date(2032, 6, 12),
            date(2032, 7, 13),
        ),
        (Regime::Sar, ew, date(2036, 3, 14), date(2036, 4, 15)),
        (
            Regime::Sar,
            Region::Scotland,
            date(2036, 3, 14),
            date(2036, 4, 14),
        ),
        (
            Regime::Sar,
            Region::Scotland,
            date(2034, 10, 30),
            date(2034, 12, 1),
        ),
        (
            Regime::Sar,
            Region::Scotland,
            date(2038, 12, 2),
            date(2039, 1, 5),
        ),
        (Regime::Sar, ew, date(2038, 12, 2), date(2039, 1, 4)),
        (
            Regime::SarExtended,
            ew,
            date(2036, 3, 14),
            date(2036, 6, 16),
        ),
    ];
    for (regime, region, received, want) in cases {
        assert_eq!(
            due_date(regime, region, received, calendar()),
            want,
            "{regime} {region} {received}"
        );
    }
}

#[test]
fn receipt_on_non_working_days() {
    let cal = calendar();
    let ew = Region::EnglandAndWales;
    // Sunday receipt: day 1 is Monday, the same as a Saturday receipt.
    assert_eq!(
        due_date(Regime::Foi, ew, date(2025, 6, 22), cal),
        due_date(Regime::Foi, ew, date(2025, 6, 21), cal)
    );
    // Good Friday / Easter Monday receipt: day 1 is Tuesday 22 April 2025.
    let gf = due_date(Regime::Foi, ew, date(2025, 4, 18), cal);
    assert_eq!(gf, due_date(Regime::Foi, ew, date(2025, 4, 21), cal));
    assert_eq!(
        gf,
        cal.add_working_days(date(2025, 4, 21), 20, WorkingDays::Uk)
    );
    // Under FOISA Easter Monday is a working day, so it is day 1.
    assert_eq!(
        due_date(Regime::Foisa, Region::Scotland, date(2025, 4, 18), cal),
        date(2025, 5, 19)
    );
    // SAR received on a bank holiday: the month still runs from that day.
    assert_eq!(
        due_date(Regime::Sar, ew, date(2025, 5, 26), cal),
        date(2025, 6, 26)
    );
}

#[test]
fn leap_years() {
    let cal = calendar();
    let ew = Region::EnglandAndWales;
    // FOI counts 29 Feb 2028 (a Tuesday) as a working day.
    let due = due_date(Regime::Foi, ew, date(2028, 2, 1), cal);
    assert_eq!(due, date(2028, 2, 29));
    assert_eq!(
        due_date(Regime::Foi, ew, date(2027, 2, 1), cal),
        date(2027, 3, 1)
    );
    // SAR from 29 Feb: 29 Mar; from 31 Jan in a leap year: 29 Feb.
    assert_eq!(
        due_date(Regime::Sar, ew, date(2028, 2, 29), cal),
        date(2028, 3, 29)
    );
    assert_eq!(
        due_date(Regime::Sar, ew, date(2028, 1, 31), cal),
        date(2028, 2, 29)
    );
    // SAR extended from 30 Nov 2027: 29 Feb 2028 (leap) vs 28 Feb.
    assert_eq!(
        due_date(Regime::SarExtended, ew, date(2027, 11, 30), cal),
        date(2028, 2, 29)
    );
    // 2100 is not a leap year: 31 Jan 2100 -> 28 Feb 2100 (a Sunday) -> Mon 1 Mar.
    assert_eq!(
        due_date(Regime::Sar, ew, date(2100, 1, 31), cal),
        date(2100, 3, 1)
    );
}

#[test]
fn operator_day_moves_open_deadlines() {
    let mut cal = Calendar::shipped();
    let ew = Region::EnglandAndWales;
    let before = due_date(Regime::Foi, ew, date(2027, 6, 1), &cal);
    cal.add_day(Region::NorthernIreland, date(2027, 6, 14), "Proclaimed");
    let after = due_date(Regime::Foi, ew, date(2027, 6, 1), &cal);
    assert_eq!(after, before.tomorrow().unwrap());
}

const START: Date = date(2015, 1, 1);
const DAYS: i32 = 7670; // to 31 Dec 2035

fn any_date() -> impl Strategy<Value = Date> {
    (0..DAYS).prop_map(|n| START + n.days())
}

fn any_region() -> impl Strategy<Value = Region> {
    prop::sample::select(Region::ALL.to_vec())
}

fn count_working(cal: &Calendar, from: Date, to: Date, rule: WorkingDays) -> u32 {
    let mut d = from;
    let mut n = 0;
    while d < to {
        d = d.tomorrow().unwrap();
        if cal.is_working_day(d, rule) {
            n += 1;
        }
    }
    n
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn working_day_regimes_count_exactly(
        received in any_date(),
        region in any_region(),
        regime in prop::sample::select(vec![
            Regime::Foi, Regime::Eir, Regime::EirExtended, Regime::Pit, Regime::Review,
            Regime::ReviewExtended, Regime::Foisa, Regime::FoisaReview,
        ]),
    ) {
        let cal = calendar();
        let rule = regime.working_days(region);
        let n = match regime.limit() {
            foid::core::clock::Limit::WorkingDays(n) => n,
            other => panic!("{other:?}"),
        };
        let due = due_date(regime, region, received, cal);
        prop_assert!(cal.is_working_day(due, rule), "{due} is not a working day");
        prop_assert_eq!(count_working(cal, received, due, rule), n);
        prop_assert_eq!(cal.working_days_between(received, due, rule), n as i32);
        let clock = case_clock(regime, region, &[ClockEvent::Received { date: received }], cal, received);
        prop_assert_eq!(clock.deadline(), Some(due));
        prop_assert_eq!(clock.state, ClockState::Running);
        if regime == Regime::Pit {
            let statutory = clock.due.unwrap();
            prop_assert_eq!(count_working(cal, received, statutory, rule), 20);
        }
    }

    #[test]
    fn foisa_is_never_later_than_foia(received in any_date()) {
        let cal = calendar();
        let foisa = due_date(Regime::Foisa, Region::Scotland, received, cal);
        let foi = due_date(Regime::Foi, Region::Scotland, received, cal);
        prop_assert!(foisa <= foi, "FOISA {foisa} after FOIA {foi}");
    }

    #[test]
    fn sar_is_the_corresponding_date_rolled_forward(
        received in any_date(),
        region in any_region(),
        extended in any::<bool>(),
    ) {
        let cal = calendar();
        let (regime, months) = if extended { (Regime::SarExtended, 3) } else { (Regime::Sar, 1) };
        let due = due_date(regime, region, received, cal);
        let rule = WorkingDays::Region(region);
        let nominal = received.checked_add(months.months()).unwrap(); // jiff clamps to the month's end
        prop_assert!(due >= nominal);
        prop_assert!(cal.is_working_day(due, rule));
        let mut d = nominal;
        while d < due {
            prop_assert!(!cal.is_working_day(d, rule), "{d} is a working day before {due}");
            d = d.tomorrow().unwrap();
        }
    }

    #[test]
    fn clarification_restarts_from_its_arrival(
        received in any_date(),
        sought_after in 0i32..20, // within the first 20 working days
        answered_after in 0i32..60,
        region in any_region(),
        regime in prop::sample::select(vec![Regime::Foi, Regime::Eir, Regime::Foisa]),
    ) {
        let cal = calendar();
        let sought = received + sought_after.days();
        let answered = sought + answered_after.days();
        let events = [
            ClockEvent::Received { date: received },
            ClockEvent::ClarificationSought { date: sought },
            ClockEvent::ClarificationReceived { date: answered },
        ];
        let clock = case_clock(regime, region, &events, cal, answered);
        prop_assert_eq!(clock.due, Some(due_date(regime, region, answered, cal)));
        let waiting = case_clock(regime, region, &events[..2], cal, answered);
        prop_assert_eq!(waiting.due, None);
        prop_assert_eq!(waiting.state, ClockState::AwaitingClarification { since: sought });
    }

    #[test]
    fn fee_days_are_exactly_disregarded(
        received in any_date(),
        notice_after in 0i32..25,
        paid_after in 0i32..40,
    ) {
        let cal = calendar();
        let rule = WorkingDays::Uk;
        let notice = received + notice_after.days();
        let paid = notice + paid_after.days();
        let events = [
            ClockEvent::Received { date: received },
            ClockEvent::FeesNoticeGiven { date: notice },
            ClockEvent::FeeReceived { date: paid },
        ];
        let clock = case_clock(Regime::Foi, Region::EnglandAndWales, &events, cal, paid);
        let plain = due_date(Regime::Foi, Region::EnglandAndWales, received, cal);
        if let Some(due) = clock.due {
            prop_assert!(due >= plain);
            prop_assert!(cal.is_working_day(due, rule));
            // Working days of (received, due] that fall in [notice, paid].
            let lo = notice.yesterday().unwrap().max(received);
            let hi = paid.min(due);
            let disregarded = if lo < hi { count_working(cal, lo, hi, rule) } else { 0 };
            prop_assert_eq!(count_working(cal, received, due, rule) - disregarded, 20);
        }
    }
}
