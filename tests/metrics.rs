//! `GET /metrics` on a real server: chats over a real WebSocket move the counters a user
//! would expect, the text parses as the Prometheus exposition format, and only the admin
//! token (or the separate metrics address) gets it.
//!
//! Every server in this test binary counts into one recorder, so the checks compare a
//! scrape before with one after, and the tests that chat take [`CHATTING`] in turn.

mod common;
mod support;

use std::collections::HashMap;
use std::net::SocketAddr;

use casebot::reload::{LiveContent, ReloadOutcome, ReloadStatus};
use common::agent::{AGENT_TOKEN, Agent};
use common::{TestServer, repo};
use prometheus_parse::{Scrape, Value};
use support::{TOKEN, http};
use tokio_util::sync::CancellationToken;

/// One scrape: each series (`name{label="value",...}`, labels sorted) to its value; a
/// histogram as its `_count` and one entry per bucket (`le` label).
struct Metrics(HashMap<String, f64>);

impl Metrics {
    /// Checks the text strictly line by line, then reads it with `prometheus-parse`.
    fn parse(text: &str) -> Metrics {
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(comment) = line.strip_prefix('#') {
                let comment = comment.trim_start();
                assert!(
                    comment.starts_with("HELP ") || comment.starts_with("TYPE "),
                    "comment line: {line}"
                );
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect("`series value`");
            assert!(value.parse::<f64>().is_ok(), "value of {line}");
            let name_end = series.find('{').unwrap_or(series.len());
            let name = &series[..name_end];
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "metric name of {line}"
            );
            if name_end < series.len() {
                assert!(series.ends_with('}'), "labels of {line}");
            }
        }
        let lines = text.lines().map(|l| Ok(l.to_string()));
        let scrape = Scrape::parse(lines).expect("Prometheus text format");
        let mut series = HashMap::new();
        for sample in scrape.samples {
            let mut labels: Vec<_> = sample.labels.iter().collect();
            labels.sort();
            let labels: Vec<String> = labels
                .into_iter()
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect();
            let key = format!("{}{{{}}}", sample.metric, labels.join(","));
            match sample.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => {
                    series.insert(key, v);
                }
                Value::Histogram(buckets) => {
                    for b in buckets {
                        series.insert(
                            format!("{}_bucket{{le=\"{}\"}}", sample.metric, b.less_than),
                            b.count,
                        );
                    }
                }
                Value::Summary(_) => panic!("no summaries expected: {key}"),
            }
        }
        Metrics(series)
    }

    /// The value of a series, 0 when it is absent.
    fn get(&self, series: &str) -> f64 {
        self.0.get(series).copied().unwrap_or(0.0)
    }
}

/// Scrapes `/metrics` at `addr`, with the admin token when given.
async fn scrape(addr: SocketAddr, token: Option<&str>) -> Metrics {
    let answer = http(addr, "GET", "/metrics", token, b"").await.unwrap();
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let content_type = answer.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Metrics::parse(std::str::from_utf8(&answer.body).expect("UTF-8"))
}

/// Held by each test that chats or hands a chat over, so no other moves its counters.
static CHATTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn admin_server() -> TestServer {
    TestServer::start_with(|c| c.admin_token = Some(TOKEN.to_string())).await
}

