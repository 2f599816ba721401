//! Sessions in PostgreSQL (tables `chat_sessions` and `chat_follows`), so a client can
//! resume its chat on any node. States are queued and written by one background task, at
//! most every [`ROUND_EVERY`], each session's latest state only, in one transaction per
//! round; while the database is down the queue waits and is retried, and chats never wait
//! on it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use deadpool_postgres::Pool;
use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::Json;

use super::session_store::{Resumed, SessionStore, token_hash};
use crate::dialog::DialogState;
use crate::store::CaseRecord;

/// Writes waiting for the writer; past this, new ones are dropped (and logged).
const QUEUE: usize = 8192;
/// How long a resume may wait for the database before the client gets a new session.
const RESUME_TIMEOUT: Duration = Duration::from_secs(2);
/// Most notifications handed to a resumed session, like the registry's missed list.
const MAX_MISSED: i64 = 32;
/// Least time between two rounds of writes (how stale a state another node resumes
/// can be).
const ROUND_EVERY: Duration = Duration::from_millis(100);
/// Wait before writing again after the database failed.
const RETRY_AFTER: Duration = Duration::from_millis(500);

enum Write {
    Save {
        hash: String,
        ip: String,
        dialog: serde_json::Value,
        follows: Vec<String>,
    },
    Away {
        hash: String,
    },
    Flush(oneshot::Sender<()>),
}

/// Sessions kept in PostgreSQL.
pub struct PgSessions {
    pool: Pool,
    writes: mpsc::Sender<Write>,
}

impl PgSessions {
    /// Sessions in the database behind `pool` (the case store's; the schema is migrated
    /// with it). Starts the background writer.
    pub fn new(pool: Pool) -> Self {
        let (writes, queue) = mpsc::channel(QUEUE);
        tokio::spawn(writer(pool.clone(), queue));
        PgSessions { pool, writes }
    }

    fn queue(&self, write: Write) {
        if self.writes.try_send(write).is_err() {
            tracing::warn!("the session write queue is full; a session state was not saved");
        }
    }
}

impl SessionStore for PgSessions {
    fn save(&self, token: &str, ip: IpAddr, dialog: &DialogState) {
        let follows = dialog.subscriptions.iter().cloned().collect();
        let dialog = match serde_json::to_value(dialog) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "a session state could not be serialized");
                return;
            }
        };
        self.queue(Write::Save {
            hash: token_hash(token),
            ip: ip.to_string(),
            dialog,
            follows,
        });
    }

    fn away(&self, token: &str) {
        self.queue(Write::Away {
            hash: token_hash(token),
        });
    }

    fn resume<'a>(&'a self, token: &'a str, ttl: Duration) -> BoxFuture<'a, Option<Resumed>> {
        Box::pin(async move {
            match tokio::time::timeout(RESUME_TIMEOUT, read_session(&self.pool, token, ttl)).await {
                Ok(Ok(found)) => found,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "a session could not be read from the database");
                    None
                }
                Err(_) => {
                    tracing::warn!("reading a session from the database timed out");
                    None
                }
            }
        })
    }

    fn allow_lookup<'a>(
        &'a self,
        ip: IpAddr,
        token: &'a str,
        receipt_number: &'a str,
        limit: usize,
        window: Duration,
    ) -> BoxFuture<'a, Option<bool>> {
        Box::pin(async move {
            let counted = count_lookup(&self.pool, ip, token, receipt_number, limit, window);
            match tokio::time::timeout(LOOKUP_TIMEOUT, counted).await {
                Ok(Ok(allowed)) => Some(allowed),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "the shared look-up count is unavailable");
                    None
                }
                Err(_) => {
                    tracing::debug!("the shared look-up count timed out");
                    None
                }
            }
        })
    }

    fn purge(&self, ttl: Duration, window: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let Ok(client) = self.pool.get().await else {
                return;
            };
            let window_secs = window.as_secs_f64();
            if let Err(e) = client
                .execute(
                    "DELETE FROM address_lookups WHERE at < now() - make_interval(secs => $1)",
                    &[&window_secs],
                )
                .await
            {
                tracing::debug!(error = %e, "purging old look-ups failed");
            }
            let secs = ttl.as_secs_f64();
            match client
                .execute(
                    "DELETE FROM chat_sessions \
                     WHERE coalesce(away_since, updated_at) < now() - make_interval(secs => $1)",
                    &[&secs],
                )
                .await
            {
                Ok(n) if n > 0 => tracing::debug!(purged = n, "expired sessions purged"),
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "purging expired sessions failed"),
            }
        })
    }

    fn flush(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let (done, flushed) = oneshot::channel();
            if self.writes.send(Write::Flush(done)).await.is_ok() {
                let _ = tokio::time::timeout(Duration::from_secs(3), flushed).await;
            }
        })
    }
}

