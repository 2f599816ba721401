//! `casebot load`: a WebSocket load client. Each connection sends a message, waits for its
//! reply and repeats until the run ends; quiet extra connections can be held open beside
//! them. It reports replies per second, latency quantiles, errors and connections, ending
//! with one JSON summary line. It only targets this machine (loopback addresses).

mod histogram;
mod messages;

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::{Barrier, Semaphore};
use tokio::task::JoinError;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::tungstenite::http::uri::InvalidUri;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

use crate::server::protocol::{ServerFrameHead, ServerFrameKind};
use histogram::Histogram;
pub use messages::{ContentError, MessagesError};

/// Most chatting connections.
const MAX_CONNECTIONS: u32 = 10_000;
/// Most idle connections.
const MAX_IDLE: u32 = 60_000;
/// Longest run, in seconds.
const MAX_DURATION: u64 = 3_600;
/// Handshakes in flight at once, so a large idle set does not overflow the listen backlog.
const OPENING_AT_ONCE: usize = 128;
/// Pause before a failed connection is reopened.
const RECONNECT_PAUSE: Duration = Duration::from_millis(200);

/// Arguments of `casebot load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Chat endpoint (a loopback address: 127.0.0.0/8, ::1 or localhost).
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    pub url: String,
    /// Connections that chat: each sends a message, waits for the reply, and repeats.
    #[arg(long, default_value_t = 64)]
    pub connections: u32,
    /// Seconds to chat for.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// File with one message per line (blank lines and `#` comments skipped); a built-in
    /// set of typical questions by default.
    #[arg(long)]
    pub messages: Option<PathBuf>,
    /// Extra quiet connections held open for the whole run (they only read, so they answer
    /// the server's pings).
    #[arg(long, default_value_t = 0)]
    pub idle: u32,
    /// Seconds to wait for one reply before counting an error.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why a load run could not be made or ended without any connection.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// `--connections` is over the most the client opens.
    #[error("--connections is at most {}", MAX_CONNECTIONS)]
    TooManyConnections,
    /// `--idle` is over the most the client holds.
    #[error("--idle is at most {}", MAX_IDLE)]
    TooManyIdle,
    /// `--duration` is 0 or over the longest run.
    #[error("--duration is 1 to {} seconds", MAX_DURATION)]
    Duration,
    /// Neither chatting nor idle connections were asked for.
    #[error("nothing to do: --connections and --idle are both 0")]
    NothingToDo,
    /// `--url` does not parse.
    #[error("--url {url:?} is not a URL: {source}")]
    NotAUrl {
        /// The URL given.
        url: String,
        /// Why it does not parse.
        source: InvalidUri,
    },
    /// `--url` is not a `ws://` URL.
    #[error("--url {0:?}: only ws:// URLs are supported")]
    NotWs(String),
    /// `--url` names no host.
    #[error("--url {0:?} has no host")]
    NoHost(String),
    /// `--url` names a host that is not this machine.
    #[error(
        "--url {0:?}: load is only generated against this machine \
         (127.0.0.0/8, ::1 or localhost)"
    )]
    NotLoopback(String),
    /// The messages file could not be used.
    #[error(transparent)]
    Messages(#[from] MessagesError),
    /// A chatting connection's task panicked.
    #[error("a connection task failed: {0}")]
    ConnectionTask(JoinError),
    /// An idle connection's task panicked.
    #[error("an idle task failed: {0}")]
    IdleTask(JoinError),
    /// Not one connection could be opened.
    #[error("no connection to {0} could be opened")]
    NoConnection(String),
}

/// Why one exchange or connection failed; counted as an error and the first one reported.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        source: tungstenite::Error,
    },
    #[error("cannot reconnect to {url}: {source}")]
    Reconnect {
        url: String,
        source: tungstenite::Error,
    },
    #[error("sending failed: {0}")]
    Send(tungstenite::Error),
    #[error("no reply within {0} s")]
    Timeout(u64),
    /// The server answered with something other than a reply (the start of the frame).
    #[error("the server answered with {0}")]
    Answered(String),
    #[error("the server closed the connection: {0:?}")]
    Closed(Option<CloseFrame>),
    #[error("the connection failed: {0}")]
    Failed(tungstenite::Error),
    #[error("the connection ended")]
    Ended,
}

