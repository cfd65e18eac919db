//! What a message is: its kind (new FOI / EIR / SAR request, internal
//! review, correspondence on a case, officer command, auto-reply, bounce,
//! bulk mail) with the reasons that decided it, the requester's identity,
//! and the case reference it carries.
//!
//! Pure: works on [`IncomingMessage`], the plain data the mail adapter
//! extracts. Rules are tables of phrases and headers, checked in a fixed
//! order (see [`classify`]).

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

use super::commands;
use super::letters::Attachment;
use super::reference::ReferenceFormat;
use super::request_likeness::{self, Evidence};
use super::spam::{self, SpamPolicy, Verdict};

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    /// A new Freedom of Information Act request.
    Foi,
    /// A new request for environmental information (EIR 2004).
    Eir,
    /// A subject access request: the requester's own personal data.
    Sar,
    /// A request for internal review of an earlier request.
    Review,
    /// A reply on an existing case: clarification, thanks, complaint.
    Correspondence,
    /// An officer's reply carrying `#commands`.
    Command,
    /// Out-of-office and other automatic replies; also mail loops.
    AutoReply,
    /// Delivery failure reports.
    Bounce,
    /// Newsletters, mailing lists, bulk mail.
    Bulk,
    /// Spam by the council's own filter's verdict.
    Spam,
    /// On no case and not recognisably a request: held for an officer.
    Unclear,
}

impl Kind {
    /// The snake_case name used in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Foi => "foi",
            Kind::Eir => "eir",
            Kind::Sar => "sar",
            Kind::Review => "review",
            Kind::Correspondence => "correspondence",
            Kind::Command => "command",
            Kind::AutoReply => "auto_reply",
            Kind::Bounce => "bounce",
            Kind::Bulk => "bulk",
            Kind::Spam => "spam",
            Kind::Unclear => "unclear",
        }
    }

    /// A new request that becomes a case.
    pub fn is_new_request(self) -> bool {
        matches!(self, Kind::Foi | Kind::Eir | Kind::Sar | Kind::Review)
    }

    /// Machine mail: never acknowledged, never answered.
    pub fn is_automatic(self) -> bool {
        matches!(
            self,
            Kind::AutoReply | Kind::Bounce | Kind::Bulk | Kind::Spam
        )
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the mail adapter extracts from a message; everything intake needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncomingMessage {
    pub from_name: Option<String>,
    /// Lowercased From address.
    pub from_email: Option<String>,
    /// First Reply-To address, lowercased.
    pub reply_to: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// Decoded subject ("" when absent).
    pub subject: String,
    /// Message ids are kept with their angle brackets: `<id@host>`.
    pub message_id: Option<String>,
    /// `X-Microsoft-Original-Message-ID`: Outlook rewrites Message-ID.
    pub original_message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Every top-level header, in order, unfolded (raw, not decoded).
    pub headers: Vec<(String, String)>,
    /// `None`: no Return-Path. `Some("")`: the empty path `<>`.
    pub return_path: Option<String>,
    /// Top-level `type/subtype`, lowercased.
    pub content_type: String,
    /// A `message/delivery-status` part (or report-type=delivery-status).
    pub has_delivery_status: bool,
    /// The sender's new text (see `message_text`).
    pub new_text: String,
    /// The whole body text, quotes and all.
    pub full_text: String,
    /// The new text includes a forwarded message the sender asked us to
    /// treat as a request.
    pub forwarded_request: bool,
    pub attachment_names: Vec<String>,
    /// Files sent with the message (top level only; inline images of a
    /// signature left out), byte for byte.
    pub attachments: Vec<Attachment>,
}

impl IncomingMessage {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn has_header(&self, name: &str) -> bool {
        self.header(name).is_some()
    }
}

/// The council's side of intake: who we are, who the officers are, what
/// our case references look like.
#[derive(Debug, Clone)]
pub struct IntakePolicy {
    /// The council's own mailbox addresses (mail from these is a loop).
    pub council_addresses: Vec<String>,
    /// The council's mail domain, e.g. `council.gov.uk`; our outgoing
    /// Message-IDs end with it.
    pub council_domain: String,
    /// Officers whose `#commands` are read.
    pub officer_addresses: Vec<String>,
    /// How case references are written, to find them in subjects.
    pub references: ReferenceFormat,
    /// How the council's spam filter's verdicts are read.
    pub spam: SpamPolicy,
}

impl IntakePolicy {
    /// A policy with the default reference format.
    pub fn new(council_address: &str, council_domain: &str, officers: &[&str]) -> Self {
        IntakePolicy {
            council_addresses: vec![council_address.to_ascii_lowercase()],
            council_domain: council_domain.to_ascii_lowercase(),
            officer_addresses: officers.iter().map(|o| o.to_ascii_lowercase()).collect(),
            references: ReferenceFormat::default_format(),
            spam: SpamPolicy::default(),
        }
    }

    fn is_own_address(&self, addr: &str) -> bool {
        self.council_addresses
            .iter()
            .any(|a| a.eq_ignore_ascii_case(addr))
    }

    pub fn is_officer(&self, addr: &str) -> bool {
        self.officer_addresses
            .iter()
            .any(|a| a.eq_ignore_ascii_case(addr))
    }
}

/// The decision about a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub kind: Kind,
    /// The rules or phrases that decided it, most decisive first.
    pub reasons: Vec<String>,
    /// Case reference found in the subject or headers, e.g. `FOI-2026-00123`.
    pub case_ref: Option<String>,
}

