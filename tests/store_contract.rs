//! The storage contract: one suite, run unchanged against SQLite and
//! against a throwaway PostgreSQL cluster from the test bed.

mod common;

use foid::core::case::{
    Actor, CaseEvent, CaseState, Closure, Direction, Disposition, RawId, Source,
};
use foid::core::clock::Regime;
use foid::core::flags::{Flag, FlagKind};
use foid::core::intake::Kind;
use foid::core::letters::Purpose;
use foid::core::plan::NewCase;
use foid::core::questions::{Part, Question};
use foid::core::similarity::{self, Signature};
use foid::store::{self, Checkpoint, NewOutboxMessage, NewRawMessage, RequesterIdentity, Store};
use jiff::civil::date;
use jiff::Timestamp;

fn raw(uid: Option<i64>, body: &str) -> NewRawMessage {
    let bytes =
        format!("From: a@public.test\r\nMessage-ID: <{body}@public.test>\r\n\r\n{body}\r\n")
            .into_bytes();
    NewRawMessage {
        sha256: foid::mail::raw::sha256_hex(&bytes),
        message_id: format!("<{body}@public.test>"),
        bytes,
        source: if uid.is_some() {
            Source::Imap
        } else {
            Source::Import
        },
        mailbox: uid.map(|_| "INBOX".to_string()),
        uidvalidity: uid.map(|_| 7),
        uid,
        arrived_at: ts(1_795_000_000),
        quarantine_reason: None,
    }
}

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s).expect("timestamp")
}