impl Failure {
    /// Whether the connection is still usable after this failure.
    fn keeps_connection(&self) -> bool {
        matches!(self, Failure::Answered(_))
    }
}

/// What one chatting connection saw.
#[derive(Default)]
struct Tally {
    latency: Histogram,
    errors: u64,
    established: u64,
    /// Bytes of every reply frame received, for the mean reply size a reference server
    /// must match to do the same work.
    reply_bytes: u64,
    /// The first failure, to tell the user why.
    first_error: Option<Failure>,
}

impl Tally {
    fn fail(&mut self, why: impl FnOnce() -> Failure) {
        self.errors += 1;
        self.first_error.get_or_insert_with(why);
    }
}

/// Runs the load; returns the exit code.
pub async fn run(args: LoadArgs) -> ExitCode {
    match run_checked(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("casebot load: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_checked(args: LoadArgs) -> Result<(), LoadError> {
    check_args(&args)?;
    let messages = match &args.messages {
        Some(path) => messages::read_messages(path)?,
        None => messages::default_messages(),
    };
    // Each message is JSON-escaped once; only the id changes per send.
    let messages: Arc<[String]> = messages
        .iter()
        .map(|m| serde_json::to_string(m).expect("a string serializes"))
        .collect();
    let timeout = Duration::from_secs(args.timeout.max(1));

    let stop_idle = CancellationToken::new();
    let opening = Instant::now();
    let (idle_open, idle_tasks) = open_idle(&args.url, args.idle, timeout, &stop_idle).await;
    if args.idle > 0 {
        eprintln!(
            "casebot load: {idle_open} of {} idle connections open in {:.1} s",
            args.idle,
            opening.elapsed().as_secs_f64()
        );
    }

    let barrier = Arc::new(Barrier::new(args.connections as usize + 1));
    let mut workers = Vec::with_capacity(args.connections as usize);
    let start = Arc::new(std::sync::OnceLock::<Instant>::new());
    let duration = Duration::from_secs(args.duration);
    for n in 0..args.connections {
        let url = args.url.clone();
        let (barrier, start, messages) = (barrier.clone(), start.clone(), messages.clone());
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let ws = connect(&url).await;
            barrier.wait().await;
            let deadline = *start.wait() + duration;
            let ws = match ws {
                Ok(ws) => {
                    tally.established += 1;
                    Some(ws)
                }
                Err(source) => {
                    tally.fail(|| Failure::Connect {
                        url: url.clone(),
                        source,
                    });
                    None
                }
            };
            chat(ws, &url, n, &messages, deadline, timeout, &mut tally).await;
            tally
        }));
    }
    barrier.wait().await;
    let started = Instant::now();
    start.set(started).expect("start is set once");
    if args.connections > 0 {
        eprintln!(
            "casebot load: chatting on {} connections for {} s",
            args.connections, args.duration
        );
    } else {
        tokio::time::sleep(duration).await;
    }

    let mut total = Tally::default();
    for worker in workers {
        let tally = worker.await.map_err(LoadError::ConnectionTask)?;
        total.latency.merge(&tally.latency);
        total.errors += tally.errors;
        total.established += tally.established;
        total.reply_bytes += tally.reply_bytes;
        if total.first_error.is_none() {
            total.first_error = tally.first_error;
        }
    }
    let elapsed = started.elapsed().max(duration).as_secs_f64();
    stop_idle.cancel();
    let mut idle_errors = 0;
    for task in idle_tasks {
        idle_errors += task.await.map_err(LoadError::IdleTask)?;
    }
    report(&args, &total, elapsed, idle_open, idle_errors);
    if let Some(why) = &total.first_error {
        eprintln!("casebot load: first error: {why}");
    }
    if total.established == 0 && idle_open == 0 {
        return Err(LoadError::NoConnection(args.url.clone()));
    }
    Ok(())
}

