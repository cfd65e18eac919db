//! The case event log: typed events in, typed events out. Stored as the
//! event's kind and its detail JSON (`CaseEvent::kind`/`detail`), so the
//! log stays readable in SQL and older rows keep decoding.

use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::AnyConnection;
use tracing::warn;

use super::{from_secs, to_secs, Store};
use crate::core::calendar::{Calendar, Region};
use crate::core::case::{Actor, CaseEvent, CaseId, EventRecord};
use crate::core::clock::{CaseClock, ClockEvent, Regime};
use std::collections::HashMap;

/// Appends to the case's event log.
pub async fn add_event(
    conn: &mut AnyConnection,
    case: CaseId,
    at: jiff::Timestamp,
    actor: &Actor,
    event: &CaseEvent,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO case_events (case_id, at, actor, kind, detail_json)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(case.0)
    .bind(to_secs(at))
    .bind(actor.to_db())
    .bind(event.kind())
    .bind(event.detail().to_string())
    .fetch_one(&mut *conn)
    .await
    .context("appending a case event")
}

/// A case's events, oldest first. A row this version cannot read (written
/// by a newer foid) is left out with a warning rather than failing the case.
pub async fn events(conn: &mut AnyConnection, case: CaseId) -> Result<Vec<EventRecord>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT at, actor, kind, detail_json FROM case_events WHERE case_id = $1 ORDER BY id",
    )
    .bind(case.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        // An event whose details a purge erased has nothing left to plan on.
        .filter(|(_, _, _, detail)| detail != super::PURGED_DETAIL)
        .filter_map(
            |(at, actor, kind, detail)| match CaseEvent::from_columns(&kind, &detail) {
                Ok(event) => Some(EventRecord {
                    at: from_secs(at),
                    actor: Actor::from_db(&actor),
                    event,
                }),
                Err(e) => {
                    warn!(case = case.0, kind, error = %e, "case event not understood; left out");
                    None
                }
            },
        )
        .collect())
}

/// One event as `foid show` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub detail: serde_json::Value,
}

impl Store {
    /// A case's history as stored, for display.
    pub async fn case_events(&self, case: CaseId) -> Result<Vec<EventView>> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, kind, detail_json FROM case_events WHERE case_id = $1 ORDER BY id",
        )
        .bind(case.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, kind, detail)| EventView {
                at: from_secs(at).to_string(),
                actor: Actor::from_db(&actor).to_string(),
                kind,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }

    /// The case's clock events, oldest first: what its due date is derived from.
    pub async fn clock_events(&self, case: CaseId) -> Result<Vec<ClockEvent>> {
        let mut conn = self.pool.acquire().await?;
        Ok(events(&mut conn, case)
            .await?
            .into_iter()
            .filter_map(|r| match r.event {
                CaseEvent::Clock(c) => Some(c),
                _ => None,
            })
            .collect())
    }

    /// A case's clock as of the day it closed, or `today` while open: the
    /// one source of "overdue" for `show`, `stats`, the digest and the
    /// metrics (a clock stopped for a clarification or a fee is not
    /// overdue, whatever the stored due date). `None` for a regime foid
    /// does not know.
    pub async fn case_clock(
        &self,
        case: &super::CaseView,
        region: Region,
        calendar: &Calendar,
        today: jiff::civil::Date,
    ) -> Result<Option<CaseClock>> {
        Ok(self
            .case_clocks(std::slice::from_ref(case), region, calendar, today)
            .await?
            .pop()
            .flatten())
    }

    /// The clocks of many cases, in their order, from one query of their
    /// clock events per 500 cases (not one per case).
    pub async fn case_clocks(
        &self,
        cases: &[super::CaseView],
        region: Region,
        calendar: &Calendar,
        today: jiff::civil::Date,
    ) -> Result<Vec<Option<CaseClock>>> {
        let mut events: HashMap<i64, Vec<ClockEvent>> = HashMap::new();
        // In chunks of at most 500 ids, one query each.
        for chunk in cases.chunks(500) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT case_id, detail_json FROM case_events
                 WHERE kind = 'clock' AND case_id IN ({list}) ORDER BY id"
            );
            let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
            for case in chunk {
                query = query.bind(case.id.0);
            }
            for (case, detail) in query.fetch_all(&self.pool).await? {
                if let Ok(CaseEvent::Clock(c)) = CaseEvent::from_columns("clock", &detail) {
                    events.entry(case).or_default().push(c);
                }
            }
        }
        Ok(cases
            .iter()
            .map(|case| {
                let regime = case.regime.parse::<Regime>().ok()?;
                let as_of = case
                    .closed_on
                    .as_deref()
                    .and_then(|d| d.parse().ok())
                    .unwrap_or(today);
                let events = events.get(&case.id.0).map_or(&[][..], Vec::as_slice);
                Some(crate::core::clock::case_clock(
                    regime, region, events, calendar, as_of,
                ))
            })
            .collect())
    }

    /// Records an event in a transaction of its own.
    pub async fn record_event(
        &self,
        case: CaseId,
        at: jiff::Timestamp,
        actor: &Actor,
        event: &CaseEvent,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        add_event(&mut tx, case, at, actor, event).await?;
        tx.commit().await?;
        Ok(())
    }
}
