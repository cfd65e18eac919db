//! The `#command` syntax officers write at the top of a reply to foid, and
//! the per-question markers inside a draft. Pure: an officer's new text
//! (quoted history, the subject and attachments never reach here) becomes
//! typed commands; an unknown or malformed one is kept, so that it can be
//! answered rather than dropped. This module also owns the help table the
//! case email and `#help` print.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::Date;

use super::clock::Regime;

/// One command read from an officer's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The rest of the text (and the attachments) is the draft reply.
    Draft {
        body: String,
    },
    /// Approve the previewed draft with the approver's code.
    Approve {
        code: String,
        /// Approve although the breach check found something, and why.
        despite_findings: Option<String>,
    },
    /// Replace the pending draft's attachments with cleaned copies.
    Clean,
    /// Send the draft back to its drafter.
    Reject {
        reason: String,
    },
    /// Ask the requester to clarify (s.1(3)); the clock stops.
    Clarify {
        text: String,
    },
    /// A fees notice (s.9); the clock stops until `#paid`.
    Fee {
        pence: u64,
        text: String,
    },
    /// The fee arrived (on `date`, else today).
    Paid {
        date: Option<Date>,
    },
    /// Extend the time for reply, with the notice to the requester.
    Extend {
        extension: Extension,
        reason: String,
    },
    /// Refuse the whole request, through the same approval as a draft.
    Refuse {
        ground: String,
        reasons: String,
    },
    /// The officer's judgement of the regime.
    SetRegime {
        regime: Regime,
        reason: String,
    },
    Assign {
        to: String,
    },
    Note {
        text: String,
    },
    Close {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    Status,
    Help,
    /// Open a held message as a case: the one the mail answers (a held
    /// notice), or the one numbered; under a regime, else as it reads.
    Open {
        held: Option<i64>,
        regime: Option<Regime>,
    },
    /// A `#word` foid does not know.
    Unknown {
        word: String,
    },
    /// A known command written wrongly.
    Malformed {
        word: String,
        problem: String,
    },
}

/// The extensions the law allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    /// FOIA s.10(3): time to consider the public interest, with an
    /// estimated date for the decision.
    PublicInterest { until: Date },
    /// EIR reg 7: complex and voluminous, 40 working days.
    Eir,
    /// UK GDPR Art 12(3): two further months.
    Sar,
    /// An internal review in exceptional circumstances: 40 working days.
    Review,
}

/// A command with the line it came from (for the answer and the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub line: String,
    pub command: Command,
}

impl CommandLine {
    /// The line as it may be kept and echoed: an approval code is a secret
    /// until used, so only its first group is shown (enough to tell which
    /// preview it came from).
    pub fn shown(&self) -> String {
        match &self.command {
            Command::Approve { code, .. } => {
                let first: String = code
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .take(5)
                    .collect();
                format!("#approve {first}-… (rest of the code withheld)")
            }
            _ => self.line.clone(),
        }
    }
}

impl Command {
    /// The command word, as the officer would write it.
    pub fn word(&self) -> &str {
        match self {
            Command::Draft { .. } => "draft",
            Command::Approve { .. } => "approve",
            Command::Clean => "clean",
            Command::Reject { .. } => "reject",
            Command::Clarify { .. } => "clarify",
            Command::Fee { .. } => "fee",
            Command::Paid { .. } => "paid",
            Command::Extend { .. } => "extend",
            Command::Refuse { .. } => "refuse",
            Command::SetRegime { .. } => "regime",
            Command::Assign { .. } => "assign",
            Command::Note { .. } => "note",
            Command::Close { .. } => "close",
            Command::Reopen { .. } => "reopen",
            Command::Status => "status",
            Command::Help => "help",
            Command::Open { .. } => "open",
            Command::Unknown { word } | Command::Malformed { word, .. } => word,
        }
    }

    /// Only approvers may give it.
    pub fn needs_approver(&self) -> bool {
        matches!(self, Command::Approve { .. } | Command::Reject { .. })
    }
}

