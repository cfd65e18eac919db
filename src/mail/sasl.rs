//! The two SASL mechanisms that carry an OAuth 2.0 bearer token: XOAUTH2
//! (Google's, also what Exchange Online speaks) and OAUTHBEARER (RFC 7628).
//! Both are a single client message; a refusal comes back as a JSON
//! challenge, which the client must answer before the server says NO.

/// The XOAUTH2 initial client response (before base64).
pub fn xoauth2(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

/// The OAUTHBEARER initial client response (RFC 7628 section 3.1): a GS2
/// header naming the user, then key-value pairs.
pub fn oauthbearer(user: &str, token: &str, host: &str, port: u16) -> String {
    format!(
        "n,a={},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01",
        gs2_saslname(user)
    )
}

/// RFC 5801 section 4: `,` and `=` in the authorization identity.
fn gs2_saslname(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// What the client sends after an error challenge, so that the server
/// finishes with its tagged NO: an empty response for XOAUTH2, a single
/// %x01 for OAUTHBEARER (RFC 7628 section 3.2.3).
pub fn after_error(mechanism: Mechanism) -> &'static str {
    match mechanism {
        Mechanism::Xoauth2 => "",
        Mechanism::Oauthbearer => "\x01",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Xoauth2,
    Oauthbearer,
}

impl Mechanism {
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Xoauth2 => "XOAUTH2",
            Mechanism::Oauthbearer => "OAUTHBEARER",
        }
    }
}

/// The server's error challenge, in words: `{"status":"401",
/// "schemes":"bearer","scope":"..."}` (RFC 7628 section 3.2.2).
pub fn describe_error_challenge(challenge: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Challenge {
        status: Option<String>,
        scope: Option<String>,
    }
    match serde_json::from_slice::<Challenge>(challenge) {
        Ok(c) => {
            let mut out = format!("status {}", c.status.as_deref().unwrap_or("?"));
            if let Some(scope) = c.scope {
                out.push_str(&format!(", scope needed {scope:?}"));
            }
            out
        }
        Err(_) => String::from_utf8_lossy(challenge).trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn xoauth2_matches_googles_published_example() {
        // developers.google.com/gmail/imap/xoauth2-protocol
        assert_eq!(
            b64(&xoauth2(
                "someuser@example.com",
                "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
            )),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
    }

    #[test]
    fn xoauth2_matches_microsofts_published_example() {
        // learn.microsoft.com: Authenticate an IMAP, POP or SMTP connection
        // using OAuth
        assert_eq!(
            b64(&xoauth2(
                "test@contoso.onmicrosoft.com",
                "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA"
            )),
            "dXNlcj10ZXN0QGNvbnRvc28ub25taWNyb3NvZnQuY29tAWF1dGg9QmVhcmVyIEV3QkFBbDNCQUFVRkZwVUFvN0ozVmUwYmpMQldaV0NjbFJDM0VvQUEBAQ=="
        );
    }

    #[test]
    fn oauthbearer_matches_rfc_7628_example() {
        // RFC 7628 section 4.1
        assert_eq!(
            b64(&oauthbearer(
                "user@example.com",
                "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
                "server.example.com",
                143
            )),
            "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"
        );
    }

    #[test]
    fn oauthbearer_escapes_comma_and_equals_in_the_user() {
        let r = oauthbearer("a,b=c@example.com", "t", "h", 1);
        assert!(r.starts_with("n,a=a=2Cb=3Dc@example.com,\x01"), "{r:?}");
    }

    #[test]
    fn error_challenge_is_described() {
        // RFC 7628 section 4.3
        let c = br#"{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#;
        assert_eq!(
            describe_error_challenge(c),
            "status invalid_token, scope needed \"example_scope\""
        );
        assert_eq!(describe_error_challenge(b"not json "), "not json");
    }
}
