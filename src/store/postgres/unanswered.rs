//! What went unanswered, kept in PostgreSQL's `unanswered` table (migration 0004), so every
//! node records into one log and `casebot report` sees all of them.

use deadpool_postgres::Pool;

use super::pool;
use crate::store::unanswered::{
    LogFuture, ScoredId, UnansweredError, UnansweredKind, UnansweredLog, UnansweredRecord,
};

/// The unanswered log on a PostgreSQL pool.
#[derive(Clone)]
pub struct PgUnanswered {
    pool: Pool,
}

impl PgUnanswered {
    /// The log on the store's pool.
    pub fn new(pool: Pool) -> Self {
        PgUnanswered { pool }
    }
}

fn err(e: impl std::fmt::Display) -> UnansweredError {
    UnansweredError(e.to_string())
}

/// Milliseconds as PostgreSQL's `bigint` holds them (times past its range are its largest).
fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn kind_of(name: &str) -> Result<UnansweredKind, UnansweredError> {
    match name {
        "fallback" => Ok(UnansweredKind::Fallback),
        "near_tie" => Ok(UnansweredKind::NearTie),
        "not_helpful" => Ok(UnansweredKind::NotHelpful),
        other => Err(err(format!(
            "unknown kind `{other}` in the unanswered table"
        ))),
    }
}

impl UnansweredLog for PgUnanswered {
    fn record(&self, record: UnansweredRecord) -> LogFuture<'_, ()> {
        Box::pin(async move {
            let client = pool::get(&self.pool).await.map_err(err)?;
            let candidates = serde_json::to_value(&record.candidates).map_err(err)?;
            client
                .execute(
                    "INSERT INTO unanswered (at_ms, kind, lang, text, candidates) \
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &millis(record.at_ms),
                        &record.kind.as_str(),
                        &record.lang,
                        &record.text,
                        &candidates,
                    ],
                )
                .await
                .map_err(err)?;
            Ok(())
        })
    }

    fn since(&self, from_ms: u64) -> LogFuture<'_, Vec<UnansweredRecord>> {
        Box::pin(async move {
            let client = pool::get(&self.pool).await.map_err(err)?;
            let rows = client
                .query(
                    "SELECT at_ms, kind, lang, text, candidates FROM unanswered \
                     WHERE at_ms >= $1 ORDER BY at_ms, id",
                    &[&millis(from_ms)],
                )
                .await
                .map_err(err)?;
            rows.iter()
                .map(|row| {
                    let candidates: serde_json::Value = row.get(4);
                    Ok(UnansweredRecord {
                        at_ms: row.get::<_, i64>(0).max(0) as u64,
                        kind: kind_of(row.get(1))?,
                        lang: row.get(2),
                        text: row.get(3),
                        candidates: serde_json::from_value::<Vec<ScoredId>>(candidates)
                            .map_err(err)?,
                    })
                })
                .collect()
        })
    }

    fn sweep(&self, before_ms: u64) -> LogFuture<'_, usize> {
        Box::pin(async move {
            let client = pool::get(&self.pool).await.map_err(err)?;
            let gone = client
                .execute(
                    "DELETE FROM unanswered WHERE at_ms < $1",
                    &[&millis(before_ms)],
                )
                .await
                .map_err(err)?;
            Ok(gone as usize)
        })
    }
}
