//! Request text -> questions, with their multiple-choice options and
//! sub-parts, plus the notes around them (greeting, preamble, cost-limit
//! and format instructions, closing).
//!
//! Two modes:
//! - **list**: the text has a list (numbered `1.` `1)` `Q1` `Question 1 -`,
//!   else lettered `a)`, else roman `(i)`, else bullets). Items of the
//!   outermost kind are the questions; other markers under them are parts
//!   (or options, when the question asks for a choice); text before the
//!   list and after it is notes.
//! - **prose**: no list. Sentences that ask for something ("could you tell
//!   me …", "please provide …", or end in `?`) are questions, split again
//!   at "and also …"; the other sentences are notes.
//!
//! Question text is kept exactly as written (after its label) for quoting
//! back. Panic-free on arbitrary input.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use regex::Regex;

use super::web_form;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The questions of a request and the notes around them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Questions {
    pub questions: Vec<Question>,
    /// Greeting, preamble, instructions (format, cost limit), closing.
    pub notes: Vec<String>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// The requester's own number when they numbered consistently, else
    /// the position (1-based).
    pub number: u32,
    /// The text as written, without its label.
    pub text: String,
    /// Multiple-choice options offered with the question.
    pub options: Vec<String>,
    /// Sub-parts: `a)`, `(i)`, `1.1`, bullets.
    pub parts: Vec<Part>,
}

/// A sub-part of a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The label without punctuation: `a`, `ii`, `1.2`; bullets keep their
    /// bullet character.
    pub label: String,
    pub text: String,
}

#[allow(clippy::expect_used)] // constant patterns, checked by the unit tests
fn re(pattern: &str) -> Regex {
    Regex::new(&super::ascii_word_boundaries(pattern)).expect("valid constant regex")
}

// ---------------------------------------------------------------------------
// Line markers
// ---------------------------------------------------------------------------

static SUBNUM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?i:q(?:uestion)?\s*)?(\d{1,2})(?:\.(\d{1,2})\.?|\s?\(([a-zA-Z]|[ivxIVX]{1,4})\)|([a-z])[).:]?)(?:\s+(.*))?$",
    )
});
static QNUM: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?i:q|question)\s*\.?\s*(\d{1,3})(?:\s*[.):\-–—])?(?:\s+(.*))?$"));
static NUM: LazyLock<Regex> = LazyLock::new(|| {
    // `4.How many…`: a capital straight after the full stop still opens an item.
    re(r"^(?:\((\d{1,3})\)|(\d{1,3})(?:[.)]|\s*[:\-–—]))(?:\s+(.*)|(\p{Lu}.*))?$")
});
static BARE_NUM: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{1,2})\s+\S"));
const ROMAN_ALT: &str = "i|ii|iii|iv|v|vi|vii|viii|ix|x|xi|xii|xiii|xiv|xv";
static ROMAN: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^(?:\(((?i:{ROMAN_ALT}))\)|((?i:{ROMAN_ALT}))[).])(?:\s+(.*))?$"
    ))
});
static LETTER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:\(([A-Za-z])\)|([A-Za-z])[).])(?:\s+(.*))?$"));
static CHECKBOX: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:[☐☑☒□❑]|\[\s?[xX✓]?\s?\]|\(\s?\))\s*(\S.*)$"));
static BULLET: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:([-*+])\s+|([•·–—▪◦●○■►➢✓→∙⁃])\s*|(o)(?:\s{2,}|\t)\s*)(\S.*)$"));

static GREETING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:dear|hi|hello|hey|good (?:morning|afternoon|evening|day)|to whom it may concern|greetings|sir|madam|attn|for the attention of)\b",
    )
});
static SIGN_OFF: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)^(?:",
        r"(?:with )?(?:kind(?:est)?|warm(?:est)?|best|many) (?:regards|wishes|thanks)",
        r"|regards|best|cheers|sincerely|rgds|kr|respectfully|take care|all the best|ta|thx|tia|ty",
        r"|thanks(?: (?:again|very much|so much|a lot|in advance))?(?: for your (?:help|time|assistance))?",
        r"|(?:many )?thank you(?: (?:again|very much|so much|in advance))?(?: for your (?:help|time|assistance)(?: (?:with|in) this(?: matter| request)?)?)?",
        r"|yours (?:faithfully|sincerely|truly)",
        r")\s*[,.!]*$"
    ))
});

/// Instructions that are notes, never questions: cost limit, format,
/// acknowledgement, pleasantries.
static META: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(?:",
        r"\b(?:confirm|acknowledge)\s+(?:the\s+)?(?:receipt|that you have received|you have received)",
        r"|\blook(?:ing)? forward\b",
        r"|\b(?:electronic|excel|csv|spreadsheet|machine[- ]readable|pdf|digital|re-?usable)\s+(?:format|form|copy|copies)\b",
        r"|\bformat\b.{0,40}\b(?:excel|csv|spreadsheet|ods|xlsx)\b",
        r"|\b(?:cost|fees?) (?:limit|threshold|ceiling)\b|\bappropriate limit\b|\bsection 12\b|\bs\.?\s?12\b|\bexceeds?\b|\bexceeded\b|\bprioriti[sz]e\b",
        r"|\bif (?:you|the council|your (?:council|authority)) (?:do(?:es)? not|don't|doesn't) hold\b",
        r"|\bif (?:any|some|part)(?: of)? (?:this|the|my) (?:information|request)\b",
        r"|\b(?:treat|log|process|register|accept|handle|action)\s+(?:this|it|these|the\s+(?:\w+\s+){0,2}?(?:below|following|email|message|request|forwarded))(?:\s+(?:email|message|request|below))?\s+as\b",
        r"|\bpass (?:this|it) (?:on|to)\b",
        // A colleague's or a councillor's cover note on a forwarded request.
        r"|\b(?:deal with|handle|process|action|log|answer|respond to) (?:the|this|her|his|their|a) (?:[a-z]+'s )?(?:request|email|message|enquiry|query)(?: below)? (?:under|as) (?:the |an? )?(?:foi|freedom of information|eir)\b",
        r"|\bforwarding (?:this |it )?to (?:the |your )?(?:foi|freedom of information|information governance)\b",
        r"|\bwhen (?:i|we) (?:can|will|should|might|may) (?:expect|receive|get|hear)\b",
        r"|\bthis (?:e-?mail |message |letter )?is an? (?:formal |new )?(?:request|freedom|foi|eir|environmental|subject access)",
        r"|\bdo not hesitate\b|\bget in touch\b|\bcontact me\b|\bplease note\b",
        r"|\bif you (?:need|have|require) (?:any )?(?:clarification|further|more|questions)",
        r"|\bif (?:anything|any part|something)\b.{0,30}\bunclear\b",
        r"|\bwithin (?:the )?(?:statutory )?(?:20|twenty) working days\b",
        r"|^\s*(?:thank you|thanks|many thanks)\b",
        r"|\bhope (?:you are|you're|this finds)\b",
        r"|\b(?:for the purposes of|for clarity|to clarify|by [\x22'“‘][^\x22'”’]{1,40}[\x22'”’] i mean)\b",
        r"|\bif (?:any|some|part)\b[^.?!]{0,60}\b(?:exempt|withheld|redact|refused)",
        // The standard handling paragraphs: what to do with exempt parts,
        // small numbers, the format; a researcher's note on a round robin.
        r"|\bif you (?:consider|decide|believe|think|determine)\b[^.?!]{0,40}\b(?:exempt|withh|redact|refus)",
        r"|\b(?:information|parts?) (?:that|which) (?:is|are) not (?:exempt|withheld)\b",
        r"|\bif (?:the )?(?:figures|numbers|totals|counts)\b[^.?!]{0,40}\b(?:small|low|fewer)\b|\brather than withhold",
        r"|\b(?:provided|supplied|sent) electronically\b|\bpreferably (?:as|in) an? (?:excel|csv|spreadsheet|electronic)",
        r"|\b(?:sending|sent|making) (?:the same|this|an identical|a similar) request to (?:a number of|several|all|many|other|every)\b",
        r"|\brelease the (?:rest|remainder|remaining)\b",
        r"|\b(?:send|provide|give|email|e-mail)\b[^.?!]{0,25}\b(?:reply|replies|answers?|response|information|it)\b[^.?!]{0,15}\b(?:by|via|to) (?:e-?mail|post|this (?:e-?mail )?address|my (?:e-?mail )?address)\b",
        r"|\b(?:paper|hard) cop(?:y|ies)\b|\bemail is fine\b|\bby email is fine\b",
        r"|\b(?:let me know|tell me) if you need\b|\bneed anything (?:else )?from me\b",
        r"|\bi (?:would|'d) prefer (?:the|this|it|to receive)\b",
        r")"
    ))
});
static PLEASANTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:how are you|hope you|is this the (?:right|correct)|would (?:that|this) be (?:possible|ok|okay|alright)|is that (?:ok|okay|possible|alright)|do you need anything|any (?:update|news)|can you help)",
    )
});
/// Wording that asks for something.
static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(?:",
        r"\bplease\b",
        r"|\b(?:could|can|would|will) you\b",
        r"|\bi(?:'d| would) (?:also )?(?:like|be grateful|appreciate|request)",
        r"|\bi (?:also )?(?:wish|want|need) (?:to (?:know|request|obtain|see|receive|ask)|a copy|copies)",
        r"|\bi(?: am|'m) (?:also )?(?:requesting|asking for|seeking|writing to (?:request|ask)|looking for)",
        r"|\bi (?:hereby |also )?request\b",
        r"|\bmy request is\b",
        r"|\b(?:request(?:ing)?|seeking) (?:copies|a copy|details|the|all|any|information)\b",
        r"|\bhow (?:many|much|often|long)\b",
        r"|^\s*(?:what|which|when|who|where|whether|why|is there|are there|has the council|have you|do you|does the council|did the council)\b",
        r")"
    ))
});
/// Topic statements ("I am writing to request information about X"): a
/// question only when nothing more specific is asked.
static TOPIC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:information|details|data)\s+(?:about|on|regarding|relating to|concerning|in relation to|in respect of)\b",
    )
});
static ACT_REF: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:freedom of information(?: \(scotland\))? act(?: 2000| 2002)?|foi(?:a| act)?(?: 2000)?|environmental information regulations?(?: 2004)?|eirs?|data protection act(?: 2018)?|(?:uk )?gdpr|general data protection regulation)\b",
    )
});
static ALSO_SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    // "…, and also …", and a second question joined on: "how many X, and
    // which Y" (group 1: the question word, to check what follows it).
    re(
        r"(?i)(?:,\s*|\s+)(?:and\s+(?:(?:could|can|would)\s+you\s+)?(?:please\s+)?also|as well as\s+(?:could|can|would)\s+you|and\s+(how (?:many|much|long|often)|what|which|who|whether|when|where|the (?:names?|number|total|amount|cost|date|value|list) of|details of|a (?:copy|list|breakdown) of|copies of)\b)",
    )
});
/// "… in 2015 and how many it owns now": the same question over again for
/// another time, not a second one.
static ELLIPTICAL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:it|they|there|we|you|he|she|this|that|these|those)\b"));
/// A sentence that only announces what follows: "I should be grateful if
/// you would supply the following."
static LEAD_IN: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:the following|as follows)\s*[.:]?\s*$"));
/// A bullet that is itself a request, not a field or a criterion.
static BULLET_ASKS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:please|could you|can you|would you|i (?:would|'d) (?:also )?like|i (?:also )?(?:want|need|wish))\b",
    )
});
/// Prose items counted off: "Firstly, a copy of …".
static ORDINAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:firstly|secondly|thirdly|fourthly|fifthly|finally|lastly|first|second|third|fourth|fifth|next|in addition)\b\s*[,:]?\s+\S",
    )
});
static ALSO_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:i(?:'d| would) also like|(?:could|can|would) you also|please (?:could you )?also|i (?:also )?(?:want|need|wish) to know|additionally|in addition)\b",
    )
});
static CHOICE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:select|tick|choose|circle|delete as appropriate|one of the following|which of the following|please indicate|options?\s*:)",
    )
});
static COST_OR_FORMAT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:cost (?:limit|threshold)|appropriate limit|section 12|exceeds?|prioriti[sz]e|excel|csv|spreadsheet|format)\b",
    )
});

