//! `casebot chat` in pipe mode: one message per line in, one reply per line out.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::TestServer;

/// Runs `casebot chat --url URL EXTRA…` with `input` on stdin; returns success and stdout.
fn chat(url: &str, extra: &[&str], input: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_casebot"))
        .args(["chat", "--url", url])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn casebot chat");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn chat_async(
    url: String,
    extra: &'static [&'static str],
    input: &'static str,
) -> (bool, String) {
    tokio::task::spawn_blocking(move || chat(&url, extra, input))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn pipe_mode_prints_one_reply_per_line() {
    let server = TestServer::start().await;
    let (ok, out) = chat_async(server.ws_url(), &[], "hello\ntalk to a person\n").await;
    assert!(ok, "{out}");
    let replies: Vec<&str> = out.lines().filter(|l| l.starts_with("casebot>")).collect();
    assert_eq!(replies.len(), 2, "{out}");
    assert!(out.contains("800-375-5283"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pipe_mode_prints_bold_and_lists_as_plain_text() {
    let server = TestServer::start().await;
    // The help answer has a bullet list and a **bold** instruction.
    let (ok, out) = chat_async(server.ws_url(), &[], "what can you do\n").await;
    assert!(ok, "{out}");
    assert!(out.contains("Type talk to a person for"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("- look up the status of a case")),
        "{out}"
    );
    assert!(!out.contains("**"), "{out}");
    assert!(!out.contains('\x1b'), "no escape codes in a pipe: {out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_mode_prints_raw_frames() {
    let server = TestServer::start().await;
    let (ok, out) = chat_async(server.ws_url(), &["--json"], "hi\n").await;
    assert!(ok, "{out}");
    let frames: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(frames[0]["type"], "welcome");
    assert_eq!(frames[1]["type"], "reply");
    assert_eq!(frames[1]["intent"], "greeting");
}

#[tokio::test(flavor = "multi_thread")]
async fn lang_starts_the_chat_in_spanish() {
    let server = TestServer::start().await;
    let (ok, out) = chat_async(
        server.ws_url(),
        &["--json", "--lang", "es"],
        "EAC2190012345\n",
    )
    .await;
    assert!(ok, "{out}");
    let frames: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(frames[0]["lang"], "es", "{out}");
    assert_eq!(frames[1]["lang"], "es", "{out}");
    let (ok, out) = chat_async(server.ws_url(), &["--lang", "fr"], "hi\n").await;
    assert!(!ok, "an unknown language is refused: {out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pipe_mode_prints_a_notification_that_arrives_between_lines() {
    let server = TestServer::start().await;
    let record = |status: &str, updated: &str| {
        casebot::store::parse_record(
            format!(
                r#"{{"receipt_number":"EAC2190012345","form":"I-130","status":"{status}","updated":"{updated}"}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    };
    server
        .store
        .upsert(record("Case Was Received", "2026-01-02"))
        .await
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_casebot"))
        .args(["chat", "--json", "--url", &server.ws_url()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"notify me about EAC2190012345\n").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    server
        .store
        .upsert(record("Case Was Approved", "2026-02-03"))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    // The input ends without another line: the notification must already be out.
    drop(stdin);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.lines()
            .any(|l| l.contains(r#""type":"notification""#) && l.contains("Case Was Approved")),
        "{out}"
    );
}

#[test]
fn a_server_that_is_not_there_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_casebot"))
        .args(["chat", "--url", "ws://127.0.0.1:9/ws"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}
