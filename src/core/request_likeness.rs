//! Whether a message that is not on any case reads like a request for
//! information at all. Anyone may make a request in any words, so this is
//! no gate on what counts as a request: it decides only whether foid opens
//! a case and acknowledges on its own, or holds the message for an officer
//! (one `#open` away from a case, its date of receipt unchanged). An FOI
//! mailbox gets cold sales pitches, phishing, notifications from services
//! and mail nobody can place; an officer would acknowledge none of them.
//!
//! The judgement weighs the evidence both ways and keeps every reason:
//! request wording (naming the Act, asking for information, questions)
//! against robot and marketing wording (unsubscribe footers, "verify your
//! account", "this is an automated message", a no-reply sender, a bulk
//! sending platform's headers).

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// What the judgement needs from a message.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    pub subject: &'a str,
    /// The sender's new text.
    pub text: &'a str,
    pub from_email: &'a str,
    pub headers: &'a [(String, String)],
    pub attachment_names: &'a [String],
}

/// The judgement, with its reasons both ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Likeness {
    pub request_like: bool,
    pub score: i32,
    /// Evidence for a request.
    pub for_request: Vec<String>,
    /// Evidence against.
    pub against: Vec<String>,
}

impl Likeness {
    /// Every reason, the ones against first when it is held.
    pub fn reasons(&self) -> Vec<String> {
        let (first, second) = if self.request_like {
            (&self.for_request, &self.against)
        } else {
            (&self.against, &self.for_request)
        };
        let mut out: Vec<String> = first.clone();
        out.extend(second.iter().map(|r| format!("(weighed) {r}")));
        out
    }
}

/// The score at or above which foid opens a case on its own.
pub const THRESHOLD: i32 = 2;

