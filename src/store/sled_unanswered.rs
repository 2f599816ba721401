//! The unanswered log in the sled database: a tree of its own, `unanswered`, keyed by time.
//!
//! Records are written with sled's own `insert` on that tree rather than through the case
//! store's writer thread. The writer thread exists because overlapping *flushes* deadlock
//! sled 0.34 and a flush blocks; an insert does not flush, so it cannot overlap one, and
//! sled's background flusher (every 500 ms) and the writer's next flush make it durable.
//! Nobody waits on a record being durable: losing the last half second of records in a
//! crash costs an FAQ author nothing, while queueing them with case writes would make a
//! chat reply wait for a disk flush. Calls run on tokio's blocking pool, since an insert or
//! a scan may touch the disk.

use super::unanswered::{LogFuture, UnansweredError, UnansweredLog, UnansweredRecord};

/// The sled tree the records live in.
pub const TREE: &str = "unanswered";

/// The unanswered log of one open sled database. Cheap to clone.
#[derive(Clone)]
pub struct SledUnanswered {
    db: sled::Db,
    tree: sled::Tree,
}

impl SledUnanswered {
    /// The log in `db`'s `unanswered` tree.
    pub fn open(db: &sled::Db) -> Result<Self, sled::Error> {
        Ok(SledUnanswered {
            db: db.clone(),
            tree: db.open_tree(TREE)?,
        })
    }
}

fn err(e: impl std::fmt::Display) -> UnansweredError {
    UnansweredError(e.to_string())
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, UnansweredError> + Send + 'static,
) -> Result<T, UnansweredError> {
    tokio::task::spawn_blocking(work).await.map_err(err)?
}

impl UnansweredLog for SledUnanswered {
    fn record(&self, record: UnansweredRecord) -> LogFuture<'_, ()> {
        let this = self.clone();
        Box::pin(blocking(move || {
            // Time first, so keys sort by time; a unique id after it, so two records of
            // one millisecond both stay.
            let mut key = [0u8; 16];
            key[..8].copy_from_slice(&record.at_ms.to_be_bytes());
            key[8..].copy_from_slice(&this.db.generate_id().map_err(err)?.to_be_bytes());
            let value = serde_json::to_vec(&record).map_err(err)?;
            this.tree.insert(key, value).map_err(err)?;
            Ok(())
        }))
    }

    fn since(&self, from_ms: u64) -> LogFuture<'_, Vec<UnansweredRecord>> {
        let tree = self.tree.clone();
        Box::pin(blocking(move || {
            tree.range(from_ms.to_be_bytes()..)
                .map(|kv| {
                    let (_, value) = kv.map_err(err)?;
                    serde_json::from_slice(&value).map_err(err)
                })
                .collect()
        }))
    }

    fn sweep(&self, before_ms: u64) -> LogFuture<'_, usize> {
        let tree = self.tree.clone();
        Box::pin(blocking(move || {
            let mut dropped = 0;
            for kv in tree.range(..before_ms.to_be_bytes()) {
                let (key, _) = kv.map_err(err)?;
                tree.remove(key).map_err(err)?;
                dropped += 1;
            }
            Ok(dropped)
        }))
    }
}
