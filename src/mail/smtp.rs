//! The SMTP adapter: a lettre transport built from `[smtp]`, sending
//! already-rendered bytes, with failures sorted into retry or give up.

use std::time::Duration;

use anyhow::{Context, Result};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{AuthMethod, Connection, Tls};
use crate::mail::oauth::{Token, TokenSource};

pub struct SmtpSender {
    login: Login,
    timeout: Duration,
}

enum Login {
    /// No login, or a password: one transport for every send.
    Fixed(AsyncSmtpTransport<Tokio1Executor>),
    /// XOAUTH2 with the current token: a transport per send (lettre opens
    /// a connection per send anyway).
    Token {
        builder: AsyncSmtpTransportBuilder,
        user: String,
        tokens: std::sync::Arc<TokenSource>,
    },
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
        let login = match (c.auth, &c.username) {
            (AuthMethod::Oauth2, user) => Login::Token {
                builder: builder.authentication(vec![Mechanism::Xoauth2]),
                user: user.clone().unwrap_or_default(),
                tokens: c
                    .tokens
                    .clone()
                    .context("[smtp] auth = \"oauth2\" but no [oauth2] token source")?,
            },
            (AuthMethod::Password, Some(user)) => {
                let password = c.password()?.unwrap_or_default();
                Login::Fixed(
                    builder
                        .credentials(Credentials::new(user.clone(), password))
                        .build(),
                )
            }
            (AuthMethod::Password, None) => Login::Fixed(builder.build()),
        };
        Ok(SmtpSender { login, timeout })
    }

    /// The transport to use now, and the token it carries.
    async fn transport(
        &self,
    ) -> Result<(AsyncSmtpTransport<Tokio1Executor>, Option<Token>), SendError> {
        match &self.login {
            Login::Fixed(transport) => Ok((transport.clone(), None)),
            Login::Token {
                builder,
                user,
                tokens,
            } => {
                let token = tokens.token().await.map_err(|e| {
                    SendError::Unavailable(format!("no OAuth 2.0 token for SMTP: {e}"))
                })?;
                let transport = builder
                    .clone()
                    .credentials(Credentials::new(user.clone(), token.secret().to_string()))
                    .build();
                Ok((transport, Some(token)))
            }
        }
    }

    /// A login refused with a token: forget it, so the one retry (and
    /// every later send) fetches a new one. Says whether to retry.
    async fn refused_token(&self, token: Option<&Token>) -> bool {
        match (&self.login, token) {
            (Login::Token { tokens, .. }, Some(token)) => {
                tokens.forget(token).await;
                true
            }
            _ => false,
        }
    }

    /// With a token, lettre reports the server's XOAUTH2 error challenge
    /// (RFC 7628 section 3.2.2) as a client error: that too is a refusal.
    fn is_token_refusal(&self, e: &lettre::transport::smtp::Error) -> bool {
        is_login_refusal(e) || (matches!(self.login, Login::Token { .. }) && e.is_client())
    }

    /// Connects, says EHLO, authenticates if configured, and quits.
    pub async fn check(&self) -> Result<()> {
        for attempt in 0..2 {
            let (transport, token) = self.transport().await?;
            let result = tokio::time::timeout(self.timeout * 2, transport.test_connection())
                .await
                .context("SMTP connection timed out")?;
            match result {
                Ok(true) => return Ok(()),
                Ok(false) => anyhow::bail!("SMTP server did not accept the connection"),
                Err(e)
                    if attempt == 0
                        && self.is_token_refusal(&e)
                        && self.refused_token(token.as_ref()).await => {}
                Err(e) => return Err(e).context("SMTP connection failed"),
            }
        }
        anyhow::bail!("SMTP server refused the login")
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
        let (transport, token) = self.transport().await?;
        let mut result =
            tokio::time::timeout(self.timeout * 3, transport.send_raw(&envelope, bytes)).await;
        if let Ok(Err(e)) = &result {
            if self.is_token_refusal(e) && self.refused_token(token.as_ref()).await {
                tracing::info!("SMTP refused the OAuth 2.0 token; trying once with a new one");
                let (transport, _) = self.transport().await?;
                result =
                    tokio::time::timeout(self.timeout * 3, transport.send_raw(&envelope, bytes))
                        .await;
            }
        }
        match result {
            Err(_) => Err(SendError::Temporary("SMTP send timed out".into())),
            Ok(Ok(_)) => Ok(()),
            // Replies about the session, not the message: the login was
            // refused, or the service is closing. Nothing of this message
            // is wrong, and every other message would fare the same.
            Ok(Err(e))
                if is_login_refusal(&e) || e.status().is_some_and(|c| c.to_string() == "421") =>
            {
                Err(SendError::Unavailable(format!("{e:#}")))
            }
            // Exchange Online refuses the account, not the message: every
            // message would fare the same until IT fixes it.
            Ok(Err(e)) if refuses_the_account(&e.to_string()).is_some() => {
                let why = refuses_the_account(&e.to_string()).unwrap_or_default();
                Err(SendError::Unavailable(format!("{e}: {why}")))
            }
            // A rate limit, even when phrased as a 5xx: wait and try again.
            Ok(Err(e)) if is_throttling(&e.to_string()) => Err(SendError::Temporary(e.to_string())),
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

/// The login was refused (or is required first): 530, 534, 535, 538.
fn is_login_refusal(e: &lettre::transport::smtp::Error) -> bool {
    e.status()
        .is_some_and(|c| matches!(c.to_string().as_str(), "530" | "534" | "535" | "538"))
}

/// Exchange Online's submission quota and throttling replies, some of them
/// 5xx (`554 5.2.0 STOREDRV.Submission.Exception:
/// SubmissionQuotaExceededException`).
fn is_throttling(reply: &str) -> bool {
    let reply = reply.to_ascii_lowercase();
    [
        "quotaexceeded",
        "throttl",
        "rate limit",
        "too many messages",
    ]
    .iter()
    .any(|s| reply.contains(s))
}

/// Enhanced status codes by which Exchange Online refuses the sending
/// account rather than one message, with what to do.
fn refuses_the_account(reply: &str) -> Option<&'static str> {
    [
        ("5.7.30", "Basic authentication is off for client submission: use [smtp] auth = \"oauth2\""),
        ("5.7.139", "SMTP AUTH is disabled for the tenant or the mailbox: enable authenticated SMTP for the FOI mailbox (Set-CASMailbox -SmtpClientAuthenticationDisabled $false)"),
        ("5.7.60", "the account may not send as this address: grant the application SendAs on the FOI mailbox"),
        ("5.7.57", "the client was not authenticated to send: check [smtp] auth"),
    ]
    .into_iter()
    .find(|(code, _)| reply.contains(code))
    .map(|(_, why)| why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_online_throttling_is_temporary() {
        assert!(is_throttling(
            "permanent error (554): 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception"
        ));
        assert!(!is_throttling("permanent error (550): 5.1.1 User unknown"));
    }

    #[test]
    fn account_refusals_say_what_to_fix() {
        let why = refuses_the_account(
            "permanent error (535): 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
        )
        .expect("known");
        assert!(why.contains("SmtpClientAuthenticationDisabled"), "{why}");
        assert!(refuses_the_account(
            "permanent error (550): 5.7.30 Basic authentication is not supported for Client Submission."
        )
        .is_some_and(|w| w.contains("oauth2")));
        assert_eq!(
            refuses_the_account("permanent error (550): 5.1.1 User unknown"),
            None
        );
    }
}
