//! What the assistant remembers about one chat: identifiers given earlier, the question it
//! is waiting to have answered, the cases the chat follows, and its look-up limit.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::limit::DistinctWindow;
use crate::nlu::Lang;
use crate::nlu::extract::{EntityKind, Extraction};

/// Identifiers the person gave earlier in the chat.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Memory {
    /// Last receipt number given.
    pub receipt_number: Option<String>,
    /// Last A-number given.
    pub a_number: Option<String>,
    /// Last online account number given.
    pub account_number: Option<String>,
    /// Last form number mentioned.
    pub form_number: Option<String>,
}

impl Memory {
    pub(super) fn get(&self, kind: EntityKind) -> Option<&String> {
        match kind {
            EntityKind::ReceiptNumber => self.receipt_number.as_ref(),
            EntityKind::ANumber => self.a_number.as_ref(),
            EntityKind::AccountNumber => self.account_number.as_ref(),
            EntityKind::FormNumber => self.form_number.as_ref(),
            _ => None,
        }
    }

    pub(super) fn remember(&mut self, extraction: &Extraction) {
        for e in &extraction.entities {
            let slot = match e.kind {
                EntityKind::ReceiptNumber => &mut self.receipt_number,
                EntityKind::ANumber => &mut self.a_number,
                EntityKind::AccountNumber => &mut self.account_number,
                EntityKind::FormNumber => &mut self.form_number,
                _ => continue,
            };
            *slot = Some(e.value.clone());
        }
    }
}

/// A question the assistant asked and is waiting to have answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The intent to complete.
    pub intent: String,
    /// The entity it needs.
    pub entity: EntityKind,
}

/// Everything the assistant remembers about one chat session. Serialized as JSON to keep
/// a session in a database that several nodes share; fields missing from a stored state
/// (written by an older or newer casebot) take their defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DialogState {
    /// Identifiers given earlier.
    pub memory: Memory,
    /// The question waiting for an answer.
    pub pending: Option<Pending>,
    /// Id of the intent or article that answered the previous message.
    pub last_intent: Option<String>,
    /// Receipt numbers the session follows.
    pub subscriptions: BTreeSet<String>,
    /// The chat's language: set by the client's choice or by the first message, and
    /// changed only by a message clearly in another language. `None` until then.
    pub lang: Option<Lang>,
    /// Recent case look-ups (when, which), for the scraping limit. Kept with the session,
    /// as ages, so the limit holds when the chat resumes on another node.
    #[serde(default)]
    pub(super) lookups: DistinctWindow<String>,
    /// Messages answered so far (also picks response variants).
    pub(super) turns: u64,
    /// Fallbacks in a row; from the second on, the fallback offers a person.
    pub(super) fallbacks: u32,
}
