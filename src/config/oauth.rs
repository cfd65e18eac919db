//! `[oauth2]`: how foid gets an access token for the FOI mailbox when
//! `[imap] auth` or `[smtp] auth` is `"oauth2"`. A daemon has no user at a
//! browser, so only the app-only flows are offered: Entra ID client
//! credentials (secret or certificate), a Google Workspace service account
//! with domain-wide delegation, and a generic token endpoint.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::{check_secret, is_loopback_host, Secret};

/// How `[imap]` or `[smtp]` logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// `username` and one of `password`, `password_env`, `password_file`.
    #[default]
    Password,
    /// `username` is the mailbox; the token comes from `[oauth2]`.
    Oauth2,
}

/// The SASL mechanism that carries the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SaslMechanism {
    /// XOAUTH2 when the server offers it (Microsoft and Google do), else
    /// OAUTHBEARER.
    #[default]
    Auto,
    Xoauth2,
    Oauthbearer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Microsoft Entra ID (Exchange Online), client-credentials grant.
    Entra,
    /// Google Workspace service account with domain-wide delegation.
    Google,
    /// Any OAuth 2.0 token endpoint with the client-credentials grant.
    Generic,
}

/// How a client secret is presented to the token endpoint (RFC 6749
/// section 2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// HTTP Basic, which every server must accept.
    Basic,
    /// `client_id` and `client_secret` in the form (what Entra ID's
    /// documentation shows).
    Post,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub provider: Provider,
    /// Entra ID: the directory (tenant) id or its domain.
    pub tenant_id: Option<String>,
    /// Entra ID and generic: the application (client) id.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_secret_env: Option<String>,
    /// Read again at every token request, so a rotated secret is taken up
    /// without a restart.
    pub client_secret_file: Option<PathBuf>,
    /// Entra ID and generic: authenticate with a certificate instead of a
    /// secret (a signed client assertion, RFC 7523 section 2.2).
    pub certificate_file: Option<PathBuf>,
    pub private_key_file: Option<PathBuf>,
    /// Google: the service account's JSON key file.
    pub service_account_file: Option<PathBuf>,
    /// Google: the mailbox the service account acts as; defaults to
    /// `[imap] username`.
    pub subject: Option<String>,
    /// The token endpoint; required for `generic`, overrides the
    /// provider's own otherwise (sovereign clouds, tests).
    pub token_url: Option<String>,
    /// Entra ID: the login host (`https://login.microsoftonline.us` for
    /// GCC High, `https://login.partner.microsoftonline.cn` for 21Vianet).
    #[serde(default = "default_authority")]
    pub authority: String,
    /// Overrides the provider's scope.
    pub scope: Option<String>,
    pub client_auth: Option<ClientAuth>,
    /// A CA file for a token endpoint behind the council's own PKI (or a
    /// TLS-inspecting proxy).
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
    /// A token is renewed this long before it expires (at most half its
    /// lifetime before).
    #[serde(default = "default_refresh_margin_seconds")]
    pub refresh_margin_seconds: u64,
}

fn default_authority() -> String {
    "https://login.microsoftonline.com".into()
}
fn default_timeout_seconds() -> u64 {
    30
}
fn default_refresh_margin_seconds() -> u64 {
    300
}

pub const ENTRA_SCOPE: &str = "https://outlook.office365.com/.default";
pub const GOOGLE_SCOPE: &str = "https://mail.google.com/";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

