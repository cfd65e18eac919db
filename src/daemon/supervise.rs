//! The stages of `foid run` under supervision: a stage that fails or
//! panics is started again after a growing pause, and one that keeps
//! failing stops the whole process with an error, so the service manager
//! (systemd's `Restart=on-failure`) starts foid afresh. Never a live
//! process with a dead stage.

use std::future::Future;
use std::time::Duration;

use anyhow::{anyhow, Result};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{error, warn};

use super::sleep_or_stop;

/// How often a stage may fail before foid gives up on it.
#[derive(Debug, Clone, Copy)]
pub struct Restarts {
    /// Failures within `window` that end the process.
    pub max_failures: usize,
    pub window: Duration,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Restarts {
    fn default() -> Self {
        // Six failures in a row take about a minute (2+4+8+16+32 s): long
        // enough to ride out a database failover, short enough that a
        // broken stage does not linger.
        Restarts {
            max_failures: 6,
            window: Duration::from_secs(600),
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// Runs `stage` until it returns `Ok` (it does on shutdown) or has failed
/// too often. Giving up asks every other stage to stop too, through
/// `stop_all`.
pub async fn supervise<F, Fut>(
    name: &'static str,
    restarts: Restarts,
    mut stop: watch::Receiver<bool>,
    stop_all: &watch::Sender<bool>,
    mut stage: F,
) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let mut failures: Vec<Instant> = Vec::new();
    let mut delay = restarts.first_delay;
    loop {
        let started = Instant::now();
        // A task of its own, so a panic is a failure like any other.
        let why = match tokio::spawn(stage()).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => format!("{e:#}"),
            Err(e) => format!("panicked: {e}"),
        };
        if *stop.borrow() {
            return Ok(());
        }
        let now = Instant::now();
        if now.duration_since(started) > restarts.window {
            delay = restarts.first_delay; // it had been healthy for a while
        }
        failures.retain(|t| now.duration_since(*t) < restarts.window);
        failures.push(now);
        if failures.len() >= restarts.max_failures {
            error!(stage = name, error = %why, failures = failures.len(), window = ?restarts.window,
                "stage keeps failing; stopping foid so the service manager starts it afresh");
            let _ = stop_all.send(true);
            return Err(anyhow!(
                "the {name} stage failed {} times within {:?}; last: {why}",
                failures.len(),
                restarts.window
            ));
        }
        warn!(stage = name, error = %why, restart_in = ?delay, "stage failed; restarting it");
        if sleep_or_stop(&mut stop, delay).await {
            return Ok(());
        }
        delay = (delay * 2).min(restarts.max_delay);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    fn quick() -> Restarts {
        Restarts {
            max_failures: 3,
            window: Duration::from_secs(60),
            first_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        }
    }

    #[tokio::test]
    async fn a_failing_stage_is_restarted_until_it_recovers() {
        let (tx, rx) = watch::channel(false);
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let result = supervise("test", quick(), rx, &tx, move || {
            let n = r.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0 => Err(anyhow!("database gone")),
                    1 => panic!("a bug"),
                    _ => Ok(()),
                }
            }
        })
        .await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "an error and a panic, then a clean end"
        );
        assert!(!*tx.borrow(), "a stage that recovers stops nothing");
    }

    #[tokio::test]
    async fn a_stage_that_keeps_failing_stops_everything_with_an_error() {
        let (tx, rx) = watch::channel(false);
        let mut other = tx.subscribe();
        let result = supervise("ingest", quick(), rx, &tx, || async {
            Err(anyhow!("lease query failed"))
        })
        .await;
        let e = result.expect_err("gives up");
        assert!(
            e.to_string().contains("ingest stage failed 3 times")
                && e.to_string().contains("lease query failed"),
            "{e}"
        );
        assert!(
            other.has_changed().unwrap_or(false) && *other.borrow_and_update(),
            "the other stages are told to stop"
        );
    }

    #[tokio::test]
    async fn a_failure_during_shutdown_is_not_restarted() {
        let (tx, rx) = watch::channel(false);
        let t = tx.clone();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let result = supervise("send", quick(), rx, &tx, move || {
            r.fetch_add(1, Ordering::SeqCst);
            let _ = t.send(true);
            async { Err(anyhow!("interrupted")) }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
