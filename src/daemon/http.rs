//! The optional HTTP listener (`[http] listen`): `/healthz` for the load
//! balancer or the monitoring system, `/metrics` for Prometheus. Read-only,
//! no authentication: bind it to loopback or a management network.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{info, warn};

use super::Context;

/// Binds `[http] listen` at start, so a taken port stops foid at once
/// with the key named.
pub async fn bind(listen: &str) -> Result<TcpListener> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("[http] listen: cannot listen on {listen}"))?;
    info!(address = %listener.local_addr()?, "HTTP listener for /healthz and /metrics");
    Ok(listener)
}

/// Serves until `stop`.
pub async fn serve(
    ctx: Arc<Context>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted.context("accepting an HTTP connection")?,
            _ = stop.changed() => return Ok(()),
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let ctx = ctx.clone();
                async move { Ok::<_, Infallible>(respond(&ctx, &req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                warn!(error = %e, "HTTP connection failed");
            }
        });
    }
}

async fn respond<B>(ctx: &Context, req: &Request<B>) -> Response<Full<Bytes>> {
    if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET\n".into(),
            "text/plain",
        );
    }
    match req.uri().path() {
        "/healthz" => {
            let (healthy, body) = health(ctx).await;
            let status = if healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            plain(status, format!("{body:#}\n"), "application/json")
        }
        "/metrics" => match super::metrics::render(ctx).await {
            Ok(text) => plain(
                StatusCode::OK,
                text,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            Err(e) => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("metrics unavailable: {e:#}\n"),
                "text/plain",
            ),
        },
        _ => plain(
            StatusCode::NOT_FOUND,
            "/healthz or /metrics\n".into(),
            "text/plain",
        ),
    }
}

fn plain(status: StatusCode, body: String, content_type: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = hyper::header::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

/// Healthy when the database answers and, on the instance that polls the
/// mailbox, the last successful poll is recent. A standby (another
/// instance holds the mailbox lease) is healthy with its database alone.
async fn health(ctx: &Context) -> (bool, serde_json::Value) {
    let database = tokio::time::timeout(Duration::from_secs(3), ctx.store.ping()).await;
    let database_ok = matches!(database, Ok(Ok(())));
    let database_text = match database {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(e)) => format!("{e:#}"),
        Err(_) => "no answer within 3 s".to_string(),
    };
    let now = ctx.now();
    let last_poll = ctx.metrics.last_poll();
    let leader = ctx.metrics.is_leader();
    let allowed = poll_allowance(ctx);
    let mailbox_ok = !leader || poll_is_recent(now, last_poll, allowed);
    let body = json!({
        "status": if database_ok && mailbox_ok { "ok" } else { "failing" },
        "database": database_text,
        "mailbox": {
            "role": if leader { "polling" } else { "standby" },
            "last_poll": last_poll.map(|t| t.to_string()),
            "seconds_since_last_poll": last_poll.map(|t| (now - t).get_seconds()),
            "allowed_seconds": allowed.as_secs(),
            "ok": mailbox_ok,
        },
        // Built before the first request is processed (seconds at a
        // million cases); the mailbox waits for it, the rest does not.
        "similarity_index": if ctx.similarity_loaded.load(std::sync::atomic::Ordering::Acquire) { "ready" } else { "building" },
        "instance": ctx.instance,
    });
    (database_ok && mailbox_ok, body)
}

/// How long without a successful poll is still healthy: two waits of the
/// configured kind and a minute for a slow drain.
fn poll_allowance(ctx: &Context) -> Duration {
    let wait = match &ctx.config.imap {
        Some(imap) if imap.use_idle => imap.idle_minutes * 60,
        Some(imap) => imap.poll_seconds,
        None => super::maildir::POLL.as_secs(),
    };
    Duration::from_secs(2 * wait + 60)
}

fn poll_is_recent(now: jiff::Timestamp, last: Option<jiff::Timestamp>, allowed: Duration) -> bool {
    last.is_some_and(|t| (now - t).get_seconds() <= allowed.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_is_recent_within_the_allowance() {
        let now: jiff::Timestamp = "2026-12-04T12:00:00Z".parse().expect("ts");
        let ago = |s: i64| Some(now - jiff::SignedDuration::from_secs(s));
        let allowed = Duration::from_secs(120);
        assert!(poll_is_recent(now, ago(0), allowed));
        assert!(poll_is_recent(now, ago(120), allowed));
        assert!(!poll_is_recent(now, ago(121), allowed));
        assert!(!poll_is_recent(now, None, allowed), "never polled");
    }
}