const STOP_WORDS: &[&str] = &[
    "i",
    "i'd",
    "i'm",
    "id",
    "im",
    "me",
    "my",
    "we",
    "our",
    "you",
    "your",
    "the",
    "a",
    "an",
    "of",
    "for",
    "to",
    "in",
    "on",
    "at",
    "by",
    "with",
    "and",
    "or",
    "be",
    "is",
    "are",
    "am",
    "was",
    "would",
    "could",
    "can",
    "will",
    "please",
    "kindly",
    "like",
    "grateful",
    "appreciate",
    "provide",
    "send",
    "supply",
    "tell",
    "let",
    "know",
    "give",
    "forward",
    "share",
    "request",
    "requests",
    "requesting",
    "requested",
    "make",
    "making",
    "made",
    "submit",
    "submitting",
    "formal",
    "information",
    "details",
    "this",
    "that",
    "it",
    "these",
    "those",
    "following",
    "below",
    "above",
    "under",
    "act",
    "hereby",
    "wish",
    "want",
    "need",
    "writing",
    "write",
    "also",
    "as",
    "if",
    "any",
    "all",
    "some",
    "regarding",
    "about",
    "concerning",
    "re",
    "copy",
    "copies",
    "email",
    "possible",
    "thank",
    "thanks",
    "much",
    "very",
    "so",
    "advance",
    "help",
    "assistance",
    "time",
    "there",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "been",
    "being",
    "from",
    "up",
    "out",
    "into",
    "which",
    "what",
    "who",
    "how",
    "when",
    "where",
    "whether",
    "many",
    "number",
    "new",
    "question",
    "questions",
    "ask",
    "asking",
    "seeking",
    "looking",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Number,
    SubNumber,
    Letter,
    Roman,
    Bullet,
    Checkbox,
}

#[derive(Debug, Clone)]
struct Item<'a> {
    mark: Mark,
    label: String,
    /// Number, letter index (a = 1), roman value, or major number.
    value: u32,
    /// Roman i / v / x are also the letters 9 / 22 / 24.
    alt_letter: Option<u32>,
    rest: &'a str,
    indent: usize,
}

#[derive(Debug, Clone)]
enum Line<'a> {
    Blank,
    Item(Item<'a>),
    Text { text: &'a str, indent: usize },
}

fn indent_of(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

fn roman_value(s: &str) -> Option<u32> {
    let mut total: u32 = 0;
    let mut prev = 0;
    for c in s.chars().rev() {
        let v = match c.to_ascii_lowercase() {
            'i' => 1,
            'v' => 5,
            'x' => 10,
            _ => return None,
        };
        if v < prev {
            total = total.checked_sub(v)?;
        } else {
            total = total.checked_add(v)?;
            prev = v;
        }
    }
    Some(total)
}

fn letter_value(c: char) -> Option<u32> {
    let lower = c.to_ascii_lowercase();
    lower
        .is_ascii_lowercase()
        .then(|| u32::from(lower) - u32::from('a') + 1)
}

fn group<'a>(c: &regex::Captures<'a>, i: usize) -> Option<&'a str> {
    c.get(i).map(|m| m.as_str())
}

fn classify_line<'a>(raw: &'a str) -> Line<'a> {
    let t = raw.trim();
    if t.is_empty() {
        return Line::Blank;
    }
    let indent = indent_of(raw);
    let item = |mark, label: String, value, alt_letter, rest: Option<&'a str>| {
        Line::Item(Item {
            mark,
            label,
            value,
            alt_letter,
            rest: rest.unwrap_or("").trim(),
            indent,
        })
    };
    if let Some(c) = SUBNUM.captures(t) {
        let major = group(&c, 1)
            .and_then(|m| m.parse::<u32>().ok())
            .unwrap_or(0);
        let minor = group(&c, 2)
            .map(|m| format!("{major}.{m}"))
            .or_else(|| group(&c, 3).map(|m| format!("{major}{}", m.to_ascii_lowercase())))
            .or_else(|| group(&c, 4).map(|m| format!("{major}{m}")));
        if let Some(label) = minor {
            if major > 0 {
                return item(Mark::SubNumber, label, major, None, group(&c, 5));
            }
        }
    }
    if let Some(c) = QNUM.captures(t) {
        if let Some(n) = group(&c, 1).and_then(|m| m.parse::<u32>().ok()) {
            return item(Mark::Number, n.to_string(), n, None, group(&c, 2));
        }
    }
    if let Some(c) = NUM.captures(t) {
        if let Some(n) = group(&c, 1)
            .or_else(|| group(&c, 2))
            .and_then(|m| m.parse::<u32>().ok())
            .filter(|n| *n > 0)
        {
            return item(
                Mark::Number,
                n.to_string(),
                n,
                None,
                group(&c, 3).or_else(|| group(&c, 4)),
            );
        }
    }
    if let Some(c) = ROMAN.captures(t) {
        if let Some(label) = group(&c, 1).or_else(|| group(&c, 2)) {
            if let Some(v) = roman_value(label) {
                let alt = match label {
                    "i" | "v" | "x" | "I" | "V" | "X" => {
                        label.chars().next().and_then(letter_value)
                    }
                    _ => None,
                };
                return item(
                    Mark::Roman,
                    label.to_ascii_lowercase(),
                    v,
                    alt,
                    group(&c, 3),
                );
            }
        }
    }
    if let Some(c) = LETTER.captures(t) {
        if let Some(label) = group(&c, 1).or_else(|| group(&c, 2)) {
            if let Some(v) = label.chars().next().and_then(letter_value) {
                return item(Mark::Letter, label.to_string(), v, None, group(&c, 3));
            }
        }
    }
    if let Some(c) = CHECKBOX.captures(t) {
        return item(Mark::Checkbox, "☐".to_string(), 0, None, group(&c, 1));
    }
    // `  o item`: Outlook's plain-text rendering of a sub-bullet.
    if let Some(rest) = t.strip_prefix("o ").filter(|_| indent > 0) {
        return item(Mark::Bullet, "o".to_string(), 0, None, Some(rest));
    }
    if let Some(c) = BULLET.captures(t) {
        let label = group(&c, 1)
            .or_else(|| group(&c, 2))
            .or_else(|| group(&c, 3))
            .unwrap_or("-");
        return item(Mark::Bullet, label.to_string(), 0, None, group(&c, 4));
    }
    Line::Text { text: t, indent }
}

