//! Shared by the integration tests: the real-server test bed (Dovecot,
//! Postfix, PostgreSQL started by tests/testbed/testbed.sh on loopback high
//! ports in a temporary directory), configurations pointing at it, and a
//! byte-exact SMTP client for injecting mail.
//!
//! A test that needs the test bed fails when it cannot start — it never
//! skips.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub mod office;

use foid::config::Config;

pub const FOI: &str = "foi@council.test";
pub const OFFICER1: &str = "officer1@council.test";
pub const OFFICER2: &str = "officer2@council.test";

pub struct TestBed {
    pub dir: tempfile::TempDir,
    pub env: HashMap<String, String>,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testbed/testbed.sh")
}

impl TestBed {
    pub fn start() -> TestBed {
        TestBed::start_with(&[])
    }

    /// Started with `testbed.sh` settings such as `FOID_TB_OAUTH_TTL`.
    pub fn start_with(settings: &[(&str, &str)]) -> TestBed {
        let dir = tempfile::Builder::new()
            .prefix("foid-testbed-")
            .tempdir_in("/tmp")
            .expect("temporary directory for the test bed");
        // The servers' users must traverse the directory; the script wants
        // its own directory empty, so the logs stay beside it.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod test bed directory");
        let bed = dir.path().join("bed");
        std::fs::create_dir(&bed).expect("test bed directory");
        let log = dir.path().join("start.log");
        // Dovecot keeps the caller's stderr open for ever: never pipe it.
        let status = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(&bed)
            .envs(settings.iter().copied())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).expect("log file"))
            .stderr(std::fs::File::create(dir.path().join("start.err")).expect("log file"))
            .status()
            .expect("running tests/testbed/testbed.sh");
        if !status.success() {
            let out = std::fs::read_to_string(&log).unwrap_or_default();
            let err = std::fs::read_to_string(dir.path().join("start.err")).unwrap_or_default();
            // Stop whatever did start before failing.
            let _ = Command::new("bash")
                .arg(script())
                .arg("stop")
                .arg(&bed)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            panic!(
                "the test bed (Dovecot, Postfix, PostgreSQL) did not start; run `tests/testbed/testbed.sh install` as root.\n{out}\n{err}"
            );
        }
        let env_text = std::fs::read_to_string(bed.join("testbed.env"))
            .expect("testbed.env written by testbed.sh");
        let env = env_text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        TestBed { dir, env }
    }

    pub fn var(&self, key: &str) -> String {
        self.env
            .get(key)
            .unwrap_or_else(|| panic!("testbed.env has no {key}"))
            .clone()
    }

    pub fn port(&self, key: &str) -> u16 {
        self.var(key).parse().expect("port number")
    }

    pub fn password(&self) -> String {
        self.var("FOID_TB_PASSWORD")
    }

    pub fn ca(&self) -> String {
        self.var("FOID_TB_CA")
    }

    pub fn pg_url(&self) -> String {
        self.var("FOID_TB_PG_URL")
    }

    /// Runs a testbed.sh subcommand against this test bed (stop-imap, …).
    pub fn bed_dir(&self) -> PathBuf {
        self.dir.path().join("bed")
    }

    pub fn control(&self, action: &str) {
        self.control_with(action, &[]);
    }

    pub fn control_with(&self, action: &str, args: &[&str]) {
        let status = Command::new("bash")
            .arg(script())
            .arg(action)
            .arg(self.bed_dir())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("running testbed.sh");
        assert!(status.success(), "testbed.sh {action} failed");
    }

    /// A configuration for the FOI mailbox on this test bed: IMAP over
    /// implicit TLS with the test bed's CA, SMTP submission with STARTTLS.
    pub fn config_text(&self, database_url: &str, extra: &str) -> String {
        self.config_text_with(database_url, "", true, extra)
    }

    /// The same with extra `[imap]` keys, and optionally without `[smtp]`
    /// (the outbox then stays unsent).
    pub fn config_text_with(
        &self,
        database_url: &str,
        imap_extra: &str,
        smtp: bool,
        extra: &str,
    ) -> String {
        let smtp = if smtp {
            format!(
                r#"
[smtp]
host = "localhost"
port = {submission}
tls = "starttls"
ca_file = "{ca}"
username = "{FOI}"
password = "{pw}"
timeout_seconds = 20
"#,
                submission = self.port("FOID_TB_SUBMISSION_PORT"),
                ca = self.ca(),
                pw = self.password(),
            )
        } else {
            String::new()
        };
        format!(
            r#"
[council]
name = "Test Borough Council"
address = "{FOI}"
domain = "council.test"

[database]
url = "{database_url}"

[imap]
host = "localhost"
port = {imaps}
tls = "implicit"
ca_file = "{ca}"
username = "{FOI}"
password = "{pw}"
processed_folder = "FOI/Processed"
quarantine_folder = "FOI/Quarantine"
sent_folder = "Sent"
timeout_seconds = 20
{imap_extra}
{smtp}
[officers]
team = ["{OFFICER1}", "{OFFICER2}"]
manager = "manager@council.test"
{extra}
"#,
            imaps = self.port("FOID_TB_IMAPS_PORT"),
            ca = self.ca(),
            pw = self.password(),
        )
    }

    /// `foid.toml` for this test bed with `auth = "oauth2"` for IMAP (as
    /// `imap_user`) and SMTP, the `[oauth2]` section given, and no
    /// `sent_folder` (the server's `\Sent` one is found).
    pub fn oauth_config_text(
        &self,
        database_url: &str,
        imap_user: &str,
        oauth2: &str,
        imap_extra: &str,
    ) -> String {
        let login = format!("username = \"{FOI}\"\npassword = \"{}\"\n", self.password());
        let text = self
            .config_text_with(
                database_url,
                imap_extra,
                true,
                &format!("[oauth2]\n{oauth2}\n"),
            )
            .replacen(
                &login,
                &format!("auth = \"oauth2\"\nusername = \"{imap_user}\"\n"),
                1,
            )
            .replacen(
                &login,
                &format!("auth = \"oauth2\"\nusername = \"{FOI}\"\n"),
                1,
            )
            .replacen("sent_folder = \"Sent\"\n", "", 1);
        assert!(!text.contains("password ="), "both logins are OAuth 2.0");
        text
    }

    /// `[oauth2]` for the test bed's provider: the generic client-credentials
    /// client `foid`, its secret read from `secret_file`.
    pub fn generic_oauth2(&self, secret_file: &Path) -> String {
        format!(
            r#"provider = "generic"
token_url = "{url}"
client_id = "{id}"
client_secret_file = "{file}"
scope = "mail""#,
            url = self.var("FOID_TB_OAUTH_TOKEN_URL"),
            id = self.var("FOID_TB_OAUTH_CLIENT_ID"),
            file = secret_file.display(),
        )
    }

    /// Writes a configuration file into the test bed's directory.
    pub fn write_config(&self, name: &str, database_url: &str, extra: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, self.config_text(database_url, extra)).expect("write config");
        path
    }

    pub fn config(&self, database_url: &str) -> Config {
        Config::parse(&self.config_text(database_url, ""), Path::new("test.toml"))
            .expect("test bed configuration is valid")
    }

    /// A SQLite database file inside the test bed's directory.
    pub fn sqlite_url(&self, name: &str) -> String {
        format!("sqlite://{}", self.dir.path().join(name).display())
    }

    /// An SMTP session to the plain MX port, as the outside world sends.
    pub fn smtp(&self) -> SmtpClient {
        SmtpClient::connect(self.port("FOID_TB_SMTP_PORT"))
    }

    /// Counts messages in a user's maildir folder (`""` is the inbox,
    /// `.FOI.Processed` a subfolder), new and cur together.
    pub fn maildir_count(&self, user: &str, folder: &str) -> usize {
        let (local, domain) = user.split_once('@').expect("address");
        let root = Path::new(&self.var("FOID_TB_MAILDIR_ROOT"))
            .join(domain)
            .join(local)
            .join(folder);
        ["new", "cur"]
            .iter()
            .map(|sub| {
                std::fs::read_dir(root.join(sub))
                    .map(|d| d.count())
                    .unwrap_or(0)
            })
            .sum()
    }

    /// Waits until a maildir folder holds at least `n` messages.
    pub fn wait_for_maildir(&self, user: &str, folder: &str, n: usize, timeout: Duration) -> usize {
        let start = Instant::now();
        loop {
            let count = self.maildir_count(user, folder);
            if count >= n || start.elapsed() > timeout {
                return count;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TestBed {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(self.bed_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A minimal SMTP client that sends bytes exactly as given (dot-stuffed),
/// for injecting many messages over one connection.
pub struct SmtpClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl SmtpClient {
    pub fn connect(port: u16) -> SmtpClient {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to test bed SMTP");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let writer = stream.try_clone().expect("clone");
        let mut c = SmtpClient {
            reader: BufReader::new(stream),
            writer,
        };
        c.expect("220");
        c.command("EHLO tests.example", "250");
        c
    }

    fn read_reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("SMTP reply");
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }

    fn expect(&mut self, code: &str) -> String {
        let reply = self.read_reply();
        assert!(reply.starts_with(code), "expected {code}, got {reply}");
        reply
    }

    pub fn command(&mut self, line: &str, code: &str) -> String {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("SMTP write");
        self.expect(code)
    }

    /// Sends one message; `bytes` should use CRLF line ends.
    pub fn send(&mut self, from: &str, to: &str, bytes: &[u8]) {
        self.command(&format!("MAIL FROM:<{from}>"), "250");
        self.command(&format!("RCPT TO:<{to}>"), "250");
        self.command("DATA", "354");
        let mut data = Vec::with_capacity(bytes.len() + 8);
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            if line.starts_with(b".") {
                data.push(b'.');
            }
            data.extend_from_slice(line);
        }
        if !data.ends_with(b"\r\n") {
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b".\r\n");
        self.writer.write_all(&data).expect("SMTP data");
        self.expect("250");
    }

    pub fn quit(mut self) {
        let _ = self.writer.write_all(b"QUIT\r\n");
        let _ = self.read_reply();
    }
}

/// A configuration that needs no mail server: SQLite and a local Maildir.
pub fn local_config_text(database: &Path, maildir: &Path) -> String {
    format!(
        "[council]\nname = \"Test Borough Council\"\naddress = \"{FOI}\"\ndomain = \"council.test\"\n\
         [database]\nurl = \"sqlite://{}\"\n[source]\nmaildir = \"{}\"\n\
         [officers]\nteam = [\"{OFFICER1}\"]\n",
        database.display(),
        maildir.display()
    )
}

/// A plain request from an outsider.
pub fn request(n: usize, from: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Requester {n} <{from}>\r\nTo: {FOI}\r\nSubject: {subject}\r\nMessage-ID: <req-{n}-{nonce}@public.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        nonce = std::process::id()
    )
    .into_bytes()
}

/// `foid run` as a council runs it, a separate process, its output
/// appended to `log`.
pub fn start_daemon(config: &Path, log: &Path) -> std::process::Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    foid()
        .args(["--config", config.to_str().expect("path"), "run"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start foid run")
}

/// Stops `foid run` with SIGTERM, as systemd does, and expects a clean exit.
pub fn stop_daemon(daemon: &mut std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(
        daemon.wait().expect("wait").success(),
        "foid run exits cleanly on SIGTERM"
    );
}

/// A file's text, or nothing if it is not there (yet).
pub fn read_text(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The foid binary built for these tests.
pub fn foid() -> Command {
    let bin = match option_env!("CARGO_BIN_EXE_foid") {
        Some(bin) => PathBuf::from(bin),
        // The benchmarks in examples/ that share this module run the
        // release binary themselves; this is only a fallback.
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/debug/foid"),
    };
    let mut c = Command::new(bin);
    c.env_remove("FOID_CONFIG").env("RUST_LOG", "warn");
    c
}

/// Runs the foid binary and returns (success, stdout, stderr).
pub fn run_foid(args: &[&str]) -> (bool, String, String) {
    let out = foid()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running foid");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `foid --config CONFIG check-config --connect` with any further flags.
pub fn check_config_connect(config: &Path, more: &[&str]) -> (bool, String, String) {
    let config = config.to_str().expect("utf8 path");
    let mut args = vec!["--config", config, "check-config", "--connect"];
    args.extend_from_slice(more);
    run_foid(&args)
}

/// A processing context on a fresh SQLite database in `dir`, no servers.
pub async fn local_context(dir: &Path) -> foid::daemon::Context {
    local_context_with(dir, "").await
}

/// The same with more configuration after `[officers] team` (keys of that
/// section first, then other sections).
pub async fn local_context_with(dir: &Path, extra: &str) -> foid::daemon::Context {
    let text = local_config_text(&dir.join("local.db"), dir) + extra;
    let config = foid::config::Config::parse(&text, Path::new("t.toml")).expect("config");
    let store = foid::store::Store::open(&config.database.url)
        .await
        .expect("store");
    store.migrate().await.expect("migrate");
    foid::daemon::Context::new(config, store)
        .await
        .expect("context")
}

/// `dir/foid.toml` for the commands, on [`local_context`]'s database.
pub fn local_config_file(dir: &Path) -> PathBuf {
    let config = dir.join("foid.toml");
    std::fs::write(&config, local_config_text(&dir.join("local.db"), dir)).expect("config");
    config
}

/// Writes `text` (LF line ends, made CRLF) to `dir/name` and imports it.
pub async fn import_text(ctx: &foid::daemon::Context, dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text.replace('\n', "\r\n")).expect("write");
    foid::daemon::import::import_paths(ctx, &[path])
        .await
        .expect("import");
}

/// Closes a case as the send stage (`Answered`) or an officer's `#close`
/// does, with the outcome recorded for each question.
pub async fn close_case(
    ctx: &foid::daemon::Context,
    case: foid::core::case::CaseId,
    on: jiff::civil::Date,
    closure: foid::core::case::Closure,
    outcomes: &[foid::core::case::QuestionOutcome],
) {
    let mut tx = ctx.store.begin().await.expect("tx");
    foid::store::set_outcomes(&mut tx, case, outcomes)
        .await
        .expect("outcomes");
    foid::store::set_case_state(
        &mut tx,
        case,
        foid::core::case::CaseState::Closed,
        Some(on),
        Some(closure),
    )
    .await
    .expect("close");
    tx.commit().await.expect("commit");
}

/// Sends a signal (`-TERM`, `-HUP`, `-KILL`) to a child process.
pub fn signal(child: &std::process::Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}
