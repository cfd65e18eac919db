//! Requests that arrive as a council web form's submission: `Label: value`
//! lines (or a label line, then its value) for the requester's name,
//! address and preferences, and one field that holds the request. Only
//! that field is the request; the labels, and the form's own questions
//! ("How would you like to receive the information?"), are not questions.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use regex::Regex;

#[allow(clippy::expect_used)] // constant patterns, checked by the unit tests
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid constant regex")
}

/// The fields a form asks about the requester and the delivery.
static FORM_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)^\s*(?:title|first names?|forenames?|last name|surname|family name|full name|(?:your )?name|what is your (?:full )?name",
        r"|e-?mail(?: address)?|what is your e-?mail address|(?:tele)?phone(?: number)?|mobile(?: number)?|contact number",
        r"|(?:postal )?address|postcode|post code|town|organisation(?: name)?|company(?: name)?|job title",
        r"|how would you like (?:to receive )?(?:the|your) (?:information|response|reply)(?: to be sent)?",
        r"|(?:preferred|prefered) (?:format|method|way)[^:?]{0,40}",
        r"|(?:is|are) (?:this|you making this) request on behalf of[^:?]{0,40}|on behalf of an organisation",
        r"|i (?:confirm|agree|consent|understand)[^:?]{0,80}|declaration",
        r"|have you (?:already )?(?:checked|looked|searched)[^:?]{0,60}",
        r"|do you want the (?:information|response) (?:sent|by)[^:?]{0,40}",
        r"|do you require the information in an alternative format[^:?]{0,60}",
        r"|(?:date|time) (?:submitted|of submission|received)|date|submitted(?: on| at)?|submission (?:date|id|reference)|form(?: id| reference| name)?|reference(?: number)?",
        r"|applicant(?:'s)? name|correspondence address|organisation \(if applicable\)|preferred format",
        r")\s*(?:\([^)]{0,60}\))?\s*[:?]\s*(.*)$",
    ))
});

/// A field's label on a line of its own ("Preferred format"), its value
/// on the next.
static FORM_LABEL_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:preferred (?:format|method)|how would you like to receive (?:the|your) (?:information|response)|email(?: address)?|name|telephone|phone|address|postcode)\s*$",
    )
});
/// What a form's mailer writes under the submission.
static FORM_FOOTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:this (?:is an )?(?:automatically generated|automated) (?:e-?mail|message)|please do not reply to (?:this|it))",
    )
});

/// The field that holds the request.
static REQUEST_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)^\s*(?:your request|request details|details of (?:your|the) request|(?:the )?information (?:requested|required|sought|you (?:want|require|are requesting|would like))",
        r"|what information (?:do you want|would you like|are you (?:requesting|looking for))(?: to request)?|(?:please )?describe the information[^:?]{0,40}",
        r"|description of (?:the )?information(?: required| requested| you (?:require|want|need|are requesting))?|request|what is your request|freedom of information request details",
        r")\s*(?:[:?]\s*(.*))?$",
    ))
});

/// A form's submission read apart: the request field's text, and every
/// other line as notes. `None` when the text is not a form's.
pub fn request_field(text: &str) -> Option<(String, Vec<String>)> {
    let lines: Vec<&str> = text.lines().collect();
    let fields = lines
        .iter()
        .filter(|l| FORM_FIELD.is_match(l) || FORM_LABEL_LINE.is_match(l))
        .count();
    let request_at = lines.iter().position(|l| REQUEST_FIELD.is_match(l))?;
    if fields < 2 {
        return None;
    }
    let mut request: Vec<&str> = Vec::new();
    if let Some(value) = lines
        .get(request_at)
        .and_then(|l| REQUEST_FIELD.captures(l))
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().trim())
        .filter(|v| !v.is_empty())
    {
        request.push(value);
    }
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate().skip(request_at + 1) {
        if FORM_FIELD.is_match(line) || FORM_LABEL_LINE.is_match(line) || FORM_FOOTER.is_match(line)
        {
            end = i;
            break;
        }
        request.push(line);
    }
    let notes: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(i, l)| (*i < request_at || *i >= end) && !l.trim().is_empty())
        .map(|(_, l)| l.trim().to_string())
        .collect();
    let request = request.join("\n").trim().to_string();
    (!request.is_empty()).then_some((request, notes))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_request_field_is_the_request() {
        let form = "Freedom of Information request form\nTitle: Ms\nFirst name: Jo\nLast name: Bloggs\nEmail address: jo@example.org\nYour request:\n1. How many parking permits were issued?\n2. What did they cost?\nHow would you like to receive the information? Email\nI confirm the information above is correct: Yes\n";
        let (request, notes) = request_field(form).expect("a form");
        assert_eq!(
            request,
            "1. How many parking permits were issued?\n2. What did they cost?"
        );
        assert!(notes.iter().any(|n| n.starts_with("How would you like")));
        assert!(notes.iter().any(|n| n.starts_with("Email address")));
    }

    #[test]
    fn a_label_line_then_its_value() {
        let form = "Summary of your answers\nWhat is your name?\nAyo\nWhat is your email address?\nayo@example.org\nWhat information do you want?\nHow many libraries closed in 2024?\nDo you want the information sent by email or post?\nEmail\n";
        let (request, _) = request_field(form).expect("a form");
        assert_eq!(request, "How many libraries closed in 2024?");
    }

    #[test]
    fn a_letter_is_not_a_form() {
        assert!(request_field(
            "Dear Council,\n\nPlease tell me how many potholes were filled.\n\nName: Jo\n"
        )
        .is_none());
        assert!(request_field(
            "From: A\nSent: Monday\nTo: B\nSubject: Request\n\nPlease send the figures."
        )
        .is_none());
    }
}
