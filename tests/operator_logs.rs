//! What an operator reads in the logs at `info`, from a real server in this process: a
//! refused chat names the origin and the setting to change; admin writes and bulk imports
//! say what they did, with receipt numbers masked.

mod common;
mod support;

use std::sync::LazyLock;

use common::TestServer;
use common::logs::Captured;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// The process's log lines, captured at `info` like a default deployment.
static LOGS: LazyLock<Captured> = LazyLock::new(|| common::logs::capture("info"));

/// The captured lines that contain `needle`.
fn lines_with(needle: &str) -> Vec<String> {
    LOGS.text()
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_string)
        .collect()
}

/// Opens `/ws` with `origin` (raw header bytes) and waits for the server to close it.
async fn refused_chat(server: &TestServer, origin: &[u8]) {
    let mut request = server.ws_url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_bytes(origin).unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let first = tokio::time::timeout(common::WAIT, ws.next()).await.unwrap();
    assert!(
        matches!(first, Some(Ok(Message::Close(Some(_))))),
        "{first:?}"
    );
}

#[tokio::test]
async fn a_refused_chat_logs_the_origin_and_the_setting_to_change() {
    LazyLock::force(&LOGS);
    let server = TestServer::start().await;
    refused_chat(&server, b"https://help.example.gov").await;
    let long = format!("https://{}.example", "x".repeat(300));
    refused_chat(&server, long.as_bytes()).await;
    refused_chat(&server, b"https://tab.example\tinjected").await;
    refused_chat(&server, b"null").await;
    server.stop().await.unwrap();

    let line = lines_with("\"https://help.example.gov\"");
    assert_eq!(line.len(), 1, "{}", LOGS.text());
    assert!(line[0].contains("INFO"), "{}", line[0]);
    assert!(
        line[0].contains("add it to CASEBOT_ALLOWED_ORIGINS"),
        "{}",
        line[0]
    );

    let long_line = lines_with("https://xxxxxxxx");
    assert_eq!(long_line.len(), 1, "{}", LOGS.text());
    assert!(long_line[0].contains(&format!("https://{}…\"", "x".repeat(92))));
    assert!(!long_line[0].contains(&"x".repeat(93)), "{}", long_line[0]);

    let tab = lines_with("tab.example");
    assert_eq!(tab.len(), 1);
    assert!(
        tab[0].contains(r#""https://tab.example\tinjected""#),
        "{}",
        tab[0]
    );

    let null = lines_with("origin \"null\"");
    assert_eq!(null.len(), 1, "{}", LOGS.text());
    assert!(null[0].contains("only http:// and https://"), "{}", null[0]);
}

#[tokio::test]
async fn admin_writes_and_imports_are_logged_with_receipt_numbers_masked() {
    use support::{TOKEN, http, record};
    LazyLock::force(&LOGS);
    let server = TestServer::start_with(|c| c.admin_token = Some(TOKEN.to_string())).await;
    let call = |method: &'static str, path: &'static str, body: String| {
        let addr = server.addr;
        async move {
            http(addr, method, path, Some(TOKEN), body.as_bytes())
                .await
                .unwrap()
                .status
        }
    };
    let path = "/api/cases/WAC2690077123";
    let received = record("WAC2690077123", "I-130", "Case Was Received", "2026-01-02");
    let approved = record("WAC2690077123", "I-130", "Case Was Approved", "2026-02-03");
    assert_eq!(call("PUT", path, received.clone()).await, 200);
    assert_eq!(call("PUT", path, received).await, 200);
    assert_eq!(call("PUT", path, approved).await, 200);
    assert_eq!(call("PUT", path, "{\"form\": \"I-999\"}".into()).await, 400);
    assert_eq!(call("DELETE", path, String::new()).await, 204);
    assert_eq!(call("DELETE", path, String::new()).await, 404);
    // Not a receipt number: whatever was typed into the path is not logged.
    assert_eq!(
        call("DELETE", "/api/cases/A012345678", String::new()).await,
        400
    );
    let bulk = [
        record("WAC2690077124", "I-130", "Case Was Received", "2026-01-02"),
        record("WAC2690077125", "I-130", "Case Was Received", "2026-01-02"),
        record("WAC2690077126", "I-999", "Case Was Received", "2026-01-02"),
    ]
    .join("\n");
    assert_eq!(call("POST", "/api/cases/import", bulk).await, 200);
    server.stop().await.unwrap();

    let masked = lines_with("case=WAC*******123");
    let results: Vec<(&str, &str)> = masked
        .iter()
        .map(|l| {
            assert!(l.contains("INFO"), "{l}");
            let action = if l.contains("action=\"put\"") {
                "put"
            } else if l.contains("action=\"delete\"") {
                "delete"
            } else {
                panic!("no action named: {l}")
            };
            let result = l
                .split("result=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("no result: {l}"));
            (action, result)
        })
        .collect();
    assert_eq!(
        results,
        [
            ("put", "inserted"),
            ("put", "unchanged"),
            ("put", "updated"),
            ("put", "invalid"),
            ("delete", "deleted"),
            ("delete", "not found"),
        ],
        "{}",
        LOGS.text()
    );
    let malformed = lines_with("case=malformed");
    assert_eq!(malformed.len(), 1, "{}", LOGS.text());
    assert!(
        malformed[0].contains("result=\"invalid\""),
        "{}",
        malformed[0]
    );
    let import = lines_with("bulk import");
    assert_eq!(import.len(), 1, "{}", LOGS.text());
    for count in ["inserted=2", "updated=0", "unchanged=0", "rejected=1"] {
        assert!(import[0].contains(count), "{count}: {}", import[0]);
    }
    let logs = LOGS.text();
    for secret in [
        "WAC2690077123",
        "WAC2690077124",
        "2690077",
        "A012345678",
        "012345678",
    ] {
        assert!(!logs.contains(secret), "{secret} reached the logs:\n{logs}");
    }
}
