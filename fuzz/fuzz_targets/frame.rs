//! Any bytes a client can put in a text frame: the parser takes them or refuses them with
//! an error frame that serializes to JSON, and never panics.
#![no_main]

use casebot::server::protocol::{ClientFrame, ServerFrame, parse_client_frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // WebSocket text frames are valid UTF-8 by the time they reach the parser.
    let Ok(raw) = std::str::from_utf8(data) else { return };
    match parse_client_frame(raw, 2000) {
        Ok(ClientFrame::Message { text, .. }) => {
            assert!(!text.trim().is_empty());
            assert!(text.chars().count() <= 2000);
        }
        Ok(ClientFrame::Ping { .. } | ClientFrame::Feedback { .. }) => {}
        Err(e) => {
            let sent = ServerFrame::error(e.code, e.id).to_json();
            let sent: serde_json::Value = serde_json::from_str(&sent).expect("error frames are JSON");
            assert_eq!(sent["type"], "error");
        }
    }
});
