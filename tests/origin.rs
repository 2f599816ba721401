//! The `Origin` check on the chat upgrade, over real connections: a page on a foreign site
//! cannot open a chat in the visitor's name, while the server's own page, localhost and
//! configured origins can. A refused chat is upgraded and closed at once with 4403, before
//! any chat frame, so a browser page learns why (a refused upgrade's status is hidden from
//! it).

mod common;

use common::{TestServer, WAIT};
use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error, Message};

/// How a `/ws` request with a given `Origin` ended.
#[derive(Debug, PartialEq, Eq)]
enum Opened {
    /// The chat opened with its welcome.
    Chat,
    /// The server closed the connection before any frame, with this code and reason.
    Closed(u16, String),
}

/// The refusal of a foreign origin.
fn refused() -> Opened {
    Opened::Closed(4403, "origin not allowed".to_string())
}

/// Opens `/ws` with the given `Origin` (and `Host`, when given) and reads the first frame:
/// the welcome of a chat, or a Close. A refusal must be the only frame: after it the
/// connection ends.
async fn open(server: &TestServer, origin: Option<&str>, host: Option<&str>) -> Opened {
    let mut request = server.ws_url().into_client_request().expect("request");
    let headers = request.headers_mut();
    if let Some(origin) = origin {
        headers.insert(
            "origin",
            HeaderValue::from_str(origin).expect("header value"),
        );
    }
    if let Some(host) = host {
        headers.insert("host", HeaderValue::from_str(host).expect("header value"));
    }
    let result = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("answer in time");
    let mut ws = match result {
        Ok((ws, _)) => ws,
        Err(Error::Http(response)) => panic!("refused with HTTP {}", response.status()),
        Err(e) => panic!("unexpected handshake error: {e}"),
    };
    let first = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("a first frame in time");
    match first {
        Some(Ok(Message::Text(text))) => {
            let welcome: Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(welcome["type"], "welcome");
            Opened::Chat
        }
        Some(Ok(Message::Close(Some(frame)))) => {
            // The client answers the Close; the server then ends the connection.
            let rest = tokio::time::timeout(WAIT, ws.next())
                .await
                .expect("the connection ends in time");
            assert!(
                !matches!(rest, Some(Ok(Message::Text(_) | Message::Binary(_)))),
                "nothing follows the refusal: {rest:?}"
            );
            Opened::Closed(u16::from(frame.code), frame.reason.to_string())
        }
        other => panic!("expected a welcome or a Close, got {other:?}"),
    }
}

async fn open_with_origin(server: &TestServer, origin: Option<&str>) -> Opened {
    open(server, origin, None).await
}

async fn open_with_origin_and_host(server: &TestServer, origin: &str, host: &str) -> Opened {
    open(server, Some(origin), Some(host)).await
}

#[tokio::test]
async fn a_forged_foreign_origin_is_closed_with_4403_before_any_frame() {
    let server = TestServer::start().await;
    for origin in [
        "https://evil.example",
        "http://evil.example:8080",
        "null",
        "http://localhost.evil.example",
        &format!("https://{}.evil.example", server.addr.ip()),
        "file://",
    ] {
        assert_eq!(
            open_with_origin(&server, Some(origin)).await,
            refused(),
            "origin {origin}"
        );
    }
    // No session was created for the refused chats.
    assert_eq!(server.state.sessions().len(), 0);
    // The refusal is per request: the server goes on serving everyone else.
    let mut client = server.client().await;
    assert_eq!(client.ask("hello").await["type"], "reply");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_refusal_takes_no_chat_slot_and_creates_no_session() {
    // With one chat allowed per address and that one open, a foreign origin still gets its
    // own refusal (4403), not the connection limit's 429, and then the slot's owner goes on.
    let server = TestServer::start_with(|c| c.limits.max_connections_per_ip = 1).await;
    let mut client = server.client().await;
    for _ in 0..3 {
        assert_eq!(
            open_with_origin(&server, Some("https://evil.example")).await,
            refused()
        );
    }
    assert_eq!(
        server.state.sessions().len(),
        1,
        "only the open chat's session"
    );
    assert_eq!(client.ask("hello").await["type"], "reply");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_servers_own_origin_and_localhost_are_allowed() {
    let server = TestServer::start().await;
    let own = format!("http://{}", server.addr);
    assert_eq!(
        open_with_origin(&server, Some(&own)).await,
        Opened::Chat,
        "own origin"
    );
    assert_eq!(
        open_with_origin(&server, Some("http://localhost:3000")).await,
        Opened::Chat
    );
    assert_eq!(
        open_with_origin(&server, Some("http://127.0.0.1:9999")).await,
        Opened::Chat
    );
    // Non-browser clients send no Origin at all.
    assert_eq!(open_with_origin(&server, None).await, Opened::Chat);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn configured_origins_are_allowed_and_only_those() {
    let server = TestServer::start_with(|c| {
        c.limits.allowed_origins = vec![
            "https://www.example.gov".into(),
            "https://help.example.gov/".into(),
        ];
    })
    .await;
    assert_eq!(
        open_with_origin(&server, Some("https://www.example.gov")).await,
        Opened::Chat
    );
    assert_eq!(
        open_with_origin(&server, Some("https://HELP.example.gov")).await,
        Opened::Chat
    );
    // Same host, other scheme or port: a different origin.
    assert_eq!(
        open_with_origin(&server, Some("http://www.example.gov")).await,
        refused()
    );
    assert_eq!(
        open_with_origin(&server, Some("https://www.example.gov:8443")).await,
        refused()
    );
    assert_eq!(
        open_with_origin(&server, Some("https://example.gov")).await,
        refused()
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_host_header_matching_the_origin_does_not_make_it_allowed() {
    // DNS rebinding: a page on the attacker's name, which now resolves to this server,
    // sends that name as both Origin and Host.
    let server = TestServer::start().await;
    let port = server.addr.port();
    let name = format!("rebind.evil.example:{port}");
    assert_eq!(
        open_with_origin_and_host(&server, &format!("http://{name}"), &name).await,
        refused()
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_scheme_is_part_of_the_origin() {
    let server = TestServer::start_with(|c| {
        c.limits.allowed_origins = vec!["https://www.example.gov".into()];
    })
    .await;
    assert_eq!(
        open_with_origin_and_host(&server, "http://www.example.gov", "www.example.gov").await,
        refused()
    );
    assert_eq!(
        open_with_origin_and_host(&server, "https://www.example.gov", "www.example.gov").await,
        Opened::Chat
    );
    // The server's own address, by the scheme it speaks.
    let own = server.addr.to_string();
    assert_eq!(
        open_with_origin_and_host(&server, &format!("https://{own}"), &own).await,
        Opened::Chat,
        "loopback addresses count as localhost, either scheme"
    );
    server.stop().await.unwrap();
}
