//! Intake against the real test bed: mail delivered through Postfix into
//! Dovecot becomes cases exactly once — through robots' mail, replies,
//! bounces, a UIDVALIDITY change and hostile input.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{request, TestBed, FOI, OFFICER1, OFFICER2};
use foid::config::Config;
use foid::daemon::{self, Context};
use foid::store::Store;

/// The test bed's second layout: personal folders under `INBOX.`, no MOVE.
const COURIER: &[(&str, &str)] = &[("FOID_TB_LAYOUT", "courier")];

async fn context(config_text: &str) -> Context {
    let config = Config::parse(config_text, Path::new("test.toml")).expect("config");
    let store = Store::open(&config.database.url).await.expect("store");
    store.migrate().await.expect("migrate");
    Context::new(config, store).await.expect("context")
}

fn inbox(bed: &TestBed) -> usize {
    bed.maildir_count(FOI, "")
}

async fn raw_state_counts(store: &Store) -> std::collections::BTreeMap<String, i64> {
    store
        .raw_states()
        .await
        .expect("states")
        .into_iter()
        .collect()
}

fn robot_mail() -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "ooo@supplier.test".into(),
            b"From: John Smith <ooo@supplier.test>\r\nTo: foi@council.test\r\nSubject: Automatic reply: FOI\r\nMessage-ID: <ooo-1@supplier.test>\r\nAuto-Submitted: auto-replied\r\n\r\nI am out of the office until Monday.\r\n".to_vec(),
        ),
        (
            "news@lists.test".into(),
            b"From: Council News <news@lists.test>\r\nTo: foi@council.test\r\nSubject: Weekly digest\r\nMessage-ID: <digest-1@lists.test>\r\nList-Id: <weekly.lists.test>\r\nList-Unsubscribe: <mailto:leave@lists.test>\r\nPrecedence: list\r\n\r\nThis week in local government.\r\n".to_vec(),
        ),
    ]
}

/// Requests, robots, an acknowledgement delivered back through Postfix, a
/// reply on the case and a bounce of our own mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_become_cases_robots_get_nothing() {
    let bed = TestBed::start();
    end_to_end(&bed, &bed.sqlite_url("intake.db")).await;
}

/// The same on PostgreSQL: the pipeline's own queries run on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_become_cases_on_postgres() {
    let bed = TestBed::start();
    end_to_end(&bed, &bed.pg_url()).await;
}

/// The same on Courier's and Cyrus's layout (`INBOX.` namespace, `.`
/// separator, no MOVE) with the example configuration's folder names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_become_cases_on_the_courier_layout() {
    let bed = TestBed::start_with(COURIER);
    end_to_end(&bed, &bed.sqlite_url("intake.db")).await;
}

