//! `casebot chat`: a terminal client for the chat protocol.
//!
//! Interactive when stdin is a terminal: a prompt, replies with numbered quick replies (type
//! the number to pick one), notifications as they arrive. Otherwise it reads one message per
//! line, waits for each reply and prints it (the raw frames with `--json`), so it works in
//! shell pipelines and scripts. Answers show bold and lists as a terminal can, and as plain
//! text when the output is not a terminal.

mod markdown;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::server::protocol::{ServerFrame, ServerFrameHead, ServerFrameKind};
use markdown::{Style, render};

/// Arguments of `casebot chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Chat endpoint of the server.
    #[arg(long, env = "CASEBOT_URL", default_value = "ws://127.0.0.1:8080/ws")]
    pub url: String,
    /// Print the raw JSON frames instead of readable text.
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait for each reply in pipe mode.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// Language the chat starts in (`en` or `es`); without it the first message decides.
    #[arg(long, value_parser = ["en", "es"])]
    pub lang: Option<String>,
}

/// The chat URL with `lang=` added to its query when a language was given.
fn chat_url(args: &ChatArgs) -> String {
    match &args.lang {
        None => args.url.clone(),
        Some(lang) => {
            let sep = if args.url.contains('?') { '&' } else { '?' };
            format!("{}{sep}lang={lang}", args.url)
        }
    }
}

