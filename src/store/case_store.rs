//! The case-store interface every backend implements, its error type and the change feed.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::sync::broadcast;

use super::unanswered::UnansweredLog;
use crate::domain::case::{CaseRecord, UpsertOutcome};

/// Capacity of the change feed; a bulk import publishes one change per changed case.
pub const CHANGE_FEED_CAPACITY: usize = 8192;

/// A change published after a write is durable.
#[derive(Debug, Clone)]
pub struct CaseChange {
    /// The record as it is now; `None` when it was deleted. Shared, because every
    /// subscriber gets its own copy of each change, thousands a second during an import.
    pub record: Option<std::sync::Arc<CaseRecord>>,
    /// Receipt number of the case.
    pub receipt_number: String,
}

/// Errors from a case store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database is held by another process (usually a running server).
    #[error(
        "the case database at {0} is in use by another process (is `casebot serve` running on it?)"
    )]
    Locked(String),
    /// The database failed.
    #[error("case database error: {0}")]
    Db(String),
    /// The database cannot be reached right now (refused, timed out, connection lost);
    /// trying again later may succeed.
    #[error("the case database cannot be reached: {0}")]
    Unavailable(String),
    /// A stored value could not be decoded.
    #[error("a stored case could not be read: {0}")]
    Corrupt(String),
    /// The store is shutting down or its writer stopped; nothing more can be written.
    #[error("the case store is closed")]
    Closed,
}

/// A store call's future.
pub type StoreFuture<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// A case store shared by every part of a running server.
pub type SharedStore = Arc<dyn CaseStore>;

/// Where cases live. Implementations never block the async workers: a call that may wait
/// on disk or network does so off them. Calls may run concurrently from many tasks.
pub trait CaseStore: Send + Sync + 'static {
    /// Reads one case by canonical receipt number.
    fn get<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, Option<CaseRecord>>;

    /// Inserts or replaces one case, merging its history (see [`crate::domain::case::merge`]); returns what it
    /// did and the record as stored, once that is durable.
    fn upsert(&self, record: CaseRecord) -> StoreFuture<'_, (UpsertOutcome, CaseRecord)>;

    /// Upserts many cases as one atomic write (after a crash, all of them or none are
    /// there); returns each record's outcome in order, once all are durable. A receipt
    /// number that appears twice is merged in order.
    fn upsert_batch(&self, records: Vec<CaseRecord>) -> StoreFuture<'_, Vec<UpsertOutcome>>;

    /// Like [`upsert_batch`](Self::upsert_batch) for bulk imports, also atomic: may return
    /// before the records are durable, and their changes are published only once they are.
    /// Call [`sync`](Self::sync) before reporting them as imported.
    fn upsert_batch_deferred(
        &self,
        records: Vec<CaseRecord>,
    ) -> StoreFuture<'_, Vec<UpsertOutcome>> {
        self.upsert_batch(records)
    }

    /// Makes every earlier write durable and publishes its changes.
    fn sync(&self) -> StoreFuture<'_, ()>;

    /// Deletes a case; returns whether it existed, once the delete is durable.
    fn delete<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, bool>;

    /// Up to `limit` cases in receipt-number order, starting after `after` (from the first
    /// when `None`): a page of a consistent listing or export.
    fn page<'a>(&'a self, after: Option<&'a str>, limit: usize)
    -> StoreFuture<'a, Vec<CaseRecord>>;

    /// Number of cases stored.
    fn count(&self) -> StoreFuture<'_, u64>;

    /// Subscribes to the change feed. Changes arrive after they are durable.
    fn subscribe(&self) -> broadcast::Receiver<CaseChange>;

    /// Records per atomic write of a file import, when the backend prefers a size of its
    /// own (larger transactions for a database across a network).
    fn import_chunk(&self) -> Option<usize> {
        None
    }

    /// Atomic writes a file import may run at once (each on its own share of the receipt
    /// numbers, so a case's lines still apply in file order). One for an embedded store
    /// with a single writer.
    fn import_writers(&self) -> usize {
        1
    }

    /// False while the database behind the store cannot be reached (as last checked;
    /// never waits). An embedded store is always available.
    fn available(&self) -> bool {
        true
    }

    /// The log of what went unanswered kept in the same database, when the backend has
    /// one; `None` records nothing.
    fn unanswered(&self) -> Option<Arc<dyn UnansweredLog>> {
        None
    }
}
