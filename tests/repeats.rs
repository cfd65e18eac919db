//! Section 14 and section 12 flags through the processing stage: a
//! WhatDoTheyKnow user re-sending a reworded request from a new
//! per-request address after an answer is flagged `repeat` with the earlier
//! case and its answer as evidence; after the reasonable interval it is
//! not; the same text from several people is a campaign.

#![allow(clippy::expect_used)]

mod common;

use std::path::Path;

use foid::core::case::{Closure, Outcome, QuestionOutcome};
use foid::daemon::Context;
use foid::store::CaseView;

async fn context(dir: &Path) -> Context {
    common::local_context(dir).await
}

async fn import(ctx: &Context, dir: &Path, name: &str, text: &str) {
    common::import_text(ctx, dir, name, text).await
}

fn wdtk_request(n: u32, date: &str, body: &str) -> String {
    format!(
        "From: Sarah Jenkins <foi+request-81{n}-3f9a2b1c@whatdotheyknow.com>\nTo: foi@council.test\nSubject: Freedom of Information request - Pothole claims\nMessage-ID: <wdtk-{n}@whatdotheyknow.com>\nDate: {date}\n\nDear Council,\n\n{body}\n\nYours faithfully,\nSarah Jenkins\n\n-------------------------------------------------------------------\nPlease use this email address for all replies to this request.\n"
    )
}

const FIRST: &str = "1. How many compensation claims did the council receive for vehicle damage caused by potholes in 2024?\n2. How much did the council pay out on those claims?";
const REWORDED: &str = "Please tell me the number of claims made to the council for damage to cars caused by potholes during 2025, and the total paid out in compensation on those claims.";

async fn case_by_message(ctx: &Context, n: u32) -> CaseView {
    ctx.store
        .cases(false)
        .await
        .expect("cases")
        .into_iter()
        .find(|c| c.requester.email.contains(&format!("request-81{n}-")))
        .expect("case")
}

/// Records the first case as answered on `answered`, as the send stage
/// does when the approved reply goes out.
async fn answer(ctx: &Context, case: &CaseView, answered: jiff::civil::Date) {
    let outcome = |number, text: &str| QuestionOutcome {
        number,
        outcome: Outcome::Answered,
        answer: Some(text.into()),
    };
    common::close_case(
        ctx,
        case.id,
        answered,
        Closure::Answered,
        &[
            outcome(1, "We received 312 claims."),
            outcome(2, "We paid £41,200."),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reworded_resend_after_an_answer_is_a_repeat_until_the_interval_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(dir.path()).await;
    import(
        &ctx,
        dir.path(),
        "1.eml",
        &wdtk_request(1, "Mon, 2 Feb 2026 10:00:00 +0000", FIRST),
    )
    .await;
    let first = case_by_message(&ctx, 1).await;
    assert!(first.flags.is_empty());
    answer(&ctx, &first, jiff::civil::date(2026, 2, 20)).await;

    // Five weeks after the answer, reworded, from a new per-request address.
    import(
        &ctx,
        dir.path(),
        "2.eml",
        &wdtk_request(2, "Mon, 30 Mar 2026 10:00:00 +0000", REWORDED),
    )
    .await;
    let second = case_by_message(&ctx, 2).await;
    let repeat = second
        .flags
        .iter()
        .find(|f| f.kind == "repeat")
        .unwrap_or_else(|| panic!("no repeat flag: {:#?}", second.flags));
    assert_eq!(repeat.related, vec![first.reference.clone()]);
    assert!(repeat.score.is_some_and(|s| s >= 0.5), "{repeat:?}");
    let evidence = repeat.evidence.to_string();
    assert!(
        evidence.contains("2026-02-20"),
        "the answer's date: {evidence}"
    );
    assert!(
        evidence.contains("312 claims"),
        "the answer's text: {evidence}"
    );
    // In the log, and in the case email to the team.
    let events = ctx.store.case_events(second.id).await.expect("events");
    assert!(events.iter().any(|e| e.kind == "flagged"), "{events:#?}");
    let mail = ctx.store.outbox_for_case(second.id).await.expect("outbox");
    let case_email = mail
        .iter()
        .find(|m| m.purpose == "case_email")
        .expect("case email");
    let body = String::from_utf8_lossy(&case_email.bytes);
    assert!(body.contains("repeat: s.14(2)"), "{body}");
    assert!(body.contains(&first.reference), "{body}");

    // The same a year after the answer: the interval has passed.
    import(
        &ctx,
        dir.path(),
        "3.eml",
        &wdtk_request(3, "Mon, 1 Mar 2027 10:00:00 +0000", REWORDED),
    )
    .await;
    let third = case_by_message(&ctx, 3).await;
    assert!(
        !third.flags.iter().any(|f| f.kind == "repeat"),
        "{:#?}",
        third.flags
    );
    // A restart builds the index from the database and still finds them.
    let again = Context::new(ctx.config.clone(), ctx.store.clone())
        .await
        .expect("restart");
    let index = again.similarity.lock().expect("index");
    assert_eq!(index.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_request_from_several_people_is_a_campaign() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(dir.path()).await;
    let template = "I am writing as a local resident. Under the Freedom of Information Act please tell me:\n1. How many trees did the council fell on streets in the last year?\n2. How many new street trees did the council plant?\n3. What is the council's budget for street tree maintenance?";
    for (n, who) in ["ann", "bob", "cat"].iter().enumerate() {
        import(&ctx, dir.path(), &format!("{n}.eml"), &format!("From: {who} <{who}@public.test>\nTo: foi@council.test\nSubject: Street trees\nMessage-ID: <trees-{n}@public.test>\nDate: Mon, {} Nov 2026 10:00:00 +0000\n\nDear Council,\n\n{template}\n\nThanks,\n{who}\n", 2 + n)).await;
    }
    let cases = ctx.store.cases(false).await.expect("cases");
    assert_eq!(cases.len(), 3);
    // The statistics count it (`foid stats` prints these).
    let flags = ctx.store.flag_counts().await.expect("flag counts");
    assert!(flags.contains(&("campaign".to_string(), 1)), "{flags:?}");
    let last = cases
        .iter()
        .find(|c| c.requester.email.starts_with("cat"))
        .expect("cat");
    let campaign = last
        .flags
        .iter()
        .find(|f| f.kind == "campaign")
        .unwrap_or_else(|| panic!("{:#?}", last.flags));
    assert_eq!(campaign.related.len(), 2);
    let first = cases
        .iter()
        .find(|c| c.requester.email.starts_with("ann"))
        .expect("ann");
    assert!(first.flags.is_empty(), "{:#?}", first.flags);
}