/// Longest a chat waits for the shared look-up count before its node's own count decides.
const LOOKUP_TIMEOUT: Duration = Duration::from_millis(500);

/// Counts a look-up in `address_lookups`: allowed when this session already looked this
/// number up within `window`, or when the address has fewer than `limit` look-ups in it.
/// Two nodes counting the same address at the same instant may both allow one more.
async fn count_lookup(
    pool: &Pool,
    ip: IpAddr,
    token: &str,
    receipt_number: &str,
    limit: usize,
    window: Duration,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    let client = pool.get().await?;
    let (ip, hash, secs) = (ip.to_string(), token_hash(token), window.as_secs_f64());
    let row = client
        .query_one(
            "SELECT                  exists(SELECT 1 FROM address_lookups WHERE ip = $1 AND session_hash = $2                         AND receipt_number = $3 AND at >= now() - make_interval(secs => $4)),                  (SELECT count(*) FROM address_lookups                   WHERE ip = $1 AND at >= now() - make_interval(secs => $4))",
            &[&ip, &hash, &receipt_number, &secs],
        )
        .await?;
    let (mine, counted): (bool, i64) = (row.get(0), row.get(1));
    if !mine && counted >= i64::try_from(limit).unwrap_or(i64::MAX) {
        return Ok(false);
    }
    client
        .execute(
            "INSERT INTO address_lookups (ip, session_hash, receipt_number) VALUES ($1, $2, $3)              ON CONFLICT (ip, session_hash, receipt_number) DO UPDATE SET at = now()",
            &[&ip, &hash, &receipt_number],
        )
        .await?;
    Ok(true)
}

/// Reads a session that has not expired, and the followed cases changed since it left.
async fn read_session(
    pool: &Pool,
    token: &str,
    ttl: Duration,
) -> Result<Option<Resumed>, Box<dyn std::error::Error + Send + Sync>> {
    let client = pool.get().await?;
    let hash = token_hash(token);
    let secs = ttl.as_secs_f64();
    let Some(row) = client
        .query_opt(
            "SELECT dialog, ip, coalesce(away_since, updated_at) FROM chat_sessions \
             WHERE token_hash = $1 \
               AND coalesce(away_since, updated_at) >= now() - make_interval(secs => $2)",
            &[&hash, &secs],
        )
        .await?
    else {
        return Ok(None);
    };
    let Json(dialog): Json<DialogState> = row.try_get(0)?;
    let ip: String = row.get(1);
    let since: std::time::SystemTime = row.get(2);
    let rows = client
        .query(
            "SELECT rn, record FROM ( \
                 SELECT DISTINCT ON (u.rn) u.rn, c.id, k.record \
                 FROM case_changes c \
                 CROSS JOIN LATERAL unnest(c.receipt_numbers) AS u(rn) \
                 JOIN chat_follows f ON f.receipt_number = u.rn AND f.token_hash = $1 \
                 JOIN cases k ON k.receipt_number = u.rn \
                 WHERE c.at > $2 \
                 ORDER BY u.rn, c.id DESC \
             ) latest ORDER BY id DESC LIMIT $3",
            &[&hash, &since, &MAX_MISSED],
        )
        .await?;
    let mut missed: Vec<_> = rows
        .iter()
        .filter_map(|row| row.try_get::<_, Json<CaseRecord>>(1).ok())
        .map(|Json(record)| record)
        .collect();
    missed.reverse();
    Ok(Some(Resumed {
        dialog,
        ip: ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
        missed,
    }))
}

