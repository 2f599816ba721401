//! The reference WebSocket server for load comparisons: the smallest axum server that
//! speaks casebot's chat protocol. It greets each connection, parses every text frame as
//! JSON and answers a fixed reply echoing the message id, with axum's default WebSocket
//! settings. It is the ceiling for our stack (tokio, hyper, axum, tungstenite, serde_json)
//! on a machine; `casebot load` measures casebot against it with the same settings.
//!
//! ```sh
//! cargo run --release --example reference_server -- 127.0.0.1:9090 [REPLY_BYTES]
//! ```
//!
//! With `REPLY_BYTES`, the reply's text is padded so that each reply frame is about that
//! size: set it to casebot's mean reply size (`casebot load` reports `mean_reply_bytes`)
//! so that both servers serialize and send the same amount per reply.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::WebSocketUpgrade;
use axum::extract::ws::{Message, WebSocket};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

/// A client frame: only the id is used, but the whole message is parsed.
#[derive(Deserialize)]
struct ClientMessage {
    #[serde(rename = "type")]
    _kind: String,
    #[serde(rename = "text")]
    _text: String,
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// A fixed reply of about the size of a typical casebot answer.
const REPLY_TEXT: &str = "You can check your case status online with your receipt number. \
    The receipt number is on the notice we mailed you; it has 3 letters and 10 digits.";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = match std::env::args().nth(1) {
        Some(a) => a.parse().map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{a:?}: {e}"))
        })?,
        None => "127.0.0.1:9090".parse().expect("a valid default address"),
    };
    let reply_bytes: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let text: &'static str = Box::leak(padded_text(reply_bytes).into_boxed_str());
    let app = Router::new().route("/ws", get(move |ws: WebSocketUpgrade| upgrade(ws, text)));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("reference server on ws://{}/ws", listener.local_addr()?);
    axum::serve(listener, app).await
}

/// The reply text, repeated until a reply frame is about `reply_bytes` long.
fn padded_text(reply_bytes: usize) -> String {
    let frame_without_text = reply_frame(&serde_json::Value::Null, "").to_string().len();
    let mut text = REPLY_TEXT.to_string();
    while frame_without_text + text.len() < reply_bytes {
        text.push(' ');
        text.push_str(REPLY_TEXT);
    }
    text.truncate(
        reply_bytes
            .saturating_sub(frame_without_text)
            .max(REPLY_TEXT.len()),
    );
    text
}

fn reply_frame(id: &serde_json::Value, text: &str) -> serde_json::Value {
    json!({
        "type": "reply", "reply_to": id, "text": text,
        "intent": "reference", "confidence": 1.0, "entities": [],
        "quick_replies": ["Check my case status"], "links": [],
    })
}

async fn upgrade(ws: WebSocketUpgrade, text: &'static str) -> Response {
    ws.on_upgrade(move |socket| chat(socket, text))
}

async fn chat(mut socket: WebSocket, reply_text: &'static str) {
    let welcome = json!({"type": "welcome", "session": "reference", "protocol": 1}).to_string();
    if socket.send(Message::Text(welcome.into())).await.is_err() {
        return;
    }
    while let Some(Ok(message)) = socket.recv().await {
        let Message::Text(text) = message else {
            continue;
        };
        let reply = match serde_json::from_str::<ClientMessage>(&text) {
            Ok(m) => reply_frame(&m.id.unwrap_or(serde_json::Value::Null), reply_text),
            Err(_) => json!({"type": "error", "code": "bad_json", "message": "not JSON"}),
        };
        if socket
            .send(Message::Text(reply.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
    }
}
