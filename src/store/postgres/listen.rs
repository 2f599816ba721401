//! The change listener: one connection per node that LISTENs on the change channel and
//! reads the change log, so a change written through any node reaches this node's chats.
//!
//! A notification is only a wake-up: the listener reads `case_changes` past the last id it
//! saw, re-reads each changed case and publishes it on the store's feed. It also reads
//! every second, and after a reconnect it LISTENs first and then reads, so changes made
//! while it was away are caught up rather than lost.
//!
//! Ids come from a sequence, so a transaction can commit a smaller id after a larger one
//! was read. The listener remembers the ids it skipped over (gaps) and looks for them
//! again until [`GAP_PATIENCE`] has passed; by then the transaction that took the id has
//! committed or rolled back (statement and idle-in-transaction timeouts bound it).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tokio_postgres::types::Json;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls, Row};
use tokio_util::sync::CancellationToken;

use super::write::CHANNEL;
use crate::domain::case::CaseRecord;
use crate::store::CaseChange;

/// How often the log is read without a notification.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// How long a skipped id is looked for.
const GAP_PATIENCE: Duration = Duration::from_secs(30);
/// Widest run of skipped ids tracked; a wider one (a sequence reset) is not waited for.
const MAX_GAP: i64 = 100_000;
/// Change-log rows (writes) read per query.
const PAGE: i64 = 16;
/// Age after which change-log rows are purged.
const KEEP_LOG: &str = "1 hour";
/// Reads between two purges of the log.
const PURGE_EVERY_POLLS: u32 = 60;
/// Longest wait between two attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The first wait before reconnecting after the connection is lost.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Where the listener is in the change log.
struct Position {
    /// Highest id read so far.
    after: i64,
    /// Ids below `after` not seen yet, with when they were first missed.
    gaps: BTreeMap<i64, Instant>,
}

/// Runs until `stop` is cancelled, reconnecting with backoff whenever the connection drops.
/// `after` is the last change-log id before the store was handed out: every later change
/// is published.
pub async fn run(
    config: Config,
    changes: broadcast::Sender<CaseChange>,
    stop: CancellationToken,
    after: i64,
) {
    let mut position = Position {
        after,
        gaps: BTreeMap::new(),
    };
    let mut backoff = FIRST_BACKOFF;
    loop {
        let session = listen_once(&config, &changes, &mut position, &stop, &mut backoff);
        match session.await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64,
                    "the change listener lost the database; reconnecting");
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: LISTEN, catch up, then read on every wake-up. Ok when stopped.
async fn listen_once(
    config: &Config,
    changes: &broadcast::Sender<CaseChange>,
    position: &mut Position,
    stop: &CancellationToken,
    backoff: &mut Duration,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (wake, mut woken) = mpsc::channel::<()>(1);
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    let _ = wake.try_send(());
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "change listener connection ended");
                    break;
                }
            }
        }
    });
    let result = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        // Connected again: the next loss starts over from the shortest wait.
        *backoff = FIRST_BACKOFF;
        tracing::info!(after = position.after, "listening for case changes");
        let mut polls = 0u32;
        loop {
            read_changes(&client, position, changes).await?;
            polls += 1;
            if polls % PURGE_EVERY_POLLS == 1 {
                purge(&client).await?;
            }
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                woke = woken.recv() => if woke.is_none() {
                    // The connection ended; a query surfaces why.
                    client.simple_query("SELECT 1").await?;
                    return Ok(());
                },
                _ = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    }
    .await;
    driver.abort();
    result
}

/// Reads the log past `position` and the gaps, and publishes each changed case once.
async fn read_changes(
    client: &Client,
    position: &mut Position,
    changes: &broadcast::Sender<CaseChange>,
) -> Result<(), tokio_postgres::Error> {
    let now = Instant::now();
    position
        .gaps
        .retain(|_, missed| now.duration_since(*missed) < GAP_PATIENCE);
    if !position.gaps.is_empty() {
        let gaps: Vec<i64> = position.gaps.keys().copied().collect();
        let rows = client
            .query(
                "SELECT c.id, u.rn, k.record FROM case_changes c \
                 CROSS JOIN LATERAL unnest(c.receipt_numbers) AS u(rn) \
                 LEFT JOIN cases k ON k.receipt_number = u.rn \
                 WHERE c.id = ANY($1) ORDER BY c.id",
                &[&gaps],
            )
            .await?;
        for row in &rows {
            position.gaps.remove(&row.get::<_, i64>(0));
        }
        publish(&rows, changes);
    }
    loop {
        let rows = client
            .query(
                "SELECT c.id, u.rn, k.record FROM \
                 (SELECT id, receipt_numbers FROM case_changes WHERE id > $1 ORDER BY id LIMIT $2) c \
                 CROSS JOIN LATERAL unnest(c.receipt_numbers) AS u(rn) \
                 LEFT JOIN cases k ON k.receipt_number = u.rn \
                 ORDER BY c.id",
                &[&position.after, &PAGE],
            )
            .await?;
        let mut writes = 0;
        for row in &rows {
            let id: i64 = row.get(0);
            if id == position.after {
                continue;
            }
            writes += 1;
            if id - position.after <= MAX_GAP {
                for skipped in position.after + 1..id {
                    position.gaps.insert(skipped, now);
                }
            }
            position.after = id;
        }
        publish(&rows, changes);
        if writes < PAGE {
            return Ok(());
        }
    }
}

/// Publishes the cases of `rows` (id, receipt number, record or NULL), each once.
fn publish(rows: &[Row], changes: &broadcast::Sender<CaseChange>) {
    let mut seen: HashSet<String> = HashSet::new();
    for row in rows.iter().rev() {
        let receipt_number: String = row.get(1);
        if !seen.insert(receipt_number.clone()) {
            continue;
        }
        let record = match row.try_get::<_, Option<Json<CaseRecord>>>(2) {
            Ok(record) => record.map(|Json(r)| r),
            Err(e) => {
                tracing::error!(error = %e, %receipt_number, "a changed case could not be read");
                continue;
            }
        };
        if changes.receiver_count() > 0 {
            let _ = changes.send(CaseChange {
                record: record.map(std::sync::Arc::new),
                receipt_number,
            });
        }
    }
}

/// Drops change-log rows older than [`KEEP_LOG`]; every node does it, which is harmless.
async fn purge(client: &Client) -> Result<(), tokio_postgres::Error> {
    let purged = client
        .execute(
            &format!("DELETE FROM case_changes WHERE at < now() - interval '{KEEP_LOG}'"),
            &[],
        )
        .await?;
    if purged > 0 {
        tracing::debug!(purged, "old change-log rows purged");
    }
    Ok(())
}