async fn end_to_end(bed: &TestBed, database_url: &str) {
    let text = bed.config_text(database_url, "");
    let ctx = context(&text).await;

    let mut smtp = bed.smtp();
    for (n, who) in ["alice@public.test", "bob@public.test", "carol@public.test"]
        .iter()
        .enumerate()
    {
        smtp.send(
            who,
            FOI,
            &request(
                n,
                who,
                "Freedom of Information request",
                "Please tell me:\r\n1. How many bins?\r\n2. How many lorries?\r\n",
            ),
        );
    }
    for (from, bytes) in robot_mail() {
        smtp.send(&from, FOI, &bytes);
    }
    smtp.quit();
    assert_eq!(bed.wait_for_maildir(FOI, "", 5, Duration::from_secs(20)), 5);

    daemon::run_once(&ctx).await.expect("one pass");

    let cases = ctx.store.cases(false).await.expect("cases");
    assert_eq!(cases.len(), 3, "three requests, no case for robots");
    for c in &cases {
        assert_eq!(c.questions.len(), 2, "{c:?}");
        assert_eq!(c.regime, "foi");
        assert!(c.due_on.is_some());
    }
    let states = raw_state_counts(&ctx.store).await;
    assert_eq!(
        states.get("processed"),
        Some(&3),
        "{states:?} {:?}",
        ctx.store.quarantined().await
    );
    assert_eq!(states.get("ignored"), Some(&2));
    assert_eq!(inbox(bed), 0, "everything moved out of the inbox");
    assert_eq!(bed.maildir_count(FOI, ".FOI.Processed"), 5);

    // Acknowledgements reached the requesters (only them), case emails the officers.
    assert_eq!(
        bed.wait_for_maildir("alice@public.test", "", 1, Duration::from_secs(20)),
        1
    );
    assert_eq!(
        bed.wait_for_maildir(OFFICER1, "", 3, Duration::from_secs(20)),
        3
    );
    assert_eq!(
        bed.wait_for_maildir(OFFICER2, "", 3, Duration::from_secs(20)),
        3
    );
    assert_eq!(
        bed.maildir_count(FOI, ".Sent"),
        6,
        "copies in the Sent folder"
    );
    let alice_case = cases
        .iter()
        .find(|c| c.requester.email == "alice@public.test")
        .expect("alice's case");
    let ack = read_only_message(bed, "alice@public.test");
    assert!(ack.contains(&alice_case.reference), "{ack}");
    assert!(ack.contains("Auto-Submitted: auto-replied"), "{ack}");
    assert!(ack.contains("In-Reply-To: <req-0-"), "{ack}");
    let outbox = ctx.store.outbox_summary().await.expect("outbox");
    assert!(
        outbox.iter().all(|(state, _, _)| state == "sent"),
        "{outbox:?}"
    );

    // Alice replies on her case: no new case, an event on hers.
    let reply = format!(
        "From: Alice <alice@public.test>\r\nTo: {FOI}\r\nSubject: Re: [{r}] Freedom of Information request\r\nMessage-ID: <reply-1@public.test>\r\n\r\nThank you, I meant household bins only.\r\n",
        r = alice_case.reference
    );
    // A bounce of the acknowledgement we sent to bob, quoting our Message-ID.
    let bob_case = cases
        .iter()
        .find(|c| c.requester.email == "bob@public.test")
        .expect("bob");
    let bob_ack = ctx
        .store
        .outbox_for_case(bob_case.id)
        .await
        .expect("outbox")
        .into_iter()
        .find(|m| m.purpose == "acknowledgement")
        .expect("bob's acknowledgement");
    let bounce = format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.public.test>\r\nTo: {FOI}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.public.test>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n<bob@public.test>: mailbox full\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.public.test\r\n\r\nFinal-Recipient: rfc822; bob@public.test\r\nAction: failed\r\nStatus: 5.2.2\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {FOI}\r\nMessage-ID: {id}\r\nSubject: ack\r\n--B--\r\n",
        id = bob_ack.message_id
    );
    let mut smtp = bed.smtp();
    smtp.send("alice@public.test", FOI, reply.as_bytes());
    smtp.send("", FOI, bounce.as_bytes());
    smtp.quit();
    assert_eq!(bed.wait_for_maildir(FOI, "", 2, Duration::from_secs(20)), 2);
    daemon::run_once(&ctx).await.expect("second pass");

    assert_eq!(
        ctx.store.case_count().await.expect("count"),
        3,
        "no case for a reply or a bounce"
    );
    let alice_events = ctx.store.case_events(alice_case.id).await.expect("events");
    assert!(
        alice_events.iter().any(|e| e.kind == "message_received"),
        "{alice_events:?}"
    );
    let bob_events = ctx.store.case_events(bob_case.id).await.expect("events");
    assert!(
        bob_events.iter().any(|e| e.kind == "delivery_failure"),
        "{bob_events:?}"
    );
    // The officers were told about the bounce; nobody was told about the reply.
    assert_eq!(
        bed.wait_for_maildir(OFFICER1, "", 4, Duration::from_secs(20)),
        4
    );
    assert_eq!(inbox(bed), 0);
}

fn read_only_message(bed: &TestBed, user: &str) -> String {
    let (local, domain) = user.split_once('@').expect("address");
    let root = Path::new(&bed.var("FOID_TB_MAILDIR_ROOT"))
        .join(domain)
        .join(local);
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(root.join(sub)) {
            if let Some(e) = entries.flatten().next() {
                return std::fs::read_to_string(e.path()).expect("read message");
            }
        }
    }
    panic!("no message for {user}");
}

