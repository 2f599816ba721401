//! The case store under concurrent write load, driven the way an admin system and a bulk
//! import drive a public server: many writers changing statuses at once, a bulk import
//! running beside them, and a person chatting meanwhile. The store must never wedge, every
//! write must finish, and the chat must keep answering. (`examples/store_stress.rs` runs
//! the same storm longer and reports throughput and chat latency.)

mod common;

use std::sync::Arc;
use std::time::Duration;

use casebot::store::{CaseRecord, SharedStore, import::import_bytes, parse_record};
use common::TestServer;

/// Concurrent writers, each changing the status of its own few cases in a loop.
const WRITERS: usize = 8;
/// Writes per writer.
const WRITES: usize = 150;
/// Bulk imports run beside the writers, each of [`IMPORT_LINES`] records.
const IMPORTS: usize = 6;
const IMPORT_LINES: usize = 2000;
/// However slow the machine, a store that works finishes the storm well within this; one
/// that deadlocks never does.
const STORM_LIMIT: Duration = Duration::from_secs(120);

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

async fn write_loop(store: SharedStore, writer: usize) -> usize {
    let mut acknowledged = 0;
    for i in 0..WRITES {
        let rn = format!("EAC26{writer:02}{:06}", i % 5);
        let status = STATUSES[i % STATUSES.len()];
        store
            .upsert(case(&rn, status))
            .await
            .expect("every write succeeds");
        acknowledged += 1;
    }
    acknowledged
}

async fn import_loop(store: SharedStore) -> usize {
    let mut imported = 0;
    for round in 0..IMPORTS {
        let status = STATUSES[round % STATUSES.len()];
        let lines: String = (0..IMPORT_LINES)
            .map(|n| {
                format!(
                    "{{\"receipt_number\":\"LIN26{n:08}\",\"form\":\"I-140\",\"status\":\"{status}\",\"updated\":\"2026-11-02\"}}\n"
                )
            })
            .collect();
        let report = import_bytes(store.as_ref(), lines.as_bytes())
            .await
            .expect("the import succeeds");
        assert_eq!(report.accepted(), IMPORT_LINES);
        imported += report.accepted();
    }
    imported
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_and_an_import_at_once_never_wedge_the_store_or_the_chat() {
    let server = TestServer::start().await;
    server
        .store
        .upsert(case("EAC2690000001", "Case Was Received"))
        .await
        .expect("seed a case");
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let store = Arc::clone(&server.store);
        tasks.spawn(write_loop(store, writer));
    }
    tasks.spawn(import_loop(Arc::clone(&server.store)));

    let storm = async {
        let mut total = 0;
        while let Some(done) = tasks.join_next().await {
            total += done.expect("no writer panics");
        }
        total
    };
    let chat = async {
        let mut client = server.client().await;
        let mut replies = 0;
        for _ in 0..20 {
            let reply = client.ask("what is the status of EAC2690000001").await;
            assert!(
                reply["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("Case Was Received")),
                "the status is answered during the storm: {reply}"
            );
            replies += 1;
        }
        replies
    };
    let (total, replies) = tokio::time::timeout(STORM_LIMIT, async { tokio::join!(storm, chat) })
        .await
        .expect("the store keeps working under concurrent writes (it wedged)");
    assert_eq!(total, WRITERS * WRITES + IMPORTS * IMPORT_LINES);
    assert_eq!(replies, 20);

    // Every writer's last write is what is stored.
    for writer in 0..WRITERS {
        for case_no in 0..5 {
            let last = (0..WRITES).rev().find(|i| i % 5 == case_no).unwrap();
            let rn = format!("EAC26{writer:02}{case_no:06}");
            let stored = server.store.get(&rn).await.unwrap().expect("stored");
            assert_eq!(stored.status, STATUSES[last % STATUSES.len()], "{rn}");
        }
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_answer_comes_only_once_the_matching_write_is_durable() {
    // Two clients write the same new record at once: one gets `inserted`, the other
    // `unchanged`. Both answers must come after the flush that made the record durable,
    // so the change feed (published after each flush) has announced it by then.
    let dir = tempfile::tempdir().unwrap();
    let store: SharedStore =
        Arc::new(casebot::store::SledStore::open(&dir.path().join("db")).expect("open"));
    for n in 0..50 {
        let rn = format!("IOE26{n:08}");
        let write = |mut feed: tokio::sync::broadcast::Receiver<_>| {
            let (store, rn) = (Arc::clone(&store), rn.clone());
            async move {
                let (outcome, _) = store.upsert(case(&rn, "Case Was Received")).await.unwrap();
                let announced: Option<casebot::store::CaseChange> = feed.try_recv().ok();
                (outcome.as_str(), announced.map(|c| c.receipt_number))
            }
        };
        let (a, b) = tokio::join!(write(store.subscribe()), write(store.subscribe()));
        let mut answers = [a, b];
        answers.sort_unstable();
        assert_eq!(answers[0].0, "inserted");
        assert_eq!(
            answers[1],
            ("unchanged", Some(rn.clone())),
            "`unchanged` was answered before the write it matches was durable"
        );
    }
}