/// "1 How many …" / "2 How much …": numbers without a full stop or bracket
/// count as a list only when they run 1, 2, … (so "10 Downing Street" stays
/// text).
fn promote_bare_numbers(lines: &mut [Line]) {
    let mut expected = 1u32;
    let mut hits: Vec<(usize, u32, usize)> = Vec::new(); // line, number, label length
    for (i, line) in lines.iter().enumerate() {
        let Line::Text { text, .. } = line else {
            continue;
        };
        let Some(c) = BARE_NUM.captures(text) else {
            continue;
        };
        let Some(m) = c.get(1) else { continue };
        if m.as_str().parse::<u32>().ok() == Some(expected) {
            hits.push((i, expected, m.end()));
            expected += 1;
        }
    }
    if hits.len() < 2 {
        return;
    }
    for (i, n, label_end) in hits {
        if let Some(line) = lines.get_mut(i) {
            if let Line::Text { text, indent } = *line {
                *line = Line::Item(Item {
                    mark: Mark::Number,
                    label: n.to_string(),
                    value: n,
                    alt_letter: None,
                    rest: text.get(label_end..).unwrap_or("").trim(),
                    indent,
                });
            }
        }
    }
}

/// "…the same four things:" then one sentence to a line, unmarked: the
/// lines are the list's items. Only whole sentences count, so a wrapped
/// paragraph after a colon stays a paragraph.
fn promote_bare_items(lines: &mut [Line]) {
    let mut i = 0;
    while i < lines.len() {
        let lead =
            matches!(lines.get(i), Some(Line::Text { text, .. }) if text.trim_end().ends_with(':'));
        i += 1;
        if !lead {
            continue;
        }
        if matches!(lines.get(i), Some(Line::Blank)) {
            i += 1;
        }
        let run = lines
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|l| {
                matches!(l, Line::Text { text, .. }
                    if text.chars().next().is_some_and(char::is_uppercase)
                        && text.trim_end().ends_with(['.', '?', ';']))
            })
            .count();
        if run < 2 {
            continue;
        }
        for line in lines.get_mut(i..i + run).unwrap_or(&mut []) {
            if let Line::Text { text, indent } = *line {
                *line = Line::Item(Item {
                    mark: Mark::Bullet,
                    label: "-".into(),
                    value: 0,
                    alt_letter: None,
                    rest: text,
                    indent,
                });
            }
        }
        i += run;
    }
}

// ---------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------

/// `a) …`, `(b) …`, `c. …` inside a line: the marker, its letter's place
/// (a = 0) and where it starts.
static INLINE_LETTER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[\s,;:])(\(([a-h])\)|([a-h])\)|([a-h])\.\s(?:\p{Lu}))"));
/// Lead-ins that only say "here come my questions", not what they ask
/// about in common: after one of these, inline parts are questions.
static BARE_LEAD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:please|kindly|could you|can you|would you|i(?:'d| would) like|i want|i wish|i need|i am asking|i'm asking|my questions are)[^,;]{0,30}?\b(?:know|tell me|provide|confirm|state|advise|answer|ask|send me|following)?\s*[:,-]?$",
    )
});

/// One line holding `a) … b) … c) …` becomes one line per item, so that
/// the list reading sees them; a line whose lead text says what they have
/// in common ("For each year, please give a) … b) …") stays one question.
fn expand_inline_items(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        match inline_items(line) {
            Some(items) => out.push_str(&items.join("\n")),
            None => out.push_str(line),
        }
    }
    out
}

fn inline_items(line: &str) -> Option<Vec<String>> {
    let mut starts: Vec<usize> = Vec::new();
    let mut next = b'a';
    for c in INLINE_LETTER.captures_iter(line) {
        let (Some(whole), Some(letter)) =
            (c.get(1), c.get(2).or_else(|| c.get(3)).or_else(|| c.get(4)))
        else {
            continue;
        };
        if letter.as_str().as_bytes().first() == Some(&next) {
            starts.push(whole.start());
            next += 1;
        }
    }
    if starts.len() < 2 {
        return None;
    }
    let first = *starts.first()?;
    let lead = line.get(..first)?.trim();
    if !lead.is_empty() && !BARE_LEAD.is_match(lead) {
        return None;
    }
    let mut items = Vec::new();
    if !lead.is_empty() {
        items.push(lead.to_string());
    }
    let mut bounds = starts.clone();
    bounds.push(line.len());
    for w in bounds.windows(2) {
        let [a, b] = w else { continue };
        let part = line.get(*a..*b)?.trim();
        let part = part.trim_end_matches([',', ';']).trim_end();
        let part = part
            .strip_suffix(" and")
            .or_else(|| part.strip_suffix(" or"))
            .unwrap_or(part)
            .trim_end_matches([',', ';']);
        items.push(part.to_string());
    }
    Some(items)
}

/// Split request text into questions and notes. A web form's submission
/// is split on its request field alone; the form's other fields are notes.
pub fn split_questions(text: &str) -> Questions {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    match web_form::request_field(&text) {
        Some((request, mut form)) => {
            let mut split = split_text(&request);
            form.append(&mut split.notes);
            split.notes = form;
            split
        }
        None => split_text(&text),
    }
}

static REVIEW_ASK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:internal review|review (?:of|your|the|this|my)\b|reconsider|look at (?:it|this|my request|the request|my foi) again|appeal against)",
    )
});

/// An internal review asks one thing, the review. Its grounds, and the
/// earlier request it quotes, are notes: the reviewer answers the review,
/// not the grounds one by one.
pub fn review_request(text: &str) -> Questions {
    let split = split_questions(text);
    let mut sentences: Vec<String> = Vec::new();
    for q in &split.questions {
        sentences.push(q.text.clone());
    }
    for n in &split.notes {
        sentences.extend(split_sentences(n).into_iter().map(str::to_string));
    }
    let ask = sentences
        .iter()
        .position(|s| REVIEW_ASK.is_match(s))
        .or_else(|| sentences.iter().position(|s| REQUEST.is_match(s)));
    let Some(ask) = ask else {
        return split;
    };
    let text = sentences.remove(ask);
    let mut notes = split.notes;
    // The ask leaves its paragraph; the rest of the paragraph (grounds)
    // stays a note.
    for n in notes.iter_mut() {
        if n.contains(text.as_str()) {
            *n = n.replacen(text.as_str(), "", 1).trim().to_string();
        }
    }
    notes.retain(|n| !n.is_empty());
    notes.extend(
        split
            .questions
            .into_iter()
            .map(|q| q.text)
            .filter(|t| *t != text),
    );
    Questions {
        questions: vec![Question {
            number: 1,
            text,
            options: Vec::new(),
            parts: Vec::new(),
        }],
        notes,
    }
}