/// Who sent a request, and the key that links one person across addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub name: Option<String>,
    pub email: String,
    /// Where replies go: Reply-To, else the WhatDoTheyKnow per-request
    /// address, else the From address.
    pub reply_to: Option<String>,
    /// `name:<normalised name>` for WhatDoTheyKnow users (a new address for
    /// every request); otherwise the lowercased address.
    pub identity: String,
}

#[allow(clippy::expect_used)] // constant patterns, checked by the unit tests
fn re(pattern: &str) -> Regex {
    Regex::new(&super::ascii_word_boundaries(pattern)).expect("valid constant regex")
}

// ---------------------------------------------------------------------------
// Rule tables
// ---------------------------------------------------------------------------

static WDTK_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\bfoi\+(?:request|ir)-(\d{1,10})-([0-9a-z]{6,12})@whatdotheyknow\.com\b")
});

static BOUNCE_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:undeliverable\s*:|undelivered mail returned to sender|undelivered mail\b|delivery status notification \((?:failure|delay)\)|mail delivery failed|returned mail\s*:|delivery failure|failure notice|mail delivery failure|message not delivered|delivery has failed|non[- ]?delivery report|notice of non[- ]?delivery|nondeliverable mail|delivery (?:notification|report)\s*:|delivery (?:delayed|incomplete)\b|(?:warning|delayed mail)\s*:.{0,40}\b(?:delayed|could not be delivered|not yet been delivered)|message delivery has been delayed|your message (?:could ?n[o']t|cannot|wasn't|was not) (?:be )?delivered|mail could not be delivered|returned to sender\b)",
    )
});

static AUTO_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:automatic reply\s*:|auto(?:matic)?[- ]?(?:reply|response)\s*:|autoreply\s*:|out of (?:the )?office(?: auto ?reply)?\s*:|automatische antwort\s*:|réponse automatique\s*:|abwesenheitsnotiz\s*:)",
    )
});

static REPLY_SUBJECT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:re|aw|sv|antw)\s*(?:\[\d+\])?\s*:"));

static REVIEW_PHRASES: LazyLock<(RegexSet, Vec<&'static str>)> = LazyLock::new(|| {
    let rules: Vec<(&str, &str)> = vec![
        (
            r"(?i)\b(?:request|requesting|ask for|asking for|conduct|carry out|like|want|seek|seeking|apply for) (?:an? )?internal review\b",
            "asks for an internal review",
        ),
        (
            r"(?i)\binternal review of (?:the |your |my |this |its )?(?:council'?s |authority'?s )?(?:handling|decision|response|refusal|reply|request|foi|freedom of information|eir|answer)",
            "internal review of an earlier request",
        ),
        (
            r"(?i)conducts? freedom of information reviews",
            "WhatDoTheyKnow internal review request",
        ),
        (
            r"(?i)\b(?:request|ask for|like|want) (?:a|you to) review (?:of )?(?:your|the|this|its) (?:decision|response|handling|refusal)",
            "asks for a review of the decision",
        ),
        (
            r"(?i)\bappeal (?:against )?(?:your|the|this) (?:decision|refusal|response)",
            "appeals against the decision",
        ),
        (
            // ICO: any expression of dissatisfaction with a response is a
            // request for internal review.
            r"(?i)\b(?:not happy|unhappy|dissatisfied|not satisfied) with (?:the|your) (?:answer|response|reply|decision|refusal) (?:i (?:got|received|had) |you (?:gave|sent) )?(?:to|on|about|for) my\b|\b(?:someone else |somebody else )?(?:to )?look at (?:it|this|my request) again\b",
            "dissatisfied with the answer to a request",
        ),
    ];
    let set = super::lowercase_rule_set(&rules.iter().map(|(p, _)| *p).collect::<Vec<_>>());
    (set, rules.into_iter().map(|(_, r)| r).collect())
});

static DIGEST_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\bdigest,? (?:vol(?:ume)?\.? ?\d+|issue \d+|#\d+)|\b(?:daily|weekly) digest\b")
});

static REVIEW_SUBJECT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:re:\s*)?(?:request for )?internal review\b"));

static SAR_PHRASES: LazyLock<(RegexSet, Vec<&'static str>)> = LazyLock::new(|| {
    let rules: Vec<(&str, &str)> = vec![
        (
            r"(?i)\b(?:this is|i am making|i'm making|i (?:wish|would like|want|need) to make|i (?:hereby )?make|i (?:hereby )?submit|i am submitting|please (?:treat|accept|process) this(?: email| letter| message)? as|please accept this as) (?:a|my) (?:formal )?(?:data )?subject access request\b",
            "makes a subject access request",
        ),
        (
            r"(?i)\bsubject access request (?:for|regarding|relating to|about|in respect of) (?:me|myself|my)\b",
            "subject access request about the requester",
        ),
        (
            r"(?i)\bmy (?:own )?personal (?:data|information)\b",
            "asks for 'my personal data'",
        ),
        (
            r"(?i)\b(?:data|information|records|files|documents|e-?mails|notes|recordings|correspondence|footage)(?: that| which)? (?:you|the council|your (?:organisation|council|authority|department)) (?:hold|holds|have|has|process|processes|keep|keeps|retain|retains|store|stores)(?: [a-z]+){0,3} (?:about|on|relating to|regarding|concerning|in relation to) (?:me|myself)\b",
            "asks for information held about the requester",
        ),
        (
            r"(?i)\bright of access\b.{0,80}\b(?:article 15|gdpr|data protection)",
            "cites the right of access",
        ),
        (
            r"(?i)\barticle 15 of the (?:uk )?gdpr\b",
            "cites UK GDPR article 15",
        ),
        (
            r"(?i)\b(?:everything|anything|all (?:the )?(?:records|information|data|files?|notes|e-?mails)) (?:that )?(?:you|the council|your \w+) (?:hold|holds|have|has|keep|keeps)\b[^.?!]{0,40}\babout (?:me|myself)\b",
            "asks for everything held about the requester",
        ),
        (
            r"(?i)\b(?:i want|i would like|i wish|i'd like|i need) to see my (?:own )?(?:file|files|records|case notes|care records|social care records|housing file|records)\b",
            "asks to see the requester's own file",
        ),
        (
            r"(?i)\bi (?:have|hold) parental responsibility\b|\bon (?:his|her|their) behalf\b,? (?:for )?(?:cop(?:y|ies) of )?(?:all )?(?:the )?(?:records|data|information|files?) (?:held|kept) about\b",
            "asks for a child's or another person's records on their behalf",
        ),
    ];
    let set = super::lowercase_rule_set(&rules.iter().map(|(p, _)| *p).collect::<Vec<_>>());
    (set, rules.into_iter().map(|(_, r)| r).collect())
});

