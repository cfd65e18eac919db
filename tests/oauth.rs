//! OAuth 2.0 logins on the real test bed: the npm `oidc-provider` issues
//! client-credentials tokens, Dovecot's oauth2 passdb checks each one by
//! introspection (and that its `mailbox` claim is the user logging in), and
//! Postfix submission authenticates through Dovecot, so SMTP AUTH XOAUTH2
//! goes through the same chain. Nothing here is mocked.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

fn write(bed: &TestBed, name: &str, text: &str) -> PathBuf {
    let path = bed.dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

fn wait_for_log(log: &Path, needle: &str, timeout: Duration) -> String {
    let start = Instant::now();
    loop {
        let text = read_text(log);
        if text.contains(needle) {
            return text;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out waiting for {needle:?} in the log:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn run_with_oauth2_keeps_working_across_token_expiries_mid_idle() {
    // 12-second tokens: foid renews each at half its life (the margin is
    // capped at half), and ends its IDLE then to log in afresh.
    let bed = TestBed::start_with(&[("FOID_TB_OAUTH_TTL", "12")]);
    let secret = write(
        &bed,
        "secret",
        &format!("{}\n", bed.var("FOID_TB_OAUTH_SECRET")),
    );
    let db = bed.sqlite_url("oauth.db");
    let config = write(
        &bed,
        "oauth.toml",
        &bed.oauth_config_text(&db, FOI, &bed.generic_oauth2(&secret), ""),
    );
    // As on Exchange Online: the mailbox's sent folder is "Sent Items",
    // marked \Sent, and the configuration does not name it.
    let sent_items = bed.dir.path().join("bed/mail/council.test/foi/.Sent Items");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(sent_items.join(sub)).expect("Sent Items");
    }
    let owned = std::process::Command::new("chown")
        .args(["-R", "mail:mail"])
        .arg(bed.dir.path().join("bed/mail/council.test"))
        .status()
        .expect("chown");
    assert!(owned.success());
    let log = bed.dir.path().join("foid.log");
    let mut daemon = start_daemon(&config, &log);

    let requesters = ["alice@public.test", "bob@public.test", "carol@public.test"];
    for (n, who) in requesters.iter().enumerate() {
        if n > 0 {
            // Past the lifetime of the token the last login used, with
            // the daemon waiting in IDLE all the while.
            std::thread::sleep(Duration::from_secs(14));
        }
        let mut smtp = bed.smtp();
        smtp.send(
            who,
            FOI,
            &request(
                n + 1,
                who,
                "Road repairs",
                "How many potholes were repaired in 2025?",
            ),
        );
        smtp.quit();
        assert_eq!(
            bed.wait_for_maildir(who, "", 1, Duration::from_secs(60)),
            1,
            "{who} is acknowledged over SMTP with a token:\n{}",
            read_text(&log)
        );
    }
    // The copies of the three acknowledgements (and of the case emails)
    // are kept in the folder the server marks \Sent.
    assert!(
        bed.wait_for_maildir(FOI, ".Sent Items", 3, Duration::from_secs(30)) >= 3,
        "copies in Sent Items:\n{}",
        read_text(&log)
    );
    assert_eq!(
        bed.maildir_count(FOI, ".Sent"),
        0,
        "no Sent folder of foid's own"
    );
    stop_daemon(&mut daemon);

    let foid_log = read_text(&log);
    let provider_log = read_text(bed.var("FOID_TB_OAUTH_LOG"));
    let dovecot_log = read_text(bed.dir.path().join("bed/log/dovecot.log"));
    let postfix_log = read_text(bed.dir.path().join("bed/log/postfix.log"));
    let issued = count(&provider_log, "token issued to foid");
    let logins = count(
        &dovecot_log,
        "Login: user=<foi@council.test>, method=XOAUTH2",
    );
    let renewed = count(
        &foid_log,
        "IMAP session renewed with a fresh OAuth 2.0 token",
    );
    // About 30 s of running with 12-s tokens renewed at 6 s: several
    // tokens, each IDLE ended and the session logged in again.
    assert!(issued >= 4, "tokens issued: {issued}\n{provider_log}");
    assert!(renewed >= 3, "sessions renewed: {renewed}\n{foid_log}");
    assert!(logins > renewed, "IMAP XOAUTH2 logins: {logins}");
    assert!(
        count(
            &postfix_log,
            "sasl_method=XOAUTH2, sasl_username=foi@council.test"
        ) >= 3,
        "acknowledgements submitted with XOAUTH2:\n{postfix_log}"
    );
    assert!(
        !foid_log.contains("refused"),
        "no login was refused:\n{foid_log}"
    );
    assert!(
        !foid_log.contains("Bearer"),
        "no token reaches the log:\n{foid_log}"
    );
}

#[test]
fn a_revoked_secret_is_reported_backed_off_and_recovered_from() {
    let bed = TestBed::start_with(&[("FOID_TB_OAUTH_TTL", "6")]);
    let secret = write(&bed, "secret", &bed.var("FOID_TB_OAUTH_SECRET"));
    let db = bed.sqlite_url("revoked.db");
    let config = write(
        &bed,
        "revoked.toml",
        &bed.oauth_config_text(&db, FOI, &bed.generic_oauth2(&secret), ""),
    );
    let log = bed.dir.path().join("foid.log");
    let mut daemon = start_daemon(&config, &log);
    let mut smtp = bed.smtp();
    smtp.send(
        "alice@public.test",
        FOI,
        &request(1, "alice@public.test", "Before", "How many libraries?"),
    );
    smtp.quit();
    assert_eq!(
        bed.wait_for_maildir("alice@public.test", "", 1, Duration::from_secs(60)),
        1
    );

    // The council's IT revokes the secret at the provider (a new one is
    // issued); every token issued so far dies with the old provider.
    bed.control_with("oauth-secret", &["rotated-secret-2"]);
    let text = wait_for_log(&log, "invalid_client", Duration::from_secs(60));
    assert!(
        text.contains("refused the token request (HTTP 401): invalid_client"),
        "the provider's refusal is named:\n{text}"
    );
    assert!(text.contains("was revoked"), "with what it means:\n{text}");
    // Mail arriving meanwhile waits; foid backs off rather than hammering.
    let mut smtp = bed.smtp();
    smtp.send(
        "bob@public.test",
        FOI,
        &request(2, "bob@public.test", "During", "How many parks?"),
    );
    smtp.quit();
    std::thread::sleep(Duration::from_secs(10));
    let refusals = count(
        &read_text(bed.var("FOID_TB_OAUTH_LOG")),
        "token refused: invalid_client",
    );
    assert!(
        (1..=8).contains(&refusals),
        "10 s of a revoked secret cost {refusals} token requests"
    );
    let during = read_text(&log);
    assert!(
        during.contains("retry_in"),
        "the failure is retried later:\n{during}"
    );

    // The new secret goes into the file; foid reads it at its next try.
    std::fs::write(&secret, "rotated-secret-2\n").expect("write secret");
    assert_eq!(
        bed.wait_for_maildir("bob@public.test", "", 1, Duration::from_secs(150)),
        1,
        "recovered:\n{}",
        read_text(&log)
    );
    stop_daemon(&mut daemon);
}

#[test]
fn check_config_reports_the_token_and_a_refusal_for_the_wrong_mailbox() {
    let bed = TestBed::start();
    let secret = write(&bed, "secret", &bed.var("FOID_TB_OAUTH_SECRET"));
    let db = bed.sqlite_url("check.db");

    let good = write(
        &bed,
        "good.toml",
        &bed.oauth_config_text(&db, FOI, &bed.generic_oauth2(&secret), ""),
    );
    let (ok, out, err) = check_config_connect(&good, &[]);
    assert!(ok, "{out}\n{err}");
    let token_line = out
        .lines()
        .find(|l| l.starts_with("oauth2 token: OK"))
        .unwrap_or_else(|| panic!("a token line:\n{out}"));
    assert!(
        token_line.contains(&format!("from {}", bed.var("FOID_TB_OAUTH_TOKEN_URL")))
            && token_line.contains("(in 59 min)")
            && token_line.contains("scope mail"),
        "{token_line}"
    );
    assert!(out.contains("imap: OK"), "{out}");
    assert!(out.contains("smtp: OK"), "{out}");

    // The provider issues the token (for foi@), Dovecot refuses it for
    // clerk@: the report says the token was good and the mailbox is not.
    let wrong = write(
        &bed,
        "wrong.toml",
        &bed.oauth_config_text(&db, "clerk@council.test", &bed.generic_oauth2(&secret), ""),
    );
    let (ok, out, _) = check_config_connect(&wrong, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("oauth2 token: OK"), "{out}");
    let imap = out
        .lines()
        .find(|l| l.starts_with("imap: FAILED"))
        .unwrap_or_else(|| panic!("an IMAP failure:\n{out}"));
    assert!(
        imap.contains(
            "refused XOAUTH2 for clerk@council.test with a token the identity provider issued"
        ) && imap.contains("lack access to this mailbox"),
        "{imap}"
    );
    let provider_log = read_text(bed.var("FOID_TB_OAUTH_LOG"));
    assert_eq!(
        count(&provider_log, "token issued to foid"),
        3,
        "one token per run, and one more after the refusal:\n{provider_log}"
    );
}

#[test]
fn a_certificate_assertion_and_oauthbearer_log_in() {
    let bed = TestBed::start();
    let db = bed.sqlite_url("cert.db");
    // Entra ID's certificate flow, pointed at the test bed's provider.
    let entra = format!(
        r#"provider = "entra"
tenant_id = "council.test"
client_id = "{id}"
certificate_file = "{cert}"
private_key_file = "{key}"
token_url = "{url}""#,
        id = bed.var("FOID_TB_OAUTH_CERT_CLIENT_ID"),
        cert = bed.var("FOID_TB_OAUTH_CERT"),
        key = bed.var("FOID_TB_OAUTH_KEY"),
        url = bed.var("FOID_TB_OAUTH_TOKEN_URL"),
    );
    let config = write(
        &bed,
        "cert.toml",
        &bed.oauth_config_text(&db, FOI, &entra, "sasl_mechanism = \"oauthbearer\""),
    );
    let (ok, out, err) = check_config_connect(&config, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("scope https://outlook.office365.com/.default"),
        "Entra ID's scope by default:\n{out}"
    );
    assert!(
        out.contains("imap: OK") && out.contains("smtp: OK"),
        "{out}"
    );
    let dovecot_log = read_text(bed.dir.path().join("bed/log/dovecot.log"));
    assert!(
        dovecot_log.contains("Login: user=<foi@council.test>, method=OAUTHBEARER"),
        "{dovecot_log}"
    );
    assert!(
        read_text(bed.var("FOID_TB_OAUTH_LOG")).contains("token issued to foid-cert"),
        "the provider checked the assertion against the client's certificate"
    );
}
