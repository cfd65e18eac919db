//! What `/metrics` reports: counters the stages bump as they work (mail
//! ingested, IMAP reconnects, sends and failures), and gauges read from
//! the database at each scrape (cases open and overdue, messages by state,
//! outbox depth by state), in the Prometheus text format.

use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::Result;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::Context;

type Labels = Vec<(String, String)>;

/// The counters of this process and the registry they are reported from.
pub struct Metrics {
    registry: Registry,
    pub messages_ingested: Counter,
    pub imap_reconnects: Counter,
    pub mail_sent: Counter,
    pub send_failures: Counter,
    /// Unix seconds of the last poll that reached the mailbox; 0: none yet.
    last_poll: AtomicI64,
    last_poll_gauge: Gauge,
    poll_lag: Gauge,
    cases: Family<Labels, Gauge>,
    messages: Family<Labels, Gauge>,
    outbox: Family<Labels, Gauge>,
    mailbox_leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut m = Metrics {
            registry: Registry::with_prefix("foid"),
            messages_ingested: Counter::default(),
            imap_reconnects: Counter::default(),
            mail_sent: Counter::default(),
            send_failures: Counter::default(),
            last_poll: AtomicI64::new(0),
            last_poll_gauge: Gauge::default(),
            poll_lag: Gauge::default(),
            cases: Family::default(),
            messages: Family::default(),
            outbox: Family::default(),
            mailbox_leader: Gauge::default(),
        };
        let registry = &mut m.registry;
        registry.register(
            "messages_ingested",
            "Messages stored from the mailbox by this process",
            m.messages_ingested.clone(),
        );
        registry.register(
            "imap_reconnects",
            "IMAP sessions that failed and were started again",
            m.imap_reconnects.clone(),
        );
        registry.register(
            "mail_sent",
            "Mails delivered to the SMTP server",
            m.mail_sent.clone(),
        );
        registry.register(
            "send_failures",
            "Delivery attempts that failed (retried or given up)",
            m.send_failures.clone(),
        );
        registry.register(
            "last_poll_timestamp_seconds",
            "When the mailbox was last read successfully (Unix time; 0: not yet)",
            m.last_poll_gauge.clone(),
        );
        registry.register(
            "poll_lag_seconds",
            "Seconds since the mailbox was last read successfully",
            m.poll_lag.clone(),
        );
        registry.register(
            "cases",
            "Cases by state; overdue counts open cases past their deadline on the live clock",
            m.cases.clone(),
        );
        registry.register(
            "messages",
            "Stored messages by processing state (quarantined, held, processed…)",
            m.messages.clone(),
        );
        registry.register(
            "outbox",
            "Outbox rows by state (queued is the depth)",
            m.outbox.clone(),
        );
        registry.register(
            "mailbox_leader",
            "1 while this instance holds the mailbox lease and polls",
            m.mailbox_leader.clone(),
        );
        m
    }
}

impl Metrics {
    /// A poll reached the mailbox (IMAP drained, or the Maildir read).
    pub fn polled(&self, now: jiff::Timestamp) {
        self.last_poll.store(now.as_second(), Ordering::Relaxed);
    }

    pub fn last_poll(&self) -> Option<jiff::Timestamp> {
        match self.last_poll.load(Ordering::Relaxed) {
            0 => None,
            s => jiff::Timestamp::from_second(s).ok(),
        }
    }

    pub fn set_leader(&self, leader: bool) {
        self.mailbox_leader.set(i64::from(leader));
    }

    pub fn is_leader(&self) -> bool {
        self.mailbox_leader.get() == 1
    }
}

/// The text of `/metrics`: the counters, and the gauges read now.
pub async fn render(ctx: &Context) -> Result<String> {
    let m = &ctx.metrics;
    let now = ctx.now();
    let last = m.last_poll();
    m.last_poll_gauge.set(last.map_or(0, |t| t.as_second()));
    m.poll_lag.set(last.map_or(-1, |t| (now - t).get_seconds()));
    let label = |name: &str, value: &str| vec![(name.to_string(), value.to_string())];
    let today = ctx.today();
    let open = ctx.store.cases(true).await?;
    let overdue = ctx
        .store
        .case_clocks(&open, ctx.region, &ctx.calendar(), today)
        .await?
        .iter()
        .filter(|c| c.as_ref().is_some_and(|c| c.is_overdue()))
        .count() as i64;
    let closed = ctx.store.case_count().await? - open.len() as i64;
    m.cases
        .get_or_create(&label("state", "open"))
        .set(open.len() as i64);
    m.cases
        .get_or_create(&label("state", "overdue"))
        .set(overdue);
    m.cases.get_or_create(&label("state", "closed")).set(closed);
    for (state, n) in ctx.store.raw_states().await? {
        m.messages.get_or_create(&label("state", &state)).set(n);
    }
    let mut by_state = std::collections::BTreeMap::new();
    for (state, _purpose, n) in ctx.store.outbox_summary().await? {
        *by_state.entry(state).or_insert(0) += n;
    }
    // Every state present, so a drained queue reads 0 rather than vanishing.
    for state in ["queued", "sent", "failed", "held"] {
        m.outbox
            .get_or_create(&label("state", state))
            .set(by_state.get(state).copied().unwrap_or(0));
    }
    let mut text = String::new();
    prometheus_text::encode(&mut text, &m.registry)?;
    Ok(text)
}
