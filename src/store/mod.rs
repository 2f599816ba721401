//! The case store: case records in an embedded sled database, keyed by canonical receipt
//! number, with a change feed for notifications.
//!
//! The interface is deliberately narrow (get, upsert, upsert_batch, delete, iterate,
//! subscribe) so that another backend could replace sled without touching the dialog code.
//! Every write is flushed before the call returns, and changes are published only after
//! that, so a notification never announces a case that could still be lost.

pub mod import;
mod record;

pub use record::{
    CaseRecord, HistoryEntry, InvalidRecord, KNOWN_FORMS, check_date, check_receipt_number,
    parse_record, record_from_value, validate,
};

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

/// Capacity of the change feed; a bulk import publishes one change per changed case.
const CHANGE_FEED_CAPACITY: usize = 8192;

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
    /// The case existed with exactly this content; nothing was written.
    Unchanged,
}

impl UpsertOutcome {
    /// `inserted`, `updated` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            UpsertOutcome::Inserted => "inserted",
            UpsertOutcome::Updated => "updated",
            UpsertOutcome::Unchanged => "unchanged",
        }
    }
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

fn db_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Db(e.to_string())
}

/// The case store. Cheap to clone; all clones share one open database.
#[derive(Clone)]
pub struct CaseStore {
    db: sled::Db,
    cases: sled::Tree,
    changes: broadcast::Sender<CaseChange>,
    /// Serializes read-merge-write cycles so concurrent writers cannot lose history.
    write_lock: Arc<Mutex<()>>,
}

impl CaseStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(64 * 1024 * 1024)
            .open()
            .map_err(|e| open_error(path, e))?;
        let cases = db.open_tree("cases").map_err(db_err)?;
        let (changes, _) = broadcast::channel(CHANGE_FEED_CAPACITY);
        Ok(CaseStore {
            db,
            cases,
            changes,
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    /// Reads one case by canonical receipt number.
    pub fn get(&self, receipt_number: &str) -> Result<Option<CaseRecord>, StoreError> {
        match self.cases.get(receipt_number.as_bytes()).map_err(db_err)? {
            None => Ok(None),
            Some(bytes) => decode(&bytes).map(Some),
        }
    }

    /// Inserts or replaces a case; returns once the write is durable on disk.
    ///
    /// When the status changes, an entry for it is appended to the history unless the
    /// record's own history already ends with it; a record sent without history keeps the
    /// stored one. Callers validate first (see [`validate`]).
    pub async fn upsert(&self, record: &CaseRecord) -> Result<UpsertOutcome, StoreError> {
        self.upsert_returning(record.clone())
            .await
            .map(|(outcome, _)| outcome)
    }

    /// Like [`upsert`](Self::upsert), also returning the record as stored (history merged).
    pub async fn upsert_returning(
        &self,
        record: CaseRecord,
    ) -> Result<(UpsertOutcome, CaseRecord), StoreError> {
        let (outcome, stored) = {
            let _guard = self.write_lock.lock().expect("store write lock");
            let old = self
                .cases
                .get(record.receipt_number.as_bytes())
                .map_err(db_err)?;
            let planned = plan(old.as_deref(), record)?;
            if planned.outcome != UpsertOutcome::Unchanged {
                self.cases
                    .insert(planned.record.receipt_number.as_bytes(), planned.bytes)
                    .map_err(db_err)?;
            }
            (planned.outcome, planned.record)
        };
        if outcome != UpsertOutcome::Unchanged {
            self.flush().await?;
            self.publish(Some(stored.clone()), &stored.receipt_number);
        }
        Ok((outcome, stored))
    }

    /// Upserts many cases with one atomic write and one flush; returns each record's
    /// outcome in order, once everything is durable. A receipt number that appears twice
    /// is merged in order, as if upserted one after the other.
    pub async fn upsert_batch(
        &self,
        records: Vec<CaseRecord>,
    ) -> Result<Vec<UpsertOutcome>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let (outcomes, changed) = self.write_unflushed(records, usize::MAX).await?;
        if !changed.is_empty() {
            self.flush().await?;
            self.publish_all(changed);
        }
        Ok(outcomes)
    }

    /// Upserts many cases off the async runtime in atomic writes of at most
    /// `atomic_records` records each, without flushing. Returns each record's outcome and
    /// the changed records, which the caller publishes with [`publish_all`](Self::publish_all)
    /// after a [`flush`](Self::flush).
    pub(crate) async fn write_unflushed(
        &self,
        records: Vec<CaseRecord>,
        atomic_records: usize,
    ) -> Result<(Vec<UpsertOutcome>, Vec<CaseRecord>), StoreError> {
        if records.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write_batch(records, atomic_records))
            .await
            .map_err(|e| StoreError::Db(format!("batch write task failed: {e}")))?
    }

    fn write_batch(
        &self,
        records: Vec<CaseRecord>,
        atomic_records: usize,
    ) -> Result<(Vec<UpsertOutcome>, Vec<CaseRecord>), StoreError> {
        let _guard = self.write_lock.lock().expect("store write lock");
        let stored = self.stored_values(&records)?;
        let mut outcomes = Vec::with_capacity(records.len());
        let mut pending: HashMap<String, (Vec<u8>, CaseRecord)> = HashMap::new();
        let mut order = Vec::new();
        for (record, stored) in records.into_iter().zip(stored) {
            let rn = record.receipt_number.clone();
            let planned = match pending.get(&rn) {
                Some((bytes, _)) => {
                    let mut p = plan(Some(bytes), record)?;
                    if p.outcome == UpsertOutcome::Inserted {
                        p.outcome = UpsertOutcome::Updated;
                    }
                    p
                }
                None => plan(stored.as_deref(), record)?,
            };
            outcomes.push(planned.outcome);
            if planned.outcome != UpsertOutcome::Unchanged {
                if !pending.contains_key(&rn) {
                    order.push(rn.clone());
                }
                pending.insert(rn, (planned.bytes, planned.record));
            }
        }
        let mut changed = Vec::with_capacity(order.len());
        // sled holds one epoch guard for a whole batch, so the node versions every insert
        // replaces pile up until it ends: a few hundred records per batch write faster.
        for chunk in order.chunks(atomic_records.max(1)) {
            let mut batch = sled::Batch::default();
            for rn in chunk {
                let (bytes, record) = pending.remove(rn).expect("pending write");
                batch.insert(rn.as_bytes(), bytes);
                changed.push(record);
            }
            self.cases.apply_batch(batch).map_err(db_err)?;
        }
        Ok((outcomes, changed))
    }

    /// The stored value of each of `records` (`None` for a new receipt number), in the
    /// order of `records`. Walks the batch in key order along one range iterator of the
    /// store: stored keys that match batch keys one after another cost one step each, and
    /// batch keys below the next stored key are new without a look-up of their own. It
    /// seeks again (one descent, like a `get`) only after a few stored keys the batch does
    /// not hold, so keys scattered among many stored ones cost about what a `get` each does.
    fn stored_values(&self, records: &[CaseRecord]) -> Result<Vec<Option<sled::IVec>>, StoreError> {
        /// Stored keys outside the batch to step over before seeking again.
        const MAX_SKIPPED: usize = 4;
        let key = |i: usize| records[i].receipt_number.as_bytes();
        let mut sorted: Vec<usize> = (0..records.len()).collect();
        sorted.sort_unstable_by(|a, b| key(*a).cmp(key(*b)));
        let mut values = vec![None; records.len()];
        let mut at = 0;
        'seek: while at < sorted.len() {
            let mut stored = self.cases.range(key(sorted[at])..);
            let mut skipped = 0;
            loop {
                let Some(next) = stored.next() else {
                    break 'seek;
                };
                let (stored_key, value) = next.map_err(db_err)?;
                while at < sorted.len() && key(sorted[at]) < &stored_key[..] {
                    at += 1;
                }
                let mut matched = false;
                while at < sorted.len() && key(sorted[at]) == &stored_key[..] {
                    values[sorted[at]] = Some(value.clone());
                    at += 1;
                    matched = true;
                }
                if at == sorted.len() {
                    break 'seek;
                }
                skipped = if matched { 0 } else { skipped + 1 };
                if skipped > MAX_SKIPPED {
                    continue 'seek;
                }
            }
        }
        Ok(values)
    }

    /// Deletes a case; returns whether it existed, once the delete is durable.
    pub async fn delete(&self, receipt_number: &str) -> Result<bool, StoreError> {
        let old = {
            let _guard = self.write_lock.lock().expect("store write lock");
            self.cases
                .remove(receipt_number.as_bytes())
                .map_err(db_err)?
        };
        if old.is_some() {
            self.flush().await?;
            self.publish(None, receipt_number);
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
        self.cases
            .iter()
            .values()
            .map(|v| decode(&v.map_err(db_err)?))
    }

    /// Subscribes to the change feed. Changes arrive after they are durable.
    pub fn subscribe(&self) -> broadcast::Receiver<CaseChange> {
        self.changes.subscribe()
    }

    /// Makes every earlier write durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await.map(|_| ()).map_err(db_err)
    }

    /// Publishes changed records; call only once they are durable.
    pub(crate) fn publish_all(&self, changed: Vec<CaseRecord>) {
        for record in changed {
            let rn = record.receipt_number.clone();
            self.publish(Some(record), &rn);
        }
    }

    fn publish(&self, record: Option<CaseRecord>, receipt_number: &str) {
        // No subscriber is not an error: the CLI import runs without a server.
        if self.changes.receiver_count() == 0 {
            return;
        }
        let _ = self.changes.send(CaseChange {
            record,
            receipt_number: receipt_number.to_string(),
        });
    }
}

