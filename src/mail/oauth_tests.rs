use super::*;
use crate::config::OAuth2;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oauth");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

fn now() -> jiff::Timestamp {
    "2026-12-02T18:00:00Z".parse().expect("timestamp")
}

fn decode(jwt: &str) -> (jsonwebtoken::Header, serde_json::Value) {
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(&fixture("test-client.pub.pem"))
        .expect("public key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<serde_json::Value>(jwt, &key, &validation)
        .expect("signature verifies with the certificate's public key");
    (data.header, data.claims)
}

fn oauth2(toml_text: &str) -> OAuth2 {
    toml::from_str(toml_text).expect("[oauth2]")
}

#[test]
fn client_assertion_is_what_entra_id_checks() {
    let url = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
    let jwt = client_assertion(
        "11111111-2222-3333-4444-555555555555",
        url,
        &fixture("test-client.pem"),
        &fixture("test-client.key"),
        now(),
    )
    .expect("assertion");
    let (header, claims) = decode(&jwt);
    // The SHA-1 thumbprint of the certificate's DER, as
    // `openssl x509 -outform DER | sha1sum` gives it, base64url.
    assert_eq!(header.x5t.as_deref(), Some("9XrPPexiFLXyDlmtLU4nU7v2xCs"));
    assert_eq!(claims["iss"], "11111111-2222-3333-4444-555555555555");
    assert_eq!(claims["sub"], claims["iss"]);
    assert_eq!(claims["aud"], url);
    let iat = now().as_second();
    assert_eq!(claims["iat"], iat);
    assert_eq!(claims["nbf"], iat);
    assert_eq!(claims["exp"], iat + 600);
    assert_eq!(claims["jti"].as_str().map(str::len), Some(32));
    let again = client_assertion(
        "x",
        url,
        &fixture("test-client.pem"),
        &fixture("test-client.key"),
        now(),
    )
    .expect("assertion");
    assert_ne!(decode(&again).1["jti"], claims["jti"], "jti is unique");
}

#[test]
fn google_assertion_acts_as_the_mailbox() {
    let path = std::path::PathBuf::from(format!("{FIXTURES}/service-account.json"));
    let key = ServiceAccountKey::read(&path).expect("key file");
    let jwt = google_assertion(
        &key,
        "foi@council.gov.uk",
        "https://mail.google.com/",
        "https://oauth2.googleapis.com/token",
        now(),
    )
    .expect("assertion");
    let (header, claims) = decode(&jwt);
    assert_eq!(header.kid.as_deref(), Some("0123456789abcdef"));
    assert_eq!(claims["iss"], "foid@foid-test.iam.gserviceaccount.com");
    assert_eq!(claims["sub"], "foi@council.gov.uk");
    assert_eq!(claims["scope"], "https://mail.google.com/");
    assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
    assert_eq!(claims["exp"], now().as_second() + 3600);
}

#[test]
fn a_key_file_of_another_kind_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("key.json");
    std::fs::write(
        &path,
        r#"{"type":"authorized_user","client_email":"a","private_key":"b"}"#,
    )
    .expect("write");
    let Err(e) = ServiceAccountKey::read(&path) else {
        panic!("an authorized_user key is not a service account key")
    };
    let e = e.to_string();
    assert!(
        e.contains("\"authorized_user\" key, not a service account"),
        "{e}"
    );
}

