//! Personal data in what a file holds, visible or hidden: patterns that
//! are personal on their own (email addresses, phone numbers, National
//! Insurance and NHS numbers, dates of birth), postcodes beside a name,
//! and spreadsheet columns whose header says they hold names, staff or
//! payroll numbers or dates of birth. Matches are counted per part and
//! reported with where they are (a cell range for a grid) and a masked
//! example, so the approver can find them without the preview spreading
//! them further.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::{Finding, FindingKind, Policy};

/// How many matches of a kind in one file make a finding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub email_addresses: u64,
    pub phone_numbers: u64,
    pub ni_numbers: u64,
    pub nhs_numbers: u64,
    pub postcodes_with_names: u64,
    pub dates_of_birth: u64,
    /// Values in a column headed as staff, payroll or employee numbers.
    pub staff_numbers: u64,
    /// Values in a column headed as people's names.
    pub peoples_names: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            email_addresses: 1,
            phone_numbers: 1,
            ni_numbers: 1,
            nhs_numbers: 1,
            postcodes_with_names: 1,
            dates_of_birth: 1,
            staff_numbers: 3,
            peoples_names: 5,
        }
    }
}

impl Thresholds {
    fn of(&self, kind: FindingKind) -> u64 {
        use FindingKind::*;
        match kind {
            EmailAddresses => self.email_addresses,
            PhoneNumbers => self.phone_numbers,
            NiNumbers => self.ni_numbers,
            NhsNumbers => self.nhs_numbers,
            PostcodesWithNames => self.postcodes_with_names,
            DatesOfBirth => self.dates_of_birth,
            StaffNumbers => self.staff_numbers,
            PeoplesNames => self.peoples_names,
            _ => 1,
        }
        .max(1)
    }
}

macro_rules! re {
    ($name:ident, $pattern:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| {
            #[allow(clippy::expect_used)] // a literal pattern, tested below
            Regex::new($pattern).expect("valid pattern")
        });
    };
}

re!(
    EMAIL,
    r"(?i)\b[a-z0-9][a-z0-9._%+'-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}\b"
);
// UK numbers as people write them: 01632 960 123, (01632) 960123, +44 7700 900123.
re!(
    PHONE,
    r"(?:\+44\s?\(?0?\)?\s?|\(?\b0)\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b"
);
re!(
    NI_NUMBER,
    r"(?i)\b([A-Z]{2})\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"
);
re!(NHS_NUMBER, r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b");
re!(
    POSTCODE,
    r"(?i)\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}\b"
);
re!(
    TITLED_NAME,
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame)\.?\s+[A-Z][a-z'-]+"
);
re!(
    DOB_TEXT,
    r"(?i)\b(?:d\.?o\.?b\.?|date of birth|born(?: on)?)\s*[:\-]?\s*(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3,9}\.?\s+\d{4})"
);
re!(
    NAME_HEADER,
    r"(?i)^\s*(?:(?:full|first|last|given|family|fore|sur|middle|preferred|employee|staff|officer|member|person|applicant|claimant|tenant|customer|client|pupil|student)\s*)?(?:name|names|forename|forenames|surname|surnames)(?:\s+of\s+\w+)?\s*$"
);
re!(
    STAFF_HEADER,
    r"(?i)\b(?:staff|employee|payroll|personnel|pay|warrant|collar|service|badge|hr|worker)\s*(?:no|no\.|num|number|id|ref|reference|#|code)\b|^\s*(?:emp|empl)\s*(?:no|id)\b"
);
re!(
    DOB_HEADER,
    r"(?i)\b(?:d\.?o\.?b\.?|date of birth|birth\s*date|birthdate|birthday)\b"
);
re!(
    DATE_VALUE,
    r"^\s*(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}(?:T.*)?|\d{1,2}\s+[A-Za-z]{3,9}\s+\d{4}|\d{4,5}(?:\.\d+)?)\s*$"
);

/// Not issued as National Insurance prefixes (HMRC's rules).
fn ni_prefix_ok(prefix: &str) -> bool {
    let p = prefix.to_ascii_uppercase();
    let mut c = p.chars();
    let (Some(a), Some(b)) = (c.next(), c.next()) else {
        return false;
    };
    !("DFIQUV".contains(a)
        || "DFIQUVO".contains(b)
        || ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].contains(&p.as_str()))
}

