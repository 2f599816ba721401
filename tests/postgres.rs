//! casebot on a real PostgreSQL: the store contract, COPY import, migrations, and two
//! nodes sharing one database (notifications and resumed chats across nodes, an outage in
//! the middle of chats and writes). Each test gets its own throwaway cluster (see
//! tests/support/pg.rs) or a fresh database on `CASEBOT_TEST_DATABASE_URL`.

mod common;
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::store_contract::{self, statuses};
use common::{Client, case, entry};
use support::pg::Node;
use support::{TOKEN, http, record};

use casebot::store::{CaseStore, PgStore};
use support::pg::TestPg;

/// How long a change may take to reach another node's feed.
const WITHIN: Duration = Duration::from_secs(1);

#[tokio::test]
async fn the_store_contract_holds_on_postgres() {
    let pg = TestPg::start().await;
    let store = PgStore::connect(&pg.url).await.expect("connect");
    store_contract::holds(&store).await;
}

#[tokio::test]
async fn two_nodes_racing_on_one_case_lose_no_history() {
    let pg = TestPg::start().await;
    let a = PgStore::connect(&pg.url).await.expect("node a");
    let b = PgStore::connect(&pg.url).await.expect("node b");
    let statuses_written: Vec<String> = (0..40).map(|i| format!("Status number {i}")).collect();
    let mut tasks = Vec::new();
    for (i, status) in statuses_written.iter().enumerate() {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let record = case("IOE2690000009", status, "2026-04-01");
        tasks.push(tokio::spawn(async move { store.upsert(record).await }));
    }
    for task in tasks {
        task.await.unwrap().expect("every write succeeds");
    }
    let stored = a.get("IOE2690000009").await.unwrap().unwrap();
    let mut kept: Vec<&str> = statuses(&stored);
    kept.sort_unstable();
    let mut want: Vec<&str> = statuses_written.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(kept, want, "every racing status is in the history once");
}

#[tokio::test]
async fn a_change_through_one_node_reaches_the_other_within_a_second() {
    let pg = TestPg::start().await;
    let a = PgStore::connect(&pg.url).await.expect("node a");
    let b = PgStore::connect(&pg.url).await.expect("node b");
    let mut feed = a.subscribe();
    tokio::time::sleep(Duration::from_millis(200)).await;
    b.upsert(case("LIN2690000010", "Case Was Received", "2026-01-05"))
        .await
        .unwrap();
    let change = tokio::time::timeout(WITHIN, feed.recv())
        .await
        .expect("the change reaches node a within a second")
        .unwrap();
    assert_eq!(change.receipt_number, "LIN2690000010");
    b.delete("LIN2690000010").await.unwrap();
    let change = tokio::time::timeout(WITHIN, feed.recv())
        .await
        .expect("the delete reaches node a")
        .unwrap();
    assert!(change.record.is_none());
}

#[tokio::test]
async fn migrations_run_once_and_a_second_start_changes_nothing() {
    let pg = TestPg::start().await;
    let (first, second) = tokio::join!(PgStore::connect(&pg.url), PgStore::connect(&pg.url));
    let (first, _second) = (first.expect("first node"), second.expect("second node"));
    first
        .upsert(case("WAC2690000011", "Case Was Received", "2026-01-05"))
        .await
        .unwrap();
    drop(first);
    let again = PgStore::connect(&pg.url).await.expect("a restart");
    assert!(again.get("WAC2690000011").await.unwrap().is_some());
    let (client, connection) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let versions: Vec<i32> = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let want: Vec<i32> = casebot::store::postgres::MIGRATIONS
        .iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(versions, want);
}

/// PUTs a case through a node's admin API; the status code, or 0 when there was no answer.
async fn put(node: &Node, rn: &str, status: &str, updated: &str) -> u16 {
    let body = record(rn, "I-130", status, updated);
    let path = format!("/api/cases/{rn}");
    match tokio::time::timeout(
        Duration::from_secs(10),
        http(node.addr, "PUT", &path, Some(TOKEN), body.as_bytes()),
    )
    .await
    {
        Ok(Ok(answer)) => answer.status,
        _ => 0,
    }
}