/// Why a chat ended with a failure.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The WebSocket connection could not be opened.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL given.
        url: String,
        /// What failed.
        source: tungstenite::Error,
    },
    /// Reading the user's input failed.
    #[error("{0}")]
    Input(#[from] std::io::Error),
    /// The connection failed while sending or receiving.
    #[error("{0}")]
    Connection(#[from] tungstenite::Error),
    /// The server sent a text frame that is not a frame of the protocol.
    #[error("bad frame from server: {0}")]
    BadFrame(serde_json::Error),
    /// No reply arrived within `--timeout`.
    #[error("no reply in time")]
    Timeout,
    /// The server closed the connection before answering.
    #[error("the server closed the connection")]
    Closed,
}

/// Runs the client; returns the exit code.
pub async fn run(args: ChatArgs) -> ExitCode {
    match chat(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("casebot chat: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn chat(args: &ChatArgs) -> Result<(), ChatError> {
    let url = chat_url(args);
    let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .map_err(|source| ChatError::Connect { url, source })?;
    let interactive = std::io::stdin().is_terminal() && !args.json;
    if interactive {
        interactive_loop(ws).await
    } else {
        pipe_loop(ws, args).await
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Pipe mode: one message per input line; each reply printed before the next line is sent,
/// and frames that arrive while the input is quiet (notifications) printed as they come.
async fn pipe_loop(mut ws: Ws, args: &ChatArgs) -> Result<(), ChatError> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let wait = Duration::from_secs(args.timeout.max(1));
    let mut n = 0u64;
    // The welcome frame comes first.
    if let Some((raw, _)) = next_frame(&mut ws, wait).await?
        && args.json
    {
        println!("{raw}");
    }
    loop {
        // Waiting for the next line may take long (`sleep` in a pipeline): frames that
        // come meanwhile are printed at once. Reading a frame is cancel-safe.
        let line = tokio::select! {
            line = lines.next_line() => line?,
            frame = next_frame(&mut ws, QUIET_WAIT) => {
                match frame {
                    Ok(Some((raw, frame))) => print_raw_or_frame(&raw, frame.as_ref(), args.json),
                    Ok(None) => return Err(ChatError::Closed),
                    Err(ChatError::Timeout) => {}
                    Err(e) => return Err(e),
                }
                continue;
            }
        };
        let Some(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        n += 1;
        let id = format!("c{n}");
        let msg = serde_json::json!({"type": "message", "text": line, "id": id});
        ws.send(Message::text(msg.to_string())).await?;
        loop {
            let Some((raw, frame)) = next_frame(&mut ws, wait).await? else {
                return Err(ChatError::Closed);
            };
            if args.json {
                println!("{raw}");
            }
            let Some(frame) = frame else { continue };
            if !args.json {
                print_frame(&frame, false);
            }
            if answers(&frame, &id) {
                break;
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

/// True for the reply or error that answers the message sent with `id`.
fn answers(frame: &ServerFrame, id: &str) -> bool {
    let reply_to = match frame {
        ServerFrame::Reply(reply) => &reply.reply_to,
        ServerFrame::Error { reply_to, .. } => reply_to,
        _ => return false,
    };
    reply_to.as_ref().and_then(Value::as_str) == Some(id)
}

/// Interactive mode: prompt, send, show whatever arrives.
async fn interactive_loop(ws: Ws) -> Result<(), ChatError> {
    let (mut sink, mut stream) = ws.split();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut quick: Vec<String> = Vec::new();
    println!("Connected. Type a question, a number to pick a suggestion, or Ctrl-D to quit.");
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line? else { break };
                let line = line.trim();
                if line.is_empty() { continue; }
                let text = line
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| quick.get(i.wrapping_sub(1)).cloned())
                    .unwrap_or_else(|| line.to_string());
                let msg = serde_json::json!({"type": "message", "text": text});
                sink.send(Message::text(msg.to_string())).await?;
            }
            frame = stream.next() => {
                match frame {
                    Some(Ok(Message::Text(t))) => {
                        if let Ok(frame) = ServerFrame::from_json(&t)
                            && let Some(q) = print_frame(&frame, true)
                        {
                            quick = q;
                        }
                    }
                    Some(Ok(Message::Close(c))) => {
                        println!("(the server closed the chat{})", c.map(|c| format!(": {}", c.reason)).unwrap_or_default());
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                    None => break,
                }
            }
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    Ok(())
}

/// The next text frame as sent, with the frame it holds; the frame is `None` for a type
/// this version does not know (a newer server), which is shown raw with `--json` and
/// otherwise skipped. `Ok(None)` when the connection closed.
/// How long pipe mode waits for a frame between input lines before looking again.
const QUIET_WAIT: Duration = Duration::from_secs(3600);

/// Prints a frame as pipe mode does: raw JSON with `--json`, readable text otherwise.
fn print_raw_or_frame(raw: &str, frame: Option<&ServerFrame>, json: bool) {
    if json {
        println!("{raw}");
    } else if let Some(frame) = frame {
        print_frame(frame, false);
    }
}

async fn next_frame(
    ws: &mut Ws,
    wait: Duration,
) -> Result<Option<(String, Option<ServerFrame>)>, ChatError> {
    loop {
        let next = tokio::time::timeout(wait, ws.next())
            .await
            .map_err(|_| ChatError::Timeout)?;
        match next {
            Some(Ok(Message::Text(t))) => {
                let frame = match ServerFrame::from_json(&t) {
                    Ok(frame) => Some(frame),
                    Err(_) if newer_kind(&t) => None,
                    Err(e) => return Err(ChatError::BadFrame(e)),
                };
                return Ok(Some((t.as_str().to_owned(), frame)));
            }
            Some(Ok(Message::Close(_))) | None => return Ok(None),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

/// True when `text` is a frame whose type this version does not know.
fn newer_kind(text: &str) -> bool {
    ServerFrameHead::from_json(text).is_ok_and(|h| h.kind == ServerFrameKind::Other)
}

/// Prints a frame for people; returns the quick replies of a reply or welcome.
fn print_frame(frame: &ServerFrame, numbered: bool) -> Option<Vec<String>> {
    let style = if std::io::stdout().is_terminal() {
        Style::Ansi
    } else {
        Style::Plain
    };
    let show = |text: &str| render(text, style).replace('\n', "\n         ");
    let (text, links, quick) = match frame {
        ServerFrame::Welcome {
            text,
            quick_replies,
            ..
        } => (text, &[][..], quick_replies),
        ServerFrame::Reply(reply) if reply.agent.is_some() => return None,
        ServerFrame::Reply(reply) => (&reply.text, &reply.links[..], &reply.quick_replies),
        ServerFrame::Notification(n) => {
            println!("casebot (update)> {}", show(&n.text));
            return None;
        }
        ServerFrame::Error { code, message, .. } => {
            println!("casebot (error {})> {}", code.as_str(), show(message));
            return None;
        }
        ServerFrame::Pong { .. } | ServerFrame::FeedbackReceived { .. } => return None,
        ServerFrame::Queued { position, .. } => {
            println!("casebot (waiting for a person: #{position} in line)");
            return None;
        }
        ServerFrame::AgentJoined { name } => {
            println!("casebot ({name} joined)");
            return None;
        }
        ServerFrame::AgentMessage { text, name } => {
            println!("{name}> {}", show(text));
            return None;
        }
        ServerFrame::AgentTyping { .. } => return None,
        ServerFrame::AgentLeft {} => {
            println!("casebot (the person left; the assistant answers again)");
            return None;
        }
        ServerFrame::AgentUnavailable { text } => (text, &[][..], &Vec::new()),
    };
    println!("casebot> {}", show(text));
    for link in links {
        println!("         -> {}: {}", show(&link.title), link.url);
    }
    if numbered {
        for (i, q) in quick.iter().enumerate() {
            println!("         [{}] {}", i + 1, show(q));
        }
    } else if !quick.is_empty() {
        let quick: Vec<String> = quick.iter().map(|q| show(q)).collect();
        println!("         suggestions: {}", quick.join(" | "));
    }
    Some(quick.clone())
}
