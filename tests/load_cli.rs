//! `casebot load` against a real server: the summary line it prints and the inputs it
//! refuses.

mod common;

use std::process::Command;

use common::TestServer;
use serde_json::Value;

/// Runs `casebot load ARGS…`; returns success, stdout and stderr.
async fn load(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_casebot"))
            .arg("load")
            .args(&args)
            .output()
            .expect("run casebot load");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// A server whose abuse limits do not get in the way of a load run.
async fn unthrottled() -> TestServer {
    TestServer::start_with(|c| {
        c.limits.messages_per_sec = 1e6;
        c.limits.message_burst = 1e6;
        c.limits.max_connections_per_ip = 10_000;
    })
    .await
}

fn summary(stdout: &str) -> Value {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON summary line in {stdout}"));
    serde_json::from_str(line).expect("the summary is JSON")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_replies_and_connections_in_a_json_summary() {
    let server = unthrottled().await;
    let url = server.ws_url();
    let (ok, out, err) = load(args(&[
        "--url",
        &url,
        "--connections",
        "4",
        "--duration",
        "2",
    ]))
    .await;
    assert!(ok, "{out}\n{err}");
    let s = summary(&out);
    assert!(s["replies"].as_u64().unwrap() > 0, "{s}");
    assert!(s["replies_per_sec"].as_f64().unwrap() > 0.0, "{s}");
    // Every reply frame carries at least its type, its reply_to and a text.
    assert!(s["mean_reply_bytes"].as_u64().unwrap() > 60, "{s}");
    assert_eq!(s["errors"], 0, "{s}");
    assert_eq!(s["connections_established"], 4, "{s}");
    let lat = &s["latency_us"];
    let (p50, p99, max) = (
        lat["p50"].as_u64(),
        lat["p99"].as_u64(),
        lat["max"].as_u64(),
    );
    assert!(p50 <= p99 && p99 <= max, "quantiles in order: {s}");
}

#[tokio::test(flavor = "multi_thread")]
async fn holds_idle_connections_beside_the_chatting_ones() {
    let server = unthrottled().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("messages.txt");
    std::fs::write(&file, "# one question\nhow do I change my address\n").unwrap();
    let url = server.ws_url();
    let (ok, out, err) = load(args(&[
        "--url",
        &url,
        "--connections",
        "2",
        "--idle",
        "20",
        "--duration",
        "1",
        "--messages",
        file.to_str().unwrap(),
    ]))
    .await;
    assert!(ok, "{out}\n{err}");
    let s = summary(&out);
    assert_eq!(s["idle_established"], 20, "{s}");
    assert_eq!(s["connections_established"], 2, "{s}");
    assert_eq!(s["errors"], 0, "{s}");
    assert!(s["replies"].as_u64().unwrap() > 0, "{s}");
}

#[tokio::test(flavor = "multi_thread")]
async fn refuses_remote_targets_and_empty_message_files() {
    let (ok, _, err) = load(args(&["--url", "ws://192.0.2.1:8080/ws"])).await;
    assert!(!ok);
    assert!(err.contains("only generated against this machine"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.txt");
    std::fs::write(&file, "\n# nothing\n").unwrap();
    let (ok, _, err) = load(args(&[
        "--url",
        "ws://127.0.0.1:9/ws",
        "--messages",
        file.to_str().unwrap(),
    ]))
    .await;
    assert!(!ok);
    assert!(err.contains("no messages"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn says_why_when_no_connection_opens() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/ws", closed.local_addr().unwrap());
    drop(closed);
    let (ok, out, err) = load(args(&[
        "--url",
        &url,
        "--connections",
        "2",
        "--duration",
        "1",
    ]))
    .await;
    assert!(!ok, "{out}");
    assert!(err.contains("cannot connect to"), "{err}");
    assert!(err.contains("no connection to"), "{err}");
    assert!(summary(&out)["errors"].as_u64().unwrap() >= 2, "{out}");
}