/// The help table: the one list of commands, printed by the case email and
/// `#help`.
pub const HELP: &[(&str, &str)] = &[
    ("#draft", "the rest of your text (and attachments) is the draft reply; paste the reply skeleton and fill in each answer"),
    ("#approve CODE", "approve the previewed draft with the code from your preview; the reply is sent"),
    ("#approve CODE --despite-findings REASON", "approve although the attachment check found something (recorded with the reason)"),
    ("#clean", "replace the draft's attachments with copies whose hidden parts are removed; new previews follow"),
    ("#reject REASON", "send the draft back to its drafter"),
    ("#clarify", "the rest of your text goes to the requester as a clarification request (the clock stops)"),
    ("#fee AMOUNT", "send a fees notice (s.9); the clock stops until #paid"),
    ("#paid [DATE]", "the fee was received (today unless a date is given)"),
    ("#extend pit DATE", "public interest extension (s.10(3)) with the date you expect to answer by"),
    ("#extend eir", "EIR reg 7: complex and voluminous, 40 working days"),
    ("#extend sar", "subject access: two further months (Art 12(3))"),
    ("#extend review", "internal review in exceptional circumstances: 40 working days"),
    ("#refuse GROUND", "refuse the whole request (s12, s14, s14(2), or an exemption such as s40(2)); the refusal notice goes for approval"),
    ("#regime NAME", "change the regime: foi, eir, sar, review, foisa, foisa-review"),
    ("#assign ADDRESS", "assign the case to an officer"),
    ("#note TEXT", "add a note to the case"),
    ("#close [REASON]", "close the case without a reply (withdrawn, duplicate)"),
    ("#reopen [REASON]", "reopen a closed case"),
    ("#status", "the case, its questions, clock and drafts"),
    ("#open [NUMBER] [REGIME]", "on a held message's notice: open it as a case from its date of receipt, and acknowledge it"),
    ("#help", "this list"),
];

/// The markers a draft may carry under a question.
pub const MARKER_HELP: &[(&str, &str)] = &[
    ("#not-held", "the council does not hold it: the not-held refusal paragraph"),
    ("#exempt SECTION", "withheld under an exemption, e.g. #exempt s40(2), #exempt s43(2), #exempt reg 12(5)(e); your text below gives the reasons"),
    ("#published URL", "already published (s.21): where to find it"),
    ("#cost", "over the cost limit (s.12)"),
    ("#warn-s14", "anywhere in the draft: add the warning that repeated requests will be considered under section 14"),
    ("#end", "anything after this line is not part of the draft"),
];

/// The help text as printed.
pub fn help_text() -> String {
    let width = HELP
        .iter()
        .chain(MARKER_HELP)
        .map(|(c, _)| c.len())
        .max()
        .unwrap_or(0);
    let mut out = String::from("Commands (on the first lines of your reply):\n");
    for (c, d) in HELP {
        out.push_str(&format!("  {c:<width$}  {d}\n"));
    }
    out.push_str("\nIn a draft, on a line of their own under a question:\n");
    for (c, d) in MARKER_HELP {
        out.push_str(&format!("  {c:<width$}  {d}\n"));
    }
    out
}

/// A `#word` at the start of a line: the word, lowercased, and the rest.
fn hash_word(line: &str) -> Option<(String, &str)> {
    let rest = line.trim_start().strip_prefix('#')?;
    if !rest.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(rest.len());
    let (word, args) = rest.split_at(end);
    Some((word.to_ascii_lowercase(), args.trim()))
}

/// The command words foid knows.
pub const WORDS: &[&str] = &[
    "draft", "approve", "reject", "clarify", "fee", "paid", "extend", "refuse", "regime", "assign",
    "note", "close", "reopen", "status", "help", "open", "clean",
];

/// Whether the text opens with a known command word: how mail that claims
/// to command foid is told from a requester writing `#1`.
pub fn opens_with_command(new_text: &str) -> bool {
    new_text
        .lines()
        .find(|l| !l.trim().is_empty())
        .and_then(hash_word)
        .is_some_and(|(w, _)| WORDS.contains(&w.as_str()))
}

