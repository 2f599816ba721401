//! Abuse limits end to end: connection caps in total and per client address (and where that
//! address comes from behind a proxy), a message flood that persists, and the cap on
//! sessions kept for resume.

mod common;

use common::{Client, TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/ws` with an optional `X-Forwarded-For`; the socket, or the refusal's status.
async fn open(server: &TestServer, forwarded_for: Option<&str>) -> Result<Socket, StatusCode> {
    let mut request = server.ws_url().into_client_request().expect("request");
    if let Some(value) = forwarded_for {
        request.headers_mut().insert(
            "x-forwarded-for",
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("answer in time")
    {
        Ok((ws, _)) => Ok(ws),
        Err(Error::Http(response)) => Err(response.status()),
        Err(e) => panic!("unexpected handshake error: {e}"),
    }
}

/// Closes a chat and waits until the server has let go of it.
async fn hang_up(mut ws: Socket) {
    let _ = ws.close(None).await;
    while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, ws.next()).await {}
}

#[tokio::test]
async fn connections_per_client_address_are_capped_and_slots_come_back() {
    let server = TestServer::start_with(|c| c.limits.max_connections_per_ip = 2).await;
    let first = open(&server, None).await.expect("first chat");
    let _second = open(&server, None).await.expect("second chat");
    assert_eq!(
        open(&server, None).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    hang_up(first).await;
    assert!(
        open(&server, None).await.is_ok(),
        "a freed slot is available again"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn total_connections_are_capped() {
    let server = TestServer::start_with(|c| {
        c.limits.max_connections = 3;
        c.limits.max_connections_per_ip = 100;
    })
    .await;
    let mut open_chats = Vec::new();
    for _ in 0..3 {
        open_chats.push(open(&server, None).await.expect("under the cap"));
    }
    assert_eq!(
        open(&server, None).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn behind_a_proxy_the_trusted_header_names_the_client() {
    let server = TestServer::start_with(|c| {
        c.limits.max_connections_per_ip = 1;
        c.limits.trusted_proxy_header = Some("x-forwarded-for".into());
    })
    .await;
    let _a = open(&server, Some("203.0.113.7"))
        .await
        .expect("first client");
    assert_eq!(
        open(&server, Some("203.0.113.7")).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    // A client cannot dodge the cap by prepending addresses: the proxy's own entry is last.
    assert_eq!(
        open(&server, Some("198.51.100.1, 203.0.113.7")).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    assert!(
        open(&server, Some("203.0.113.8")).await.is_ok(),
        "another client behind the same proxy"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn without_a_trusted_header_forwarded_addresses_are_ignored() {
    let server = TestServer::start_with(|c| c.limits.max_connections_per_ip = 1).await;
    let _a = open(&server, Some("203.0.113.7"))
        .await
        .expect("first client");
    assert_eq!(
        open(&server, Some("203.0.113.8")).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persistent_flood_is_rate_limited_then_closed_while_others_chat() {
    let server = TestServer::start().await;
    let mut healthy = server.client().await;
    let mut flooder = server.client().await;
    for i in 0..200 {
        let frame = json!({"type": "message", "text": "hello", "id": i}).to_string();
        if flooder.ws.send(Message::text(frame)).await.is_err() {
            break;
        }
    }
    let (mut replies, mut limited) = (0, 0);
    let code = loop {
        let next = tokio::time::timeout(WAIT * 2, flooder.ws.next())
            .await
            .expect("a frame in time");
        match next {
            Some(Ok(Message::Text(text))) => {
                let frame: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                match frame["type"].as_str() {
                    Some("reply") => replies += 1,
                    Some("error") if frame["code"] == "rate_limited" => limited += 1,
                    _ => panic!("unexpected frame {frame}"),
                }
            }
            Some(Ok(Message::Close(frame))) => {
                // Reading on flushes our Close reply, completing the closing handshake.
                while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, flooder.ws.next()).await {}
                break frame.map(|f| f.code);
            }
            Some(Ok(_)) => {}
            other => panic!("connection ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(code, Some(CloseCode::Policy));
    assert!(replies >= 1, "the burst is answered");
    assert!(
        limited >= 1,
        "the excess gets rate_limited errors before the close"
    );
    assert!(replies < 200, "the flood was not limited");
    assert_eq!(healthy.ask("hello").await["type"], "reply");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn only_the_configured_number_of_sessions_is_kept_for_resume() {
    let server = TestServer::start_with(|c| c.limits.max_sessions = 2).await;
    let mut tokens = Vec::new();
    for _ in 0..4 {
        let client = server.client().await;
        tokens.push(client.token());
        hang_up(client.ws).await;
    }
    assert!(
        server.state.sessions().len() <= 2,
        "sessions kept: {}",
        server.state.sessions().len()
    );
    let oldest = Client::connect(&format!("{}?session={}", server.ws_url(), tokens[0])).await;
    assert_eq!(oldest.welcome["resumed"], false);
    assert_eq!(oldest.welcome["resume_failed"], true);
    hang_up(oldest.ws).await;
    let newest = Client::connect(&format!("{}?session={}", server.ws_url(), tokens[3])).await;
    assert_eq!(newest.welcome["resumed"], true, "{}", newest.welcome);
    server.stop().await.unwrap();
}

/// Opens a chat from the given local source address (any of 127.0.0.0/8 on Linux).
async fn client_from(server: &TestServer, source: &str, query: &str) -> Client {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let tcp = socket.connect(server.addr).await.expect("tcp connect");
    let url = format!("{}{query}", server.ws_url());
    let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, tcp))
        .await
        .expect("upgrade in time")
        .expect("upgrade");
    let mut client = Client::from_socket(ws);
    client.read_welcome().await;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_starting_many_sessions_does_not_push_out_anothers() {
    let server = TestServer::start_with(|c| {
        c.limits.max_sessions = 5;
        c.limits.max_connections_per_ip = 1000;
    })
    .await;
    let victim = client_from(&server, "127.0.0.2", "").await;
    let token = victim.token();
    hang_up_client(victim).await;
    for _ in 0..20 {
        hang_up_client(client_from(&server, "127.0.0.3", "").await).await;
    }
    let back = client_from(&server, "127.0.0.2", &format!("?session={token}")).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_per_address_are_capped() {
    let server = TestServer::start_with(|c| c.limits.max_sessions_per_ip = 3).await;
    for _ in 0..10 {
        hang_up_client(client_from(&server, "127.0.0.4", "").await).await;
    }
    assert!(
        server.state.sessions().len() <= 3,
        "sessions kept: {}",
        server.state.sessions().len()
    );
    server.stop().await.unwrap();
}

async fn hang_up_client(client: Client) {
    hang_up(client.ws).await;
}

#[tokio::test]
async fn an_over_long_resume_token_is_a_failed_resume() {
    let server = TestServer::start().await;
    let url = format!("{}?session={}", server.ws_url(), "a".repeat(65));
    let client = Client::connect(&url).await;
    assert_eq!(client.welcome["resumed"], false);
    assert_eq!(client.welcome["resume_failed"], true, "{}", client.welcome);
    server.stop().await.unwrap();
}

/// True when the assistant said it paused look-ups.
fn paused(reply: &serde_json::Value) -> bool {
    reply["text"]
        .as_str()
        .is_some_and(|t| t.contains("paused look-ups"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_address_limit_a_chat_cannot_tell_which_numbers_others_looked_up() {
    let server = TestServer::start_with(|c| c.limits.lookups_per_address = 2).await;
    let mut victim = server.client().await;
    let mut prober = server.client().await;
    let reply = victim.ask("what is the status of EAC2190000001").await;
    assert!(!paused(&reply), "{reply}");
    let reply = prober.ask("what is the status of EAC2190000007").await;
    assert!(!paused(&reply), "{reply}");
    let reply = prober.ask("what is the status of EAC2190000008").await;
    assert!(paused(&reply), "the address limit holds: {reply}");
    // The victim's number is refused like any other number new to this chat.
    let reply = prober.ask("what is the status of EAC2190000001").await;
    assert!(
        paused(&reply),
        "another chat's look-up was revealed: {reply}"
    );
    // The victim may still ask about its own.
    let reply = victim.ask("what is the status of EAC2190000001").await;
    assert!(!paused(&reply), "{reply}");
    server.stop().await.unwrap();
}
