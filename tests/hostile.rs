//! Hostile clients against a real server: malformed and oversized frames, invalid UTF-8,
//! clients that never read, connection churn and slow upgrade requests. After every attack
//! a healthy client still gets answers and the process memory stays bounded.

mod common;

use std::time::Duration;

use casebot::config::ServeConfig;
use common::{Client, TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};

/// Empty content folders: these attacks do not depend on what the assistant knows.
fn empty_content(config: &mut ServeConfig) {
    let root = config.db.parent().expect("db has a parent").to_path_buf();
    config.intents = root.join("intents");
    config.knowledge = root.join("knowledge");
    std::fs::create_dir_all(&config.intents).unwrap();
    std::fs::create_dir_all(&config.knowledge).unwrap();
}

async fn server(adjust: impl FnOnce(&mut ServeConfig)) -> TestServer {
    TestServer::start_with(|config| {
        empty_content(config);
        adjust(config);
    })
    .await
}

/// Resident memory of this process in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmRSS value")
}

/// Generous bound on memory growth during one attack; the attacks below would need far more
/// if the server buffered without limit.
const RSS_GROWTH_LIMIT_KIB: u64 = 200 * 1024;

async fn assert_healthy(healthy: &mut Client) {
    let reply = healthy.ask("hello").await;
    assert!(
        !reply["text"].as_str().unwrap_or_default().is_empty(),
        "healthy client got {reply}"
    );
}

