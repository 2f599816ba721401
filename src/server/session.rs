//! One chat connection: decodes frames, enforces limits, runs the dialog for each message,
//! and pushes notifications. A single task owns the socket, so every exit path can send a
//! proper Close frame.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};
use tracing::Instrument;

use super::lookups::GatedCases;
use super::protocol::{ClientFrame, ErrorCode, ServerFrame, parse_client_frame};
use super::rate::TokenBucket;
use super::sessions::Outbound;
use super::state::AppState;
use super::unanswered::RecentReplies;
use crate::dialog::{self, Effect};
use crate::nlu::Lang;
use crate::nlu::mask::mask_text;

/// Rate-limit errors in a row after which the connection is closed.
const MAX_RATE_STRIKES: u32 = 20;
/// Close codes.
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_TOO_BIG: u16 = 1009;
/// Custom close code: the session was resumed by another connection.
const CLOSE_REPLACED: u16 = 4001;

/// Why the loop ended.
enum End {
    Close(u16, &'static str),
    Gone,
}

/// Runs one connection until it closes. `resume` is the token from `/ws?session=`, `lang`
/// the language from `/ws?lang=` a new session starts in.
pub async fn run(
    socket: WebSocket,
    state: AppState,
    resume: Option<String>,
    lang: Option<Lang>,
    client: std::net::IpAddr,
) {
    let (tx, mut rx) = mpsc::channel::<Outbound>(16);
    let attached = attach(&state, resume.as_deref(), tx, client).await;
    if !attached.resumed && lang.is_some() {
        lock(&attached.dialog).lang = lang;
    }
    if attached.resumed {
        state
            .handoff()
            .person_away(&attached.token, false, state.sessions());
    }
    let span =
        tracing::info_span!("chat", session = %short_id(&attached.token), conn = attached.conn);
    let resuming = resume.is_some();
    serve(socket, state, attached, &mut rx, resuming, client)
        .instrument(span)
        .await;
}

/// Attaches the connection to its session: one this node holds, else one another node
/// kept in the session store, else a new one (saved at once so any node can resume it).
async fn attach(
    state: &AppState,
    resume: Option<&str>,
    tx: mpsc::Sender<Outbound>,
    client: std::net::IpAddr,
) -> super::sessions::Attached {
    let limits = &state.config().limits;
    let per_address = limits.max_sessions_per_ip;
    if let Some(token) = resume
        && !state.sessions().holds(token)
        && let Some(kept) = state
            .session_store()
            .resume(token, limits.session_ttl())
            .await
    {
        let nlu = state.nlu();
        let language = nlu.get(kept.dialog.lang.unwrap_or_default());
        let missed = kept
            .missed
            .iter()
            .map(|record| super::frames::notification(record, language))
            .collect();
        return state
            .sessions()
            .adopt(token, kept.dialog, missed, tx, client, per_address);
    }
    let attached = state.sessions().attach(resume, tx, client, per_address);
    if !attached.resumed {
        let dialog = lock(&attached.dialog).clone();
        state.session_store().save(&attached.token, client, &dialog);
    }
    attached
}

/// The connection's life once its session is attached; every log line inside carries the
/// `chat` span with the session's short id.
async fn serve(
    mut socket: WebSocket,
    state: AppState,
    attached: super::sessions::Attached,
    rx: &mut mpsc::Receiver<Outbound>,
    resuming: bool,
    client: std::net::IpAddr,
) {
    let limits = &state.config().limits;
    let lang = state
        .nlu()
        .get(lock(&attached.dialog).lang.unwrap_or_default())
        .lang;
    let welcome = ServerFrame::Welcome {
        session: attached.token.clone(),
        resumed: attached.resumed,
        resume_failed: resuming && !attached.resumed,
        protocol: super::protocol::PROTOCOL_VERSION,
        lang: lang.code().to_string(),
        text: if attached.resumed {
            state.welcome_back(lang)
        } else {
            state.greeting(lang)
        },
        quick_replies: if attached.resumed {
            Vec::new()
        } else {
            state.starter_questions(lang)
        },
    };
    let send_timeout = Duration::from_secs(limits.send_timeout_secs.max(1));
    let mut ok = send(&mut socket, &welcome, send_timeout).await;
    for missed in attached.missed {
        ok = ok
            && send(
                &mut socket,
                &ServerFrame::Notification(missed),
                send_timeout,
            )
            .await;
    }
    let shutdown = state.shutdown_token();
    let cancelled = shutdown.cancelled();
    tokio::pin!(cancelled);
    let ping_every = Duration::from_secs(limits.ping_secs.max(1));
    let idle_after = Duration::from_secs(limits.idle_timeout_secs.max(1));
    let mut last_seen = Instant::now();
    let mut next_ping = last_seen + ping_every;
    // One timer for both the ping and the idle deadline, re-armed only when it fires:
    // messages just move `last_seen`, so a busy chat never touches the timer wheel.
    let timer = sleep_until(next_ping.min(last_seen + idle_after));
    tokio::pin!(timer);
    let mut bucket = TokenBucket::new(limits.messages_per_sec, limits.message_burst);
    let mut strikes = 0u32;
    let mut recent = RecentReplies::new(attached.conn);

    let end = if !ok {
        End::Gone
    } else {
        loop {
            tokio::select! {
                _ = &mut cancelled => break End::Close(CLOSE_GOING_AWAY, "server shutting down"),
                incoming = socket.recv() => {
                    let Some(incoming) = incoming else { break End::Gone };
                    let message = match incoming {
                        Ok(m) => m,
                        Err(e) => break classify_error(e),
                    };
                    last_seen = Instant::now();
                    let frame = match message {
                        Message::Text(text) => {
                            if !bucket.take() {
                                strikes += 1;
                                if strikes > MAX_RATE_STRIKES {
                                    break End::Close(CLOSE_POLICY, "too many messages");
                                }
                                ServerFrame::error(ErrorCode::RateLimited, None)
                            } else {
                                strikes = 0;
                                handle_text(&state, &attached.token, &attached.dialog, client, &mut recent, &text).await
                            }
                        }
                        Message::Binary(_) => match take_token(&mut bucket, &mut strikes) {
                            Rate::Within => ServerFrame::error(ErrorCode::BinaryNotSupported, None),
                            Rate::Over => ServerFrame::error(ErrorCode::RateLimited, None),
                            Rate::Persistently => break End::Close(CLOSE_POLICY, "too many messages"),
                        },
                        // Control frames get no answer, over the rate or not, but count.
                        Message::Ping(_) | Message::Pong(_) => match take_token(&mut bucket, &mut strikes) {
                            Rate::Persistently => break End::Close(CLOSE_POLICY, "too many messages"),
                            Rate::Within | Rate::Over => continue,
                        },
                        Message::Close(_) => break End::Gone,
                    };
                    if !send(&mut socket, &frame, send_timeout).await {
                        break End::Gone;
                    }
                }
                out = rx.recv() => match out {
                    Some(Outbound::Notification(n)) => {
                        if !send(&mut socket, &ServerFrame::Notification(*n), send_timeout).await {
                            break End::Gone;
                        }
                    }
                    Some(Outbound::Frame(frame)) => {
                        if !send(&mut socket, &frame, send_timeout).await {
                            break End::Gone;
                        }
                    }
                    Some(Outbound::Replaced) | None => break End::Close(CLOSE_REPLACED, "session resumed elsewhere"),
                },
                _ = &mut timer => {
                    let now = Instant::now();
                    if now >= last_seen + idle_after {
                        break End::Close(CLOSE_GOING_AWAY, "idle timeout");
                    }
                    if now >= next_ping {
                        next_ping = now + ping_every;
                        let ping = socket.send(Message::Ping(Default::default()));
                        if !matches!(timeout(send_timeout, ping).await, Ok(Ok(()))) {
                            break End::Gone;
                        }
                    }
                    timer.as_mut().reset(next_ping.min(last_seen + idle_after));
                }
            }
        }
    };
    if let End::Close(code, reason) = end {
        let close = Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        }));
        // Going away (shutdown, idle) is quick; other closes follow a client that may still
        // be sending, so they wait for its Close.
        let wait = code != CLOSE_GOING_AWAY;
        let _ = timeout(
            Duration::from_secs(2),
            close_handshake(&mut socket, close, wait),
        )
        .await;
    }
    if state.sessions().detach(&attached.token, attached.conn) {
        state.session_store().away(&attached.token);
        if let Some(left) = state
            .handoff()
            .person_away(&attached.token, true, state.sessions())
        {
            forget_if_gone(&state, attached.token.clone(), left);
        }
    }
}