/// The `#` lines at the top of the text, as written (for classification
/// reasons and the log).
pub fn command_lines(new_text: &str) -> Vec<&str> {
    new_text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| hash_word(l).is_some())
        .collect()
}

/// The commands at the top of an officer's new text. One-line commands
/// come first, one to a line; `#draft`, `#clarify` and `#refuse` take the
/// rest of the text as their body and end the list. `#note` and `#reject`
/// with nothing after the word take the following text.
pub fn parse(new_text: &str) -> Vec<CommandLine> {
    let lines: Vec<&str> = new_text.lines().collect();
    let mut out = Vec::new();
    let mut i = lines.iter().take_while(|l| l.trim().is_empty()).count();
    while let Some(line) = lines.get(i) {
        let Some((word, args)) = hash_word(line) else {
            break;
        };
        i += 1;
        let rest_text = || body(lines.get(i..).unwrap_or(&[]));
        let command = match word.as_str() {
            "draft" => {
                let mut b = args.to_string();
                let rest = rest_text();
                if !b.is_empty() && !rest.is_empty() {
                    b.push('\n');
                }
                b.push_str(&rest);
                Command::Draft { body: b }
            }
            "clarify" => Command::Clarify {
                text: joined(args, &rest_text()),
            }
            .require_text("clarify", "the question to put to the requester"),
            "refuse" => match args.split_once(char::is_whitespace) {
                _ if args.is_empty() => malformed(
                    "refuse",
                    "needs a ground: #refuse s12, #refuse s14, #refuse s14(2) or an exemption such as #refuse s40(2)",
                ),
                Some((ground, more)) => Command::Refuse {
                    ground: normalise_section(ground),
                    reasons: joined(more.trim(), &rest_text()),
                },
                None => Command::Refuse {
                    ground: normalise_section(args),
                    reasons: rest_text(),
                },
            },
            "approve" => {
                let (code, despite) = match args.split_once("--despite-findings") {
                    Some((code, reason)) => (code.trim(), Some(reason.trim())),
                    None => (args, None),
                };
                if code.is_empty() {
                    malformed("approve", "needs the code from your preview: #approve CODE")
                } else if despite.is_some_and(str::is_empty) {
                    malformed(
                        "approve",
                        "--despite-findings needs the reason, on the same line: #approve CODE --despite-findings REASON",
                    )
                } else {
                    Command::Approve {
                        code: code.to_string(),
                        despite_findings: despite.map(str::to_string),
                    }
                }
            }
            "clean" => Command::Clean,
            "reject" => Command::Reject {
                reason: if args.is_empty() {
                    rest_text()
                } else {
                    args.to_string()
                },
            }
            .require_text("reject", "the reason for the drafter"),
            "note" => Command::Note {
                text: if args.is_empty() {
                    rest_text()
                } else {
                    args.to_string()
                },
            }
            .require_text("note", "the text of the note"),
            "fee" => parse_fee(args),
            "paid" => match args {
                "" => Command::Paid { date: None },
                a => match parse_date(a) {
                    Some(date) => Command::Paid { date: Some(date) },
                    None => malformed("paid", "the date must be YYYY-MM-DD or DD/MM/YYYY"),
                },
            },
            "extend" => parse_extend(args),
            "regime" => parse_regime(args),
            "assign" => match args.split_whitespace().next() {
                Some(a) if a.contains('@') => Command::Assign {
                    to: a.trim_matches(['<', '>']).to_ascii_lowercase(),
                },
                _ => malformed("assign", "needs the officer's address: #assign name@council"),
            },
            "close" => Command::Close {
                reason: args.to_string(),
            },
            "reopen" => Command::Reopen {
                reason: args.to_string(),
            },
            "status" => Command::Status,
            "help" => Command::Help,
            "open" => parse_open(args),
            other => Command::Unknown {
                word: other.to_string(),
            },
        };
        let takes_rest = matches!(word.as_str(), "draft" | "clarify" | "refuse");
        out.push(CommandLine {
            line: line.trim().to_string(),
            command,
        });
        if takes_rest {
            break;
        }
    }
    out
}

