//! OAuth 2.0 access tokens for the FOI mailbox: fetched from the token
//! endpoint with the app-only grant of the configured provider, cached in
//! memory, renewed before they expire and never logged.
//!
//! - Entra ID and generic, client secret: `client_credentials` (RFC 6749
//!   section 4.4).
//! - Entra ID and generic, certificate: `client_credentials` with a signed
//!   client assertion (RFC 7523 section 2.2), its header naming the
//!   certificate by SHA-1 thumbprint (`x5t`) as Entra ID requires.
//! - Google: the JWT-bearer grant (RFC 7523 section 2.1) signed with the
//!   service account's key, `sub` the mailbox (domain-wide delegation).

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;
use sha1::Digest;

use crate::config::{ClientAuth, OAuth2, Provider, GOOGLE_TOKEN_URL};

/// A token the provider issued, with when to stop using it.
#[derive(Clone)]
pub struct Token {
    secret: String,
    pub expires_at: jiff::Timestamp,
    /// The source renews the token from this moment; a session logged in
    /// with it should end by then (Exchange Online drops it at expiry).
    pub renew_at: Instant,
    /// What the provider said it granted, when it said.
    pub scope: Option<String>,
    /// Which fetch of this source produced it (1 for the first).
    pub number: u64,
    /// The token endpoint that issued it.
    pub issued_by: String,
}

impl Token {
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("secret", &"***")
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("number", &self.number)
            .finish()
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The provider answered with an OAuth error (RFC 6749 section 5.2):
    /// a wrong tenant, client or secret, a missing consent or delegation.
    #[error("{}", describe_refusal(url, *status, code, description.as_deref()))]
    Refused {
        url: String,
        status: u16,
        code: String,
        description: Option<String>,
    },
    /// Nothing usable came back: no connection, TLS failed, a timeout.
    #[error("cannot get a token from {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// An answer that is not a token and not an OAuth error.
    #[error("the token endpoint {url} answered HTTP {status} with no token: {reason}")]
    BadAnswer {
        url: String,
        status: u16,
        reason: String,
    },
    /// foid's own side: a secret, key or certificate it cannot read.
    #[error("{0}")]
    Credentials(String),
}

fn describe_refusal(url: &str, status: u16, code: &str, description: Option<&str>) -> String {
    let mut out =
        format!("the identity provider at {url} refused the token request (HTTP {status}): {code}");
    if let Some(d) = description {
        // Entra ID appends trace and correlation ids on further lines.
        let first = d.lines().next().unwrap_or(d).trim();
        let first = first.split(" Trace ID:").next().unwrap_or(first);
        out.push_str(&format!(": {first}"));
    }
    if let Some(hint) = hint(code, description.unwrap_or_default()) {
        out.push_str(&format!(" ({hint})"));
    }
    out
}

/// What the commonest refusals mean for the person fixing the setup.
fn hint(code: &str, description: &str) -> Option<&'static str> {
    let aadsts = [
        ("AADSTS90002", "no such tenant: check [oauth2] tenant_id"),
        ("AADSTS900023", "tenant_id is not a valid tenant id or domain"),
        ("AADSTS700016", "no application with this client_id in the tenant: check client_id and tenant_id"),
        ("AADSTS7000215", "the client secret is wrong: give its value, not its id, or it was replaced"),
        ("AADSTS7000222", "the client secret has expired: create a new one in the app registration"),
        ("AADSTS700027", "the assertion's signature was not accepted: upload this certificate to the app registration"),
        ("AADSTS700024", "the assertion's time is off: check this machine's clock"),
        ("AADSTS70011", "the scope is not valid: use https://outlook.office365.com/.default"),
        ("AADSTS1002012", "the scope is not valid: use https://outlook.office365.com/.default"),
        ("AADSTS65001", "admin consent is missing for IMAP.AccessAsApp / SMTP.SendAsApp"),
        ("AADSTS7000112", "the application is disabled in the tenant"),
    ];
    if let Some((_, h)) = aadsts.iter().find(|(c, _)| description.starts_with(c)) {
        return Some(h);
    }
    match code {
        "unauthorized_client" => Some("the client may not use this grant or scope: for Google, grant domain-wide delegation for https://mail.google.com/ to this service account's client id"),
        "invalid_client" => Some("the client id or its secret or certificate is wrong, or the secret was revoked"),
        "invalid_grant" if description.contains("Invalid email") => Some("the subject is not a user of the Google Workspace domain"),
        "invalid_grant" => Some("the assertion was refused: a revoked key, or this machine's clock is off"),
        "invalid_scope" => Some("the scope is not one this client is granted"),
        _ => None,
    }
}