/// Once the resume window has run out, ends the hand-off of a person who left at `left`
/// and did not come back (see [`super::handoff::Handoff::person_gone`]).
fn forget_if_gone(state: &AppState, token: String, left: std::time::Instant) {
    let state = state.clone();
    // Just past the window, so a resume at its very end still counts.
    let window = state.config().limits.session_ttl() + Duration::from_millis(100);
    tokio::spawn(async move {
        let shutdown = state.shutdown_token();
        tokio::select! {
            _ = tokio::time::sleep(window) => {
                state.handoff().person_gone(&token, left, state.sessions());
            }
            _ = shutdown.cancelled() => {}
        }
    });
}

/// A short, stable name for a session in logs: a hash of its token, never the token
/// itself, so log lines of one chat can be told apart without giving anyone a way in.
fn short_id(token: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    static KEYS: std::sync::LazyLock<std::collections::hash_map::RandomState> =
        std::sync::LazyLock::new(Default::default);
    let mut hasher = KEYS.build_hasher();
    hasher.write(token.as_bytes());
    format!("{:08x}", hasher.finish() as u32)
}

/// Closes a just-upgraded connection with `code` and `reason` before any chat frame, and
/// waits up to 2 s for the client's Close.
pub async fn close_at_once(mut socket: WebSocket, code: u16, reason: &'static str) {
    let close = Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }));
    let _ = timeout(
        Duration::from_secs(2),
        close_handshake(&mut socket, close, true),
    )
    .await;
}

