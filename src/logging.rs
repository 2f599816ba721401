//! Logging setup: readable lines by default, JSON with `--log-json`, level from `RUST_LOG`.
//!
//! Whatever the level, nothing a user typed reaches the logs unmasked: our own log lines
//! mask text with [`crate::nlu::mask::mask_text`], [`no_payload_logs`] silences the
//! WebSocket library's frame dumps, and [`install_panic_hook`] masks panic messages.

use tracing::{Level, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::prelude::*;

/// Crates whose debug and trace lines print raw WebSocket payloads, that is, user text.
const PAYLOAD_LOGGERS: &[&str] = &["tungstenite", "tokio_tungstenite"];

/// Installs the global subscriber. Logs go to stderr so stdout stays for command output.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(no_payload_logs());
    let result = if json {
        registry.with(fmt.json()).try_init()
    } else {
        registry.with(fmt).try_init()
    };
    if result.is_ok() {
        install_panic_hook();
    }
}

/// A filter that keeps only `info` and more severe lines from the crates that dump frame
/// payloads at `debug` and `trace`, so `RUST_LOG=trace` cannot leak what users typed.
pub fn no_payload_logs() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    FilterFn::new(not_a_payload_dump)
}

fn not_a_payload_dump(meta: &Metadata<'_>) -> bool {
    *meta.level() <= Level::INFO || !PAYLOAD_LOGGERS.iter().any(|p| meta.target().starts_with(p))
}

/// Replaces the panic hook with one that logs the panic through `tracing` with its message
/// masked: a panic while handling a message (a slicing panic, say) would otherwise print
/// the user's text to stderr.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(target: "panic", %location, message = %crate::nlu::mask::mask_text(&message), "panicked");
    }));
}
