//! Working days and UK bank holidays for the three gov.uk divisions.
//!
//! Bank holidays are data, not code (rules.md R11): the gov.uk table ships in
//! `config/bank-holidays.csv`, the operator can import a gov.uk
//! `bank-holidays.json` and add or remove days in configuration. Years the
//! data does not cover are generated from the rules of rules.md §6.2, so a
//! deadline in 2040 still skips Easter. Pure: no I/O, no clock reads.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Weekday};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The shipped gov.uk table (2012 onwards), embedded so the binary needs no data files.
const SHIPPED_CSV: &str = include_str!("../../config/bank-holidays.csv");

/// Years up to this one are precomputed, so listing, fingerprinting and
/// counting need no generation on the fly; later years are still generated
/// when asked for.
pub const GENERATE_UNTIL: i16 = 2100;

/// The generator models the Banking and Financial Dealings Act 1971; it
/// gives nothing for earlier years.
pub const FIRST_RULE_YEAR: i16 = 1971;

/// The first year of gov.uk's published data, which the shipped table starts
/// with; earlier years are generated, proclamations included.
pub const FIRST_DATA_YEAR: i16 = 2012;

/// Holiday data (CSV, JSON) must lie in these years; anything else is a typo.
pub const DATA_YEARS: std::ops::RangeInclusive<i16> = FIRST_RULE_YEAR..=2200;

/// A gov.uk bank-holiday division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Region {
    /// All divisions, in gov.uk order.
    pub const ALL: [Region; 3] = [
        Region::EnglandAndWales,
        Region::Scotland,
        Region::NorthernIreland,
    ];

    /// The gov.uk division name (`england-and-wales`, `scotland`, `northern-ireland`).
    pub fn as_str(self) -> &'static str {
        match self {
            Region::EnglandAndWales => "england-and-wales",
            Region::Scotland => "scotland",
            Region::NorthernIreland => "northern-ireland",
        }
    }

    fn index(self) -> usize {
        match self {
            Region::EnglandAndWales => 0,
            Region::Scotland => 1,
            Region::NorthernIreland => 2,
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown region name, e.g. in configuration or on the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown region '{0}': valid regions are england-and-wales, scotland, northern-ireland")]
pub struct ParseRegionError(pub String);

impl FromStr for Region {
    type Err = ParseRegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Region::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| ParseRegionError(s.to_string()))
    }
}

/// Which days count as working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkingDays {
    /// FOIA s.10(6) / EIR: not a weekend, Christmas Day, Good Friday, or a
    /// bank holiday in *any* part of the UK (R2).
    Uk,
    /// One division only: weekends, Christmas Day and that division's bank
    /// holidays. FOISA s.73 uses Scotland; SAR rolling uses the council's own.
    Region(Region),
}

/// Where a holiday in the effective calendar came from (shown by `foid holidays`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HolidaySource {
    /// The shipped gov.uk table or an imported gov.uk JSON file.
    Data,
    /// Derived from the rules for a year the data does not cover.
    Generated,
    /// Added by the operator in configuration.
    Operator,
}

impl fmt::Display for HolidaySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HolidaySource::Data => "gov.uk",
            HolidaySource::Generated => "generated",
            HolidaySource::Operator => "operator",
        })
    }
}

/// One bank holiday in one division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: Date,
    pub region: Region,
    pub name: String,
    pub source: HolidaySource,
}

/// Bad holiday data; the message says where and why so an operator can fix the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("bank-holiday CSV, line {line}: {message}")]
    Csv { line: usize, message: String },
    #[error("gov.uk bank-holidays JSON: {0}")]
    Json(String),
}

/// What an import of gov.uk JSON changed, compared with the calendar before it
/// (shipped data, or generated days for years the data did not cover).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Dates that are holidays now and were not before.
    pub added: usize,
    /// Dates that were holidays before and are not now.
    pub removed: usize,
    /// Dates that stayed holidays under a different name.
    pub renamed: usize,
    /// The divisions and years the file covered (those years are replaced).
    pub divisions: Vec<ImportedDivision>,
}

impl ImportSummary {
    /// Days added, removed or renamed.
    pub fn changed(&self) -> usize {
        self.added + self.removed + self.renamed
    }
}

/// One division of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedDivision {
    pub region: Region,
    pub first_year: i16,
    pub last_year: i16,
    pub events: usize,
}

type PerRegion<T> = [T; 3];

/// Bank holidays per division: data years, generated years, operator overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Shipped or imported holidays.
    data: PerRegion<BTreeMap<Date, String>>,
    /// Years each division's data covers; other years are generated.
    data_years: PerRegion<BTreeSet<i16>>,
    /// Operator additions (win over data and rules).
    added: PerRegion<BTreeMap<Date, String>>,
    /// Operator removals (win over data and rules).
    removed: PerRegion<BTreeSet<Date>>,
    /// The effective holidays for `span`, precomputed.
    effective: PerRegion<BTreeMap<Date, (String, HolidaySource)>>,
    span: (i16, i16),
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::shipped()
    }
}

impl Calendar {
    /// The shipped gov.uk data, with later years generated from the rules.
    pub fn shipped() -> Calendar {
        Calendar::from_csv(SHIPPED_CSV).expect("the embedded config/bank-holidays.csv is valid")
    }

    /// No data at all: every year comes from the rules (for tests and comparisons).
    pub fn rules_only() -> Calendar {
        Calendar::from_parts(Default::default(), Default::default())
    }