/// Sends our Close and waits for the client's, discarding what it still sends. Dropping a
/// socket with unread input makes the kernel reset the connection, which can destroy the
/// Close frame before the client reads it (a flooding client would never learn why).
async fn close_handshake(socket: &mut WebSocket, close: Message, wait: bool) {
    if socket.send(close).await.is_err() || !wait {
        return;
    }
    while let Some(Ok(message)) = socket.recv().await {
        if matches!(message, Message::Close(_)) {
            break;
        }
    }
}

/// Turns a socket read error into how the loop ends: an oversized message gets close 1009.
fn classify_error(e: axum::Error) -> End {
    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    let inner = e.into_inner();
    match inner.downcast_ref::<WsError>() {
        Some(WsError::Capacity(CapacityError::MessageTooLong { .. })) => {
            End::Close(CLOSE_TOO_BIG, "message too large")
        }
        Some(WsError::Capacity(_)) => End::Close(CLOSE_TOO_BIG, "frame too large"),
        Some(WsError::Utf8(_)) => End::Close(1007, "invalid UTF-8"),
        Some(WsError::Protocol(_)) => End::Close(1002, "protocol error"),
        _ => End::Gone,
    }
}

/// Where one received frame stands against the connection's rate limit.
enum Rate {
    /// Within the limit.
    Within,
    /// Over the limit: refused.
    Over,
    /// Over the limit too many times in a row: the connection is closed.
    Persistently,
}

/// Takes a token for one frame, counting refusals in a row in `strikes`.
fn take_token(bucket: &mut TokenBucket, strikes: &mut u32) -> Rate {
    if bucket.take() {
        *strikes = 0;
        Rate::Within
    } else {
        *strikes += 1;
        if *strikes > MAX_RATE_STRIKES {
            Rate::Persistently
        } else {
            Rate::Over
        }
    }
}