static EIR_NAMED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i:\benvironmental information regulations?\b|\benvironmental information\b)|\bEIRs?\b")
});

/// Environmental subjects (EIR reg. 2(1)): topic name and pattern.
const EIR_TOPICS: &[(&str, &str)] = &[
    (
        "air quality",
        r"(?i)\bair (?:quality|pollution|pollutants?)\b",
    ),
    (
        "air pollutants",
        r"(?i)\b(?:no2|nitrogen dioxide|particulates?|pm ?2\.5|pm ?10|diffusion tubes?)\b",
    ),
    (
        "emissions",
        r"(?i)\b(?:emissions?|carbon (?:footprint|dioxide|neutral|reduction)|co2|greenhouse gas(?:es)?|net zero)\b",
    ),
    (
        "pollution",
        r"(?i)\b(?:pollution|contaminat(?:ed|ion)|odours?)\b",
    ),
    (
        "land",
        r"(?i)\b(?:contaminated land|land (?:use|contamination|drainage|sales?|disposals?)|brownfield|green ?belt|greenfield|allotments?|common land|sale of (?:council )?land)\b",
    ),
    (
        "planning",
        r"(?i)\b(?:planning (?:applications?|permissions?|enforcement|conditions?|committee|consents?|breach(?:es)?|appeals?|policy|officers?)|local plan|section 106|s106|permitted development|conservation areas?|listed buildings?)\b",
    ),
    (
        "waste",
        r"(?i)\b(?:waste|recycling|fly[- ]?tipping|landfill|litter(?:ing)?|refuse collections?|bin collections?|incinerat(?:or|ion))\b",
    ),
    ("noise", r"(?i)\bnoise\b"),
    (
        "flooding",
        r"(?i)\b(?:flood(?:s|ing|ed)?|drainage|surface water|gull(?:y|ies) (?:cleaning|clearance)|sewage|sewers?)\b",
    ),
    (
        "water",
        r"(?i)\b(?:water quality|rivers?|watercourses?|bathing water)\b",
    ),
    (
        "trees",
        r"(?i)\b(?:trees?|tree preservation orders?|tpos?|hedgerows?|woodlands?|felling)\b",
    ),
    (
        "nature",
        r"(?i)\b(?:biodiversity|wildlife|habitats?|ecolog(?:y|ical)|green spaces?|invasive (?:species|plants?|weeds?)|japanese knotweed|himalayan balsam|giant hogweed)\b",
    ),
    (
        "pesticides",
        r"(?i)\b(?:pesticides?|herbicides?|glyphosate|weedkillers?)\b",
    ),
    (
        "energy and climate",
        r"(?i)\b(?:energy (?:efficiency|consumption|use)|renewable energy|solar panels?|heat pumps?|wind turbines?|climate (?:change|emergency|action))\b",
    ),
];

static EIR_TOPIC_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    super::lowercase_rule_set(&EIR_TOPICS.iter().map(|(_, p)| *p).collect::<Vec<_>>())
});

static COMPLAINT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:complain|complaint|unhappy|dissatisfied|not satisfied|overdue|still (?:not|haven't|have not)|no response|chasing|deadline has passed|twenty working days|20 working days)\b",
    )
});
static THANKS: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:dear [^\n]*\n\s*)?(?:thank you|thanks|many thanks)\b"));

static FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "live.com",
    "live.co.uk",
    "msn.com",
    "yahoo.com",
    "yahoo.co.uk",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "aol.co.uk",
    "btinternet.com",
    "btopenworld.com",
    "sky.com",
    "virginmedia.com",
    "ntlworld.com",
    "talktalk.net",
    "tiscali.co.uk",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "gmx.com",
    "gmx.co.uk",
    "mail.com",
    "yandex.com",
    "zoho.com",
    "fastmail.com",
    "whatdotheyknow.com",
];

// ---------------------------------------------------------------------------
// Case references, WhatDoTheyKnow, identity
// ---------------------------------------------------------------------------

/// The case reference a message carries: in its subject, else in the
/// message ids it replies to, else in Outlook's Thread-Topic.
pub fn find_case_ref(msg: &IncomingMessage, policy: &IntakePolicy) -> Option<String> {
    let refs = &policy.references;
    refs.find(&msg.subject)
        .or_else(|| {
            msg.in_reply_to
                .iter()
                .chain(msg.references.iter())
                .find_map(|id| refs.find(id))
        })
        .or_else(|| {
            msg.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("Thread-Topic"))
                .find_map(|(_, v)| refs.find(v))
        })
}

/// A WhatDoTheyKnow per-request address: `foi+request-NNNNNN-xxxxxxxx@whatdotheyknow.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WdtkAddress {
    pub address: String,
    pub request_id: u64,
}