impl OAuth2 {
    pub fn client_secret(&self) -> Secret<'_> {
        Secret {
            key: "client_secret",
            inline: self.client_secret.as_deref(),
            env: self.client_secret_env.as_deref(),
            file: self.client_secret_file.as_deref(),
        }
    }

    pub fn scope(&self) -> &str {
        match (&self.scope, self.provider) {
            (Some(s), _) => s,
            (None, Provider::Entra) => ENTRA_SCOPE,
            (None, Provider::Google) => GOOGLE_SCOPE,
            (None, Provider::Generic) => "",
        }
    }

    /// The token endpoint, when it does not come from a Google key file.
    pub fn configured_token_url(&self) -> Option<String> {
        match (&self.token_url, self.provider) {
            (Some(url), _) => Some(url.clone()),
            (None, Provider::Entra) => Some(format!(
                "{}/{}/oauth2/v2.0/token",
                self.authority.trim_end_matches('/'),
                self.tenant_id.as_deref().unwrap_or_default()
            )),
            (None, _) => None,
        }
    }

    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth.unwrap_or(match self.provider {
            Provider::Entra => ClientAuth::Post,
            _ => ClientAuth::Basic,
        })
    }

    pub(super) fn problems(&self, bad: &mut impl FnMut(&str, String)) {
        let key = |k: &str| format!("[oauth2] {k}");
        let secret = self.client_secret();
        let has_secret = secret.given() > 0;
        let has_certificate = self.certificate_file.is_some() || self.private_key_file.is_some();
        let needs = |bad: &mut dyn FnMut(&str, String), k: &str, v: &Option<String>| {
            if v.as_deref().is_none_or(|v| v.trim().is_empty()) {
                bad(
                    &key(k),
                    format!("missing: provider {:?} needs it", self.provider_name()),
                );
            }
        };
        match self.provider {
            Provider::Entra | Provider::Generic => {
                if self.provider == Provider::Entra {
                    needs(bad, "tenant_id", &self.tenant_id);
                } else {
                    needs(bad, "token_url", &self.token_url);
                }
                needs(bad, "client_id", &self.client_id);
                if has_secret == has_certificate {
                    bad(
                        &key("client_secret"),
                        "give either a client secret (client_secret, client_secret_env or client_secret_file) or certificate_file with private_key_file, not both and not neither".into(),
                    );
                }
                if has_certificate
                    && (self.certificate_file.is_none() || self.private_key_file.is_none())
                {
                    bad(
                        &key("certificate_file"),
                        "certificate_file and private_key_file go together".into(),
                    );
                }
                if self.service_account_file.is_some() || self.subject.is_some() {
                    bad(
                        &key("service_account_file"),
                        "service_account_file and subject are for provider \"google\"".into(),
                    );
                }
            }
            Provider::Google => {
                if self.service_account_file.is_none() {
                    bad(
                        &key("service_account_file"),
                        "missing: the service account's JSON key file".into(),
                    );
                }
                if has_secret || has_certificate || self.client_id.is_some() {
                    bad(
                        &key("client_id"),
                        "provider \"google\" takes service_account_file, not client_id, secrets or certificates".into(),
                    );
                }
                if let Some(subject) = &self.subject {
                    if !super::is_email_address(subject) {
                        bad(
                            &key("subject"),
                            format!("{subject:?} is not an email address"),
                        );
                    }
                }
            }
        }
        check_secret("oauth2", &secret, bad);
        for (k, file) in [
            ("certificate_file", &self.certificate_file),
            ("private_key_file", &self.private_key_file),
            ("service_account_file", &self.service_account_file),
            ("ca_file", &self.ca_file),
        ] {
            if let Some(file) = file {
                if !file.is_file() {
                    bad(
                        &key(k),
                        format!("{} does not exist or is not a file", file.display()),
                    );
                }
            }
        }
        for (k, url) in [
            ("token_url", self.token_url.as_deref()),
            ("authority", Some(self.authority.as_str())),
        ] {
            if let Some(url) = url {
                if let Err(problem) = check_endpoint(url) {
                    bad(&key(k), problem);
                }
            }
        }
        if self.provider == Provider::Generic && self.scope.is_none() {
            bad(
                &key("scope"),
                "missing: the scope your identity provider grants for the mailbox".into(),
            );
        }
        if self.timeout_seconds == 0 || self.timeout_seconds > 600 {
            bad(&key("timeout_seconds"), "must be between 1 and 600".into());
        }
        if self.refresh_margin_seconds > 3000 {
            bad(
                &key("refresh_margin_seconds"),
                "must be at most 3000 (50 minutes)".into(),
            );
        }
    }

    fn provider_name(&self) -> &'static str {
        match self.provider {
            Provider::Entra => "entra",
            Provider::Google => "google",
            Provider::Generic => "generic",
        }
    }
}

/// A token endpoint must be HTTPS; plain HTTP only to this machine.
fn check_endpoint(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    let host = parsed.host_str().unwrap_or_default();
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(host) => Ok(()),
        "http" => Err(format!(
            "{url:?} would send the client secret in clear: use https (plain http is only allowed to a loopback host)"
        )),
        other => Err(format!("{url:?}: scheme {other:?} is not https")),
    }
}

/// Never prints the secret.
impl fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2")
            .field("provider", &self.provider)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("client_secret_env", &self.client_secret_env)
            .field("client_secret_file", &self.client_secret_file)
            .field("certificate_file", &self.certificate_file)
            .field("private_key_file", &self.private_key_file)
            .field("service_account_file", &self.service_account_file)
            .field("subject", &self.subject)
            .field("token_url", &self.token_url)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}