/// The next frame of type `kind`, skipping others, within `within`.
async fn next_of(client: &mut Client, kind: &str, within: Duration) -> serde_json::Value {
    tokio::time::timeout(within, async {
        loop {
            let frame = client.recv().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind} frame within {within:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_follows_a_case_across_nodes_and_resumes_on_another_node() {
    let pg = TestPg::start().await;
    let a = Node::start(&pg.url).await;
    let b = Node::start(&pg.url).await;
    assert_eq!(
        put(&b, "EAC2690000101", "Case Was Received", "2026-01-05").await,
        200
    );

    // Subscribe on node A over a real WebSocket.
    let mut chat = Client::connect(&a.ws_url(None)).await;
    let token = chat.token();
    let sub = chat.ask("notify me about EAC2690000101").await;
    assert_eq!(sub["intent"], "subscribe", "{sub}");

    // A change written through node B reaches the chat on node A within a second.
    let started = Instant::now();
    assert_eq!(
        put(&b, "EAC2690000101", "Case Was Approved", "2026-02-01").await,
        200
    );
    let note = next_of(&mut chat, "notification", Duration::from_secs(1)).await;
    assert_eq!(note["receipt_number"], "EAC2690000101");
    assert_eq!(note["status"], "Case Was Approved");
    assert!(started.elapsed() < Duration::from_secs(1));

    // Node A goes away; the case changes while the chat is away.
    drop(chat);
    a.stop().await;
    assert_eq!(
        put(&b, "EAC2690000101", "Card Was Mailed To Me", "2026-03-01").await,
        200
    );

    // The same token on node B resumes the conversation with what it missed.
    let mut back = Client::connect(&b.ws_url(Some(&token))).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    assert_eq!(back.token(), token);
    let missed = next_of(&mut back, "notification", Duration::from_secs(2)).await;
    assert_eq!(missed["status"], "Card Was Mailed To Me");
    // Memory: the receipt number given on node A answers a question on node B.
    let status = back.ask("what is the status of my case?").await;
    let text = status["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Card Was Mailed To Me"),
        "the remembered case is looked up: {status}"
    );
    // And it still follows the case from node B.
    assert_eq!(
        put(&b, "EAC2690000101", "Case Was Reopened", "2026-04-01").await,
        200
    );
    let note = next_of(&mut back, "notification", Duration::from_secs(1)).await;
    assert_eq!(note["status"], "Case Was Reopened");
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_loses_nothing_acknowledged_and_everything_recovers() {
    let pg = TestPg::start().await;
    if !pg.can_restart() {
        eprintln!("skipped: CASEBOT_TEST_DATABASE_URL is set, so the server cannot be stopped");
        return;
    }
    let a = Node::start(&pg.url).await;
    let b = Node::start(&pg.url).await;
    assert_eq!(
        put(&a, "EAC2690000201", "Case Was Received", "2026-01-05").await,
        200
    );
    let mut chat = Client::connect(&a.ws_url(None)).await;
    let sub = chat.ask("notify me about EAC2690000201").await;
    assert_eq!(sub["intent"], "subscribe", "{sub}");
    assert_eq!(get_status(&a, "/readyz").await, 200);

    // A storm of PUTs through both nodes, each to its own case, for the whole test.
    let (a_addr, b_addr) = (a.addr, b.addr);
    let storm = tokio::spawn(async move {
        let mut acknowledged = BTreeMap::new();
        let mut refused = 0;
        let until = Instant::now() + Duration::from_secs(9);
        let mut i = 0;
        while Instant::now() < until {
            i += 1;
            let rn = format!("WAC26{i:08}");
            let addr = if i % 2 == 0 { a_addr } else { b_addr };
            let body = record(&rn, "I-130", "Case Was Received", "2026-01-05");
            let path = format!("/api/cases/{rn}");
            match http(addr, "PUT", &path, Some(TOKEN), body.as_bytes()).await {
                Ok(answer) if (200..300).contains(&answer.status) => {
                    acknowledged.insert(rn, answer.status);
                }
                Ok(answer) => {
                    assert_eq!(answer.status, 503, "a refused write says why: {answer:?}");
                    assert!(answer.json()["error"].is_string());
                    refused += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(_) => refused += 1,
            }
        }
        (acknowledged, refused)
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;

    tokio::task::block_in_place(|| pg.stop_server());
    let down_at = Instant::now();

    // While the database is down: not ready, health says so, case questions say they
    // cannot look cases up, other questions are answered as usual.
    wait_for_status(&a, "/readyz", 503, Duration::from_secs(3)).await;
    let health = http(a.addr, "GET", "/healthz", None, b"").await.unwrap();
    assert_eq!(health.status, 200);
    assert!(String::from_utf8_lossy(&health.body).contains("database: down"));
    let asked = chat.ask("what is the status of EAC2690000201?").await;
    assert!(
        asked["text"]
            .as_str()
            .unwrap_or_default()
            .contains("can't reach the case records"),
        "{asked}"
    );
    let other = chat.ask("how do I change my address?").await;
    assert!(
        !other["text"]
            .as_str()
            .unwrap_or_default()
            .contains("can't reach"),
        "{other}"
    );
    assert!(
        put(&b, "EAC2690000201", "Case Was Approved", "2026-02-01").await == 503,
        "an admin write while the database is down is refused with 503"
    );
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(down_at.elapsed())).await;

    tokio::task::block_in_place(|| pg.start_server());
    wait_for_status(&a, "/readyz", 200, Duration::from_secs(10)).await;
    wait_for_status(&b, "/readyz", 200, Duration::from_secs(10)).await;

    let (acknowledged, refused) = storm.await.unwrap();
    assert!(refused > 0, "the storm ran into the outage");
    assert!(
        acknowledged.len() > 10,
        "writes went through before and after it"
    );
    for rn in acknowledged.keys() {
        let got = http(b.addr, "GET", &format!("/api/cases/{rn}"), Some(TOKEN), b"")
            .await
            .unwrap();
        assert_eq!(got.status, 200, "acknowledged {rn} is stored");
    }

    // Everything recovered: case look-ups, writes and notifications across nodes.
    let asked = chat.ask("what is the status of EAC2690000201?").await;
    assert!(
        asked["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Case Was Received"),
        "{asked}"
    );
    assert_eq!(
        put(&b, "EAC2690000201", "Case Was Approved", "2026-02-01").await,
        200
    );
    let note = next_of(&mut chat, "notification", Duration::from_secs(2)).await;
    assert_eq!(note["status"], "Case Was Approved");
    a.stop().await;
    b.stop().await;
}

async fn get_status(node: &Node, path: &str) -> u16 {
    http(node.addr, "GET", path, None, b"")
        .await
        .map_or(0, |answer| answer.status)
}

async fn wait_for_status(node: &Node, path: &str, want: u16, within: Duration) {
    let until = Instant::now() + within;
    loop {
        let got = get_status(node, path).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < until,
            "{path} answered {got}, not {want}, for {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_file_import_goes_through_copy_reports_bad_lines_and_is_idempotent() {
    let pg = TestPg::start().await;
    let store = PgStore::connect(&pg.url).await.expect("connect");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.jsonl");
    // Enough lines for several COPY batches, one bad line among them.
    let mut lines: Vec<String> = (0..3000)
        .map(|i| {
            record(
                &format!("SRC26{i:08}"),
                "I-130",
                "Case Was Received",
                "2026-01-05",
            )
        })
        .collect();
    lines[1234] =
        r#"{"receipt_number":"SRC2600001234","form":"I-999","status":"x","updated":"2026-01-05"}"#
            .into();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let report = casebot::store::import::import_file(&store, &file)
        .await
        .unwrap();
    assert_eq!(report.inserted, 2999);
    assert_eq!(report.rejected_total, 1);
    assert_eq!(report.rejected[0].line, 1235);
    assert!(
        report.rejected[0].reason.contains("I-999"),
        "{:?}",
        report.rejected
    );
    assert_eq!(store.count().await.unwrap(), 2999);
    let stored = store.get("SRC2600000007").await.unwrap().unwrap();
    assert_eq!(
        stored.history,
        vec![entry("2026-01-05", "Case Was Received")]
    );

    // Again: nothing changes. Then a file of old and new cases, some with a new status.
    let again = casebot::store::import::import_file(&store, &file)
        .await
        .unwrap();
    assert_eq!(
        (again.inserted, again.updated, again.unchanged),
        (0, 0, 2999)
    );
    let mixed: Vec<String> = (2000..4000)
        .map(|i| {
            let status = if i % 2 == 0 {
                "Case Was Approved"
            } else {
                "Case Was Received"
            };
            record(&format!("SRC26{i:08}"), "I-130", status, "2026-02-05")
        })
        .collect();
    std::fs::write(&file, mixed.join("\n")).unwrap();
    let report = casebot::store::import::import_file(&store, &file)
        .await
        .unwrap();
    assert_eq!(report.inserted, 1000);
    assert_eq!(
        report.updated, 1000,
        "approved ones changed, received ones moved their date"
    );
    let approved = store.get("SRC2600002000").await.unwrap().unwrap();
    assert_eq!(
        statuses(&approved),
        ["Case Was Received", "Case Was Approved"]
    );
    assert_eq!(store.count().await.unwrap(), 3999);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_address_look_up_limit_holds_across_nodes() {
    let pg = TestPg::start().await;
    let limited = |c: &mut casebot::config::ServeConfig| c.limits.lookups_per_address = 2;
    let a = Node::start_with(&pg.url, limited).await;
    let b = Node::start_with(&pg.url, limited).await;
    for rn in ["EAC2690000201", "EAC2690000202", "EAC2690000203"] {
        assert_eq!(put(&a, rn, "Case Was Received", "2026-01-05").await, 200);
    }
    // Two different look-ups from this address through node A...
    let mut on_a = Client::connect(&a.ws_url(None)).await;
    for rn in ["EAC2690000201", "EAC2690000202"] {
        let reply = on_a.ask(&format!("status of {rn}")).await;
        assert!(
            reply["text"]
                .as_str()
                .unwrap()
                .contains("Case Was Received"),
            "{reply}"
        );
    }
    // ...use up the address's limit on node B too.
    let mut on_b = Client::connect(&b.ws_url(None)).await;
    let refused = on_b.ask("status of EAC2690000203").await;
    let text = refused["text"].as_str().unwrap();
    assert!(text.contains("paused look-ups"), "{refused}");
    assert!(!text.contains("Case Was Received"), "{refused}");
    // The chat on node A may still ask about a number it already looked up.
    let again = on_a.ask("status of EAC2690000201").await;
    assert!(
        again["text"]
            .as_str()
            .unwrap()
            .contains("Case Was Received"),
        "{again}"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_chat_look_up_limit_moves_with_a_chat_to_another_node() {
    let pg = TestPg::start().await;
    let limited = |c: &mut casebot::config::ServeConfig| c.limits.lookups_per_window = 2;
    let a = Node::start_with(&pg.url, limited).await;
    let b = Node::start_with(&pg.url, limited).await;
    for rn in ["EAC2690000301", "EAC2690000302", "EAC2690000303"] {
        assert_eq!(put(&a, rn, "Case Was Received", "2026-01-05").await, 200);
    }
    let mut chat = Client::connect(&a.ws_url(None)).await;
    let token = chat.token();
    for rn in ["EAC2690000301", "EAC2690000302"] {
        let reply = chat.ask(&format!("status of {rn}")).await;
        assert!(
            reply["text"]
                .as_str()
                .unwrap()
                .contains("Case Was Received"),
            "{reply}"
        );
    }
    drop(chat);
    a.stop().await;
    let mut back = Client::connect(&b.ws_url(Some(&token))).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    let refused = back.ask("status of EAC2690000303").await;
    assert!(
        refused["text"]
            .as_str()
            .unwrap()
            .contains("paused look-ups"),
        "the chat's two look-ups on node A count on node B: {refused}"
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_went_unanswered_on_one_node_is_in_the_report_of_another() {
    let pg = TestPg::start().await;
    let a = Node::start(&pg.url).await;
    let b = Node::start(&pg.url).await;
    let mut person = Client::connect(&a.ws_url(None)).await;
    let reply = person
        .ask("do llamas dream of electric sheep? write to ana.lopez@example.com")
        .await;
    assert_eq!(reply["intent"], serde_json::Value::Null, "{reply}");

    let report = http(b.addr, "GET", "/api/report?since=1d", Some(TOKEN), b"")
        .await
        .unwrap();
    assert_eq!(report.status, 200);
    let body = report.json().to_string();
    assert!(
        body.contains("llama"),
        "the other node's report has it: {body}"
    );
    assert!(!body.contains("ana.lopez"), "the e-mail is masked: {body}");

    let log = PgStore::connect(&pg.url)
        .await
        .unwrap()
        .unanswered()
        .unwrap();
    assert_eq!(log.since(0).await.unwrap().len(), 1);
    assert_eq!(log.sweep(u64::MAX).await.unwrap(), 1);
    assert!(log.since(0).await.unwrap().is_empty());
    a.stop().await;
    b.stop().await;
}
