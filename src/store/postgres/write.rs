//! Writes to the `cases` table: upserts with the history merge done under row locks, bulk
//! upserts through COPY into a staging table, and deletes. Each runs in one transaction
//! that also appends to the change log and notifies the listeners, so a change is announced
//! exactly when it commits.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::pin_mut;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, Json, Type};
use tokio_postgres::{Client, Error, Transaction};

use super::pool::{db_err, retryable};
use crate::domain::case::{CaseRecord, UpsertOutcome, merge, read_stored};
use crate::store::StoreError;

/// The channel listeners wait on; a payload is a receipt number, or `*` for "many".
pub const CHANNEL: &str = "casebot_changes";
/// A write changing more cases than this sends one `*` notification instead of one per case.
const NOTIFY_EACH_UP_TO: usize = 64;
/// Batches of at least this many new records go through COPY rather than parameters.
const COPY_FROM: usize = 256;
/// Tries of a transaction that hit a deadlock or serialization failure.
const TRIES: usize = 3;

/// What [`upsert`] did: each record's outcome, in order, and (when asked for) each one's
/// stored version.
pub struct Written {
    /// Each record's outcome.
    pub outcomes: Vec<UpsertOutcome>,
    /// Each record as stored; empty unless the caller asked for them.
    pub records: Vec<CaseRecord>,
}

/// Upserts `records` in one transaction; returns each one's outcome and, with
/// `keep_records`, its stored version. `all_new` is a hint shared by a store's writes:
/// while large batches turn out to hold only new cases (a first import), they are copied
/// straight into `cases`.
pub async fn upsert(
    client: &mut Client,
    records: &[CaseRecord],
    all_new: &AtomicBool,
    keep_records: bool,
) -> Result<Written, StoreError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match try_upsert(client, records, all_new, keep_records).await {
            Err(e) if retryable(&e) && tries < TRIES => continue,
            result => return result.map_err(db_err),
        }
    }
}

/// A record as stored if its case is new: itself when its history already ends with its
/// status (the common case, no copy), else the merge's result.
fn new_version(record: &CaseRecord) -> Cow<'_, CaseRecord> {
    if record
        .history
        .last()
        .is_some_and(|last| last.status == record.status)
    {
        Cow::Borrowed(record)
    } else {
        Cow::Owned(merge(None, record.clone()).1)
    }
}

/// The cases a write inserted: all of the batch's (a COPY straight in), or some.
enum Inserted {
    All,
    Some(HashSet<String>),
}

impl Inserted {
    fn contains(&self, rn: &str) -> bool {
        match self {
            Inserted::All => true,
            Inserted::Some(set) => set.contains(rn),
        }
    }
}

