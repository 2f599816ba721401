//! Shared helpers for integration tests: start a real server on 127.0.0.1:0 with a real
//! sled store in a temp dir, and talk to it over a real WebSocket.
#![allow(dead_code)]

pub mod agent;
pub mod logs;
pub mod store_contract;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use casebot::config::ServeConfig;
use casebot::nlu::Nlu;
use std::sync::Arc;

use casebot::store::{CaseRecord, HistoryEntry, SharedStore, SledStore, parse_record};
use casebot::{AppState, run};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// How long any single wait in a test may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(5);

/// The repository root (where intents/ and knowledge/ live).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running server and what it needs.
pub struct TestServer {
    /// Address it listens on.
    pub addr: SocketAddr,
    /// The store, shared with the server.
    pub store: SharedStore,
    /// The server's state.
    pub state: AppState,
    /// Temp dir holding the database (kept alive while the server runs).
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server on the shipped content with default limits.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after letting the test adjust the configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut ServeConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServeConfig::new(
            dir.path().join("db"),
            repo().join("intents"),
            repo().join("knowledge"),
        );
        adjust(&mut config);
        let store: SharedStore = Arc::new(SledStore::open(&config.db).expect("open store"));
        let (nlu, _) = Nlu::load(&config.intents, &config.knowledge).expect("content loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = AppState::new(config, nlu, store.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            store,
            state,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// `ws://…/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// `http://…`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Connects a client and reads its welcome frame.
    pub async fn client(&self) -> Client {
        Client::connect(&self.ws_url()).await
    }

    /// Stops the server, waits for it to finish and checks it let go of the store.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let stopped = match self.task.take() {
            Some(task) => tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("server stops within 10 s")
                .expect("server task"),
            None => Ok(()),
        };
        drop(self.state);
        assert_eq!(
            Arc::strong_count(&self.store),
            1,
            "a stopped server still holds the store, so the database stays locked"
        );
        stopped
    }
}

/// A client WebSocket, as `tokio_tungstenite::connect_async` gives it.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A connected chat client.
pub struct Client {
    /// The socket.
    pub ws: Socket,
    /// The welcome frame.
    pub welcome: Value,
    next_id: u64,
}

impl Client {
    /// Connects to `url` and reads the welcome frame.
    pub async fn connect(url: &str) -> Self {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect in time")
            .expect("connect");
        let mut client = Client {
            ws,
            welcome: Value::Null,
            next_id: 0,
        };
        client.welcome = client.recv().await;
        assert_eq!(
            client.welcome["type"], "welcome",
            "first frame is the welcome"
        );
        client
    }

    /// The session token from the welcome frame.
    pub fn token(&self) -> String {
        self.welcome["session"].as_str().expect("token").to_string()
    }

    /// Sends a raw text frame.
    pub async fn send_raw(&mut self, text: &str) {
        self.ws
            .send(Message::text(text.to_string()))
            .await
            .expect("send");
    }

    /// Reads the next JSON text frame (skipping pings), failing the test after [`WAIT`].
    pub async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame in time")
                .expect("connection open")
                .expect("frame");
            match msg {
                Message::Text(t) => return serde_json::from_str(&t).expect("server sends JSON"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Sends a message and returns its reply (notifications arriving first are skipped).
    pub async fn ask(&mut self, text: &str) -> Value {
        self.next_id += 1;
        let id = format!("t{}", self.next_id);
        self.send_raw(&json!({"type": "message", "text": text, "id": id}).to_string())
            .await;
        loop {
            let frame = self.recv().await;
            if frame["reply_to"] == id.as_str() {
                assert_eq!(frame["type"], "reply", "reply to {text:?}: {frame}");
                return frame;
            }
        }
    }
}

/// Writes `files` (relative path → content) under a fresh temp dir with `intents/` and
/// `knowledge/` copied from the repository first.
pub fn content_copy(dir: &Path) -> (PathBuf, PathBuf) {
    let intents = dir.join("intents");
    let knowledge = dir.join("knowledge");
    for (from, to) in [
        (repo().join("intents"), &intents),
        (repo().join("knowledge"), &knowledge),
    ] {
        copy_dir(&from, to);
    }
    (intents, knowledge)
}

impl Client {
    /// A client over a socket already upgraded (for example from a chosen source address);
    /// call [`Client::read_welcome`] next.
    pub fn from_socket(
        ws: tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> Self {
        Client {
            ws,
            welcome: Value::Null,
            next_id: 0,
        }
    }

    /// Reads the welcome frame into [`Client::welcome`].
    pub async fn read_welcome(&mut self) {
        self.welcome = self.recv().await;
        assert_eq!(
            self.welcome["type"], "welcome",
            "first frame is the welcome"
        );
    }
}

/// Copies a folder and its subfolders (the `es/` content folders).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// An I-485 case at the National Benefits Center with `status` as of `updated`.
pub fn case(rn: &str, status: &str, updated: &str) -> CaseRecord {
    parse_record(
        format!(r#"{{"receipt_number":"{rn}","form":"I-485","status":"{status}","updated":"{updated}","office":"National Benefits Center"}}"#)
            .as_bytes(),
    )
    .expect("valid record")
}

/// One history entry.
pub fn entry(date: &str, status: &str) -> HistoryEntry {
    HistoryEntry {
        date: date.into(),
        status: status.into(),
    }
}

/// A case of `form` received on 2026-03-02 and at `status` since `updated`, with both
/// steps in its history.
pub fn case_with_history(rn: &str, form: &str, status: &str, updated: &str) -> CaseRecord {
    CaseRecord {
        receipt_number: rn.to_string(),
        form: form.to_string(),
        status: status.to_string(),
        updated: updated.to_string(),
        description: None,
        history: vec![
            entry("2026-03-02", "Case Was Received"),
            entry(updated, status),
        ],
        extra: Default::default(),
    }
}
