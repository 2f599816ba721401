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

    /// PostgreSQL database for cases and sessions, e.g. `postgres://casebot@db/casebot`,
    /// shared by every node. Unset: the sled database in `--db`.
    #[arg(long, env = "CASEBOT_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory of intent files.
    #[arg(long, env = "CASEBOT_INTENTS", default_value = "intents")]
    pub intents: PathBuf,

    /// Directory of knowledge articles.
    #[arg(long, env = "CASEBOT_KNOWLEDGE", default_value = "knowledge")]
    pub knowledge: PathBuf,

    /// JSON Lines file of cases loaded at start-up when the store is empty (a new
    /// database). Empty to load nothing.
    #[arg(long, env = "CASEBOT_SEED", default_value = "data/demo-cases.jsonl")]
    pub seed: String,

    /// Bearer token that enables the admin API. Unset: the admin API answers 404.
    #[arg(long, env = "CASEBOT_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Token that enables the live agent side (`/agent` and `/agent/ws`): agents sign in
    /// with it and take chats whose person asked for a person. Unset: asking for a person
    /// gets the contact center's numbers, as always.
    #[arg(long, env = "CASEBOT_AGENT_TOKEN", hide_env_values = true)]
    pub agent_token: Option<String>,

    /// Longest a chat waits in line for a live agent, in seconds; then the person gets the
    /// contact center's numbers instead.
    #[arg(long, env = "CASEBOT_AGENT_WAIT_SECONDS", default_value_t = 300)]
    pub agent_wait_seconds: u64,

    /// Address of a second listener that serves only `GET /metrics`, without a token, for
    /// a Prometheus server (e.g. `127.0.0.1:9464`). Unset: metrics are served on the main
    /// address at `/metrics` to requests with the admin token only.
    #[arg(long, env = "CASEBOT_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Watch the content folders and reload on change.
    #[arg(
        long,
        env = "CASEBOT_WATCH",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub watch: bool,

    /// Days the record of what went unanswered (fallbacks, near ties, "not helpful"
    /// votes; masked text only) is kept before the periodic sweep drops it.
    #[arg(long, env = "CASEBOT_UNANSWERED_RETENTION_DAYS", default_value_t = UNANSWERED_RETENTION_DAYS)]
    pub unanswered_retention_days: u64,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub limits: Limits,
}

/// Default of `--unanswered-retention-days`.
pub const UNANSWERED_RETENTION_DAYS: u64 = 30;

impl ServeConfig {
    /// How long records of what went unanswered are kept.
    pub fn unanswered_retention(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.unanswered_retention_days.saturating_mul(24 * 60 * 60))
    }
}

/// Default of each limit, written once for both the command line and [`Limits::default`].
mod defaults {
    pub const MAX_FRAME_BYTES: usize = 32 * 1024;
    pub const MAX_TEXT_CHARS: usize = 2000;
    pub const SESSION_TTL_SECS: u64 = 30 * 60;
    pub const MAX_SESSIONS: usize = 100_000;
    pub const MAX_SESSIONS_PER_IP: usize = 1_000;
    pub const MAX_CONNECTIONS: usize = 20_000;
    pub const MAX_CONNECTIONS_PER_IP: usize = 64;
    pub const MESSAGES_PER_SEC: f64 = 5.0;
    pub const MESSAGE_BURST: f64 = 20.0;
    pub const PING_SECS: u64 = 25;
    pub const IDLE_TIMEOUT_SECS: u64 = 75;
    pub const SEND_TIMEOUT_SECS: u64 = 10;
    pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
    pub const KEEP_ALIVE_TIMEOUT_SECS: u64 = 30;
    pub const LOOKUPS_PER_WINDOW: usize = 10;
    pub const LOOKUPS_PER_ADDRESS: usize = 30;
    /// Open connections allowed beyond the chat caps, for page loads, probes and the admin
    /// API: in total and per client address.
    pub const HTTP_HEADROOM: usize = 1_024;
    pub const HTTP_HEADROOM_PER_IP: usize = 64;
}

/// Longest `id` a client frame may carry, in characters.
pub const MAX_ID_CHARS: usize = 128;

