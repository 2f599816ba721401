//! The case store on a real sled database in a temp dir: the store contract every backend
//! keeps (tests/common/store_contract.rs), then sled's own: the change feed's timing and the
//! lock held by an open database.

mod common;

use casebot::store::{CaseRecord, CaseStore, SledStore, StoreError, UpsertOutcome};
use common::{case, entry, store_contract};
use tokio::sync::broadcast::error::TryRecvError;

#[tokio::test]
async fn the_store_contract_holds_on_sled() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("db")).unwrap();
    store_contract::holds(&store).await;
}

#[tokio::test]
async fn a_new_case_is_stored_with_its_first_history_entry_and_unknown_fields() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("db")).unwrap();
    assert_eq!(store.get("MSC2690000001").await.unwrap(), None);
    assert_eq!(
        store
            .upsert(case("MSC2690000001", "Case Was Received", "2026-01-05"))
            .await
            .unwrap()
            .0,
        UpsertOutcome::Inserted
    );
    let stored = store.get("MSC2690000001").await.unwrap().expect("stored");
    assert_eq!(stored.status, "Case Was Received");
    assert_eq!(
        stored.history,
        vec![entry("2026-01-05", "Case Was Received")]
    );
    assert_eq!(stored.extra["office"], "National Benefits Center");
    assert_eq!(store.count().await.unwrap() as usize, 1);
}

#[tokio::test]
async fn status_changes_extend_the_history_and_are_published_once_durable() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("db")).unwrap();
    let mut feed = store.subscribe();
    store
        .upsert(case("MSC2690000002", "Case Was Received", "2026-01-05"))
        .await
        .unwrap();
    assert_eq!(feed.try_recv().unwrap().receipt_number, "MSC2690000002");

    let outcome = store
        .upsert(case(
            "MSC2690000002",
            "Biometrics Appointment Was Scheduled",
            "2026-01-27",
        ))
        .await
        .unwrap();
    assert_eq!(outcome.0, UpsertOutcome::Updated);
    let change = feed.try_recv().expect("the change is published");
    assert_eq!(
        change.record.unwrap().status,
        "Biometrics Appointment Was Scheduled"
    );
    let stored = store.get("MSC2690000002").await.unwrap().unwrap();
    assert_eq!(
        stored.history,
        vec![
            entry("2026-01-05", "Case Was Received"),
            entry("2026-01-27", "Biometrics Appointment Was Scheduled")
        ]
    );

    // The same content again writes nothing and announces nothing.
    let again = store
        .upsert(case(
            "MSC2690000002",
            "Biometrics Appointment Was Scheduled",
            "2026-01-27",
        ))
        .await
        .unwrap();
    assert_eq!(again.0, UpsertOutcome::Unchanged);
    assert!(matches!(feed.try_recv(), Err(TryRecvError::Empty)));
}

#[tokio::test]
async fn a_history_supplied_by_the_caller_is_kept_and_not_duplicated() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("db")).unwrap();
    let mut record = case("EAC2690000003", "Case Was Approved", "2026-03-01");
    record.history = vec![
        entry("2025-12-01", "Case Was Received"),
        entry("2026-03-01", "Case Was Approved"),
    ];
    store.upsert(record.clone()).await.unwrap();
    assert_eq!(
        store.get("EAC2690000003").await.unwrap().unwrap().history,
        record.history
    );
    // A later update without history keeps it and appends the new status.
    store
        .upsert(case(
            "EAC2690000003",
            "New Card Is Being Produced",
            "2026-03-04",
        ))
        .await
        .unwrap();
    let history = store.get("EAC2690000003").await.unwrap().unwrap().history;
    assert_eq!(history.len(), 3);
    assert_eq!(
        history[2],
        entry("2026-03-04", "New Card Is Being Produced")
    );
}

