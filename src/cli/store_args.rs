//! Where the cases are, as `import`, `export` and `report` take it: a sled directory, a
//! PostgreSQL database or a running server's admin API.

use std::path::PathBuf;

use clap::Args;

/// The store options shared by the commands that read or write cases.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Directory of the sled case database (one a server is running on is locked: use
    /// `--url`).
    #[arg(long, env = "CASEBOT_DB", default_value = "data/db")]
    pub db: PathBuf,
    /// PostgreSQL database (what `serve --database-url` uses); the servers on it may keep
    /// running meanwhile.
    #[arg(
        long,
        env = "CASEBOT_DATABASE_URL",
        hide_env_values = true,
        conflicts_with = "url"
    )]
    pub database_url: Option<String>,
    /// Go through a running server's admin API instead, e.g. `http://127.0.0.1:8080`.
    #[arg(long, env = "CASEBOT_URL")]
    pub url: Option<String>,
    /// Admin token of the server (its `CASEBOT_ADMIN_TOKEN`), needed with `--url`.
    #[arg(long, env = "CASEBOT_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}
