//! `casebot serve`: opens the store, loads the content and runs the server until SIGINT or
//! SIGTERM.

use std::path::Path;
use std::process::ExitCode;

use crate::config::ServeConfig;
use crate::dialog::evaluate;
use crate::nlu::Nlu;
use crate::reload::{LiveContent, ReloadOutcome, ReloadStatus};
use crate::server::pg_sessions::PgSessions;
use crate::server::session_store::{LocalSessions, SessionStore};
use crate::server::{self, AppState};
use std::sync::Arc;

use crate::store::{PgStore, SharedStore, SledStore, StoreError};

/// Runs the server; returns the process exit code.
pub async fn run(config: ServeConfig) -> ExitCode {
    let (store, sessions) = match open_store(&config).await {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("casebot: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (nlu, warnings) = match Nlu::load(&config.intents, &config.knowledge) {
        Ok((nlu, warnings)) => {
            for w in &warnings {
                tracing::warn!("{w}");
            }
            (nlu, warnings)
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "casebot: the content has {} error(s); fix them and start again",
                errors.len()
            );
            return ExitCode::FAILURE;
        }
    };
    // The seed fills a new, empty store only, so changes made later (admin API, imports)
    // survive a restart.
    if !config.seed.is_empty() && store.count().await.unwrap_or(0) == 0 {
        let seed = Path::new(&config.seed);
        if seed.exists() {
            match crate::store::import::import_file(store.as_ref(), seed).await {
                Ok(report) => tracing::info!(
                    file = %seed.display(),
                    imported = report.inserted,
                    updated = report.updated,
                    unchanged = report.unchanged,
                    rejected = report.rejected_total,
                    "seed cases loaded"
                ),
                Err(e) => {
                    tracing::warn!(file = %seed.display(), error = %e, "seed cases not loaded")
                }
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("casebot: cannot listen on {}: {e}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let cases = store.count().await.unwrap_or(0);
    tracing::info!(%addr, cases, "casebot is listening: open http://{addr}/");
    let limits = &config.limits;
    if limits.max_frame_bytes < limits.frame_bytes_needed() {
        tracing::warn!(
            max_frame_bytes = limits.max_frame_bytes,
            needed = limits.frame_bytes_needed(),
            "the frame limit leaves no room for a message of --max-text-chars written as \\u \
             escapes: such messages close the chat with 1009 instead of getting text_too_long"
        );
    }
    let metrics_listener = match config.metrics_addr {
        Some(addr) => match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("casebot: cannot listen for metrics on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let state = AppState::with_session_store(config, nlu, store, sessions);
    if let Some(listener) = metrics_listener {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "metrics are served at http://{addr}/metrics");
        }
        let stop = state.shutdown_token();
        tokio::spawn(async move {
            if let Err(e) = server::serve_metrics(listener, stop).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    // What `check` would say of the content now live, failing tests included, for
    // `check --url` and `GET /api/content`; worked out beside serving, not before it.
    state.record(ReloadStatus::new(ReloadOutcome::Started, &warnings));
    let starting = state.clone();
    tokio::task::spawn_blocking(move || {
        let live = starting.nlu();
        let mut problems = warnings;
        problems.extend(evaluate::run(&live).problems(&live));
        // A reload that came first knows better.
        if starting.reload_status().outcome == ReloadOutcome::Started {
            starting.record(ReloadStatus::new(ReloadOutcome::Started, &problems));
        }
    });
    match server::run(listener, state, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("casebot stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("casebot: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The case store and the session store: both in PostgreSQL when a database URL is given,
/// else the sled database and sessions kept on this node only.
pub async fn open_store(
    config: &ServeConfig,
) -> Result<(SharedStore, Arc<dyn SessionStore>), StoreError> {
    match config.database_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => {
            let store = PgStore::connect(url).await?;
            let sessions = Arc::new(PgSessions::new(store.pool().clone()));
            Ok((Arc::new(store), sessions))
        }
        None => Ok((
            Arc::new(SledStore::open(&config.db)?),
            Arc::new(LocalSessions),
        )),
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