/// Parse `addr` as a WhatDoTheyKnow per-request address.
pub fn wdtk_address(addr: &str) -> Option<WdtkAddress> {
    let trimmed = addr.trim().trim_start_matches('<').trim_end_matches('>');
    let c = WDTK_ADDRESS.captures(trimmed)?;
    let whole = c.get(0)?;
    if whole.start() != 0 || whole.end() != trimmed.len() {
        return None;
    }
    Some(WdtkAddress {
        address: whole.as_str().to_ascii_lowercase(),
        request_id: c.get(1)?.as_str().parse().ok()?,
    })
}

/// The first WhatDoTheyKnow per-request address mentioned in `text`
/// (WhatDoTheyKnow's footer names it).
pub fn find_wdtk_address(text: &str) -> Option<WdtkAddress> {
    let c = WDTK_ADDRESS.captures(text)?;
    Some(WdtkAddress {
        address: c.get(0)?.as_str().to_ascii_lowercase(),
        request_id: c.get(1)?.as_str().parse().ok()?,
    })
}

/// A display name normalised for use as an identity key: lowercased,
/// punctuation and titles dropped, "(via WhatDoTheyKnow)" dropped.
pub fn normalise_name(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    let lower = lower
        .split(" via ")
        .next()
        .unwrap_or("")
        .split("(via")
        .next()
        .unwrap_or("");
    let cleaned: String = lower
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' || c == '-' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = cleaned
        .split_whitespace()
        .skip_while(|w| matches!(*w, "mr" | "mrs" | "ms" | "miss" | "mx" | "dr" | "prof"))
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" "))
    }
}

/// The organisation an address belongs to, for linking staff of one body
/// who write from several addresses: its domain, unless it is a free-mail
/// provider or WhatDoTheyKnow. Advisory: merging by domain needs an
/// officer's confirmation, so this is not part of [`Requester::identity`].
pub fn organisation_of(email: &str) -> Option<String> {
    let (_, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('>').to_ascii_lowercase();
    if domain.is_empty() || !domain.contains('.') || FREE_MAIL.contains(&domain.as_str()) {
        return None;
    }
    Some(domain)
}

/// The requester of a message.
pub fn requester_of(msg: &IncomingMessage) -> Requester {
    let email = msg
        .from_email
        .clone()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let name = msg
        .from_name
        .as_deref()
        .map(|n| n.trim().trim_matches(['"', '\'']).trim().to_string())
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(&email));
    let wdtk = wdtk_address(&email)
        .or_else(|| msg.reply_to.as_deref().and_then(wdtk_address))
        .or_else(|| find_wdtk_address(&msg.full_text));
    let reply_to = msg
        .reply_to
        .clone()
        .filter(|r| r.contains('@'))
        .or_else(|| wdtk.as_ref().map(|w| w.address.clone()))
        .or_else(|| (!email.is_empty()).then(|| email.clone()));
    let from_wdtk =
        wdtk_address(&email).is_some() || msg.reply_to.as_deref().and_then(wdtk_address).is_some();
    let identity = if from_wdtk {
        match name.as_deref().and_then(normalise_name) {
            Some(n) => format!("name:{n}"),
            None => match &wdtk {
                Some(w) => format!("wdtk:{}", w.request_id),
                None => email.clone(),
            },
        }
    } else {
        email.clone()
    };
    Requester {
        name,
        email,
        reply_to,
        identity,
    }
}

fn local_part(email: &str) -> &str {
    email.split('@').next().unwrap_or("")
}

fn header_value_token(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

// ---------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------

fn bounce_reasons(msg: &IncomingMessage) -> Vec<String> {
    let mut reasons = Vec::new();
    if msg.has_delivery_status {
        reasons.push("delivery-status report (multipart/report)".to_string());
    }
    let from = msg.from_email.as_deref().unwrap_or("");
    let local = local_part(from).to_ascii_lowercase();
    if matches!(
        local.as_str(),
        "mailer-daemon" | "postmaster" | "mail-daemon" | "mailerdaemon"
    ) {
        reasons.push(format!("from {local}"));
    }
    if let Some(name) = &msg.from_name {
        let n = name.to_ascii_lowercase();
        if n.contains("mail delivery system") || n.contains("mail delivery subsystem") {
            reasons.push(format!("from \"{name}\""));
        }
    }
    if BOUNCE_SUBJECT.is_match(&msg.subject) {
        reasons.push(format!(
            "delivery-failure subject \"{}\"",
            msg.subject.trim()
        ));
    }
    reasons
}

fn auto_reply_reasons(msg: &IncomingMessage) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(v) = msg.header("Auto-Submitted") {
        if header_value_token(v) != "no" {
            reasons.push(format!("header Auto-Submitted: {}", v.trim()));
        }
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder"] {
        if let Some(v) = msg.header(name) {
            reasons.push(format!("header {name}: {}", v.trim()));
        }
    }
    for name in ["Precedence", "X-Precedence"] {
        if let Some(v) = msg.header(name) {
            if header_value_token(v) == "auto_reply" {
                reasons.push(format!("header {name}: {}", v.trim()));
            }
        }
    }
    if AUTO_SUBJECT.is_match(&msg.subject) {
        reasons.push(format!(
            "automatic-reply subject \"{}\"",
            msg.subject.trim()
        ));
    }
    if msg.content_type == "multipart/report" && !msg.has_delivery_status {
        reasons.push(match report_type(msg).as_deref() {
            Some("feedback-report") => {
                "abuse or complaint feedback report (multipart/report; report-type=feedback-report)"
                    .to_string()
            }
            Some("disposition-notification") | None => {
                "multipart/report without delivery status (read receipt)".to_string()
            }
            Some(other) => format!("machine report (multipart/report; report-type={other})"),
        });
    }
    if msg.return_path.as_deref() == Some("") {
        reasons.push("empty Return-Path <>".to_string());
    }
    reasons
}