async fn contract(store: Store) {
    let now = ts(1_795_000_100);

    // Migrations are idempotent.
    assert_eq!(store.migrate().await.expect("migrate again"), 0);

    // Checkpoint and fetched messages commit together; a UID seen twice is one row.
    assert_eq!(store.checkpoint("INBOX").await.expect("checkpoint"), None);
    let cp = Checkpoint {
        mailbox: "INBOX".into(),
        uidvalidity: 7,
        last_uid: 2,
    };
    let ids = store
        .store_fetched(&cp, &[raw(Some(1), "one"), raw(Some(2), "two")], now)
        .await
        .expect("store window");
    assert_eq!(ids.len(), 2);
    let again = store
        .store_fetched(&cp, &[raw(Some(2), "two")], now)
        .await
        .expect("store window again");
    assert!(again.is_empty(), "UID 2 stored twice");
    assert_eq!(
        store.checkpoint("INBOX").await.expect("cp"),
        Some(cp.clone())
    );

    // Imported bytes are stored once.
    let (imported, new) = store
        .store_raw(&raw(None, "three"), now)
        .await
        .expect("store_raw");
    assert!(new);
    let (same, new) = store
        .store_raw(&raw(None, "three"), now)
        .await
        .expect("store_raw");
    assert!(!new);
    assert_eq!(imported, same);

    let pending = store.unprocessed(0, 10).await.expect("unprocessed");
    assert_eq!(pending.len(), 3);
    assert_eq!(pending[0].bytes, raw(Some(1), "one").bytes);
    assert_eq!(pending[0].arrived_at, 1_795_000_000);
    assert_eq!(
        store.server_pending("INBOX").await.expect("pending").len(),
        2
    );

    // Failed processing attempts are counted.
    assert_eq!(
        store.count_processing_failure(ids[1]).await.expect("count"),
        1
    );
    assert_eq!(
        store.count_processing_failure(ids[1]).await.expect("count"),
        2
    );

    // Raw bytes are immutable.
    let tamper = sqlx::query("UPDATE raw_messages SET bytes = $1 WHERE id = $2")
        .bind(b"changed".to_vec())
        .bind(ids[0])
        .execute(store.pool())
        .await;
    assert!(tamper.is_err(), "raw bytes could be changed");

    // Requesters: found again by identity key or by any address used.
    let mut tx = store.begin().await.expect("begin");
    let alice = RequesterIdentity {
        name: Some("Alice Example".into()),
        identity_key: "alice@public.test".into(),
        address: "Alice@Public.test".into(),
    };
    let a1 = store::upsert_requester(&mut tx, &alice, now)
        .await
        .expect("requester");
    let a2 = store::upsert_requester(&mut tx, &alice, now)
        .await
        .expect("requester");
    assert_eq!(a1, a2);
    let wdtk = RequesterIdentity {
        name: Some("Sarah Jenkins".into()),
        identity_key: "name:sarah jenkins".into(),
        address: "foi+request-1-aa@whatdotheyknow.com".into(),
    };
    let s1 = store::upsert_requester(&mut tx, &wdtk, now)
        .await
        .expect("requester");
    let s2 = store::upsert_requester(
        &mut tx,
        &RequesterIdentity {
            address: "foi+request-2-bb@whatdotheyknow.com".into(),
            ..wdtk.clone()
        },
        now,
    )
    .await
    .expect("requester");
    assert_eq!(s1, s2, "one WhatDoTheyKnow user across request addresses");
    assert_ne!(a1, s1);

    // References count per prefix and year.
    assert_eq!(
        store::next_reference_number(&mut tx, "FOI", 2026)
            .await
            .expect("ref"),
        1
    );
    assert_eq!(
        store::next_reference_number(&mut tx, "FOI", 2026)
            .await
            .expect("ref"),
        2
    );
    assert_eq!(
        store::next_reference_number(&mut tx, "EIR", 2026)
            .await
            .expect("ref"),
        1
    );
    assert_eq!(
        store::next_reference_number(&mut tx, "FOI", 2027)
            .await
            .expect("ref"),
        1
    );

    let case_id = store::insert_case(
        &mut tx,
        &NewCase {
            reference: "FOI-2026-00002".into(),
            regime: Regime::Foi,
            kind: Kind::Foi,
            requester_name: Some("Alice Example".into()),
            requester_identity: "alice@public.test".into(),
            requester_address: "alice@public.test".into(),
            reply_to: "alice@public.test".into(),
            subject: "Potholes".into(),
            received_at: ts(1_795_000_000),
            received_on: date(2026, 11, 18),
            due_on: Some(date(2026, 12, 16)),
            raw_message_id: ids[0],
            request_message_id: "<one@public.test>".into(),
            request_text: "1. How many?\n2. How much?".into(),
            questions: vec![
                Question {
                    number: 1,
                    text: "How many?".into(),
                    options: vec![],
                    parts: vec![Part {
                        label: "a".into(),
                        text: "by ward".into(),
                    }],
                },
                Question {
                    number: 2,
                    text: "How much?".into(),
                    options: vec!["0%".into(), "100%".into()],
                    parts: vec![],
                },
            ],
            signature: Signature::from_questions(vec![
                similarity::terms("potholes reported ward"),
                similarity::terms("pothole repairs spend"),
            ]),
        },
        a1,
        now,
    )
    .await
    .expect("case");
    store::add_event(
        &mut tx,
        case_id,
        now,
        &Actor::Foid,
        &CaseEvent::Note {
            text: "test".into(),
        },
    )
    .await
    .expect("event");
    store::add_flag(
        &mut tx,
        case_id,
        &Flag {
            kind: FlagKind::Repeat,
            related: vec!["FOI-2025-00001".into()],
            score: 0.8,
            detail: "s.14(2)".into(),
            evidence: vec![],
        },
        now,
    )
    .await
    .expect("flag");
    // The signature is kept for the similarity index, bytes intact.
    let signatures = store::signatures_after(&mut tx, 0, 10)
        .await
        .expect("signatures");
    assert_eq!(signatures.len(), 1);
    assert_eq!(signatures[0].0, case_id.0);
    assert_eq!(
        Signature::from_bytes(&signatures[0].1).map(|s| s.questions.len()),
        Some(2)
    );
    let (own, recent) = store::requester_cases(
        &mut tx,
        "alice@public.test",
        "ALICE@public.test",
        date(2026, 11, 1),
        10,
    )
    .await
    .expect("own cases");
    assert_eq!((own, recent), (vec![case_id.0], 1));
    let earlier = store::earlier_cases(&mut tx, &[case_id.0])
        .await
        .expect("earlier");
    assert_eq!(earlier.len(), 1);
    assert_eq!(earlier[0].1.reference, "FOI-2026-00002");
    assert_eq!(earlier[0].1.questions.len(), 2);
    store::link_message(&mut tx, "<one@public.test>", case_id, Direction::In)
        .await
        .expect("link");
    store::link_message(&mut tx, "<one@public.test>", case_id, Direction::In)
        .await
        .expect("link twice");
    store::finish_raw(
        &mut tx,
        RawId(ids[0]),
        &Disposition::Processed(Kind::Foi),
        Some(case_id),
        now,
    )
    .await
    .expect("finish");
    let outbox_id = store::enqueue(
        &mut tx,
        &NewOutboxMessage {
            case_id: Some(case_id),
            purpose: Purpose::Acknowledgement,
            message_id: "<ack1@council.test>".into(),
            envelope_from: "foi@council.test".into(),
            recipients: vec!["alice@public.test".into()],
            bytes: b"Subject: ack\r\n\r\nthanks\r\n".to_vec(),
            sent_copy: None,
        },
        false,
        now,
    )
    .await
    .expect("enqueue");
    store::enqueue(
        &mut tx,
        &NewOutboxMessage {
            case_id: Some(case_id),
            purpose: Purpose::CaseEmail,
            message_id: "<held@council.test>".into(),
            envelope_from: "foi@council.test".into(),
            recipients: vec!["officer1@council.test".into()],
            bytes: b"Subject: held\r\n\r\nheld\r\n".to_vec(),
            sent_copy: None,
        },
        true,
        now,
    )
    .await
    .expect("enqueue held");
    tx.commit().await.expect("commit");

    // A signature made by an earlier version of the method (no foci) is
    // made again from the case's stored questions, once.
    let made = foid::daemon::similarity::resign_if_outdated(&store)
        .await
        .expect("re-sign");
    assert_eq!(made, 1);
    let again = store.signatures_after(0, 10).await.expect("signatures");
    let resigned = Signature::from_bytes(&again[0].1).expect("readable");
    // Question 2 ("How much?", options 0% and 100%) has no content terms.
    assert_eq!(
        resigned.questions,
        vec![similarity::terms("How many? by ward")]
    );
    assert!(resigned.focus.iter().all(|f| f.kinds != 0), "{resigned:?}");
    assert_eq!(
        foid::daemon::similarity::resign_if_outdated(&store)
            .await
            .expect("re-sign"),
        0
    );

    // Lookups that link replies to their case.
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        store::case_id_by_reference(&mut tx, "foi-2026-00002")
            .await
            .expect("by ref"),
        Some(case_id)
    );
    assert_eq!(
        store::case_id_by_message_ids(&mut tx, &["<nope@x>".into(), "<one@public.test>".into()])
            .await
            .expect("by thread"),
        Some(case_id)
    );
    assert_eq!(
        store::case_by_reply_address(&mut tx, "ALICE@public.test")
            .await
            .expect("by address"),
        Some(case_id)
    );
    assert_eq!(
        store::processed_twin(
            &mut tx,
            RawId(999),
            "<one@public.test>",
            &raw(Some(1), "one").sha256
        )
        .await
        .expect("twin"),
        Some((RawId(ids[0]), Some(case_id)))
    );
    tx.rollback().await.expect("rollback");

    // The case as the command line shows it.
    let view = store
        .case_by_reference("FOI-2026-00002")
        .await
        .expect("view")
        .expect("case exists");
    assert_eq!(view.requester.email, "alice@public.test");
    assert_eq!(view.requester.name.as_deref(), Some("Alice Example"));
    assert_eq!(view.received_on, "2026-11-18");
    assert_eq!(view.due_on.as_deref(), Some("2026-12-16"));
    assert_eq!(view.questions.len(), 2);
    assert_eq!(view.questions[0].question.parts[0].text, "by ward");
    assert_eq!(view.questions[1].question.options, vec!["0%", "100%"]);
    assert_eq!(view.flags.len(), 1);
    assert_eq!(view.flags[0].kind, "repeat");
    assert_eq!(view.flags[0].related, vec!["FOI-2025-00001".to_string()]);
    assert_eq!(store.cases(true).await.expect("cases").len(), 1);
    let events = store.case_events(case_id).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "note");
    assert_eq!(events[0].detail["text"], "test");

    // The event log is append-only.
    let rewrite = sqlx::query("UPDATE case_events SET actor = 'someone else' WHERE case_id = $1")
        .bind(case_id.0)
        .execute(store.pool())
        .await;
    assert!(rewrite.is_err(), "case events could be rewritten");
    let erase = sqlx::query("DELETE FROM case_events WHERE case_id = $1")
        .bind(case_id.0)
        .execute(store.pool())
        .await;
    assert!(erase.is_err(), "case events could be deleted");

    // The due date changes only with an event saying why.
    store
        .set_due_date(
            case_id,
            Some(date(2026, 12, 17)),
            &CaseEvent::DueDateRecomputed {
                old_due_on: Some("2026-12-16".into()),
                new_due_on: Some("2026-12-17".into()),
                reason: "test".into(),
            },
            now,
        )
        .await
        .expect("set due");
    let view = store
        .case_by_reference("FOI-2026-00002")
        .await
        .expect("view")
        .expect("case");
    assert_eq!(view.due_on.as_deref(), Some("2026-12-17"));
    assert_eq!(store.case_events(case_id).await.expect("events").len(), 2);

    // Outbox: held rows are never claimed; a claim counts the attempt first.
    let claimed = store.claim_outbox("test", now, 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id(), outbox_id);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].recipients(), vec!["alice@public.test"]);
    assert!(
        store
            .claim_outbox("test", now, 10)
            .await
            .expect("claim")
            .is_empty(),
        "claimed twice"
    );
    store
        .outbox_retry(outbox_id, "421 try later", now)
        .await
        .expect("retry");
    let again = store.claim_outbox("test", now, 10).await.expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    store.outbox_sent(outbox_id, now).await.expect("sent");
    assert!(store
        .claim_outbox("test", ts(1_900_000_000), 10)
        .await
        .expect("claim")
        .is_empty());

    // Settings.
    assert_eq!(store.setting("k").await.expect("setting"), None);
    store.set_setting("k", "v1").await.expect("set");
    store.set_setting("k", "v2").await.expect("set");
    assert_eq!(
        store.setting("k").await.expect("setting").as_deref(),
        Some("v2")
    );

    // Daily jobs are claimed once per day.
    let day = date(2026, 12, 4);
    let mut tx = store.begin().await.expect("begin");
    assert!(store::claim_daily_job(&mut tx, "digest", day, "a", now)
        .await
        .expect("claim"));
    assert!(!store::claim_daily_job(&mut tx, "digest", day, "b", now)
        .await
        .expect("claim"));
    tx.commit().await.expect("commit");
    assert_eq!(
        store.last_daily_job("digest").await.expect("last"),
        Some(day)
    );

    // Retention: a purge erases the personal data of a closed case; the
    // triggers let it erase and nothing else.
    let mut tx = store.begin().await.expect("begin");
    store::set_case_state(
        &mut tx,
        case_id,
        CaseState::Closed,
        Some(date(2026, 12, 1)),
        Some(Closure::Answered),
    )
    .await
    .expect("close");
    tx.commit().await.expect("commit");
    let summary = store
        .purge_closed_before(date(2026, 12, 2), ts(1_000_000_000), &Actor::Foid, now)
        .await
        .expect("purge");
    assert_eq!((summary.cases, summary.requesters), (1, 1), "{summary:?}");
    assert!(summary.messages >= 1, "{summary:?}");
    let view = store
        .case_by_reference("FOI-2026-00002")
        .await
        .expect("view")
        .expect("case");
    assert_eq!(view.requester.email, "");
    assert_eq!(view.requester.name, None);
    assert_eq!(view.subject, store::PURGED_TEXT);
    assert_eq!(view.closed_on.as_deref(), Some("2026-12-01"));
    assert_eq!(
        view.flags[0].kind, "repeat",
        "flags stay for the statistics"
    );
    assert_eq!(view.flags[0].related, vec!["FOI-2025-00001".to_string()]);
    let events = store.case_events(case_id).await.expect("events");
    let note = events.iter().find(|e| e.kind == "note").expect("note");
    assert_eq!(note.detail, serde_json::json!({"purged": true}));
    assert!(events.iter().any(|e| e.kind == "purged"));
    let raw_row = store.raw_message(ids[0]).await.expect("raw").expect("row");
    assert!(raw_row.bytes.is_empty(), "the request's bytes are erased");
    let forge = sqlx::query(
        "UPDATE case_events SET detail_json = '{\"text\":\"forged\"}' WHERE case_id = $1",
    )
    .bind(case_id.0)
    .execute(store.pool())
    .await;
    assert!(forge.is_err(), "an event's detail could be rewritten");
    assert_eq!(
        store
            .purge_closed_before(date(2026, 12, 2), ts(1_000_000_000), &Actor::Foid, now)
            .await
            .expect("again"),
        store::PurgeSummary::default()
    );

    // Writers in parallel never hand out the same reference number.
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..15 {
                let mut tx = store.begin().await.expect("begin");
                got.push(
                    store::next_reference_number(&mut tx, "SAR", 2026)
                        .await
                        .expect("ref"),
                );
                tx.commit().await.expect("commit");
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    all.sort_unstable();
    assert_eq!(all, (1..=90).collect::<Vec<i64>>());

    store.checkpoint_wal().await.expect("wal checkpoint");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}",
        dir.path().join("nested/dir/foid.db").display()
    );
    let store = Store::open(&url)
        .await
        .expect("open sqlite (creating the file)");
    assert_eq!(store.backend(), store::Backend::Sqlite);
    assert!(store.migrate().await.expect("migrate") >= 1);
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .expect("journal mode");
    assert_eq!(mode.to_lowercase(), "wal");
    contract(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_on_postgres() {
    let bed = common::TestBed::start();
    let store = Store::open(&bed.pg_url()).await.expect("open postgres");
    assert_eq!(store.backend(), store::Backend::Postgres);
    assert!(store.migrate().await.expect("migrate") >= 1);
    // Only one instance polls a mailbox.
    let lease = store.lease("mailbox INBOX").await.expect("lease");
    assert!(lease.is_some());
    let other = Store::open(&bed.pg_url()).await.expect("second instance");
    assert!(
        other.lease("mailbox INBOX").await.expect("lease").is_none(),
        "two pollers"
    );
    assert!(other.lease("mailbox Other").await.expect("lease").is_some());
    drop(lease);
    // The server frees the lock when it sees the connection close.
    let mut released = false;
    for _ in 0..50 {
        if other.lease("mailbox INBOX").await.expect("lease").is_some() {
            released = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(released, "lease released when dropped");

    // A lease whose session is killed (a failover, an administrator)
    // fails its next check, and another instance can take it.
    let mut daily = store
        .lease("daily jobs")
        .await
        .expect("lease")
        .expect("granted");
    daily.check().await.expect("held");
    assert!(
        daily.recheck_within().is_some(),
        "a shared lease is re-checked"
    );
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()",
    )
    .fetch_all(other.pool())
    .await
    .expect("terminate");
    assert!(!killed.is_empty() && killed.iter().all(|k| *k));
    assert!(daily.check().await.is_err(), "a lost lease fails its check");
    let mut taken = false;
    for _ in 0..50 {
        if other.lease("daily jobs").await.expect("lease").is_some() {
            taken = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(taken, "the other instance takes the lost lease");
    contract(store).await;

    // The claims of an instance that is gone are released at once; a live
    // instance's (it holds its instance lease) are not.
    let now = Timestamp::now();
    let mut tx = other.begin().await.expect("begin");
    for n in 0..2 {
        store::enqueue(
            &mut tx,
            &NewOutboxMessage {
                case_id: None,
                purpose: Purpose::Digest,
                message_id: format!("<claims-{n}@council.test>"),
                envelope_from: "foi@council.test".into(),
                recipients: vec!["officer1@council.test".into()],
                bytes: b"Subject: digest\r\n\r\nx\r\n".to_vec(),
                sent_copy: None,
            },
            false,
            now,
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let _alive = other
        .instance_lease("alive")
        .await
        .expect("lease")
        .expect("granted");
    assert_eq!(
        other
            .claim_outbox("alive", now, 1)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert_eq!(
        other
            .claim_outbox("ghost", now, 1)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert!(other.is_running("alive").await.expect("alive"));
    assert!(!other.is_running("ghost").await.expect("ghost"));
    assert_eq!(
        other.release_dead_claims(now).await.expect("release"),
        1,
        "only the dead instance's claim"
    );
    let again = other
        .claim_outbox("survivor", now, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].attempts, 2,
        "the released row, its attempt counted"
    );
}
