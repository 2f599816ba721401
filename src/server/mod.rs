//! The chat server: the HTTP router, WebSocket upgrade and sessions, the admin API and the
//! widget. [`run`] takes a bound listener and a shutdown future, so tests start the real
//! server on port 0 and stop it at will.

pub mod admin;
pub mod agent;
mod connections;
mod content_status;
mod frames;
pub mod handoff;
mod http;
pub mod lookups;
pub mod metrics;
mod page_query;
pub mod pg_sessions;
pub mod protocol;
pub mod rate;
pub mod report;
pub mod session;
pub mod session_store;
pub mod sessions;
mod state;
pub mod unanswered;
mod upgrade;
pub mod widget;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use state::AppState;

/// Builds the router from shared state.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/ws", get(upgrade::ws_handler))
        .merge(widget::routes())
        .merge(admin::routes())
        .merge(agent::routes())
        .merge(content_status::routes())
        .with_state(state)
}

/// Liveness: 200 while serving, whether or not the database answers (chats that need no
/// case data still work); the body says when it does not, and when the last content edit
/// was refused, so the live content is older than the files.
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (StatusCode, String) {
    if !state.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting or stopping".into(),
        );
    }
    let mut body = String::from("ok");
    if !state.store().available() {
        body.push_str("; database: down");
    }
    if !state.reload_status().live_is_latest {
        body.push_str("; content: the last edit was refused, older content is live");
    }
    (StatusCode::OK, body)
}

/// Readiness for a load balancer: 503 while starting, stopping or cut off from the
/// database, so new chats go to a node that can answer case questions.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (StatusCode, &'static str) {
    if !state.is_ready() {
        (StatusCode::SERVICE_UNAVAILABLE, "starting or stopping")
    } else if !state.store().available() {
        (StatusCode::SERVICE_UNAVAILABLE, "database: down")
    } else {
        (StatusCode::OK, "ready")
    }
}

/// Serves chat on `listener` until `shutdown` completes, then closes every chat with code
/// 1001, waits for the connections and its own background tasks to finish (a few seconds at
/// most) and flushes the store. Once it returns, nothing it started holds `state` any more.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let background = CancellationToken::new();
    let background_tasks = [
        tokio::spawn(forward_notifications(state.clone(), background.clone())),
        tokio::spawn(sweep_sessions(state.clone(), background.clone())),
    ];
    let _watcher = if state.config().watch {
        match crate::reload::watch(
            state.config().intents.clone(),
            state.config().knowledge.clone(),
            state.shutdown_token(),
            state.clone(),
        ) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "content hot reload is off");
                None
            }
        }
    } else {
        None
    };
    state.mark_ready();
    let cancel = state.shutdown_token();
    tokio::spawn(async move {
        shutdown.await;
        cancel.cancel();
    });
    let limits = &state.config().limits;
    // Behind a trusted proxy every connection comes from the proxy: only the total counts.
    let per_ip = if limits.trusted_proxy_header.is_some() {
        usize::MAX
    } else {
        limits.http_connections_per_ip()
    };
    let limiter = connections::ConnectionLimiter::new(limits.http_connections(), per_ip);
    let timeouts = http::Timeouts {
        header_read: limits.header_read_timeout(),
        keep_alive: limits.keep_alive_timeout(),
    };
    http::serve(
        listener,
        app(state.clone()),
        limiter,
        timeouts,
        state.shutdown_token(),
    )
    .await?;
    state.shutdown_token().cancel();
    state.tracker().close();
    if tokio::time::timeout(Duration::from_secs(5), state.tracker().wait())
        .await
        .is_err()
    {
        tracing::warn!("some chats did not close within 5 s");
    }
    background.cancel();
    // They hold the state, and with it the store: a caller that opens the database again
    // once `run` returns must not find it still in use.
    for task in background_tasks {
        let _ = task.await;
    }
    state.session_store().flush().await;
    if let Err(e) = state.store().sync().await {
        tracing::error!(error = %e, "flushing the case store at shutdown failed");
    }
    Ok(())
}

/// Serves `GET /metrics` without a token on `listener` (an address only the monitoring
/// system reaches, from `--metrics-addr`) until `stop` is cancelled. Nothing else is served
/// there.
pub async fn serve_metrics(listener: TcpListener, stop: CancellationToken) -> std::io::Result<()> {
    metrics::install();
    let router = Router::new().route("/metrics", get(|| async { metrics::response() }));
    axum::serve(listener, router)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
}

/// Turns store changes into notifications for the sessions that follow each case.
async fn forward_notifications(state: AppState, stop: CancellationToken) {
    let mut changes = state.store().subscribe();
    loop {
        let change = tokio::select! {
            _ = stop.cancelled() => return,
            change = changes.recv() => change,
        };
        match change {
            Ok(change) => {
                // A bulk import publishes thousands of changes a round: build notices only
                // for the few cases someone follows, so the async workers stay free for chats.
                if let Some(record) = &change.record
                    && state.sessions().is_followed(&record.receipt_number)
                {
                    state
                        .sessions()
                        .notify(&frames::notifications(record, &state.nlu()));
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(
                    missed = n,
                    "notification feed lagged; re-reading the followed cases"
                );
                notify_followed_again(&state).await;
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// After missed changes: reads every followed case again and notifies its followers when
/// it differs from what they were last told (or they were told nothing since following it,
/// which may repeat a status they already know rather than miss a change).
async fn notify_followed_again(state: &AppState) {
    let followed = state.sessions().followed();
    let mut records = Vec::with_capacity(followed.len());
    for rn in followed {
        if let Ok(Some(record)) = state.store().get(&rn).await {
            records.push(record);
        }
    }
    for record in records {
        let notifications = frames::notifications(&record, &state.nlu());
        if !state.sessions().already_sent(&notifications[0]) {
            state.sessions().notify(&notifications);
        }
    }
}

async fn sweep_sessions(state: AppState, stop: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {
                metrics::upkeep();
                state.lookups().sweep();
                state
                    .session_store()
                    .purge(state.config().limits.session_ttl(), crate::dialog::LOOKUP_WINDOW)
                    .await;
                unanswered::sweep(&state, std::time::SystemTime::now()).await;
                let dropped = state.sessions().sweep();
                if dropped > 0 {
                    tracing::debug!(dropped, "expired sessions dropped");
                }
            }
        }
    }
}