#[tokio::test]
async fn deleting_removes_the_case_and_tells_subscribers() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("db")).unwrap();
    store
        .upsert(case("LIN2690000004", "Case Was Received", "2026-02-02"))
        .await
        .unwrap();
    let mut feed = store.subscribe();
    assert!(store.delete("LIN2690000004").await.unwrap());
    assert_eq!(store.get("LIN2690000004").await.unwrap(), None);
    let change = feed.try_recv().unwrap();
    assert_eq!(
        (change.receipt_number.as_str(), change.record.is_none()),
        ("LIN2690000004", true)
    );
    assert!(
        !store.delete("LIN2690000004").await.unwrap(),
        "a second delete finds nothing"
    );
    assert!(store.count().await.unwrap() == 0);
}

#[tokio::test]
async fn a_batch_reports_each_record_and_merges_repeats_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("db")).unwrap();
    store
        .upsert(case("SRC2690000005", "Case Was Received", "2026-01-10"))
        .await
        .unwrap();
    let mut feed = store.subscribe();
    let outcomes = store
        .upsert_batch(vec![
            case("SRC2690000005", "Case Was Received", "2026-01-10"),
            case("SRC2690000006", "Case Was Received", "2026-01-11"),
            case("SRC2690000006", "Case Was Approved", "2026-02-11"),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            UpsertOutcome::Unchanged,
            UpsertOutcome::Inserted,
            UpsertOutcome::Updated
        ]
    );
    let stored = store.get("SRC2690000006").await.unwrap().unwrap();
    assert_eq!(stored.status, "Case Was Approved");
    assert_eq!(stored.history.len(), 2);
    assert_eq!(
        feed.try_recv().unwrap().record.unwrap().status,
        "Case Was Approved"
    );
    assert!(
        matches!(feed.try_recv(), Err(TryRecvError::Empty)),
        "one change per changed case"
    );
    let all: Vec<String> = store.iter().map(|r| r.unwrap().receipt_number).collect();
    assert_eq!(all, ["SRC2690000005", "SRC2690000006"]);
}

#[tokio::test]
async fn a_batch_among_many_stored_cases_finds_each_stored_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(&dir.path().join("db")).unwrap();
    // Every third number is stored, so the batch below is interleaved with stored cases,
    // runs past long stretches of them and ends past the last one.
    let stored: Vec<CaseRecord> = (0..300)
        .step_by(3)
        .map(|n| {
            case(
                &format!("LIN2690000{n:03}"),
                "Case Was Received",
                "2026-01-10",
            )
        })
        .collect();
    store.upsert_batch(stored).await.unwrap();
    let batch: Vec<(u32, &str)> = vec![
        (299, "Case Was Received"),
        (3, "Case Was Received"),
        (4, "Case Was Received"),
        (150, "Case Was Approved"),
        (151, "Case Was Received"),
        (297, "Case Was Received"),
        (3, "Case Was Approved"),
        (0, "Case Was Received"),
        (999, "Case Was Received"),
    ];
    let outcomes = store
        .upsert_batch(
            batch
                .iter()
                .map(|(n, status)| case(&format!("LIN2690000{n:03}"), status, "2026-01-10"))
                .collect(),
        )
        .await
        .unwrap();
    use UpsertOutcome::{Inserted, Unchanged, Updated};
    assert_eq!(
        outcomes,
        vec![
            Inserted, Unchanged, Inserted, Updated, Inserted, Unchanged, Updated, Unchanged,
            Inserted
        ]
    );
    assert_eq!(store.count().await.unwrap() as usize, 100 + 4);
}

#[tokio::test]
async fn a_database_already_open_is_reported_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let _store = SledStore::open(&path).unwrap();
    match SledStore::open(&path) {
        Err(e @ StoreError::Locked(_)) => {
            assert!(e.to_string().contains("in use by another process"), "{e}")
        }
        Err(e) => panic!("expected Locked, got {e}"),
        Ok(_) => panic!("a second open must fail"),
    }
}
