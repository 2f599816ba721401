//! Logging setup: readable lines by default, JSON with `--log-json`, level from `RUST_LOG`.
//!
//! Whatever the level, nothing a user typed reaches the logs unmasked or able to forge a
//! line: our own log lines mask text with [`crate::nlu::mask::mask_text`], every field of a
//! readable line goes through [`EscapedFields`] so no value can hold a raw line break or
//! terminal escape, [`no_payload_logs`] silences the libraries that dump frames or records,
//! and [`install_panic_hook`] masks and escapes panic messages.

use std::fmt;

use tracing::{Level, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{DefaultFields, Writer};
use tracing_subscriber::prelude::*;

/// Crates whose debug and trace lines print what users typed or what the store holds:
/// WebSocket frame payloads (tungstenite), keys and batches of case records (sled, through
/// the `log` bridge), rejected request bodies (axum), and parsed headers (hyper, when built
/// with its tracing).
const PAYLOAD_LOGGERS: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "sled",
    "axum::rejection",
    "hyper",
];

/// Installs the global subscriber. Logs go to stderr so stdout stays for command output.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(no_payload_logs());
    let result = if json {
        registry.with(fmt.json()).try_init()
    } else {
        registry.with(fmt.fmt_fields(EscapedFields)).try_init()
    };
    if result.is_ok() {
        install_panic_hook();
    }
}

/// A filter that keeps only `info` and more severe lines from the crates that dump
/// payloads or records at `debug` and `trace`, so `RUST_LOG=trace` cannot leak what users
/// typed or what the case store holds.
pub fn no_payload_logs() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    FilterFn::new(not_a_payload_dump)
}

fn not_a_payload_dump(meta: &Metadata<'_>) -> bool {
    *meta.level() <= Level::INFO || !is_payload_logger(meta.target())
}

/// True for a target in one of [`PAYLOAD_LOGGERS`]: the crate itself or one of its modules.
fn is_payload_logger(target: &str) -> bool {
    PAYLOAD_LOGGERS.iter().any(|p| {
        target
            .strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

/// The field formatter for readable log lines: the default `name=value` layout, with every
/// control character in names and values escaped (see [`escape_controls`]), so that a
/// value holding a newline cannot forge a second line and one holding a terminal escape
/// cannot recolour or hide the output. Applies to every field of every event and span, so
/// a new call site logging raw text cannot bring the problem back.
#[derive(Debug, Clone, Copy, Default)]
pub struct EscapedFields;

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut escaping = Escaping(&mut writer);
        // Without ANSI: the default fields would only italicize names, and those escape
        // sequences would be escaped too.
        DefaultFields::new().format_fields(Writer::new(&mut escaping), fields)
    }
}

/// A `fmt::Write` that escapes control characters on their way to the inner writer.
struct Escaping<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(self.0, s)
    }
}

/// True for a character that must not appear raw in a log line: C0 and C1 controls and
/// DEL (line breaks, terminal escapes), the Unicode line and paragraph separators, and the
/// bidirectional controls that can make a line display differently from what it holds.
pub fn is_log_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Writes `s` with every character [`is_log_control`] finds replaced by an escape: `\n`,
/// `\r`, `\t`, else `\u{…}`. Other characters, backslashes included, are written as they are.
fn write_escaped(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    let mut clean = 0;
    for (i, c) in s.char_indices() {
        if !is_log_control(c) {
            continue;
        }
        out.write_str(&s[clean..i])?;
        match c {
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            _ => write!(out, "\\u{{{:x}}}", u32::from(c))?,
        }
        clean = i + c.len_utf8();
    }
    out.write_str(&s[clean..])
}

/// `s` with its control characters escaped as in readable log lines (see
/// [`EscapedFields`]); borrowed when there is nothing to escape.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_log_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    // Writing to a String never fails.
    let _ = write_escaped(&mut out, s);
    std::borrow::Cow::Owned(out)
}

/// Replaces the panic hook with one that logs the panic through `tracing` with its message
/// masked and its control characters escaped: a panic while handling a message (a slicing
/// panic, say) would otherwise print the user's text to stderr, line breaks and all.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let message = crate::nlu::mask::mask_text(&message);
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let location = escape_controls(&location);
        tracing::error!(target: "panic", %location, message = %escape_controls(&message), "panicked");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_kind_of_control_character() {
        let cases = [
            ("a\nb", "a\\nb"),
            ("a\r\nb", "a\\r\\nb"),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("nul\0", "nul\\u{0}"),
            ("del\u{7f}", "del\\u{7f}"),
            ("nel\u{85}csi\u{9b}", "nel\\u{85}csi\\u{9b}"),
            ("ls\u{2028}ps\u{2029}", "ls\\u{2028}ps\\u{2029}"),
            ("rlo\u{202e}fdp\u{2066}", "rlo\\u{202e}fdp\\u{2066}"),
            ("caf\u{e9} \\n ok", "caf\u{e9} \\n ok"),
        ];
        for (raw, escaped) in cases {
            assert_eq!(escape_controls(raw), escaped, "{raw:?}");
        }
    }

    #[test]
    fn payload_loggers_are_matched_by_crate_not_by_prefix() {
        for target in [
            "sled::tree",
            "tungstenite::protocol",
            "hyper",
            "axum::rejection",
        ] {
            assert!(is_payload_logger(target), "{target}");
        }
        for target in [
            "hyper_util::client",
            "axum::serve",
            "casebot::server",
            "sledge",
        ] {
            assert!(!is_payload_logger(target), "{target}");
        }
    }

    /// Everything written, shared with the subscriber.
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_text_log_line_with_control_characters_stays_one_escaped_line() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(Level::TRACE)
            .fmt_fields(EscapedFields)
            .with_writer(move || writer.clone())
            .finish();
        let typed = "hi\nINFO casebot: forged\r\u{1b}[31mred\u{2028}end\u{202e}";
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("turn", who = %typed);
            let _entered = span.enter();
            tracing::info!(text = %typed, debug = ?typed, "said {typed}");
        });
        let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.ends_with('\n'), "{out}");
        let line = out.trim_end_matches('\n');
        assert!(!line.chars().any(is_log_control), "{line:?}");
        let escaped = "hi\\nINFO casebot: forged\\r\\u{1b}[31mred\\u{2028}end\\u{202e}";
        // The message: tracing-subscriber itself writes ESC in messages as `\x1b`.
        assert!(
            line.contains("said hi\\nINFO casebot: forged\\r")
                && line.contains("red\\u{2028}end\\u{202e} "),
            "{line}"
        );
        assert!(line.contains(&format!("text={escaped}")), "{line}");
        assert!(line.contains(&format!("turn{{who={escaped}}}")), "{line}");
    }
}