/// Refuses settings outside the bounds and any non-loopback target.
fn check_args(args: &LoadArgs) -> Result<(), LoadError> {
    if args.connections > MAX_CONNECTIONS {
        return Err(LoadError::TooManyConnections);
    }
    if args.idle > MAX_IDLE {
        return Err(LoadError::TooManyIdle);
    }
    if args.duration == 0 || args.duration > MAX_DURATION {
        return Err(LoadError::Duration);
    }
    if args.connections == 0 && args.idle == 0 {
        return Err(LoadError::NothingToDo);
    }
    check_url(&args.url)
}

/// Accepts only `ws://` URLs on loopback addresses.
fn check_url(url: &str) -> Result<(), LoadError> {
    let uri: Uri = url.parse().map_err(|source| LoadError::NotAUrl {
        url: url.to_string(),
        source,
    })?;
    if uri.scheme_str() != Some("ws") {
        return Err(LoadError::NotWs(url.to_string()));
    }
    let host = uri
        .host()
        .ok_or_else(|| LoadError::NoHost(url.to_string()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(LoadError::NotLoopback(url.to_string()));
    }
    Ok(())
}

/// Opens a connection with small buffers (the client may hold tens of thousands).
async fn connect(url: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
    Ok(ws)
}

/// Opens `count` idle connections, a bounded number at a time, each held by a task that
/// reads until `stop` and returns 1 if its connection failed. Returns how many opened.
async fn open_idle(
    url: &str,
    count: u32,
    timeout: Duration,
    stop: &CancellationToken,
) -> (u64, Vec<tokio::task::JoinHandle<u64>>) {
    let gate = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let mut opened = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let permit = gate.clone().acquire_owned().await.expect("gate stays open");
        let url = url.to_string();
        opened.push(tokio::spawn(async move {
            let ws = tokio::time::timeout(timeout, connect(&url)).await;
            drop(permit);
            ws.ok().and_then(Result::ok)
        }));
    }
    let mut open = 0;
    let mut holders = Vec::with_capacity(count as usize);
    for task in opened {
        let ws = task.await.ok().flatten();
        let stop = stop.clone();
        open += u64::from(ws.is_some());
        holders.push(tokio::spawn(async move {
            let Some(mut ws) = ws else { return 1 };
            loop {
                tokio::select! {
                    _ = stop.cancelled() => {
                        let _ = ws.close(None).await;
                        return 0;
                    }
                    frame = ws.next() => match frame {
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return 1,
                        Some(Ok(_)) => {}
                    },
                }
            }
        }));
    }
    (open, holders)
}

