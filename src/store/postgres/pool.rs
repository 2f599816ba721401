//! Connecting to PostgreSQL: the URL with casebot's timeouts, the connection pool, and how
//! driver errors become [`StoreError`]s.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::{Config, NoTls};

use crate::store::StoreError;

/// How long opening a connection may take before the database counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a caller waits for a free pooled connection.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(2);
/// Server-side cap on one statement, so a stuck query never holds a chat for long.
const STATEMENT_TIMEOUT_MS: u32 = 5_000;
/// Server-side cap on a transaction left idle; bounds how long a change-log id can stay
/// uncommitted (the listeners rely on it, see `listen.rs`).
const IDLE_IN_TRANSACTION_MS: u32 = 10_000;
/// Connections per node.
const POOL_SIZE: usize = 16;

/// Parses a `postgres://` URL (or key=value string) and adds casebot's timeouts.
pub fn config(url: &str) -> Result<Config, StoreError> {
    let mut config: Config = url.parse().map_err(|e| {
        StoreError::Db(format!(
            "--database-url is not a PostgreSQL URL like postgres://user@host/db: {e}"
        ))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("casebot");
    }
    let ours = format!(
        "-c statement_timeout={STATEMENT_TIMEOUT_MS} \
         -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
    );
    let options = match config.get_options() {
        Some(theirs) if !theirs.is_empty() => format!("{ours} {theirs}"),
        _ => ours,
    };
    config.options(options);
    config.keepalives_idle(Duration::from_secs(30));
    Ok(config)
}

/// A pool of connections for `config`; connections are opened on demand.
pub fn pool(config: Config) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(WAIT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| StoreError::Db(format!("cannot set up the connection pool: {e}")))
}

/// A pooled connection, or [`StoreError::Unavailable`].
pub async fn get(pool: &Pool) -> Result<deadpool_postgres::Object, StoreError> {
    pool.get()
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// Maps a driver error: a lost connection, a refused one or a timed-out statement means
/// the database is unavailable; anything the server answered otherwise is a database error.
pub fn db_err(e: tokio_postgres::Error) -> StoreError {
    let unavailable = e.is_closed()
        || e.as_db_error().is_none_or(|db| {
            let code = db.code().code();
            // query_canceled (statement timeout), admin shutdown, cannot connect now,
            // connection exceptions.
            code == "57014" || code.starts_with("57P") || code.starts_with("08")
        });
    if unavailable {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Db(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        })
    }
}

/// True for errors after which the whole transaction can simply be tried again.
pub fn retryable(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|db| matches!(db.code().code(), "40001" | "40P01"))
}