/// A subject access request asks for one thing, the requester's own
/// data; the categories it lists are parts of that one request.
pub fn subject_access_request(text: &str) -> Questions {
    let split = split_questions(text);
    if split.questions.len() < 2 && split.questions.iter().all(|q| q.parts.is_empty()) {
        return split;
    }
    // The ask: a request note just before the list ("Please provide copies
    // of the following personal data:"), else the first question.
    let mut notes = split.notes;
    let lead = notes.iter().rposition(|n| REQUEST.is_match(n));
    let mut questions = split.questions.into_iter();
    let (text, mut parts) = match lead {
        Some(i) if notes.get(i).is_some_and(|n| n.trim_end().ends_with(':')) => {
            (notes.remove(i), Vec::new())
        }
        _ => match questions.next() {
            Some(first) => (first.text, first.parts),
            None => {
                return Questions {
                    questions: Vec::new(),
                    notes,
                }
            }
        },
    };
    for q in questions {
        parts.push(Part {
            label: q.number.to_string(),
            text: q.text,
        });
        parts.extend(q.parts);
    }
    Questions {
        questions: vec![Question {
            number: 1,
            text,
            options: Vec::new(),
            parts,
        }],
        notes,
    }
}

fn split_text(text: &str) -> Questions {
    let normalised = expand_inline_items(text);
    let raw: Vec<&str> = normalised.split('\n').map(str::trim_end).collect();
    let mut lines: Vec<Line> = raw.iter().map(|l| classify_line(l)).collect();
    promote_bare_numbers(&mut lines);
    promote_bare_items(&mut lines);

    let mut notes = Vec::new();
    let mut start = 0;
    if let Some(first) = lines.iter().position(|l| !matches!(l, Line::Blank)) {
        if let (Some(Line::Text { text, .. }), true) = (lines.get(first), true) {
            if GREETING.is_match(text) && text.chars().count() <= 100 {
                notes.push((*text).to_string());
                start = first + 1;
            }
        }
    }
    let end = closing_start(&lines, start).unwrap_or(lines.len());
    let body = lines.get(start..end).unwrap_or(&[]);
    let body_raw = raw.get(start..end).unwrap_or(&[]);

    let (questions, body_notes) = match top_kind(body) {
        Some(Mark::Bullet) => {
            scoped_ask(body).unwrap_or_else(|| list_mode(body, body_raw, Mark::Bullet))
        }
        Some(kind) => list_mode(body, body_raw, kind),
        None => prose_mode(body, body_raw),
    };
    notes.extend(body_notes);
    let closing = tidy_lines(raw.get(end..).unwrap_or(&[]));
    if !closing.is_empty() {
        notes.push(closing);
    }
    Questions { questions, notes }
}

/// Trim blank lines at both ends, squeeze inner blank runs to one.
fn tidy_lines(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = false;
    for l in lines {
        let t = l.trim();
        if t.is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank {
                out.push('\n');
            }
        }
        blank = false;
        out.push_str(t);
    }
    out
}

/// The last sign-off line ("Kind regards,", "Yours faithfully,") after
/// which no list item follows and only a signature's worth of lines remain.
/// The last, because a forwarded request keeps its cover note's sign-off.
fn closing_start(lines: &[Line], start: usize) -> Option<usize> {
    // Walking back from the end, counting what follows each line.
    let mut non_blank_after = 0usize;
    let mut item_after = false;
    for (i, line) in lines.iter().enumerate().skip(start).rev() {
        if non_blank_after > 12 || item_after {
            return None;
        }
        match line {
            Line::Text { text, .. } if SIGN_OFF.is_match(text) => return Some(i),
            Line::Blank => {}
            Line::Item(it) if it.mark != Mark::Bullet => item_after = true,
            _ => non_blank_after += 1,
        }
    }
    None
}

/// Words, not dashes or bullets standing between them ("Part C – Waiting
/// times" is four words).
fn word_count(s: &str) -> usize {
    s.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

fn invites_choice(text: &str) -> bool {
    let t = text.trim_end();
    t.ends_with('?') || t.ends_with("?:") || CHOICE.is_match(t)
}

fn option_like(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && word_count(t) <= 15 && !t.ends_with('?')
}

/// Runs of bullet/checkbox lines (blank lines allowed between) and whether
/// each run reads as the options of the line before it.
fn bullet_groups_all_options(body: &[Line]) -> bool {
    let mut i = 0;
    let mut saw_group = false;
    while let Some(line) = body.get(i) {
        let is_bullet =
            matches!(line, Line::Item(it) if matches!(it.mark, Mark::Bullet | Mark::Checkbox));
        if !is_bullet {
            i += 1;
            continue;
        }
        saw_group = true;
        // The line before the group.
        let before = body
            .iter()
            .take(i)
            .rev()
            .find(|l| !matches!(l, Line::Blank));
        let lead_ok = match before {
            Some(Line::Text { text, .. }) => invites_choice(text),
            Some(Line::Item(it)) => invites_choice(it.rest),
            _ => false,
        };
        let mut all_checkbox = true;
        let mut members_ok = true;
        while let Some(l) = body.get(i) {
            match l {
                Line::Item(it) if matches!(it.mark, Mark::Bullet | Mark::Checkbox) => {
                    all_checkbox &= it.mark == Mark::Checkbox;
                    members_ok &= option_like(it.rest);
                    i += 1;
                }
                Line::Blank => i += 1,
                _ => break,
            }
        }
        if !(members_ok && (lead_ok || all_checkbox)) {
            return false;
        }
    }
    saw_group
}

fn top_kind(body: &[Line]) -> Option<Mark> {
    let items = || {
        body.iter().filter_map(|l| match l {
            Line::Item(it) => Some(it),
            _ => None,
        })
    };
    if items().any(|it| matches!(it.mark, Mark::Number | Mark::SubNumber)) {
        return Some(Mark::Number);
    }
    if items().any(|it| it.mark == Mark::Letter && it.value == 1) {
        return Some(Mark::Letter);
    }
    if items().any(|it| it.mark == Mark::Roman) {
        return Some(Mark::Roman);
    }
    if items().any(|it| it.mark == Mark::Bullet) && !bullet_groups_all_options(body) {
        return Some(Mark::Bullet);
    }
    None
}

// ---------------------------------------------------------------------------
// List mode
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Child {
    mark: Mark,
    label: String,
    text: String,
    /// An unmarked line read as one more bullet (a forgotten bullet).
    loose: bool,
    alt_letter: Option<u32>,
}

#[derive(Debug)]
struct Draft {
    given: u32,
    text: Vec<String>,
    children: Vec<Child>,
    last_is_child: bool,
}

impl Draft {
    fn new(it: &Item) -> Self {
        let mut text = Vec::new();
        if !it.rest.is_empty() {
            text.push(it.rest.to_string());
        }
        Draft {
            given: it.value,
            text,
            children: Vec::new(),
            last_is_child: false,
        }
    }

    /// A text line with no blank line before it.
    fn continue_with(&mut self, line: &str) {
        if self.last_is_child {
            if let Some(child) = self.children.last_mut() {
                let bulletish = matches!(child.mark, Mark::Bullet | Mark::Checkbox) || child.loose;
                let last_line_len = child
                    .text
                    .rsplit('\n')
                    .next()
                    .map_or(0, |l| l.chars().count());
                let starts_upper = line
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
                if bulletish && last_line_len < 65 && starts_upper {
                    self.children.push(Child {
                        mark: Mark::Bullet,
                        label: String::new(),
                        text: line.to_string(),
                        loose: true,
                        alt_letter: None,
                    });
                } else {
                    if !child.text.is_empty() {
                        child.text.push('\n');
                    }
                    child.text.push_str(line);
                }
                return;
            }
        }
        self.text.push(line.to_string());
    }

    /// Remove and return a signature-like last line (a name) that follows
    /// a finished sentence in the question's (or its last part's) text.
    fn take_trailing_name(&mut self) -> Option<String> {
        let text = if self.last_is_child {
            &mut self.children.last_mut()?.text
        } else {
            let last = self.text.last()?.clone();
            if self.text.len() < 2 || !is_name_like(&last) {
                return None;
            }
            let prev = self.text.get(self.text.len() - 2)?;
            if !prev.trim_end().ends_with(['.', '?', '!']) {
                return None;
            }
            self.text.pop();
            return Some(last);
        };
        let (head, last) = text.rsplit_once('\n')?;
        if !is_name_like(last) || !head.trim_end().ends_with(['.', '?', '!']) {
            return None;
        }
        let name = last.trim().to_string();
        let keep = head.len();
        text.truncate(keep);
        Some(name)
    }

    fn finish(self) -> Option<Question> {
        let text = tidy_lines(&self.text.iter().map(String::as_str).collect::<Vec<_>>());
        let structural = self
            .children
            .iter()
            .find(|c| !c.loose && !matches!(c.mark, Mark::Bullet | Mark::Checkbox))
            .map(|c| c.mark);
        let bulletish: Vec<&Child> = self
            .children
            .iter()
            .filter(|c| c.loose || matches!(c.mark, Mark::Bullet | Mark::Checkbox))
            .collect();
        let options_mode = self.children.iter().any(|c| c.mark == Mark::Checkbox)
            || (structural.is_none()
                && !bulletish.is_empty()
                && invites_choice(&text)
                && bulletish.iter().all(|c| option_like(&c.text)));

        let mut options: Vec<String> = Vec::new();
        let mut parts: Vec<Part> = Vec::new();
        let mut expected_letter = 1;
        for child in self.children {
            let is_bulletish = child.loose || matches!(child.mark, Mark::Bullet | Mark::Checkbox);
            if is_bulletish && options_mode {
                options.push(child.text.trim().to_string());
                continue;
            }
            let nested_under_part = match child.mark {
                _ if child.loose => true,
                Mark::Bullet | Mark::Checkbox => structural.is_some(),
                Mark::Roman => {
                    structural == Some(Mark::Letter) && child.alt_letter != Some(expected_letter)
                }
                _ => false,
            };
            if nested_under_part {
                if let Some(last) = parts.last_mut() {
                    last.text.push('\n');
                    if !child.loose {
                        last.text.push_str(&child.label);
                        last.text.push(' ');
                    }
                    last.text.push_str(child.text.trim());
                    continue;
                }
                if child.loose {
                    if let Some(last) = options.last_mut() {
                        last.push('\n');
                        last.push_str(child.text.trim());
                        continue;
                    }
                }
            }
            if matches!(child.mark, Mark::Letter | Mark::Roman) {
                if let Some(v) = match child.mark {
                    Mark::Letter => child.label.chars().next().and_then(letter_value),
                    _ => child.alt_letter,
                } {
                    expected_letter = v + 1;
                }
            }
            parts.push(Part {
                label: child.label,
                text: child.text.trim().to_string(),
            });
        }
        if text.is_empty() && options.is_empty() && parts.is_empty() {
            return None;
        }
        Some(Question {
            number: self.given,
            text,
            options,
            parts,
        })
    }
}

/// One to three capitalised words, no digits or punctuation: a name.
fn is_name_like(line: &str) -> bool {
    let t = line.trim();
    let words: Vec<&str> = t.split_whitespace().collect();
    !words.is_empty()
        && words.len() <= 3
        && t.chars().count() <= 40
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '\'' | '-' | '.'))
        })
        && !t.ends_with(['.', '?', '!', ':'])
}

