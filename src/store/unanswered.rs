//! What went unanswered: the record kept for each fallback, near tie and "not helpful"
//! vote, and the [`UnansweredLog`] interface every backend implements.
//!
//! A record holds the message text with its identifiers already masked, the language, the
//! top candidates, the kind and the time; nothing else about the person (no session
//! token, no address). FAQ authors read the records with `casebot report`.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// Why a message was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnansweredKind {
    /// Nothing answered well enough: the fallback reply.
    Fallback,
    /// An answer came, but the best two candidates were close.
    NearTie,
    /// The person marked the answer as not helpful.
    NotHelpful,
}

impl UnansweredKind {
    /// The kind as written in records and reports: `fallback`, `near_tie`, `not_helpful`.
    pub fn as_str(self) -> &'static str {
        match self {
            UnansweredKind::Fallback => "fallback",
            UnansweredKind::NearTie => "near_tie",
            UnansweredKind::NotHelpful => "not_helpful",
        }
    }
}

/// One ranked candidate of a recorded message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredId {
    /// Intent or article id.
    pub id: String,
    /// Confidence in [0, 1].
    pub score: f32,
}

/// One recorded message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnansweredRecord {
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Why it was recorded.
    pub kind: UnansweredKind,
    /// The language the message was answered in (`en`, `es`).
    pub lang: String,
    /// The message, identifiers masked (the caller masks; the log stores what it gets).
    pub text: String,
    /// The top candidates, best first.
    pub candidates: Vec<ScoredId>,
}

/// Why the log failed.
#[derive(Debug, thiserror::Error)]
#[error("unanswered log: {0}")]
pub struct UnansweredError(pub String);

/// A log call's future.
pub type LogFuture<'a, T> = BoxFuture<'a, Result<T, UnansweredError>>;

/// Where unanswered messages are kept. Calls never block the async workers.
pub trait UnansweredLog: Send + Sync + 'static {
    /// Keeps one record.
    fn record(&self, record: UnansweredRecord) -> LogFuture<'_, ()>;

    /// Every record at or after `from_ms`, oldest first.
    fn since(&self, from_ms: u64) -> LogFuture<'_, Vec<UnansweredRecord>>;

    /// Drops every record before `before_ms`; returns how many.
    fn sweep(&self, before_ms: u64) -> LogFuture<'_, usize>;
}

/// Milliseconds since the Unix epoch of `time`.
pub fn unix_ms(time: std::time::SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
