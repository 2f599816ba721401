//! No identifier a user types reaches the logs, error frames or panic output. The test
//! process logs everything at trace level into a buffer (the server runs in-process), holds
//! a conversation full of identifiers, good frames and bad, and then searches the buffer.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use casebot::store::CaseRecord;
use common::TestServer;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Everything logged by the process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
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

/// Logs everything at trace level, through the same filters and panic hook the server
/// installs in production, into a buffer.
fn capture_logs() -> Captured {
    let captured = Captured::default();
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(captured.clone());
    tracing_subscriber::registry()
        .with(EnvFilter::new("trace"))
        .with(casebot::logging::no_payload_logs())
        .with(fmt)
        .try_init()
        .expect("the only subscriber of this test process");
    casebot::logging::install_panic_hook();
    captured
}

/// What users type, and every form the identifiers could take in a log line.
const TYPED: &[&str] = &[
    "What's the status of EAC2290112233?",
    "my receipt is eac-22-901-12233 please",
    "IOE 0912345678 and LIN*2290054321",
    "My A-number is A012345678",
    "alien number a-12345678",
    "online account number 1234 5678 9012",
    "my social is 123-45-6789",
    "call me at (800) 375-5283 or mail Jane.Doe@Example.org",
    "notify me about changes",
];

const SECRETS: &[&str] = &[
    "EAC2290112233",
    "eac-22-901-12233",
    "0912345678",
    "2290054321",
    "A012345678",
    "a-12345678",
    "12345678",
    "1234 5678 9012",
    "123456789012",
    "123-45-6789",
    "123456789",
    "375-5283",
    "8003755283",
    "Jane.Doe",
    "jane.doe",
    "Example.org",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_never_reach_logs_error_frames_or_panic_output() {
    let logs = capture_logs();
    let server = TestServer::start().await;
    let record: CaseRecord = serde_json::from_value(json!({
        "receipt_number": "EAC2290112233", "form": "I-130", "status": "Case Was Received",
        "updated": "2026-09-14", "history": [{"date": "2026-09-14", "status": "Case Was Received"}]
    }))
    .expect("valid record");
    server.store.upsert(record).await.expect("store the case");

    let mut client = server.client().await;
    for text in TYPED {
        let reply = client.ask(text).await;
        assert_eq!(reply["type"], "reply");
    }
    // Bad frames that carry identifiers: each error names the problem, never the content.
    let bad_frames = [
        Message::text(r#"{"type":"message","text":"EAC2290112233 A012345678""#),
        Message::text(r#"{"type":"shout","text":"my ssn is 123-45-6789"}"#),
        Message::text(r#"{"type":"message","text":"EAC2290112233","id":{"ssn":"123-45-6789"}}"#),
        Message::text(json!({"type": "message", "text": "A012345678 ".repeat(400)}).to_string()),
        Message::binary(b"EAC2290112233 123-45-6789".to_vec()),
    ];
    for frame in bad_frames {
        client.ws.send(frame).await.expect("send");
        let error: Value = client.recv().await;
        assert_eq!(error["type"], "error", "{error}");
        assert_no_secret(&error.to_string(), "an error frame");
    }
    // A follower is notified when the case changes: the notification path logs too.
    let changed: CaseRecord = serde_json::from_value(json!({
        "receipt_number": "EAC2290112233", "form": "I-130", "status": "Case Was Approved",
        "updated": "2026-10-01"
    }))
    .expect("valid record");
    server.store.upsert(changed).await.expect("update the case");
    // Resuming with an identifier as the token, and a panic whose message holds user text.
    let resumed =
        common::Client::connect(&format!("{}?session=EAC2290112233", server.ws_url())).await;
    assert_eq!(resumed.welcome["resume_failed"], true);
    let panicked = std::panic::catch_unwind(|| panic!("cannot handle {}", TYPED[0]));
    assert!(panicked.is_err());
    drop(resumed);
    drop(client);
    server.stop().await.unwrap();

    let logs = logs.text();
    assert!(
        logs.contains("answered"),
        "trace-level logging captured the turns:\n{logs}"
    );
    assert!(logs.contains("panicked"), "the panic was logged:\n{logs}");
    assert_no_secret(&logs, "the logs");
}

fn assert_no_secret(haystack: &str, what: &str) {
    for secret in SECRETS {
        assert!(
            !haystack.contains(secret),
            "{what} contain {secret:?}:\n{haystack}"
        );
    }
}
