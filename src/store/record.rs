//! The case record: the JSON shape shared by import files, the admin API and the store.

use serde::{Deserialize, Serialize};

/// One entry of a case's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// ISO date (`YYYY-MM-DD`) of the status change.
    pub date: String,
    /// Status title at that date.
    pub status: String,
}

/// A case as stored and as exchanged in JSON (see ../shared/CONTRACT.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// Canonical receipt number (three uppercase letters and ten digits).
    pub receipt_number: String,
    /// Form number, e.g. `I-130`.
    pub form: String,
    /// Current status title, e.g. `Case Was Received`.
    pub status: String,
    /// ISO date of the last update.
    pub updated: String,
    /// Optional longer text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Status history, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    /// Fields this version does not know; kept so nothing an importer sent is lost.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
