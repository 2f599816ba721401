//! `casebot serve`: opens the store, loads the content and runs the server until SIGINT or
//! SIGTERM.

use std::path::Path;
use std::process::ExitCode;

use crate::config::ServeConfig;
use crate::nlu::Nlu;
use crate::server::{self, AppState};
use std::sync::Arc;

use crate::store::{PgStore, SharedStore, SledStore, StoreError};

/// Runs the server; returns the process exit code.
pub async fn run(config: ServeConfig) -> ExitCode {
    let store: SharedStore = match open_store(&config).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("casebot: {e}");
            return ExitCode::FAILURE;
        }
    };
    let nlu = match Nlu::load(&config.intents, &config.knowledge) {
        Ok((nlu, warnings)) => {
            for w in warnings {
                tracing::warn!("{w}");
            }
            nlu
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
    let state = AppState::new(config, nlu, store);
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

/// The PostgreSQL store when a database URL is given, else the sled database.
async fn open_store(config: &ServeConfig) -> Result<SharedStore, StoreError> {
    match config.database_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => Ok(Arc::new(PgStore::connect(url).await?)),
        None => Ok(Arc::new(SledStore::open(&config.db)?)),
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
