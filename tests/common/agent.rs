//! A live agent on `/agent/ws`, for the tests of the hand-off and of its metrics.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{Socket, TestServer, WAIT};

/// The agent token test servers with the agent side on are started with.
pub const AGENT_TOKEN: &str = "agent-s3cret";

/// A connected agent.
pub struct Agent {
    /// The socket.
    pub ws: Socket,
}

impl Agent {
    /// Connects and says hello; does not read the answer.
    pub async fn hello(server: &TestServer, token: &str, name: &str) -> Self {
        let url = format!("ws://{}/agent/ws", server.addr);
        let (ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("agent connects");
        let mut agent = Agent { ws };
        agent
            .send(json!({"type": "agent_hello", "token": token, "name": name}))
            .await;
        agent
    }

    /// Connects, signs in and reads the first (empty or not) queue.
    pub async fn sign_in(server: &TestServer, name: &str) -> Self {
        let mut agent = Self::hello(server, AGENT_TOKEN, name).await;
        let signed = agent.recv().await;
        assert_eq!(signed, json!({"type": "signed_in", "name": name}));
        assert_eq!(agent.recv().await["type"], "queue");
        agent
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .expect("agent sends");
    }

    /// Reads the next JSON frame (skipping pings), failing the test after [`WAIT`].
    pub async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("an agent frame in time")
                .expect("open")
                .expect("frame");
            match msg {
                Message::Text(t) => return serde_json::from_str(&t).expect("JSON"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// The next frame of type `kind`, skipping others (queue updates).
    pub async fn next(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.recv().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// The next queue that lists at least one chat.
    pub async fn waiting(&mut self) -> Vec<Value> {
        loop {
            let queue = self.next("queue").await;
            let chats = queue["chats"].as_array().unwrap().clone();
            if !chats.is_empty() {
                return chats;
            }
        }
    }
}