impl Command {
    fn require_text(self, word: &str, what: &str) -> Command {
        let empty = match &self {
            Command::Clarify { text } | Command::Note { text } => text.trim().is_empty(),
            Command::Reject { reason } => reason.trim().is_empty(),
            _ => false,
        };
        if empty {
            malformed(word, &format!("needs {what}"))
        } else {
            self
        }
    }
}

fn malformed(word: &str, problem: &str) -> Command {
    Command::Malformed {
        word: word.to_string(),
        problem: problem.to_string(),
    }
}

fn joined(first: &str, rest: &str) -> String {
    match (first.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => first.to_string(),
        (false, false) => format!("{first}\n{rest}"),
    }
}

/// The text after the command lines, up to a `#end` line.
fn body(lines: &[&str]) -> String {
    let kept: Vec<&str> = lines
        .iter()
        .take_while(|l| !is_end_marker(l))
        .copied()
        .collect();
    kept.join("\n").trim_matches('\n').trim_end().to_string()
}

fn is_end_marker(line: &str) -> bool {
    hash_word(line).is_some_and(|(w, rest)| w == "end" && rest.is_empty())
}

fn parse_fee(args: &str) -> Command {
    let (amount, text) = args
        .split_once(char::is_whitespace)
        .map(|(a, t)| (a, t.trim()))
        .unwrap_or((args, ""));
    match parse_pence(amount) {
        Some(pence) if pence > 0 => Command::Fee {
            pence,
            text: text.to_string(),
        },
        _ => malformed("fee", "needs an amount in pounds: #fee £25.00"),
    }
}

/// `£25`, `25.5`, `£1,250.00` in pence.
pub fn parse_pence(s: &str) -> Option<u64> {
    let s = s.trim().trim_start_matches('£').replace(',', "");
    let (pounds, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if pounds.is_empty() || !digits(pounds) || !digits(frac) || frac.len() > 2 {
        return None;
    }
    if s.contains('.') && frac.is_empty() {
        return None;
    }
    let pence = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    pounds
        .parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(pence)
}

/// Pence as money: `£25.00`.
pub fn format_pence(pence: u64) -> String {
    format!("£{}.{:02}", pence / 100, pence % 100)
}

fn parse_extend(args: &str) -> Command {
    let mut words = args.split_whitespace();
    let what = words.next().unwrap_or("").to_ascii_lowercase();
    let rest: Vec<&str> = words.collect();
    let reason = |skip: usize| {
        rest.iter()
            .skip(skip)
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let extension = match what.as_str() {
        "pit" | "public-interest" | "s10(3)" => match rest.first().and_then(|d| parse_date(d)) {
            Some(until) => {
                return Command::Extend {
                    extension: Extension::PublicInterest { until },
                    reason: reason(1),
                }
            }
            None => {
                return malformed(
                    "extend",
                    "a public interest extension needs the date you expect to answer by: #extend pit YYYY-MM-DD",
                )
            }
        },
        "eir" => Extension::Eir,
        "sar" => Extension::Sar,
        "review" | "ir" => Extension::Review,
        _ => {
            return malformed(
                "extend",
                "say which extension: #extend pit DATE, #extend eir, #extend sar or #extend review",
            )
        }
    };
    Command::Extend {
        extension,
        reason: reason(0),
    }
}

/// `#open`, `#open 123`, `#open eir`, `#open 123 sar`.
fn parse_open(args: &str) -> Command {
    let mut held = None;
    let mut regime = None;
    for word in args.split_whitespace() {
        let word = word.trim_start_matches('#');
        if let Ok(n) = word.parse::<i64>() {
            held = Some(n);
            continue;
        }
        match word.to_ascii_lowercase().parse::<Regime>() {
            Ok(
                r @ (Regime::Foi
                | Regime::Eir
                | Regime::Sar
                | Regime::Review
                | Regime::Foisa
                | Regime::FoisaReview),
            ) => regime = Some(r),
            _ => {
                return malformed(
                    "open",
                    "takes the held message's number and a regime (foi, eir, sar, review, foisa, foisa-review), both optional: #open, #open 123, #open 123 eir",
                )
            }
        }
    }
    Command::Open { held, regime }
}

fn parse_regime(args: &str) -> Command {
    let (name, reason) = args
        .split_once(char::is_whitespace)
        .map(|(n, r)| (n, r.trim()))
        .unwrap_or((args, ""));
    let problem = "name one of foi, eir, sar, review, foisa, foisa-review (extensions are #extend)";
    match name.parse::<Regime>() {
        Ok(
            regime @ (Regime::Foi
            | Regime::Eir
            | Regime::Sar
            | Regime::Review
            | Regime::Foisa
            | Regime::FoisaReview),
        ) => Command::SetRegime {
            regime,
            reason: reason.to_string(),
        },
        _ => malformed("regime", problem),
    }
}

/// `2027-01-20` or `20/01/2027`.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim().trim_end_matches(['.', ',']);
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        [d, m, y] if y.len() == 4 => {
            Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
        }
        _ => None,
    }
}