    /// Reads a `date,region,name` CSV (extra columns are ignored; fields may be
    /// quoted). A year with any row for a division is taken as that division's
    /// complete list for the year; years without rows are generated.
    pub fn from_csv(text: &str) -> Result<Calendar, CalendarError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
            .filter(|(_, l)| !l.trim().is_empty());
        let (header_line, header) = lines.next().ok_or(CalendarError::Csv {
            line: 1,
            message: "the file is empty; expected a header date,region,name".into(),
        })?;
        let header = split_csv_line(header).map_err(|message| CalendarError::Csv {
            line: header_line,
            message,
        })?;
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .ok_or_else(|| CalendarError::Csv {
                    line: header_line,
                    message: format!("no '{name}' column; expected a header date,region,name"),
                })
        };
        let (c_date, c_region, c_name) = (column("date")?, column("region")?, column("name")?);
        let mut data: PerRegion<BTreeMap<Date, String>> = Default::default();
        let mut data_years: PerRegion<BTreeSet<i16>> = Default::default();
        for (line, text) in lines {
            let err = |message: String| CalendarError::Csv { line, message };
            let fields = split_csv_line(text).map_err(err)?;
            let field = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or("");
            let date: Date = field(c_date)
                .parse()
                .map_err(|e| err(format!("bad date '{}': {e}", field(c_date))))?;
            check_year(date).map_err(err)?;
            let region: Region = field(c_region).parse().map_err(|e| err(format!("{e}")))?;
            let name = field(c_name);
            if name.is_empty() {
                return Err(err(format!("{date} {region} has no name")));
            }
            if data[region.index()]
                .insert(date, name.to_string())
                .is_some()
            {
                return Err(err(format!("{date} {region} is listed twice")));
            }
            data_years[region.index()].insert(date.year());
        }
        Ok(Calendar::from_parts(data, data_years))
    }

    fn from_parts(
        data: PerRegion<BTreeMap<Date, String>>,
        data_years: PerRegion<BTreeSet<i16>>,
    ) -> Calendar {
        let mut cal = Calendar {
            data,
            data_years,
            added: Default::default(),
            removed: Default::default(),
            effective: Default::default(),
            span: (0, 0),
        };
        cal.rebuild();
        cal
    }

    /// The data (not operator overrides, not generated years) as CSV, so an
    /// imported table can be saved in the same format as the shipped one.
    pub fn data_csv(&self) -> String {
        let mut rows: Vec<(Date, Region, &str)> = Vec::new();
        for region in Region::ALL {
            for (date, name) in &self.data[region.index()] {
                rows.push((*date, region, name));
            }
        }
        rows.sort();
        let mut out = String::from("date,region,name\n");
        for (date, region, name) in rows {
            out.push_str(&format!("{date},{region},{}\n", csv_field(name)));
        }
        out
    }

    /// The first and last year of a division's data, if it has any.
    pub fn data_years(&self, region: Region) -> Option<(i16, i16)> {
        let years = &self.data_years[region.index()];
        Some((*years.first()?, *years.last()?))
    }

    /// Operator override: `date` is a bank holiday in `region` (a proclamation
    /// at short notice). Replaces the name if it already was one.
    pub fn add_day(&mut self, region: Region, date: Date, name: impl Into<String>) {
        self.removed[region.index()].remove(&date);
        self.added[region.index()].insert(date, name.into());
        self.rebuild();
    }

    /// Operator override: `date` is not a bank holiday in `region`. Returns
    /// whether it was one (so configuration can warn about a no-op).
    pub fn remove_day(&mut self, region: Region, date: Date) -> bool {
        let was = self.is_bank_holiday(region, date);
        self.added[region.index()].remove(&date);
        self.removed[region.index()].insert(date);
        self.rebuild();
        was
    }

    /// Imports gov.uk `bank-holidays.json`. For each division in the file, the
    /// years it covers are replaced by its events; other years are untouched,
    /// and operator overrides still apply on top. All-or-nothing on error.
    pub fn import_govuk_json(&mut self, json: &str) -> Result<ImportSummary, CalendarError> {
        #[derive(Deserialize)]
        struct Division {
            #[serde(default)]
            division: Option<String>,
            events: Vec<Event>,
        }
        #[derive(Deserialize)]
        struct Event {
            title: String,
            date: String,
            #[serde(default)]
            notes: String,
        }
        let file: BTreeMap<String, Division> =
            serde_json::from_str(json).map_err(|e| CalendarError::Json(e.to_string()))?;
        if file.is_empty() {
            return Err(CalendarError::Json(
                "no divisions; expected england-and-wales, scotland and/or northern-ireland".into(),
            ));
        }
        let mut imported: Vec<(Region, BTreeMap<Date, String>)> = Vec::new();
        for (key, division) in &file {
            let region: Region = key
                .parse()
                .map_err(|e: ParseRegionError| CalendarError::Json(e.to_string()))?;
            if let Some(named) = &division.division {
                if named.parse::<Region>().ok() != Some(region) {
                    return Err(CalendarError::Json(format!(
                        "division '{key}' says it is '{named}'"
                    )));
                }
            }
            let mut days = BTreeMap::new();
            for (i, event) in division.events.iter().enumerate() {
                let err =
                    |what: String| CalendarError::Json(format!("{key}, event {}: {what}", i + 1));
                let date: Date = event
                    .date
                    .trim()
                    .parse()
                    .map_err(|e| err(format!("bad date '{}': {e}", event.date)))?;
                check_year(date).map_err(err)?;
                let title = event.title.trim();
                if title.is_empty() {
                    return Err(err(format!("{date} has no title")));
                }
                // gov.uk puts "Substitute day" in the notes; the shipped CSV
                // appends it to the name, so imports match the shipped names.
                let notes = event.notes.trim();
                let name = if notes.is_empty() {
                    title.to_string()
                } else {
                    format!("{title} ({})", notes.to_lowercase())
                };
                if days.insert(date, name).is_some() {
                    return Err(err(format!("{date} is listed twice")));
                }
            }
            if days.is_empty() {
                return Err(CalendarError::Json(format!("{key} has no events")));
            }
            imported.push((region, days));
        }

        let mut summary = ImportSummary::default();
        for (region, days) in imported {
            let years: BTreeSet<i16> = days.keys().map(|d| d.year()).collect();
            for &year in &years {
                let before: BTreeMap<Date, String> =
                    self.base_year(region, year).into_iter().collect();
                let after: BTreeMap<Date, String> = days
                    .range(year_range(year))
                    .map(|(d, n)| (*d, n.clone()))
                    .collect();
                for (date, name) in &after {
                    match before.get(date) {
                        None => summary.added += 1,
                        Some(old) if old != name => summary.renamed += 1,
                        Some(_) => {}
                    }
                }
                summary.removed += before.keys().filter(|d| !after.contains_key(d)).count();
                let data = &mut self.data[region.index()];
                let stale: Vec<Date> = data.range(year_range(year)).map(|(d, _)| *d).collect();
                for d in stale {
                    data.remove(&d);
                }
                data.extend(after);
                self.data_years[region.index()].insert(year);
            }
            summary.divisions.push(ImportedDivision {
                region,
                first_year: *years.first().expect("days is not empty"),
                last_year: *years.last().expect("days is not empty"),
                events: days.len(),
            });
        }
        self.rebuild();
        Ok(summary)
    }

    /// The holiday in `region` on `date`, if any.
    pub fn holiday(&self, region: Region, date: Date) -> Option<Holiday> {
        let (name, source) = if self.in_span(date.year()) {
            self.effective[region.index()].get(&date).cloned()?
        } else {
            self.effective_year(region, date.year())
                .into_iter()
                .find(|(d, _, _)| *d == date)
                .map(|(_, n, s)| (n, s))?
        };
        Some(Holiday {
            date,
            region,
            name,
            source,
        })
    }

    /// Whether `date` is a bank holiday in `region`.
    pub fn is_bank_holiday(&self, region: Region, date: Date) -> bool {
        if self.in_span(date.year()) {
            self.effective[region.index()].contains_key(&date)
        } else {
            self.holiday(region, date).is_some()
        }
    }

    /// The holidays of one year, for one division or all (sorted by date, then division).
    pub fn holidays(&self, year: i16, region: Option<Region>) -> Vec<Holiday> {
        let regions: Vec<Region> = match region {
            Some(r) => vec![r],
            None => Region::ALL.to_vec(),
        };
        let mut out = Vec::new();
        for r in regions {
            let year_days: Vec<(Date, String, HolidaySource)> = if self.in_span(year) {
                self.effective[r.index()]
                    .range(year_range(year))
                    .map(|(d, (n, s))| (*d, n.clone(), *s))
                    .collect()
            } else {
                self.effective_year(r, year)
            };
            out.extend(year_days.into_iter().map(|(date, name, source)| Holiday {
                date,
                region: r,
                name,
                source,
            }));
        }
        out.sort_by_key(|h| (h.date, h.region));
        out
    }

    /// Whether `date` is a working day under `rule`.
    pub fn is_working_day(&self, date: Date, rule: WorkingDays) -> bool {
        if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) || is_christmas(date) {
            return false;
        }
        match rule {
            WorkingDays::Uk => {
                !is_good_friday(date) && !Region::ALL.iter().any(|r| self.is_bank_holiday(*r, date))
            }
            WorkingDays::Region(r) => !self.is_bank_holiday(r, date),
        }
    }

    /// Why `date` is not a working day under `rule` ("Saturday",
    /// "St Andrew’s Day (substitute day) (scotland)"), or None if it is one.
    /// Under [`WorkingDays::Uk`] a holiday not kept everywhere names its divisions.
    pub fn non_working_reason(&self, date: Date, rule: WorkingDays) -> Option<String> {
        let weekend = match date.weekday() {
            Weekday::Saturday => Some("Saturday"),
            Weekday::Sunday => Some("Sunday"),
            _ => None,
        };
        let holiday = match rule {
            WorkingDays::Uk => {
                let found: Vec<(Region, String)> = Region::ALL
                    .iter()
                    .filter_map(|r| self.holiday(*r, date).map(|h| (*r, h.name)))
                    .collect();
                if found.is_empty() {
                    statutory_day(date)
                } else {
                    Some(describe_regions(&found))
                }
            }
            WorkingDays::Region(r) => self
                .holiday(r, date)
                .map(|h| h.name)
                .or_else(|| is_christmas(date).then(|| "Christmas Day".to_string())),
        };
        match (holiday, weekend) {
            (Some(h), Some(w)) => Some(format!("{h} ({w})")),
            (Some(h), None) => Some(h),
            (None, Some(w)) => Some(w.to_string()),
            (None, None) => None,
        }
    }

    /// The `n`th working day after `from` (`from` is day 0, whatever it is).
    pub fn add_working_days(&self, from: Date, n: u32, rule: WorkingDays) -> Date {
        let mut d = from;
        let mut counted = 0;
        while counted < n {
            d = next_day(d);
            if self.is_working_day(d, rule) {
                counted += 1;
            }
        }
        d
    }

    /// `date` if it is a working day, otherwise the next working day.
    pub fn working_day_on_or_after(&self, date: Date, rule: WorkingDays) -> Date {
        let mut d = date;
        while !self.is_working_day(d, rule) {
            d = next_day(d);
        }
        d
    }

    /// Working days in `(from, to]`; negative (counting `(to, from]`) when `to` is earlier.
    pub fn working_days_between(&self, from: Date, to: Date, rule: WorkingDays) -> i32 {
        let (lo, hi, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut d = lo;
        let mut n = 0;
        while d < hi {
            d = next_day(d);
            if self.is_working_day(d, rule) {
                n += 1;
            }
        }
        sign * n
    }

    /// A stable hash of every effective holiday up to [`GENERATE_UNTIL`]
    /// (data, generated and operator days), so the daemon can notice that the
    /// calendar changed between runs and recompute open cases.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"foid-calendar-v1\n");
        let mut rows: Vec<(Date, Region, &str)> = Vec::new();
        for region in Region::ALL {
            for (date, (name, _)) in &self.effective[region.index()] {
                rows.push((*date, region, name));
            }
        }
        rows.sort();
        for (date, region, name) in rows {
            hasher.update(format!("{date},{region},{name}\n").as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    fn in_span(&self, year: i16) -> bool {
        (self.span.0..=self.span.1).contains(&year)
    }

    /// Data for a data year, otherwise the rules (no operator overrides).
    fn base_year(&self, region: Region, year: i16) -> Vec<(Date, String)> {
        if self.data_years[region.index()].contains(&year) {
            self.data[region.index()]
                .range(year_range(year))
                .map(|(d, n)| (*d, n.clone()))
                .collect()
        } else {
            rule_holidays(region, year)
        }
    }

    /// One year with operator overrides applied.
    fn effective_year(&self, region: Region, year: i16) -> Vec<(Date, String, HolidaySource)> {
        let i = region.index();
        let base_source = if self.data_years[i].contains(&year) {
            HolidaySource::Data
        } else {
            HolidaySource::Generated
        };
        let mut days: BTreeMap<Date, (String, HolidaySource)> = self
            .base_year(region, year)
            .into_iter()
            .filter(|(d, _)| !self.removed[i].contains(d))
            .map(|(d, n)| (d, (n, base_source)))
            .collect();
        for (d, n) in self.added[i].range(year_range(year)) {
            days.insert(*d, (n.clone(), HolidaySource::Operator));
        }
        days.into_iter().map(|(d, (n, s))| (d, n, s)).collect()
    }

    fn rebuild(&mut self) {
        let data_min = self
            .data_years
            .iter()
            .filter_map(|y| y.first())
            .min()
            .copied();
        let data_max = self
            .data_years
            .iter()
            .filter_map(|y| y.last())
            .max()
            .copied();
        let from = data_min.unwrap_or(FIRST_DATA_YEAR).min(FIRST_DATA_YEAR);
        let to = data_max.unwrap_or(GENERATE_UNTIL).max(GENERATE_UNTIL);
        let mut effective: PerRegion<BTreeMap<Date, (String, HolidaySource)>> = Default::default();
        for region in Region::ALL {
            for year in from..=to {
                for (d, n, s) in self.effective_year(region, year) {
                    effective[region.index()].insert(d, (n, s));
                }
            }
        }
        self.effective = effective;
        self.span = (from, to);
    }
}

/// Easter Sunday (Gregorian), by the anonymous computus (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, month as i8, day as i8).expect("computus gives a valid date")
}

/// A division's bank holidays for `year` derived from the rules of rules.md
/// §6.2 (used for years the data does not cover), with the known one-off
/// and moved days of [`PROCLAIMED`].
///
/// Substitutes: a fixed-date holiday on a Saturday or Sunday moves to the
/// next weekday that is not already a holiday, taking holidays in date order.
pub fn rule_holidays(region: Region, year: i16) -> Vec<(Date, String)> {
    if !(FIRST_RULE_YEAR..=9998).contains(&year) {
        return Vec::new();
    }
    use Region::*;
    let ymd = |m: i8, d: i8| Date::new(year, m, d).expect("valid fixed date");
    let easter = easter_sunday(year);
    let mut moveable: Vec<(Date, &str)> = vec![(easter - 2.days(), "Good Friday")];
    if region != Scotland {
        moveable.push((easter + 1.days(), "Easter Monday"));
    }
    if year >= 1978 {
        moveable.push((nth_monday(year, 5, 1), "Early May bank holiday"));
    }
    moveable.push((nth_monday(year, 5, -1), "Spring bank holiday"));
    let summer = if region == Scotland {
        nth_monday(year, 8, 1)
    } else {
        nth_monday(year, 8, -1)
    };
    moveable.push((summer, "Summer bank holiday"));
    let proclaimed: Vec<&Proclaimed> = PROCLAIMED
        .iter()
        .filter(|p| p.year == year && p.regions.contains(&region))
        .collect();
    moveable.retain(|(d, _)| {
        !proclaimed
            .iter()
            .any(|p| p.instead_of == Some((d.month(), d.day())))
    });
    moveable.extend(proclaimed.iter().map(|p| (ymd(p.month, p.day), p.name)));

    let mut fixed: Vec<(Date, &str)> = vec![(ymd(1, 1), "New Year’s Day")];
    if region == Scotland {
        fixed.push((ymd(1, 2), "2nd January"));
    }
    if region == NorthernIreland {
        fixed.push((ymd(3, 17), "St Patrick’s Day"));
        fixed.push((ymd(7, 12), "Battle of the Boyne (Orangemen’s Day)"));
    }
    if region == Scotland && year >= 2007 {
        fixed.push((ymd(11, 30), "St Andrew’s Day"));
    }
    fixed.push((ymd(12, 25), "Christmas Day"));
    fixed.push((ymd(12, 26), "Boxing Day"));
    fixed.sort();

    let is_weekend = |d: Date| matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
    let mut out: BTreeMap<Date, String> = moveable
        .iter()
        .chain(fixed.iter().filter(|(d, _)| !is_weekend(*d)))
        .map(|(d, n)| (*d, n.to_string()))
        .collect();
    for (nominal, name) in fixed.iter().filter(|(d, _)| is_weekend(*d)) {
        let mut d = *nominal;
        while is_weekend(d) || out.contains_key(&d) {
            d = next_day(d);
        }
        out.insert(d, format!("{name} (substitute day)"));
    }
    out.into_iter().collect()
}

/// A day appointed by Royal Proclamation (BFDA 1971 s.1(3)): a one-off
/// holiday, or a rule day moved (`instead_of`, month and day).
struct Proclaimed {
    year: i16,
    month: i8,
    day: i8,
    instead_of: Option<(i8, i8)>,
    name: &'static str,
    regions: &'static [Region],
}

/// The proclamations since FOIA's enactment (2000), so that generated years
/// (imported history before the data, a table missing a year) get them.
/// Sources: gov.uk's bank-holidays.json for 2012 on; for earlier years the
/// `holidays` package's UK tables, which agree with the London Gazette.
const PROCLAIMED: &[Proclaimed] = &[
    Proclaimed::extra(2002, 6, 3, "Queen’s Golden Jubilee"),
    Proclaimed::moved(2002, (5, 27), (6, 4), "Spring bank holiday"),
    Proclaimed::extra(2011, 4, 29, "Royal wedding"),
    Proclaimed::moved(2012, (5, 28), (6, 4), "Spring bank holiday"),
    Proclaimed::extra(2012, 6, 5, "Queen’s Diamond Jubilee"),
    Proclaimed::moved(2020, (5, 4), (5, 8), "Early May bank holiday (VE day)"),
    Proclaimed::moved(2022, (5, 30), (6, 2), "Spring bank holiday"),
    Proclaimed::extra(2022, 6, 3, "Platinum Jubilee bank holiday"),
    Proclaimed::extra(
        2022,
        9,
        19,
        "Bank Holiday for the State Funeral of Queen Elizabeth II",
    ),
    Proclaimed::extra(
        2023,
        5,
        8,
        "Bank holiday for the coronation of King Charles III",
    ),
    Proclaimed::extra(2026, 6, 15, "World Cup bank holiday").only(&[Region::Scotland]),
];

impl Proclaimed {
    const fn extra(year: i16, month: i8, day: i8, name: &'static str) -> Proclaimed {
        Proclaimed {
            year,
            month,
            day,
            instead_of: None,
            name,
            regions: &Region::ALL,
        }
    }

    const fn moved(year: i16, from: (i8, i8), to: (i8, i8), name: &'static str) -> Proclaimed {
        Proclaimed {
            year,
            month: to.0,
            day: to.1,
            instead_of: Some(from),
            name,
            regions: &Region::ALL,
        }
    }

    const fn only(self, regions: &'static [Region]) -> Proclaimed {
        Proclaimed { regions, ..self }
    }
}

/// The `n`th Monday of `month` (negative counts from the end).
fn nth_monday(year: i16, month: i8, n: i8) -> Date {
    Date::new(year, month, 1)
        .and_then(|d| d.nth_weekday_of_month(n, Weekday::Monday))
        .expect("every month has a first and last Monday")
}

fn is_christmas(date: Date) -> bool {
    date.month() == 12 && date.day() == 25
}

fn is_good_friday(date: Date) -> bool {
    matches!(date.month(), 3 | 4)
        && date.weekday() == Weekday::Friday
        && date.year() >= 1583
        && easter_sunday(date.year()) - 2.days() == date
}

/// Christmas Day and Good Friday are non-working under FOIA s.10(6) in their
/// own right, even if the data lacks them.
fn statutory_day(date: Date) -> Option<String> {
    if is_christmas(date) {
        Some("Christmas Day".into())
    } else if is_good_friday(date) {
        Some("Good Friday".into())
    } else {
        None
    }
}

/// "Christmas Day" if kept everywhere under one name, otherwise
/// "Easter Monday (england-and-wales, northern-ireland)".
fn describe_regions(found: &[(Region, String)]) -> String {
    if found.len() == Region::ALL.len() && found.iter().all(|(_, n)| *n == found[0].1) {
        return found[0].1.clone();
    }
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (region, name) in found {
        match groups.iter_mut().find(|(n, _)| n == name) {
            Some((_, regions)) => regions.push(region.as_str()),
            None => groups.push((name, vec![region.as_str()])),
        }
    }
    groups
        .iter()
        .map(|(name, regions)| format!("{name} ({})", regions.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn check_year(date: Date) -> Result<(), String> {
    if DATA_YEARS.contains(&date.year()) {
        Ok(())
    } else {
        Err(format!(
            "{date} is outside the supported years {}-{}",
            DATA_YEARS.start(),
            DATA_YEARS.end()
        ))
    }
}

fn next_day(d: Date) -> Date {
    d.tomorrow().expect("dates stay well inside jiff's range")
}

fn year_range(year: i16) -> std::ops::RangeInclusive<Date> {
    let first = Date::new(year, 1, 1).expect("valid year");
    let last = Date::new(year, 12, 31).expect("valid year");
    first..=last
}

/// Splits one CSV line (RFC 4180 quoting, no embedded newlines).
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
        } else {
            match c {
                '"' if at_start => {
                    quoted = true;
                    at_start = false;
                    continue;
                }
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    at_start = true;
                    continue;
                }
                _ => field.push(c),
            }
        }
        at_start = false;
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    fields.push(field);
    Ok(fields)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn shipped() -> Calendar {
        Calendar::shipped()
    }

    #[test]
    fn region_names_round_trip() {
        for r in Region::ALL {
            assert_eq!(r.to_string().parse::<Region>().unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{r}\""));
            assert_eq!(serde_json::from_str::<Region>(&json).unwrap(), r);
        }
        assert_eq!(" Scotland ".parse::<Region>().unwrap(), Region::Scotland);
        let err = "wales".parse::<Region>().unwrap_err().to_string();
        assert!(err.contains("'wales'"), "{err}");
        assert!(
            err.contains("england-and-wales, scotland, northern-ireland"),
            "{err}"
        );
    }

    #[test]
    fn shipped_data_loads() {
        let cal = shipped();
        for r in Region::ALL {
            assert_eq!(cal.data_years(r), Some((FIRST_DATA_YEAR, 2030)));
        }
        let h = cal.holiday(Region::Scotland, date(2026, 6, 15)).unwrap();
        assert_eq!(h.name, "World Cup bank holiday");
        assert_eq!(h.source, HolidaySource::Data);
        assert!(!cal.is_bank_holiday(Region::EnglandAndWales, date(2026, 6, 15)));
        // The 2022 and 2023 one-offs.
        for d in [
            date(2022, 6, 2),
            date(2022, 6, 3),
            date(2022, 9, 19),
            date(2023, 5, 8),
        ] {
            for r in Region::ALL {
                assert!(cal.is_bank_holiday(r, d), "{d} {r}");
            }
        }
        assert!(!cal.is_bank_holiday(Region::EnglandAndWales, date(2022, 5, 30)));
        assert!(!cal.is_bank_holiday(Region::EnglandAndWales, date(2020, 5, 4)));
        assert!(cal.is_bank_holiday(Region::EnglandAndWales, date(2020, 5, 8)));
    }

    #[test]
    fn easter_dates() {
        for (y, m, d) in [
            (2015, 4, 5),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2038, 4, 25),
            (2285, 3, 22),
            (2000, 4, 23),
            (2008, 3, 23),
        ] {
            assert_eq!(easter_sunday(y), date(y, m, d), "{y}");
        }
    }

    #[test]
    fn generator_reproduces_every_official_year() {
        // gov.uk's published years, proclamations and substitutes included.
        let cal = shipped();
        for region in Region::ALL {
            for year in FIRST_DATA_YEAR..=2027 {
                let official: Vec<Date> = cal
                    .holidays(year, Some(region))
                    .iter()
                    .map(|h| h.date)
                    .collect();
                let generated: Vec<Date> = rule_holidays(region, year)
                    .iter()
                    .map(|(d, _)| *d)
                    .collect();
                assert_eq!(generated, official, "{region} {year}");
            }
        }
    }

    #[test]
    fn years_before_the_data_keep_their_proclaimed_days() {
        let cal = shipped();
        let ew = WorkingDays::Uk;
        // The royal wedding of 2011 and the Golden Jubilee of 2002 (with the
        // spring holiday moved from 27 May to 4 June).
        assert!(!cal.is_working_day(date(2011, 4, 29), ew));
        assert!(!cal.is_working_day(date(2002, 6, 3), ew));
        assert!(!cal.is_working_day(date(2002, 6, 4), ew));
        assert!(cal.is_working_day(date(2002, 5, 27), ew));
        // Received Thursday 14 April 2011: Good Friday, Easter Monday, the
        // wedding and early May all fall in the 20 days.
        assert_eq!(
            cal.add_working_days(date(2011, 4, 14), 20, ew),
            date(2011, 5, 18)
        );
        // Received Friday 1 June 2012: the moved spring holiday and the
        // Diamond Jubilee come first (the rules alone would give 29 June).
        assert_eq!(
            cal.add_working_days(date(2012, 6, 1), 20, ew),
            date(2012, 7, 3)
        );
        assert_eq!(
            cal.data_years(Region::EnglandAndWales).map(|y| y.0),
            Some(2012)
        );
    }

    #[test]
    fn generator_substitutes() {
        let dates = |r, y| -> Vec<(Date, String)> { rule_holidays(r, y) };
        // Christmas on Saturday 2027: Mon 27 and Tue 28.
        let x = dates(Region::EnglandAndWales, 2027);
        assert!(x.contains(&(date(2027, 12, 27), "Christmas Day (substitute day)".into())));
        assert!(x.contains(&(date(2027, 12, 28), "Boxing Day (substitute day)".into())));
        // Christmas on Sunday 2022: Boxing Day Mon 26, Christmas substitute Tue 27.
        let x = dates(Region::Scotland, 2022);
        assert!(x.contains(&(date(2022, 12, 26), "Boxing Day".into())));
        assert!(x.contains(&(date(2022, 12, 27), "Christmas Day (substitute day)".into())));
        // 1 Jan Saturday 2022, Scotland: Mon 3 and Tue 4.
        assert!(x.contains(&(date(2022, 1, 3), "New Year’s Day (substitute day)".into())));
        assert!(x.contains(&(date(2022, 1, 4), "2nd January (substitute day)".into())));
        // St Andrew's on Saturday 2030; St Patrick's on Sunday 2030; Boyne on Sunday 2026.
        assert!(dates(Region::Scotland, 2030)
            .contains(&(date(2030, 12, 2), "St Andrew’s Day (substitute day)".into())));
        assert!(dates(Region::NorthernIreland, 2030)
            .iter()
            .any(|(d, _)| *d == date(2030, 3, 18)));
        assert!(dates(Region::NorthernIreland, 2026)
            .iter()
            .any(|(d, _)| *d == date(2026, 7, 13)));
        // Every generated day is a weekday and each year has the right count.
        for y in 2015..=2100 {
            for (r, n) in [
                (Region::EnglandAndWales, 8),
                (Region::Scotland, 9),
                (Region::NorthernIreland, 10),
            ] {
                let days = dates(r, y);
                let one_offs = PROCLAIMED
                    .iter()
                    .filter(|p| p.year == y && p.regions.contains(&r) && p.instead_of.is_none())
                    .count();
                assert_eq!(days.len(), n + one_offs, "{r} {y}");
                assert!(days
                    .iter()
                    .all(|(d, _)| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)));
            }
        }
        assert!(rule_holidays(Region::Scotland, 1900).is_empty());
    }

    #[test]
    fn years_beyond_data_are_generated() {
        let cal = shipped();
        // 2031: Easter Sunday 13 April.
        let list = cal.holidays(2031, Some(Region::EnglandAndWales));
        assert_eq!(list.len(), 8);
        assert!(list.iter().all(|h| h.source == HolidaySource::Generated));
        assert!(cal.is_bank_holiday(Region::EnglandAndWales, date(2031, 4, 11)));
        assert!(cal.is_bank_holiday(Region::EnglandAndWales, date(2031, 4, 14)));
        // Beyond the precomputed span too.
        let far = date(2150, 12, 25);
        assert!(cal.holiday(Region::Scotland, far).is_some());
        assert_eq!(cal.holidays(2150, None).len(), 27);
        // And before the data.
        assert!(cal.is_bank_holiday(Region::EnglandAndWales, date(2014, 8, 25)));
    }

    #[test]
    fn working_day_rules() {
        let cal = shipped();
        let sat = date(2025, 6, 21);
        assert!(!cal.is_working_day(sat, WorkingDays::Uk));
        assert_eq!(
            cal.non_working_reason(sat, WorkingDays::Uk).as_deref(),
            Some("Saturday")
        );
        // Easter Monday: not Scottish, so a FOISA working day.
        let em = date(2025, 4, 21);
        assert!(!cal.is_working_day(em, WorkingDays::Uk));
        assert!(cal.is_working_day(em, WorkingDays::Region(Region::Scotland)));
        assert_eq!(
            cal.non_working_reason(em, WorkingDays::Uk).as_deref(),
            Some("Easter Monday (england-and-wales, northern-ireland)")
        );
        assert_eq!(
            cal.non_working_reason(em, WorkingDays::Region(Region::EnglandAndWales))
                .as_deref(),
            Some("Easter Monday")
        );
        assert_eq!(
            cal.non_working_reason(date(2024, 12, 2), WorkingDays::Uk)
                .as_deref(),
            Some("St Andrew’s Day (substitute day) (scotland)")
        );
        assert_eq!(
            cal.non_working_reason(date(2025, 12, 25), WorkingDays::Uk)
                .as_deref(),
            Some("Christmas Day")
        );
        assert_eq!(
            cal.non_working_reason(date(2021, 12, 25), WorkingDays::Uk)
                .as_deref(),
            Some("Christmas Day (Saturday)")
        );
        // Christmas Day and Good Friday stay non-working even if removed from the data.
        let mut cal2 = shipped();
        for r in Region::ALL {
            cal2.remove_day(r, date(2025, 4, 18));
            cal2.remove_day(r, date(2025, 12, 25));
        }
        assert_eq!(
            cal2.non_working_reason(date(2025, 4, 18), WorkingDays::Uk)
                .as_deref(),
            Some("Good Friday")
        );
        assert!(!cal2.is_working_day(date(2025, 12, 25), WorkingDays::Region(Region::Scotland)));
        assert!(cal.is_working_day(date(2025, 4, 22), WorkingDays::Uk));
        assert_eq!(
            cal.non_working_reason(date(2025, 4, 22), WorkingDays::Uk),
            None
        );
    }

    #[test]
    fn counting_helpers() {
        let cal = shipped();
        let uk = WorkingDays::Uk;
        let due = cal.add_working_days(date(2019, 3, 15), 20, uk);
        assert_eq!(due, date(2019, 4, 15));
        assert_eq!(cal.working_days_between(date(2019, 3, 15), due, uk), 20);
        assert_eq!(cal.working_days_between(due, date(2019, 3, 15), uk), -20);
        assert_eq!(cal.working_days_between(due, due, uk), 0);
        assert_eq!(
            cal.working_day_on_or_after(date(2025, 5, 25), uk),
            date(2025, 5, 27)
        );
        assert_eq!(
            cal.working_day_on_or_after(date(2025, 5, 27), uk),
            date(2025, 5, 27)
        );
    }

    #[test]
    fn operator_overrides() {
        let mut cal = shipped();
        let before = cal.fingerprint();
        let d = date(2031, 6, 16);
        assert!(cal.is_working_day(d, WorkingDays::Uk));
        cal.add_day(Region::Scotland, d, "Another World Cup bank holiday");
        assert!(!cal.is_working_day(d, WorkingDays::Uk));
        let h = cal.holiday(Region::Scotland, d).unwrap();
        assert_eq!(h.source, HolidaySource::Operator);
        assert_ne!(cal.fingerprint(), before);
        assert!(cal.remove_day(Region::Scotland, d));
        assert!(cal.is_working_day(d, WorkingDays::Uk));
        assert!(!cal.remove_day(Region::Scotland, d));
        // Remove a data day.
        let boyne = date(2030, 7, 12);
        assert!(cal.remove_day(Region::NorthernIreland, boyne));
        assert!(cal.is_working_day(boyne, WorkingDays::Uk));
        // Overrides beyond the precomputed span.
        let far = date(2200, 3, 3);
        cal.add_day(Region::EnglandAndWales, far, "Far future");
        assert!(!cal.is_working_day(far, WorkingDays::Uk));
        assert!(cal
            .holidays(2200, Some(Region::EnglandAndWales))
            .iter()
            .any(|h| h.date == far && h.source == HolidaySource::Operator));
    }

    #[test]
    fn fingerprint_is_stable() {
        let a = shipped().fingerprint();
        assert_eq!(a, shipped().fingerprint());
        assert_eq!(a.len(), 64);
        // Same holidays via a round trip through data_csv.
        let round = Calendar::from_csv(&shipped().data_csv()).unwrap();
        assert_eq!(round.fingerprint(), a);
        assert_eq!(round, shipped());
    }

    #[test]
    fn csv_errors_are_clear() {
        let e = Calendar::from_csv("").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = Calendar::from_csv("day,region,name\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no 'date' column"), "{e}");
        let e = Calendar::from_csv("date,region,name\n2025-13-01,scotland,X\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("bad date"), "{e}");
        let e = Calendar::from_csv("date,region,name\n2025-01-01,wales,X\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("unknown region"), "{e}");
        let e = Calendar::from_csv("date,region,name\n2025-01-01,scotland,\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no name"), "{e}");
        let e =
            Calendar::from_csv("date,region,name\n2025-01-01,scotland,A\n2025-01-01,scotland,B\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("line 3") && e.contains("twice"), "{e}");
        let e = Calendar::from_csv("date,region,name\n2025-01-01,scotland,\"A\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unterminated"), "{e}");
        // Quoting, CRLF, BOM and extra columns are fine.
        let cal = Calendar::from_csv(
            "\u{feff}date,region,name,source\r\n2025-01-01,scotland,\"New Year, \"\"big\"\"\",x\r\n",
        )
        .unwrap();
        assert_eq!(
            cal.holiday(Region::Scotland, date(2025, 1, 1))
                .unwrap()
                .name,
            "New Year, \"big\""
        );
        assert!(cal.data_csv().contains("\"New Year, \"\"big\"\"\""));
        // A region with no data is generated throughout.
        assert!(cal.is_bank_holiday(Region::EnglandAndWales, date(2025, 4, 21)));
        // A data year is taken as complete: 2025 Scotland has only New Year's Day.
        assert!(!cal.is_bank_holiday(Region::Scotland, date(2025, 1, 2)));
    }

    /// gov.uk-style JSON built from the shipped data for some years.
    fn govuk_json(cal: &Calendar, years: std::ops::RangeInclusive<i16>) -> String {
        let mut root = serde_json::Map::new();
        for r in Region::ALL {
            let events: Vec<serde_json::Value> = years
                .clone()
                .flat_map(|y| cal.holidays(y, Some(r)))
                .map(|h| {
                    let (title, notes) = match h.name.strip_suffix(" (substitute day)") {
                        Some(t) => (t.to_string(), "Substitute day"),
                        None => (h.name.clone(), ""),
                    };
                    serde_json::json!({
                        "title": title, "date": h.date.to_string(), "notes": notes, "bunting": true
                    })
                })
                .collect();
            root.insert(
                r.to_string(),
                serde_json::json!({"division": r.to_string(), "events": events}),
            );
        }
        serde_json::Value::Object(root).to_string()
    }

    #[test]
    fn import_same_data_changes_nothing() {
        let mut cal = shipped();
        let json = govuk_json(&shipped(), 2019..=2027);
        let summary = cal.import_govuk_json(&json).unwrap();
        assert_eq!(summary.changed(), 0, "{summary:?}");
        assert_eq!(summary.divisions.len(), 3);
        assert_eq!(summary.divisions[0].first_year, 2019);
        assert_eq!(summary.divisions[0].last_year, 2027);
        assert_eq!(cal.fingerprint(), shipped().fingerprint());
    }

    #[test]
    fn import_replaces_covered_years_and_extends_data() {
        let mut cal = shipped();
        let json = r#"{
          "scotland": {"division": "scotland", "events": [
            {"title": "New Year’s Day", "date": "2031-01-01", "notes": "", "bunting": true},
            {"title": "2nd January", "date": "2031-01-02", "notes": "", "bunting": true},
            {"title": "A proclaimed day", "date": "2031-06-20", "notes": "", "bunting": true}
          ]}
        }"#;
        let summary = cal.import_govuk_json(json).unwrap();
        // 2031 generated Scotland had 9 days; the file lists 3, one of them new.
        assert_eq!(summary.added, 1);
        assert_eq!(summary.removed, 7);
        assert_eq!(summary.renamed, 0);
        assert_eq!(
            cal.data_years(Region::Scotland),
            Some((FIRST_DATA_YEAR, 2031))
        );
        assert!(cal.is_bank_holiday(Region::Scotland, date(2031, 6, 20)));
        assert!(!cal.is_bank_holiday(Region::Scotland, date(2031, 12, 25)));
        // Other divisions and years untouched.
        assert!(cal.is_bank_holiday(Region::EnglandAndWales, date(2031, 12, 25)));
        assert!(cal.is_bank_holiday(Region::Scotland, date(2030, 12, 25)));
        // A substitute note becomes part of the name; a rename counts as a change.
        let json = r#"{"northern-ireland": {"events": [
            {"title": "Boyne", "date": "2030-07-12", "notes": "", "bunting": false}
        ]}}"#;
        let summary = cal.import_govuk_json(json).unwrap();
        assert_eq!(summary.renamed, 1);
        assert_eq!(summary.removed, 9);
    }

    #[test]
    fn import_errors_are_clear_and_atomic() {
        let mut cal = shipped();
        let fp = cal.fingerprint();
        let cases = [
            ("not json", "gov.uk bank-holidays JSON"),
            ("{}", "no divisions"),
            (r#"{"wales": {"events": []}}"#, "unknown region 'wales'"),
            (r#"{"scotland": {"events": []}}"#, "scotland has no events"),
            (
                r#"{"scotland": {"division": "northern-ireland", "events": []}}"#,
                "says it is",
            ),
            (
                r#"{"scotland": {"events": [{"title": "X", "date": "2031-02-30"}]}}"#,
                "scotland, event 1: bad date",
            ),
            (
                r#"{"scotland": {"events": [{"title": " ", "date": "2031-02-03"}]}}"#,
                "no title",
            ),
            (
                r#"{"scotland": {"events": [{"title": "X", "date": "3031-02-03"}]}}"#,
                "outside the supported years",
            ),
            (
                r#"{"england-and-wales": {"events": [{"title": "A", "date": "2031-02-03"}]},
                    "scotland": {"events": [{"title": "A", "date": "2031-02-03"},
                                            {"title": "B", "date": "2031-02-03"}]}}"#,
                "listed twice",
            ),
        ];
        for (json, want) in cases {
            let e = cal.import_govuk_json(json).unwrap_err().to_string();
            assert!(e.contains(want), "{json}: {e}");
            assert_eq!(cal.fingerprint(), fp, "{json} changed the calendar");
        }
    }

    #[test]
    fn listing_a_year() {
        let cal = shipped();
        let all = cal.holidays(2027, None);
        assert_eq!(all.len(), 27);
        assert!(all
            .windows(2)
            .all(|w| (w[0].date, w[0].region) < (w[1].date, w[1].region)));
        let sct = cal.holidays(2026, Some(Region::Scotland));
        assert_eq!(sct.len(), 10);
        assert!(sct.iter().all(|h| h.region == Region::Scotland));
    }
}
