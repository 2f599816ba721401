//! The schema, created and upgraded by casebot itself: numbered migrations embedded in the
//! binary, applied in order, each recorded in `schema_migrations`. A transaction-scoped
//! advisory lock makes nodes that start together apply them once, one after the other.

use tokio_postgres::Client;

use super::pool::db_err;
use crate::store::StoreError;

/// Every migration, oldest first: (version, name, SQL). Never edit one that was released;
/// add the next number.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "cases",
        include_str!("../../../migrations/0001_cases.sql"),
    ),
    (
        2,
        "sessions",
        include_str!("../../../migrations/0002_sessions.sql"),
    ),
    (
        3,
        "address_lookups",
        include_str!("../../../migrations/0003_address_lookups.sql"),
    ),
    (
        4,
        "unanswered",
        include_str!("../../../migrations/0004_unanswered.sql"),
    ),
];

/// Key of the advisory lock held while migrating ("casebot" in ASCII).
const MIGRATION_LOCK: i64 = 0x63_61_73_65_62_6f_74;

/// Applies the migrations this database lacks; returns how many it applied. Fails when
/// the database was migrated by a newer casebot than this one.
pub async fn migrate(client: &mut Client) -> Result<usize, StoreError> {
    let tx = client.transaction().await.map_err(db_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db_err)?;
    // "already exists, skipping" notices would be logged at every start.
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .await
        .map_err(db_err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version integer PRIMARY KEY,
             name text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(db_err)?;
    let newest: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(db_err)?
        .get(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if newest > known {
        return Err(StoreError::Db(format!(
            "the database schema is at version {newest}, newer than this casebot knows \
             ({known}); run the newer casebot or restore a matching backup"
        )));
    }
    let mut applied = 0;
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > newest) {
        tx.batch_execute(sql).await.map_err(|e| {
            StoreError::Db(format!(
                "migration {version} ({name}) failed: {}",
                db_err(e)
            ))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )
        .await
        .map_err(db_err)?;
        applied += 1;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(applied)
}
