//! Case work by email against the real test bed: a request comes in on the
//! MX port, officers draft and approve from their mail clients through
//! authenticated submission, the reply goes out over SMTP, and every
//! attempt to approve without the right to do so sends nothing.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{office, run_foid, start_daemon, TestBed, FOI, OFFICER1, OFFICER2};
use foid::config::{Connection, Tls};
use foid::mail::smtp::SmtpSender;
use foid::store::Store;
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

const ALICE: &str = "alice@public.test";
/// A WhatDoTheyKnow user's per-request address, and the test bed mailbox
/// it lands in.
const WDTK_REQUEST: &str = "foi+request-314159-5ca1ab1e@whatdotheyknow.com";
const WDTK_BOX: &str = "foi@whatdotheyknow.com";
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

/// An officer's mail client: authenticated submission as `login`.
async fn submit(bed: &TestBed, login: &str, bytes: &[u8]) {
    let connection = Connection {
        host: "localhost".into(),
        port: Some(bed.port("FOID_TB_SUBMISSION_PORT")),
        tls: Tls::Starttls,
        ca_file: Some(bed.ca().into()),
        auth: Default::default(),
        sasl_mechanism: Default::default(),
        tokens: None,
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
        .and_then(|c| c.split_whitespace().next())
        .map(str::to_string)
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
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A real spreadsheet with nothing hidden (it passes the breach check): a
/// deflated zip, so any rewriting of its bytes on the way shows.
fn xlsx() -> Vec<u8> {
    let rows = office::rows(&[
        &["Ward", "Claims 2023-24", "Claims 2024-25"],
        &["North", "41", "47"],
        &["South", "77", "84"],
    ]);
    office::Xlsx {
        sheets: vec![office::Sheet::new("Claims by ward", rows)],
        ..office::Xlsx::default()
    }
    .build()
}

/// The same table with a hidden sheet of staff names behind it, the shape
/// of the 2023 workforce disclosure.
fn xlsx_with_hidden_staff() -> Vec<u8> {
    let mut staff = vec![vec![
        "Surname".to_string(),
        "Forename".into(),
        "Role".into(),
    ]];
    for i in 0..30 {
        staff.push(vec![
            format!("Surname{i}"),
            format!("Forename{i}"),
            "Claims handler".into(),
        ]);
    }
    let mut hidden = office::Sheet::new("Staff", staff);
    hidden.state = Some("hidden");
    let mut book = office::Xlsx {
        sheets: vec![office::Sheet::new(
            "Claims by ward",
            office::rows(&[&["Ward", "Claims"], &["North", "41"], &["South", "77"]]),
        )],
        ..office::Xlsx::default()
    };
    book.sheets.push(hidden);
    book.build()
}

/// A draft with a CSV and a spreadsheet attached, as an officer's client
/// writes it.
fn draft_mail(reference: &str, body: &str) -> Vec<u8> {
    draft_mail_with(reference, body, &xlsx())
}

fn draft_mail_with(reference: &str, body: &str, spreadsheet: &[u8]) -> Vec<u8> {
    let csv = base64(CSV);
    let xlsx = base64(spreadsheet);
    format!(
        "From: Officer One <{OFFICER1}>\r\nTo: {FOI}\r\nSubject: Re: [{reference}] New FOI request\r\n\
         Message-ID: <draft-{}@client.council.test>\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n\
         --b1\r\nContent-Type: text/csv; name=\"claims.csv\"\r\n\
         Content-Disposition: attachment; filename=\"claims.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{csv}\r\n\
         --b1\r\nContent-Type: {XLSX_TYPE}; name=\"claims by ward.xlsx\"\r\n\
         Content-Disposition: attachment; filename=\"claims by ward.xlsx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{xlsx}\r\n\
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

    // 1. A request with three questions through WhatDoTheyKnow, on the MX port.
    let request_id = format!(
        "<request-314159-{}@whatdotheyknow.com>",
        rand::random::<u32>()
    );
    let request = format!(
        "From: Sarah Jenkins <{WDTK_REQUEST}>\r\nTo: FOI requests at Test Borough Council <{FOI}>\r\n\
         Subject: Freedom of Information request - Pothole compensation claims\r\n\
         Message-ID: {request_id}\r\nDate: Wed, 02 Dec 2026 09:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         Dear Test Borough Council,\r\n\r\nPlease send me the following.\r\n\r\n\
         1. How many claims for vehicle damage caused by potholes did the council receive in each of the last two financial years?\r\n\
         2. How much did the council pay out on those claims?\r\n\
         3. What is the name of the insurer that handles the claims?\r\n\r\nYours faithfully,\r\n\r\nSarah Jenkins\r\n\r\n\
         -------------------------------------------------------------------\r\n\r\n\
         Please use this email address for all replies to this request:\r\n{WDTK_REQUEST}\r\n\r\n\
         Disclaimer: This message and any reply that you make will be published on the internet.\r\n\r\n\
         -------------------------------------------------------------------\r\n"
    );
    let mut mx = bed.smtp();
    mx.send(WDTK_REQUEST, FOI, request.as_bytes());
    mx.quit();

    let ack = wait_for_mail(&bed, WDTK_BOX, "Pothole compensation claims", long);
    let reference = {
        let s = subject_of(&ack);
        let start = s.find('[').expect("reference in the subject") + 1;
        let end = s.find(']').expect("reference in the subject");
        s[start..end].to_string()
    };
    let case_email = wait_for_mail(&bed, OFFICER1, &reference, long);
    let skeleton = text_of(&case_email);
    assert!(skeleton.contains("#draft"), "{skeleton}");

    // 2. officer1 pastes the skeleton back with the answers under each
    // question (question 2 not held), attaches a CSV and a spreadsheet, and
    // sends it from a phone.
    let start = skeleton
        .find("-------- reply skeleton")
        .expect("skeleton start");
    let end = skeleton.find("end of skeleton").expect("skeleton end");
    let filled = skeleton[start..end]
        .replace(
            "[Answer to question 1]",
            "The attached files give the claims for each year.",
        )
        .replace("[Answer to question 2]", "#not-held")
        .replace(
            "[Answer to question 3]",
            "Our claims are handled by Example Mutual Insurance.",
        );
    let draft =
        format!("#draft\nDear Ms Jenkins,\n\n{filled}end of skeleton\n\nSent from my iPhone\n");
    submit(&bed, OFFICER1, &draft_mail(&reference, &draft)).await;
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
    // The requester guessing at the syntax, replying to the acknowledgement.
    mx.send(
        WDTK_REQUEST,
        FOI,
        &plain(
            &format!("Sarah Jenkins <{WDTK_REQUEST}>"),
            &subject_of(&ack),
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
    // Only inside an attached message.
    let inner = String::from_utf8(plain(&officer2_from, &subject, &approve, "")).expect("utf-8");
    let attached_eml = format!(
        "From: {officer2_from}\r\nTo: {FOI}\r\nSubject: {subject}\r\nMessage-ID: <fwd-{}@client.council.test>\r\n\
         Date: Wed, 02 Dec 2026 10:05:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"f1\"\r\n\r\n\
         --f1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attached.\r\n\
         --f1\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"approval.eml\"\r\n\r\n{inner}\r\n--f1--\r\n",
        rand::random::<u64>()
    );
    submit(&bed, OFFICER2, attached_eml.as_bytes()).await;

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
    // officer2, whose address three of them claimed, is warned once.
    let warning = wait_for_mail(&bed, OFFICER2, "Someone tried to command foid as you", long);
    assert!(
        text_of(&warning).contains("did not vouch"),
        "{}",
        text_of(&warning)
    );
    assert_eq!(
        count_with(&bed, OFFICER2, "Someone tried to command foid"),
        1
    );
    assert!(!String::from_utf8_lossy(&warning).contains(&code));
    // Give the officers' mails that carry no command time to be filed, then
    // check nothing reached the requester but the acknowledgement.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        count_with(&bed, WDTK_BOX, &reference),
        1,
        "the requester got more than the acknowledgement"
    );

    // 4. officer2 approves from a phone: HTML only, the preview quoted
    // under it.
    let quoted: String = preview_text
        .lines()
        .map(|l| format!("{}<br>", l.replace('&', "&amp;").replace('<', "&lt;")))
        .collect();
    let html = format!(
        "<html><body><div dir=\"auto\">#approve {code}</div><div dir=\"auto\"><br></div>\
         <div dir=\"auto\">Sent from my iPhone</div><div><br><blockquote type=\"cite\">{quoted}</blockquote></div></body></html>"
    );
    let html_mail = format!(
        "From: {officer2_from}\r\nTo: {FOI}\r\nSubject: {subject}\r\nMessage-ID: <html-{}@client.council.test>\r\n\
         Date: Wed, 02 Dec 2026 10:10:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        rand::random::<u64>(),
        base64(html.as_bytes())
    );
    submit(&bed, OFFICER2, html_mail.as_bytes()).await;
    wait("the reply to reach the requester", long, || {
        count_with(&bed, WDTK_BOX, &reference) >= 2
    });
    let reply = maildir_files(&bed, WDTK_BOX, "")
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
    assert!(body.starts_with("Dear Ms Jenkins,"), "{body}");
    assert!(!body.contains("iPhone"), "{body}");
    assert_eq!(
        parsed
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some(WDTK_REQUEST),
        "the reply goes to the request's own address"
    );
    let attached: Vec<(String, String)> = parsed
        .attachments()
        .map(|a| {
            (
                a.attachment_name().unwrap_or_default().to_string(),
                hex::encode(Sha256::digest(a.contents())),
            )
        })
        .collect();
    assert_eq!(
        attached,
        vec![
            ("claims.csv".to_string(), hex::encode(Sha256::digest(CSV))),
            (
                "claims by ward.xlsx".to_string(),
                hex::encode(Sha256::digest(xlsx()))
            ),
        ],
        "the attachments changed on the way"
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
        count_with(&bed, WDTK_BOX, &reference),
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
        let sent = maildir_files(&bed, FOI, ".Sent");
        sent.iter()
            .filter(|m| subject_of(m).contains("For approval"))
            .count()
            >= 2
            && sent
                .iter()
                .any(|m| text_of(m).contains("Example Mutual Insurance"))
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

    // 8. `foid doctor trust` over the mailbox proposes what was configured,
    // and counts the forgeries among the officers' mail it did not vouch for.
    let (ok, out, err) = run_foid(&[
        "--config",
        config.to_str().expect("path"),
        "doctor",
        "trust",
    ]);
    assert!(ok, "doctor: {out}\n{err}");
    assert!(out.contains("mode = \"received_stamp\""), "{out}");
    assert!(out.contains("hosts = [\"mx.council.test\"]"), "{out}");
    assert!(out.contains("not vouched for"), "{out}");
    assert!(
        out.contains("10 of 13 officers' message(s) vouched for"),
        "{out}"
    );
    assert!(out.contains("internal_relays = []"), "{out}");

    store.close().await;
    daemon.kill().ok();
    daemon.wait().ok();
}

/// The journey of issue 14: a spreadsheet with a hidden sheet of names is
/// blocked before approval, the officers are told where, and both ways on
/// work: an override with a reason (recorded), and a cleaned copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_sheet_of_names_blocks_approval_until_overridden_or_cleaned() {
    let bed = TestBed::start();
    let config = casework_config(&bed);
    let mut daemon = start_daemon(&config, &bed.dir.path().join("foid.log"));
    let long = Duration::from_secs(60);
    let cases = open_cases(
        &bed,
        &[
            (ALICE, "claims by ward"),
            ("bob@public.test", "claims handling"),
        ],
    );
    let (cleaned_case, overridden_case) = (cases[0].clone(), cases[1].clone());
    let officer2_from = format!("Officer Two <{OFFICER2}>");

    for reference in [&cleaned_case, &overridden_case] {
        let draft = "#draft\n1. The figures are in the attached spreadsheet.\n";
        submit(
            &bed,
            OFFICER1,
            &draft_mail_with(reference, draft, &xlsx_with_hidden_staff()),
        )
        .await;
    }
    // The drafter is told, with where; each approver's preview says STOP.
    for reference in [&cleaned_case, &overridden_case] {
        let told = text_of(&wait_for_mail(
            &bed,
            OFFICER1,
            &format!("[{reference}] Your commands"),
            long,
        ));
        assert!(told.contains("BLOCKED"), "{told}");
        assert!(
            told.contains("claims by ward.xlsx: hidden sheet in sheet 'Staff'"),
            "{told}"
        );
        assert!(
            told.contains("people's names in sheet 'Staff', cells A2:B31"),
            "{told}"
        );
    }
    let blocked = |reference: &str| {
        let subject = format!("[{reference}] BLOCKED by the attachment check");
        wait_for_mail(&bed, OFFICER2, &subject, long)
    };
    let preview = text_of(&blocked(&cleaned_case));
    assert!(
        preview.contains("STOP") && preview.contains("hidden sheet in sheet 'Staff'"),
        "{preview}"
    );
    let code = code_in(&blocked(&cleaned_case));
    let override_code = code_in(&blocked(&overridden_case));

    // A plain #approve is refused with the findings; nothing is sent.
    let subject =
        format!("Re: [{cleaned_case}] BLOCKED by the attachment check: draft 1 of the reply");
    submit(
        &bed,
        OFFICER2,
        &plain(&officer2_from, &subject, &format!("#approve {code}\n"), ""),
    )
    .await;
    let refused = text_of(&wait_for_mail(
        &bed,
        OFFICER2,
        &format!("[{cleaned_case}] Your commands"),
        long,
    ));
    assert!(
        refused.contains("nothing was approved") && refused.contains("sheet 'Staff'"),
        "{refused}"
    );

    // The drafter asks for a cleaned copy: a new draft, checked again.
    let clean_subject = format!("Re: [{cleaned_case}] Your commands");
    submit(
        &bed,
        OFFICER1,
        &plain(
            &format!("Officer One <{OFFICER1}>"),
            &clean_subject,
            "#clean\n",
            "",
        ),
    )
    .await;
    wait("the answer to #clean", long, || {
        count_with(&bed, OFFICER1, &format!("[{cleaned_case}] Your commands")) >= 2
    });
    let answers: Vec<String> = maildir_files(&bed, OFFICER1, "")
        .iter()
        .filter(|m| subject_of(m).contains(&format!("[{cleaned_case}] Your commands")))
        .map(|m| text_of(m))
        .collect();
    let cleaned = answers
        .iter()
        .find(|t| t.lines().any(|l| l.trim() == "#clean"))
        .expect("the #clean answer");
    assert!(
        cleaned.contains("claims by ward.xlsx: removed hidden sheet 'Staff'"),
        "{cleaned}"
    );
    assert!(
        cleaned.contains("draft 2 recorded") && !cleaned.contains("BLOCKED"),
        "{cleaned}"
    );
    let new_preview = wait_for_mail(
        &bed,
        OFFICER2,
        &format!("[{cleaned_case}] For approval: draft 2"),
        long,
    );
    let new_code = code_in(&new_preview);
    let subject = format!("Re: [{cleaned_case}] For approval: draft 2 of the reply");
    submit(
        &bed,
        OFFICER2,
        &plain(
            &officer2_from,
            &subject,
            &format!("#approve {new_code}\n"),
            "",
        ),
    )
    .await;

    // The override: approved with the reason, which the history keeps.
    let subject =
        format!("Re: [{overridden_case}] BLOCKED by the attachment check: draft 1 of the reply");
    let reason = "the staff list is published in the annual report";
    submit(
        &bed,
        OFFICER2,
        &plain(
            &officer2_from,
            &subject,
            &format!("#approve {override_code} --despite-findings {reason}\n"),
            "",
        ),
    )
    .await;

    wait("both replies", long, || {
        count_with(&bed, ALICE, &cleaned_case) >= 2
            && count_with(&bed, "bob@public.test", &overridden_case) >= 2
    });
    let attachment_of = |user: &str, reference: &str| -> Vec<u8> {
        let reply = maildir_files(&bed, user, "")
            .into_iter()
            .find(|m| {
                subject_of(m).contains(reference) && text_of(m).contains("attached spreadsheet")
            })
            .expect("the reply");
        let parsed = MessageParser::new().parse(&reply).expect("reply parses");
        let bytes = parsed
            .attachments()
            .find(|a| a.attachment_name() == Some("claims by ward.xlsx"))
            .map(|a| a.contents().to_vec())
            .expect("the spreadsheet");
        bytes
    };
    let sent_clean = attachment_of(ALICE, &cleaned_case);
    let policy = foid::core::breach_check::Policy::default();
    assert_eq!(
        foid::core::breach_check::inspect("x.xlsx", &sent_clean, &policy),
        vec![],
        "the cleaned copy went out"
    );
    assert!(!String::from_utf8_lossy(&sent_clean).contains("Surname"));
    assert_eq!(
        hex::encode(Sha256::digest(attachment_of(
            "bob@public.test",
            &overridden_case
        ))),
        hex::encode(Sha256::digest(xlsx_with_hidden_staff())),
        "the overridden draft went out as approved"
    );
    let show = |reference: &str| {
        let (ok, out, err) = run_foid(&[
            "--config",
            config.to_str().expect("path"),
            "show",
            reference,
            "--json",
        ]);
        assert!(ok, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("show --json");
        assert_eq!(v["state"], "closed", "{out}");
        v["events"].to_string()
    };
    let history = show(&overridden_case);
    assert!(
        history.contains("findings_overridden") && history.contains(reason),
        "{history}"
    );
    assert!(!show(&cleaned_case).contains("findings_overridden"));

    daemon.kill().ok();
    daemon.wait().ok();
}

/// Runs a store query from a sync wait loop.
fn futures_lite_block<T>(f: impl std::future::Future<Output = anyhow::Result<Vec<T>>>) -> Vec<T> {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
        .unwrap_or_default()
}

/// The reference in a subject: `[FOI-2026-00001] …`.
fn reference_in(subject: &str) -> String {
    let start = subject.find('[').expect("reference in the subject") + 1;
    let end = subject.find(']').expect("reference in the subject");
    subject[start..end].to_string()
}

/// One request from each (requester, topic) on the MX port; the case
/// references from their acknowledgements, in the same order.
fn open_cases(bed: &TestBed, requests: &[(&str, &str)]) -> Vec<String> {
    let mut mx = bed.smtp();
    for (who, what) in requests {
        let body =
            format!("Dear Council,\n\n1. Please send me the {what} figures for 2025.\n\nThanks");
        mx.send(
            who,
            FOI,
            &plain(who, &format!("Request about {what}"), &body, ""),
        );
    }
    mx.quit();
    requests
        .iter()
        .map(|(who, what)| {
            reference_in(&subject_of(&wait_for_mail(
                bed,
                who,
                what,
                Duration::from_secs(60),
            )))
        })
        .collect()
}

/// The previews `approver` holds for `reference`, oldest first.
fn previews(bed: &TestBed, approver: &str, reference: &str) -> Vec<Vec<u8>> {
    maildir_files(bed, approver, "")
        .into_iter()
        .filter(|m| {
            let s = subject_of(m);
            s.contains(reference) && s.contains("For approval")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_foreign_and_self_approvals_send_nothing() {
    let bed = TestBed::start();
    let config = casework_config(&bed);
    let mut daemon = start_daemon(&config, &bed.dir.path().join("foid.log"));
    let long = Duration::from_secs(60);

    let cases = open_cases(
        &bed,
        &[(ALICE, "streetlights"), ("bob@public.test", "gritting")],
    );
    let (a, b) = (cases[0].clone(), cases[1].clone());
    let officer1 = format!("Officer One <{OFFICER1}>");
    let officer2 = format!("Officer Two <{OFFICER2}>");
    let manager = format!("The Manager <{MANAGER}>");
    let on = |r: &str| format!("Re: [{r}] New FOI request");

    // Case A: officer1 drafts twice; the first preview's code goes stale.
    submit(
        &bed,
        OFFICER1,
        &plain(&officer1, &on(&a), "#draft\n1. £81,200.\n", ""),
    )
    .await;
    wait("the first preview", long, || {
        previews(&bed, OFFICER2, &a).len() == 1
    });
    let stale = code_in(&previews(&bed, OFFICER2, &a)[0]);
    submit(
        &bed,
        OFFICER1,
        &plain(&officer1, &on(&a), "#draft\n1. £81,250.\n", ""),
    )
    .await;
    wait("the second preview", long, || {
        previews(&bed, OFFICER2, &a).len() == 2
    });
    let current_a = code_in(&previews(&bed, OFFICER2, &a)[1]);

    // Case B: officer2, an approver, drafts; four-eyes sends the preview to
    // the manager only.
    submit(
        &bed,
        OFFICER2,
        &plain(&officer2, &on(&b), "#draft\n1. £12,400.\n", ""),
    )
    .await;
    wait("the manager's preview", long, || {
        previews(&bed, MANAGER, &b).len() == 1
    });
    assert!(
        previews(&bed, OFFICER2, &b).is_empty(),
        "the drafter got a preview"
    );
    let manager_b = code_in(&previews(&bed, MANAGER, &b)[0]);

    let attempts = [
        (
            OFFICER2,
            officer2.as_str(),
            a.as_str(),
            stale.as_str(),
            "replaced",
        ),
        (
            OFFICER2,
            officer2.as_str(),
            b.as_str(),
            manager_b.as_str(),
            "issued to manager@council.test",
        ),
        (
            OFFICER2,
            officer2.as_str(),
            b.as_str(),
            current_a.as_str(),
            a.as_str(),
        ),
    ];
    for (login, from, case, code, _) in attempts {
        submit(
            &bed,
            login,
            &plain(from, &on(case), &format!("#approve {code}\n"), ""),
        )
        .await;
    }
    wait("the refusals", long, || {
        count_with(&bed, OFFICER2, "Your commands: refused") >= 3
    });
    let answers: String = maildir_files(&bed, OFFICER2, "")
        .iter()
        .filter(|m| subject_of(m).contains("refused"))
        .map(|m| text_of(m))
        .collect();
    for (_, _, _, _, why) in attempts {
        assert!(
            answers.contains(why),
            "no refusal saying {why:?}: {answers}"
        );
    }
    assert_eq!(count_with(&bed, ALICE, &a), 1, "a refused approval sent");
    assert_eq!(
        count_with(&bed, "bob@public.test", &b),
        1,
        "a refused approval sent"
    );

    // The right codes: one reply each, however often the approval arrives.
    let approve_a = plain(&officer2, &on(&a), &format!("#approve {current_a}\n"), "");
    submit(&bed, OFFICER2, &approve_a).await;
    submit(&bed, OFFICER2, &approve_a).await; // the same message delivered twice
    let approve_b = plain(&manager, &on(&b), &format!("#approve {manager_b}\n"), "");
    submit(&bed, MANAGER, &approve_b).await;
    submit(
        &bed,
        MANAGER,
        &plain(&manager, &on(&b), &format!("#approve {manager_b}\n"), ""),
    )
    .await; // a second approval with the same code
    wait("both replies", long, || {
        count_with(&bed, ALICE, &a) >= 2 && count_with(&bed, "bob@public.test", &b) >= 2
    });
    wait("the repeated approvals to be refused", long, || {
        count_with(&bed, OFFICER2, "Your commands: refused") >= 4
            && count_with(&bed, MANAGER, "Your commands: refused") >= 1
    });
    assert_eq!(count_with(&bed, ALICE, &a), 2, "case A: one reply, exactly");
    assert_eq!(
        count_with(&bed, "bob@public.test", &b),
        2,
        "case B: one reply, exactly"
    );
    let reply_a: Vec<String> = maildir_files(&bed, ALICE, "")
        .iter()
        .map(|m| text_of(m))
        .filter(|t| t.contains("£81,2"))
        .collect();
    assert_eq!(reply_a.len(), 1);
    assert!(reply_a[0].contains("£81,250"), "the stale draft went out");

    daemon.kill().ok();
    daemon.wait().ok();
}

/// Talks SMTP to the MX port one step at a time, the last step's bytes
/// exactly as given, and returns everything the server said: for what the
/// byte-exact client in tests/common will not send (smuggling).
fn raw_smtp(port: u16, steps: &[&[u8]]) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let mut all = String::new();
    let mut buf = [0u8; 4096];
    let mut read = |s: &mut std::net::TcpStream, all: &mut String| {
        std::thread::sleep(Duration::from_millis(200));
        if let Ok(n) = s.read(&mut buf) {
            all.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    read(&mut s, &mut all);
    for step in steps {
        if s.write_all(step).is_err() {
            break;
        }
        read(&mut s, &mut all);
    }
    all
}

/// The rest of shared approval-trust.md §9 that applies to a Postfix
/// council: identity tricks through real submission, delegated sending,
/// truncated and padded codes, commands hidden in HTML or under a quoted
/// original, an APPENDed message with perfect stamps, a requester's guesses,
/// SMTP smuggling and hostile header blocks. Then the positive control: the
/// officer's address in another letter case approves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgeries_through_the_mail_system_send_nothing() {
    let bed = TestBed::start();
    let config = casework_config(&bed);
    let mut daemon = start_daemon(&config, &bed.dir.path().join("foid.log"));
    let long = Duration::from_secs(60);
    const BOB: &str = "bob@public.test";

    let mut mx = bed.smtp();
    mx.send(
        BOB,
        FOI,
        &plain(
            BOB,
            "Parking fines",
            "Dear Council,\n\n1. How many parking fines did you issue in 2025?\n\nBob",
            "",
        ),
    );
    mx.quit();
    let reference = reference_in(&subject_of(&wait_for_mail(
        &bed,
        BOB,
        "Parking fines",
        long,
    )));
    let on = format!("Re: [{reference}] New FOI request");
    let officer1 = format!("Officer One <{OFFICER1}>");
    let officer2 = format!("Officer Two <{OFFICER2}>");
    submit(
        &bed,
        OFFICER1,
        &plain(&officer1, &on, "#draft\n1. We issued 48,112.\n", ""),
    )
    .await;
    wait("the preview", long, || {
        previews(&bed, OFFICER2, &reference).len() == 1
    });
    let code = code_in(&previews(&bed, OFFICER2, &reference)[0]);
    let approve = format!("#approve {code}\n");
    let quarantined_before = 0;

    // Identity tricks, authenticated as the clerk (§9 #10, #11).
    for from in [
        "From: =?utf-8?b?b2ZmaWNlcjJAY291bmNpbC50ZXN0?=@public.test".to_string(),
        format!("From: <{OFFICER2}>, <{CLERK}>"),
        format!("From: <{CLERK}>:<{OFFICER2}>"),
        format!("From: {officer2}\r\nFrom: <{CLERK}>"),
    ] {
        let mail = String::from_utf8(plain(&officer2, &on, &approve, ""))
            .expect("utf-8")
            .replacen(&format!("From: {officer2}"), &from, 1);
        submit(&bed, CLERK, mail.as_bytes()).await;
    }
    // Sent on behalf of the FOI mailbox by an officer (§9 #14).
    submit(
        &bed,
        OFFICER2,
        &plain(
            "Information Team <info-team@council.test>",
            &on,
            &approve,
            &format!("Sender: {officer2}\r\n"),
        ),
    )
    .await;
    // Truncated and padded codes (§9 #19): answered, refused.
    let truncated: String = code.chars().take(code.len() - 3).collect();
    submit(
        &bed,
        OFFICER2,
        &plain(&officer2, &on, &format!("#approve {truncated}\n"), ""),
    )
    .await;
    submit(
        &bed,
        OFFICER2,
        &plain(&officer2, &on, &format!("#approve {code}X\n"), ""),
    )
    .await;
    // Hidden in HTML, or only under a quoted original (§9 #21): no command.
    let hidden = format!(
        "<html><body><div style=\"display:none\">#approve {code}</div><p>Looks fine to me.</p></body></html>"
    );
    let html_mail = format!(
        "From: {officer2}\r\nTo: {FOI}\r\nSubject: {on}\r\nMessage-ID: <hidden-{}@client.council.test>\r\nDate: Wed, 02 Dec 2026 10:10:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{hidden}\r\n",
        rand::random::<u64>()
    );
    submit(&bed, OFFICER2, html_mail.as_bytes()).await;
    submit(
        &bed,
        OFFICER2,
        &plain(
            &officer2,
            &on,
            &format!("Happy with it.\n\n-----Original Message-----\nFrom: FOI\n#approve {code}\n"),
            "",
        ),
    )
    .await;

    // APPENDed straight into the inbox with perfect stamps and a guessed
    // code (§9 #23): the stamps pass, the code does not.
    let imap = bed
        .config(&bed.sqlite_url("unused.db"))
        .imap
        .expect("[imap]");
    let mut conn = foid::mail::imap::ImapConnection::connect(&imap)
        .await
        .expect("imap");
    let stamped = format!(
        "Received: from mx.council.test by mx.council.test with LMTP id x (envelope-from <{OFFICER2}>) for <{FOI}>; Wed, 02 Dec 2026 10:11:00 +0000\r\n\
         Received: from [127.0.0.1] (unknown [127.0.0.1]) (Authenticated sender: {OFFICER2}) by mx.council.test (Postfix) with ESMTPSA id APPEND1 for <{FOI}>; Wed,  2 Dec 2026 10:11:00 +0000 (UTC)\r\n"
    );
    let guessed = [
        stamped.as_bytes(),
        &plain(&officer2, &on, "#approve 7K2MP-Q9RTV-W3XY4-Z5ABC\n", ""),
    ]
    .concat();
    conn.append("INBOX", &guessed).await.expect("APPEND");
    conn.logout().await;

    // The requester guessing codes (§9 #24), 100 of them.
    let mut mx = bed.smtp();
    for i in 0..100 {
        mx.send(
            BOB,
            FOI,
            &plain(
                BOB,
                &format!("Re: [{reference}] Parking fines"),
                &format!("#approve {i:06}\n"),
                "",
            ),
        );
    }
    mx.quit();

    // SMTP smuggling (§9 #25): a bare LF before the dot.
    let smuggle = format!(
        "From: {BOB}\r\nSubject: hi\r\n\r\nhello\n.\r\nMAIL FROM:<{OFFICER2}>\r\nRCPT TO:<{FOI}>\r\nDATA\r\nFrom: {officer2}\r\nSubject: {on}\r\n\r\n{approve}\r\n.\r\nQUIT\r\n"
    );
    let (mail_from, rcpt_to) = (
        format!("MAIL FROM:<{BOB}>\r\n"),
        format!("RCPT TO:<{FOI}>\r\n"),
    );
    let replies = raw_smtp(
        bed.port("FOID_TB_SMTP_PORT"),
        &[
            b"EHLO attacker.example\r\n",
            mail_from.as_bytes(),
            rcpt_to.as_bytes(),
            b"DATA\r\n",
            smuggle.as_bytes(),
        ],
    );
    // Refused outright (smtpd_forbid_bare_newline = reject); at the very
    // least never split into a second, smuggled message.
    assert!(
        replies.matches("queued as").count() == 0 && replies.contains("bare"),
        "Postfix took a bare LF: {replies}"
    );
    // Hostile header blocks from outside with the real code (§9 #25).
    let received_flood: String = (0..10_000)
        .map(|i| format!("Received: from h{i}.example by mx.council.test with ESMTP id {i}; Wed, 02 Dec 2026 10:00:00 +0000\r\n"))
        .collect();
    let long_line = format!("X-Long: {}\r\n", "a".repeat(1_000_000));
    let mut mx = bed.smtp();
    for extra in [long_line.as_str(), "X-Nul: a\u{0}b\r\n"] {
        mx.send(OFFICER2, FOI, &plain(&officer2, &on, &approve, extra));
    }
    mx.quit();
    let mut mx = bed.smtp();
    mx.command(&format!("MAIL FROM:<{OFFICER2}>"), "250");
    mx.command(&format!("RCPT TO:<{FOI}>"), "250");
    mx.command("DATA", "354");
    // Postfix may take it and bounce it for too many hops; either way
    // nothing reaches the requester.
    let flood = [
        received_flood.as_bytes(),
        &plain(&officer2, &on, &approve, ""),
    ]
    .concat();
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut c = mx;
        c.command(
            &format!("{}\r\n.", String::from_utf8_lossy(&flood).trim_end()),
            "",
        );
    }));

    // Every refused approval from an authenticated officer is answered:
    // the truncated and padded codes, and the APPENDed guess.
    wait("the refusals to be answered", long, || {
        count_with(&bed, OFFICER2, "Your commands: refused") >= 3
    });
    let store = Store::open(&bed.sqlite_url("casework.db"))
        .await
        .expect("store");
    wait("the quarantine", long, || {
        let q = futures_lite_block(store.quarantined());
        q.len() >= quarantined_before + 100 + 5
    });
    std::thread::sleep(Duration::from_secs(3));
    let reasons = store
        .quarantined()
        .await
        .expect("quarantined")
        .into_iter()
        .filter_map(|m| m.quarantine_reason)
        .collect::<Vec<_>>()
        .join("\n");
    for code in [
        "malformed_headers",
        "delegated",
        "not_officer",
        "not_authenticated",
    ] {
        assert!(reasons.contains(code), "no {code} among:\n{reasons}");
    }
    assert_eq!(
        count_with(&bed, BOB, &reference),
        1,
        "Bob got more than his acknowledgement"
    );
    let answers: String = maildir_files(&bed, OFFICER2, "")
        .iter()
        .filter(|m| subject_of(m).contains("refused"))
        .map(|m| text_of(m))
        .collect();
    assert!(
        answers.contains("not an approval code") || answers.contains("not one foid issued"),
        "{answers}"
    );
    assert!(!answers.contains(&code), "an answer repeated the live code");

    // No live code anywhere in the FOI mailbox.
    let root = Path::new(&bed.var("FOID_TB_MAILDIR_ROOT")).join("council.test/foi");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                let text = String::from_utf8_lossy(&bytes);
                // Officers' own mails quote it; foid's copies must not.
                if text.contains("foid.preview.") && text.contains("Message-ID: <foid.preview") {
                    assert!(!text.contains(&code), "a live code in {}", p.display());
                }
            }
        }
    }

    // The positive control: the officer's address in another letter case.
    submit(
        &bed,
        OFFICER2,
        &plain("Officer Two <Officer2@COUNCIL.test>", &on, &approve, ""),
    )
    .await;
    wait("the reply", long, || count_with(&bed, BOB, &reference) >= 2);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(count_with(&bed, BOB, &reference), 2);

    store.close().await;
    daemon.kill().ok();
    daemon.wait().ok();
}

/// Spam, robots and mail that reads like no request get nothing from
/// foid; the team hears of the unclear ones, and an officer's `#open` on a
/// held notice makes a case from the message's own date of receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spam_and_robots_get_nothing_and_held_mail_opens_on_an_officers_command() {
    let bed = TestBed::start();
    let config = casework_config(&bed);
    let log = bed.dir.path().join("foid.log");
    let mut daemon = start_daemon(&config, &log);
    let long = Duration::from_secs(60);

    const SPAMMER: &str = "offers@public.test";
    const EXCHANGE_SPAM: &str = "prize@public.test";
    const PHISHER: &str = "helpdesk@public.test";
    const LIST: &str = "digest@public.test";
    const COMPLAINTS: &str = "fbl@public.test";
    const RESIDENT: &str = "resident@public.test";
    const REQUESTER: &str = "dora@public.test";
    let mut mx = bed.smtp();
    // The filter's subject tag.
    mx.send(
        SPAMMER,
        FOI,
        &plain(
            SPAMMER,
            "*****SPAM***** Cheap watches",
            "Best prices on watches.",
            "",
        ),
    );
    // Exchange's spam confidence (stripped from outside mail at a real border).
    mx.send(
        EXCHANGE_SPAM,
        FOI,
        &plain(
            EXCHANGE_SPAM,
            "You have won",
            "Claim your prize today.",
            "X-MS-Exchange-Organization-SCL: 9\r\n",
        ),
    );
    // Phishing: no spam verdict, but nothing an officer would acknowledge.
    mx.send(
        PHISHER,
        FOI,
        &plain(
            PHISHER,
            "Mailbox quota",
            "Your mailbox is almost full and will be suspended. Verify your account within 24 hours.",
            "",
        ),
    );
    // A list digest that carries only List-Post.
    mx.send(
        LIST,
        FOI,
        &plain(
            LIST,
            "Local-gov Digest, Vol 12, Issue 3",
            "Today's topics: 1. Budgets 2. Elections",
            "List-Post: <mailto:local-gov@public.test>\r\n",
        ),
    );
    // An abuse feedback report (ARF) about some message.
    let arf = format!(
        "From: {COMPLAINTS}\r\nTo: {FOI}\r\nSubject: Complaint about message\r\nMessage-ID: <arf-{}@public.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\r\n\r\n\
         --F\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n\
         --F\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nVersion: 1\r\n\
         --F--\r\n",
        rand::random::<u32>()
    );
    mx.send(COMPLAINTS, FOI, arf.as_bytes());
    // A resident's message that asks for nothing in so many words.
    mx.send(
        RESIDENT,
        FOI,
        &plain(
            RESIDENT,
            "Bins in Elm Road",
            "Hello,\n\nThe bins in Elm Road have not been emptied for three weeks.\n\nRegards,\nRuth",
            "",
        ),
    );
    // A request.
    mx.send(
        REQUESTER,
        FOI,
        &plain(
            REQUESTER,
            "Library visits",
            "Dear Council,\n\nHow many visits did each library have in 2025?\n\nDora",
            "",
        ),
    );
    mx.quit();

    // The request is acknowledged; the team hears of the two unclear
    // messages, and of nothing else.
    let ack = wait_for_mail(&bed, REQUESTER, "Library visits", long);
    let reference = reference_in(&subject_of(&ack));
    wait_for_mail(&bed, OFFICER1, &reference, long);
    let bins_notice = wait_for_mail(&bed, OFFICER1, "Bins in Elm Road", long);
    let notice_subject = subject_of(&bins_notice);
    assert!(
        notice_subject.starts_with("Held, not opened"),
        "{notice_subject}"
    );
    let notice_text = text_of(&bins_notice);
    assert!(notice_text.contains("#open"), "{notice_text}");
    assert!(
        notice_text.contains("not recognisably a request"),
        "{notice_text}"
    );
    let phish_notice = wait_for_mail(&bed, OFFICER1, "Mailbox quota", long);
    assert!(
        text_of(&phish_notice).contains("phishing"),
        "{}",
        text_of(&phish_notice)
    );
    let db = Store::open(&bed.sqlite_url("casework.db"))
        .await
        .expect("store");
    wait("every message processed", long, || {
        let states = futures_lite_block(db.raw_states());
        states.iter().all(|(s, _)| s != "new") && states.iter().map(|(_, n)| n).sum::<i64>() >= 7
    });
    let states: std::collections::BTreeMap<String, i64> =
        futures_lite_block(db.raw_states()).into_iter().collect();
    assert_eq!(states.get("held"), Some(&4), "{states:?}");
    assert_eq!(states.get("ignored"), Some(&2), "{states:?}");
    assert_eq!(db.case_count().await.expect("count"), 1);
    let (ok, out, err) = run_foid(&["--config", config.to_str().unwrap(), "held", "--json"]);
    assert!(ok, "{err}");
    let held: serde_json::Value = serde_json::from_str(&out).expect("held --json");
    let mut kinds: Vec<&str> = held
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|h| h["kind"].as_str())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["spam", "spam", "unclear", "unclear"], "{out}");
    assert!(out.contains("Exchange spam confidence 9"), "{out}");

    // 3. officer1 opens the resident's message from its notice.
    std::thread::sleep(Duration::from_secs(1));
    let before_open = jiff::Timestamp::now();
    let reply = plain(
        OFFICER1,
        &format!("Re: {notice_subject}"),
        "#open\n\nThis is a request about missed collections.",
        "",
    );
    submit(&bed, OFFICER1, &reply).await;
    let answer = wait_for_mail(&bed, OFFICER1, "Your commands", long);
    assert!(
        text_of(&answer).contains("is opened as a case"),
        "{}",
        text_of(&answer)
    );
    let resident_ack = wait_for_mail(&bed, RESIDENT, "Bins in Elm Road", long);
    let opened = reference_in(&subject_of(&resident_ack));
    assert_ne!(opened, reference);
    let (ok, out, err) = run_foid(&[
        "--config",
        config.to_str().unwrap(),
        "show",
        &opened,
        "--json",
    ]);
    assert!(ok, "{err}");
    let case: serde_json::Value = serde_json::from_str(&out).expect("show --json");
    // Its clock runs from when the message arrived, not from the #open.
    let received_at = match &case["received_at"] {
        serde_json::Value::Number(n) => n.as_i64().expect("seconds"),
        serde_json::Value::String(t) => t.parse::<jiff::Timestamp>().expect("a time").as_second(),
        other => panic!("received_at is {other}"),
    };
    assert!(received_at < before_open.as_second(), "{out}");
    assert!(out.contains("opened_from_hold"), "{out}");
    assert!(out.contains("not recognisably a request"), "{out}");

    // The message is no longer held; a second #open is refused with why.
    let (ok, out, _) = run_foid(&["--config", config.to_str().unwrap(), "held", "--json"]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out)
            .expect("json")
            .as_array()
            .map(Vec::len),
        Some(3),
        "{out}"
    );
    submit(&bed, OFFICER1, &reply).await;
    wait("the second #open answered", long, || {
        count_with(&bed, OFFICER1, "Your commands") >= 2
    });
    let answers: Vec<String> = maildir_files(&bed, OFFICER1, "")
        .iter()
        .filter(|m| subject_of(m).contains("Your commands"))
        .map(|m| text_of(m))
        .collect();
    assert!(
        answers.iter().any(|t| t.contains("is not held")),
        "{answers:?}"
    );

    // Nothing ever went to the spammers, the phisher, the list or the
    // complaints robot.
    for who in [SPAMMER, EXCHANGE_SPAM, PHISHER, LIST, COMPLAINTS] {
        assert_eq!(maildir_files(&bed, who, "").len(), 0, "mail to {who}");
    }
    daemon.kill().ok();
    daemon.wait().ok();
}
