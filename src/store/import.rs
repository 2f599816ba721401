//! JSON Lines import of case records. (Filled in by the case-store work.)

use std::path::Path;

use super::{CaseRecord, CaseStore, StoreError, UpsertOutcome};

/// A line that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// New cases.
    pub inserted: usize,
    /// Changed cases.
    pub updated: usize,
    /// Cases already stored with the same content.
    pub unchanged: usize,
    /// Lines that were refused.
    pub rejected: Vec<Rejected>,
}

/// Imports a JSON Lines file into the store.
pub async fn import_file(store: &CaseStore, path: &Path) -> Result<ImportReport, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| StoreError::Db(e.to_string()))?;
    let mut report = ImportReport::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<CaseRecord>(line) {
            Ok(record) => match store.upsert(&record).await? {
                UpsertOutcome::Inserted => report.inserted += 1,
                UpsertOutcome::Updated => report.updated += 1,
                UpsertOutcome::Unchanged => report.unchanged += 1,
            },
            Err(e) => report.rejected.push(Rejected { line: i + 1, reason: e.to_string() }),
        }
    }
    Ok(report)
}