/// A sentence after a list that asks one more thing: a real question, or
/// a request that says "also".
fn is_follow_up(sentence: &str) -> bool {
    let t = sentence.trim();
    sentence_kind(t) == SentenceKind::Request { weak: false }
        && (t
            .trim_end_matches([')', '"', '\'', '’', '”'])
            .ends_with('?')
            || ALSO_REQUEST.is_match(t))
}

/// A paragraph between two questions that is an instruction or heading,
/// not more of the question.
fn note_like(text: &str) -> bool {
    let t = text.trim();
    COST_OR_FORMAT.is_match(t)
        || t.ends_with(':')
        || (word_count(t) <= 4 && !t.ends_with(['.', '?', '!', ')']))
}

fn list_mode(body: &[Line], raw: &[&str], kind: Mark) -> (Vec<Question>, Vec<String>) {
    let top_indent = body
        .iter()
        .find_map(|l| match l {
            Line::Item(it) if it.mark == kind => Some(it.indent),
            _ => None,
        })
        .unwrap_or(0);
    let top_label = body
        .iter()
        .find_map(|l| match l {
            Line::Item(it) if it.mark == kind => Some(it.label.clone()),
            _ => None,
        })
        .unwrap_or_default();

    // Which items are questions; the letter sequence decides roman i / v / x.
    // `6a`, `6b` with no `6` line are questions of their own, not parts.
    let numbered: Vec<u32> = body
        .iter()
        .filter_map(|l| match l {
            Line::Item(it) if it.mark == Mark::Number => Some(it.value),
            _ => None,
        })
        .collect();
    let mut is_top = vec![false; body.len()];
    let mut last_letter = 0;
    for (i, line) in body.iter().enumerate() {
        let Line::Item(it) = line else { continue };
        let shallow = it.indent < top_indent + 2;
        let top = shallow
            && match kind {
                Mark::Number => {
                    it.mark == Mark::Number
                        || (it.mark == Mark::SubNumber && !numbered.contains(&it.value))
                }
                Mark::Letter => {
                    it.mark == Mark::Letter
                        || (it.mark == Mark::Roman && it.alt_letter == Some(last_letter + 1))
                }
                Mark::Roman => it.mark == Mark::Roman,
                Mark::Bullet => it.mark == Mark::Bullet && it.label == top_label,
                _ => false,
            };
        if top {
            if kind == Mark::Letter {
                last_letter = if it.mark == Mark::Letter {
                    it.value
                } else {
                    it.alt_letter.unwrap_or(last_letter + 1)
                };
            }
            if let Some(slot) = is_top.get_mut(i) {
                *slot = true;
            }
        }
    }
    let last_top = is_top.iter().rposition(|t| *t).unwrap_or(0);

    let mut drafts: Vec<Draft> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut current: Option<Draft> = None;
    let mut prev_blank = true;
    let mut after_list = false;

    // Questions asked in prose after the list ("Could you also tell me …?").
    let mut follow_ups: Vec<String> = Vec::new();
    let flush = |para: &mut Vec<&str>,
                 notes: &mut Vec<String>,
                 follow_ups: &mut Vec<String>,
                 after: bool| {
        let note = tidy_lines(para);
        para.clear();
        if note.is_empty() {
            return;
        }
        if after {
            let sentences = split_sentences(&note);
            if sentences.iter().any(|s| is_follow_up(s)) {
                let mut rest: Vec<&str> = Vec::new();
                for sentence in sentences {
                    if is_follow_up(sentence) {
                        follow_ups.push(sentence.to_string());
                    } else {
                        rest.push(sentence);
                    }
                }
                if !rest.is_empty() {
                    notes.push(rest.join(" "));
                }
                return;
            }
        }
        notes.push(note);
    };

    for (i, line) in body.iter().enumerate() {
        let raw_line = raw.get(i).copied().unwrap_or("");
        let top = is_top.get(i).copied().unwrap_or(false);
        match line {
            Line::Blank => {
                flush(&mut para, &mut notes, &mut follow_ups, after_list);
                prev_blank = true;
                continue;
            }
            Line::Item(it) if top => {
                flush(&mut para, &mut notes, &mut follow_ups, after_list);
                if let Some(d) = current.take() {
                    drafts.push(d);
                }
                current = Some(Draft::new(it));
            }
            Line::Item(it) if !after_list && para.is_empty() && current.is_some() => {
                if let Some(d) = current.as_mut() {
                    d.children.push(Child {
                        mark: it.mark,
                        label: it.label.clone(),
                        text: it.rest.to_string(),
                        loose: false,
                        alt_letter: it.alt_letter,
                    });
                    d.last_is_child = true;
                }
            }
            Line::Item(_) => para.push(raw_line.trim()),
            Line::Text { text, indent } => {
                if after_list || !para.is_empty() {
                    para.push(text);
                } else if let Some(d) = current.as_mut() {
                    if !prev_blank {
                        d.continue_with(text);
                    } else if (i < last_top && !note_like(text))
                        || (i > last_top && *indent >= top_indent + 2)
                    {
                        // Another paragraph of the same question.
                        d.text.push(String::new());
                        d.text.push((*text).to_string());
                        d.last_is_child = false;
                    } else {
                        after_list = i > last_top;
                        para.push(text);
                    }
                } else {
                    para.push(text);
                }
            }
        }
        prev_blank = false;
    }
    flush(&mut para, &mut notes, &mut follow_ups, after_list);
    if let Some(mut d) = current.take() {
        // "2. How many …?\nLiam": a name straight after the last item.
        if let Some(name) = d.take_trailing_name() {
            notes.push(name);
        }
        drafts.push(d);
    }

    let mut questions: Vec<Question> = drafts.into_iter().filter_map(Draft::finish).collect();
    renumber(&mut questions, kind == Mark::Number);
    let mut next = questions.last().map_or(1, |q| q.number.saturating_add(1));
    for text in follow_ups {
        questions.push(Question {
            number: next,
            text,
            options: Vec::new(),
            parts: Vec::new(),
        });
        next = next.saturating_add(1);
    }
    (questions, notes)
}