/// The mailbox is recreated, first empty and then with the same messages
/// (a new UIDVALIDITY each time): the change is recorded once, the daemon
/// resynchronises and makes no duplicate case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uidvalidity_change_makes_no_duplicates() {
    uidvalidity_change(&TestBed::start()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uidvalidity_change_makes_no_duplicates_on_the_courier_layout() {
    uidvalidity_change(&TestBed::start_with(COURIER)).await;
}

async fn uidvalidity_change(bed: &TestBed) {
    let text = bed.config_text_with(&bed.sqlite_url("uidv.db"), "", false, "");
    let ctx = context(&text).await;
    let mut smtp = bed.smtp();
    for n in 0..3 {
        smtp.send(
            "alice@public.test",
            FOI,
            &request(
                n,
                "alice@public.test",
                &format!("Request {n}"),
                "How many parks are there?",
            ),
        );
    }
    smtp.quit();
    assert_eq!(bed.wait_for_maildir(FOI, "", 3, Duration::from_secs(20)), 3);
    daemon::run_once(&ctx).await.expect("first pass");
    assert_eq!(ctx.store.case_count().await.expect("count"), 3);
    let first = checkpoint(&ctx).await;

    // Recreated empty: the new UIDVALIDITY is recorded on the first pass,
    // so the next pass finds nothing changed (and warns no more).
    recreate_inbox(bed, false);
    assert_eq!(inbox(bed), 0);
    daemon::run_once(&ctx)
        .await
        .expect("pass on the empty inbox");
    let emptied = checkpoint(&ctx).await;
    assert_ne!(
        emptied.uidvalidity, first.uidvalidity,
        "the test did change UIDVALIDITY"
    );
    daemon::run_once(&ctx).await.expect("another pass");
    assert_eq!(checkpoint(&ctx).await.uidvalidity, emptied.uidvalidity);

    // Recreated again with the processed messages put back.
    recreate_inbox(bed, true);
    assert_eq!(inbox(bed), 3);
    daemon::run_once(&ctx)
        .await
        .expect("pass on the refilled inbox");
    assert_ne!(checkpoint(&ctx).await.uidvalidity, emptied.uidvalidity);
    assert_eq!(
        ctx.store.case_count().await.expect("count"),
        3,
        "no duplicate case"
    );
    let states = raw_state_counts(&ctx.store).await;
    assert_eq!(states.get("duplicate"), Some(&3), "{states:?}");
    assert_eq!(inbox(bed), 0);
}

async fn checkpoint(ctx: &Context) -> foid::store::Checkpoint {
    ctx.store
        .checkpoint("INBOX")
        .await
        .expect("cp")
        .expect("checkpoint")
}

/// Gives the FOI inbox a new UIDVALIDITY by dropping Dovecot's index and
/// UID list while IMAP is stopped, optionally putting the processed
/// messages back in it.
fn recreate_inbox(bed: &TestBed, with_processed: bool) {
    bed.control("stop-imap");
    let home = Path::new(&bed.var("FOID_TB_MAILDIR_ROOT")).join("council.test/foi");
    for entry in std::fs::read_dir(&home).expect("maildir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Keep dovecot-uidvalidity*: Dovecot then gives the recreated
        // mailbox the next UIDVALIDITY rather than one made from the clock.
        if (name == "dovecot-uidlist" || name.starts_with("dovecot.index")) && path.is_file() {
            std::fs::remove_file(&path).expect("remove index");
        }
    }
    if with_processed {
        let processed: Vec<_> = ["new", "cur"]
            .iter()
            .flat_map(|sub| {
                std::fs::read_dir(home.join(".FOI.Processed").join(sub))
                    .into_iter()
                    .flatten()
            })
            .map(|e| e.expect("entry").path())
            .collect();
        for (i, path) in processed.iter().enumerate() {
            let copy = home.join("new").join(format!("1700000000.copy{i}.testbed"));
            std::fs::copy(path, &copy).expect("copy back");
            std::os::unix::fs::chown(&copy, Some(8), Some(8)).expect("chown to the mail user");
        }
    }
    bed.control("start-imap");
}

/// At least 30 hostile or broken messages: none crashes the daemon, each
/// is processed or quarantined with a reason, and good mail still flows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_mail_is_quarantined_and_good_mail_flows() {
    hostile_mail(&TestBed::start()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_mail_is_quarantined_on_the_courier_layout() {
    hostile_mail(&TestBed::start_with(COURIER)).await;
}

async fn hostile_mail(bed: &TestBed) {
    let text = bed.config_text_with(
        &bed.sqlite_url("hostile.db"),
        "",
        false,
        "[intake]\nmax_message_bytes = 12000000\n",
    );
    let ctx = context(&text).await;

    let mut smtp = bed.smtp();
    for n in 0..3 {
        smtp.send(
            "carol@public.test",
            FOI,
            &request(
                100 + n,
                "carol@public.test",
                &format!("Good request {n}"),
                "1. What is the budget?\r\n2. Who approved it?",
            ),
        );
    }
    smtp.quit();
    assert_eq!(bed.wait_for_maildir(FOI, "", 3, Duration::from_secs(20)), 3);
    // Written straight into the Maildir, owned by the mail user: exact
    // bytes, whatever an MTA would have said about them.
    let corpus = hostile_corpus();
    assert!(corpus.len() >= 30);
    let new_dir = Path::new(&bed.var("FOID_TB_MAILDIR_ROOT")).join("council.test/foi/new");
    for (i, (_, bytes)) in corpus.iter().enumerate() {
        let path = new_dir.join(format!("1700000000.hostile{i:03}.testbed"));
        std::fs::write(&path, bytes).expect("write");
        std::os::unix::fs::chown(&path, Some(8), Some(8)).expect("chown to the mail user");
    }
    assert_eq!(inbox(bed), corpus.len() + 3);

    daemon::run_once(&ctx)
        .await
        .expect("the pass survives hostile mail");

    let states = raw_state_counts(&ctx.store).await;
    let total: i64 = states.values().sum();
    assert_eq!(
        total as usize,
        corpus.len() + 3,
        "every message stored: {states:?}"
    );
    assert_eq!(
        states.get("new"),
        None,
        "nothing left unprocessed: {states:?}"
    );
    let quarantined = ctx.store.quarantined().await.expect("quarantined");
    assert!(quarantined.len() >= 5, "{quarantined:?}");
    assert!(quarantined.iter().all(|q| q
        .quarantine_reason
        .as_deref()
        .is_some_and(|r| !r.is_empty())));
    assert!(
        quarantined.iter().any(|q| q
            .quarantine_reason
            .as_deref()
            .unwrap_or_default()
            .contains("over the 12000000-byte limit")),
        "the oversized message was refused before download: {quarantined:?}"
    );
    assert_eq!(bed.maildir_count(FOI, ".FOI.Quarantine"), quarantined.len());
    assert_eq!(inbox(bed), 0, "the loop went on past every bad message");
    let cases = ctx.store.cases(false).await.expect("cases");
    for n in 0..3 {
        let subject = format!("Good request {n}");
        let case = cases
            .iter()
            .find(|c| c.subject == subject)
            .unwrap_or_else(|| panic!("{subject} has no case"));
        assert_eq!(case.questions.len(), 2);
    }
    // Duplicate Message-ID with different bodies: both kept, neither lost.
    let twins = ctx.store.unprocessed(0, 1000).await.expect("none new");
    assert!(twins.is_empty());
}

fn hostile_corpus() -> Vec<(&'static str, Vec<u8>)> {
    let head = |extra: &str| {
        format!("From: Mallory <mallory@public.test>\r\nTo: foi@council.test\r\nSubject: hostile\r\nMessage-ID: <h-{}@public.test>\r\n{extra}", rand_token())
    };
    let mut nested = String::from("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
    for level in 1..50 {
        nested.push_str(&format!(
            "--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n",
            level - 1
        ));
    }
    nested.push_str("--b49\r\nContent-Type: text/plain\r\n\r\ndeep\r\n");
    let mut rfc822 = String::new();
    for _ in 0..30 {
        rfc822.push_str("Content-Type: message/rfc822\r\n\r\nFrom: x@y.test\r\nSubject: inner\r\n");
    }
    rfc822.push_str("\r\ninnermost\r\n");
    let mut parts = String::from("Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
    for i in 0..5000 {
        parts.push_str(&format!(
            "--p\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"
        ));
    }
    parts.push_str("--p--\r\n");
    let mut folded = String::from("X-Folded: start\r\n");
    for _ in 0..10_000 {
        folded.push_str(" continued\r\n");
    }
    let huge_header = format!("X-Huge: {}\r\n", "a".repeat(10 * 1024 * 1024));
    let many_from = (0..1000)
        .map(|i| format!("p{i}@public.test"))
        .collect::<Vec<_>>()
        .join(", ");
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();

    vec![
        ("truncated multipart", format!("{}Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\n1. How many?\r\n--x\r\nContent-Type: text/pl", head("")).into_bytes()),
        ("50-level nesting", format!("{}{nested}", head("")).into_bytes()),
        ("10 MB header", format!("{}{huge_header}\r\nbody\r\n", head("")).into_bytes()),
        ("invalid base64", format!("{}Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!! not base64 ####\r\n", head("")).into_bytes()),
        ("unknown charset", format!("{}Content-Type: text/plain; charset=x-klingon-9\r\n\r\nQ1. How many?\r\n", head("")).into_bytes()),
        ("NUL bytes in body", [head("").as_bytes(), b"\r\nHow many\0 bins\0?\r\n"].concat()),
        ("NUL bytes in header", [b"From: a\0b@public.test\r\nSubject: nul\0\r\n\r\nbody\r\n".as_slice()].concat()),
        ("no Message-ID", b"From: Nobody <nobody@public.test>\r\nTo: foi@council.test\r\nSubject: no id\r\n\r\nPlease tell me how many libraries there are.\r\n".to_vec()),
        ("duplicate Message-ID 1", b"From: Twin <twin@public.test>\r\nTo: foi@council.test\r\nSubject: twin one\r\nMessage-ID: <twin@public.test>\r\n\r\nHow many roads?\r\n".to_vec()),
        ("duplicate Message-ID 2", b"From: Twin <twin@public.test>\r\nTo: foi@council.test\r\nSubject: twin two\r\nMessage-ID: <twin@public.test>\r\n\r\nHow many bridges?\r\n".to_vec()),
        ("empty message", Vec::new()),
        ("headers only", head("").into_bytes()),
        ("no From", b"To: foi@council.test\r\nSubject: anonymous\r\nMessage-ID: <nofrom@public.test>\r\n\r\nWho am I?\r\n".to_vec()),
        ("binary garbage", garbage),
        ("lines without colons", b"this is not a header\r\nneither is this\r\n\r\nbody\r\n".to_vec()),
        ("1 MB line", format!("{}\r\n{}\r\n", head(""), "x".repeat(1024 * 1024)).into_bytes()),
        ("5000 parts", format!("{}{parts}", head("")).into_bytes()),
        ("invalid quoted-printable", format!("{}Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=4=\r\n=\r\n", head("")).into_bytes()),
        ("8-bit header", [b"From: J\xf6rg <jorg@public.test>\r\nSubject: Gr\xfc\xdfe\r\n\r\nHow many?\r\n".as_slice()].concat()),
        ("broken encoded word", format!("{}\r\n", head("X-Note: =?utf-8?B?!!!?= =?unknown?Q?x?=\r\n")).into_bytes().into_iter().chain(b"body\r\n".iter().copied()).collect()),
        ("30 nested message/rfc822", format!("{}{rfc822}", head("")).into_bytes()),
        ("multipart without boundary", format!("{}Content-Type: multipart/mixed\r\n\r\n--\r\nhello\r\n", head("")).into_bytes()),
        ("empty boundary", format!("{}Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\nhi\r\n----\r\n", head("")).into_bytes()),
        ("LF line ends", b"From: lf@public.test\nTo: foi@council.test\nSubject: lf\nMessage-ID: <lf@public.test>\n\n1. How many?\n2. How much?\n".to_vec()),
        ("CR line ends", b"From: cr@public.test\rTo: foi@council.test\rSubject: cr\r\r1. How many?\r".to_vec()),
        ("garbage Date", format!("{}\r\nbody\r\n", head("Date: the day after tomorrow\r\n")).into_bytes()),
        ("1000 From addresses", format!("From: {many_from}\r\nSubject: many\r\nMessage-ID: <many@public.test>\r\n\r\nbody\r\n").into_bytes()),
        ("10000 folded lines", format!("{}{folded}\r\nbody\r\n", head("")).into_bytes()),
        ("UTF-16 body", [head("Content-Type: text/plain; charset=utf-16\r\n").as_bytes(), b"\r\n\xff\xfeH\0o\0w\0 \0m\0a\0n\0y\0?\0\r\n"].concat()),
        ("1 MB of HTML tags", format!("{}Content-Type: text/html\r\n\r\n{}<script>alert(1)</script>\r\n", head(""), "<div>".repeat(200_000)).into_bytes()),
        ("huge attachment name", format!("{}Content-Type: multipart/mixed; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: application/octet-stream; name=\"{}\"\r\nContent-Disposition: attachment; filename=\"{}\"\r\n\r\nAAAA\r\n--a--\r\n", head(""), "n".repeat(100_000), "f".repeat(100_000)).into_bytes()),
        ("oversized message", format!("{}\r\n{}\r\n", head(""), "y".repeat(13 * 1024 * 1024)).into_bytes()),
        ("malformed delivery status", format!("{}Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\n\0\0garbage\r\n", head("")).into_bytes()),
        ("From is <>", b"From: <>\r\nTo: foi@council.test\r\nSubject: nobody\r\nMessage-ID: <empty-from@public.test>\r\n\r\nbody\r\n".to_vec()),
    ]
}

fn import_args(paths: Vec<std::path::PathBuf>) -> foid::cli::ImportArgs {
    foid::cli::ImportArgs {
        paths,
        send: false,
        history: false,
        older_than: None,
    }
}

fn rand_token() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// `foid import`: .eml files, a directory and an mbox, with outgoing mail
/// held; importing again adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_backfills_without_sending() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = common::local_config_text(&dir.path().join("import.db"), dir.path());
    let config = Config::parse(&text, Path::new("t.toml")).expect("config");
    let store = Store::open(&config.database.url).await.expect("store");
    store.migrate().await.expect("migrate");
    let emls = dir.path().join("emls");
    std::fs::create_dir(&emls).expect("dir");
    std::fs::write(
        emls.join("a.eml"),
        request(1, "alice@public.test", "Old request A", "How many parks?"),
    )
    .expect("write");
    std::fs::write(
        emls.join("b.eml"),
        request(2, "bob@public.test", "Old request B", "How many pools?"),
    )
    .expect("write");
    let mbox = dir.path().join("archive.mbox");
    let mut m = Vec::new();
    for n in 3..6 {
        m.extend_from_slice(
            format!("From requester{n}@public.test Mon Jan  6 10:00:00 2025\n").as_bytes(),
        );
        // An mbox writer quotes body lines that start with "From ".
        let message = String::from_utf8(request(
            n,
            &format!("requester{n}@public.test"),
            &format!("Archived {n}"),
            "Hello.\r\n\r\nFrom the archive: how many libraries?",
        ))
        .expect("utf8");
        m.extend_from_slice(
            message
                .replace('\r', "")
                .replace("\nFrom the", "\n>From the")
                .as_bytes(),
        );
        m.push(b'\n');
    }
    std::fs::write(&mbox, m).expect("write mbox");

    let summary = daemon::import::run(
        &config,
        &store,
        &import_args(vec![emls.clone(), mbox.clone()]),
    )
    .await
    .expect("import");
    assert_eq!(summary.messages, 5);
    assert_eq!(summary.processed, 5);
    assert_eq!(store.case_count().await.expect("count"), 5);
    let outbox = store.outbox_summary().await.expect("outbox");
    assert!(!outbox.is_empty());
    assert!(
        outbox.iter().all(|(state, _, _)| state == "held"),
        "{outbox:?}"
    );
    let cases = store.cases(false).await.expect("cases");
    let archived = cases
        .iter()
        .find(|c| c.subject == "Archived 3")
        .expect("mbox message became a case");
    assert_eq!(
        archived.received_on, "2026-11-27",
        "date of receipt from the message, not today"
    );

    let again = daemon::import::run(&config, &store, &import_args(vec![emls, mbox]))
        .await
        .expect("import again");
    assert_eq!(again.already_known, 5);
    assert_eq!(store.case_count().await.expect("count"), 5);
}

/// `foid import --history`: past years become closed history (nothing
/// sent, no work, left out of timeliness, old bank holidays right); a
/// recent request in the same import is opened as work; past officers'
/// commands are not carried out and past spam is not held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_history_opens_no_work_and_sends_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = common::local_config_text(&dir.path().join("history.db"), dir.path());
    let config = Config::parse(&text, Path::new("t.toml")).expect("config");
    let store = Store::open(&config.database.url).await.expect("store");
    store.migrate().await.expect("migrate");
    let dated = |message: Vec<u8>, date: &str| -> Vec<u8> {
        String::from_utf8(message)
            .expect("utf8")
            .replace("Fri, 27 Nov 2026 10:00:00 +0000", date)
            .into_bytes()
    };
    let pid = std::process::id();
    let past = dir.path().join("past");
    std::fs::create_dir(&past).expect("dir");
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(past.join(name), bytes).expect("write");
    // Friday 1 June 2012, before the moved spring holiday and the Diamond
    // Jubilee: due Tuesday 3 July 2012.
    write(
        "1.eml",
        dated(
            request(
                1,
                "alice@public.test",
                "Potholes",
                "1. How many potholes were reported?\r\n2. How many were repaired?",
            ),
            "Fri, 01 Jun 2012 10:00:00 +0100",
        ),
    );
    // Thursday 14 April 2011: Easter, the royal wedding and early May in
    // its 20 days: due Wednesday 18 May 2011.
    write(
        "2.eml",
        dated(
            request(
                2,
                "bob@public.test",
                "Library opening hours",
                "What were the opening hours of each library?",
            ),
            "Thu, 14 Apr 2011 09:00:00 +0100",
        ),
    );
    // Alice's follow-up on her old case, an officer's old command, and old spam.
    write(
        "3.eml",
        format!(
            "From: Alice <alice@public.test>\r\nTo: {FOI}\r\nSubject: Re: Potholes\r\nMessage-ID: <followup-{pid}@public.test>\r\nIn-Reply-To: <req-1-{pid}@public.test>\r\nDate: Mon, 11 Jun 2012 10:00:00 +0100\r\n\r\nThank you, I look forward to the answer.\r\n"
        )
        .into_bytes(),
    );
    write(
        "4.eml",
        format!(
            "From: Officer <{OFFICER1}>\r\nTo: {FOI}\r\nSubject: Potholes\r\nMessage-ID: <cmd-{pid}@council.test>\r\nDate: Tue, 12 Jun 2012 10:00:00 +0100\r\n\r\n#note called the highways team\r\n"
        )
        .into_bytes(),
    );
    write(
        "5.eml",
        dated(
            request(
                5,
                "prize@public.test",
                "*****SPAM***** You have won",
                "Claim your prize now.",
            ),
            "Wed, 13 Jun 2012 10:00:00 +0100",
        ),
    );
    // Two days ago: still work, opened as a live case (its letters held).
    let recent_date = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48))
        .strftime("%a, %d %b %Y %H:%M:%S +0000")
        .to_string();
    write(
        "6.eml",
        dated(
            request(
                6,
                "carol@public.test",
                "Parking permits",
                "How many parking permits were issued last year?",
            ),
            &recent_date,
        ),
    );

    let args = foid::cli::ImportArgs {
        paths: vec![past.clone()],
        send: false,
        history: true,
        older_than: None,
    };
    let summary = daemon::import::run(&config, &store, &args)
        .await
        .expect("import");
    assert_eq!(summary.messages, 6);
    assert_eq!(summary.processed, 6);
    assert_eq!(summary.history, 2, "{summary:?}");
    assert!(summary.skipped.is_empty());

    let cases = store.cases(false).await.expect("cases");
    assert_eq!(cases.len(), 3, "two history cases and one live one");
    let case = |subject: &str| {
        cases
            .iter()
            .find(|c| c.subject == subject)
            .unwrap_or_else(|| panic!("no case {subject}"))
    };
    for (subject, received, due) in [
        ("Potholes", "2012-06-01", "2012-07-03"),
        ("Library opening hours", "2011-04-14", "2011-05-18"),
    ] {
        let c = case(subject);
        assert_eq!(c.state, "closed", "{subject}");
        assert_eq!(c.closure.as_deref(), Some("history"), "{subject}");
        assert_eq!(c.received_on, received, "{subject}");
        assert_eq!(c.due_on.as_deref(), Some(due), "{subject}");
    }
    assert_eq!(case("Potholes").questions.len(), 2);
    let live = case("Parking permits");
    assert_eq!(live.state, "open");
    assert_eq!(live.closure, None);
    assert_eq!(
        store.cases(true).await.expect("open").len(),
        1,
        "only the live case is work"
    );

    // Nothing at all for the past: the live case's acknowledgement and case
    // email are the only mail, and they are held (no --send).
    let outbox = store.outbox_summary().await.expect("outbox");
    let total: i64 = outbox.iter().map(|(_, _, n)| *n).sum();
    assert_eq!(total, 2, "{outbox:?}");
    assert!(
        outbox.iter().all(|(state, _, _)| state == "held"),
        "{outbox:?}"
    );

    // The follow-up joined its history case; the command was not obeyed;
    // the spam was not held for an officer.
    let events = store
        .case_events(case("Potholes").id)
        .await
        .expect("events");
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"closed"), "{kinds:?}");
    assert!(kinds.contains(&"message_received"), "{kinds:?}");
    assert!(
        !kinds.contains(&"note"),
        "a past command was carried out: {kinds:?}"
    );
    assert!(store.held().await.expect("held").is_empty());
    let states = store.raw_states().await.expect("states");
    assert!(states.contains(&("ignored".to_string(), 2)), "{states:?}");

    // Importing again finds everything known and changes nothing.
    let again = daemon::import::run(&config, &store, &args)
        .await
        .expect("again");
    assert_eq!(again.already_known, 6);
    assert_eq!(again.history, 0);
    assert_eq!(store.case_count().await.expect("count"), 3);
}

