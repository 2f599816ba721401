//! The case store: case records keyed by canonical receipt number, with a change feed for
//! notifications.
//!
//! [`CaseStore`] is the interface the server, the dialog, the admin API and import use;
//! [`SledStore`] (an embedded sled database) is the default implementation; [`PgStore`]
//! keeps cases in PostgreSQL for several nodes sharing one database. Every write
//! call returns only once what it reports is durable, whatever the outcome word, and
//! changes are published on the feed only after that, so neither an acknowledgement nor a
//! notification can announce a case that could still be lost.

mod case_store;
pub mod import;
pub mod postgres;
mod sled;
mod sled_unanswered;
pub mod unanswered;

pub use crate::domain::case::{
    CaseRecord, HistoryEntry, InvalidRecord, UpsertOutcome, check_date, check_receipt_number,
    merge, parse_record, record_from_value, validate,
};
pub use case_store::{
    CHANGE_FEED_CAPACITY, CaseChange, CaseStore, SharedStore, StoreError, StoreFuture,
};
pub use postgres::PgStore;
pub use sled::SledStore;
pub use sled_unanswered::SledUnanswered;
pub use unanswered::{
    ScoredId, UnansweredError, UnansweredKind, UnansweredLog, UnansweredRecord, unix_ms,
};
