//! casebot on a real PostgreSQL: the store contract, COPY import, migrations, and two
//! nodes sharing one database (notifications and resumed chats across nodes, an outage in
//! the middle of chats and writes). Each test gets its own throwaway cluster (see
//! tests/support/pg.rs) or a fresh database on `CASEBOT_TEST_DATABASE_URL`.

mod support;

use std::time::Duration;

use casebot::store::{CaseRecord, CaseStore, HistoryEntry, PgStore, UpsertOutcome, parse_record};
use support::pg::TestPg;

/// How long a change may take to reach another node's feed.
const WITHIN: Duration = Duration::from_secs(1);

fn case(rn: &str, status: &str, updated: &str) -> CaseRecord {
    parse_record(
        format!(r#"{{"receipt_number":"{rn}","form":"I-485","status":"{status}","updated":"{updated}","office":"National Benefits Center"}}"#)
            .as_bytes(),
    )
    .expect("valid record")
}

fn entry(date: &str, status: &str) -> HistoryEntry {
    HistoryEntry {
        date: date.into(),
        status: status.into(),
    }
}

fn statuses(record: &CaseRecord) -> Vec<&str> {
    record.history.iter().map(|h| h.status.as_str()).collect()
}

#[tokio::test]
async fn the_store_contract_holds_on_postgres() {
    let pg = TestPg::start().await;
    let store = PgStore::connect(&pg.url).await.expect("connect");
    let mut feed = store.subscribe();

    assert_eq!(store.get("MSC2690000001").await.unwrap(), None);
    let (outcome, stored) = store
        .upsert(case("MSC2690000001", "Case Was Received", "2026-01-05"))
        .await
        .unwrap();
    assert_eq!(outcome, UpsertOutcome::Inserted);
    assert_eq!(
        stored.history,
        vec![entry("2026-01-05", "Case Was Received")]
    );
    let read = store.get("MSC2690000001").await.unwrap().expect("stored");
    assert_eq!(read, stored);
    assert_eq!(read.extra["office"], "National Benefits Center");

    // A status change extends the history; the same content again is unchanged.
    let (outcome, _) = store
        .upsert(case("MSC2690000001", "Case Was Approved", "2026-03-01"))
        .await
        .unwrap();
    assert_eq!(outcome, UpsertOutcome::Updated);
    let again = store
        .upsert(case("MSC2690000001", "Case Was Approved", "2026-03-01"))
        .await
        .unwrap();
    assert_eq!(again.0, UpsertOutcome::Unchanged);
    let read = store.get("MSC2690000001").await.unwrap().unwrap();
    assert_eq!(statuses(&read), ["Case Was Received", "Case Was Approved"]);

    // The change feed carries both writes (the listener reads the change log).
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let change = tokio::time::timeout(Duration::from_secs(3), feed.recv())
            .await
            .expect("a change in time")
            .unwrap();
        seen.push(change.record.unwrap().status);
    }
    assert_eq!(seen.last().unwrap(), "Case Was Approved");

    // A batch with a repeated receipt number merges in order, atomically.
    let outcomes = store
        .upsert_batch(vec![
            case("EAC2690000002", "Case Was Received", "2026-01-02"),
            case("EAC2690000003", "Case Was Received", "2026-01-02"),
            case("EAC2690000002", "Case Was Approved", "2026-02-02"),
            case("MSC2690000001", "Card Was Mailed To Me", "2026-03-09"),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            UpsertOutcome::Inserted,
            UpsertOutcome::Inserted,
            UpsertOutcome::Updated,
            UpsertOutcome::Updated
        ]
    );
    let two = store.get("EAC2690000002").await.unwrap().unwrap();
    assert_eq!(statuses(&two), ["Case Was Received", "Case Was Approved"]);
    let one = store.get("MSC2690000001").await.unwrap().unwrap();
    assert_eq!(one.history.len(), 3);

    // Pages in receipt-number order, count, delete.
    assert_eq!(store.count().await.unwrap(), 3);
    let first: Vec<String> = store
        .page(None, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.receipt_number)
        .collect();
    assert_eq!(first, ["EAC2690000002", "EAC2690000003"]);
    let rest = store.page(Some("EAC2690000003"), 10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].receipt_number, "MSC2690000001");
    assert!(store.delete("EAC2690000003").await.unwrap());
    assert!(!store.delete("EAC2690000003").await.unwrap());
    assert_eq!(store.get("EAC2690000003").await.unwrap(), None);
    assert_eq!(store.count().await.unwrap(), 2);
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