/// A bullet that narrows or defines what is asked rather than asking
/// something: "only claims after April 2021", "broken down by ward",
/// "'concern' means …".
static CRITERION: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)^(?:only\b|just\b|for (?:the|each|every|all|both)\b|in each\b|each\b|per\b|including\b|include\b|excluding\b|exclude\b|not including\b|except\b|other than\b",
        r"|broken down\b|break(?:ing)? (?:it |this |them |the \w+ )?down\b|split (?:by|between|into)\b|separated? (?:by|between|into)\b|by (?:ward|year|month|quarter|directorate|department|service|type|category|age|gender|ethnicity|reason|team|area|financial year)\b",
        r"|aged\b|since\b|between\b|from\b|covering\b|during\b|within\b|where\b|whether or not\b|if (?:held|recorded|possible|available)\b|as at\b|on or (?:after|before)\b",
        r"|please (?:include|exclude|break|split|separate|give|show|state|list)\b|(?:\x22|“|')[^\x22”']{1,40}(?:\x22|”|') means\b|\w+ means\b",
        r")",
    ))
});
/// A lead that names one thing asked for: a number, a list, copies.
static SPECIFIC_ASK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:the (?:number|total|amount|value|cost|list|names?|average|proportion|percentage) of|a (?:list|breakdown|copy|schedule|register|summary) of|copies of|how (?:many|much)|data on|figures (?:for|on)|details of)\b",
    )
});
static FOLLOWING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:the following|these questions|each of the following)\b"));

/// One request qualified by bullets: the ask in the paragraph before them,
/// the bullets its scope ("only …", "broken down by …") or the fields of
/// the one list asked for ("Please provide a list of …, including for each
/// one:"). Then the bullets are parts of one question, not questions.
fn scoped_ask(body: &[Line]) -> Option<(Vec<Question>, Vec<String>)> {
    let first_bullet = body
        .iter()
        .position(|l| matches!(l, Line::Item(it) if it.mark == Mark::Bullet))?;
    // Paragraphs before the bullets.
    let mut paras: Vec<Vec<&str>> = vec![Vec::new()];
    for line in body.get(..first_bullet)? {
        match line {
            Line::Blank => paras.push(Vec::new()),
            Line::Text { text, .. } => paras.last_mut()?.push(text),
            Line::Item(_) => return None,
        }
    }
    let paras: Vec<String> = paras
        .iter()
        .map(|p| p.join(" "))
        .filter(|p| !p.trim().is_empty())
        .collect();
    // The ask: the last request paragraph before the bullets; what lies
    // between it and them ("For this request:") goes with it.
    let ask_at = paras
        .iter()
        .rposition(|p| REQUEST.is_match(p) && !META.is_match(p))?;
    let ask = paras.get(ask_at..)?.join("\n\n");
    // The bullets, with their wrapped lines; what follows them is notes or
    // follow-up questions.
    let mut bullets: Vec<String> = Vec::new();
    let mut after: Vec<&str> = Vec::new();
    let mut prev_blank = false;
    for line in body.get(first_bullet..)? {
        match line {
            Line::Item(it) if it.mark == Mark::Bullet && after.is_empty() => {
                bullets.push(it.rest.to_string())
            }
            Line::Item(_) => return None,
            Line::Text { text, indent } if after.is_empty() && (*indent > 0 || !prev_blank) => {
                match bullets.last_mut() {
                    Some(b) => {
                        b.push(' ');
                        b.push_str(text);
                    }
                    None => after.push(text),
                }
            }
            Line::Text { text, .. } => after.push(text),
            Line::Blank => {}
        }
        prev_blank = matches!(line, Line::Blank);
    }
    if bullets.iter().any(|b| {
        let b = b.trim();
        b.ends_with('?') || (BULLET_ASKS.is_match(b) && !CRITERION.is_match(b))
    }) {
        return None;
    }
    let criteria = bullets
        .iter()
        .filter(|b| CRITERION.is_match(b.trim()))
        .count();
    let scoped =
        criteria * 2 > bullets.len() || (SPECIFIC_ASK.is_match(&ask) && !FOLLOWING.is_match(&ask));
    if !scoped {
        return None;
    }
    let mut notes: Vec<String> = paras.get(..ask_at)?.to_vec();
    let mut questions = vec![Question {
        number: 1,
        text: ask,
        options: Vec::new(),
        parts: bullets
            .into_iter()
            .map(|text| Part {
                label: "-".into(),
                text,
            })
            .collect(),
    }];
    for sentence in split_sentences(&after.join(" ")) {
        if is_follow_up(sentence) {
            questions.push(Question {
                number: u32::try_from(questions.len() + 1).unwrap_or(u32::MAX),
                text: sentence.trim().to_string(),
                options: Vec::new(),
                parts: Vec::new(),
            });
        } else if !sentence.trim().is_empty() {
            notes.push(sentence.trim().to_string());
        }
    }
    Some((questions, notes))
}

/// Keep the requester's numbers when they increase strictly; otherwise
/// (or for letters, romans, bullets) number by position.
fn renumber(questions: &mut [Question], keep_given: bool) {
    let increasing = questions
        .windows(2)
        .all(|w| matches!(w, [a, b] if a.number < b.number));
    if keep_given && increasing && questions.first().is_some_and(|q| q.number > 0) {
        return;
    }
    for (n, q) in (1u32..).zip(questions.iter_mut()) {
        q.number = n;
    }
}

// ---------------------------------------------------------------------------
// Prose mode
// ---------------------------------------------------------------------------

#[derive(Debug)]
enum Unit {
    Note {
        para: usize,
        text: String,
    },
    Question {
        weak: bool,
        q: Question,
        para: usize,
    },
}

const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "eg", "ie", "etc", "mr", "mrs", "ms", "dr", "st", "no", "nos", "approx", "inc",
    "ltd", "vs", "cf", "para", "sec", "ref", "co", "dept", "govt", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "q", "s", "art", "reg",
];

/// Sentence spans of a paragraph (text exactly as written).
fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let boundary_end = match c {
            '.' | '?' | '!' => {
                // Swallow closing quotes and brackets.
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = iter.peek() {
                    if matches!(d, ')' | '"' | '\'' | '’' | '”' | '?' | '!' | '.') {
                        end = j + d.len_utf8();
                        iter.next();
                    } else {
                        break;
                    }
                }
                let next_non_space = text
                    .get(end..)
                    .and_then(|rest| rest.chars().find(|ch| !ch.is_whitespace()));
                let followed_by_space = text
                    .get(end..)
                    .and_then(|rest| rest.chars().next())
                    .is_none_or(char::is_whitespace);
                // Mail written all in lower case still asks one thing at a
                // time: "…right now? also how long …".
                let next_word: String = text
                    .get(end..)
                    .unwrap_or("")
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_lowercase();
                let casual_start = matches!(
                    next_word.as_str(),
                    "also"
                        | "and"
                        | "how"
                        | "what"
                        | "which"
                        | "when"
                        | "who"
                        | "whether"
                        | "where"
                        | "please"
                        | "can"
                        | "could"
                );
                let starts_new = next_non_space.is_none_or(|ch| {
                    ch.is_uppercase()
                        || ch.is_ascii_digit()
                        || matches!(ch, '"' | '\'' | '(' | '‘' | '“')
                }) || (casual_start
                    && (c != '.' || matches!(next_word.as_str(), "also" | "and")));
                let word_before: String = text
                    .get(start..i)
                    .unwrap_or("")
                    .rsplit(|ch: char| ch.is_whitespace() || ch == '(')
                    .next()
                    .unwrap_or("")
                    .to_lowercase();
                let abbreviation = c == '.' && ABBREVIATIONS.contains(&word_before.as_str());
                (followed_by_space && starts_new && !abbreviation).then_some(end)
            }
            '\n' => {
                // An unpunctuated short line followed by a capital: its own sentence.
                let line_start = text
                    .get(..i)
                    .and_then(|s| s.rfind('\n'))
                    .map_or(0, |p| p + 1);
                let line_len = text.get(line_start..i).map_or(0, |s| s.chars().count());
                let next = text.get(i + 1..).and_then(|s| s.chars().next());
                (line_len < 55 && next.is_some_and(char::is_uppercase)).then_some(i)
            }
            _ => None,
        };
        if let Some(end) = boundary_end {
            if let Some(s) = text.get(start..end) {
                if !s.trim().is_empty() {
                    out.push(s.trim());
                }
            }
            start = end;
        }
    }
    if let Some(s) = text.get(start..) {
        if !s.trim().is_empty() {
            out.push(s.trim());
        }
    }
    out
}

