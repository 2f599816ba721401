//! The `Origin` check on the chat upgrade, over real connections: a page on a foreign site
//! cannot open a chat in the visitor's name, while the server's own page, localhost and
//! configured origins can.

mod common;

use common::{TestServer, WAIT};
use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{Error, Message};

/// Opens `/ws` with the given `Origin` and returns the HTTP status of the refusal, or
/// `None` when the chat opened (and sent its welcome).
async fn open_with_origin(server: &TestServer, origin: Option<&str>) -> Option<StatusCode> {
    let mut request = server.ws_url().into_client_request().expect("request");
    if let Some(origin) = origin {
        request.headers_mut().insert(
            "origin",
            HeaderValue::from_str(origin).expect("header value"),
        );
    }
    let result = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("answer in time");
    match result {
        Ok((mut ws, _)) => {
            let first = tokio::time::timeout(WAIT, ws.next())
                .await
                .expect("welcome in time");
            let Some(Ok(Message::Text(text))) = first else {
                panic!("expected a welcome, got {first:?}")
            };
            let welcome: Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(welcome["type"], "welcome");
            None
        }
        Err(Error::Http(response)) => Some(response.status()),
        Err(e) => panic!("unexpected handshake error: {e}"),
    }
}

#[tokio::test]
async fn a_forged_foreign_origin_is_refused_with_403() {
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
            Some(StatusCode::FORBIDDEN),
            "origin {origin}"
        );
    }
    // The refusal is per request: the server goes on serving everyone else.
    let mut client = server.client().await;
    assert_eq!(client.ask("hello").await["type"], "reply");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_servers_own_origin_and_localhost_are_allowed() {
    let server = TestServer::start().await;
    let own = format!("http://{}", server.addr);
    assert_eq!(
        open_with_origin(&server, Some(&own)).await,
        None,
        "own origin"
    );
    assert_eq!(
        open_with_origin(&server, Some("http://localhost:3000")).await,
        None
    );
    assert_eq!(
        open_with_origin(&server, Some("http://127.0.0.1:9999")).await,
        None
    );
    // Non-browser clients send no Origin at all.
    assert_eq!(open_with_origin(&server, None).await, None);
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
        None
    );
    assert_eq!(
        open_with_origin(&server, Some("https://HELP.example.gov")).await,
        None
    );
    // Same host, other scheme or port: a different origin.
    assert_eq!(
        open_with_origin(&server, Some("http://www.example.gov")).await,
        Some(StatusCode::FORBIDDEN)
    );
    assert_eq!(
        open_with_origin(&server, Some("https://www.example.gov:8443")).await,
        Some(StatusCode::FORBIDDEN)
    );
    assert_eq!(
        open_with_origin(&server, Some("https://example.gov")).await,
        Some(StatusCode::FORBIDDEN)
    );
    server.stop().await.unwrap();
}

/// Opens `/ws` with the given `Origin` and `Host`; the refusal's status, or `None`.
async fn open_with_origin_and_host(
    server: &TestServer,
    origin: &str,
    host: &str,
) -> Option<StatusCode> {
    let mut request = server.ws_url().into_client_request().expect("request");
    let headers = request.headers_mut();
    headers.insert("origin", HeaderValue::from_str(origin).unwrap());
    headers.insert("host", HeaderValue::from_str(host).unwrap());
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("answer in time")
    {
        Ok(_) => None,
        Err(Error::Http(response)) => Some(response.status()),
        Err(e) => panic!("unexpected handshake error: {e}"),
    }
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
        Some(StatusCode::FORBIDDEN)
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
        Some(StatusCode::FORBIDDEN)
    );
    assert_eq!(
        open_with_origin_and_host(&server, "https://www.example.gov", "www.example.gov").await,
        None
    );
    // The server's own address, by the scheme it speaks.
    let own = server.addr.to_string();
    assert_eq!(
        open_with_origin_and_host(&server, &format!("https://{own}"), &own).await,
        None,
        "loopback addresses count as localhost, either scheme"
    );
    server.stop().await.unwrap();
}