/// The shared token cache of one `[oauth2]` section.
pub struct TokenSource {
    config: OAuth2,
    /// The mailbox a Google service account acts as.
    mailbox: Option<String>,
    cached: tokio::sync::Mutex<Option<Token>>,
    http: OnceLock<reqwest::Client>,
    fetches: AtomicU64,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("provider", &self.config.provider)
            .field("fetches", &self.fetches())
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    pub fn new(config: OAuth2, mailbox: Option<String>) -> TokenSource {
        TokenSource {
            config,
            mailbox,
            cached: tokio::sync::Mutex::new(None),
            http: OnceLock::new(),
            fetches: AtomicU64::new(0),
        }
    }

    /// How many tokens this source has fetched.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The cached token, or a new one when it is due for renewal. Holding
    /// the lock while fetching means IMAP and SMTP never fetch twice.
    pub async fn token(&self) -> Result<Token, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            if Instant::now() < token.renew_at {
                return Ok(token.clone());
            }
        }
        let token = self.fetch().await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    /// A server refused `used`: the next call fetches a new token (unless
    /// another caller already has).
    pub async fn forget(&self, used: &Token) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|t| t.number == used.number) {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<Token, TokenError> {
        let request = self.request(jiff::Timestamp::now())?;
        let url = request.url.clone();
        let http = self.http()?;
        let mut post = http
            .post(&request.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&request.form);
        if let Some((id, secret)) = &request.basic {
            post = post.basic_auth(form_encode(id), Some(form_encode(secret)));
        }
        let asked_at = Instant::now();
        let unreachable = |e: reqwest::Error| TokenError::Unreachable {
            url: url.clone(),
            reason: error_chain(&e),
        };
        let response = post.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(unreachable)?;
        let granted = parse_token_response(&url, status, &body)?;
        let number = self.fetches.fetch_add(1, Ordering::Relaxed) + 1;
        let lifetime = Duration::from_secs(granted.expires_in);
        let margin = Duration::from_secs(self.config.refresh_margin_seconds).min(lifetime / 2);
        let expires_at = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(granted.expires_in as i64))
            .unwrap_or(jiff::Timestamp::MAX);
        tracing::info!(
            token_url = %url,
            number,
            expires_at = %expires_at,
            "OAuth 2.0 token issued"
        );
        Ok(Token {
            secret: granted.access_token,
            expires_at,
            renew_at: asked_at + lifetime - margin,
            scope: granted.scope,
            number,
            issued_by: url,
        })
    }

    fn http(&self) -> Result<&reqwest::Client, TokenError> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        let tls = super::tls::client_config(self.config.ca_file.as_deref())
            .map_err(|e| TokenError::Credentials(format!("[oauth2] ca_file: {e:#}")))?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(std::sync::Arc::unwrap_or_clone(tls))
            .timeout(Duration::from_secs(self.config.timeout_seconds))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("foid/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TokenError::Credentials(format!("HTTP client: {}", error_chain(&e))))?;
        Ok(self.http.get_or_init(|| client))
    }

    /// The token request for the configured provider, reading the secret,
    /// key or certificate now, so that a rotated one is taken up.
    fn request(&self, now: jiff::Timestamp) -> Result<TokenRequest, TokenError> {
        let c = &self.config;
        let scope = c.scope().to_string();
        if c.provider == Provider::Google {
            let path = c
                .service_account_file
                .as_deref()
                .ok_or_else(|| TokenError::Credentials("no service_account_file".into()))?;
            let key = ServiceAccountKey::read(path)?;
            let url = c
                .token_url
                .clone()
                .or_else(|| key.token_uri.clone())
                .unwrap_or_else(|| GOOGLE_TOKEN_URL.to_string());
            let subject = self.mailbox.as_deref().ok_or_else(|| {
                TokenError::Credentials(
                    "[oauth2] subject: no mailbox to act as (set subject or [imap] username)"
                        .into(),
                )
            })?;
            let assertion = google_assertion(&key, subject, &scope, &url, now)?;
            return Ok(TokenRequest {
                form: vec![
                    (
                        "grant_type",
                        "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
                    ),
                    ("assertion", assertion),
                ],
                url,
                basic: None,
            });
        }
        let url = c.configured_token_url().unwrap_or_default();
        let client_id = c.client_id.clone().unwrap_or_default();
        let mut form = vec![("grant_type", "client_credentials".to_string())];
        if !scope.is_empty() {
            form.push(("scope", scope));
        }
        let mut basic = None;
        if let (Some(cert), Some(key)) = (&c.certificate_file, &c.private_key_file) {
            let assertion = client_assertion(&client_id, &url, &read(cert)?, &read(key)?, now)?;
            form.push(("client_id", client_id));
            form.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ));
            form.push(("client_assertion", assertion));
        } else {
            let secret = c
                .client_secret()
                .read()
                .map_err(|e| TokenError::Credentials(format!("[oauth2] {e:#}")))?
                .unwrap_or_default();
            match c.client_auth() {
                ClientAuth::Basic => basic = Some((client_id, secret)),
                ClientAuth::Post => {
                    form.push(("client_id", client_id));
                    form.push(("client_secret", secret));
                }
            }
        }
        Ok(TokenRequest { url, form, basic })
    }
}