type Table = (RegexSet, Vec<(&'static str, i32)>);

fn table(rules: &[(&str, &'static str, i32)]) -> Table {
    let set = super::lowercase_rule_set(&rules.iter().map(|(p, _, _)| *p).collect::<Vec<_>>());
    (set, rules.iter().map(|(_, r, w)| (*r, *w)).collect())
}

#[allow(clippy::expect_used)] // constant patterns, checked by the unit tests
fn re(pattern: &str) -> Regex {
    Regex::new(&super::ascii_word_boundaries(pattern)).expect("valid constant regex")
}

static FOR_REQUEST: LazyLock<Table> = LazyLock::new(|| {
    table(&[
        (
            r"(?i)\bfreedom of information\b|\bFOI(?:A|SA)?\b|\benvironmental information\b|\bEIRs?\b|\bsubject access\b|\binternal review\b",
            "names the Act, the Regulations or a request type",
            3,
        ),
        (
            r"(?i)\b(?:request(?:ing)?|requests) (?:for |the following |some |any )?(?:information|data|details|figures|records|documents|copies|a copy)\b|\binformation request\b|\bunder the act\b|\bsection 1\b",
            "asks for information in so many words",
            3,
        ),
        (
            r"(?i)\bplease (?:could you |can you |kindly )?(?:provide|send|supply|disclose|release|tell|confirm|advise|state|list|give|let me know|share|forward|explain|clarify|outline|detail|publish|inform)\b",
            "asks to be provided or told",
            2,
        ),
        (
            r"(?i)\b(?:i|we) (?:would|'d|wish|want|need|am writing|are writing|hereby)\b[^.?!\n]{0,30}\b(?:request|know|ask|see|obtain|receive|find out|understand|have (?:a )?cop(?:y|ies)|information|details|figures|data)\b",
            "says what the writer wants to know or receive",
            2,
        ),
        (
            r"(?i)\b(?:i|we)(?: would|'d| also)? (?:like|want|wish to (?:have|see|receive|obtain)|need|am requesting|are requesting|request)\b[^.?!\n]{0,40}\b(?:cop(?:y|ies)|list|breakdown|details|totals?|number|amount|figures?|records|information|data|documents?|reports?|minutes|register|schedules?|correspondence|e-?mails?|polic(?:y|ies)|contracts?|spend|costs?)\b",
            "says what the writer wants to receive",
            2,
        ),
        (
            r"(?im)^\s*dear [^\n]{0,60}\b(?:council|foi|freedom of information|information (?:governance|rights|requests?)|officer|team|sir|madam|authority)\b",
            "written to the council as a letter",
            1,
        ),
        (
            r"(?i)\byours (?:faithfully|sincerely)\b",
            "a formal letter's closing",
            1,
        ),
        (
            r"(?i)\b(?:could|can|would|will) you (?:please )?(?:tell|provide|confirm|let me know|send|advise|state|explain|supply|share|clarify|give)\b|\bi(?:'d| would) (?:be|appreciate)[^.?!\n]{0,20}\b(?:grateful|obliged|thankful|if you)",
            "asks to be provided or told",
            2,
        ),
        (
            r"(?i)\b(?:how (?:many|much|often|long|far|is|are|was|were|does|do|did|has|have)|what (?:is|was|are|were|has|have|does|do|did|percentage|proportion|number|amount|steps|plans|criteria|budget)|when (?:is|was|were|did|does|will)|which (?:company|companies|contractor|supplier|department|wards?|roads?|schools?|officers?|councillors?)|who (?:is|was|are|were|decided|approved)|whether (?:the|your|any|or not)|the (?:number|total|amount|cost|value|names?|list) of)\b",
            "asks about a number, a fact or a decision",
            2,
        ),
        (
            r"(?i)\b(?:see|find|read) (?:the |my )?attached\b[^.\n]{0,30}\b(?:request|letter|questions)\b|\b(?:request|letter|questions) (?:is |are )?attached\b",
            "the request is in an attachment",
            3,
        ),
        (
            r"(?i)\bthe council(?:'s)?\b|\byour (?:authority|council|organisation|department)\b|\bthe authority\b",
            "about the council",
            1,
        ),
    ])
});

static AGAINST: LazyLock<Table> = LazyLock::new(|| {
    table(&[
        (
            r"(?i)\bunsubscribe\b|\bopt[- ]out\b|\bview (?:this (?:e-?mail|message) )?(?:in|on) (?:your |a |the )?(?:browser|web)|\b(?:manage|update) (?:your )?(?:e-?mail |subscription |communication )?preferences\b|\byou (?:are )?(?:received|receiving) this (?:e-?mail|message|newsletter)\b|\bno longer wish to receive\b",
            "newsletter or marketing footer",
            4,
        ),
        (
            r"(?i)\bverify your (?:account|e-?mail|identity|mailbox|password)\b|\byour (?:mailbox|account|password|e-?mail)\b[^.\n]{0,30}\b(?:suspended|deactivated|expir(?:e|es|ed|ing)|closed|locked|disabled|quota)\b|\b(?:re-?validate|reactivate) your\b|\bshared (?:a |an )?(?:document|file|folder) with you\b|\bnew (?:voice ?mail|fax) (?:message )?(?:from|received)\b|\b(?:invoice|remittance|payment (?:advice|confirmation|notification))\b[^.\n]{0,20}\battached\b|\bwire transfer\b|\bbitcoin\b|\bcrypto(?:currency)?\b|\bwallet address\b|\bbeneficiary\b|\binheritance\b",
            "phishing or fraud wording",
            5,
        ),
        (
            r"(?i)\bthis is an? (?:automated|automatic|system[- ]generated|auto-generated) (?:message|e-?mail|notification|alert)\b|\b(?:please )?do not (?:reply|respond) (?:to )?(?:this|directly)\b|\bthis (?:mailbox|address) is not monitored\b|\bnotification settings\b|\byou have (?:a )?new (?:notification|message|alert)s?\b",
            "automated notification wording",
            4,
        ),
        (
            r"(?i)\b(?:i(?:'m| am) |we(?:'re| are) )?reaching out\b|\bour (?:services|solutions?|platform|product|software|agency|team can|company can|offer)\b|\bbook (?:a |your )?(?:demo|call|meeting|slot)\b|\bschedule a (?:call|demo|meeting)\b|\b(?:free|no[- ]obligation) (?:trial|quote|consultation|demo|audit)\b|\bspecial offer\b|\blimited (?:time|offer)\b|\bwebinar\b|\bsearch engine optimi[sz]ation\b|\bSEO\b|\bbacklinks?\b|\bguest post\b|\bfirst page of google\b|\b\d{1,2}% (?:off|discount)\b|\bexclusive (?:offer|deal|discount)\b|\bbuy now\b|\bclick here\b",
            "sales or marketing wording",
            4,
        ),
        (
            r"(?i)\babuse report\b|\breport(?:ed)? (?:as )?(?:spam|abuse|phishing)\b|\bcomplaint (?:about|regarding) (?:a )?(?:message|e-?mail) (?:sent )?from\b",
            "abuse or complaint report about mail",
            3,
        ),
    ])
});

static ROBOT_SENDER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|notifications?|alerts?|mailer|bounces?|newsletters?|marketing|promotions?|automated|system|auto[-_.]?mail(?:er)?)(?:[-_.+][a-z0-9._+-]*)?@",
    )
});