/// `s40(2)`, `s.40(2)`, `section 40(2)`, `40(2)` → `s40(2)`; `reg 12(5)(e)`,
/// `r12(5)(e)`, `regulation 12(5)(e)` → `reg 12(5)(e)`.
pub fn normalise_section(s: &str) -> String {
    let t = s
        .trim()
        .trim_end_matches(['.', ',', ';'])
        .to_ascii_lowercase();
    let t = t.replace(' ', "");
    for prefix in ["regulation", "reg.", "reg", "r."] {
        if let Some(rest) = t.strip_prefix(prefix) {
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                return format!("reg {rest}");
            }
        }
    }
    if let Some(rest) = t.strip_prefix('r') {
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            return format!("reg {rest}");
        }
    }
    for prefix in ["section", "sec.", "sec", "s.", "s"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                return format!("s{rest}");
            }
        }
    }
    if t.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("s{t}");
    }
    t
}

/// A marker inside a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    NotHeld,
    Exempt { section: String },
    Published { url: String },
    Cost,
    WarnSection14,
}

/// A marker line (`#not-held`, `#exempt s40(2)`, …); `Err` for a `#word`
/// that is not one, with the reason.
pub fn marker(line: &str) -> Option<Result<Marker, String>> {
    marker_with_text(line).map(|r| r.map(|(m, _)| m))
}

/// A marker line and the text after its arguments on the same line
/// (`#exempt s43(2) The rates are commercially sensitive.`): officers
/// write the reason there as often as below.
pub fn marker_with_text(line: &str) -> Option<Result<(Marker, String), String>> {
    let (word, args) = hash_word(line)?;
    Some(match word.as_str() {
        "not-held" | "notheld" | "not_held" => Ok((Marker::NotHeld, args.to_string())),
        "exempt" | "exception" => match split_section(args) {
            ("", _) => Err("#exempt needs the section, e.g. #exempt s40(2)".into()),
            (section, rest) => Ok((
                Marker::Exempt {
                    section: normalise_section(section),
                },
                rest.to_string(),
            )),
        },
        "published" => match args.split_once(char::is_whitespace).unwrap_or((args, "")) {
            ("", _) => Err("#published needs the address where it is published".into()),
            (url, rest) => Ok((
                Marker::Published {
                    url: url.trim_matches(['<', '>']).to_string(),
                },
                rest.trim().to_string(),
            )),
        },
        "cost" => Ok((Marker::Cost, args.to_string())),
        "warn-s14" | "warn-14" => Ok((Marker::WarnSection14, args.to_string())),
        other => Err(format!("#{other} is not a draft marker (see #help)")),
    })
}

