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

/// Content with no intents or articles, only the sentences every assistant needs (the
/// replies catalog): these attacks do not depend on what the assistant knows.
fn empty_content(config: &mut ServeConfig) {
    let root = config.db.parent().expect("db has a parent").to_path_buf();
    config.intents = root.join("intents");
    config.knowledge = root.join("knowledge");
    std::fs::create_dir_all(&config.intents).unwrap();
    std::fs::create_dir_all(&config.knowledge).unwrap();
    std::fs::copy(
        common::repo().join("intents/replies.toml"),
        config.intents.join("replies.toml"),
    )
    .unwrap();
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

/// Reads until the server closes the connection; the time it took, or `None` if it was
/// still open after `within`.
async fn closed_within(tcp: &mut TcpStream, within: Duration) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let start = tokio::time::Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(start + within, tcp.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_partial_headers_and_idle_keep_alives_are_closed_in_time() {
    let server = server(|c| {
        c.limits.header_read_timeout_secs = 1;
        c.limits.keep_alive_timeout_secs = 2;
    })
    .await;
    let mut healthy = server.client().await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    let mut partial = TcpStream::connect(server.addr).await.unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        .await
        .unwrap();
    let mut kept_alive = TcpStream::connect(server.addr).await.unwrap();
    kept_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let limit = Duration::from_secs(4);
    let (idle, partial, kept_alive) = tokio::join!(
        closed_within(&mut idle, limit),
        closed_within(&mut partial, limit),
        closed_within(&mut kept_alive, limit),
    );
    assert!(idle.is_some(), "an idle socket stays open");
    assert!(partial.is_some(), "a partial header stays open");
    let kept_alive = kept_alive.expect("an idle keep-alive connection stays open");
    assert!(
        kept_alive >= Duration::from_millis(1500),
        "the keep-alive timeout, not the header timeout, applies after a response: {kept_alive:?}"
    );
    // Chats are upgraded out of the HTTP timeouts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_healthy(&mut healthy).await;
    server.stop().await.unwrap();
}

/// A `casebot serve` process limited to `fds` open files, and the address it listens on.
struct Process {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

impl Process {
    fn start(fds: u32, env: &[(&str, &str)]) -> Process {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let repo = common::repo();
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {fds} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_casebot"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--seed",
                "",
                "--watch",
                "false",
            ])
            .arg("--db")
            .arg(dir.path().join("db"))
            .arg("--intents")
            .arg(repo.join("intents"))
            .arg("--knowledge")
            .arg(repo.join("knowledge"))
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start casebot serve");
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut lines = stderr.lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("casebot serve says where it listens")
                .unwrap();
            if let Some(rest) = line.split("open http://").nth(1) {
                let addr = rest.split('/').next().unwrap_or_default();
                match addr.parse() {
                    Ok(addr) => break addr,
                    Err(_) => {
                        let _ = child.kill();
                        panic!("no address in {line:?}");
                    }
                }
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Process {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /healthz` on a new connection; the status line, or `None` when there is no answer.
async fn healthz(addr: std::net::SocketAddr) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let attempt = async {
        let mut tcp = TcpStream::connect(addr).await.ok()?;
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        tcp.read_to_end(&mut answer).await.ok()?;
        String::from_utf8_lossy(&answer)
            .lines()
            .next()
            .map(str::to_string)
    };
    tokio::time::timeout(WAIT, attempt).await.ok().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_past_the_per_address_cap_do_not_stop_healthz() {
    // 400 idle connections from one address against a process with 256 descriptors.
    let server = Process::start(256, &[("CASEBOT_MAX_HTTP_CONNECTIONS_PER_IP", "100")]);
    let mut idle = Vec::new();
    for _ in 0..400 {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        if let Ok(Ok(tcp)) = tokio::time::timeout(WAIT, socket.connect(server.addr)).await {
            idle.push(tcp);
        }
    }
    assert!(idle.len() > 300, "only {} connections opened", idle.len());
    assert_eq!(
        healthz(server.addr).await.as_deref(),
        Some("HTTP/1.1 200 OK"),
        "another address still gets /healthz"
    );
    // The extra connections were closed at once, not left to the timeouts.
    let mut closed = 0;
    for tcp in &mut idle {
        if closed_within(tcp, Duration::from_millis(20))
            .await
            .is_some()
        {
            closed += 1;
        }
    }
    assert!(
        closed >= 290,
        "only {closed} of the extra connections were closed"
    );
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_and_ping_floods_are_rate_limited_then_closed() {
    let server = server(|_| {}).await;
    let mut healthy = server.client().await;
    for flood in [
        Message::binary(vec![1u8; 8]),
        Message::Ping(vec![1u8; 8].into()),
    ] {
        let attacker = server.client().await;
        let (mut sink, mut stream) = attacker.ws.split();
        let writer = tokio::spawn(async move {
            for _ in 0..100_000 {
                if sink.send(flood.clone()).await.is_err() {
                    return;
                }
            }
        });
        assert_eq!(close_code(&mut stream).await, CloseCode::Policy);
        let _ = tokio::time::timeout(WAIT, writer).await;
    }
    assert_healthy(&mut healthy).await;
    server.stop().await.unwrap();
}

/// A message frame with `n` emoji written as JSON surrogate-pair escapes, 12 bytes each.
fn escaped_emoji(n: usize) -> String {
    format!(
        r#"{{"type":"message","text":"{}","id":"e"}}"#,
        "\\ud83d\\ude00".repeat(n)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escaped_text_at_and_over_the_limit_gets_an_answer_not_a_close() {
    let server = server(|_| {}).await;
    let mut client = server.client().await;
    client.send_raw(&escaped_emoji(2000)).await;
    assert_eq!(client.recv().await["type"], "reply");
    client.send_raw(&escaped_emoji(2001)).await;
    let answer = client.recv().await;
    assert_eq!(answer["code"], "text_too_long", "{answer}");
    assert_healthy(&mut client).await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn with_the_admin_api_off_every_method_under_api_answers_404() {
    let server = server(|_| {}).await;
    for method in ["GET", "PUT", "DELETE", "POST", "PATCH", "OPTIONS"] {
        for path in ["/api/cases/EAC2190000001", "/api/cases/import"] {
            use tokio::io::AsyncReadExt;
            let mut tcp = TcpStream::connect(server.addr).await.unwrap();
            let request = format!(
                "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            tcp.write_all(request.as_bytes()).await.unwrap();
            let mut answer = Vec::new();
            tokio::time::timeout(WAIT, tcp.read_to_end(&mut answer))
                .await
                .expect("answer in time")
                .unwrap();
            let status = String::from_utf8_lossy(&answer);
            assert!(
                status.starts_with("HTTP/1.1 404"),
                "{method} {path}: {}",
                status.lines().next().unwrap_or_default()
            );
        }
    }
    server.stop().await.unwrap();
}