/// Decodes one text frame and produces the frame to send back.
async fn handle_text(
    state: &AppState,
    token: &str,
    dialog: &std::sync::Mutex<dialog::DialogState>,
    client: std::net::IpAddr,
    recent: &mut RecentReplies,
    raw: &str,
) -> ServerFrame {
    use futures_util::FutureExt;
    let started = std::time::Instant::now();
    let limits = &state.config().limits;
    let (text, id, debug, chosen) = match parse_client_frame(raw, limits.max_text_chars) {
        Ok(ClientFrame::Message {
            text,
            id,
            debug,
            lang,
        }) => (text, id, debug, lang),
        Ok(ClientFrame::Ping { id }) => return ServerFrame::Pong { reply_to: id },
        Ok(ClientFrame::Feedback { reply_to, helpful }) => {
            return match recent.vote(&reply_to, helpful) {
                Ok(record) => {
                    if let Some(record) = record {
                        super::unanswered::write(state, record).await;
                    }
                    ServerFrame::FeedbackReceived { reply_to, helpful }
                }
                Err(_) => ServerFrame::error(ErrorCode::UnknownReply, None),
            };
        }
        Err(e) => {
            tracing::debug!(code = ?e.code, "refused a client frame");
            return ServerFrame::error(e.code, e.id);
        }
    };
    let chat_lang = chosen.or(lock(dialog).lang);
    if let Some(relayed) = super::agent::relay(state, token, &text, &id, chat_lang) {
        return relayed;
    }
    let nlu = state.nlu();
    // The turn works on a copy of the session's state, so no lock is held while it waits
    // for the case store; only this connection's task answers for the session.
    let mut session = lock(dialog).clone();
    if chosen.is_some() {
        session.lang = chosen;
    }
    let cases = GatedCases {
        store: state.store().as_ref(),
        ip: client,
        limiter: state.lookups(),
        shared: state.session_store(),
        session: token,
    };
    // A bug in one turn answers `internal` and keeps the chat open; the panic hook logs it
    // with the text masked.
    let turn = std::panic::AssertUnwindSafe(dialog::respond(
        &mut session,
        &text,
        &nlu,
        &cases,
        state.dialog_options(),
    ))
    .catch_unwind()
    .await;
    let Ok(mut outcome) = turn else {
        return ServerFrame::error(ErrorCode::Internal, id);
    };
    super::agent::after_turn(state, token, &text, &mut outcome);
    state.session_store().save(token, client, &session);
    *lock(dialog) = session;
    for effect in &outcome.effects {
        match effect {
            Effect::Subscribe(rn) => state.sessions().follow(token, rn, true),
            Effect::Unsubscribe(rn) => state.sessions().follow(token, rn, false),
            Effect::TalkToPerson => {}
        }
    }
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!(
            text = %mask_text(&text),
            intent = outcome.answer.intent.as_deref().unwrap_or("-"),
            confidence = outcome.answer.confidence,
            "answered"
        );
    }
    let took = started.elapsed();
    let target = outcome.answer.intent.as_deref();
    state.answer_counters().answered(outcome.lang, target, took);
    let language = nlu.get(outcome.lang);
    let (reply_id, record) = recent.remember(&text, &outcome, language);
    if let Some(record) = record {
        super::unanswered::write(state, record).await;
    }
    ServerFrame::Reply(super::frames::reply(
        outcome,
        Some(reply_id),
        id,
        debug,
        language,
    ))
}

fn lock(
    dialog: &std::sync::Mutex<dialog::DialogState>,
) -> std::sync::MutexGuard<'_, dialog::DialogState> {
    dialog
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sends one frame; false when the client is gone or stuck.
async fn send(socket: &mut WebSocket, frame: &ServerFrame, within: Duration) -> bool {
    if let ServerFrame::Error { code, .. } = frame {
        super::metrics::error_frame(*code);
    }
    let text = frame.to_json();
    matches!(
        timeout(within, socket.send(Message::Text(text.into()))).await,
        Ok(Ok(()))
    )
}