fn bulk_reasons(msg: &IncomingMessage) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(v) = msg.header("Precedence") {
        let t = header_value_token(v);
        if matches!(t.as_str(), "bulk" | "list" | "junk") {
            reasons.push(format!("header Precedence: {t}"));
        }
    }
    // RFC 2369 list fields: only list software writes them.
    for name in [
        "List-Id",
        "List-Unsubscribe",
        "List-Post",
        "List-Archive",
        "List-Subscribe",
        "List-Help",
        "X-Mailing-List",
    ] {
        if msg.has_header(name) {
            reasons.push(format!("header {name}"));
        }
    }
    if msg.content_type == "multipart/digest" {
        reasons.push("a multipart/digest (list digest)".to_string());
    }
    if DIGEST_SUBJECT.is_match(&msg.subject) {
        reasons.push(format!("list-digest subject \"{}\"", msg.subject.trim()));
    }
    reasons
}

/// `report-type` of a top-level `multipart/report`.
fn report_type(msg: &IncomingMessage) -> Option<String> {
    let ct = msg.header("Content-Type")?.to_ascii_lowercase();
    let at = ct.find("report-type")?;
    let rest = ct.get(at + "report-type".len()..)?.trim_start();
    let value = rest.strip_prefix('=')?.trim_start().trim_start_matches('"');
    Some(
        value
            .split(|c: char| c == ';' || c == '"' || c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_string(),
    )
}

/// A message's subject and new text lowercased once, for the rule sets
/// (`core::lowercase_rule_set`).
struct Lowered {
    subject: String,
    text: String,
}

impl Lowered {
    fn of(msg: &IncomingMessage) -> Lowered {
        Lowered {
            subject: msg.subject.to_ascii_lowercase(),
            text: msg.new_text.to_ascii_lowercase(),
        }
    }
}

/// Phrase-table matches over `lower_text` (lowercased), as reasons.
fn phrase_reasons(table: &(RegexSet, Vec<&'static str>), lower_text: &str) -> Vec<String> {
    let (set, labels) = table;
    set.matches(lower_text)
        .iter()
        .filter_map(|i| labels.get(i).map(|s| s.to_string()))
        .collect()
}

/// What a request is about when it is about the council as an
/// organisation (its staff, pay, systems, expenses): an environmental word
/// there names a team or a contract, not environmental information.
const ADMIN_FOCUS: &[(&str, &str)] = &[
    (
        "staff",
        r"(?i)\b(?:staff(?:ing)?|employees?|employed|workforce|headcount|fte|full-time equivalent|vacanc(?:y|ies)|agency (?:staff|workers?)|recruitment|job titles?|crews?|members of the [a-z ]{0,30}team)\b",
    ),
    (
        "pay",
        r"(?i)\b(?:salar(?:y|ies)|pay (?:band|grade|scale)s?|pays? an officer|standby|overtime|allowances?|remuneration|bonus(?:es)?)\b",
    ),
    (
        "personnel matters",
        r"(?i)\b(?:sickness|absences?|disciplinary|grievances?|dismissals?|employment tribunals?)\b",
    ),
    (
        "IT systems",
        r"(?i)\b(?:software|it systems?|(?:booking|payment|case management|online|ict) (?:and payment )?systems?|licen[cs]e (?:and support )?costs?)\b",
    ),
    (
        "expenses",
        r"(?i)\b(?:expenses|subsistence|hotels?|travel claims?)\b",
    ),
];

static ADMIN_FOCUS_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    super::lowercase_rule_set(&ADMIN_FOCUS.iter().map(|(_, p)| *p).collect::<Vec<_>>())
});

/// Organisational subjects a request is about, by name.
/// (`lower`: the subject and the text, lowercased for the rule sets.)
fn admin_focus(lower: &Lowered) -> Vec<&'static str> {
    let mut found: Vec<usize> = ADMIN_FOCUS_SET.matches(&lower.subject).iter().collect();
    found.extend(ADMIN_FOCUS_SET.matches(&lower.text).iter());
    found.sort_unstable();
    found.dedup();
    found
        .into_iter()
        .filter_map(|i| ADMIN_FOCUS.get(i).map(|(n, _)| *n))
        .collect()
}

/// Why a request is environmental (empty: it is not), and whether its
/// environmental words were outweighed by `admin`, what it asks about the
/// council's own organisation.
fn eir_reasons(subject: &str, text: &str, lower: &Lowered, admin: &[&str]) -> (Vec<String>, bool) {
    let mut reasons = Vec::new();
    if let Some(m) = EIR_NAMED.find(subject).or_else(|| EIR_NAMED.find(text)) {
        reasons.push(format!("names the regulations: \"{}\"", m.as_str()));
        return (reasons, false);
    }
    let in_subject: Vec<usize> = EIR_TOPIC_SET.matches(&lower.subject).iter().collect();
    let mut all: Vec<usize> = in_subject.clone();
    for i in EIR_TOPIC_SET.matches(&lower.text).iter() {
        if !all.contains(&i) {
            all.push(i);
        }
    }
    all.sort_unstable();
    let names: Vec<&str> = all
        .iter()
        .filter_map(|i| EIR_TOPICS.get(*i).map(|(n, _)| *n))
        .collect();
    // The weight of the evidence: environmental subjects (more in the
    // subject line) against the council's own organisation.
    let environmental = 2 * in_subject.len() + all.len();
    if environmental > 0 && !admin.is_empty() && 3 * admin.len() >= environmental {
        return (reasons, true);
    }
    if !in_subject.is_empty() || all.len() >= 2 {
        let where_ = if in_subject.is_empty() {
            "text"
        } else {
            "subject"
        };
        reasons.push(format!(
            "environmental subject in {where_}: {}",
            names.join(", ")
        ));
    }
    (reasons, false)
}

