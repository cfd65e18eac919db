//! The IMAP adapter: connecting (implicit TLS, STARTTLS or loopback
//! plaintext) with socket timeouts, and the few commands ingestion needs.

use std::pin::Pin;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use async_imap::extensions::idle::IdleResponse;
use futures::TryStreamExt;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::TcpStream;
use tokio_io_timeout::TimeoutStream;
use tokio_rustls::client::TlsStream;

use crate::config::{AuthMethod, Connection, Imap, SaslMechanism, Tls};
use crate::mail::mutf7;
use crate::mail::namespace::{parse_namespace, server_folder_name, Personal};
use crate::mail::sasl::{self, Mechanism};

/// Asks for the personal namespace. imap-proto cannot parse a NAMESPACE
/// response (it would poison the session's stream), so the command goes
/// over the raw stream; nothing is buffered between the CAPABILITY reply
/// before it and the next command.
async fn personal_namespace(session: &mut ImapSession) -> Result<Option<Personal>> {
    let stream = session.get_mut();
    stream
        .write_all(b"N0 NAMESPACE\r\n")
        .await
        .context("IMAP NAMESPACE")?;
    stream.flush().await.context("IMAP NAMESPACE")?;
    let mut found = None;
    loop {
        let line = read_raw_line(stream).await.context("IMAP NAMESPACE")?;
        if let Some(status) = line.strip_prefix("N0 ") {
            // A server that refuses keeps today's naming.
            return Ok(if status.starts_with("OK") {
                found
            } else {
                None
            });
        }
        if found.is_none() {
            found = parse_namespace(&line);
        }
    }
}

/// One CRLF-terminated line, at most 8 KiB.
async fn read_raw_line(stream: &mut TimedStream) -> Result<String> {
    use tokio::io::AsyncReadExt;
    let mut line = Vec::new();
    loop {
        let byte = stream.read_u8().await?;
        line.push(byte);
        if byte == b'\n' {
            return Ok(String::from_utf8_lossy(&line).into_owned());
        }
        if line.len() > 8192 {
            bail!("a line over 8 KiB");
        }
    }
}