async fn try_upsert(
    client: &mut Client,
    records: &[CaseRecord],
    all_new: &AtomicBool,
    keep_records: bool,
) -> Result<Written, Error> {
    if records.is_empty() {
        return Ok(Written {
            outcomes: Vec::new(),
            records: Vec::new(),
        });
    }
    let tx = client.transaction().await?;
    // Each receipt number's first record, as it is stored if the case is new, in receipt
    // number order. Inserting these with ON CONFLICT DO NOTHING waits for a concurrent
    // insert of the same case, so the cases that exist are then all visible to the locking
    // read below.
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        records[a]
            .receipt_number
            .cmp(&records[b].receipt_number)
            .then(a.cmp(&b))
    });
    // For each record that is its receipt number's first: its place in `fresh`, and
    // whether more records of that case follow in the batch.
    let mut first_at: Vec<Option<usize>> = vec![None; records.len()];
    let mut repeated: Vec<bool> = vec![false; records.len()];
    let mut fresh: Vec<Cow<'_, CaseRecord>> = Vec::with_capacity(records.len());
    let mut previous: Option<usize> = None;
    for &i in &order {
        let rn = &records[i].receipt_number;
        match previous {
            Some(p) if records[p].receipt_number == *rn => repeated[p] = true,
            _ => {
                first_at[i] = Some(fresh.len());
                fresh.push(new_version(&records[i]));
                previous = Some(i);
            }
        }
    }
    let inserted = if fresh.len() < COPY_FROM {
        Inserted::Some(insert_new(&tx, &fresh).await?)
    } else if all_new.load(Ordering::Relaxed) && copy_straight_in(&tx, &fresh).await? {
        Inserted::All
    } else {
        let inserted = insert_new_by_copy(&tx, &fresh).await?;
        all_new.store(inserted.len() == fresh.len(), Ordering::Relaxed);
        Inserted::Some(inserted)
    };
    let others: Vec<&str> = fresh
        .iter()
        .map(|r| r.receipt_number.as_str())
        .filter(|rn| !inserted.contains(rn))
        .collect();
    let mut latest: HashMap<String, CaseRecord> = HashMap::new();
    if !others.is_empty() {
        let rows = tx
            .query(
                "SELECT receipt_number, record FROM cases WHERE receipt_number = ANY($1) \
                 ORDER BY receipt_number FOR UPDATE",
                &[&others],
            )
            .await?;
        for row in rows {
            let StoredRecord(record) = row.try_get(1)?;
            latest.insert(row.get(0), record);
        }
    }
    let mut outcomes = Vec::with_capacity(records.len());
    let mut kept = Vec::with_capacity(if keep_records { records.len() } else { 0 });
    let mut dirty: Vec<String> = Vec::new();
    let mut dirty_set: HashSet<String> = HashSet::new();
    for (i, record) in records.iter().enumerate() {
        let rn = record.receipt_number.as_str();
        if let Some(at) = first_at[i]
            && inserted.contains(rn)
        {
            outcomes.push(UpsertOutcome::Inserted);
            if repeated[i] {
                latest.insert(rn.to_string(), fresh[at].clone().into_owned());
            }
            if keep_records {
                kept.push(fresh[at].clone().into_owned());
            }
            continue;
        }
        let (outcome, merged) = merge(latest.get(rn), record.clone());
        outcomes.push(outcome);
        if outcome != UpsertOutcome::Unchanged {
            if dirty_set.insert(rn.to_string()) {
                dirty.push(rn.to_string());
            }
            if keep_records {
                kept.push(merged.clone());
            }
            latest.insert(rn.to_string(), merged);
        } else if keep_records {
            kept.push(merged);
        }
    }
    if !dirty.is_empty() {
        dirty.sort_unstable();
        let values: Vec<Json<&CaseRecord>> = dirty.iter().map(|rn| Json(&latest[rn])).collect();
        tx.execute(
            "INSERT INTO cases (receipt_number, record) \
             SELECT * FROM unnest($1::text[], $2::jsonb[]) \
             ON CONFLICT (receipt_number) DO UPDATE SET record = EXCLUDED.record, updated_at = now()",
            &[&dirty, &values],
        )
        .await?;
    }
    let mut changed: Vec<&str> = match &inserted {
        Inserted::All => fresh.iter().map(|r| r.receipt_number.as_str()).collect(),
        Inserted::Some(set) => set.iter().map(String::as_str).collect(),
    };
    changed.extend(
        dirty
            .iter()
            .map(String::as_str)
            .filter(|rn| !inserted.contains(rn)),
    );
    log_changes(&tx, &changed).await?;
    tx.commit().await?;
    Ok(Written {
        outcomes,
        records: kept,
    })
}

/// A stored record read from a `jsonb` (or `json`) column, without the extra-fields map's
/// slow path when it has no extra fields.
pub struct StoredRecord(pub CaseRecord);

impl<'a> FromSql<'a> for StoredRecord {
    fn from_sql(
        ty: &Type,
        mut raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            match raw.split_first() {
                Some((1, rest)) => raw = rest,
                _ => return Err("unsupported JSONB encoding version".into()),
            }
        }
        Ok(StoredRecord(read_stored(raw)?))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::JSON | Type::JSONB)
    }
}

