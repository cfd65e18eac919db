//! The SMTP adapter: a lettre transport built from `[smtp]`, sending
//! already-rendered bytes, with failures sorted into retry or give up.

use std::time::Duration;

use anyhow::{Context, Result};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{Connection, Tls};

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    timeout: Duration,
}

/// Why a send failed, as far as retrying is concerned.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server could not be reached or talked to (refused, TLS, no
    /// answer): nothing was sent; every queued message waits for it.
    #[error("SMTP server unavailable: {0}")]
    Unavailable(String),
    /// 4xx or a timeout mid-send: try this message again later.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// 5xx: the server refused for good.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl SendError {
    /// A short stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            SendError::Unavailable(_) => "unavailable",
            SendError::Temporary(_) => "temporary",
            SendError::Permanent(_) => "permanent",
        }
    }
}

impl SmtpSender {
    pub fn new(c: &Connection, helo_domain: &str) -> Result<SmtpSender> {
        let port = c.port_or(465, 587);
        let timeout = Duration::from_secs(c.timeout_seconds);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(c.host.clone())
            .port(port)
            .timeout(Some(timeout))
            .hello_name(ClientId::Domain(helo_domain.to_string()));
        if c.tls != Tls::None {
            let mut params = TlsParameters::builder(c.host.clone());
            if let Some(ca) = &c.ca_file {
                let pem = std::fs::read(ca)
                    .with_context(|| format!("cannot read CA file {}", ca.display()))?;
                let cert = Certificate::from_pem(&pem).with_context(|| {
                    format!("CA file {} is not a PEM certificate", ca.display())
                })?;
                params = params.add_root_certificate(cert);
            }
            let params = params
                .build_rustls()
                .context("building SMTP TLS settings")?;
            builder = builder.tls(match c.tls {
                Tls::Implicit => LettreTls::Wrapper(params),
                _ => LettreTls::Required(params),
            });
        }
        if let Some(user) = &c.username {
            let password = c.password()?.unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            timeout,
        })
    }

    /// Connects, says EHLO, authenticates if configured, and quits.
    pub async fn check(&self) -> Result<()> {
        let ok = tokio::time::timeout(self.timeout * 2, self.transport.test_connection())
            .await
            .context("SMTP connection timed out")?
            .context("SMTP connection failed")?;
        anyhow::ensure!(ok, "SMTP server did not accept the connection");
        Ok(())
    }

    /// Sends rendered bytes. The whole exchange is bounded: lettre's own
    /// timeout covers only parts of it.
    pub async fn send(&self, from: &str, to: &[String], bytes: &[u8]) -> Result<(), SendError> {
        let from = from
            .parse()
            .map_err(|e| SendError::Permanent(format!("bad envelope sender {from:?}: {e}")))?;
        let to = to
            .iter()
            .map(|a| a.parse())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SendError::Permanent(format!("bad recipient: {e}")))?;
        let envelope = Envelope::new(Some(from), to)
            .map_err(|e| SendError::Permanent(format!("bad envelope: {e}")))?;
        match tokio::time::timeout(self.timeout * 3, self.transport.send_raw(&envelope, bytes))
            .await
        {
            Err(_) => Err(SendError::Temporary("SMTP send timed out".into())),
            Ok(Ok(_)) => Ok(()),
            // Replies about the session, not the message: the login was
            // refused, or the service is closing. Nothing of this message
            // is wrong, and every other message would fare the same.
            Ok(Err(e))
                if e.status().is_some_and(|c| {
                    matches!(
                        c.to_string().as_str(),
                        "421" | "530" | "534" | "535" | "538"
                    )
                }) =>
            {
                Err(SendError::Unavailable(format!("{e:#}")))
            }
            Ok(Err(e)) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            // No reply code at all: the connection, TLS or login failed
            // before anything was handed over.
            Ok(Err(e)) if e.status().is_none() && !e.is_timeout() => {
                Err(SendError::Unavailable(format!("{e:#}")))
            }
            Ok(Err(e)) => Err(SendError::Temporary(e.to_string())),
        }
    }
}