struct TokenRequest {
    url: String,
    form: Vec<(&'static str, String)>,
    /// Client id and secret for HTTP Basic.
    basic: Option<(String, String)>,
}

fn read(path: &Path) -> Result<Vec<u8>, TokenError> {
    std::fs::read(path)
        .map_err(|e| TokenError::Credentials(format!("cannot read {}: {e}", path.display())))
}

/// RFC 6749 section 2.3.1: the client id and secret are form-encoded
/// before they go into the Basic header.
fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    out
}

/// What a successful token response holds (RFC 6749 section 5.1).
#[derive(Debug, PartialEq)]
struct Granted {
    access_token: String,
    expires_in: u64,
    scope: Option<String>,
}

/// Lifetime assumed when the provider does not say (RFC 6749 makes
/// `expires_in` only recommended); a refusal before then renews it anyway.
const ASSUMED_LIFETIME_SECONDS: u64 = 3600;

fn parse_token_response(url: &str, status: u16, body: &[u8]) -> Result<Granted, TokenError> {
    #[derive(Deserialize)]
    struct Success {
        access_token: String,
        token_type: Option<String>,
        // A number by the RFC; some providers send a string.
        expires_in: Option<serde_json::Value>,
        scope: Option<String>,
    }
    #[derive(Deserialize)]
    struct Failure {
        error: String,
        error_description: Option<String>,
    }
    let bad = |reason: String| TokenError::BadAnswer {
        url: url.to_string(),
        status,
        reason,
    };
    if (200..300).contains(&status) {
        let s: Success =
            serde_json::from_slice(body).map_err(|e| bad(format!("not a token response: {e}")))?;
        if let Some(t) = &s.token_type {
            if !t.eq_ignore_ascii_case("bearer") {
                return Err(bad(format!("token_type {t:?} is not Bearer")));
            }
        }
        let expires_in = match &s.expires_in {
            None => ASSUMED_LIFETIME_SECONDS,
            Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(ASSUMED_LIFETIME_SECONDS),
            Some(serde_json::Value::String(text)) => text
                .parse()
                .map_err(|_| bad(format!("expires_in {text:?} is not a number")))?,
            Some(other) => return Err(bad(format!("expires_in {other} is not a number"))),
        };
        if s.access_token.is_empty() {
            return Err(bad("the access_token is empty".into()));
        }
        return Ok(Granted {
            access_token: s.access_token,
            expires_in,
            scope: s.scope,
        });
    }
    match serde_json::from_slice::<Failure>(body) {
        Ok(f) => Err(TokenError::Refused {
            url: url.to_string(),
            status,
            code: f.error,
            description: f.error_description,
        }),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text: String = text.trim().chars().take(200).collect();
            Err(bad(if text.is_empty() {
                "an empty body".into()
            } else {
                text
            }))
        }
    }
}