#[tokio::test]
async fn chats_move_the_counters() {
    let _turn = CHATTING.lock().await;
    let server = admin_server().await;
    casebot::store::import::import_file(
        server.store.as_ref(),
        &repo().join("data/demo-cases.jsonl"),
    )
    .await
    .expect("demo cases load");
    let before = scrape(server.addr, Some(TOKEN)).await;

    let mut client = server.client().await;
    let open = scrape(server.addr, Some(TOKEN)).await;
    assert_eq!(
        open.get("casebot_open_connections{}") - before.get("casebot_open_connections{}"),
        1.0,
        "the chat counts as open"
    );
    let answered = client.ask("how do I check my case status").await;
    let target = answered["intent"]
        .as_str()
        .expect("answered by a topic")
        .to_string();
    let fallback = client.ask("zorblax quintessential marmalade").await;
    assert!(fallback["intent"].is_null(), "a fallback: {fallback}");
    let found = client.ask("status of EAC2690000001").await;
    assert!(
        found["text"]
            .as_str()
            .unwrap()
            .contains("Case Was Received"),
        "the demo case is found: {found}"
    );
    client.send_raw("{not json").await;
    let error = client.recv().await;
    assert_eq!(error["code"], "invalid_json");

    let after = scrape(server.addr, Some(TOKEN)).await;
    let moved = |series: &str| after.get(series) - before.get(series);
    assert_eq!(moved("casebot_messages_total{lang=\"en\"}"), 3.0);
    assert_eq!(moved("casebot_fallbacks_total{lang=\"en\"}"), 1.0);
    assert_eq!(moved("casebot_answers_total{target=\"fallback\"}"), 1.0);
    assert!(
        moved(&format!("casebot_answers_total{{target=\"{target}\"}}")) >= 1.0,
        "{target} counted"
    );
    assert_eq!(moved("casebot_case_lookups_total{result=\"found\"}"), 1.0);
    assert_eq!(
        moved("casebot_case_lookups_total{result=\"not_found\"}"),
        0.0
    );
    assert_eq!(
        moved("casebot_error_frames_total{code=\"invalid_json\"}"),
        1.0
    );
    assert_eq!(moved("casebot_reply_seconds_count{}"), 3.0);
    assert_eq!(moved("casebot_reply_seconds_bucket{le=\"1\"}"), 3.0);
    assert!(
        after
            .0
            .keys()
            .all(|k| !k.contains("zorblax") && !k.contains("EAC")),
        "no user text in labels"
    );
    let answers: f64 = after
        .0
        .iter()
        .filter(|(k, _)| k.starts_with("casebot_answers_total{"))
        .map(|(_, v)| v)
        .sum();
    let messages: f64 = after
        .0
        .iter()
        .filter(|(k, _)| k.starts_with("casebot_messages_total{"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(answers, messages, "every answer counted by one target");

    drop(client);
    let closed = tokio::time::Instant::now() + common::WAIT;
    loop {
        let now = scrape(server.addr, Some(TOKEN)).await;
        if now.get("casebot_open_connections{}") == before.get("casebot_open_connections{}") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < closed,
            "the closed chat stops counting"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn reload_attempts_are_counted_by_outcome() {
    let server = admin_server().await;
    let before = scrape(server.addr, Some(TOKEN)).await;
    server
        .state
        .record(ReloadStatus::new(ReloadOutcome::Refused, &[]));
    server
        .state
        .record(ReloadStatus::new(ReloadOutcome::Ok, &[]));
    server
        .state
        .record(ReloadStatus::new(ReloadOutcome::Started, &[]));
    let after = scrape(server.addr, Some(TOKEN)).await;
    for outcome in ["ok", "refused"] {
        let series = format!("casebot_content_reloads_total{{outcome=\"{outcome}\"}}");
        assert_eq!(after.get(&series) - before.get(&series), 1.0, "{series}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn metrics_need_the_admin_token() {
    let server = admin_server().await;
    let none = http(server.addr, "GET", "/metrics", None, b"")
        .await
        .unwrap();
    assert_eq!(none.status, 401);
    let wrong = http(server.addr, "GET", "/metrics", Some("wrong"), b"")
        .await
        .unwrap();
    assert_eq!(wrong.status, 401);
    server.stop().await.unwrap();

    let off = TestServer::start().await;
    let answer = http(off.addr, "GET", "/metrics", Some(TOKEN), b"")
        .await
        .unwrap();
    assert_eq!(
        answer.status, 404,
        "no admin API, no metrics on the chat address"
    );
    off.stop().await.unwrap();
}

#[tokio::test]
async fn the_metrics_address_serves_without_a_token_and_nothing_else() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let task = tokio::spawn(casebot::server::serve_metrics(listener, stop.clone()));
    let metrics = scrape(addr, None).await;
    assert!(
        metrics.0.contains_key("casebot_open_connections{}"),
        "the gauge is there from the start"
    );
    assert!(
        metrics
            .0
            .contains_key("casebot_case_lookups_total{result=\"refused\"}")
    );
    let other = http(addr, "GET", "/api/cases", Some(TOKEN), b"")
        .await
        .unwrap();
    assert_eq!(other.status, 404, "only /metrics is served there");
    let ws = http(addr, "GET", "/ws", None, b"").await.unwrap();
    assert_eq!(ws.status, 404);
    stop.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn hand_offs_and_the_wait_in_line_are_counted() {
    let _turn = CHATTING.lock().await;
    let server = TestServer::start_with(|c| {
        c.admin_token = Some(TOKEN.to_string());
        c.agent_token = Some(AGENT_TOKEN.to_string());
        c.agent_wait_seconds = 300;
    })
    .await;
    let before = scrape(server.addr, Some(TOKEN)).await;

    let mut alone = server.client().await;
    alone.ask("talk to a person").await;
    let mut desk = Agent::sign_in(&server, "Ana").await;
    let online = scrape(server.addr, Some(TOKEN)).await;
    let mut person = server.client().await;
    let asked = person.ask("talk to a person").await;
    let chats = desk.waiting().await;
    let again = person.ask("i want to talk to a human").await;
    assert_eq!(
        again["intent"], asked["intent"],
        "asked for a person again: {again}"
    );
    assert!(again["intent"].is_string(), "{again}");
    let waiting = scrape(server.addr, Some(TOKEN)).await;
    desk.send(serde_json::json!({"type": "take", "chat": chats[0]["chat"]}))
        .await;
    desk.next("transcript").await;
    let after = scrape(server.addr, Some(TOKEN)).await;

    let moved = |now: &Metrics, series: &str| now.get(series) - before.get(series);
    assert_eq!(
        moved(
            &after,
            "casebot_handoff_requests_total{result=\"no_agent\"}"
        ),
        1.0,
        "asked with no agent online"
    );
    assert_eq!(
        moved(&after, "casebot_handoff_requests_total{result=\"queued\"}"),
        1.0,
        "asking again while in line is not a second request"
    );
    assert_eq!(moved(&online, "casebot_agents_online{}"), 1.0);
    assert_eq!(moved(&waiting, "casebot_handoff_waiting{}"), 1.0);
    assert_eq!(moved(&after, "casebot_handoff_waiting{}"), 0.0, "taken");
    assert_eq!(
        moved(&after, "casebot_handoff_waits_total{outcome=\"taken\"}"),
        1.0
    );
    assert_eq!(moved(&after, "casebot_handoff_wait_seconds_count{}"), 1.0);
    assert_eq!(
        moved(&after, "casebot_handoff_wait_seconds_bucket{le=\"5\"}"),
        1.0,
        "the wait was short"
    );

    drop(desk);
    let gone = tokio::time::Instant::now() + common::WAIT;
    while scrape(server.addr, Some(TOKEN))
        .await
        .get("casebot_agents_online{}")
        != before.get("casebot_agents_online{}")
    {
        assert!(
            tokio::time::Instant::now() < gone,
            "the agent who left stops counting"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.stop().await.unwrap();
}