/// The section at the start of an `#exempt` line and the text after it:
/// `s43(2)`, `s.43(2)`, `section 43(2)`, `reg 12(5)(e)`, `regulation
/// 12(4)(a)` are sections; what follows is the officer's reason.
fn split_section(args: &str) -> (&str, &str) {
    let args = args.trim();
    let word_end = |from: usize| {
        args[from..]
            .find(char::is_whitespace)
            .map_or(args.len(), |i| from + i)
    };
    let first = word_end(0);
    let lead = args[..first].trim_end_matches('.').to_ascii_lowercase();
    let mut end = first;
    if ["s", "sec", "section", "r", "reg", "regulation"].contains(&lead.as_str()) {
        let next = args[first..]
            .find(|c: char| !c.is_whitespace())
            .map_or(args.len(), |i| first + i);
        if args[next..].starts_with(|c: char| c.is_ascii_digit()) {
            end = word_end(next);
        }
    }
    (
        args[..end].trim_end_matches([',', ';', ':']),
        args[end..].trim(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn commands(text: &str) -> Vec<Command> {
        parse(text).into_iter().map(|c| c.command).collect()
    }

    #[test]
    fn one_line_commands_then_a_body() {
        let c = commands("\n#Assign jane.smith@council.test\n#NOTE rang the requester\n#draft\n1. Yes\n2. No\nThanks\n#end\nJane");
        assert_eq!(
            c,
            vec![
                Command::Assign {
                    to: "jane.smith@council.test".into()
                },
                Command::Note {
                    text: "rang the requester".into()
                },
                Command::Draft {
                    body: "1. Yes\n2. No\nThanks".into()
                },
            ]
        );
    }

    #[test]
    fn a_draft_keeps_its_markers() {
        let c = commands("#draft\n#not-held\n2. #exempt s40(2)");
        assert_eq!(
            c,
            vec![Command::Draft {
                body: "#not-held\n2. #exempt s40(2)".into()
            }]
        );
    }

    #[test]
    fn approve_codes_and_refusals() {
        assert_eq!(
            commands("#approve abcde-fghij-kmnpq-rstvw\n\nSent from my iPhone"),
            vec![Command::Approve {
                code: "abcde-fghij-kmnpq-rstvw".into(),
                despite_findings: None,
            }]
        );
        assert!(matches!(commands("#approve")[0], Command::Malformed { .. }));
        assert_eq!(
            commands("#approve abcde fghij kmnpq rstvw --despite-findings the names are published"),
            vec![Command::Approve {
                code: "abcde fghij kmnpq rstvw".into(),
                despite_findings: Some("the names are published".into()),
            }]
        );
        assert!(matches!(
            commands("#approve abcde-fghij --despite-findings")[0],
            Command::Malformed { .. }
        ));
        assert_eq!(commands("#clean"), vec![Command::Clean]);
        assert_eq!(
            commands("#open"),
            vec![Command::Open {
                held: None,
                regime: None
            }]
        );
        assert_eq!(
            commands("#open 42 EIR"),
            vec![Command::Open {
                held: Some(42),
                regime: Some(Regime::Eir)
            }]
        );
        assert!(matches!(
            commands("#open as soon as possible")[0],
            Command::Malformed { .. }
        ));
        assert_eq!(
            commands("#refuse S.14(2) same as FOI-2026-00001\nmore reasons"),
            vec![Command::Refuse {
                ground: "s14(2)".into(),
                reasons: "same as FOI-2026-00001\nmore reasons".into()
            }]
        );
        assert!(matches!(commands("#refuse")[0], Command::Malformed { .. }));
    }

    #[test]
    fn text_not_at_the_top_is_no_command() {
        assert!(commands("Thanks,\n#approve ABC").is_empty());
        assert!(commands("> #approve ABC").is_empty());
        assert!(commands("#1 How many?").is_empty());
        assert!(!opens_with_command("#1 How many?"));
        assert!(!opens_with_command("#foi request"));
        assert!(opens_with_command("\n  #approve 123456"));
    }

    #[test]
    fn clock_commands() {
        assert_eq!(
            commands("#extend pit 2027-02-10 s43 public interest balance"),
            vec![Command::Extend {
                extension: Extension::PublicInterest {
                    until: jiff::civil::date(2027, 2, 10)
                },
                reason: "s43 public interest balance".into()
            }]
        );
        assert_eq!(
            commands("#extend eir"),
            vec![Command::Extend {
                extension: Extension::Eir,
                reason: String::new()
            }]
        );
        assert!(matches!(
            commands("#extend pit")[0],
            Command::Malformed { .. }
        ));
        assert!(matches!(
            commands("#extend soon")[0],
            Command::Malformed { .. }
        ));
        assert_eq!(
            commands("#fee £25.50 for copying"),
            vec![Command::Fee {
                pence: 2550,
                text: "for copying".into()
            }]
        );
        assert!(matches!(
            commands("#fee lots")[0],
            Command::Malformed { .. }
        ));
        assert_eq!(
            commands("#paid 01/12/2026"),
            vec![Command::Paid {
                date: Some(jiff::civil::date(2026, 12, 1))
            }]
        );
        assert_eq!(
            commands("#regime EIR trees are environmental"),
            vec![Command::SetRegime {
                regime: Regime::Eir,
                reason: "trees are environmental".into()
            }]
        );
        assert!(matches!(
            commands("#regime pit")[0],
            Command::Malformed { .. }
        ));
    }

    #[test]
    fn unknown_and_empty_commands_are_kept() {
        assert_eq!(
            commands("#frobnicate now"),
            vec![Command::Unknown {
                word: "frobnicate".into()
            }]
        );
        assert!(matches!(commands("#note")[0], Command::Malformed { .. }));
        assert_eq!(
            commands("#note\nThe requester rang."),
            vec![Command::Note {
                text: "The requester rang.".into()
            }]
        );
        assert!(matches!(commands("#clarify")[0], Command::Malformed { .. }));
    }

    #[test]
    fn money_dates_and_sections() {
        assert_eq!(parse_pence("£25"), Some(2500));
        assert_eq!(parse_pence("25.5"), Some(2550));
        assert_eq!(parse_pence("£1,250.00"), Some(125_000));
        assert_eq!(parse_pence("25.555"), None);
        assert_eq!(parse_pence("x"), None);
        assert_eq!(format_pence(2550), "£25.50");
        assert_eq!(
            parse_date("2027-01-20"),
            Some(jiff::civil::date(2027, 1, 20))
        );
        assert_eq!(parse_date("31/02/2027"), None);
        for (written, canonical) in [
            ("s40(2)", "s40(2)"),
            ("S.40(2)", "s40(2)"),
            ("section 43", "s43"),
            ("43(2)", "s43(2)"),
            ("reg 12(5)(e)", "reg 12(5)(e)"),
            ("Regulation 13", "reg 13"),
            ("r12(4)(a)", "reg 12(4)(a)"),
        ] {
            assert_eq!(normalise_section(written), canonical, "{written}");
        }
    }

    #[test]
    fn markers() {
        assert_eq!(marker("#not-held"), Some(Ok(Marker::NotHeld)));
        assert_eq!(
            marker("#exempt s.43(2)"),
            Some(Ok(Marker::Exempt {
                section: "s43(2)".into()
            }))
        );
        assert_eq!(
            marker("#published <https://council.test/data>"),
            Some(Ok(Marker::Published {
                url: "https://council.test/data".into()
            }))
        );
        assert!(matches!(marker("#exempt"), Some(Err(_))));
        assert!(matches!(marker("#whatever"), Some(Err(_))));
        // The reason on the marker's own line is the officer's text.
        for (line, section, reason) in [
            (
                "#exempt s43(2) The rates are commercially sensitive.",
                "s43(2)",
                "The rates are commercially sensitive.",
            ),
            (
                "#exempt reg 12(5)(e): confidential commercial information",
                "reg 12(5)(e)",
                "confidential commercial information",
            ),
            (
                "#exempt section 40(2) names of junior staff",
                "s40(2)",
                "names of junior staff",
            ),
            ("#exempt s.21", "s21", ""),
        ] {
            assert_eq!(
                marker_with_text(line),
                Some(Ok((
                    Marker::Exempt {
                        section: section.into()
                    },
                    reason.into()
                ))),
                "{line}"
            );
        }
        assert_eq!(
            marker_with_text("#not-held We do not record the make of vehicle."),
            Some(Ok((
                Marker::NotHeld,
                "We do not record the make of vehicle.".into()
            )))
        );
        assert_eq!(marker("no marker"), None);
    }

    #[test]
    fn help_lists_every_command_word() {
        let help = help_text();
        for w in WORDS {
            assert!(help.contains(&format!("#{w}")), "{w}");
        }
    }
}