#[derive(Deserialize)]
struct ServiceAccountKey {
    #[serde(rename = "type")]
    kind: String,
    client_email: String,
    private_key: String,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

impl ServiceAccountKey {
    fn read(path: &Path) -> Result<ServiceAccountKey, TokenError> {
        let bytes = read(path)?;
        let key: ServiceAccountKey = serde_json::from_slice(&bytes).map_err(|e| {
            TokenError::Credentials(format!(
                "{} is not a Google service account key file: {e}",
                path.display()
            ))
        })?;
        if key.kind != "service_account" {
            return Err(TokenError::Credentials(format!(
                "{} is a {:?} key, not a service account key",
                path.display(),
                key.kind
            )));
        }
        Ok(key)
    }
}

#[derive(serde::Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

/// Google's JWT-bearer assertion: signed by the service account, for the
/// mailbox `subject`, valid for an hour (Google's maximum).
fn google_assertion(
    key: &ServiceAccountKey,
    subject: &str,
    scope: &str,
    token_url: &str,
    now: jiff::Timestamp,
) -> Result<String, TokenError> {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = key.private_key_id.clone();
    let signing_key = jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.as_bytes())
        .map_err(|e| TokenError::Credentials(format!("the service account's private_key: {e}")))?;
    let iat = now.as_second();
    let claims = AssertionClaims {
        iss: &key.client_email,
        sub: subject,
        aud: token_url,
        scope: Some(scope),
        iat,
        nbf: None,
        exp: iat + 3600,
        jti: None,
    };
    jsonwebtoken::encode(&header, &claims, &signing_key)
        .map_err(|e| TokenError::Credentials(format!("signing the assertion: {e}")))
}

/// A client assertion (RFC 7523 section 2.2) as Entra ID wants it: RS256,
/// the certificate's SHA-1 thumbprint as `x5t`, `iss` = `sub` = client id,
/// `aud` the token endpoint, a unique `jti`, ten minutes' validity.
fn client_assertion(
    client_id: &str,
    token_url: &str,
    certificate_pem: &[u8],
    private_key_pem: &[u8],
    now: jiff::Timestamp,
) -> Result<String, TokenError> {
    let certificate = rustls_pemfile::certs(&mut &certificate_pem[..])
        .next()
        .and_then(|c| c.ok())
        .ok_or_else(|| {
            TokenError::Credentials("[oauth2] certificate_file holds no PEM certificate".into())
        })?;
    let signing_key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key_pem).map_err(|e| {
        TokenError::Credentials(format!(
            "[oauth2] private_key_file is not an RSA private key in PEM: {e}"
        ))
    })?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.x5t = Some(b64.encode(sha1::Sha1::digest(certificate.as_ref())));
    header.x5t_s256 = Some(b64.encode(sha2::Sha256::digest(certificate.as_ref())));
    let iat = now.as_second();
    let claims = AssertionClaims {
        iss: client_id,
        sub: client_id,
        aud: token_url,
        scope: None,
        iat,
        nbf: Some(iat),
        exp: iat + 600,
        jti: Some(hex::encode(rand::random::<[u8; 16]>())),
    };
    jsonwebtoken::encode(&header, &claims, &signing_key)
        .map_err(|e| TokenError::Credentials(format!("signing the client assertion: {e}")))
}

#[cfg(test)]
#[path = "oauth_tests.rs"]
mod tests;
