//! Options for `casebot serve`, each settable by flag or `CASEBOT_*` environment variable,
//! with defaults that let `casebot serve` run with no arguments from the repository root.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Everything the chat server needs to know at start-up.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "CASEBOT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Directory of the sled case database.
    #[arg(long, env = "CASEBOT_DB", default_value = "data/db")]
    pub db: PathBuf,

    /// Directory of intent files.
    #[arg(long, env = "CASEBOT_INTENTS", default_value = "intents")]
    pub intents: PathBuf,

    /// Directory of knowledge articles.
    #[arg(long, env = "CASEBOT_KNOWLEDGE", default_value = "knowledge")]
    pub knowledge: PathBuf,

    /// JSON Lines file of cases loaded into the store at start-up (upserted; unchanged
    /// records are left alone). Empty to load nothing.
    #[arg(long, env = "CASEBOT_SEED", default_value = "data/demo-cases.jsonl")]
    pub seed: String,

    /// Bearer token that enables the admin API. Unset: the admin API answers 404.
    #[arg(long, env = "CASEBOT_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Watch the content folders and reload on change.
    #[arg(long, env = "CASEBOT_WATCH", default_value_t = true, action = clap::ArgAction::Set)]
    pub watch: bool,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub limits: Limits,
}

/// Abuse and resource limits. Defaults are sized for a public chat widget.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest WebSocket message accepted, in bytes; larger closes the chat with code 1009.
    #[arg(long, env = "CASEBOT_MAX_FRAME_BYTES", default_value_t = 16 * 1024)]
    pub max_frame_bytes: usize,

    /// Longest chat message accepted, in characters; longer gets a `text_too_long` error.
    #[arg(long, env = "CASEBOT_MAX_TEXT_CHARS", default_value_t = 2000)]
    pub max_text_chars: usize,

    /// How long a disconnected session can be resumed with its token, in seconds.
    #[arg(long, env = "CASEBOT_SESSION_TTL_SECS", default_value_t = 30 * 60)]
    pub session_ttl_secs: u64,

    /// Most sessions kept (live and resumable); the oldest detached ones are dropped first.
    #[arg(long, env = "CASEBOT_MAX_SESSIONS", default_value_t = 100_000)]
    pub max_sessions: usize,

    /// Most simultaneous chat connections.
    #[arg(long, env = "CASEBOT_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub max_connections: usize,

    /// Most simultaneous chat connections from one client address.
    #[arg(long, env = "CASEBOT_MAX_CONNECTIONS_PER_IP", default_value_t = 64)]
    pub max_connections_per_ip: usize,

    /// Messages per second allowed per connection (token bucket refill rate).
    #[arg(long, env = "CASEBOT_MESSAGES_PER_SEC", default_value_t = 5.0)]
    pub messages_per_sec: f64,

    /// Burst of messages allowed per connection (token bucket size).
    #[arg(long, env = "CASEBOT_MESSAGE_BURST", default_value_t = 20.0)]
    pub message_burst: f64,

    /// Seconds between WebSocket pings.
    #[arg(long, env = "CASEBOT_PING_SECS", default_value_t = 25)]
    pub ping_secs: u64,

    /// Seconds without any frame from the client before the connection is closed.
    #[arg(long, env = "CASEBOT_IDLE_TIMEOUT_SECS", default_value_t = 75)]
    pub idle_timeout_secs: u64,

    /// Seconds one frame may take to reach a client before the client counts as stuck and
    /// is dropped; bounds what a client that never reads can hold on the server.
    #[arg(long, env = "CASEBOT_SEND_TIMEOUT_SECS", default_value_t = 10)]
    pub send_timeout_secs: u64,

    /// Different receipt numbers one session may look up per ten minutes.
    #[arg(long, env = "CASEBOT_LOOKUPS_PER_WINDOW", default_value_t = 10)]
    pub lookups_per_window: usize,

    /// Origins allowed to open a chat (comma-separated, e.g. `https://example.org`).
    /// The server's own address and localhost are always allowed.
    #[arg(long, env = "CASEBOT_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Header holding the client address when behind a trusted reverse proxy
    /// (e.g. `x-forwarded-for`). Unset: the TCP peer address is used.
    #[arg(long, env = "CASEBOT_TRUSTED_PROXY_HEADER")]
    pub trusted_proxy_header: Option<String>,
}

impl Limits {
    /// Resume window as a duration.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_secs)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 16 * 1024,
            max_text_chars: 2000,
            session_ttl_secs: 30 * 60,
            max_sessions: 100_000,
            max_connections: 20_000,
            max_connections_per_ip: 64,
            messages_per_sec: 5.0,
            message_burst: 20.0,
            ping_secs: 25,
            idle_timeout_secs: 75,
            send_timeout_secs: 10,
            lookups_per_window: 10,
            allowed_origins: Vec::new(),
            trusted_proxy_header: None,
        }
    }
}

impl ServeConfig {
    /// A configuration for tests and embedding: everything default, the given paths.
    pub fn new(db: PathBuf, intents: PathBuf, knowledge: PathBuf) -> Self {
        ServeConfig {
            addr: "127.0.0.1:0".parse().expect("valid address"),
            db,
            intents,
            knowledge,
            seed: String::new(),
            admin_token: None,
            watch: false,
            limits: Limits::default(),
        }
    }
}
