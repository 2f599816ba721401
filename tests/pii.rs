//! No identifier a user types reaches the logs, error frames or panic output, whatever
//! digits, letters or separators it is typed with, and no log line can be forged. The test
//! process logs everything at trace level into a buffer (the server runs in-process), holds
//! a conversation full of identifiers, good frames and bad, and then searches the buffer.

mod common;

use casebot::store::CaseRecord;
use common::TestServer;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

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
    // The same identifiers typed with other separators, digits and letters.
    "my ssn is 987/65/4321, or 987_65_4321, 987,65,4321, 987:65:4321, 987~65~4321, \
     876\u{2212}54\u{2212}3210 or 876\u{ad}54\u{ad}3210 or 876\u{200b}54\u{200d}3210",
    "my number is \u{ff18}\u{ff17}\u{ff16}-\u{ff15}\u{ff14}-\u{ff13}\u{ff12}\u{ff11}\u{ff10}, \
     \u{0668}\u{0667}\u{0666}-\u{0665}\u{0664}-\u{0663}\u{0662}\u{0661}\u{0660} and \
     \u{06f8}\u{06f7}\u{06f6}-\u{06f5}\u{06f4}-\u{06f3}\u{06f2}\u{06f1}\u{06f0}",
    "A-number \u{ff21}\u{ff10}\u{ff19}\u{ff18}\u{ff17}\u{ff16}\u{ff15}\u{ff14}\u{ff13}\u{ff12}, \
     receipt WAC\u{0967}\u{0968}\u{0969}\u{096a}\u{096b}\u{096c}\u{096d}\u{096e}\u{096f}\u{0966}, \
     online account number 5555\u{200b}6666\u{200b}7777",
    "write to jos\u{e9}.garc\u{ed}a@correo.espa\u{f1}a.es or m\u{fc}ller@b\u{fc}cher.de \
     or jo\u{200b}hn.sm\u{200b}ith@exam\u{200b}ple.com",
    "forged\nINFO casebot: admin logged in\r\u{1b}[31mred\u{2028}\u{202e}",
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
    "987/65/4321",
    "987_65_4321",
    "987,65,4321",
    "987:65:4321",
    "987~65~4321",
    "876\u{2212}54",
    "54\u{2212}3210",
    "876\u{ad}54",
    "54\u{ad}3210",
    "876\u{200b}54",
    "54\u{200d}3210",
    "\u{ff18}\u{ff17}\u{ff16}",
    "\u{ff13}\u{ff12}\u{ff11}\u{ff10}",
    "\u{0663}\u{0662}\u{0661}\u{0660}",
    "\u{06f3}\u{06f2}\u{06f1}\u{06f0}",
    "\u{ff10}\u{ff19}\u{ff18}\u{ff17}\u{ff16}\u{ff15}",
    "\u{ff12}\u{ff12}\u{ff19}\u{ff10}\u{ff11}\u{ff11}",
    "\u{0967}\u{0968}\u{0969}\u{096a}\u{096b}\u{096c}",
    "5555\u{200b}6666",
    "6666\u{200b}7777",
    "555566667777",
    "jos\u{e9}",
    "garc\u{ed}a",
    "m\u{fc}ller",
    "jo\u{200b}hn",
    "sm\u{200b}ith",
    "john.smith",
];

/// How sled's own debug lines print a key or value: as a list of byte values.
fn as_byte_list(s: &str) -> String {
    let bytes: Vec<String> = s.bytes().map(|b| b.to_string()).collect();
    bytes.join(", ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_never_reach_logs_error_frames_or_panic_output() {
    let logs = common::logs::capture("trace");
    let server = TestServer::start().await;
    let record: CaseRecord = serde_json::from_value(json!({
        "receipt_number": "EAC2290112233", "form": "I-130", "status": "Case Was Received",
        "updated": "2026-09-14", "history": [{"date": "2026-09-14", "status": "Case Was Received"}]
    }))
    .expect("valid record");
    server.store.upsert(record).await.expect("store the case");

    let mut client = server.client().await;
    let token = client.token();
    for text in TYPED {
        let reply = client.ask(text).await;
        assert_eq!(reply["type"], "reply");
    }
    // A receipt number in full-width characters is looked up as its ASCII form.
    let reply = client
        .ask("\u{ff25}\u{ff21}\u{ff23}\u{ff12}\u{ff12}\u{ff19}\u{ff10}\u{ff11}\u{ff11}\u{ff12}\u{ff12}\u{ff13}\u{ff13}")
        .await;
    let receipt = &reply["entities"][0];
    assert_eq!(
        (&receipt["kind"], &receipt["value"]),
        (&json!("receipt_number"), &json!("EAC2290112233")),
        "{reply}"
    );
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("Case Was Received"),
        "{reply}"
    );
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
    // Back to the default hook, so that a failing assertion below says what failed.
    drop(std::panic::take_hook());
    drop(resumed);
    drop(client);
    server.stop().await.unwrap();

    let logs = logs.text();
    assert!(
        logs.contains("answered"),
        "trace-level logging captured the turns:\n{logs}"
    );
    assert!(logs.contains("panicked"), "the panic was logged:\n{logs}");
    assert!(
        logs.lines()
            .any(|l| l.contains("chat{session=") && l.contains("answered")),
        "each chat's lines carry its span with a short session id:\n{logs}"
    );
    assert!(!logs.contains(&token), "a session token reached the logs");
    assert_no_secret(&logs, "the logs");
    for secret in ["EAC2290112233", "Case Was Received", "Case Was Approved"] {
        let bytes = as_byte_list(secret);
        assert!(
            !logs.contains(&bytes),
            "the logs hold {secret:?} as bytes:\n{logs}"
        );
    }
    // Every line is one event: none starts where a typed line break forged it.
    assert!(
        !logs.lines().any(|l| l.starts_with("INFO casebot")),
        "a forged line:\n{logs}"
    );
    for control in ['\r', '\u{1b}', '\u{2028}', '\u{202e}'] {
        assert!(
            !logs.contains(control),
            "a raw {control:?} in the logs:\n{logs}"
        );
    }
}

fn assert_no_secret(haystack: &str, what: &str) {
    for secret in SECRETS {
        assert!(
            !haystack.contains(secret),
            "{what} contain {secret:?}:\n{haystack}"
        );
    }
}
