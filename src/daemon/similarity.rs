//! Repeat detection in the shell: the similarity index kept in step with
//! the database, and the flags of a new request worked out from the
//! earlier cases it finds (the rules are `core::flags`).

use std::sync::Mutex;

use anyhow::Result;
use jiff::civil::Date;

use super::Context;
use crate::core::calendar::{Calendar, WorkingDays};
use crate::core::flags::{self, Flag, Incoming};
use crate::core::intake::Requester;
use crate::core::questions::Question;
use crate::core::similarity::{self, Signature};
use crate::store::similarity_index::SimilarityIndex;
use crate::store::{self, Store, Tx};

/// Rows read per query while loading or catching up.
const PAGE: i64 = 10_000;

/// At most this many of a requester's own cases are compared (newest
/// first): enough for any real requester, bounded for a flood.
const OWN_CASES: i64 = 500;

/// At most this many earlier cases are read in full for the flags.
const COMPARED: usize = 100;

/// Builds the index from the stored signatures, once: later requests
/// catch it up from where it stands.
pub async fn ensure_loaded(ctx: &Context) -> Result<()> {
    use std::sync::atomic::Ordering;
    if ctx.similarity_loaded.load(Ordering::Acquire) {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let index = load_index(&ctx.store).await?;
    let cases = index.len();
    *lock(&ctx.similarity) = index;
    ctx.similarity_loaded.store(true, Ordering::Release);
    if cases > 0 {
        tracing::info!(
            cases,
            seconds = started.elapsed().as_secs_f64(),
            "similarity index built"
        );
    }
    Ok(())
}

/// The setting that records which [`similarity::SIGNATURE_VERSION`] the
/// stored signatures were made with.
const SIGNATURE_VERSION_KEY: &str = "similarity signature version";

/// Makes every stored signature again from its case's request text and
/// questions when they were made by another version of the method (an
/// upgrade that changed the terms or added the foci), so that old and new
/// requests are compared alike. Returns how many were made.
pub async fn resign_if_outdated(store: &Store) -> Result<usize> {
    let version = similarity::SIGNATURE_VERSION.to_string();
    if store.setting(SIGNATURE_VERSION_KEY).await?.as_deref() == Some(version.as_str()) {
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let (mut after, mut made) = (0, 0);
    loop {
        let sources = store.signature_sources_after(after, 1_000).await?;
        let Some(last) = sources.last() else {
            break;
        };
        after = last.case_id;
        let signatures: Vec<(i64, Vec<u8>)> = sources
            .iter()
            .map(|s| {
                let signature = Signature::of_request(&s.questions, &s.request_text);
                (s.case_id, signature.to_bytes())
            })
            .collect();
        store.replace_signatures(&signatures).await?;
        made += signatures.len();
    }
    store.set_setting(SIGNATURE_VERSION_KEY, &version).await?;
    if made > 0 {
        tracing::info!(
            cases = made,
            version = similarity::SIGNATURE_VERSION,
            seconds = started.elapsed().as_secs_f64(),
            "similarity signatures made again for a new version of the method"
        );
    }
    Ok(made)
}

async fn load_index(store: &Store) -> Result<SimilarityIndex> {
    resign_if_outdated(store).await?;
    let mut index = SimilarityIndex::new();
    loop {
        let rows = store.signatures_after(index.high_water, PAGE).await?;
        if rows.is_empty() {
            break;
        }
        add_rows(&mut index, rows);
    }
    index.finish();
    Ok(index)
}

fn add_rows(index: &mut SimilarityIndex, rows: Vec<(i64, Vec<u8>)>) {
    for (case, bytes) in rows {
        match Signature::from_bytes(&bytes) {
            Some(s) => index.insert(case, &s),
            // A damaged signature only costs that case its repeat checks.
            None => {
                tracing::warn!(
                    case,
                    "unreadable similarity signature; case left out of repeat checks"
                );
                index.high_water = index.high_water.max(case);
            }
        }
    }
}

/// Adds cases stored since the index was last read (by this process or
/// another instance).
async fn catch_up(ctx: &Context, tx: &mut Tx) -> Result<()> {
    loop {
        let after = lock(&ctx.similarity).high_water;
        let rows = store::signatures_after(tx, after, PAGE).await?;
        if rows.is_empty() {
            return Ok(());
        }
        add_rows(&mut lock(&ctx.similarity), rows);
    }
}

fn lock(index: &Mutex<SimilarityIndex>) -> std::sync::MutexGuard<'_, SimilarityIndex> {
    // A panic elsewhere while holding it leaves the index as it was
    // between inserts, still usable.
    index.lock().unwrap_or_else(|p| p.into_inner())
}

/// The flags a new request raises against everything the database holds.
pub async fn flags_for(
    ctx: &Context,
    tx: &mut Tx,
    requester: &Requester,
    received_on: Date,
    questions: &[Question],
    signature: &Signature,
) -> Result<Vec<Flag>> {
    let settings = &ctx.config.similarity;
    catch_up(ctx, tx).await?;
    let since = working_days_before(&ctx.calendar(), received_on, settings.volume_working_days);
    let (own, recent) =
        store::requester_cases(tx, &requester.identity, &requester.email, since, OWN_CASES).await?;
    let mut scored: Vec<(i64, similarity::Comparison)> = {
        let index = lock(&ctx.similarity);
        let mut scored: Vec<(i64, similarity::Comparison)> = index
            // Half the lowest score that matters: the question-by-question
            // score can be well above the whole-request overlap
            // (tests/similarity.rs checks the margin on the labelled pairs).
            .candidates(&signature.request, None, settings.related / 2.0)
            .into_iter()
            .map(|(case, old)| {
                (
                    case,
                    similarity::compare(signature, &old, settings.question, &index.weights),
                )
            })
            .filter(|(_, c)| c.score >= settings.related)
            .collect();
        for case in &own {
            if scored.iter().any(|(c, _)| c == case) {
                continue;
            }
            if let Some(old) = index.signature(*case) {
                scored.push((
                    *case,
                    similarity::compare(signature, &old, settings.question, &index.weights),
                ));
            }
        }
        scored
    };
    scored.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
    scored.truncate(COMPARED);
    let ids: Vec<i64> = scored.iter().map(|(c, _)| *c).collect();
    let mut earlier = store::earlier_cases(tx, &ids).await?;
    for (case, e) in &mut earlier {
        if let Some((_, c)) = scored.iter().find(|(s, _)| s == case) {
            e.comparison = c.clone();
        }
    }
    let earlier: Vec<flags::Earlier> = earlier.into_iter().map(|(_, e)| e).collect();
    Ok(flags::assess(
        &Incoming {
            requester: &requester.identity,
            address: &requester.email,
            received_on,
            questions,
        },
        &earlier,
        usize::try_from(recent).unwrap_or(0),
        settings,
        &ctx.calendar(),
    ))
}

/// The date `n` working days before `date`.
fn working_days_before(calendar: &Calendar, date: Date, n: i32) -> Date {
    let mut d = date;
    let mut counted = 0;
    while counted < n {
        match d.yesterday() {
            Ok(y) => d = y,
            Err(_) => break,
        }
        if calendar.is_working_day(d, WorkingDays::Uk) {
            counted += 1;
        }
    }
    d
}
