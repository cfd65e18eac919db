//! The text of what foid sends: the acknowledgement to the requester and the
//! case email to the officers (with a reply skeleton in the shape of a
//! council's response letter). Pure: data in, text out.

use jiff::civil::Date;
use minijinja::{context, Environment};
use serde::Serialize;

use super::clock::Regime;
use super::questions::Question;

const ACKNOWLEDGEMENT: &str = include_str!("../../config/templates/acknowledgement.txt");
const CASE_EMAIL: &str = include_str!("../../config/templates/case_email.txt");

/// Why an email is sent; stored on the outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Acknowledgement,
    CaseEmail,
    DeliveryFailure,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Acknowledgement => "acknowledgement",
            Purpose::CaseEmail => "case_email",
            Purpose::DeliveryFailure => "delivery_failure",
        }
    }
}

/// An email to send, before it is rendered to bytes by the mail adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub purpose: Purpose,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    /// The message this answers, for threading.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// `auto-replied` for answers to a message, `auto-generated` otherwise:
    /// tells other robots not to answer us.
    pub auto_submitted: &'static str,
}

/// Everything the letters say about a new case.
#[derive(Debug, Clone)]
pub struct CaseFacts<'a> {
    pub council_name: &'a str,
    pub council_address: &'a str,
    pub reference: &'a str,
    pub regime: Regime,
    pub kind_label: &'a str,
    pub kind_reasons: &'a [String],
    pub requester_name: Option<&'a str>,
    pub requester_email: &'a str,
    pub reply_to: &'a str,
    pub subject: &'a str,
    pub received_on: Date,
    pub due_on: Option<Date>,
    pub questions: &'a [Question],
    pub notes: &'a [String],
    pub flags: &'a [String],
    pub request_text: &'a str,
}

/// "Friday 27 November 2026".
pub fn long_date(d: Date) -> String {
    d.strftime("%A %-d %B %Y").to_string()
}

/// How the letters name the law a case runs under, and the rights the
/// reply must set out.
struct Statute {
    /// As named in a sentence.
    name: &'static str,
    /// The heading of the reply.
    heading: &'static str,
    /// What the requester sent.
    noun: &'static str,
    /// The right to complain to the regulator.
    complaint: &'static str,
    /// Where the regulator is.
    regulator_address: &'static str,
    /// Re-use under the Open Government Licence (not for personal data).
    reuse: bool,
}

const ICO_ADDRESS: &str = "Information Commissioner's Office, Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF, or at ico.org.uk";
const SIC_ADDRESS: &str = "Scottish Information Commissioner, Kinburn Castle, Doubledykes Road, St Andrews, Fife KY16 9DS, or at itspublicknowledge.info";

fn statute(regime: Regime) -> Statute {
    match regime {
        Regime::Eir | Regime::EirExtended => Statute {
            name: "Environmental Information Regulations 2004",
            heading: "Environmental Information Regulations 2004 (EIR)",
            noun: "request for environmental information",
            complaint: "If you remain dissatisfied after the internal review, you may complain to the Information Commissioner under section 50 of the Freedom of Information Act 2000 as applied by regulation 18 of the EIR",
            regulator_address: ICO_ADDRESS,
            reuse: true,
        },
        Regime::Sar | Regime::SarExtended => Statute {
            name: "UK General Data Protection Regulation (Article 15, right of access)",
            heading: "Subject access request (UK GDPR Article 15)",
            noun: "subject access request",
            complaint: "If you are dissatisfied with our response, you have the right to complain to the Information Commissioner (UK GDPR Article 77)",
            regulator_address: ICO_ADDRESS,
            reuse: false,
        },
        Regime::Foisa | Regime::FoisaReview => Statute {
            name: "Freedom of Information (Scotland) Act 2002",
            heading: if regime == Regime::Foisa {
                "Freedom of Information (Scotland) Act 2002 (FOISA)"
            } else {
                "Review under section 21 of the Freedom of Information (Scotland) Act 2002"
            },
            noun: if regime == Regime::Foisa {
                "request for information"
            } else {
                "requirement for review"
            },
            complaint: "If you remain dissatisfied after the review, you may apply to the Scottish Information Commissioner under section 47 of FOISA",
            regulator_address: SIC_ADDRESS,
            reuse: true,
        },
        Regime::Review | Regime::ReviewExtended => Statute {
            name: "Freedom of Information Act 2000",
            heading: "Internal review under the Freedom of Information Act 2000",
            noun: "request for an internal review",
            complaint: "If you remain dissatisfied after the internal review, you may complain to the Information Commissioner under section 50 of the Freedom of Information Act 2000",
            regulator_address: ICO_ADDRESS,
            reuse: true,
        },
        Regime::Foi | Regime::Pit => Statute {
            name: "Freedom of Information Act 2000",
            heading: "Freedom of Information Act 2000 (FOI Act)",
            noun: "request for information",
            complaint: "If you remain dissatisfied after the internal review, you may complain to the Information Commissioner under section 50 of the Freedom of Information Act 2000",
            regulator_address: ICO_ADDRESS,
            reuse: true,
        },
    }
}

