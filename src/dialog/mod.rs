//! Dialog: the per-session state (slots, memory, subscriptions) and the reply pipeline,
//! a plain function from (message, session state, content, case store) to a reply.

pub mod status_guide;

use std::collections::BTreeSet;

use crate::nlu::Nlu;
use crate::server::protocol::Reply;
use crate::store::{CaseRecord, CaseStore, StoreError};

/// Where the dialog reads cases from. The server passes the sled store; tests may pass any.
pub trait CaseLookup {
    /// Reads one case by canonical receipt number.
    fn lookup(&self, receipt_number: &str) -> Result<Option<CaseRecord>, StoreError>;
}

impl CaseLookup for CaseStore {
    fn lookup(&self, receipt_number: &str) -> Result<Option<CaseRecord>, StoreError> {
        self.get(receipt_number)
    }
}

/// Everything the assistant remembers about one chat session.
#[derive(Debug, Clone, Default)]
pub struct DialogState {
    /// Receipt numbers the session follows.
    pub subscriptions: BTreeSet<String>,
    /// Id of the intent or article that answered the previous message.
    pub last_intent: Option<String>,
}

/// Something the server must do after a reply, beyond sending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start sending notifications about this case to the session.
    Subscribe(String),
    /// Stop sending notifications about this case to the session.
    Unsubscribe(String),
}

/// The result of one turn.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The reply frame's content (without `reply_to`).
    pub reply: Reply,
    /// What the server must do.
    pub effects: Vec<Effect>,
}

/// Tunables of the dialog, from the server configuration.
#[derive(Debug, Clone)]
pub struct DialogOptions {
    /// Different receipt numbers one session may look up per window.
    pub lookups_per_window: usize,
}

impl DialogOptions {
    /// Options from the configured limits.
    pub fn from_limits(limits: &crate::config::Limits) -> Self {
        DialogOptions { lookups_per_window: limits.lookups_per_window }
    }
}

impl Default for DialogOptions {
    fn default() -> Self {
        DialogOptions::from_limits(&crate::config::Limits::default())
    }
}

/// The notification sent to followers when a case changes; `None` for deletions.
pub fn notification_for(change: &crate::store::CaseChange) -> Option<crate::server::protocol::Notification> {
    let record = change.record.as_ref()?;
    Some(crate::server::protocol::Notification {
        receipt_number: record.receipt_number.clone(),
        status: record.status.clone(),
        form: record.form.clone(),
        updated: record.updated.clone(),
        text: format!(
            "Update on your {} ({}): the status is now \"{}\" as of {}.",
            record.form, record.receipt_number, record.status, record.updated
        ),
    })
}

/// Answers one message. Pure apart from case-store reads.
pub fn respond(
    state: &mut DialogState,
    text: &str,
    nlu: &Nlu,
    cases: &dyn CaseLookup,
    options: &DialogOptions,
) -> Outcome {
    let _ = (nlu, cases, text, options);
    state.last_intent = None;
    Outcome {
        reply: Reply { text: "Sorry, I didn't get that.".into(), ..Reply::default() },
        effects: Vec::new(),
    }
}
