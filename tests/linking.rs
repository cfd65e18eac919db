//! Replies find their case: by the reference in the subject, by the thread
//! (In-Reply-To/References of mail foid sent or received), and by the
//! WhatDoTheyKnow per-request address.

mod common;

use std::path::Path;

use foid::daemon::Context;

async fn context(dir: &Path) -> Context {
    common::local_context(dir).await
}

async fn import(ctx: &Context, dir: &Path, name: &str, text: &str) {
    common::import_text(ctx, dir, name, text).await
}

/// The one case, and the acknowledgement queued for it.
async fn only_case_and_its_acknowledgement(
    ctx: &Context,
) -> (foid::store::CaseView, foid::store::OutboxMessage) {
    let case = ctx.store.cases(false).await.expect("cases").remove(0);
    let ack = ctx
        .store
        .outbox_for_case(case.id)
        .await
        .expect("outbox")
        .into_iter()
        .find(|m| m.purpose == "acknowledgement")
        .expect("acknowledgement queued");
    (case, ack)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_find_their_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(dir.path()).await;

    import(&ctx, dir.path(), "1.eml", "From: Alice <alice@public.test>\nTo: foi@council.test\nSubject: Bins\nMessage-ID: <bins-1@public.test>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\n1. How many bins?\n2. How many lorries?\n").await;
    let (case, ack) = only_case_and_its_acknowledgement(&ctx).await;

    // Answering our acknowledgement, with no reference in the subject.
    import(&ctx, dir.path(), "2.eml", &format!("From: Alice <alice@public.test>\nTo: foi@council.test\nSubject: Re: Bins\nMessage-ID: <bins-2@public.test>\nIn-Reply-To: {id}\nReferences: <bins-1@public.test> {id}\nDate: Tue, 24 Nov 2026 10:00:00 +0000\n\nI meant wheelie bins.\n\n> Dear Alice\n", id = ack.message_id)).await;
    // Quoting the reference only.
    import(&ctx, dir.path(), "3.eml", &format!("From: Alice <alice2@elsewhere.test>\nTo: foi@council.test\nSubject: Re: [{r}] Bins\nMessage-ID: <bins-3@elsewhere.test>\nDate: Wed, 25 Nov 2026 10:00:00 +0000\n\nAny news?\n", r = case.reference)).await;
    assert_eq!(
        ctx.store.case_count().await.expect("count"),
        1,
        "replies opened no case"
    );
    let received = ctx
        .store
        .case_events(case.id)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == "message_received")
        .count();
    assert_eq!(received, 2);

    // WhatDoTheyKnow: each request has its own address; a follow-up from it
    // belongs to that request.
    let wdtk = "foi+request-812345-3f9a2b1c@whatdotheyknow.com";
    import(&ctx, dir.path(), "4.eml", &format!("From: Sarah Jenkins <{wdtk}>\nTo: foi@council.test\nSubject: Freedom of Information request - Potholes\nMessage-ID: <wdtk-1@whatdotheyknow.com>\nDate: Mon, 23 Nov 2026 11:00:00 +0000\n\nDear Council,\n\n1. How many potholes?\n\nYours faithfully,\nSarah Jenkins\n")).await;
    import(&ctx, dir.path(), "5.eml", &format!("From: Sarah Jenkins <{wdtk}>\nTo: foi@council.test\nSubject: Re: Freedom of Information request - Potholes\nMessage-ID: <wdtk-2@whatdotheyknow.com>\nDate: Fri, 27 Nov 2026 11:00:00 +0000\n\nDear Council,\n\nTo clarify, I mean the financial year 2025/26.\n\nYours faithfully,\nSarah Jenkins\n")).await;
    let cases = ctx.store.cases(false).await.expect("cases");
    assert_eq!(cases.len(), 2, "{cases:#?}");
    let sarah = cases
        .iter()
        .find(|c| c.requester.email == wdtk)
        .expect("WDTK case");
    assert_eq!(sarah.requester.identity, "name:sarah jenkins");
    let events = ctx.store.case_events(sarah.id).await.expect("events");
    assert!(
        events.iter().any(|e| e.kind == "message_received"),
        "{events:#?}"
    );
}

