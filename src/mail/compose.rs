//! Renders an [`OutgoingMail`] to the final RFC 5322 bytes that the outbox
//! keeps and the send stage delivers unchanged.

use anyhow::{Context, Result};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::Message;
use rand::Rng;

use crate::core::letters::OutgoingMail;

/// A rendered message with the Message-ID we gave it.
pub struct Rendered {
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub bytes: Vec<u8>,
}

/// Our own Message-ID, in the council's domain (never the machine's host
/// name), so replies thread back and the Sent folder can be searched for it.
pub fn new_message_id(purpose: &str, domain: &str) -> String {
    let token: u128 = rand::thread_rng().gen();
    format!("<foid.{purpose}.{token:032x}@{domain}>")
}

pub fn render(
    mail: &OutgoingMail,
    from_name: &str,
    from_address: &str,
    domain: &str,
    now: jiff::Timestamp,
) -> Result<Rendered> {
    let from = Mailbox::new(
        Some(from_name.to_string()),
        from_address
            .parse()
            .with_context(|| format!("council address {from_address:?} is not an address"))?,
    );
    let message_id = new_message_id(mail.purpose.as_str(), domain);
    let mut builder = Message::builder()
        .from(from)
        .subject(mail.subject.clone())
        .message_id(Some(message_id.clone()))
        .date(std::time::SystemTime::from(now));
    let mut recipients = Vec::new();
    for to in &mail.to {
        let mailbox: Mailbox = to
            .parse()
            .with_context(|| format!("recipient {to:?} is not an address"))?;
        recipients.push(mailbox.email.to_string());
        builder = builder.to(mailbox);
    }
    if let Some(id) = &mail.in_reply_to {
        builder = builder.in_reply_to(id.clone());
    }
    if !mail.references.is_empty() {
        builder = builder.references(mail.references.join(" "));
    }
    let mut message = builder
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .context("building an outgoing message")?;
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        mail.auto_submitted.to_string(),
    ));
    // Outlook and Exchange honour this rather than Auto-Submitted.
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
        "All".to_string(),
    ));
    Ok(Rendered {
        message_id,
        envelope_from: from_address.to_string(),
        recipients,
        bytes: message.formatted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::letters::Purpose;

    #[test]
    fn rendered_mail_carries_threading_and_robot_headers() {
        let mail = OutgoingMail {
            purpose: Purpose::Acknowledgement,
            to: vec!["Alice <alice@public.test>".into()],
            subject: "[FOI-2026-00001] Re: Bins".into(),
            body: "Dear Alice,\n\nThank you.\n".into(),
            in_reply_to: Some("<orig@public.test>".into()),
            references: vec!["<orig@public.test>".into()],
            auto_submitted: "auto-replied",
        };
        let r = render(
            &mail,
            "Test Council",
            "foi@council.test",
            "council.test",
            jiff::Timestamp::UNIX_EPOCH,
        )
        .expect("renders");
        let text = String::from_utf8(r.bytes).expect("utf8");
        assert!(r.message_id.ends_with("@council.test>"));
        assert!(
            text.contains(&format!("Message-ID: {}", r.message_id)),
            "{text}"
        );
        assert!(text.contains("In-Reply-To: <orig@public.test>"));
        assert!(text.contains("Auto-Submitted: auto-replied"));
        assert!(
            text.contains("From: \"Test Council\" <foi@council.test>")
                || text.contains("From: Test Council <foi@council.test>"),
            "{text}"
        );
        assert_eq!(r.recipients, vec!["alice@public.test"]);
    }
}