/// Decide what a message is. Rules in order, first match wins:
/// bounce, auto-reply (including mail from our own address), bulk,
/// officer command, internal review, correspondence on a case, SAR, EIR,
/// and FOI for anything else.
pub fn classify(msg: &IncomingMessage, policy: &IntakePolicy) -> Classification {
    let case_ref = find_case_ref(msg, policy);
    let decide = |kind: Kind, reasons: Vec<String>| Classification {
        kind,
        reasons,
        case_ref: case_ref.clone(),
    };
    let from = msg.from_email.as_deref().unwrap_or("");

    let bounce = bounce_reasons(msg);
    if !bounce.is_empty() {
        return decide(Kind::Bounce, bounce);
    }
    let auto = auto_reply_reasons(msg);
    if !auto.is_empty() {
        return decide(Kind::AutoReply, auto);
    }
    let verdict = spam::verdict(&msg.headers, &msg.subject, &policy.spam);
    let mut bulk = bulk_reasons(msg);
    if let Verdict::Bulk(filter) = &verdict {
        bulk.extend(filter.iter().cloned());
    }
    if !bulk.is_empty() {
        return decide(Kind::Bulk, bulk);
    }
    if policy.is_own_address(from) {
        return decide(
            Kind::AutoReply,
            vec![format!("from the council's own address {from} (mail loop)")],
        );
    }

    // Commands: only new text, only at its top. From an officer any `#word`
    // there is one (and is answered); from anyone else only a known command
    // word counts, so that the gate can refuse it, while `#1 How many…`
    // stays a request.
    let lines = commands::command_lines(&msg.new_text);
    let officer = policy.is_officer(from);
    if !lines.is_empty() && (officer || commands::opens_with_command(&msg.new_text)) {
        let mut reasons = vec![if officer {
            format!("from officer {from}")
        } else {
            format!("command from {from}, who is not a configured officer")
        }];
        for c in commands::parse(&msg.new_text) {
            reasons.push(match c.command {
                commands::Command::Unknown { word } => format!("unknown command #{word}"),
                other => format!("command #{}", other.word()),
            });
        }
        return decide(Kind::Command, reasons);
    }
    let mut notes = Vec::new();
    if !lines.is_empty() {
        notes.push(format!(
            "#commands ignored: {from} is not a configured officer"
        ));
    }

    // After commands: an officer's command is judged by the trust gate,
    // not by the filter. Before everything a requester writes: spam is
    // never acknowledged, whatever it claims to be.
    if let Verdict::Spam(mut reasons) = verdict {
        reasons.extend(notes);
        return decide(Kind::Spam, reasons);
    }

    let text = &msg.new_text;
    let mut review = Vec::new();
    if REVIEW_SUBJECT.is_match(&msg.subject) {
        review.push(format!(
            "internal-review subject \"{}\"",
            msg.subject.trim()
        ));
    }
    let lower = Lowered::of(msg);
    review.extend(phrase_reasons(&REVIEW_PHRASES, &lower.text));
    if !review.is_empty() {
        review.extend(notes);
        return decide(Kind::Review, review);
    }

    let mut corr = Vec::new();
    if let Some(r) = &case_ref {
        corr.push(format!("case reference {r}"));
    }
    let our_domain = format!("@{}", policy.council_domain);
    if let Some(id) = msg
        .in_reply_to
        .iter()
        .chain(msg.references.iter())
        .find(|id| {
            !policy.council_domain.is_empty()
                && id
                    .trim_end_matches('>')
                    .to_ascii_lowercase()
                    .ends_with(&our_domain)
        })
    {
        corr.push(format!("replies to our message {id}"));
    }
    if corr.is_empty()
        && REPLY_SUBJECT.is_match(&msg.subject)
        && msg.full_text.len() > msg.new_text.len()
        && !policy.council_domain.is_empty()
        && msg.full_text.to_ascii_lowercase().contains(&our_domain)
    {
        corr.push("reply quoting the council's mail".to_string());
    }
    if !corr.is_empty() {
        if COMPLAINT.is_match(text) {
            corr.push("complaint or chaser wording".to_string());
        } else if THANKS.is_match(text) {
            corr.push("thanks".to_string());
        }
        corr.extend(notes);
        return decide(Kind::Correspondence, corr);
    }

    let (kind, mut reasons) = kind_of_request(msg, &lower);
    if kind != Kind::Sar && !msg.forwarded_request {
        let likeness = request_likeness::judge(&Evidence {
            subject: &msg.subject,
            text,
            from_email: from,
            headers: &msg.headers,
            attachment_names: &msg.attachment_names,
        });
        if !likeness.request_like {
            let mut held = vec![format!(
                "not recognisably a request (score {} of {} needed); held for an officer",
                likeness.score,
                request_likeness::THRESHOLD
            )];
            held.extend(likeness.reasons());
            held.extend(notes);
            return decide(Kind::Unclear, held);
        }
        reasons.extend(
            likeness
                .for_request
                .iter()
                .map(|r| format!("reads as a request: {r}")),
        );
    }
    reasons.extend(notes);
    decide(kind, reasons)
}

