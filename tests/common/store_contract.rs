//! The case-store contract every backend keeps, run against any [`CaseStore`] on an empty
//! store: `tests/store.rs` runs it on sled and `tests/postgres.rs` on PostgreSQL; a new
//! backend adds one test that opens it and calls [`holds`].

use std::time::Duration;

use casebot::store::{CaseRecord, CaseStore, UpsertOutcome};

use super::{case, entry};

/// The statuses of a record's history, oldest first.
pub fn statuses(record: &CaseRecord) -> Vec<&str> {
    record.history.iter().map(|h| h.status.as_str()).collect()
}

/// Reads, writes, history merges, batches, pages, counts, deletes and the change feed,
/// each as the server and the admin API rely on them.
pub async fn holds(store: &dyn CaseStore) {
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

    // The change feed carries the case as it is now (the listener reads the change log;
    // writes it reads together are announced once, with the latest state).
    loop {
        let change = tokio::time::timeout(Duration::from_secs(3), feed.recv())
            .await
            .expect("a change in time")
            .unwrap();
        if change.record.unwrap().status == "Case Was Approved" {
            break;
        }
    }

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