/// The background writer: takes what is queued, keeps each session's latest state, and
/// writes a round in one transaction; on failure waits and tries the same round again.
async fn writer(pool: Pool, mut queue: mpsc::Receiver<Write>) {
    let mut round: Vec<Write> = Vec::new();
    loop {
        if round.is_empty() {
            match queue.recv().await {
                Some(w) => round.push(w),
                None => return,
            }
        }
        while round.len() < 1024 {
            match queue.try_recv() {
                Ok(w) => round.push(w),
                Err(_) => break,
            }
        }
        let flushing = round.iter().any(|w| matches!(w, Write::Flush(_)));
        match write_round(&pool, &round).await {
            Ok(()) => {
                for w in round.drain(..) {
                    if let Write::Flush(done) = w {
                        let _ = done.send(());
                    }
                }
                // Rounds at most every ROUND_EVERY: under load, many turns of a session
                // collapse into one write.
                if !flushing {
                    tokio::time::sleep(ROUND_EVERY).await;
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "saving sessions failed; retrying");
                // Flush waiters are answered anyway: shutdown must not hang on a dead database.
                round.retain_mut(|w| !matches!(w, Write::Flush(_)));
                if round.len() > QUEUE {
                    round.drain(..round.len() - QUEUE);
                }
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }
}

async fn write_round(
    pool: &Pool,
    round: &[Write],
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // Only each session's last save matters; an away after it still applies.
    let mut last_save: HashMap<&str, usize> = HashMap::new();
    let mut last_away: HashMap<&str, usize> = HashMap::new();
    for (i, w) in round.iter().enumerate() {
        match w {
            Write::Save { hash, .. } => {
                last_save.insert(hash, i);
            }
            Write::Away { hash } => {
                last_away.insert(hash, i);
            }
            Write::Flush(_) => {}
        }
    }
    if last_save.is_empty() && last_away.is_empty() {
        return Ok(());
    }
    let (mut hashes, mut ips, mut dialogs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut follow_rns, mut follow_hashes) = (Vec::new(), Vec::new());
    for &i in last_save.values() {
        if let Write::Save {
            hash,
            ip,
            dialog,
            follows,
        } = &round[i]
        {
            hashes.push(hash.as_str());
            ips.push(ip.as_str());
            dialogs.push(dialog);
            for rn in follows {
                follow_rns.push(rn.as_str());
                follow_hashes.push(hash.as_str());
            }
        }
    }
    let away: Vec<&str> = last_away
        .iter()
        .filter(|(hash, at)| last_save.get(*hash).is_none_or(|saved| saved < at))
        .map(|(hash, _)| *hash)
        .collect();
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    if !hashes.is_empty() {
        tx.execute(
            "INSERT INTO chat_sessions (token_hash, ip, dialog) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[]) \
             ON CONFLICT (token_hash) DO UPDATE \
             SET ip = EXCLUDED.ip, dialog = EXCLUDED.dialog, away_since = NULL, \
                 updated_at = now()",
            &[&hashes, &ips, &dialogs],
        )
        .await?;
        tx.execute(
            "DELETE FROM chat_follows WHERE token_hash = ANY($1) \
             AND (receipt_number, token_hash) NOT IN \
                 (SELECT * FROM unnest($2::text[], $3::text[]))",
            &[&hashes, &follow_rns, &follow_hashes],
        )
        .await?;
        if !follow_rns.is_empty() {
            tx.execute(
                "INSERT INTO chat_follows (receipt_number, token_hash) \
                 SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
                &[&follow_rns, &follow_hashes],
            )
            .await?;
        }
    }
    if !away.is_empty() {
        tx.execute(
            "UPDATE chat_sessions SET away_since = now() WHERE token_hash = ANY($1)",
            &[&away],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
