//! A write storm against a real server, repeatable: eight writers change case statuses as
//! fast as they can, a bulk import runs in a loop beside them, and a chat client asks for a
//! case status every 20 ms and times each reply. Each run uses a fresh sled store in a temp
//! dir and a server on 127.0.0.1:0, and stops by itself.
//!
//! ```sh
//! cargo run --release --example store_stress -- [RUNS=10] [SECONDS=5] [WRITERS=8] [IMPORT=1] [HTTP=0]
//! ```
//!
//! With `HTTP=1` the writers and the import go through the admin API as an operator's
//! scripts would: each writer a keep-alive loop of `PUT /api/cases/…`, the import a loop of
//! `POST /api/cases/import` with 4,000 records. Otherwise they call the store in-process.
//!
//! The server runs on the main runtime, the writers and the import on a runtime of their
//! own, and the timed chat and store reader on a thread of their own, so that a reply's time
//! is the server's and the operating system's, not the load generator's tasks queued ahead of
//! the timer on shared workers (as a separate client process would see it).
//!
//! Prints, per run: writes acknowledged per second, imported records per second, and the
//! chat's reply latency (median, p99, max). A run whose writers do not all finish within
//! 30 s of the end is reported as wedged and the program exits with an error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use casebot::config::ServeConfig;
use casebot::nlu::Nlu;
use casebot::store::{CaseRecord, SharedStore, SledStore, import, parse_record};
use casebot::{AppState, run};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const STATUSES: [&str; 3] = [
    "Case Was Received",
    "Case Is Being Actively Reviewed By USCIS",
    "Case Was Approved",
];

fn case(rn: &str, status: &str) -> CaseRecord {
    parse_record(
        format!(r#"{{"receipt_number":"{rn}","form":"I-130","status":"{status}","updated":"2026-11-02"}}"#)
            .as_bytes(),
    )
    .expect("valid record")
}

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let (runs, seconds, writers) = (arg(1, 10), arg(2, 5), arg(3, 8) as usize);
    let import = arg(4, 1) != 0;
    let http = arg(5, 0) != 0;
    let mut wedged = 0;
    for run_no in 1..=runs {
        match storm(Duration::from_secs(seconds), writers, import, http).await {
            Some(r) => println!(
                "run {run_no}: {:.0} writes/s, {:.0} imported records/s, chat reply median {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} replies); store read p99 {:.2} ms, max {:.2} ms",
                r.writes as f64 / seconds as f64,
                r.imported as f64 / seconds as f64,
                r.latency(0.5),
                r.latency(0.99),
                r.latency(1.0),
                r.replies_ms.len(),
                quantile_of(&r.reads_ms, 0.99),
                quantile_of(&r.reads_ms, 1.0),
            ),
            None => {
                wedged += 1;
                println!("run {run_no}: WEDGED");
            }
        }
    }
    if wedged > 0 {
        eprintln!("{wedged} of {runs} runs wedged");
        std::process::exit(1);
    }
}

struct Figures {
    writes: u64,
    imported: u64,
    replies_ms: Vec<f64>,
    /// The same case read straight from the store, timed the same way.
    reads_ms: Vec<f64>,
}

impl Figures {
    fn latency(&self, quantile: f64) -> f64 {
        quantile_of(&self.replies_ms, quantile)
    }
}

fn quantile_of(values: &[f64], quantile: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = ((sorted.len() as f64 - 1.0) * quantile).round() as usize;
    sorted.get(at).copied().unwrap_or(f64::NAN)
}

const TOKEN: &str = "stress-token";

/// A keep-alive HTTP client for the admin API.
type Admin = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<bytes::Bytes>,
>;

async fn admin_call(client: &Admin, method: &str, url: String, body: String) {
    let request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .expect("request");
    let answer = client.request(request).await.expect("admin API answers");
    let status = answer.status();
    let body = http_body_util::BodyExt::collect(answer.into_body())
        .await
        .expect("body")
        .to_bytes();
    assert!(
        status.is_success(),
        "{status}: {}",
        String::from_utf8_lossy(&body)
    );
}