fn content_words(sentence: &str) -> usize {
    let stripped = ACT_REF.replace_all(sentence, " ");
    stripped
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| {
            let w = w.trim_matches('\'');
            (w.chars().count() >= 2 || w.chars().all(|c| c.is_ascii_digit()))
                && !w.is_empty()
                && !STOP_WORDS.contains(&w)
        })
        .count()
}

#[derive(Debug, PartialEq, Eq)]
enum SentenceKind {
    Request { weak: bool },
    Note,
}

fn sentence_kind(s: &str) -> SentenceKind {
    // Hard-wrapped mail breaks phrases across lines: "I would also\nlike".
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = flat.as_str();
    if META.is_match(t) || LEAD_IN.is_match(t) || t.ends_with(':') {
        return SentenceKind::Note;
    }
    let ends_q = t
        .trim_end_matches([')', '"', '\'', '’', '”'])
        .ends_with('?');
    if ends_q {
        if PLEASANTRY.is_match(t) || content_words(t) == 0 {
            return SentenceKind::Note;
        }
        return SentenceKind::Request { weak: false };
    }
    let words = content_words(t);
    if ((REQUEST.is_match(t) || ORDINAL.is_match(t)) && words >= 2)
        || (ALSO_REQUEST.is_match(t) && words >= 1)
    {
        return SentenceKind::Request {
            weak: TOPIC.is_match(t),
        };
    }
    SentenceKind::Note
}