fn deadline_phrase(regime: Regime) -> &'static str {
    match regime {
        Regime::Sar => "one calendar month after we received it",
        Regime::SarExtended => "three months after we received it",
        Regime::EirExtended | Regime::Pit | Regime::ReviewExtended => {
            "the 40th working day after the date of receipt"
        }
        _ => "the 20th working day after the date of receipt",
    }
}

/// The templates, compiled once rather than for every letter.
fn templates() -> &'static Result<Environment<'static>, String> {
    static TEMPLATES: std::sync::OnceLock<Result<Environment<'static>, String>> =
        std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(true);
        env.add_template("acknowledgement", ACKNOWLEDGEMENT)
            .map_err(|e| e.to_string())?;
        env.add_template("case_email", CASE_EMAIL)
            .map_err(|e| e.to_string())?;
        Ok(env)
    })
}

fn render(template: &str, ctx: minijinja::Value) -> String {
    // The templates are ours and tested; a failure here is a bug, but the
    // officers still get the facts rather than nothing.
    let rendered = templates().as_ref().map_err(Clone::clone).and_then(|env| {
        env.get_template(template)
            .and_then(|t| t.render(ctx.clone()))
            .map_err(|e| e.to_string())
    });
    match rendered {
        Ok(text) => text,
        Err(e) => format!("(template error: {e})\n\n{ctx:#?}"),
    }
}

fn greeting_name(name: Option<&str>) -> String {
    match name.map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => "Requester".to_string(),
    }
}

/// The acknowledgement to the requester, threaded on their message.
pub fn acknowledgement(facts: &CaseFacts<'_>, original_message_id: &str) -> OutgoingMail {
    let law = statute(facts.regime);
    let body = render(
        "acknowledgement",
        context! {
            requester_name => greeting_name(facts.requester_name),
            request_noun => law.noun,
            statute => law.name,
            reference => facts.reference,
            received_on_long => long_date(facts.received_on),
            due_on_long => facts.due_on.map(long_date),
            deadline_phrase => deadline_phrase(facts.regime),
            questions => facts.questions,
            council_name => facts.council_name,
        },
    );
    OutgoingMail {
        purpose: Purpose::Acknowledgement,
        to: vec![facts.reply_to.to_string()],
        subject: format!("[{}] {}", facts.reference, reply_subject(facts.subject)),
        body,
        in_reply_to: non_empty(original_message_id),
        references: non_empty(original_message_id).into_iter().collect(),
        auto_submitted: "auto-replied",
    }
}

/// The case email to the officers: the facts, the flags, the clock and a
/// reply skeleton.
pub fn case_email(facts: &CaseFacts<'_>, team: &[String]) -> OutgoingMail {
    let law = statute(facts.regime);
    let body = render(
        "case_email",
        context! {
            kind_label => facts.kind_label,
            reference => facts.reference,
            requester_name => greeting_name(facts.requester_name),
            requester_email => facts.requester_email,
            reply_to => facts.reply_to,
            received_on_long => long_date(facts.received_on),
            regime => facts.regime.to_string(),
            due_on_long => facts.due_on.map(long_date),
            deadline_phrase => deadline_phrase(facts.regime),
            subject => facts.subject,
            kind_reasons => facts.kind_reasons.join("; "),
            flags => facts.flags,
            notes => facts.notes,
            questions => facts.questions,
            request_text => facts.request_text,
            statute => law.name,
            statute_title => law.heading,
            complaint => law.complaint,
            regulator_address => law.regulator_address,
            reuse => law.reuse,
            council_address => facts.council_address,
        },
    );
    let due = facts
        .due_on
        .map(|d| format!(" - due {d}"))
        .unwrap_or_default();
    OutgoingMail {
        purpose: Purpose::CaseEmail,
        to: team.to_vec(),
        subject: format!(
            "[{}] New {} from {}{}",
            facts.reference,
            facts.kind_label,
            greeting_name(facts.requester_name),
            due
        ),
        body,
        in_reply_to: None,
        references: vec![],
        auto_submitted: "auto-generated",
    }
}