/// An internal review is a case of its own, and both cases say which
/// reviews which.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_opens_its_own_case_linked_to_the_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(dir.path()).await;
    import(&ctx, dir.path(), "1.eml", "From: Dan <dan@public.test>\nTo: foi@council.test\nSubject: Parking contracts\nMessage-ID: <park-1@public.test>\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nPlease send the parking enforcement contract.\n").await;
    let original = ctx.store.cases(false).await.expect("cases").remove(0);
    import(&ctx, dir.path(), "2.eml", &format!("From: Dan <dan@public.test>\nTo: foi@council.test\nSubject: Internal review of {r}\nMessage-ID: <park-2@public.test>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\nI am writing to request an internal review of your handling of my request {r}. You withheld the price without a public interest test.\n", r = original.reference)).await;
    let cases = ctx.store.cases(false).await.expect("cases");
    assert_eq!(cases.len(), 2, "{cases:#?}");
    let review = cases
        .iter()
        .find(|c| c.id != original.id)
        .expect("review case");
    assert_eq!(review.regime, "review");
    assert!(review.reference.starts_with("IR-"), "{}", review.reference);
    let review_events = ctx.store.case_events(review.id).await.expect("events");
    let reviews = review_events
        .iter()
        .find(|e| e.kind == "reviews")
        .expect("link on the review");
    assert_eq!(reviews.detail["reference"], original.reference.as_str());
    let original_events = ctx.store.case_events(original.id).await.expect("events");
    let requested = original_events
        .iter()
        .find(|e| e.kind == "review_requested")
        .expect("link on the original");
    assert_eq!(requested.detail["reference"], review.reference.as_str());
}

/// A bounce of our acknowledgement from the null sender (`From:
/// MAILER-DAEMON <>`, as several MTAs write it) reaches its case by the
/// headers it quotes, and opens nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_sender_bounce_reaches_its_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(dir.path()).await;
    import(&ctx, dir.path(), "1.eml", "From: Carol <carol@public.test>\nTo: foi@council.test\nSubject: Parks\nMessage-ID: <parks-1@public.test>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\n1. How many parks are there?\n").await;
    let (case, ack) = only_case_and_its_acknowledgement(&ctx).await;
    import(&ctx, dir.path(), "2.eml", &format!("From: MAILER-DAEMON <>\nTo: foi@council.test\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <bounce-1@mx.public.test>\nDate: Mon, 23 Nov 2026 10:05:00 +0000\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\n\n--r\nContent-Type: text/plain\n\nYour message could not be delivered to carol@public.test.\n--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.public.test\n\nFinal-Recipient: rfc822; carol@public.test\nAction: failed\nStatus: 5.1.1\n--r\nContent-Type: text/rfc822-headers\n\nFrom: foi@council.test\nTo: carol@public.test\nSubject: [{r}] Re: Parks\nMessage-ID: {id}\n--r--\n", r = case.reference, id = ack.message_id)).await;
    assert_eq!(ctx.store.case_count().await.expect("count"), 1);
    assert!(ctx
        .store
        .quarantined()
        .await
        .expect("quarantine")
        .is_empty());
    let events = ctx.store.case_events(case.id).await.expect("events");
    assert!(
        events.iter().any(|e| e.kind == "delivery_failure"),
        "{:?}",
        events.iter().map(|e| &e.kind).collect::<Vec<_>>()
    );
    // A message with no From that is not a report is still quarantined.
    import(&ctx, dir.path(), "3.eml", "To: foi@council.test\nSubject: no sender\nMessage-ID: <anon-1@public.test>\nDate: Mon, 23 Nov 2026 11:00:00 +0000\n\n1. How many?\n").await;
    let q = ctx.store.quarantined().await.expect("quarantine");
    assert_eq!(q.len(), 1);
    assert!(
        q[0].quarantine_reason
            .as_deref()
            .unwrap_or("")
            .contains("From"),
        "{q:?}"
    );
}
