//! Captures every log line of the test process, through the filters and field formatter
//! the server installs in production, so a test can search what was logged. One capture
//! per test binary: the subscriber is process-wide.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Everything logged by the process.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// The lines logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Logs at `filter` (an `EnvFilter` directive such as `trace` or `info`), through the same
/// filters, field escaping and panic hook the server installs, into a buffer.
pub fn capture(filter: &str) -> Captured {
    let captured = Captured::default();
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .fmt_fields(casebot::logging::EscapedFields)
        .with_writer(captured.clone());
    tracing_subscriber::registry()
        .with(EnvFilter::new(filter))
        .with(casebot::logging::no_payload_logs())
        .with(fmt)
        .try_init()
        .expect("the only subscriber of this test process");
    casebot::logging::install_panic_hook();
    captured
}