/// Reads frames until a Close arrives and returns its code; fails on end of stream first.
async fn close_code(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> CloseCode {
    loop {
        let next = tokio::time::timeout(WAIT * 2, ws.next())
            .await
            .expect("server closes in time");
        match next {
            Some(Ok(Message::Close(Some(frame)))) => {
                // Reading on flushes our Close reply, completing the closing handshake.
                while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, ws.next()).await {}
                return frame.code;
            }
            Some(Ok(Message::Close(None))) => panic!("close frame without a code"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("connection failed before a close frame: {e}"),
            None => panic!("connection ended without a close frame"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_malformed_frames_each_get_an_error_and_the_chat_goes_on() {
    let server = server(|c| {
        c.limits.messages_per_sec = 1e6;
        c.limits.message_burst = 1e6;
    })
    .await;
    let mut client = server.client().await;
    let too_long = format!(r#"{{"type":"message","text":"{}"}}"#, "a".repeat(2001));
    let cases: Vec<(Message, &str)> = vec![
        (Message::text("{not json"), "invalid_json"),
        (Message::text("[1,2,3]"), "invalid_frame"),
        (Message::text(r#""just a string""#), "invalid_frame"),
        (Message::text(r#"{"text":"hi"}"#), "missing_type"),
        (
            Message::text(r#"{"type":"shout","text":"hi"}"#),
            "unknown_type",
        ),
        (Message::text(r#"{"type":"message"}"#), "missing_text"),
        (
            Message::text(r#"{"type":"message","text":{"a":1}}"#),
            "invalid_text",
        ),
        (
            Message::text(r#"{"type":"message","text":" \t\n "}"#),
            "empty_text",
        ),
        (Message::text(too_long), "text_too_long"),
        (
            Message::text(r#"{"type":"message","text":"hi","id":[1]}"#),
            "invalid_id",
        ),
        (
            Message::binary(vec![0u8, 159, 146, 150]),
            "binary_not_supported",
        ),
        (Message::text(""), "invalid_json"),
    ];
    for i in 0..1000 {
        let (frame, code) = &cases[i % cases.len()];
        client.ws.send(frame.clone()).await.expect("send");
        let answer = client.recv().await;
        assert_eq!(answer["type"], "error", "frame {i}: {answer}");
        assert_eq!(answer["code"], *code, "frame {i}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "frame {i}: {answer}"
        );
    }
    let reply = client.ask("hello after all that").await;
    assert_eq!(reply["type"], "reply");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_frame_closes_the_chat_with_1009() {
    let server = server(|_| {}).await;
    let mut healthy = server.client().await;
    let before = rss_kib();
    let attacker = server.client().await;
    let (mut sink, mut stream) = attacker.ws.split();
    let huge = format!(
        r#"{{"type":"message","text":"{}"}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    // The server may close while the frame is still being written; only the close matters.
    let writer = tokio::spawn(async move {
        let _ = sink.send(Message::text(huge)).await;
    });
    assert_eq!(close_code(&mut stream).await, CloseCode::Size);
    let _ = tokio::time::timeout(WAIT, writer).await;
    assert_healthy(&mut healthy).await;
    let mut fresh = server.client().await;
    assert_healthy(&mut fresh).await;
    assert!(
        rss_kib().saturating_sub(before) < RSS_GROWTH_LIMIT_KIB,
        "memory grew by more than the bound"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_a_text_frame_closes_with_1007() {
    let server = server(|_| {}).await;
    let mut healthy = server.client().await;
    let mut attacker = server.client().await;
    let bad = vec![b'{', 0xff, 0xfe, b'}'];
    let frame = Frame::message(bad, OpCode::Data(Data::Text), true);
    attacker
        .ws
        .send(Message::Frame(frame))
        .await
        .expect("send raw frame");
    assert_eq!(close_code(&mut attacker.ws).await, CloseCode::Invalid);
    assert_healthy(&mut healthy).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_without_unbounded_buffering() {
    let server = server(|c| {
        c.limits.messages_per_sec = 1e6;
        c.limits.message_burst = 1e6;
        c.limits.send_timeout_secs = 1;
    })
    .await;
    let mut healthy = server.client().await;
    let before = rss_kib();

    // A small receive window on the attacker fills up after a few replies.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(server.addr).await.expect("tcp connect");
    let (ws, _) = tokio_tungstenite::client_async(server.ws_url(), tcp)
        .await
        .expect("upgrade");
    let (mut sink, _never_read) = ws.split();
    let flood = tokio::spawn(async move {
        let frame = Message::text(r#"{"type":"message","text":"what is my case status?","id":1}"#);
        for sent in 0..2_000_000u32 {
            if sink.send(frame.clone()).await.is_err() {
                return Some(sent);
            }
        }
        None
    });
    // While the attacker is stuck, others are answered.
    assert_healthy(&mut healthy).await;

    let outcome = tokio::time::timeout(Duration::from_secs(60), flood).await;
    let dropped_after = outcome
        .expect("the server drops the stuck client")
        .expect("flood task");
    assert!(
        dropped_after.is_some(),
        "the server kept reading from a client that never reads"
    );
    assert_healthy(&mut healthy).await;
    assert!(
        rss_kib().saturating_sub(before) < RSS_GROWTH_LIMIT_KIB,
        "memory grew by more than the bound"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_and_dropping_connections_in_a_loop_leaks_nothing() {
    let server = server(|c| c.limits.max_sessions = 100).await;
    let mut healthy = server.client().await;
    let before = rss_kib();
    let mut accepted = 0;
    for i in 0..500 {
        // A connection refused with 429 while earlier ones are still being torn down is fine.
        if let Ok(Ok((ws, _))) =
            tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(server.ws_url())).await
        {
            accepted += 1;
            drop(ws);
        }
        if i % 100 == 0 {
            assert_healthy(&mut healthy).await;
        }
    }
    assert!(accepted > 0, "no connection was accepted");
    assert_healthy(&mut healthy).await;
    // Every dropped connection gives its slot back: the per-address cap (64) admits new chats.
    let mut fresh = Vec::new();
    for _ in 0..60 {
        fresh.push(connect_eventually(&server.ws_url()).await);
    }
    assert!(
        server.state.sessions().len() <= 100,
        "sessions kept: {}",
        server.state.sessions().len()
    );
    assert!(
        rss_kib().saturating_sub(before) < RSS_GROWTH_LIMIT_KIB,
        "memory grew by more than the bound"
    );
    server.stop().await.unwrap();
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// Opens a chat, retrying while the server still counts connections being torn down.
async fn connect_eventually(url: &str) -> Socket {
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    loop {
        match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await {
            Ok(Ok((ws, _))) => return ws,
            _ if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Ok(Err(e)) => panic!("connection slots were not given back: {e}"),
            Err(_) => panic!("connecting timed out"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_upgrade_requests_do_not_stall_other_clients() {
    let server = server(|_| {}).await;
    let mut healthy = server.client().await;
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut tcp = TcpStream::connect(server.addr).await.expect("tcp connect");
        tcp.write_all(b"GET /ws HTTP/1.1\r\n").await.unwrap();
        slow.push(tcp);
    }
    for round in 0..5 {
        for tcp in &mut slow {
            tcp.write_all(format!("X-Trickle-{round}: a\r\n").as_bytes())
                .await
                .unwrap();
        }
        assert_healthy(&mut healthy).await;
        let mut newcomer = server.client().await;
        assert_healthy(&mut newcomer).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(slow);
    assert_healthy(&mut healthy).await;
    server.stop().await.unwrap();
}