/// "could you tell me X, and also Y" -> two asks, each as written.
fn split_also(sentence: &str) -> Vec<&str> {
    // Real sentences are short; a huge one is left whole (bounded work).
    if sentence.len() > 4000 {
        return vec![sentence];
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    for c in ALSO_SPLIT.captures_iter(sentence) {
        let Some(m) = c.get(0) else { continue };
        if let Some(wh) = c.get(1) {
            // The conjoined question must say something of its own.
            let after = sentence.get(wh.end()..).unwrap_or("");
            if ELLIPTICAL.is_match(after) || content_words(after) < 2 {
                continue;
            }
        }
        let head = sentence.get(start..m.start()).unwrap_or("").trim();
        if content_words(head) == 0 {
            continue;
        }
        pieces.push(head.trim_end_matches([',', ';']).trim_end());
        let tail_start = m.start()
            + sentence.get(m.start()..m.end()).map_or(0, |s| {
                s.len() - s.trim_start_matches([',', ' ', '\n', '\t']).len()
            });
        start = tail_start;
    }
    let tail = sentence.get(start..).unwrap_or("").trim();
    if !tail.is_empty() {
        if content_words(tail) == 0 {
            // Too thin to stand alone: keep it with the previous piece.
            if let Some(last) = pieces.pop() {
                let joined_start = sentence.find(last).unwrap_or(0);
                pieces.push(sentence.get(joined_start..).unwrap_or(last).trim());
                return pieces;
            }
        }
        pieces.push(tail);
    }
    pieces
}

fn prose_mode(body: &[Line], raw: &[&str]) -> (Vec<Question>, Vec<String>) {
    let mut units: Vec<Unit> = Vec::new();
    let mut last_question: Option<usize> = None;
    let mut scanned = 0usize;
    let mut para_id = 0usize;
    let mut para_text: Vec<&str> = Vec::new();

    let flush_text = |para_text: &mut Vec<&str>, units: &mut Vec<Unit>, para_id: usize| {
        let joined = para_text.join("\n");
        para_text.clear();
        for sentence in split_sentences(&joined) {
            match sentence_kind(sentence) {
                SentenceKind::Request { weak } => {
                    for piece in split_also(sentence) {
                        units.push(Unit::Question {
                            weak,
                            para: para_id,
                            q: Question {
                                number: 0,
                                text: piece.to_string(),
                                options: Vec::new(),
                                parts: Vec::new(),
                            },
                        });
                    }
                }
                SentenceKind::Note => units.push(Unit::Note {
                    para: para_id,
                    text: sentence.to_string(),
                }),
            }
        }
    };

    for (i, line) in body.iter().enumerate() {
        match line {
            Line::Blank => {
                flush_text(&mut para_text, &mut units, para_id);
                para_id += 1;
            }
            Line::Text { text, .. } => para_text.push(text),
            Line::Item(it) if matches!(it.mark, Mark::Bullet | Mark::Checkbox) => {
                flush_text(&mut para_text, &mut units, para_id);
                // Only the units added since the last look are scanned.
                if let Some(k) = units
                    .iter()
                    .enumerate()
                    .skip(scanned)
                    .rev()
                    .find(|(_, u)| matches!(u, Unit::Question { .. }))
                    .map(|(k, _)| k)
                {
                    last_question = Some(k);
                }
                scanned = units.len();
                let target = last_question
                    .and_then(|k| units.get_mut(k))
                    .and_then(|u| match u {
                        Unit::Question { q, .. } => Some(q),
                        Unit::Note { .. } => None,
                    });
                match target {
                    Some(q) if invites_choice(&q.text) || it.mark == Mark::Checkbox => {
                        q.options.push(it.rest.to_string());
                    }
                    Some(q) => q.parts.push(Part {
                        label: it.label.clone(),
                        text: it.rest.to_string(),
                    }),
                    None => units.push(Unit::Note {
                        para: para_id,
                        text: it.rest.to_string(),
                    }),
                }
            }
            Line::Item(_) => para_text.push(raw.get(i).map_or("", |l| l.trim())),
        }
    }
    flush_text(&mut para_text, &mut units, para_id);

    let any_strong = units
        .iter()
        .any(|u| matches!(u, Unit::Question { weak: false, .. }));
    // "Was it vandalism? Was it the bus company?" in a paragraph telling
    // the story, when another paragraph asks in so many words: rhetorical.
    let asking_paras: Vec<usize> = units
        .iter()
        .filter_map(|u| match u {
            Unit::Question { q, para, .. } if REQUEST.is_match(&q.text) => Some(*para),
            _ => None,
        })
        .collect();
    let story_paras: Vec<usize> = units
        .iter()
        .filter_map(|u| match u {
            Unit::Note { para, .. } => Some(*para),
            _ => None,
        })
        .collect();
    let units: Vec<Unit> = units
        .into_iter()
        .map(|u| match u {
            Unit::Question { q, para, .. }
                if !REQUEST.is_match(&q.text)
                    && story_paras.contains(&para)
                    && asking_paras.iter().any(|p| *p != para) =>
            {
                Unit::Note { para, text: q.text }
            }
            other => other,
        })
        .collect();
    let mut questions = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut last_note_para: Option<usize> = None;
    for unit in units {
        match unit {
            Unit::Question { weak: true, q, .. } if any_strong => {
                notes.push(q.text);
                last_note_para = None;
            }
            Unit::Question { q, .. } => {
                questions.push(q);
                last_note_para = None;
            }
            Unit::Note { para, text } => match (last_note_para, notes.last_mut()) {
                (Some(p), Some(last)) if p == para => {
                    last.push(' ');
                    last.push_str(&text);
                }
                _ => {
                    notes.push(text);
                    last_note_para = Some(para);
                }
            },
        }
    }
    renumber(&mut questions, false);
    (questions, notes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn texts(q: &Questions) -> Vec<&str> {
        q.questions.iter().map(|q| q.text.as_str()).collect()
    }

    #[test]
    fn numbered_styles() {
        for text in [
            "1. How many?\n2. What cost?\n3. Who decided?",
            "1) How many?\n2) What cost?\n3) Who decided?",
            "Q1 How many?\nQ2 What cost?\nQ3 Who decided?",
            "Q1. How many?\nQ2: What cost?\nQ3 - Who decided?",
            "Question 1 - How many?\nQuestion 2 - What cost?\nQuestion 3 - Who decided?",
            "(1) How many?\n(2) What cost?\n(3) Who decided?",
            "1.      How many?\n\n2.      What cost?\n\n3.      Who decided?",
        ] {
            let q = split_questions(text);
            assert_eq!(
                texts(&q),
                ["How many?", "What cost?", "Who decided?"],
                "{text}"
            );
            assert_eq!(
                q.questions.iter().map(|q| q.number).collect::<Vec<_>>(),
                [1, 2, 3]
            );
        }
    }

    #[test]
    fn bare_numbers_in_sequence() {
        let q = split_questions("1 How many permits\n2 How much income\n3 How many zones");
        assert_eq!(
            texts(&q),
            ["How many permits", "How much income", "How many zones"]
        );
        let q = split_questions(
            "I live at 10 Downing Street.\n10 Downing Street\nHow many bins are there?",
        );
        assert_eq!(texts(&q), ["How many bins are there?"]);
    }

    #[test]
    fn preamble_cost_limit_and_closing_are_notes() {
        let text = "Dear FOI Officer,\n\nUnder the FOI Act please provide:\n\n1. The number of PCNs issued in 2024.\n2. The income from PCNs in 2024.\n\nIf this exceeds the cost limit, please answer Q1 first.\n\nKind regards,\nJo Bloggs\nReporter";
        let q = split_questions(text);
        assert_eq!(q.questions.len(), 2);
        assert_eq!(q.questions[0].text, "The number of PCNs issued in 2024.");
        assert_eq!(
            q.notes,
            [
                "Dear FOI Officer,",
                "Under the FOI Act please provide:",
                "If this exceeds the cost limit, please answer Q1 first.",
                "Kind regards,\nJo Bloggs\nReporter"
            ]
        );
    }

    #[test]
    fn the_standard_handling_paragraphs_are_notes() {
        let text = "Dear Sir or Madam,\n\nI am a student and I am sending the same request to several councils.\n\nHow many parking permits did the council issue in 2024?\n\nIf you consider that any of this information is exempt, please say which exemption applies. Please release any information that is not exempt.\n\nIf the numbers are small enough to identify anyone, please give them as a band rather than withholding them.\n\nI would like the answer provided electronically, preferably as an Excel file.\n\nIf any part of this request is refused, please send the rest and explain why.\n\nYours faithfully,\nSam Hale";
        let q = split_questions(text);
        assert_eq!(
            texts(&q),
            ["How many parking permits did the council issue in 2024?"],
            "{:?}",
            q.notes
        );
        assert_eq!(q.notes.len(), 7, "{:?}", q.notes);
    }

    #[test]
    fn lettered_parts_stay_under_their_question() {
        let text = "1. For each year since 2021, please state:\n   a) the number of claims\n   b) the amount paid\n2. Who handles claims?";
        let q = split_questions(text);
        assert_eq!(q.questions.len(), 2);
        let parts = &q.questions[0].parts;
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].label, "a");
        assert_eq!(parts[1].text, "the amount paid");
        assert!(q.questions[0].options.is_empty());
    }

    #[test]
    fn roman_parts_and_subnumbers() {
        let q =
            split_questions("1. Contracts:\n(i) supplier\n(ii) value\n(iii) end date\n2. Spend?");
        assert_eq!(
            q.questions[0]
                .parts
                .iter()
                .map(|p| p.label.as_str())
                .collect::<Vec<_>>(),
            ["i", "ii", "iii"]
        );
        let q = split_questions("1. Staff\n1.1 How many?\n1.2 How many agency?\n2. Budget?");
        assert_eq!(q.questions.len(), 2);
        assert_eq!(q.questions[0].parts[1].label, "1.2");
    }

    #[test]
    fn lettered_top_level_with_roman_under_letters() {
        let text = "Please tell me:\n\na) the number of staff\n   (i) full time\n   (ii) part time\nb) the budget\nc) the head count in 2020\nd) x\ne) y\nf) z\ng) w\nh) v\ni) the ninth";
        let q = split_questions(text);
        assert_eq!(q.questions.len(), 9);
        assert_eq!(q.questions[0].parts.len(), 2);
        assert_eq!(q.questions[8].text, "the ninth");
    }

    #[test]
    fn roman_top_level() {
        let q =
            split_questions("Please provide:\ni) the policy\nii) the budget\niii) the staff list");
        assert_eq!(q.questions.len(), 3);
    }

    #[test]
    fn bullets_as_questions_and_as_options() {
        let q = split_questions("Please provide:\n- the contract\n- the spend\n- the supplier");
        assert_eq!(q.questions.len(), 3);
        let survey = "1. How much is digitalised?\n· 0%\n· 1-25%\n· 26-50%\n2. Do you use a DMS?\n· Yes\n\n· No\nNot sure";
        let q = split_questions(survey);
        assert_eq!(q.questions.len(), 2);
        assert_eq!(q.questions[0].options, ["0%", "1-25%", "26-50%"]);
        assert_eq!(q.questions[1].options, ["Yes", "No", "Not sure"]);
        assert!(q.questions[0].parts.is_empty());
    }

    #[test]
    fn bullets_under_a_statement_are_parts() {
        let q = split_questions(
            "1. Please provide for 2024:\n- the number of staff\n- the total cost\n2. When?",
        );
        assert_eq!(q.questions[0].parts.len(), 2);
        assert!(q.questions[0].options.is_empty());
    }

    #[test]
    fn checkbox_options() {
        let q = split_questions("Do you use cloud hosting?\n☐ Yes\n☐ No\n\nWhich supplier do you use?\n[ ] Microsoft\n[ ] Google\n[ ] Other");
        assert_eq!(q.questions.len(), 2);
        assert_eq!(q.questions[1].options, ["Microsoft", "Google", "Other"]);
    }

    #[test]
    fn prose_requests() {
        let q = split_questions("Hello,\n\nCould you tell me how many potholes were repaired in 2024, and also how much the repairs cost?\n\nThanks\nSam");
        assert_eq!(
            texts(&q),
            [
                "Could you tell me how many potholes were repaired in 2024",
                "and also how much the repairs cost?"
            ]
        );
        assert_eq!(q.notes, ["Hello,", "Thanks\nSam"]);
    }

    #[test]
    fn prose_meta_sentences_are_notes() {
        let q = split_questions("I am making a request under the Freedom of Information Act 2000. Please provide the total spent on consultants in 2024. I would like the information in Excel format. Please confirm receipt of this request.");
        assert_eq!(
            texts(&q),
            ["Please provide the total spent on consultants in 2024."]
        );
        assert_eq!(
            q.notes,
            [
                "I am making a request under the Freedom of Information Act 2000.",
                "I would like the information in Excel format. Please confirm receipt of this request."
            ]
        );
    }

    #[test]
    fn topic_statement_yields_to_specific_asks() {
        let q = split_questions("I am writing to request information about parking enforcement. How many PCNs were issued in 2024? What income did they raise?");
        assert_eq!(q.questions.len(), 2);
        let q = split_questions(
            "I am writing to request information about parking enforcement contracts since 2020.",
        );
        assert_eq!(q.questions.len(), 1);
    }

    #[test]
    fn continuation_paragraphs_between_items_belong_to_the_question() {
        let text = "1. How many staff?\n\nPlease include agency staff.\n\n2. What budget?\n\nPlease provide this in Excel.";
        let q = split_questions(text);
        assert_eq!(q.questions.len(), 2);
        assert_eq!(
            q.questions[0].text,
            "How many staff?\n\nPlease include agency staff."
        );
        assert_eq!(q.notes, ["Please provide this in Excel."]);
    }

    #[test]
    fn trailing_name_after_last_item_is_a_note() {
        let q = split_questions("Hi,\n1. How many?\n2. How much?\nLiam");
        assert_eq!(texts(&q), ["How many?", "How much?"]);
        assert_eq!(q.notes, ["Hi,", "Liam"]);
        let q = split_questions("1. Figures for:\nWestfield Ward");
        assert_eq!(texts(&q), ["Figures for:\nWestfield Ward"]);
    }

    #[test]
    fn questions_after_the_list_are_kept() {
        let text = "1. How many staff?\n2. What budget?\n\nPlease provide this in Excel. Could you also tell me who manages the team?\n\nPlease note I do not want names.\n\nThanks\nJo";
        let q = split_questions(text);
        assert_eq!(
            texts(&q),
            [
                "How many staff?",
                "What budget?",
                "Could you also tell me who manages the team?"
            ]
        );
        assert_eq!(q.questions[2].number, 3);
        assert_eq!(
            q.notes,
            [
                "Please provide this in Excel.",
                "Please note I do not want names.",
                "Thanks\nJo"
            ]
        );
    }

    #[test]
    fn inconsistent_numbers_are_renumbered() {
        let q = split_questions("1. a?\n2. b?\n1. c?");
        assert_eq!(
            q.questions.iter().map(|q| q.number).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let q = split_questions("3. a?\n4. b?");
        assert_eq!(
            q.questions.iter().map(|q| q.number).collect::<Vec<_>>(),
            [3, 4]
        );
    }

    #[test]
    fn sentences_split_safely() {
        assert_eq!(
            split_sentences("Hi. E.g. this. No? Yes!"),
            ["Hi.", "E.g. this.", "No?", "Yes!"]
        );
        for s in ["", ".", "?!", "é.É", "a\nB", "…?"] {
            let _ = split_sentences(s);
            let _ = split_questions(s);
        }
    }

    #[test]
    fn empty_text_has_nothing() {
        assert_eq!(split_questions(""), Questions::default());
    }
}