/// Turns an IDLE that the server ended (a BYE, or the connection closed
/// under it) into an error that says so: otherwise it shows up later as a
/// failed DONE, which hides what happened.
fn idle_ended_by_server(r: async_imap::error::Result<IdleResponse>) -> Result<()> {
    use async_imap::imap_proto::{Response, Status};
    match r.context("connection lost during IDLE")? {
        // Not asked for (the stop branch is the only one that interrupts):
        // the stream ended.
        IdleResponse::ManualInterrupt => bail!("the server closed the connection during IDLE"),
        IdleResponse::NewData(data) => {
            if let Response::Data {
                status: Status::Bye,
                information,
                ..
            } = data.parsed()
            {
                bail!(
                    "the server ended the session during IDLE: BYE {}",
                    information.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
        IdleResponse::Timeout => Ok(()),
    }
}

/// Exchange Online answers a client it throttles with `NO Request is
/// throttled. Suggested Backoff Time: 7342 milliseconds`: wait at least that.
pub fn suggested_backoff(error: &str) -> Option<Duration> {
    let (_, rest) = error.split_once("Suggested Backoff Time:")?;
    let ms: u64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_millis(ms))
}

/// Logs in with a bearer token over the mechanism the server offers. A
/// refusal fetches a new token and tries once more (the first may have
/// been revoked since it was cached); a second refusal is reported with
/// the server's reason, for the backoff of the caller.
async fn oauth_login(
    mut client: async_imap::Client<TimedStream>,
    c: &Connection,
    username: &str,
    port: u16,
) -> Result<(ImapSession, crate::mail::oauth::Token)> {
    let tokens = c
        .tokens
        .as_ref()
        .ok_or_else(|| anyhow!("[imap] auth = \"oauth2\" but no [oauth2] token source"))?;
    let offered = auth_mechanisms(&mut client).await?;
    let mechanism = choose_mechanism(c.sasl_mechanism, &offered)?;
    let mut refused = None;
    for attempt in 0..2 {
        let token = tokens
            .token()
            .await
            .context("getting an OAuth 2.0 token for IMAP")?;
        let mut auth = BearerAuthenticator {
            initial: match mechanism {
                Mechanism::Xoauth2 => sasl::xoauth2(username, token.secret()),
                Mechanism::Oauthbearer => {
                    sasl::oauthbearer(username, token.secret(), &c.host, port)
                }
            },
            mechanism,
            sent: false,
            error: None,
        };
        match client.authenticate(mechanism.name(), &mut auth).await {
            Ok(session) => return Ok((session, token)),
            Err((e, back)) => {
                client = back;
                let detail = auth
                    .error
                    .as_deref()
                    .map(sasl::describe_error_challenge)
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                refused = Some(format!("{}{detail}", server_said(&e)));
                if attempt == 0 {
                    tracing::info!("IMAP refused the OAuth 2.0 token; trying once with a new one");
                    tokens.forget(&token).await;
                }
            }
        }
    }
    bail!(
        "IMAP server refused {} for {username} with a token the identity provider issued: {}; \
         the application may lack access to this mailbox (Exchange Online: IMAP.AccessAsApp \
         and Add-MailboxPermission for its service principal; Google: domain-wide delegation)",
        mechanism.name(),
        refused.unwrap_or_default()
    )
}

/// A NO or BAD as the server worded it (async-imap keeps its text in a
/// debug rendering: `code: None, info: Some("...")`).
fn server_said(e: &async_imap::error::Error) -> String {
    use async_imap::error::Error;
    let (status, text) = match e {
        Error::No(text) => ("NO", text),
        Error::Bad(text) => ("BAD", text),
        other => return other.to_string(),
    };
    text.split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map(|(info, _)| format!("{status} {}", info.replace("\\\"", "\"")))
        .unwrap_or_else(|| e.to_string())
}

/// The `AUTH=` capabilities, asked for before login (Exchange's greeting
/// lists none).
async fn auth_mechanisms(client: &mut async_imap::Client<TimedStream>) -> Result<Vec<String>> {
    use async_imap::imap_proto::{Capability, Response};
    client
        .get_mut()
        .write_all(b"C0 CAPABILITY\r\n")
        .await
        .context("IMAP CAPABILITY")?;
    client.get_mut().flush().await.context("IMAP CAPABILITY")?;
    let mut mechanisms = Vec::new();
    loop {
        let response = client
            .read_response()
            .await
            .context("IMAP CAPABILITY")?
            .ok_or_else(|| anyhow!("IMAP server closed the connection at CAPABILITY"))?;
        match response.parsed() {
            Response::Capabilities(caps) => {
                for cap in caps {
                    if let Capability::Auth(m) = cap {
                        mechanisms.push(m.to_ascii_uppercase());
                    }
                }
            }
            Response::Done { tag, status, .. } if tag.0 == "C0" => {
                if !matches!(status, async_imap::imap_proto::Status::Ok) {
                    bail!("IMAP CAPABILITY failed: {status:?}");
                }
                return Ok(mechanisms);
            }
            _ => {}
        }
    }
}

fn choose_mechanism(wanted: SaslMechanism, offered: &[String]) -> Result<Mechanism> {
    let has = |m: Mechanism| offered.iter().any(|o| o == m.name());
    let pick = match wanted {
        SaslMechanism::Xoauth2 => Some(Mechanism::Xoauth2),
        SaslMechanism::Oauthbearer => Some(Mechanism::Oauthbearer),
        SaslMechanism::Auto => [Mechanism::Xoauth2, Mechanism::Oauthbearer]
            .into_iter()
            .find(|m| has(*m)),
    };
    match pick {
        Some(m) if has(m) => Ok(m),
        _ => bail!(
            "the IMAP server offers no OAuth 2.0 login{} (it offers AUTH={})",
            match wanted {
                SaslMechanism::Auto => String::new(),
                _ => format!(" over {wanted:?}"),
            },
            if offered.is_empty() {
                "nothing".to_string()
            } else {
                offered.join(" AUTH=")
            }
        ),
    }
}

/// Sends the initial response at the first continuation; answers an error
/// challenge as the mechanism requires, keeping it for the report.
struct BearerAuthenticator {
    initial: String,
    mechanism: Mechanism,
    sent: bool,
    error: Option<Vec<u8>>,
}

impl async_imap::Authenticator for &mut BearerAuthenticator {
    type Response = String;
    fn process(&mut self, challenge: &[u8]) -> String {
        if self.sent {
            self.error = Some(challenge.to_vec());
            return sasl::after_error(self.mechanism).to_string();
        }
        self.sent = true;
        std::mem::take(&mut self.initial)
    }
}

/// A TCP connection, with or without TLS.
#[derive(Debug)]
pub enum MailStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for MailStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MailStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_flush(cx),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// async-imap has no per-command timeout and would wait forever on a
/// connection a NAT box silently dropped; every read and write is bounded.
pub type TimedStream = Pin<Box<TimeoutStream<MailStream>>>;
pub type ImapSession = async_imap::Session<TimedStream>;

/// What the server offers that ingestion cares about.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerFeatures {
    pub idle: bool,
    pub r#move: bool,
    pub uidplus: bool,
    pub namespace: bool,
    pub special_use: bool,
    pub condstore: bool,
}

impl ServerFeatures {
    /// The capabilities foid uses, as `check-config` reports them.
    pub fn describe(&self) -> String {
        [
            ("IDLE", self.idle),
            ("MOVE", self.r#move),
            ("UIDPLUS", self.uidplus),
            ("NAMESPACE", self.namespace),
            ("SPECIAL-USE", self.special_use),
            ("CONDSTORE", self.condstore),
        ]
        .iter()
        .map(|(name, has)| format!("{name} {}", if *has { "yes" } else { "no" }))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// Where sent copies will go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentChoice {
    /// The configured folder (or `Sent`), which exists.
    Named(String),
    /// The folder the server marks `\Sent`.
    Marked {
        name: String,
        configured_missing: bool,
    },
    /// Nothing exists yet: foid creates this one.
    Missing(String),
}

impl SentChoice {
    /// The folder's name on the server.
    pub fn name(&self) -> &str {
        match self {
            SentChoice::Named(name) | SentChoice::Missing(name) => name,
            SentChoice::Marked { name, .. } => name,
        }
    }
}

/// A logged-in session with what the server supports.
pub struct ImapConnection {
    pub session: ImapSession,
    pub features: ServerFeatures,
    /// The server's hierarchy separator (`.` for Dovecot Maildir, `/` for
    /// Exchange).
    pub delimiter: String,
    /// The personal namespace (RFC 2342) folders are created in.
    pub namespace: Personal,
    timeout: Duration,
    /// With OAuth 2.0: when the token this session logged in with is due
    /// for renewal. Exchange Online ends a session whose token expires, so
    /// the session is ended and opened again with a fresh token first.
    pub login_valid_until: Option<Instant>,
}

pub async fn tls_connect(
    host: &str,
    tcp: TcpStream,
    ca_file: Option<&std::path::Path>,
) -> Result<TlsStream<TcpStream>> {
    let config = super::tls::client_config(ca_file)?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| anyhow!("{host:?} is not a valid TLS server name"))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .with_context(|| format!("TLS handshake with {host} failed"))
}

impl ImapConnection {
    /// Connects and logs in, bounded by the configured timeout at each step.
    pub async fn connect(cfg: &Imap) -> Result<ImapConnection> {
        let c = &cfg.connection;
        let port = c.port_or(993, 143);
        let timeout = Duration::from_secs(c.timeout_seconds);
        let host = c.host.as_str();
        let tcp = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
            .await
            .map_err(|_| anyhow!("connecting to IMAP server {host}:{port} timed out"))?
            .with_context(|| format!("cannot connect to IMAP server {host}:{port}"))?;
        tcp.set_nodelay(true).ok();
        let step = async {
            let (stream, greeted) = match c.tls {
                Tls::Implicit => (
                    MailStream::Tls(Box::new(
                        tls_connect(host, tcp, c.ca_file.as_deref()).await?,
                    )),
                    false,
                ),
                Tls::None => (MailStream::Plain(tcp), false),
                Tls::Starttls => {
                    let tcp = starttls_preamble(tcp).await?;
                    (
                        MailStream::Tls(Box::new(
                            tls_connect(host, tcp, c.ca_file.as_deref()).await?,
                        )),
                        true,
                    )
                }
            };
            let mut timed = TimeoutStream::new(stream);
            timed.set_read_timeout(Some(timeout));
            timed.set_write_timeout(Some(timeout));
            let mut client = async_imap::Client::new(Box::pin(timed));
            if !greeted {
                // After STARTTLS there is no second greeting.
                client
                    .read_response()
                    .await
                    .context("reading the IMAP greeting")?
                    .ok_or_else(|| anyhow!("IMAP server closed the connection before greeting"))?;
            }
            let username = c.username.clone().unwrap_or_default();
            let (mut session, login_valid_until) = match c.auth {
                AuthMethod::Password => {
                    let password = c.password()?.unwrap_or_default();
                    let session = client
                        .login(&username, &password)
                        .await
                        .map_err(|(e, _)| anyhow!("IMAP login as {username} failed: {e}"))?;
                    (session, None)
                }
                AuthMethod::Oauth2 => {
                    let (session, token) = oauth_login(client, c, &username, port).await?;
                    (session, Some(token.renew_at))
                }
            };
            let caps = session.capabilities().await.context("IMAP CAPABILITY")?;
            let features = ServerFeatures {
                idle: caps.has_str("IDLE"),
                r#move: caps.has_str("MOVE"),
                uidplus: caps.has_str("UIDPLUS"),
                namespace: caps.has_str("NAMESPACE"),
                special_use: caps.has_str("SPECIAL-USE"),
                condstore: caps.has_str("CONDSTORE"),
            };
            let namespace = if features.namespace {
                personal_namespace(&mut session).await?.unwrap_or_default()
            } else {
                Personal::default()
            };
            let delimiter = match &namespace.delimiter {
                Some(d) => d.clone(),
                None => {
                    let names: Vec<_> = session
                        .list(Some(""), None)
                        .await
                        .context("IMAP LIST for the hierarchy separator")?
                        .try_collect()
                        .await?;
                    names
                        .first()
                        .and_then(|n| n.delimiter().map(str::to_string))
                        .unwrap_or_else(|| "/".to_string())
                }
            };
            Ok::<_, anyhow::Error>(ImapConnection {
                session,
                features,
                namespace,
                delimiter,
                timeout,
                login_valid_until,
            })
        };
        tokio::time::timeout(timeout * 2, step)
            .await
            .map_err(|_| anyhow!("IMAP login at {host}:{port} timed out"))?
    }

    /// A configured folder name (`/` for hierarchy, relative to the
    /// personal namespace) as the server names it.
    pub fn folder(&self, configured: &str) -> String {
        server_folder_name(configured, &self.namespace, &self.delimiter)
    }

    /// Creates a folder (and its parents) if it does not exist.
    pub async fn ensure_folder(&mut self, configured: &str) -> Result<String> {
        let (name, exists) = self.folder_exists(configured).await?;
        let pattern = quote(&name);
        if !exists {
            if let Err(e) = self.session.create(&name).await {
                // Another instance may have created it meanwhile.
                let again: Vec<_> = self
                    .session
                    .list(Some(""), Some(&pattern))
                    .await?
                    .try_collect()
                    .await?;
                if again.is_empty() {
                    return Err(anyhow!(
                        "cannot create IMAP folder {}: {}",
                        mutf7::display(&name),
                        server_said(&e)
                    ));
                }
            }
        }
        Ok(name)
    }

    /// The folder for sent copies: the configured one (created if need
    /// be), else the one the server marks `\Sent`, else `Sent`.
    /// Which folder sent copies go to, creating nothing. A configured one
    /// that does not exist gives way to the one the server marks `\Sent`:
    /// never a second Sent folder beside the real one.
    pub async fn choose_sent_folder(&mut self, configured: Option<&str>) -> Result<SentChoice> {
        let names: Vec<_> = self
            .session
            .list(Some(""), Some("*"))
            .await
            .context("IMAP LIST for the \\Sent folder")?
            .try_collect()
            .await?;
        let marked = names
            .iter()
            .find(|n| {
                n.attributes()
                    .iter()
                    .any(|a| matches!(a, async_imap::types::NameAttribute::Sent))
            })
            .map(|n| n.name().to_string());
        let wanted = self.folder(configured.unwrap_or("Sent"));
        let exists = names.iter().any(|n| n.name() == wanted);
        Ok(match (configured, marked) {
            (Some(_), _) if exists => SentChoice::Named(wanted),
            (_, Some(marked)) => SentChoice::Marked {
                name: marked,
                configured_missing: configured.is_some(),
            },
            (_, None) if exists => SentChoice::Named(wanted),
            (_, None) => SentChoice::Missing(wanted),
        })
    }

    /// The folder for sent copies, created if there is none.
    pub async fn sent_folder(&mut self, configured: Option<&str>) -> Result<String> {
        match self.choose_sent_folder(configured).await? {
            SentChoice::Named(name) => Ok(name),
            SentChoice::Marked {
                name,
                configured_missing,
            } => {
                if configured_missing {
                    tracing::warn!(
                        sent_folder = configured.unwrap_or_default(),
                        using = %name,
                        "[imap] sent_folder does not exist; using the folder the server marks \\Sent"
                    );
                }
                Ok(name)
            }
            SentChoice::Missing(_) => self.ensure_folder(configured.unwrap_or("Sent")).await,
        }
    }

    /// The server's name for a configured folder, and whether it exists.
    pub async fn folder_exists(&mut self, configured: &str) -> Result<(String, bool)> {
        let name = self.folder(configured);
        // async-imap sends the pattern as given: quote it.
        let existing: Vec<_> = self
            .session
            .list(Some(""), Some(&quote(&name)))
            .await?
            .try_collect()
            .await?;
        Ok((name, !existing.is_empty()))
    }

    /// Whether the connection still answers (after a command was refused).
    pub async fn alive(&mut self) -> bool {
        tokio::time::timeout(self.timeout, self.session.noop())
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Moves messages by UID: UID MOVE when the server has it, else COPY,
    /// flag \Deleted and expunge those UIDs.
    pub async fn move_uids(&mut self, uids: &[u32], folder: &str) -> Result<()> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        if self.features.r#move {
            self.session
                .uid_mv(&set, folder)
                .await
                .with_context(|| format!("UID MOVE to {folder}"))?;
        } else {
            self.session
                .uid_copy(&set, folder)
                .await
                .with_context(|| format!("UID COPY to {folder}"))?;
            let _: Vec<_> = self
                .session
                .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                .await?
                .try_collect()
                .await?;
            if self.features.uidplus {
                let _: Vec<_> = self.session.uid_expunge(&set).await?.try_collect().await?;
            } else {
                let _: Vec<_> = self.session.expunge().await?.try_collect().await?;
            }
        }
        Ok(())
    }

    /// Appends a message (our sent mail) to a folder, marked \Seen.
    pub async fn append(&mut self, folder: &str, bytes: &[u8]) -> Result<()> {
        self.session
            .append(folder, Some("(\\Seen)"), None, bytes)
            .await
            .with_context(|| format!("APPEND to {folder}"))
    }

    /// Whether a folder holds a message with this Message-ID.
    pub async fn has_message_id(&mut self, folder: &str, message_id: &str) -> Result<bool> {
        self.session
            .select(folder)
            .await
            .with_context(|| format!("SELECT {folder}"))?;
        let id = message_id.replace(['"', '\\', '\r', '\n'], "");
        let hits = self
            .session
            .uid_search(format!("HEADER Message-ID \"{id}\""))
            .await
            .with_context(|| format!("searching {folder}"))?;
        Ok(!hits.is_empty())
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Waits in IDLE until the server reports a change, `wait` passes, or
    /// `stop` turns true (then the bool is true). IDLE is ended with DONE
    /// either way, so the session can be used again; the caller always
    /// fetches afterwards.
    pub async fn idle_wait(
        self,
        wait: Duration,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<(ImapConnection, bool)> {
        let ImapConnection {
            session,
            features,
            namespace,
            delimiter,
            timeout,
            login_valid_until,
        } = self;
        let mut idle = session.idle();
        idle.init().await.context("starting IDLE")?;
        // The read timeout would cut a quiet IDLE short; allow the whole wait
        // plus a margin instead, then restore it.
        idle.as_mut()
            .as_mut()
            .set_read_timeout_pinned(Some(wait + timeout));
        let mut stopped = false;
        {
            let (wait_fut, interrupt) = idle.wait_with_timeout(wait);
            tokio::pin!(wait_fut);
            tokio::select! {
                r = &mut wait_fut => idle_ended_by_server(r)?,
                _ = stop.changed() => {
                    stopped = true;
                    drop(interrupt);
                    wait_fut.await.context("leaving IDLE")?;
                }
            }
        }
        idle.as_mut()
            .as_mut()
            .set_read_timeout_pinned(Some(timeout));
        let session = tokio::time::timeout(timeout, idle.done())
            .await
            .map_err(|_| anyhow!("IDLE DONE timed out"))?
            .context("ending IDLE")?;
        Ok((
            ImapConnection {
                session,
                features,
                namespace,
                delimiter,
                timeout,
                login_valid_until,
            },
            stopped || *stop.borrow(),
        ))
    }

    /// `wait`, shortened so that it ends when the login's token is due for
    /// renewal.
    pub fn wait_within_login(&self, wait: Duration) -> Duration {
        match self.login_valid_until {
            Some(until) => wait.min(until.saturating_duration_since(Instant::now())),
            None => wait,
        }
    }

    /// The token this session logged in with is due for renewal.
    pub fn login_expired(&self) -> bool {
        self.login_valid_until
            .is_some_and(|until| Instant::now() >= until)
    }

    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.session.logout()).await;
    }
}

/// Reads the greeting and negotiates STARTTLS on the raw socket, before
/// async-imap sees it.
async fn starttls_preamble(tcp: TcpStream) -> Result<TcpStream> {
    let mut reader = BufReader::new(tcp);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .await
        .context("reading the IMAP greeting")?;
    if !line.starts_with("* OK") && !line.starts_with("* PREAUTH") {
        bail!("unexpected IMAP greeting: {}", line.trim_end());
    }
    reader.get_mut().write_all(b"s0 STARTTLS\r\n").await?;
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            bail!("IMAP server closed the connection during STARTTLS");
        }
        if line.starts_with("s0 OK") {
            break;
        }
        if line.starts_with("s0 ") {
            bail!("IMAP server refused STARTTLS: {}", line.trim_end());
        }
    }
    if !reader.buffer().is_empty() {
        bail!("IMAP server sent data after STARTTLS (possible injection); refusing");
    }
    Ok(reader.into_inner())
}