/// Tells the officers that mail foid sent for a case bounced.
pub fn delivery_failure(reference: &str, team: &[String], bounce_summary: &str) -> OutgoingMail {
    OutgoingMail {
        purpose: Purpose::DeliveryFailure,
        to: team.to_vec(),
        subject: format!("[{reference}] Delivery failure"),
        body: format!(
            "Mail that foid sent for case {reference} could not be delivered.\n\n\
             The delivery report says:\n\n{bounce_summary}\n\n\
             Check the requester's address; the case clock is not changed by this.\n"
        ),
        in_reply_to: None,
        references: vec![],
        auto_submitted: "auto-generated",
    }
}

/// "Re: subject" once, whatever the original had.
fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("re:") {
        s.to_string()
    } else if s.is_empty() {
        "Your request".to_string()
    } else {
        format!("Re: {s}")
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(questions: &'a [Question], reasons: &'a [String]) -> CaseFacts<'a> {
        CaseFacts {
            council_name: "Test Borough Council",
            council_address: "foi@council.test",
            reference: "FOI-2026-00007",
            regime: Regime::Foi,
            kind_label: "FOI request",
            kind_reasons: reasons,
            requester_name: Some("Alice Example"),
            requester_email: "alice@public.test",
            reply_to: "alice@public.test",
            subject: "Potholes",
            received_on: jiff::civil::date(2026, 11, 27),
            due_on: Some(jiff::civil::date(2026, 12, 30)),
            questions,
            notes: &[],
            flags: &[],
            request_text: "How many potholes?",
        }
    }

    fn questions() -> Vec<Question> {
        vec![
            Question {
                number: 1,
                text: "How many potholes were reported in 2025?".into(),
                options: vec![],
                parts: vec![],
            },
            Question {
                number: 2,
                text: "What share of your records is digitised?".into(),
                options: vec!["0%".into(), "1-25%".into()],
                parts: vec![],
            },
        ]
    }

    #[test]
    fn acknowledgement_names_reference_and_dates() {
        let q = questions();
        let reasons = vec!["default".to_string()];
        let mail = acknowledgement(&facts(&q, &reasons), "<abc@public.test>");
        assert_eq!(mail.to, vec!["alice@public.test"]);
        assert_eq!(mail.subject, "[FOI-2026-00007] Re: Potholes");
        assert_eq!(mail.in_reply_to.as_deref(), Some("<abc@public.test>"));
        assert!(mail.body.contains("Dear Alice Example,"), "{}", mail.body);
        assert!(mail.body.contains("Friday 27 November 2026"));
        assert!(mail.body.contains("Wednesday 30 December 2026"));
        assert!(mail.body.contains("Freedom of Information Act 2000"));
        assert!(mail
            .body
            .contains("1. How many potholes were reported in 2025?"));
        assert_eq!(mail.auto_submitted, "auto-replied");
    }

    #[test]
    fn case_email_has_seed_shaped_skeleton() {
        let q = questions();
        let reasons = vec!["numbered questions".to_string()];
        let mail = case_email(&facts(&q, &reasons), &["officer1@council.test".to_string()]);
        assert_eq!(
            mail.subject,
            "[FOI-2026-00007] New FOI request from Alice Example - due 2026-12-30"
        );
        let b = &mail.body;
        assert!(b.contains("You asked:"), "{b}");
        assert!(
            b.contains("2. What share of your records is digitised?\n· 0%\n· 1-25%"),
            "{b}"
        );
        assert!(b.contains("[Answer to question 2]"));
        assert!(b.contains("Open Government Licence"));
        assert!(b.contains("section 17(1)"));
        assert!(b.contains("section 50"));
        assert!(b.contains("internal review"));
    }

    #[test]
    fn each_regime_sets_out_its_own_rights() {
        let q = questions();
        let reasons = vec![];
        let mut f = facts(&q, &reasons);
        f.regime = Regime::Foisa;
        let scottish = case_email(&f, &[]).body;
        assert!(
            scottish.contains("Scottish Information Commissioner"),
            "{scottish}"
        );
        assert!(!scottish.contains("Wycliffe House"), "{scottish}");
        f.regime = Regime::Sar;
        let sar = case_email(&f, &[]).body;
        assert!(sar.contains("Article 77"), "{sar}");
        assert!(
            !sar.contains("Open Government Licence"),
            "personal data is not for re-use: {sar}"
        );
        f.regime = Regime::Eir;
        assert!(case_email(&f, &[]).body.contains("regulation 18"));
    }

    #[test]
    fn case_email_without_questions_quotes_the_request() {
        let reasons = vec![];
        let mail = case_email(&facts(&[], &reasons), &[]);
        assert!(
            mail.body.contains("How many potholes?\n\n[Answer]"),
            "{}",
            mail.body
        );
    }
}
