//! `casebot chat`: a terminal client for the chat protocol.
//!
//! Interactive when stdin is a terminal: a prompt, replies with numbered quick replies (type
//! the number to pick one), notifications as they arrive. Otherwise it reads one message per
//! line, waits for each reply and prints it (the raw frames with `--json`), so it works in
//! shell pipelines and scripts.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

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
}

/// Runs the client; returns the exit code.
pub async fn run(args: ChatArgs) -> ExitCode {
    let (ws, _) = match tokio_tungstenite::connect_async(args.url.as_str()).await {
        Ok(ok) => ok,
        Err(e) => {
            eprintln!("casebot chat: cannot connect to {}: {e}", args.url);
            return ExitCode::FAILURE;
        }
    };
    let interactive = std::io::stdin().is_terminal() && !args.json;
    let result = if interactive {
        interactive_loop(ws).await
    } else {
        pipe_loop(ws, &args).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("casebot chat: {e}");
            ExitCode::FAILURE
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Pipe mode: one message per input line; each reply printed before the next line is sent.
async fn pipe_loop(mut ws: Ws, args: &ChatArgs) -> Result<(), String> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let wait = Duration::from_secs(args.timeout.max(1));
    let mut n = 0u64;
    // The welcome frame comes first.
    if let Some(frame) = next_frame(&mut ws, wait).await?
        && args.json
    {
        println!("{frame}");
    }
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        if line.trim().is_empty() {
            continue;
        }
        n += 1;
        let id = format!("c{n}");
        let msg = serde_json::json!({"type": "message", "text": line, "id": id});
        ws.send(Message::text(msg.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let Some(frame) = next_frame(&mut ws, wait).await? else {
                return Err("the server closed the connection".into());
            };
            if args.json {
                println!("{frame}");
            } else {
                print_frame(&frame, false);
            }
            let answers = frame.get("reply_to").and_then(Value::as_str) == Some(id.as_str());
            if answers && matches!(frame["type"].as_str(), Some("reply" | "error")) {
                break;
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

/// Interactive mode: prompt, send, show whatever arrives.
async fn interactive_loop(ws: Ws) -> Result<(), String> {
    let (mut sink, mut stream) = ws.split();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut quick: Vec<String> = Vec::new();
    println!("Connected. Type a question, a number to pick a suggestion, or Ctrl-D to quit.");
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line.map_err(|e| e.to_string())? else { break };
                let line = line.trim();
                if line.is_empty() { continue; }
                let text = line
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| quick.get(i.wrapping_sub(1)).cloned())
                    .unwrap_or_else(|| line.to_string());
                let msg = serde_json::json!({"type": "message", "text": text});
                sink.send(Message::text(msg.to_string())).await.map_err(|e| e.to_string())?;
            }
            frame = stream.next() => {
                match frame {
                    Some(Ok(Message::Text(t))) => {
                        if let Ok(v) = serde_json::from_str::<Value>(&t)
                            && let Some(q) = print_frame(&v, true)
                        {
                            quick = q;
                        }
                    }
                    Some(Ok(Message::Close(c))) => {
                        println!("(the server closed the chat{})", c.map(|c| format!(": {}", c.reason)).unwrap_or_default());
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.to_string()),
                    None => break,
                }
            }
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    Ok(())
}

async fn next_frame(ws: &mut Ws, wait: Duration) -> Result<Option<Value>, String> {
    loop {
        let next = tokio::time::timeout(wait, ws.next())
            .await
            .map_err(|_| "no reply in time".to_string())?;
        match next {
            Some(Ok(Message::Text(t))) => {
                return serde_json::from_str(&t)
                    .map(Some)
                    .map_err(|e| format!("bad frame from server: {e}"));
            }
            Some(Ok(Message::Close(_))) | None => return Ok(None),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.to_string()),
        }
    }
}

/// Prints a frame for people; returns the quick replies of a reply or welcome.
fn print_frame(frame: &Value, numbered: bool) -> Option<Vec<String>> {
    let text = frame["text"].as_str().unwrap_or_default();
    match frame["type"].as_str() {
        Some("welcome" | "reply") => {
            println!("casebot> {}", text.replace('\n', "\n         "));
            for link in frame["links"].as_array().into_iter().flatten() {
                println!(
                    "         -> {}: {}",
                    link["title"].as_str().unwrap_or(""),
                    link["url"].as_str().unwrap_or("")
                );
            }
            let quick: Vec<String> = frame["quick_replies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|q| q.as_str().map(str::to_string))
                .collect();
            if numbered {
                for (i, q) in quick.iter().enumerate() {
                    println!("         [{}] {q}", i + 1);
                }
            } else if !quick.is_empty() {
                println!("         suggestions: {}", quick.join(" | "));
            }
            Some(quick)
        }
        Some("notification") => {
            println!("casebot (update)> {text}");
            None
        }
        Some("error") => {
            println!(
                "casebot (error {})> {}",
                frame["code"].as_str().unwrap_or("?"),
                frame["message"].as_str().unwrap_or("")
            );
            None
        }
        _ => None,
    }
}