/// The kind of request a message is, read as one whatever else it is
/// (also for an officer's `#open` of a held message): SAR, EIR or FOI.
pub fn request_kind(msg: &IncomingMessage) -> (Kind, Vec<String>) {
    kind_of_request(msg, &Lowered::of(msg))
}

fn kind_of_request(msg: &IncomingMessage, lower: &Lowered) -> (Kind, Vec<String>) {
    let sar = phrase_reasons(&SAR_PHRASES, &lower.text);
    if !sar.is_empty() {
        return (Kind::Sar, sar);
    }
    let admin = admin_focus(lower);
    let (eir, outweighed) = eir_reasons(&msg.subject, &msg.new_text, lower, &admin);
    if !eir.is_empty() {
        return (Kind::Eir, eir);
    }
    let mut foi = vec!["new request: no automatic, reply or command markers".to_string()];
    if outweighed {
        foi.push(format!(
            "environmental words, but the request is about the council's {}",
            admin.join(", ")
        ));
    }
    if msg.forwarded_request {
        foi.push("forwarded message to be treated as a request".to_string());
    }
    (Kind::Foi, foi)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn policy() -> IntakePolicy {
        IntakePolicy::new(
            "foi@council.test",
            "council.test",
            &["officer1@council.test", "officer2@council.test"],
        )
    }

    fn msg(from: &str, subject: &str, text: &str) -> IncomingMessage {
        IncomingMessage {
            from_name: Some("Jo Bloggs".into()),
            from_email: Some(from.into()),
            subject: subject.into(),
            new_text: text.into(),
            full_text: text.into(),
            content_type: "text/plain".into(),
            ..Default::default()
        }
    }

    fn kind(m: &IncomingMessage) -> Kind {
        classify(m, &policy()).kind
    }

    #[test]
    fn kind_serialises_snake_case() {
        assert_eq!(
            serde_json::to_string(&Kind::AutoReply).unwrap(),
            "\"auto_reply\""
        );
        assert_eq!(Kind::Correspondence.as_str(), "correspondence");
    }

    #[test]
    fn plain_request_is_foi() {
        let m = msg(
            "jo@example.com",
            "FOI request",
            "How many potholes were filled?",
        );
        let c = classify(&m, &policy());
        assert_eq!(c.kind, Kind::Foi);
        assert!(!c.reasons.is_empty());
        assert_eq!(c.case_ref, None);
    }

    #[test]
    fn bounce_rules() {
        let mut m = msg(
            "MAILER-DAEMON@mx.example.com",
            "Undelivered Mail Returned to Sender",
            "",
        );
        assert_eq!(kind(&m), Kind::Bounce);
        m = msg("someone@example.com", "x", "");
        m.has_delivery_status = true;
        assert_eq!(kind(&m), Kind::Bounce);
        m = msg("postmaster@example.com", "x", "");
        assert_eq!(kind(&m), Kind::Bounce);
        m = msg("x@example.com", "Undeliverable: FOI", "");
        assert_eq!(kind(&m), Kind::Bounce);
    }

    #[test]
    fn auto_reply_rules() {
        let mut m = msg("jo@example.com", "Re: FOI", "I am away");
        m.headers = vec![("Auto-Submitted".into(), "auto-replied".into())];
        assert_eq!(kind(&m), Kind::AutoReply);
        m.headers = vec![("Auto-Submitted".into(), "no".into())];
        assert_eq!(kind(&m), Kind::Foi);
        m.headers = vec![("X-Autoreply".into(), "yes".into())];
        assert_eq!(kind(&m), Kind::AutoReply);
        m.headers = vec![("X-Autorespond".into(), "yes".into())];
        assert_eq!(kind(&m), Kind::AutoReply);
        m.headers.clear();
        m.subject = "Automatic reply: FOI request".into();
        assert_eq!(kind(&m), Kind::AutoReply);
        m.subject = "Hello".into();
        m.return_path = Some(String::new());
        assert_eq!(kind(&m), Kind::AutoReply);
        // An ordinary sender now, but "I am away" asks for nothing: held.
        m.return_path = Some("jo@example.com".into());
        assert_eq!(kind(&m), Kind::Unclear);
        let own = msg("FOI@council.test", "Your request", "Thank you");
        assert_eq!(kind(&own), Kind::AutoReply);
        let mut mdn = msg("jo@example.com", "Read: FOI", "was read");
        mdn.content_type = "multipart/report".into();
        assert_eq!(kind(&mdn), Kind::AutoReply);
        let mut prec = msg("jo@example.com", "Re: FOI", "x");
        prec.headers = vec![("Precedence".into(), "auto_reply".into())];
        assert_eq!(kind(&prec), Kind::AutoReply);
    }

    #[test]
    fn bulk_rules() {
        let mut m = msg("news@example.com", "Newsletter", "Read all about it");
        for (h, v) in [
            ("Precedence", "bulk"),
            ("Precedence", "list"),
            ("Precedence", "junk"),
            ("List-Id", "<news.example.com>"),
            ("List-Unsubscribe", "<mailto:u@example.com>"),
        ] {
            m.headers = vec![(h.into(), v.into())];
            assert_eq!(kind(&m), Kind::Bulk, "{h}: {v}");
        }
    }

    #[test]
    fn command_needs_officer_and_top_of_new_text() {
        let m = msg(
            "Officer1@council.test",
            "Re: [FOI-2026-00042] x",
            "#draft\nDear Jo, here it is.",
        );
        let c = classify(&m, &policy());
        assert_eq!(c.kind, Kind::Command);
        assert!(c.reasons.iter().any(|r| r == "command #draft"));
        assert_eq!(c.case_ref.as_deref(), Some("FOI-2026-00042"));
        // From an outsider a known command is still a command, so the
        // trust gate refuses it on the record rather than filing it.
        let outsider = msg("jo@example.com", "Re: [FOI-2026-00042] x", "#approve ABCD");
        assert_eq!(kind(&outsider), Kind::Command);
        let hashtag = msg(
            "jo@example.com",
            "Re: [FOI-2026-00042] x",
            "#potholes are bad",
        );
        assert_eq!(kind(&hashtag), Kind::Correspondence);
        let not_top = msg(
            "officer1@council.test",
            "Re: [FOI-2026-00042] x",
            "Thanks\n#close",
        );
        assert_eq!(kind(&not_top), Kind::Correspondence);
        let unknown = msg("officer2@council.test", "Re: [FOI-2026-00042] x", "#aprove");
        let c = classify(&unknown, &policy());
        assert_eq!(c.kind, Kind::Command);
        assert!(c.reasons.iter().any(|r| r == "unknown command #aprove"));
    }

    #[test]
    fn review_rules() {
        let m = msg(
            "jo@example.com",
            "Re: [FOI-2026-00031] Parking",
            "I would like to request an internal review of your decision.",
        );
        assert_eq!(kind(&m), Kind::Review);
        let wdtk = msg(
            "x@example.com",
            "Internal review of Freedom of Information request - Trees",
            "Please pass this on to the person who conducts Freedom of Information reviews.",
        );
        assert_eq!(kind(&wdtk), Kind::Review);
        let stats = msg(
            "x@example.com",
            "FOI",
            "How many internal reviews did you complete in 2024?",
        );
        assert_eq!(kind(&stats), Kind::Foi);
    }

    #[test]
    fn correspondence_rules() {
        let m = msg(
            "jo@example.com",
            "Re: [EIR-2026-00007] Trees",
            "Thank you for the response.",
        );
        let c = classify(&m, &policy());
        assert_eq!(c.kind, Kind::Correspondence);
        assert_eq!(c.case_ref.as_deref(), Some("EIR-2026-00007"));
        let mut m = msg("jo@example.com", "Re: Your request", "Yes, 2024 please.");
        m.in_reply_to = vec!["<ack.123@council.test>".into()];
        assert_eq!(kind(&m), Kind::Correspondence);
        let mut m = msg("jo@example.com", "Re: Your request", "Yes, 2024 please.");
        m.full_text =
            "Yes, 2024 please.\n\nOn Monday FOI <foi@council.test> wrote:\n> Which year?".into();
        assert_eq!(kind(&m), Kind::Correspondence);
    }

    #[test]
    fn sar_rules() {
        let m = msg(
            "jo@example.com",
            "Subject access request",
            "This is a subject access request under the Data Protection Act 2018.",
        );
        assert_eq!(kind(&m), Kind::Sar);
        let m = msg(
            "jo@example.com",
            "Request",
            "Please send me copies of all information the council holds about me.",
        );
        assert_eq!(kind(&m), Kind::Sar);
        let stats = msg(
            "jo@example.com",
            "FOI",
            "How many subject access requests did the council receive in 2024?",
        );
        assert_eq!(kind(&stats), Kind::Foi);
    }

    #[test]
    fn eir_rules() {
        let m = msg(
            "jo@example.com",
            "Request",
            "Under the Environmental Information Regulations 2004 please send the report.",
        );
        assert_eq!(kind(&m), Kind::Eir);
        let m = msg(
            "jo@example.com",
            "Air quality monitoring",
            "Please send the readings.",
        );
        assert_eq!(kind(&m), Kind::Eir);
        let m = msg(
            "jo@example.com",
            "Request",
            "How many fly-tipping reports and how many noise complaints?",
        );
        assert_eq!(kind(&m), Kind::Eir);
        let one = msg(
            "jo@example.com",
            "Document management",
            "Records such as planning applications and parking permits: are they digital?",
        );
        assert_eq!(kind(&one), Kind::Foi);
    }

    #[test]
    fn case_refs() {
        let mut m = msg("jo@example.com", "Re: hello", "x");
        m.references = vec!["<foid.SAR-2026-00009.1@council.test>".into()];
        assert_eq!(
            find_case_ref(&m, &policy()).as_deref(),
            Some("SAR-2026-00009")
        );
    }

    #[test]
    fn wdtk_identity_is_the_name() {
        let mut m = msg("foi+request-123456-abcd1234@whatdotheyknow.com", "FOI", "x");
        m.from_name = Some("Mr. Jo  BLOGGS".into());
        let r = requester_of(&m);
        assert_eq!(r.identity, "name:jo bloggs");
        assert_eq!(
            r.reply_to.as_deref(),
            Some("foi+request-123456-abcd1234@whatdotheyknow.com")
        );
        let w = wdtk_address("foi+request-123456-abcd1234@whatdotheyknow.com").unwrap();
        assert_eq!(w.request_id, 123456);
        assert!(wdtk_address("foi@whatdotheyknow.com").is_none());
    }

    #[test]
    fn plain_identity_is_the_address() {
        let mut m = msg("Jo@Example.COM", "FOI", "x");
        m.reply_to = Some("jo.work@example.org".into());
        let r = requester_of(&m);
        assert_eq!(r.identity, "jo@example.com");
        assert_eq!(r.email, "jo@example.com");
        assert_eq!(r.reply_to.as_deref(), Some("jo.work@example.org"));
        assert_eq!(
            organisation_of("a@Acme.co.uk").as_deref(),
            Some("acme.co.uk")
        );
        assert_eq!(organisation_of("a@gmail.com"), None);
    }
}