fn decode(bytes: &[u8]) -> Result<CaseRecord, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

struct Planned {
    outcome: UpsertOutcome,
    bytes: Vec<u8>,
    record: CaseRecord,
}

/// Decides what writing `record` over the stored bytes `old` does, merging the history.
fn plan(old: Option<&[u8]>, mut record: CaseRecord) -> Result<Planned, StoreError> {
    let Some(old_bytes) = old else {
        extend_history(&mut record);
        let bytes = serde_json::to_vec(&record).map_err(db_err)?;
        return Ok(Planned {
            outcome: UpsertOutcome::Inserted,
            bytes,
            record,
        });
    };
    let direct = serde_json::to_vec(&record).map_err(db_err)?;
    if direct == old_bytes {
        return Ok(Planned {
            outcome: UpsertOutcome::Unchanged,
            bytes: direct,
            record,
        });
    }
    let previous = decode(old_bytes)?;
    if record.history.is_empty() {
        record.history = previous.history;
    }
    extend_history(&mut record);
    let bytes = serde_json::to_vec(&record).map_err(db_err)?;
    let outcome = if bytes == old_bytes {
        UpsertOutcome::Unchanged
    } else {
        UpsertOutcome::Updated
    };
    Ok(Planned {
        outcome,
        bytes,
        record,
    })
}

/// Appends the current status to the history unless the history already ends with it.
fn extend_history(record: &mut CaseRecord) {
    if record
        .history
        .last()
        .is_none_or(|last| last.status != record.status)
    {
        record.history.push(HistoryEntry {
            date: record.updated.clone(),
            status: record.status.clone(),
        });
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
