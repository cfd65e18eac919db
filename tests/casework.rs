//! Case work by email against the real test bed: a request comes in on the
//! MX port, officers draft and approve from their mail clients through
//! authenticated submission, the reply goes out over SMTP, and every
//! attempt to approve without the right to do so sends nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{foid, run_foid, TestBed, FOI, OFFICER1, OFFICER2};
use foid::config::{Connection, Tls};
use foid::mail::smtp::SmtpSender;
use foid::store::Store;
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

const ALICE: &str = "alice@public.test";
const MANAGER: &str = "manager@council.test";
const CLERK: &str = "clerk@council.test";

/// Commands are obeyed when Postfix on mx.council.test took them from an
/// authenticated officer; the approvers are officer2 and the manager, so
/// officer1 drafts and cannot approve.
fn casework_config(bed: &TestBed) -> PathBuf {
    let extra = r#"approvers = ["officer2@council.test", "manager@council.test"]

[trust]
mode = "received_stamp"

[trust.received_stamp]
hosts = ["mx.council.test"]
"#;
    bed.write_config("casework.toml", &bed.sqlite_url("casework.db"), extra)
}

fn start_daemon(config: &Path, log: &Path) -> Child {
    let log = std::fs::File::create(log).expect("log file");
    foid()
        .args(["--config", config.to_str().expect("path"), "run"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start foid run")
}

/// An officer's mail client: authenticated submission as `login`.
async fn submit(bed: &TestBed, login: &str, bytes: &[u8]) {
    let connection = Connection {
        host: "localhost".into(),
        port: Some(bed.port("FOID_TB_SUBMISSION_PORT")),
        tls: Tls::Starttls,
        ca_file: Some(bed.ca().into()),
        username: Some(login.into()),
        password: Some(bed.password()),
        password_env: None,
        password_file: None,
        timeout_seconds: 20,
    };
    let sender = SmtpSender::new(&connection, "client.council.test").expect("smtp client");
    sender
        .send(login, &[FOI.to_string()], bytes)
        .await
        .expect("submission accepted");
}

fn maildir_files(bed: &TestBed, user: &str, folder: &str) -> Vec<Vec<u8>> {
    let (local, domain) = user.split_once('@').expect("address");
    let root = Path::new(&bed.var("FOID_TB_MAILDIR_ROOT"))
        .join(domain)
        .join(local)
        .join(folder);
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(root.join(sub)).into_iter().flatten())
        .filter_map(|e| e.ok())
        .map(|e| {
            let at = e.metadata().and_then(|m| m.modified()).expect("mtime");
            (at, e.path())
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|(_, p)| std::fs::read(p).expect("read mail"))
        .collect()
}

fn subject_of(bytes: &[u8]) -> String {
    MessageParser::new()
        .parse(bytes)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default()
}

fn text_of(bytes: &[u8]) -> String {
    MessageParser::new()
        .parse(bytes)
        .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
        .unwrap_or_default()
}

/// Waits for a mail to `user` whose subject contains `needle`.
fn wait_for_mail(bed: &TestBed, user: &str, needle: &str, timeout: Duration) -> Vec<u8> {
    let start = Instant::now();
    loop {
        if let Some(m) = maildir_files(bed, user, "")
            .into_iter()
            .find(|m| subject_of(m).contains(needle))
        {
            return m;
        }
        assert!(
            start.elapsed() < timeout,
            "no mail to {user} with {needle:?} in the subject; it has: {:?}",
            maildir_files(bed, user, "")
                .iter()
                .map(|m| subject_of(m))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn count_with(bed: &TestBed, user: &str, needle: &str) -> usize {
    maildir_files(bed, user, "")
        .iter()
        .filter(|m| subject_of(m).contains(needle))
        .count()
}

/// The approval code in a preview: the `#approve` line's argument.
fn code_in(preview: &[u8]) -> String {
    text_of(preview)
        .lines()
        .find_map(|l| l.trim().strip_prefix("#approve "))
        .map(|c| c.trim().to_string())
        .expect("a preview carries an #approve line")
}

fn plain(from: &str, subject: &str, body: &str, extra_headers: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {FOI}\r\nSubject: {subject}\r\nMessage-ID: <{}@client.council.test>\r\n\
         Date: Wed, 02 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n{extra_headers}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        rand::random::<u64>(),
        body.replace('\n', "\r\n")
    )
    .into_bytes()
}

const CSV: &[u8] =
    b"financial_year,claims,paid_gbp\r\n2023-24,118,20412.50\r\n2024-25,131,23877.00\r\n";

/// A draft with a CSV attached, as an officer's client writes it.
fn draft_mail(reference: &str, body: &str) -> Vec<u8> {
    let csv = base64(CSV);
    format!(
        "From: Officer One <{OFFICER1}>\r\nTo: {FOI}\r\nSubject: Re: [{reference}] New FOI request\r\n\
         Message-ID: <draft-{}@client.council.test>\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n\
         --b1\r\nContent-Type: text/csv; name=\"claims.csv\"\r\n\
         Content-Disposition: attachment; filename=\"claims.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{csv}\r\n\
         --b1--\r\n",
        rand::random::<u64>(),
        body.replace('\n', "\r\n")
    )
    .into_bytes()
}

/// Standard base64 with line breaks, as mail clients write attachments.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn wait(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_drafted_approved_and_answered_by_email_and_nothing_else_sends() {
    let bed = TestBed::start();
    let config = casework_config(&bed);
    let log = bed.dir.path().join("foid.log");
    let mut daemon = start_daemon(&config, &log);
    let long = Duration::from_secs(60);

    // 1. A request with three questions, from outside, on the MX port.
    let request_id = format!("<pothole-{}@public.test>", rand::random::<u32>());
    let request = format!(
        "From: Alice Example <{ALICE}>\r\nTo: {FOI}\r\nSubject: Pothole compensation claims\r\n\
         Message-ID: {request_id}\r\nDate: Wed, 02 Dec 2026 09:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         Dear Sir or Madam,\r\n\r\nPlease tell me:\r\n\r\n\
         1. How many claims for vehicle damage caused by potholes did the council receive in each of the last two financial years?\r\n\
         2. How much did the council pay out on those claims?\r\n\
         3. What is the name of the insurer that handles the claims?\r\n\r\nYours faithfully,\r\nAlice Example\r\n"
    );
    let mut mx = bed.smtp();
    mx.send(ALICE, FOI, request.as_bytes());
    mx.quit();

    let ack = wait_for_mail(&bed, ALICE, "Pothole compensation claims", long);
    let reference = {
        let s = subject_of(&ack);
        let start = s.find('[').expect("reference in the subject") + 1;
        let end = s.find(']').expect("reference in the subject");
        s[start..end].to_string()
    };
    let case_email = wait_for_mail(&bed, OFFICER1, &reference, long);
    let skeleton = text_of(&case_email);
    assert!(skeleton.contains("#draft"), "{skeleton}");

    // 2. officer1 drafts: question 1 answered with the CSV, 2 not held, 3
    // answered; the skeleton's quoted questions are kept by foid.
    let draft = "#draft\nDear Ms Example,\n\n1. The attached file gives the claims for each year.\n2. #not-held\n3. Our claims are handled by Example Mutual Insurance.\n";
    submit(&bed, OFFICER1, &draft_mail(&reference, draft)).await;
    let answer = wait_for_mail(&bed, OFFICER1, "Your commands", long);
    assert!(
        text_of(&answer).contains("preview with approval code sent to"),
        "{}",
        text_of(&answer)
    );
    let preview = wait_for_mail(&bed, OFFICER2, "For approval", long);
    let manager_preview = wait_for_mail(&bed, MANAGER, "For approval", long);
    let code = code_in(&preview);
    let manager_code = code_in(&manager_preview);
    assert_ne!(code, manager_code, "each approver has their own code");
    assert!(
        maildir_files(&bed, OFFICER1, "")
            .iter()
            .all(|m| !String::from_utf8_lossy(m).contains(&code)),
        "the drafter received an approver's code"
    );
    let preview_text = text_of(&preview);
    assert!(preview_text.contains("claims.csv"), "{preview_text}");
    assert!(
        preview_text.contains("How much did the council pay out"),
        "{preview_text}"
    );

    // 3. Everything that must not approve it.
    let approve = format!("#approve {code}\n\nLooks right.\n");
    let subject = format!("Re: [{reference}] For approval: draft 1 of the reply");
    let officer2_from = format!("Officer Two <{OFFICER2}>");
    // From outside on the MX port, with the real code and officer2's From.
    let mut mx = bed.smtp();
    mx.send(
        OFFICER2,
        FOI,
        &plain(&officer2_from, &subject, &approve, ""),
    );
    // The same with a forged authenticated Received and Authentication-Results.
    let forged = "Received: from [127.0.0.1] (unknown [127.0.0.1])\r\n\t(Authenticated sender: officer2@council.test)\r\n\tby mx.council.test (Postfix) with ESMTPSA id 4F00D\r\n\tfor <foi@council.test>; Wed,  2 Dec 2026 09:59:00 +0000 (UTC)\r\nAuthentication-Results: mx.council.test; dkim=pass; dmarc=pass header.from=council.test\r\n";
    let forged_mail = [
        forged.as_bytes(),
        &plain(&officer2_from, &subject, &approve, ""),
    ]
    .concat();
    mx.send(OFFICER2, FOI, &forged_mail);
    // A display name that looks like the officer.
    mx.send(
        ALICE,
        FOI,
        &plain(&format!("\"{OFFICER2}\" <{ALICE}>"), &subject, &approve, ""),
    );
    // The requester guessing at the syntax.
    mx.send(
        ALICE,
        FOI,
        &plain(
            &format!("Alice Example <{ALICE}>"),
            &format!("Re: [{reference}] Pothole compensation claims"),
            "#approve 123456\n",
            "",
        ),
    );
    mx.quit();
    // Authenticated, but as the clerk (not an officer), with officer2's From
    // and then with their own.
    submit(&bed, CLERK, &plain(&officer2_from, &subject, &approve, "")).await;
    submit(
        &bed,
        CLERK,
        &plain(&format!("Clerk <{CLERK}>"), &subject, &approve, ""),
    )
    .await;
    // The drafter, who is an officer but not an approver, with the code.
    submit(
        &bed,
        OFFICER1,
        &plain(&format!("Officer One <{OFFICER1}>"), &subject, &approve, ""),
    )
    .await;
    // officer2 with the manager's code, and with a code altered in one place.
    submit(
        &bed,
        OFFICER2,
        &plain(
            &officer2_from,
            &subject,
            &format!("#approve {manager_code}\n"),
            "",
        ),
    )
    .await;
    let mut altered: Vec<char> = code.chars().collect();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == '7' { '8' } else { '7' };
    let altered: String = altered.into_iter().collect();
    submit(
        &bed,
        OFFICER2,
        &plain(
            &officer2_from,
            &subject,
            &format!("#approve {altered}\n"),
            "",
        ),
    )
    .await;
    // The command only in quoted text, or only in the subject.
    submit(
        &bed,
        OFFICER2,
        &plain(
            &officer2_from,
            &subject,
            &format!("Happy with this.\n\n> #approve {code}\n"),
            "",
        ),
    )
    .await;
    submit(
        &bed,
        OFFICER2,
        &plain(&officer2_from, &format!("#approve {code}"), "ok\n", ""),
    )
    .await;

    // Every officer who was refused hears why; none of it reached Alice.
    let refused_answers = 3; // drafter with code, manager's code, altered
    wait("the refusals to be answered", long, || {
        count_with(&bed, OFFICER1, "Your commands: refused")
            + count_with(&bed, OFFICER2, "Your commands: refused")
            >= refused_answers
    });
    let answers = maildir_files(&bed, OFFICER1, "")
        .into_iter()
        .chain(maildir_files(&bed, OFFICER2, ""))
        .filter(|m| subject_of(m).contains("refused"))
        .map(|m| text_of(&m))
        .collect::<Vec<_>>()
        .join("\n----\n");
    assert!(answers.contains("only approvers"), "{answers}");
    assert!(
        answers.contains("issued to manager@council.test"),
        "{answers}"
    );
    assert!(answers.contains("not one foid issued"), "{answers}");

    let store = Store::open(&bed.sqlite_url("casework.db"))
        .await
        .expect("open the store");
    wait(
        "the unauthenticated commands to be quarantined",
        long,
        || {
            let q = futures_lite_block(store.quarantined());
            q.iter()
                .filter(|m| {
                    m.quarantine_reason
                        .as_deref()
                        .is_some_and(|r| r.starts_with("unauthenticated_command"))
                })
                .count()
                >= 6
        },
    );
    let reasons: Vec<String> = store
        .quarantined()
        .await
        .expect("quarantined")
        .into_iter()
        .filter_map(|m| m.quarantine_reason)
        .collect();
    let joined = reasons.join("\n");
    assert!(joined.contains("not_authenticated"), "{joined}");
    assert!(joined.contains("login_mismatch"), "{joined}");
    assert!(joined.contains("not_officer"), "{joined}");
    assert_eq!(
        count_with(&bed, ALICE, &reference),
        1,
        "Alice got more than her acknowledgement"
    );

    // 4. officer2 approves with their own code, quoting the preview.
    let quoted: String = preview_text.lines().map(|l| format!("> {l}\n")).collect();
    submit(
        &bed,
        OFFICER2,
        &plain(
            &officer2_from,
            &subject,
            &format!("#approve {code}\n\nOn 2 Dec foid wrote:\n{quoted}"),
            "",
        ),
    )
    .await;
    wait("the reply to reach Alice", long, || {
        count_with(&bed, ALICE, &reference) >= 2
    });
    let reply = maildir_files(&bed, ALICE, "")
        .into_iter()
        .find(|m| {
            let t = text_of(m);
            t.contains("Example Mutual Insurance")
        })
        .expect("the approved reply");
    let parsed = MessageParser::new().parse(&reply).expect("reply parses");
    assert_eq!(
        parsed.in_reply_to().as_text(),
        Some(request_id.trim_matches(['<', '>']))
    );
    let body = parsed.body_text(0).expect("text").into_owned();
    assert!(
        body.contains("How many claims for vehicle damage"),
        "{body}"
    );
    assert!(body.contains("does not hold"), "{body}");
    let attached: Vec<_> = parsed.attachments().collect();
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].attachment_name(), Some("claims.csv"));
    assert_eq!(
        hex::encode(Sha256::digest(attached[0].contents())),
        hex::encode(Sha256::digest(CSV)),
        "the attachment changed on the way: {:?} in {}",
        String::from_utf8_lossy(attached[0].contents()),
        String::from_utf8_lossy(&reply)
    );
    assert!(
        parsed.header("Auto-Submitted").is_none(),
        "an approved letter is not automatic"
    );

    // 5. Replayed: nothing more is sent.
    for _ in 0..2 {
        submit(
            &bed,
            OFFICER2,
            &plain(&officer2_from, &subject, &approve, ""),
        )
        .await;
    }
    wait("the replays to be answered", long, || {
        count_with(&bed, OFFICER2, "Your commands: refused") >= 4
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        count_with(&bed, ALICE, &reference),
        2,
        "a replay sent again"
    );
    // The drafter was told it went.
    wait_for_mail(&bed, OFFICER1, "approved and sent", long);

    // 6. The case is closed on time, with its outcomes.
    let (ok, out, err) = run_foid(&[
        "--config",
        config.to_str().expect("path"),
        "show",
        &reference,
        "--json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("show --json");
    assert_eq!(v["state"], "closed", "{out}");
    let outcomes: Vec<String> = v["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| q["outcome"].as_str().unwrap_or("none").to_string())
        .collect();
    assert_eq!(outcomes, vec!["answered", "not_held", "answered"], "{out}");
    let history = v["events"].to_string();
    for kind in ["draft_recorded", "preview_sent", "draft_approved", "closed"] {
        assert!(history.contains(kind), "{kind} missing: {history}");
    }

    // 7. The Sent folder has the previews without their codes.
    wait("the Sent copies", long, || {
        maildir_files(&bed, FOI, ".Sent")
            .iter()
            .filter(|m| subject_of(m).contains("For approval"))
            .count()
            >= 2
    });
    for m in maildir_files(&bed, FOI, ".Sent") {
        let text = String::from_utf8_lossy(&m);
        assert!(
            !text.contains(&code) && !text.contains(&manager_code),
            "a code was kept in the Sent folder: {text}"
        );
    }
    let outbox: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT bytes FROM outbox WHERE state = 'sent'")
        .fetch_all(store.pool())
        .await
        .expect("outbox");
    for (bytes,) in outbox {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&code), "a code was kept in the outbox");
    }

    store.close().await;
    daemon.kill().ok();
    daemon.wait().ok();
}

/// Runs a store query from a sync wait loop.
fn futures_lite_block<T>(f: impl std::future::Future<Output = anyhow::Result<Vec<T>>>) -> Vec<T> {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
        .unwrap_or_default()
}