/// Inserts the records whose case does not exist yet; returns their receipt numbers.
async fn insert_new(
    tx: &Transaction<'_>,
    fresh: &[Cow<'_, CaseRecord>],
) -> Result<HashSet<String>, Error> {
    let rns: Vec<&str> = fresh.iter().map(|r| r.receipt_number.as_str()).collect();
    let values: Vec<Json<&CaseRecord>> = fresh.iter().map(|r| Json(&**r)).collect();
    let rows = tx
        .query(
            "INSERT INTO cases (receipt_number, record) \
             SELECT * FROM unnest($1::text[], $2::jsonb[]) \
             ON CONFLICT (receipt_number) DO NOTHING RETURNING receipt_number",
            &[&rns, &values],
        )
        .await?;
    Ok(rows.into_iter().map(|row| row.get(0)).collect())
}

/// COPY (binary) of `fresh` straight into `cases`, for batches of new cases only: true when
/// it went in, false (and nothing written, `all_new` cleared) when a case already existed.
async fn copy_straight_in(
    tx: &Transaction<'_>,
    fresh: &[Cow<'_, CaseRecord>],
) -> Result<bool, Error> {
    tx.batch_execute("SAVEPOINT straight_in").await?;
    match copy_rows(
        tx,
        "COPY cases (receipt_number, record) FROM STDIN BINARY",
        fresh,
    )
    .await
    {
        Ok(()) => {
            tx.batch_execute("RELEASE SAVEPOINT straight_in").await?;
            Ok(true)
        }
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            tx.batch_execute("ROLLBACK TO SAVEPOINT straight_in")
                .await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Streams `records` as (receipt number, record) rows through a binary COPY statement.
async fn copy_rows(
    tx: &Transaction<'_>,
    copy: &str,
    records: &[Cow<'_, CaseRecord>],
) -> Result<(), Error> {
    let sink = tx.copy_in(copy).await?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::JSONB]);
    pin_mut!(writer);
    for record in records {
        writer
            .as_mut()
            .write(&[&record.receipt_number, &Json(&**record)])
            .await?;
    }
    writer.finish().await?;
    Ok(())
}

/// [`insert_new`] for large batches: COPY (binary) into a temporary staging table, then one
/// statement moves the new cases over.
async fn insert_new_by_copy(
    tx: &Transaction<'_>,
    fresh: &[Cow<'_, CaseRecord>],
) -> Result<HashSet<String>, Error> {
    tx.batch_execute(
        "CREATE TEMP TABLE IF NOT EXISTS casebot_stage \
         (receipt_number text COLLATE \"C\", record jsonb) ON COMMIT DELETE ROWS",
    )
    .await?;
    copy_rows(
        tx,
        "COPY casebot_stage (receipt_number, record) FROM STDIN BINARY",
        fresh,
    )
    .await?;
    let rows = tx
        .query(
            "INSERT INTO cases (receipt_number, record) \
             SELECT receipt_number, record FROM casebot_stage ORDER BY receipt_number \
             ON CONFLICT (receipt_number) DO NOTHING RETURNING receipt_number",
            &[],
        )
        .await?;
    Ok(rows.into_iter().map(|row| row.get(0)).collect())
}

/// Deletes a case; true when it existed.
pub async fn delete(client: &mut Client, receipt_number: &str) -> Result<bool, StoreError> {
    let tx = client.transaction().await.map_err(db_err)?;
    let deleted = tx
        .execute(
            "DELETE FROM cases WHERE receipt_number = $1",
            &[&receipt_number],
        )
        .await
        .map_err(db_err)?;
    if deleted > 0 {
        log_changes(&tx, &[receipt_number]).await.map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(deleted > 0)
}

/// Appends the changed cases to the change log and notifies the listeners; both take
/// effect when the transaction commits.
async fn log_changes(tx: &Transaction<'_>, changed: &[&str]) -> Result<(), Error> {
    if changed.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO case_changes (receipt_numbers) VALUES ($1)",
        &[&changed],
    )
    .await?;
    if changed.len() <= NOTIFY_EACH_UP_TO {
        tx.execute(
            "SELECT pg_notify($1, rn) FROM unnest($2::text[]) AS rn",
            &[&CHANNEL, &changed],
        )
        .await?;
    } else {
        tx.execute("SELECT pg_notify($1, '*')", &[&CHANNEL]).await?;
    }
    Ok(())
}
