//! Renders an [`OutgoingMail`] to the final RFC 5322 bytes that the outbox
//! keeps and the send stage delivers unchanged.

use anyhow::{Context, Result};
use lettre::message::header::ContentTransferEncoding;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use rand::Rng;

use crate::core::approval::REDACTED;
use crate::core::letters::OutgoingMail;
use crate::core::message_id;

/// A rendered message with the Message-ID we gave it.
pub struct Rendered {
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub bytes: Vec<u8>,
    /// The copy to keep once sent (Sent folder, outbox) when the mail
    /// carries a secret: the same mail with the secret removed.
    pub sent_copy: Option<Vec<u8>>,
}

/// Our own Message-ID for a new mail, with a fresh random token.
pub fn new_message_id(purpose: &str, domain: &str) -> String {
    message_id::format(purpose, rand::thread_rng().gen(), domain)
}

pub fn render(
    mail: &OutgoingMail,
    from_name: &str,
    from_address: &str,
    domain: &str,
    now: jiff::Timestamp,
) -> Result<Rendered> {
    let message_id = new_message_id(mail.purpose.as_str(), domain);
    let (bytes, recipients) = build(mail, &mail.body, &message_id, from_name, from_address, now)?;
    let sent_copy = if mail.redact.is_empty() {
        None
    } else {
        let mut body = mail.body.clone();
        for secret in mail.redact.iter().filter(|s| !s.is_empty()) {
            body = body.replace(secret.as_str(), REDACTED);
        }
        Some(build(mail, &body, &message_id, from_name, from_address, now)?.0)
    };
    Ok(Rendered {
        message_id,
        envelope_from: from_address.to_string(),
        recipients,
        bytes,
        sent_copy,
    })
}

fn build(
    mail: &OutgoingMail,
    body: &str,
    message_id: &str,
    from_name: &str,
    from_address: &str,
    now: jiff::Timestamp,
) -> Result<(Vec<u8>, Vec<String>)> {
    let from = Mailbox::new(
        Some(from_name.to_string()),
        from_address
            .parse()
            .with_context(|| format!("council address {from_address:?} is not an address"))?,
    );
    let mut builder = Message::builder()
        .from(from)
        .subject(mail.subject.clone())
        .message_id(Some(message_id.to_string()))
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
    let mut message = if mail.attachments.is_empty() {
        builder
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .context("building an outgoing message")?
    } else {
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body.to_string()));
        for a in &mail.attachments {
            let content_type = ContentType::parse(&a.content_type).unwrap_or_else(|_| {
                ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN)
            });
            // Base64 whatever the type: a text attachment sent 7bit may have
            // its line ends rewritten on the way, and the requester must get
            // the very bytes the approver saw.
            let bytes = Body::new_with_encoding(a.bytes.clone(), ContentTransferEncoding::Base64)
                .map_err(|_| anyhow::anyhow!("encoding attachment {:?}", a.filename))?;
            parts = parts.singlepart(Attachment::new(a.filename.clone()).body(bytes, content_type));
        }
        builder
            .multipart(parts)
            .context("building an outgoing message with attachments")?
    };
    if let Some(value) = mail.auto_submitted.header_value() {
        message.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            value.to_string(),
        ));
    }
    // Outlook and Exchange honour this rather than Auto-Submitted.
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
        "All".to_string(),
    ));
    Ok((message.formatted(), recipients))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::letters::{Attachment as MailAttachment, AutoSubmitted, Purpose};

    fn mail() -> OutgoingMail {
        OutgoingMail::new(
            Purpose::Acknowledgement,
            vec!["Alice <alice@public.test>".into()],
            "[FOI-2026-00001] Re: Bins".into(),
            "Dear Alice,\n\nThank you.\n".into(),
            AutoSubmitted::AutoReplied,
        )
        .replying_to("<orig@public.test>")
    }

    #[test]
    fn rendered_mail_carries_threading_and_robot_headers() {
        let r = render(
            &mail(),
            "Test Council",
            "foi@council.test",
            "council.test",
            jiff::Timestamp::UNIX_EPOCH,
        )
        .expect("renders");
        let text = String::from_utf8(r.bytes).expect("utf8");
        assert!(r.message_id.starts_with("<foid.acknowledgement."));
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
        assert!(r.sent_copy.is_none());
    }

    #[test]
    fn a_letter_written_by_a_person_is_not_marked_automatic() {
        let mut m = mail();
        m.auto_submitted = AutoSubmitted::No;
        let r = render(
            &m,
            "C",
            "foi@council.test",
            "council.test",
            jiff::Timestamp::UNIX_EPOCH,
        )
        .expect("renders");
        assert!(!String::from_utf8_lossy(&r.bytes).contains("Auto-Submitted"));
    }

    #[test]
    fn attachments_survive_byte_for_byte_and_secrets_leave_the_copy() {
        let mut m = mail();
        let binary: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        m.attachments = vec![
            MailAttachment {
                filename: "figures.csv".into(),
                content_type: "text/csv".into(),
                bytes: b"year,count\r\n2025,4210\r\n".to_vec(),
            },
            MailAttachment {
                filename: "claims.xlsx".into(),
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    .into(),
                bytes: binary.clone(),
            },
        ];
        m.body = "Approve with #approve ABCDE-FGHJK-MNPQR-STVWX\n".into();
        m.redact = vec!["ABCDE-FGHJK-MNPQR-STVWX".into()];
        let r = render(
            &m,
            "C",
            "foi@council.test",
            "council.test",
            jiff::Timestamp::UNIX_EPOCH,
        )
        .expect("renders");
        let parsed = crate::mail::message::read_message(&r.bytes).expect("parses");
        assert_eq!(parsed.attachments.len(), 2);
        assert_eq!(parsed.attachments[0].bytes, b"year,count\r\n2025,4210\r\n");
        assert_eq!(parsed.attachments[1].bytes, binary);
        assert_eq!(parsed.attachments[1].filename, "claims.xlsx");
        assert!(String::from_utf8_lossy(&r.bytes).contains("ABCDE-FGHJK-MNPQR-STVWX"));
        let copy = r.sent_copy.expect("a copy without the code");
        let copy_text = String::from_utf8_lossy(&copy);
        assert!(
            !copy_text.contains("ABCDE-FGHJK-MNPQR-STVWX"),
            "{copy_text}"
        );
        assert!(copy_text.contains(&r.message_id), "same Message-ID");
    }
}
