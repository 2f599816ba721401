//! [`PgStore`]: the case store on PostgreSQL, for several casebot nodes sharing one
//! database. Writes commit before they answer; every node's feed carries the changes
//! written through any node (see `listen.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::unanswered::PgUnanswered;
use super::{listen, migrate, pool, write};
use crate::domain::case::{CaseRecord, UpsertOutcome};
use crate::store::unanswered::UnansweredLog;
use crate::store::{CHANGE_FEED_CAPACITY, CaseChange, CaseStore, StoreError, StoreFuture};

/// Records per transaction of a file import: large enough to amortize a commit, small
/// enough to stay far inside the statement timeout.
const IMPORT_CHUNK: usize = 4096;
/// Transactions a file import runs at once, so the database works on several cores
/// while this process parses the next lines.
const IMPORT_WRITERS: usize = 3;
/// How often the database's reachability is checked.
const PROBE_EVERY: Duration = Duration::from_millis(500);

/// The PostgreSQL case store. Cheap to clone; clones share the pool and the listener.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    changes: broadcast::Sender<CaseChange>,
    /// Whether large batches have lately held only new cases (see `write::upsert`).
    all_new: AtomicBool,
    /// Whether the last probe or call reached the database.
    up: Arc<AtomicBool>,
    /// Stops the listener and the probe when the store is dropped.
    stop: CancellationToken,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl PgStore {
    /// Connects to the database at `url`, creates or upgrades its schema, and starts the
    /// change listener. Fails when the database cannot be reached now.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config = pool::config(url)?;
        let pool = pool::pool(config.clone())?;
        let mut client = pool::get(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot reach the database: {e}")))?;
        let applied = migrate::migrate(&mut client).await?;
        if applied > 0 {
            tracing::info!(applied, "database schema migrated");
        }
        let after: i64 = client
            .query_one("SELECT coalesce(max(id), 0) FROM case_changes", &[])
            .await
            .map_err(pool::db_err)?
            .get(0);
        drop(client);
        let (changes, _) = broadcast::channel(CHANGE_FEED_CAPACITY);
        let stop = CancellationToken::new();
        let up = Arc::new(AtomicBool::new(true));
        tokio::spawn(listen::run(config, changes.clone(), stop.clone(), after));
        tokio::spawn(probe(pool.clone(), up.clone(), stop.clone()));
        Ok(PgStore {
            inner: Arc::new(Inner {
                pool,
                changes,
                all_new: AtomicBool::new(true),
                up,
                stop,
            }),
        })
    }

    /// The connection pool, for other tables of the same database (sessions).
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Notes an error's effect on availability and passes it on.
    fn seen<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(StoreError::Unavailable(_)) = &result {
            self.inner.up.store(false, Ordering::Release);
        }
        result
    }

    async fn upsert_all(
        &self,
        records: Vec<CaseRecord>,
        keep_records: bool,
    ) -> Result<write::Written, StoreError> {
        let result = async {
            let mut client = pool::get(&self.inner.pool).await?;
            write::upsert(&mut client, &records, &self.inner.all_new, keep_records).await
        }
        .await;
        self.seen(result)
    }
}

/// Keeps [`CaseStore::available`] current, so readiness recovers without traffic.
async fn probe(pool: Pool, up: Arc<AtomicBool>, stop: CancellationToken) {
    loop {
        let reached = tokio::time::timeout(pool::CONNECT_TIMEOUT, async {
            let client = pool::get(&pool).await.ok()?;
            client.simple_query("SELECT 1").await.ok()
        })
        .await
        .ok()
        .flatten()
        .is_some();
        if up.swap(reached, Ordering::AcqRel) != reached {
            if reached {
                tracing::info!("the database is reachable again");
            } else {
                tracing::warn!("the database cannot be reached");
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(PROBE_EVERY) => {}
        }
    }
}

fn decode(row: &tokio_postgres::Row, at: usize) -> Result<CaseRecord, StoreError> {
    row.try_get::<_, write::StoredRecord>(at)
        .map(|write::StoredRecord(r)| r)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl CaseStore for PgStore {
    fn get<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, Option<CaseRecord>> {
        Box::pin(async move {
            let result = async {
                let client = pool::get(&self.inner.pool).await?;
                let row = client
                    .query_opt(
                        "SELECT record FROM cases WHERE receipt_number = $1",
                        &[&receipt_number],
                    )
                    .await
                    .map_err(pool::db_err)?;
                row.map(|row| decode(&row, 0)).transpose()
            }
            .await;
            self.seen(result)
        })
    }

    fn upsert(&self, record: CaseRecord) -> StoreFuture<'_, (UpsertOutcome, CaseRecord)> {
        Box::pin(async move {
            let written = self.upsert_all(vec![record], true).await?;
            written
                .outcomes
                .into_iter()
                .zip(written.records)
                .next()
                .ok_or_else(|| StoreError::Db("the upsert answered nothing".into()))
        })
    }

    fn upsert_batch(&self, records: Vec<CaseRecord>) -> StoreFuture<'_, Vec<UpsertOutcome>> {
        Box::pin(async move { Ok(self.upsert_all(records, false).await?.outcomes) })
    }

    fn sync(&self) -> StoreFuture<'_, ()> {
        // Every write committed before it answered; the listener publishes the changes.
        Box::pin(std::future::ready(Ok(())))
    }

    fn delete<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let result = async {
                let mut client = pool::get(&self.inner.pool).await?;
                write::delete(&mut client, receipt_number).await
            }
            .await;
            self.seen(result)
        })
    }

    fn page<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<CaseRecord>> {
        Box::pin(async move {
            let result = async {
                let client = pool::get(&self.inner.pool).await?;
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let rows = client
                    .query(
                        "SELECT record FROM cases WHERE $1::text IS NULL OR receipt_number > $1 \
                         ORDER BY receipt_number LIMIT $2",
                        &[&after, &limit],
                    )
                    .await
                    .map_err(pool::db_err)?;
                rows.iter().map(|row| decode(row, 0)).collect()
            }
            .await;
            self.seen(result)
        })
    }

    fn count(&self) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let result = async {
                let client = pool::get(&self.inner.pool).await?;
                let row = client
                    .query_one("SELECT count(*) FROM cases", &[])
                    .await
                    .map_err(pool::db_err)?;
                Ok(row.get::<_, i64>(0) as u64)
            }
            .await;
            self.seen(result)
        })
    }

    fn subscribe(&self) -> broadcast::Receiver<CaseChange> {
        self.inner.changes.subscribe()
    }

    fn import_chunk(&self) -> Option<usize> {
        Some(IMPORT_CHUNK)
    }

    fn import_writers(&self) -> usize {
        IMPORT_WRITERS
    }

    fn available(&self) -> bool {
        self.inner.up.load(Ordering::Acquire)
    }

    fn unanswered(&self) -> Option<Arc<dyn UnansweredLog>> {
        Some(Arc::new(PgUnanswered::new(self.inner.pool.clone())))
    }
}