#[test]
fn requests_per_provider() {
    let generic = TokenSource::new(
        oauth2(
            r#"provider = "generic"
token_url = "https://idp.council.gov.uk/token"
client_id = "foid"
client_secret = "s3cret~x"
scope = "mail""#,
        ),
        None,
    );
    let r = generic.request(now()).expect("request");
    assert_eq!(r.url, "https://idp.council.gov.uk/token");
    assert_eq!(r.basic, Some(("foid".into(), "s3cret~x".into())));
    assert!(r.form.iter().all(|(k, _)| *k != "client_secret"));
    assert!(r.form.contains(&("scope", "mail".into())));

    let entra = TokenSource::new(
        oauth2(
            r#"provider = "entra"
tenant_id = "contoso.onmicrosoft.com"
client_id = "app"
client_secret = "v""#,
        ),
        None,
    );
    let r = entra.request(now()).expect("request");
    assert_eq!(
        r.url,
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    assert_eq!(r.basic, None);
    for pair in [
        ("grant_type", "client_credentials"),
        ("client_id", "app"),
        ("client_secret", "v"),
        ("scope", "https://outlook.office365.com/.default"),
    ] {
        assert!(r.form.contains(&(pair.0, pair.1.into())), "{pair:?}");
    }

    let with_certificate = TokenSource::new(
        oauth2(&format!(
            r#"provider = "entra"
tenant_id = "t"
authority = "https://login.microsoftonline.us/"
client_id = "app"
certificate_file = "{FIXTURES}/test-client.pem"
private_key_file = "{FIXTURES}/test-client.key""#
        )),
        None,
    );
    let r = with_certificate.request(now()).expect("request");
    assert_eq!(
        r.url,
        "https://login.microsoftonline.us/t/oauth2/v2.0/token"
    );
    let assertion = r
        .form
        .iter()
        .find(|(k, _)| *k == "client_assertion")
        .map(|(_, v)| v.clone())
        .expect("client_assertion");
    assert_eq!(decode(&assertion).1["aud"], r.url);
    assert!(r.form.iter().all(|(k, _)| *k != "client_secret"));

    let google = TokenSource::new(
        oauth2(&format!(
            r#"provider = "google"
service_account_file = "{FIXTURES}/service-account.json""#
        )),
        Some("foi@council.gov.uk".into()),
    );
    let r = google.request(now()).expect("request");
    assert_eq!(r.url, "https://oauth2.googleapis.com/token");
    assert_eq!(
        r.form[0],
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:jwt-bearer".into()
        )
    );
}

#[test]
fn basic_credentials_are_form_encoded_first() {
    assert_eq!(form_encode("a b~c:d"), "a+b%7Ec%3Ad");
}

#[test]
fn token_responses_are_read_as_providers_send_them() {
    let url = "https://idp/token";
    let ok = |body: &str| parse_token_response(url, 200, body.as_bytes());
    assert_eq!(
        ok(r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0"}"#)
            .expect("Entra ID's shape"),
        Granted {
            access_token: "eyJ0".into(),
            expires_in: 3599,
            scope: None
        }
    );
    assert_eq!(
        ok(r#"{"access_token":"t","expires_in":"60","token_type":"bearer","scope":"mail"}"#)
            .expect("a string lifetime")
            .expires_in,
        60
    );
    assert_eq!(
        ok(r#"{"access_token":"t"}"#)
            .expect("no lifetime")
            .expires_in,
        ASSUMED_LIFETIME_SECONDS
    );
    assert!(matches!(
        ok(r#"{"access_token":"t","token_type":"mac"}"#),
        Err(TokenError::BadAnswer { .. })
    ));
    let e =
        parse_token_response(url, 502, b"<html>Bad Gateway</html>").expect_err("a proxy's page");
    assert!(
        e.to_string().contains("HTTP 502") && e.to_string().contains("Bad Gateway"),
        "{e}"
    );
}

#[test]
fn entra_refusals_name_the_code_and_what_to_do() {
    let body = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID. Trace ID: 0a1b Correlation ID: 2c3d Timestamp: 2026-12-02 18:00:00Z","error_codes":[7000215]}"#;
    let e =
        parse_token_response("https://login/t/token", 401, body.as_bytes()).expect_err("refused");
    let text = e.to_string();
    assert!(
        text.contains("HTTP 401): invalid_client: AADSTS7000215: Invalid client secret provided."),
        "{text}"
    );
    assert!(!text.contains("Trace ID"), "{text}");
    assert!(text.contains("give its value, not its id"), "{text}");
    match e {
        TokenError::Refused { code, .. } => assert_eq!(code, "invalid_client"),
        other => panic!("{other:?}"),
    }
    let google = r#"{"error":"unauthorized_client","error_description":"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."}"#;
    let text = parse_token_response(
        "https://oauth2.googleapis.com/token",
        401,
        google.as_bytes(),
    )
    .expect_err("refused")
    .to_string();
    assert!(text.contains("domain-wide delegation"), "{text}");
}

#[test]
fn a_token_is_never_printed() {
    let t = Token {
        secret: "eyJsecret".into(),
        expires_at: now(),
        renew_at: Instant::now(),
        scope: None,
        number: 1,
        issued_by: "https://idp/token".into(),
    };
    assert!(!format!("{t:?}").contains("eyJsecret"));
}
