//! The live agent side: `GET /agent` (the agent page), `GET /agent.js`, `GET /agent.css`
//! and the agent WebSocket at `GET /agent/ws`, all answering 404 unless
//! `CASEBOT_AGENT_TOKEN` is set; and the two hooks a chat turn calls, [`relay`] before the
//! assistant answers and [`after_turn`] after it. The line itself lives in
//! [`super::handoff`].

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::handoff::{AGENT_QUEUE, AgentFrame, AgentRequest, Enqueued, Refused, Speaker};
use super::protocol::{Reply, ServerFrame};
use super::state::AppState;
use crate::dialog::{Effect, Outcome};
use crate::nlu::Lang;

/// Close code for an agent connection whose first frame is not an `agent_hello` with the
/// right token (documented in docs/protocol.md).
pub const CLOSE_AGENT_REFUSED: u16 = 4003;
/// Close code for an agent connection whose first frame is not an `agent_hello` at all, or
/// names no agent.
pub const CLOSE_AGENT_BAD_HELLO: u16 = 4000;
/// How long the server waits for `agent_hello`.
const HELLO_WITHIN: Duration = Duration::from_secs(10);
/// Longest agent name, in characters.
const MAX_NAME_CHARS: usize = 40;
/// Largest frame an agent may send, in bytes.
const MAX_AGENT_FRAME: usize = 64 * 1024;

const AGENT_HTML: &str = include_str!("../../widget/agent.html");
const AGENT_JS: &str = include_str!("../../widget/agent.js");
const AGENT_CSS: &str = include_str!("../../widget/agent.css");

/// Routes `/agent`, `/agent.js`, `/agent.css` and `/agent/ws`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent", get(page))
        .route("/agent.js", get(script))
        .route("/agent.css", get(styles))
        .route("/agent/ws", get(agent_ws))
}

fn asset(state: &AppState, body: &'static str, content_type: &'static str) -> Response {
    if !state.handoff().enabled() {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, super::widget::PAGE_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

async fn page(State(state): State<AppState>) -> Response {
    asset(&state, AGENT_HTML, "text/html; charset=utf-8")
}

async fn script(State(state): State<AppState>) -> Response {
    asset(&state, AGENT_JS, "text/javascript; charset=utf-8")
}

async fn styles(State(state): State<AppState>) -> Response {
    asset(&state, AGENT_CSS, "text/css; charset=utf-8")
}

/// `GET /agent/ws`: upgrades when the agent side is on.
async fn agent_ws(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    if !state.handoff().enabled() {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let tracker = state.tracker().clone();
    ws.max_message_size(MAX_AGENT_FRAME)
        .max_frame_size(MAX_AGENT_FRAME)
        .on_upgrade(move |socket| tracker.track_future(run(socket, state)))
}

/// One agent connection: `agent_hello` first, then requests and pushed frames.
async fn run(mut socket: WebSocket, state: AppState) {
    let Some(name) = hello(&mut socket, &state).await else {
        return;
    };
    let (tx, mut rx) = mpsc::channel(AGENT_QUEUE);
    let handoff = state.handoff();
    let _ = send(&mut socket, &AgentFrame::SignedIn { name: name.clone() }).await;
    let me = handoff.sign_in(&name, tx);
    let shutdown = state.shutdown_token();
    let max_text = state.config().limits.max_text_chars;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                close(&mut socket, 1001, "server shutting down").await;
                break;
            }
            out = rx.recv() => match out {
                Some(frame) => if !send(&mut socket, &frame).await { break },
                None => break,
            },
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let answer = match serde_json::from_str::<AgentRequest>(&text) {
                    Ok(request) => act(&state, me, request, max_text),
                    Err(_) => Err(AgentFrame::error("invalid_frame", "That frame is not one the agent API knows.")),
                };
                if let Err(frame) = answer
                    && !send(&mut socket, &frame).await
                {
                    break;
                }
            }
        }
    }
    handoff.sign_out(me, state.sessions());
}