/// An IMAP quoted string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Compresses UIDs into an IMAP sequence set: `1:3,7,9:10`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uid_set;

    #[test]
    fn uid_sets_are_compressed() {
        assert_eq!(uid_set(&[3, 1, 2, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
        assert_eq!(uid_set(&[4, 4, 5]), "4:5");
    }

    #[test]
    fn exchange_throttling_says_how_long_to_wait() {
        assert_eq!(
            super::suggested_backoff(
                "UID FETCH: No Response: Request is throttled. Suggested Backoff Time: 7342 milliseconds"
            ),
            Some(std::time::Duration::from_millis(7342))
        );
        assert_eq!(super::suggested_backoff("NO [UNAVAILABLE] try later"), None);
    }

    #[test]
    fn mechanisms_are_chosen_from_what_the_server_offers() {
        use crate::config::SaslMechanism;
        use crate::mail::sasl::Mechanism;
        let offered = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let both = offered(&["PLAIN", "XOAUTH2", "OAUTHBEARER"]);
        assert_eq!(
            super::choose_mechanism(SaslMechanism::Auto, &both).ok(),
            Some(Mechanism::Xoauth2)
        );
        assert_eq!(
            super::choose_mechanism(SaslMechanism::Auto, &offered(&["OAUTHBEARER"])).ok(),
            Some(Mechanism::Oauthbearer)
        );
        assert_eq!(
            super::choose_mechanism(SaslMechanism::Oauthbearer, &both).ok(),
            Some(Mechanism::Oauthbearer)
        );
        let e = super::choose_mechanism(SaslMechanism::Auto, &offered(&["PLAIN", "LOGIN"]))
            .expect_err("no OAuth mechanism")
            .to_string();
        assert!(
            e.contains("offers no OAuth 2.0 login") && e.contains("AUTH=PLAIN AUTH=LOGIN"),
            "{e}"
        );
        assert!(
            super::choose_mechanism(SaslMechanism::Xoauth2, &offered(&["OAUTHBEARER"])).is_err()
        );
    }

    #[test]
    fn a_refusal_is_quoted_as_the_server_worded_it() {
        let e = async_imap::error::Error::No(
            "code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")".into(),
        );
        assert_eq!(
            super::server_said(&e),
            "NO [AUTHENTICATIONFAILED] Authentication failed."
        );
        let e = async_imap::error::Error::Bad("odd".into());
        assert_eq!(super::server_said(&e), e.to_string());
    }

    #[test]
    fn quoting() {
        assert_eq!(super::quote("FOI.Processed"), "\"FOI.Processed\"");
        assert_eq!(super::quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