/// Headers only bulk-sending platforms write: a person writing from their
/// own mailbox never carries them.
const PLATFORM_HEADERS: &[&str] = &[
    "Feedback-ID",
    "X-SES-Outgoing",
    "X-Mailgun-Sid",
    "X-Mailgun-Tag",
    "X-SG-EID",
    "X-MC-User",
    "X-Mandrill-User",
    "X-Campaign",
    "X-CampaignID",
    "X-Mailchimp-Campaign",
    "X-CSA-Complaints",
    "X-Marketo-Id",
    "X-MarketoID",
    "X-HubSpot-Id",
    "X-Report-Abuse",
    "X-Postmark-Tag",
    "X-PM-Message-Id",
    "X-Sendinblue-Id",
    "X-Mailin-Campaign",
];

static NUMBERED_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^\s*(?:\(?(?:\d{1,2}|[a-h])[.)]|q\d{1,2}\b|question \d{1,2}\b|[-*•–] \S)")
});

static URL: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bhttps?://"));

fn matches_of(table: &Table, text: &str, out: &mut Vec<String>) -> i32 {
    let (set, rules) = table;
    let mut score = 0;
    for i in set.matches(text).iter() {
        if let Some((reason, weight)) = rules.get(i) {
            if !out.iter().any(|r| r == reason) {
                out.push((*reason).to_string());
                score += weight;
            }
        }
    }
    score
}