/// Abuse and resource limits. Defaults are sized for a public chat widget.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest WebSocket message accepted, in bytes; larger closes the chat with code 1009.
    /// Keep room for `--max-text-chars` characters written as JSON `\u` escapes (12 bytes
    /// each), so over-long text gets `text_too_long`; the server warns when there is none.
    #[arg(long, env = "CASEBOT_MAX_FRAME_BYTES", default_value_t = defaults::MAX_FRAME_BYTES)]
    pub max_frame_bytes: usize,

    /// Longest chat message accepted, in characters; longer gets a `text_too_long` error.
    #[arg(long, env = "CASEBOT_MAX_TEXT_CHARS", default_value_t = defaults::MAX_TEXT_CHARS)]
    pub max_text_chars: usize,

    /// How long a disconnected session can be resumed with its token, in seconds.
    #[arg(long, env = "CASEBOT_SESSION_TTL_SECS", default_value_t = defaults::SESSION_TTL_SECS)]
    pub session_ttl_secs: u64,

    /// Most sessions kept (live and resumable); the oldest detached ones are dropped first.
    #[arg(long, env = "CASEBOT_MAX_SESSIONS", default_value_t = defaults::MAX_SESSIONS)]
    pub max_sessions: usize,

    /// Most sessions kept for one client address; past it a new session from that address
    /// replaces the address's own session that has been away the longest.
    #[arg(long, env = "CASEBOT_MAX_SESSIONS_PER_IP", default_value_t = defaults::MAX_SESSIONS_PER_IP)]
    pub max_sessions_per_ip: usize,

    /// Most simultaneous chat connections.
    #[arg(long, env = "CASEBOT_MAX_CONNECTIONS", default_value_t = defaults::MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// Most simultaneous chat connections from one client address.
    #[arg(long, env = "CASEBOT_MAX_CONNECTIONS_PER_IP", default_value_t = defaults::MAX_CONNECTIONS_PER_IP)]
    pub max_connections_per_ip: usize,

    /// Most open TCP connections of any kind (chats included); extra ones are closed at once.
    /// Keep it below the process's file-descriptor limit. [default: --max-connections
    /// plus 1024]
    #[arg(long, env = "CASEBOT_MAX_HTTP_CONNECTIONS")]
    pub max_http_connections: Option<usize>,

    /// Most open TCP connections of any kind (chats included) from one client address;
    /// extra ones are closed at once. Not applied with --trusted-proxy-header, where every
    /// connection comes from the proxy. [default: --max-connections-per-ip plus 64]
    #[arg(long, env = "CASEBOT_MAX_HTTP_CONNECTIONS_PER_IP")]
    pub max_http_connections_per_ip: Option<usize>,

    /// Seconds a new connection has to send its first request's headers before it is
    /// closed (an idle socket, or headers sent slowly).
    #[arg(long, env = "CASEBOT_HEADER_READ_TIMEOUT_SECS", default_value_t = defaults::HEADER_READ_TIMEOUT_SECS)]
    pub header_read_timeout_secs: u64,

    /// Seconds an HTTP keep-alive connection may wait after a response until the next
    /// request's headers are in; also bounds the first request. Chats are not affected:
    /// they have their own idle timeout.
    #[arg(long, env = "CASEBOT_KEEP_ALIVE_TIMEOUT_SECS", default_value_t = defaults::KEEP_ALIVE_TIMEOUT_SECS)]
    pub keep_alive_timeout_secs: u64,

    /// Messages per second allowed per connection (token bucket refill rate). Every
    /// frame counts: text, binary, ping and pong.
    #[arg(long, env = "CASEBOT_MESSAGES_PER_SEC", default_value_t = defaults::MESSAGES_PER_SEC)]
    pub messages_per_sec: f64,

    /// Burst of messages allowed per connection (token bucket size).
    #[arg(long, env = "CASEBOT_MESSAGE_BURST", default_value_t = defaults::MESSAGE_BURST)]
    pub message_burst: f64,

    /// Seconds between WebSocket pings.
    #[arg(long, env = "CASEBOT_PING_SECS", default_value_t = defaults::PING_SECS)]
    pub ping_secs: u64,

    /// Seconds without any frame from the client before the connection is closed.
    #[arg(long, env = "CASEBOT_IDLE_TIMEOUT_SECS", default_value_t = defaults::IDLE_TIMEOUT_SECS)]
    pub idle_timeout_secs: u64,

    /// Seconds one frame may take to reach a client before the client counts as stuck and
    /// is dropped; bounds what a client that never reads can hold on the server.
    #[arg(long, env = "CASEBOT_SEND_TIMEOUT_SECS", default_value_t = defaults::SEND_TIMEOUT_SECS)]
    pub send_timeout_secs: u64,

    /// Different receipt numbers one session may look up per ten minutes.
    #[arg(long, env = "CASEBOT_LOOKUPS_PER_WINDOW", default_value_t = defaults::LOOKUPS_PER_WINDOW)]
    pub lookups_per_window: usize,

    /// Different receipt numbers one client address may look up per ten minutes, across
    /// all its sessions.
    #[arg(long, env = "CASEBOT_LOOKUPS_PER_ADDRESS", default_value_t = defaults::LOOKUPS_PER_ADDRESS)]
    pub lookups_per_address: usize,

    /// Origins allowed to open a chat (comma-separated, e.g. `https://example.org`).
    /// Localhost and the address the server is reached on (`http://IP:PORT`) are always
    /// allowed; a host name the server is reached by must be listed.
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

    /// The WebSocket message size that fits a `message` frame with text one character over
    /// `max_text_chars` and the longest `id`, every character a 12-byte surrogate-pair
    /// escape, so that such text gets a precise `text_too_long` rather than a close.
    pub fn frame_bytes_needed(&self) -> usize {
        const ESCAPED_CHAR: usize = 12;
        const FRAME_OVERHEAD: usize = 1024;
        (self.max_text_chars.saturating_add(1) + MAX_ID_CHARS)
            .saturating_mul(ESCAPED_CHAR)
            .saturating_add(FRAME_OVERHEAD)
    }

    /// Cap on open TCP connections of any kind.
    pub fn http_connections(&self) -> usize {
        self.max_http_connections
            .unwrap_or_else(|| self.max_connections.saturating_add(defaults::HTTP_HEADROOM))
    }

    /// Cap on open TCP connections of any kind from one client address.
    pub fn http_connections_per_ip(&self) -> usize {
        self.max_http_connections_per_ip.unwrap_or_else(|| {
            self.max_connections_per_ip
                .saturating_add(defaults::HTTP_HEADROOM_PER_IP)
        })
    }

    /// Time a new connection has to send its first request's headers.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs.max(1))
    }

    /// Time a keep-alive connection has between requests.
    pub fn keep_alive_timeout(&self) -> Duration {
        Duration::from_secs(self.keep_alive_timeout_secs.max(1))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: defaults::MAX_FRAME_BYTES,
            max_text_chars: defaults::MAX_TEXT_CHARS,
            session_ttl_secs: defaults::SESSION_TTL_SECS,
            max_sessions: defaults::MAX_SESSIONS,
            max_sessions_per_ip: defaults::MAX_SESSIONS_PER_IP,
            max_connections: defaults::MAX_CONNECTIONS,
            max_connections_per_ip: defaults::MAX_CONNECTIONS_PER_IP,
            max_http_connections: None,
            max_http_connections_per_ip: None,
            header_read_timeout_secs: defaults::HEADER_READ_TIMEOUT_SECS,
            keep_alive_timeout_secs: defaults::KEEP_ALIVE_TIMEOUT_SECS,
            messages_per_sec: defaults::MESSAGES_PER_SEC,
            message_burst: defaults::MESSAGE_BURST,
            ping_secs: defaults::PING_SECS,
            idle_timeout_secs: defaults::IDLE_TIMEOUT_SECS,
            send_timeout_secs: defaults::SEND_TIMEOUT_SECS,
            lookups_per_window: defaults::LOOKUPS_PER_WINDOW,
            lookups_per_address: defaults::LOOKUPS_PER_ADDRESS,
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
            database_url: None,
            intents,
            knowledge,
            seed: String::new(),
            admin_token: None,
            agent_token: None,
            agent_wait_seconds: 300,
            metrics_addr: None,
            watch: false,
            unanswered_retention_days: UNANSWERED_RETENTION_DAYS,
            limits: Limits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeConfig,
    }

    fn parse(args: &[&str]) -> ServeConfig {
        let mut all = vec!["casebot"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("parses").serve
    }

    #[test]
    fn command_line_defaults_match_the_default_limits() {
        let parsed = parse(&[]).limits;
        let default = Limits::default();
        assert_eq!(format!("{parsed:?}"), format!("{default:?}"));
    }

    #[test]
    fn booleans_take_the_usual_spellings() {
        for (given, want) in [
            ("1", true),
            ("yes", true),
            ("on", true),
            ("true", true),
            ("0", false),
            ("no", false),
            ("off", false),
            ("false", false),
        ] {
            assert_eq!(parse(&["--watch", given]).watch, want, "{given}");
        }
    }

    #[test]
    fn the_default_frame_limit_fits_a_maximum_text_of_escaped_characters() {
        let limits = Limits::default();
        let text: String = "\\ud83d\\ude00".repeat(limits.max_text_chars + 1);
        let id = "\\ud83d\\ude00".repeat(MAX_ID_CHARS);
        let frame = format!(r#"{{"type":"message","text":"{text}","id":"{id}","debug":false}}"#);
        assert!(
            frame.len() <= limits.frame_bytes_needed(),
            "{}",
            frame.len()
        );
        assert!(limits.frame_bytes_needed() <= limits.max_frame_bytes);
    }

    #[test]
    fn http_caps_default_to_the_chat_caps_plus_headroom() {
        let limits = Limits::default();
        assert!(limits.http_connections() > limits.max_connections);
        assert!(limits.http_connections_per_ip() > limits.max_connections_per_ip);
        let set = parse(&["--max-http-connections-per-ip", "5"]).limits;
        assert_eq!(set.http_connections_per_ip(), 5);
    }
}