/// Carries out one request of agent `me`; an `error` frame for the agent when refused.
fn act(
    state: &AppState,
    me: u64,
    request: AgentRequest,
    max_text: usize,
) -> Result<(), AgentFrame> {
    let handoff = state.handoff();
    let registry = state.sessions();
    let done = match request {
        AgentRequest::AgentHello { .. } => {
            return Err(AgentFrame::error(
                "already_signed_in",
                "This connection is signed in already.",
            ));
        }
        AgentRequest::Take { chat } => handoff.take(me, &chat, registry),
        AgentRequest::Say { chat, text } => {
            if text.trim().is_empty() || text.chars().count() > max_text {
                return Err(AgentFrame::error(
                    "invalid_text",
                    "The text is empty or too long.",
                ));
            }
            handoff.say(me, &chat, &text, registry)
        }
        AgentRequest::Typing { chat } => handoff.typing(me, &chat, registry),
        AgentRequest::HandBack { chat } | AgentRequest::Close { chat } => {
            handoff.release(me, &chat, registry)
        }
    };
    done.map_err(|refused| {
        let message = match refused {
            Refused::NoSuchChat => "That chat is not waiting any more.",
            Refused::NotYours => "Another agent has that chat, or you have not taken it.",
        };
        AgentFrame::error(refused.code(), message)
    })
}

/// Reads `agent_hello` and checks its token in constant time; closes the connection and
/// returns `None` when it is missing or wrong.
async fn hello(socket: &mut WebSocket, state: &AppState) -> Option<String> {
    let expected = state.config().agent_token.clone().unwrap_or_default();
    let first = match timeout(HELLO_WITHIN, socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<AgentRequest>(&text).ok(),
        _ => None,
    };
    match first {
        Some(AgentRequest::AgentHello { token, name }) => {
            if expected.is_empty()
                || !super::admin::constant_time_eq(token.as_bytes(), expected.as_bytes())
            {
                tracing::warn!("refused an agent: wrong token");
                close(socket, CLOSE_AGENT_REFUSED, "agent token refused").await;
                return None;
            }
            let name = name.trim();
            if name.is_empty()
                || name.chars().count() > MAX_NAME_CHARS
                || name.chars().any(char::is_control)
            {
                close(socket, CLOSE_AGENT_BAD_HELLO, "agent_hello needs a name").await;
                return None;
            }
            Some(name.to_string())
        }
        _ => {
            close(
                socket,
                CLOSE_AGENT_BAD_HELLO,
                "the first frame must be agent_hello",
            )
            .await;
            None
        }
    }
}

async fn send(socket: &mut WebSocket, frame: &AgentFrame) -> bool {
    let text = frame.to_json();
    matches!(
        timeout(
            Duration::from_secs(10),
            socket.send(Message::Text(text.into()))
        )
        .await,
        Ok(Ok(()))
    )
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let close = Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }));
    let _ = timeout(Duration::from_secs(2), socket.send(close)).await;
}

/// Before the assistant answers a message of session `token`: when a live agent holds the
/// chat, passes the message to the agent and returns the reply frame the contract still
/// owes the message (empty, with the agent's name); `None` when the assistant answers.
pub fn relay(
    state: &AppState,
    token: &str,
    text: &str,
    id: &Option<Value>,
    lang: Option<Lang>,
) -> Option<ServerFrame> {
    if !state.handoff().enabled() {
        return None;
    }
    let name = state.handoff().relay(token, text)?;
    Some(ServerFrame::Reply(Reply {
        reply_to: id.clone(),
        lang: lang.unwrap_or_default().code().to_string(),
        agent: Some(name),
        ..Reply::default()
    }))
}

/// After the assistant answered a message of session `token`: keeps both in the chat's
/// transcript, and when the person asked for a person and an agent is online, puts the
/// chat in line and says so instead of giving the contact center's numbers (kept for when
/// no agent comes in time).
pub fn after_turn(state: &AppState, token: &str, text: &str, outcome: &mut Outcome) {
    let handoff = state.handoff();
    if !handoff.enabled() {
        return;
    }
    handoff.record(token, Speaker::Person, text, None);
    if outcome.effects.contains(&Effect::TalkToPerson) {
        let nlu = state.nlu();
        let replies = nlu.get(outcome.lang).catalog().replies();
        // Sent only if no agent takes the chat: it says so before the numbers.
        let contact = format!("{}\n\n{}", replies.handoff_none_free(), outcome.answer.text);
        let enqueued = handoff.enqueue(token, outcome.lang, contact, state.sessions());
        if enqueued != Enqueued::NoAgent {
            outcome.answer.text = replies.handoff_queued().to_string();
            outcome.answer.links.clear();
            outcome.answer.quick_replies.clear();
        }
        if let Enqueued::New(chat) = enqueued {
            let wait = Duration::from_secs(state.config().agent_wait_seconds);
            let state = state.clone();
            tokio::spawn(async move {
                let shutdown = state.shutdown_token();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {
                        state.handoff().expire(&chat, state.sessions());
                    }
                    _ = shutdown.cancelled() => {}
                }
            });
        }
    }
    handoff.record(token, Speaker::Assistant, &outcome.answer.text, None);
}
