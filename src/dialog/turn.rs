//! What a turn needs besides the session's state: the content, where cases come from, and
//! the dialog's options.

use futures_util::future::BoxFuture;

use crate::domain::case::CaseRecord;
use crate::nlu::content::{Catalog, Replies};
use crate::nlu::{Language, Parse};
use crate::store::{CaseStore, StoreFuture};

/// Where the dialog reads cases from. The server passes the case store behind its
/// per-address limit; tests may pass any.
pub trait CaseLookup: Sync {
    /// Reads one case by canonical receipt number.
    fn lookup<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, Option<CaseRecord>>;

    /// Whether this caller may look up `receipt_number` now (a limit beyond the session's
    /// own, such as one per client address, which several nodes may share). Counts the
    /// look-up when it allows it.
    fn allow<'a>(&'a self, receipt_number: &'a str) -> BoxFuture<'a, bool> {
        let _ = receipt_number;
        Box::pin(std::future::ready(true))
    }
}

impl CaseLookup for dyn CaseStore {
    fn lookup<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, Option<CaseRecord>> {
        self.get(receipt_number)
    }
}

/// A case source that holds no case, for content checks, evaluations and benchmarks.
pub struct NoCases;

impl CaseLookup for NoCases {
    fn lookup<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Option<CaseRecord>> {
        Box::pin(std::future::ready(Ok(None)))
    }
}

/// Tunables of the dialog, from the server configuration.
#[derive(Debug, Clone)]
pub struct DialogOptions {
    /// Different receipt numbers one session may look up per [`LOOKUP_WINDOW`].
    pub lookups_per_window: usize,
}

/// The window of the look-up limit.
pub const LOOKUP_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

impl DialogOptions {
    /// Options from the configured limits.
    pub fn from_limits(limits: &crate::config::Limits) -> Self {
        DialogOptions {
            lookups_per_window: limits.lookups_per_window,
        }
    }
}

impl Default for DialogOptions {
    fn default() -> Self {
        DialogOptions::from_limits(&crate::config::Limits::default())
    }
}

/// What a turn needs besides the state: content, cases and options.
pub(crate) struct Turn<'a> {
    /// The content of the language the turn answers in.
    pub(super) nlu: &'a Language,
    pub(super) parse: &'a Parse,
    pub(super) text: &'a str,
    pub(super) cases: &'a dyn CaseLookup,
    pub(super) options: &'a DialogOptions,
}

impl Turn<'_> {
    /// The replies catalog of the turn's language.
    pub(super) fn catalog(&self) -> &Catalog {
        self.nlu.catalog()
    }

    /// The sentences of the turn's language said outside answers.
    pub(super) fn replies(&self) -> &Replies {
        self.nlu.catalog().replies()
    }
}