/// The Maildir source: read mail is filed into cur/, unreadable mail into
/// the .Quarantine folder, and nothing is read twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maildir_source_files_mail_away() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    std::fs::write(
        maildir.join("new/1.good"),
        request(
            1,
            "alice@public.test",
            "Trees",
            "1. How many trees?\r\n2. Which species?",
        ),
    )
    .expect("write");
    std::fs::write(maildir.join("new/2.empty"), b"").expect("write");
    let text = common::local_config_text(&dir.path().join("m.db"), &maildir);
    let ctx = context(&text).await;
    assert_eq!(daemon::maildir::ingest_pass(&ctx).await.expect("pass"), 2);
    assert_eq!(ctx.store.case_count().await.expect("count"), 1);
    assert_eq!(
        std::fs::read_dir(maildir.join("new")).expect("new").count(),
        0
    );
    assert!(maildir.join("cur/1.good:2,S").is_file());
    assert!(maildir.join(".Quarantine/cur/2.empty:2,S").is_file());
    let quarantined = ctx.store.quarantined().await.expect("quarantined");
    assert_eq!(quarantined.len(), 1);
    assert!(quarantined[0].quarantine_reason.is_some());
    // A second pass finds nothing new.
    assert_eq!(daemon::maildir::ingest_pass(&ctx).await.expect("pass"), 0);
    assert_eq!(ctx.store.case_count().await.expect("count"), 1);
}
