//! The case store: case records in an embedded sled database, keyed by canonical receipt
//! number, with a change feed for notifications.
//!
//! The interface is deliberately narrow (get, upsert, delete, iterate, subscribe) so that
//! another backend could replace sled without touching the dialog code.

pub mod import;
mod record;

pub use record::{CaseRecord, HistoryEntry};

use std::path::Path;

use tokio::sync::broadcast;

/// A change published after a write is durable.
#[derive(Debug, Clone)]
pub struct CaseChange {
    /// The record as it is now; `None` when it was deleted.
    pub record: Option<CaseRecord>,
    /// Receipt number of the case.
    pub receipt_number: String,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// The case was new.
    Inserted,
    /// The case existed and changed.
    Updated,
    /// The case existed with exactly this content.
    Unchanged,
}

/// Errors from the store.
#[derive(Debug)]
pub enum StoreError {
    /// The database is held by another process (usually a running server).
    Locked(String),
    /// Any other database failure.
    Db(String),
    /// A stored value could not be decoded.
    Corrupt(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Locked(path) => write!(
                f,
                "the case database at {path} is in use by another process (is `casebot serve` running on it?)"
            ),
            StoreError::Db(e) => write!(f, "case database error: {e}"),
            StoreError::Corrupt(e) => write!(f, "a stored case could not be read: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// The case store. Cheap to clone; all clones share one open database.
#[derive(Clone)]
pub struct CaseStore {
    db: sled::Db,
    cases: sled::Tree,
    changes: broadcast::Sender<CaseChange>,
}

impl CaseStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(64 * 1024 * 1024)
            .open()
            .map_err(|e| open_error(path, e))?;
        let cases = db.open_tree("cases").map_err(|e| StoreError::Db(e.to_string()))?;
        let (changes, _) = broadcast::channel(1024);
        Ok(CaseStore { db, cases, changes })
    }

    /// Reads one case.
    pub fn get(&self, receipt_number: &str) -> Result<Option<CaseRecord>, StoreError> {
        match self.cases.get(receipt_number.as_bytes()).map_err(|e| StoreError::Db(e.to_string()))? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(e.to_string())),
        }
    }

    /// Inserts or replaces a case; returns once the write is durable on disk.
    pub async fn upsert(&self, record: &CaseRecord) -> Result<UpsertOutcome, StoreError> {
        let bytes = serde_json::to_vec(record).expect("case records serialize");
        let old = self
            .cases
            .insert(record.receipt_number.as_bytes(), bytes.as_slice())
            .map_err(|e| StoreError::Db(e.to_string()))?;
        let outcome = match old {
            None => UpsertOutcome::Inserted,
            Some(old) if old.as_ref() == bytes.as_slice() => UpsertOutcome::Unchanged,
            Some(_) => UpsertOutcome::Updated,
        };
        self.flush().await?;
        if outcome != UpsertOutcome::Unchanged {
            let _ = self.changes.send(CaseChange {
                receipt_number: record.receipt_number.clone(),
                record: Some(record.clone()),
            });
        }
        Ok(outcome)
    }

    /// Deletes a case; returns whether it existed, once the delete is durable.
    pub async fn delete(&self, receipt_number: &str) -> Result<bool, StoreError> {
        let old = self.cases.remove(receipt_number.as_bytes()).map_err(|e| StoreError::Db(e.to_string()))?;
        self.flush().await?;
        if old.is_some() {
            let _ = self
                .changes
                .send(CaseChange { receipt_number: receipt_number.to_string(), record: None });
        }
        Ok(old.is_some())
    }

    /// Number of cases stored.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// True when no case is stored.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Every case, in receipt-number order. Blocking: call from `spawn_blocking` for scans.
    pub fn iter(&self) -> impl Iterator<Item = Result<CaseRecord, StoreError>> + '_ {
        self.cases.iter().values().map(|v| {
            let bytes = v.map_err(|e| StoreError::Db(e.to_string()))?;
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
    }

    /// Subscribes to the change feed.
    pub fn subscribe(&self) -> broadcast::Receiver<CaseChange> {
        self.changes.subscribe()
    }

    /// Makes every earlier write durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await.map(|_| ()).map_err(|e| StoreError::Db(e.to_string()))
    }
}

fn open_error(path: &Path, e: sled::Error) -> StoreError {
    let text = e.to_string();
    if text.contains("could not acquire lock") || text.contains("WouldBlock") {
        StoreError::Locked(path.display().to_string())
    } else {
        StoreError::Db(format!("{}: {text}", path.display()))
    }
}