/// Weighs a message.
pub fn judge(e: &Evidence<'_>) -> Likeness {
    let mut for_request = Vec::new();
    let mut against = Vec::new();
    // Lowercased for the tables (see `lowercase_rule_set`).
    let both = format!("{}\n{}", e.subject, e.text).to_ascii_lowercase();
    let mut score = matches_of(&FOR_REQUEST, &both, &mut for_request);
    if e.text.contains('?') || e.subject.contains('?') {
        for_request.push("asks a question".into());
        score += 2;
    }
    let items = e.text.lines().filter(|l| NUMBERED_ITEM.is_match(l)).count();
    if items >= 2 {
        for_request.push(format!("{items} numbered or lettered items"));
        score += 1;
    }
    score -= matches_of(&AGAINST, &both, &mut against);
    if ROBOT_SENDER.is_match(e.from_email) {
        against.push(format!("sent from a robot address {}", e.from_email));
        score -= 4;
    }
    let platform: Vec<&str> = PLATFORM_HEADERS
        .iter()
        .copied()
        .filter(|name| e.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
        .collect();
    if !platform.is_empty() {
        against.push(format!(
            "sent through a bulk-mail platform (header {})",
            platform.join(", ")
        ));
        score -= 3;
    }
    let urls = URL.find_iter(e.text).count();
    if urls >= 5 {
        against.push(format!("{urls} links"));
        score -= 2;
    }
    if e.text.trim().is_empty() && e.attachment_names.is_empty() {
        against.push("no text and no attachment".into());
        score -= 2;
    }
    if for_request.is_empty() {
        against.push("no request wording: nothing is asked for".into());
    }
    Likeness {
        request_like: score >= THRESHOLD,
        score,
        for_request,
        against,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(subject: &str, text: &str, from: &str, headers: &[(&str, &str)]) -> Likeness {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        judge(&Evidence {
            subject,
            text,
            from_email: from,
            headers: &headers,
            attachment_names: &[],
        })
    }

    #[test]
    fn the_tables_compile() {
        LazyLock::force(&FOR_REQUEST);
        LazyLock::force(&AGAINST);
        LazyLock::force(&ROBOT_SENDER);
    }

    #[test]
    fn plain_requests_in_any_words_are_request_like() {
        for (subject, text) in [
            ("Potholes", "How many potholes were repaired in 2025?"),
            (
                "",
                "Hello, I want to know how much the council spent on agency staff last year.",
            ),
            ("FOI request", "Please find my request attached."),
            (
                "Library opening hours",
                "Could you tell me which libraries will close on Sundays",
            ),
            (
                "Information",
                "Please send me the minutes of the licensing committee of 3 March.",
            ),
            (
                "Request",
                "Dear Sir/Madam, I am writing to request a copy of the contract with Acme Ltd.",
            ),
        ] {
            let l = judged(subject, text, "person@example.org", &[]);
            assert!(l.request_like, "{subject:?} {text:?}: {l:?}");
        }
    }

    #[test]
    fn robots_pitches_and_phishing_are_held() {
        for (subject, text, from) in [
            (
                "Your mailbox is almost full",
                "Your mailbox quota will expire today. Verify your account now to keep receiving mail.",
                "it-support@example.net",
            ),
            (
                "Quick question",
                "Hi, I'm reaching out because our agency can get your website on the first page of Google. Could you let me know a good time for a call?",
                "sam@example.biz",
            ),
            (
                "Weekly roundup",
                "This week's best reads. To unsubscribe click here.",
                "editor@example.com",
            ),
            (
                "Your parcel",
                "This is an automated message. Please do not reply to this email.",
                "no-reply@example.com",
            ),
            ("hi", "", "someone@example.org"),
            ("Hello", "Hi there, hope you are well.", "someone@example.org"),
        ] {
            let l = judged(subject, text, from, &[]);
            assert!(!l.request_like, "{subject:?}: {l:?}");
            assert!(!l.against.is_empty());
        }
    }

    #[test]
    fn a_bulk_platform_weighs_against_but_a_clear_request_still_stands() {
        let pitch = judged(
            "New features",
            "See what is new this month.",
            "team@example.com",
            &[("Feedback-ID", "1:2:3")],
        );
        assert!(!pitch.request_like);
        assert!(pitch.against.iter().any(|r| r.contains("Feedback-ID")));
        let campaign = judged(
            "Freedom of Information request: school meals",
            "Under the Freedom of Information Act please provide the number of free school meals served in 2025.",
            "supporter@example.org",
            &[("X-Mailgun-Sid", "abc")],
        );
        assert!(campaign.request_like, "{campaign:?}");
    }

    #[test]
    fn reasons_lead_with_what_decided() {
        let l = judged("hi", "Click here to unsubscribe", "x@example.org", &[]);
        assert!(!l.request_like);
        assert_eq!(
            l.reasons().first().map(String::as_str),
            Some("newsletter or marketing footer")
        );
    }
}