/// Chats on `ws` until `deadline`, reopening the connection after a failure.
async fn chat(
    mut ws: Option<Ws>,
    url: &str,
    conn: u32,
    messages: &[String],
    deadline: Instant,
    timeout: Duration,
    tally: &mut Tally,
) {
    let mut sent = 0u64;
    while Instant::now() < deadline {
        let Some(socket) = ws.as_mut() else {
            tokio::time::sleep(RECONNECT_PAUSE).await;
            match connect(url).await {
                Ok(socket) => {
                    tally.established += 1;
                    ws = Some(socket);
                }
                Err(source) => tally.fail(|| Failure::Reconnect {
                    url: url.to_string(),
                    source,
                }),
            }
            continue;
        };
        let text = &messages[(conn as usize + sent as usize) % messages.len()];
        sent += 1;
        let id = format!("c{conn}-{sent}");
        let frame = format!(r#"{{"type":"message","text":{text},"id":"{id}"}}"#);
        let began = Instant::now();
        let outcome = match socket.send(Message::Text(Utf8Bytes::from(frame))).await {
            Ok(()) => tokio::time::timeout(timeout, await_reply(socket, &id))
                .await
                .unwrap_or(Err(Failure::Timeout(timeout.as_secs()))),
            Err(e) => Err(Failure::Send(e)),
        };
        match outcome {
            Ok(bytes) => {
                tally.latency.record(began.elapsed().as_micros() as u64);
                tally.reply_bytes += bytes as u64;
            }
            Err(why) => {
                if !why.keeps_connection() {
                    ws = None;
                }
                tally.fail(|| why);
            }
        }
    }
    if let Some(mut socket) = ws {
        let _ = tokio::time::timeout(timeout, socket.close(None)).await;
    }
}

/// Reads until the frame answering `id`: `Ok` with its size for a reply, [`Failure::Answered`] for any
/// other answer (an error frame, or text that is not a server frame), another failure when
/// the connection failed or closed. Other frames are skipped.
///
/// Only the head of each frame is read, borrowed from the text, so the client spends less
/// per reply than the server spent writing it.
async fn await_reply(ws: &mut Ws, id: &str) -> Result<usize, Failure> {
    loop {
        let text = match ws.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(close))) => return Err(Failure::Closed(close)),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(Failure::Failed(e)),
            None => return Err(Failure::Ended),
        };
        let Ok(head) = ServerFrameHead::from_json(&text) else {
            return Err(Failure::Answered(truncate(&text)));
        };
        if head.reply_to.as_deref() == Some(id) {
            return match head.kind {
                ServerFrameKind::Reply => Ok(text.len()),
                _ => Err(Failure::Answered(truncate(&text))),
            };
        }
    }
}

/// The start of a frame, for an error message.
fn truncate(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// Prints the readable report and the JSON summary line.
fn report(args: &LoadArgs, total: &Tally, elapsed: f64, idle_open: u64, idle_errors: u64) {
    let h = &total.latency;
    let replies = h.len();
    let rate = replies as f64 / elapsed;
    let errors = total.errors + idle_errors;
    let (p50, p90, p99) = (h.quantile(0.5), h.quantile(0.9), h.quantile(0.99));
    println!("replies      {replies} in {elapsed:.1} s = {rate:.0}/s");
    println!(
        "latency      p50 {p50} µs, p90 {p90} µs, p99 {p99} µs, max {} µs",
        h.max()
    );
    println!("errors       {errors}");
    println!(
        "connections  {} established for {} chatting, {idle_open} of {} idle",
        total.established, args.connections, args.idle
    );
    let summary = json!({
        "url": args.url,
        "connections": args.connections,
        "idle": args.idle,
        "duration_secs": elapsed,
        "replies": replies,
        "replies_per_sec": rate.round(),
        "latency_us": {"p50": p50, "p90": p90, "p99": p99, "max": h.max()},
        "errors": errors,
        "mean_reply_bytes": total.reply_bytes.checked_div(replies).unwrap_or(0),
        "connections_established": total.established,
        "idle_established": idle_open,
    });
    println!("{summary}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_ws_urls_are_accepted() {
        for ok in [
            "ws://127.0.0.1:8080/ws",
            "ws://127.0.0.3:1/ws",
            "ws://localhost:8080/ws",
            "ws://[::1]:8080/ws",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ws://10.0.0.1:8080/ws",
            "ws://example.org/ws",
            "wss://127.0.0.1/ws",
            "http://127.0.0.1/ws",
            "not a url",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refusals_read_as_before() {
        assert_eq!(
            check_url("ws://10.0.0.1:8080/ws").unwrap_err().to_string(),
            "--url \"ws://10.0.0.1:8080/ws\": load is only generated against this machine \
             (127.0.0.0/8, ::1 or localhost)"
        );
        assert_eq!(
            check_url("wss://127.0.0.1/ws").unwrap_err().to_string(),
            "--url \"wss://127.0.0.1/ws\": only ws:// URLs are supported"
        );
        assert_eq!(
            LoadError::TooManyConnections.to_string(),
            "--connections is at most 10000"
        );
        assert_eq!(
            LoadError::Duration.to_string(),
            "--duration is 1 to 3600 seconds"
        );
    }
}