async fn storm(length: Duration, writers: usize, import: bool, http: bool) -> Option<Figures> {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut config = ServeConfig::new(
        dir.path().join("db"),
        root.join("intents"),
        root.join("knowledge"),
    );
    // The chat asks 50 times a second: this run measures the store, not the rate limit.
    config.limits.messages_per_sec = 1000.0;
    config.limits.message_burst = 1000.0;
    config.admin_token = Some(TOKEN.into());
    let store: SharedStore = Arc::new(SledStore::open(&config.db).expect("open store"));
    store
        .upsert(case("EAC2690000001", "Case Was Received"))
        .await
        .expect("seed");
    let (nlu, _) = Nlu::load(&config.intents, &config.knowledge).expect("content loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(run(
        listener,
        AppState::new(config, nlu, store.clone()),
        async move {
            let _ = stopped.await;
        },
    ));

    let end = Instant::now() + length;
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load")
        .enable_all()
        .build()
        .expect("load runtime");
    let mut tasks = tokio::task::JoinSet::new();
    let progress: Arc<Vec<std::sync::atomic::AtomicU64>> =
        Arc::new((0..writers).map(|_| Default::default()).collect());
    let client: Admin =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    for writer in 0..writers {
        let store = store.clone();
        let progress = progress.clone();
        // Each HTTP writer keeps its own connection alive, as a script's loop would.
        let client: Admin =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
        tasks.spawn_on(async move {
            let mut writes = 0u64;
            while Instant::now() < end {
                let rn = format!("EAC26{writer:02}{:06}", writes % 50);
                let status = STATUSES[writes as usize % STATUSES.len()];
                progress[writer].store(writes * 10 + 1, std::sync::atomic::Ordering::SeqCst);
                if http {
                    let body = format!(r#"{{"receipt_number":"{rn}","form":"I-130","status":"{status}","updated":"2026-11-02"}}"#);
                    admin_call(&client, "PUT", format!("http://{addr}/api/cases/{rn}"), body).await;
                } else {
                    store.upsert(case(&rn, status)).await.expect("write");
                }
                writes += 1;
                progress[writer].store(writes * 10, std::sync::atomic::Ordering::SeqCst);
            }
            (writes, 0)
        }, load.handle());
    }
    if import {
        let store = store.clone();
        tasks.spawn_on(async move {
            let mut imported = 0u64;
            let mut round = 0;
            while Instant::now() < end {
                let status = STATUSES[round % STATUSES.len()];
                let lines: String = (0..4000)
                    .map(|n| format!("{{\"receipt_number\":\"LIN26{n:08}\",\"form\":\"I-140\",\"status\":\"{status}\",\"updated\":\"2026-11-02\"}}\n"))
                    .collect();
                if http {
                    admin_call(&client, "POST", format!("http://{addr}/api/cases/import"), lines)
                        .await;
                    imported += 4000;
                } else {
                    let report = import::import_bytes(store.as_ref(), lines.as_bytes())
                        .await
                        .expect("import");
                    imported += report.accepted() as u64;
                }
                round += 1;
            }
            (0, imported)
        }, load.handle());
    }
    let store_for_reader = store.clone();
    let timed = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("timer runtime")
            .block_on(async move {
                tokio::join!(time_chat(addr, end), time_reads(store_for_reader, end))
            })
    });
    let finish = async {
        let (mut writes, mut imported) = (0, 0);
        while let Some(done) = tasks.join_next().await {
            let (w, i) = done.expect("no task panics");
            writes += w;
            imported += i;
        }
        let (replies_ms, reads_ms) = tokio::task::spawn_blocking(move || timed.join())
            .await
            .expect("join")
            .expect("the timed client does not panic");
        Figures {
            writes,
            imported,
            replies_ms,
            reads_ms,
        }
    };
    let figures = tokio::time::timeout(length + Duration::from_secs(30), finish)
        .await
        .ok();
    if figures.is_none() {
        let p: Vec<u64> = progress
            .iter()
            .map(|a| a.load(std::sync::atomic::Ordering::SeqCst))
            .collect();
        eprintln!("writes per writer (x10, +1 while one is pending): {p:?}");
    }
    let _ = stop.send(());
    let _ = server.await;
    load.shutdown_background();
    figures
}

/// Asks for a case status every 20 ms until `end` and times each reply.
async fn time_chat(addr: std::net::SocketAddr, end: Instant) -> Vec<f64> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("connect");
    ws.next().await;
    let mut replies_ms = Vec::new();
    while Instant::now() < end {
        let asked = Instant::now();
        let frame = r#"{"type":"message","text":"status of EAC2690000001","id":"q"}"#;
        ws.send(Message::text(frame)).await.expect("send");
        while let Some(Ok(message)) = ws.next().await {
            if matches!(&message, Message::Text(t) if t.contains("\"reply_to\":\"q\"")) {
                break;
            }
        }
        replies_ms.push(asked.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    replies_ms
}

/// Reads the same case straight from the store every 20 ms until `end` and times each read.
async fn time_reads(store: SharedStore, end: Instant) -> Vec<f64> {
    let mut reads_ms = Vec::new();
    while Instant::now() < end {
        let asked = Instant::now();
        store.get("EAC2690000001").await.expect("read");
        reads_ms.push(asked.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    reads_ms
}
