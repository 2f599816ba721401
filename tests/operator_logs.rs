//! What an operator reads in the logs at `info`, from a real server in this process: a
//! refused chat names the origin and the setting to change; admin writes and bulk imports
//! say what they did, with receipt numbers masked.

mod common;

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
