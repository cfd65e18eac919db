//! The morning digest: what it lists (overdue, due soon, drafts awaiting
//! approval, held mail), the escalation to the manager, and once a day
//! across a restart.

#![allow(clippy::expect_used)]

mod common;

use std::path::Path;

use foid::core::letters::Purpose;
use foid::daemon::reminders::{send_digest, DigestRun};

async fn context(dir: &Path) -> foid::daemon::Context {
    common::local_context_with(dir, "manager = \"manager@council.test\"\n").await
}

fn message(n: usize, date: &str, subject: &str, body: &str) -> String {
    format!(
        "From: Person {n} <digest{n}@public.test>\nTo: foi@council.test\nSubject: {subject}\nMessage-ID: <digest-{n}@public.test>\nDate: {date}\n\n{body}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_lists_what_needs_doing_once_a_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(dir.path()).await;
    let now = jiff::Timestamp::now();
    let today = ctx.today();
    let mail_date = |days_ago: i64| {
        (now - jiff::SignedDuration::from_hours(24 * days_ago))
            .strftime("%a, %d %b %Y %H:%M:%S +0000")
            .to_string()
    };
    let request = "Dear Council,\n\nUnder the Freedom of Information Act, how many {} did the council own in 2025?\n\nYours faithfully";
    // Received 60 days ago: overdue. Received 26 days ago (15 to 18
    // working days): due within a few days. Received today: not listed.
    for (n, days_ago, what) in [
        (1, 60, "gritting lorries"),
        (2, 26, "street lights"),
        (3, 0, "allotments"),
    ] {
        common::import_text(
            &ctx,
            dir.path(),
            &format!("{n}.eml"),
            &message(
                n,
                &mail_date(days_ago),
                &format!("Request about {what}"),
                &request.replace("{}", what),
            ),
        )
        .await;
    }
    // A message that reads like no request: held for an officer.
    common::import_text(
        &ctx,
        dir.path(),
        "4.eml",
        &message(4, &mail_date(1), "Bins in Elm Road", "Hello,\n\nThe bins in Elm Road have not been emptied for three weeks.\n\nRegards,\nRuth"),
    )
    .await;
    let cases = ctx.store.cases(true).await.expect("cases");
    assert_eq!(cases.len(), 3, "{cases:#?}");
    let held = ctx.store.held().await.expect("held");
    assert_eq!(held.len(), 1, "the bins message is held");
    let reference = |subject: &str| {
        cases
            .iter()
            .find(|c| c.subject.contains(subject))
            .expect("case")
            .reference
            .clone()
    };

    assert_eq!(
        send_digest(&ctx, today).await.expect("digest"),
        DigestRun::Sent(2)
    );
    let digests = ctx
        .store
        .outbox_for_purpose(Purpose::Digest)
        .await
        .expect("outbox");
    assert_eq!(digests.len(), 1);
    let digest = String::from_utf8_lossy(&digests[0].bytes).to_string();
    assert!(
        digests[0].recipients_json.contains(common::OFFICER1),
        "{}",
        digests[0].recipients_json
    );
    let overdue = reference("gritting");
    let soon = reference("street lights");
    let fresh = reference("allotments");
    let body = digest
        .split("\r\n\r\n")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n\n");
    let overdue_at = body.find("OVERDUE (1)").expect(&body);
    let soon_at = body.find("DUE SOON (1)").expect(&body);
    let held_at = body.find("HELD FOR AN OFFICER (1)").expect(&body);
    assert!(body[overdue_at..soon_at].contains(&overdue), "{body}");
    assert!(body[soon_at..held_at].contains(&soon), "{body}");
    assert!(!body.contains(&fresh), "a new case is not listed: {body}");
    assert!(
        body[held_at..].contains(&format!("[held {}]", held[0].id))
            && body.contains("Bins in Elm Road"),
        "{body}"
    );

    let escalations = ctx
        .store
        .outbox_for_purpose(Purpose::Escalation)
        .await
        .expect("outbox");
    assert_eq!(escalations.len(), 1);
    assert!(escalations[0]
        .recipients_json
        .contains("manager@council.test"));
    let escalation = String::from_utf8_lossy(&escalations[0].bytes).to_string();
    assert!(
        escalation.contains(&overdue) && !escalation.contains(&soon),
        "{escalation}"
    );

    // Once a day: again, and after a restart (a new process on the same
    // database), nothing more is queued.
    assert_eq!(
        send_digest(&ctx, today).await.expect("again"),
        DigestRun::AlreadyDone
    );
    drop(ctx);
    let ctx = context(dir.path()).await;
    assert_eq!(
        send_digest(&ctx, today).await.expect("restart"),
        DigestRun::AlreadyDone
    );
    assert_eq!(
        ctx.store
            .outbox_for_purpose(Purpose::Digest)
            .await
            .expect("outbox")
            .len(),
        1
    );
    assert_eq!(
        ctx.store.last_daily_job("digest").await.expect("last"),
        Some(today)
    );
}