/// The NHS number's modulus 11 check digit.
fn nhs_checksum_ok(digits: &str) -> bool {
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 10 || d.first() == Some(&0) || d.iter().all(|x| Some(x) == d.first()) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .take(9)
        .zip((2..=10).rev())
        .map(|(x, w)| x * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    d.get(9) == Some(&check)
}

fn phone_ok(m: &str) -> bool {
    let digits: String = m.chars().filter(char::is_ascii_digit).collect();
    if m.trim_start().starts_with("+44") {
        (11..=13).contains(&digits.len())
    } else {
        (10..=11).contains(&digits.len()) && digits.starts_with('0') && !digits.starts_with("00")
    }
}

/// A masked example: enough to find the value, not enough to read it.
fn mask(value: &str) -> String {
    let chars: Vec<char> = value.trim().chars().collect();
    let n = chars.len();
    if n <= 4 {
        return "*".repeat(n);
    }
    let keep = if n > 10 { 3 } else { 2 };
    let head: String = chars.iter().take(keep).collect();
    let tail: String = chars.iter().skip(n - keep).collect();
    format!("{head}{}{tail}", "*".repeat(n - 2 * keep))
}

/// Column letters of a 1-based column number.
pub(crate) fn column_letters(mut col: u32) -> String {
    let mut s = Vec::new();
    while col > 0 {
        let rem = (col - 1) % 26;
        s.push(char::from(b'A' + rem as u8));
        col = (col - 1) / 26;
    }
    s.iter().rev().collect()
}

#[derive(Debug, Default)]
struct Tally {
    count: u64,
    example: String,
    rows: Option<(u32, u32)>,
    cols: BTreeSet<u32>,
}

impl Tally {
    fn add(&mut self, example: &str, at: Option<(u32, u32)>) {
        self.count += 1;
        if self.example.is_empty() {
            self.example = mask(example);
        }
        if let Some((row, col)) = at {
            self.rows = Some(match self.rows {
                Some((lo, hi)) => (lo.min(row), hi.max(row)),
                None => (row, row),
            });
            self.cols.insert(col);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnRole {
    Names,
    NhsNumbers,
    StaffNumbers,
    DatesOfBirth,
}

/// One grid (sheet) as its cells stream past.
#[derive(Debug, Default)]
struct Grid {
    /// Row of the header, once seen: the first row with text in it.
    header_row: Option<u32>,
    roles: BTreeMap<u32, ColumnRole>,
    row: u32,
    cells: Vec<(u32, String)>,
}

/// Gathers matches over a whole file, part by part.
pub struct Scanner<'a> {
    policy: &'a Policy,
    tallies: BTreeMap<(String, FindingKind), Tally>,
    grids: BTreeMap<String, Grid>,
}

impl<'a> Scanner<'a> {
    pub fn new(policy: &'a Policy) -> Self {
        Scanner {
            policy,
            tallies: BTreeMap::new(),
            grids: BTreeMap::new(),
        }
    }

    fn tally(&mut self, part: &str, kind: FindingKind, example: &str, at: Option<(u32, u32)>) {
        self.tallies
            .entry((part.to_string(), kind))
            .or_default()
            .add(example, at);
    }

    /// Free text: a paragraph, a comment, a page's text.
    pub fn text(&mut self, part: &str, text: &str) {
        let nhs = text.to_ascii_lowercase().contains("nhs");
        self.patterns(part, text, None, nhs);
        for line in text.lines() {
            if let Some(pc) = POSTCODE.find(line) {
                if TITLED_NAME.is_match(line) {
                    self.tally(part, FindingKind::PostcodesWithNames, pc.as_str(), None);
                }
            }
        }
    }

    /// The patterns that are personal data wherever they stand.
    /// NHS numbers count only where the text or the column says NHS: one
    /// in eleven ten-digit numbers passes the check digit by chance.
    fn patterns(&mut self, part: &str, text: &str, at: Option<(u32, u32)>, nhs_context: bool) {
        let allowed = &self.policy.allowed_addresses;
        let mut found: Vec<(FindingKind, String)> = Vec::new();
        // Cheap tests first: most cells and lines hold none of these.
        let digits = text.bytes().filter(u8::is_ascii_digit).count();
        if text.contains('@') {
            for m in EMAIL.find_iter(text) {
                if !allowed.iter().any(|a| a.eq_ignore_ascii_case(m.as_str())) {
                    found.push((FindingKind::EmailAddresses, m.as_str().to_string()));
                }
            }
        }
        if digits >= 6 {
            for c in NI_NUMBER.captures_iter(text) {
                if c.get(1).is_some_and(|p| ni_prefix_ok(p.as_str())) {
                    if let Some(m) = c.get(0) {
                        found.push((FindingKind::NiNumbers, m.as_str().to_string()));
                    }
                }
            }
        }
        if digits >= 10 {
            for m in PHONE.find_iter(text).filter(|m| phone_ok(m.as_str())) {
                found.push((FindingKind::PhoneNumbers, m.as_str().to_string()));
            }
            for m in NHS_NUMBER
                .find_iter(text)
                .filter(|m| nhs_context && nhs_checksum_ok(m.as_str()))
            {
                found.push((FindingKind::NhsNumbers, m.as_str().to_string()));
            }
        }
        if digits >= 4 {
            let lower = text.to_ascii_lowercase();
            if ["dob", "d.o.b", "birth", "born"]
                .iter()
                .any(|w| lower.contains(w))
            {
                for m in DOB_TEXT.find_iter(text) {
                    found.push((FindingKind::DatesOfBirth, m.as_str().to_string()));
                }
            }
        }
        for (kind, example) in found {
            self.tally(part, kind, &example, at);
        }
    }

    /// One spreadsheet cell; cells of a sheet come row by row.
    pub fn cell(&mut self, sheet: &str, row: u32, col: u32, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        if !self.grids.contains_key(sheet) {
            self.grids.insert(sheet.to_string(), Grid::default());
        }
        let Some(grid) = self.grids.get_mut(sheet) else {
            return;
        };
        if grid.row != row {
            let cells = std::mem::take(&mut grid.cells);
            let done_row = grid.row;
            grid.row = row;
            self.end_row(sheet, done_row, cells);
        }
        let mut nhs = value.to_ascii_lowercase().contains("nhs");
        if let Some(g) = self.grids.get_mut(sheet) {
            g.cells.push((col, value.to_string()));
            nhs |= g.roles.get(&col) == Some(&ColumnRole::NhsNumbers);
        }
        self.patterns(sheet, value, Some((row, col)), nhs);
    }

    fn end_row(&mut self, sheet: &str, row: u32, cells: Vec<(u32, String)>) {
        if cells.is_empty() {
            return;
        }
        let Some(grid) = self.grids.get_mut(sheet) else {
            return;
        };
        if grid.header_row.is_none() {
            if cells
                .iter()
                .any(|(_, v)| v.chars().any(char::is_alphabetic))
            {
                grid.header_row = Some(row);
                for (col, v) in &cells {
                    let role = if DOB_HEADER.is_match(v) {
                        Some(ColumnRole::DatesOfBirth)
                    } else if v.to_ascii_lowercase().contains("nhs") {
                        Some(ColumnRole::NhsNumbers)
                    } else if STAFF_HEADER.is_match(v) {
                        Some(ColumnRole::StaffNumbers)
                    } else if NAME_HEADER.is_match(v) {
                        Some(ColumnRole::Names)
                    } else {
                        None
                    };
                    if let Some(r) = role {
                        grid.roles.insert(*col, r);
                    }
                }
            }
            return;
        }
        let roles = grid.roles.clone();
        let mut named = false;
        for (col, v) in &cells {
            match roles.get(col) {
                Some(ColumnRole::Names) if v.chars().filter(|c| c.is_alphabetic()).count() >= 2 => {
                    named = true;
                    self.tally(sheet, FindingKind::PeoplesNames, v, Some((row, *col)));
                }
                Some(ColumnRole::StaffNumbers) if v.chars().any(|c| c.is_ascii_digit()) => {
                    self.tally(sheet, FindingKind::StaffNumbers, v, Some((row, *col)));
                }
                Some(ColumnRole::DatesOfBirth) if DATE_VALUE.is_match(v) => {
                    self.tally(sheet, FindingKind::DatesOfBirth, v, Some((row, *col)));
                }
                _ => {}
            }
            if TITLED_NAME.is_match(v) {
                named = true;
            }
        }
        if named {
            for (col, v) in &cells {
                if POSTCODE.is_match(v) && v.len() <= 40 {
                    self.tally(sheet, FindingKind::PostcodesWithNames, v, Some((row, *col)));
                }
            }
        }
    }

    /// The findings, for the kinds that reached their threshold in the file.
    pub fn finish(mut self, file: &str) -> Vec<Finding> {
        let sheets: Vec<String> = self.grids.keys().cloned().collect();
        for sheet in sheets {
            if let Some(g) = self.grids.get_mut(&sheet) {
                let (row, cells) = (g.row, std::mem::take(&mut g.cells));
                self.end_row(&sheet, row, cells);
            }
        }
        let mut totals: BTreeMap<FindingKind, u64> = BTreeMap::new();
        for ((_, kind), t) in &self.tallies {
            *totals.entry(*kind).or_default() += t.count;
        }
        let thresholds = &self.policy.thresholds;
        let mut out = Vec::new();
        for ((part, kind), t) in self.tallies {
            if totals.get(&kind).copied().unwrap_or(0) < thresholds.of(kind) {
                continue;
            }
            let location = match t.rows {
                Some((lo, hi)) => {
                    let cols: Vec<String> = t.cols.iter().map(|c| column_letters(*c)).collect();
                    let (first, last) = (
                        cols.first().cloned().unwrap_or_default(),
                        cols.last().cloned().unwrap_or_default(),
                    );
                    if lo == hi && first == last {
                        format!("{part}, cell {first}{lo}")
                    } else {
                        format!("{part}, cells {first}{lo}:{last}{hi}")
                    }
                }
                None => part.clone(),
            };
            let detail = format!(
                "{} {} (for example {})",
                t.count,
                if t.count == 1 { "match" } else { "matches" },
                t.example
            );
            out.push(Finding {
                file: file.to_string(),
                kind,
                location,
                detail,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(policy: &Policy, text: &str) -> Vec<FindingKind> {
        let mut s = Scanner::new(policy);
        s.text("document", text);
        s.finish("f").into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn patterns_are_found_and_near_misses_are_not() {
        let p = Policy::default();
        assert_eq!(
            kinds(&p, "write to jo.bloggs@example.org"),
            [FindingKind::EmailAddresses]
        );
        assert_eq!(
            kinds(&p, "call 01632 960 123 today"),
            [FindingKind::PhoneNumbers]
        );
        assert_eq!(
            kinds(&p, "mobile +44 7700 900123"),
            [FindingKind::PhoneNumbers]
        );
        assert_eq!(
            kinds(&p, "NI: QQ 12 34 56 C"),
            Vec::<FindingKind>::new(),
            "QQ is not issued"
        );
        assert_eq!(kinds(&p, "NI: AB 12 34 56 C"), [FindingKind::NiNumbers]);
        assert_eq!(kinds(&p, "NHS no 943 476 5919"), [FindingKind::NhsNumbers]);
        assert_eq!(
            kinds(&p, "NHS no 943 476 5918"),
            Vec::<FindingKind>::new(),
            "bad check digit"
        );
        assert_eq!(
            kinds(&p, "order 943 476 5919"),
            Vec::<FindingKind>::new(),
            "a valid check digit without NHS in sight"
        );
        assert_eq!(kinds(&p, "DOB: 03/04/1978"), [FindingKind::DatesOfBirth]);
        assert_eq!(
            kinds(&p, "Mrs Patel, 4 Hill Road, AB1 2DE"),
            [FindingKind::PostcodesWithNames]
        );
        assert!(kinds(&p, "the depot at AB1 2DE spent £4,000 in 2023/24").is_empty());
        assert!(kinds(&p, "Budget 2023: 1234567890 pounds over 12 months").is_empty());
    }

    #[test]
    fn allowed_addresses_are_not_findings() {
        let p = Policy {
            allowed_addresses: vec!["foi@council.example".into()],
            ..Policy::default()
        };
        assert!(kinds(&p, "Contact FOI@council.example").is_empty());
    }

    #[test]
    fn columns_are_judged_by_their_header_and_located() {
        let p = Policy::default();
        let mut s = Scanner::new(&p);
        s.cell("Staff", 1, 1, "Surname");
        s.cell("Staff", 1, 2, "Payroll No");
        s.cell("Staff", 1, 3, "Role");
        for row in 2..=8 {
            s.cell("Staff", row, 1, &format!("Person{row}"));
            s.cell("Staff", row, 2, &format!("P{row:05}"));
            s.cell("Staff", row, 3, "Officer");
        }
        let f = s.finish("staff.xlsx");
        let names = f
            .iter()
            .find(|f| f.kind == FindingKind::PeoplesNames)
            .map(|f| f.location.as_str());
        assert_eq!(names, Some("Staff, cells A2:A8"));
        let staff = f
            .iter()
            .find(|f| f.kind == FindingKind::StaffNumbers)
            .map(|f| f.detail.as_str());
        assert!(staff.is_some_and(|d| d.starts_with("7 matches")), "{f:?}");
    }

    #[test]
    fn thresholds_hold_back_small_counts() {
        let p = Policy::default();
        let mut s = Scanner::new(&p);
        s.cell("S", 1, 1, "Name");
        s.cell("S", 2, 1, "Ann Smith");
        s.cell("S", 3, 1, "Bob Jones");
        assert!(
            s.finish("f").is_empty(),
            "two names are under the default of five"
        );
    }

    #[test]
    fn column_letters_go_past_z() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(703), "AAA");
    }
}
