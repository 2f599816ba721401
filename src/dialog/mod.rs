//! Dialog: the per-session state (memory, pending question, subscriptions) and the reply
//! pipeline, [`respond`]: a plain async function from (message, session state, content,
//! case source) to an [`Outcome`]. It needs no socket, so tests and benchmarks call it
//! directly.
//!
//! One turn runs one way:
//! 1. **parse** ([`crate::nlu`]): identifiers, ranked intents and articles, another
//!    organization's topic;
//! 2. **decide** ([`decide`]): a pure function picks what answers, as a [`Decision`];
//! 3. **act** (`actions`): builds the [`Answer`], reading cases where an action needs them,
//!    and returns the effects for the server and the question left pending;
//! 4. **render** (`render`): fills response templates; every sentence that is not in a
//!    content file is in `phrases`.
//!
//! The [`Answer`] knows nothing of the wire: the server turns it into frames.

mod actions;
pub mod answer;
pub mod decide;
pub mod evaluate;
pub mod phrases;
mod render;
pub mod status_guide;

use std::collections::{BTreeSet, VecDeque};
use std::time::Instant;

pub use answer::{Answer, Effect, Outcome};
pub use decide::{ANSWER_THRESHOLD, Decision, SUGGEST_THRESHOLD, decide};

use crate::domain::case::CaseRecord;
use crate::nlu::extract::{EntityKind, Extraction};
use crate::nlu::{Nlu, Parse};
use crate::store::{CaseStore, StoreFuture};

/// Where the dialog reads cases from. The server passes the case store behind its
/// per-address limit; tests may pass any.
pub trait CaseLookup: Sync {
    /// Reads one case by canonical receipt number.
    fn lookup<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, Option<CaseRecord>>;

    /// Whether this caller may look up `receipt_number` now (a limit beyond the session's
    /// own, such as one per client address). Counts the look-up when it allows it.
    fn allow(&self, receipt_number: &str) -> bool {
        let _ = receipt_number;
        true
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

/// Identifiers the person gave earlier in the chat.
#[derive(Debug, Clone, Default)]
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
    fn get(&self, kind: EntityKind) -> Option<&String> {
        match kind {
            EntityKind::ReceiptNumber => self.receipt_number.as_ref(),
            EntityKind::ANumber => self.a_number.as_ref(),
            EntityKind::AccountNumber => self.account_number.as_ref(),
            EntityKind::FormNumber => self.form_number.as_ref(),
            _ => None,
        }
    }

    fn remember(&mut self, extraction: &Extraction) {
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The intent to complete.
    pub intent: String,
    /// The entity it needs.
    pub entity: EntityKind,
}

/// Everything the assistant remembers about one chat session.
#[derive(Debug, Clone, Default)]
pub struct DialogState {
    /// Identifiers given earlier.
    pub memory: Memory,
    /// The question waiting for an answer.
    pub pending: Option<Pending>,
    /// Id of the intent or article that answered the previous message.
    pub last_intent: Option<String>,
    /// Receipt numbers the session follows.
    pub subscriptions: BTreeSet<String>,
    /// Recent case look-ups (when, which), for the scraping limit.
    lookups: VecDeque<(Instant, String)>,
    /// Messages answered so far (also picks response variants).
    turns: u64,
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

/// The text of the notification sent to followers when `record` changes.
pub fn notification_text(record: &CaseRecord) -> String {
    let vars = vec![
        ("form", record.form.clone()),
        ("receipt_number", record.receipt_number.clone()),
        ("status", record.status.clone()),
        ("updated", record.updated.clone()),
    ];
    let mut text = render::fill(phrases::NOTIFICATION, &vars);
    if let Some(guide) = status_guide::explain(&record.status) {
        text.push(' ');
        text.push_str(guide.meaning);
    }
    text
}

/// What a turn needs besides the state: content, cases and options.
pub(crate) struct Turn<'a> {
    nlu: &'a Nlu,
    parse: &'a Parse,
    text: &'a str,
    cases: &'a dyn CaseLookup,
    options: &'a DialogOptions,
}

/// Answers one message: parse, decide, act, render. Pure apart from case-store reads.
pub async fn respond(
    state: &mut DialogState,
    text: &str,
    nlu: &Nlu,
    cases: &dyn CaseLookup,
    options: &DialogOptions,
) -> Outcome {
    state.turns += 1;
    let parse = nlu.parse(text, state.last_intent.as_deref());
    let pending = state.pending.take();
    let decision = decide(pending.as_ref(), &parse, nlu);
    // A message holding an SSN is not taken as the answer to anything, nor remembered.
    let aside = decision == Decision::PrivacyWarning;
    if aside {
        state.pending = pending;
    } else {
        state.memory.remember(&parse.extraction);
    }
    let turn = Turn {
        nlu,
        parse: &parse,
        text,
        cases,
        options,
    };
    let acted = actions::act(decision, state, &turn).await;
    if !aside {
        state.pending = acted.asks;
    }
    for effect in &acted.effects {
        match effect {
            Effect::Subscribe(rn) => state.subscriptions.insert(rn.clone()),
            Effect::Unsubscribe(rn) => state.subscriptions.remove(rn),
        };
    }
    state.last_intent = acted.answer.intent.clone();
    Outcome {
        answer: acted.answer,
        effects: acted.effects,
        entities: parse.extraction.entities,
        ranked: parse.candidates,
    }
}

/// Answers one message with a case source whose look-ups never wait, such as [`NoCases`]:
/// what `casebot test`, evaluations and benchmarks use.
pub fn respond_now(
    state: &mut DialogState,
    text: &str,
    nlu: &Nlu,
    cases: &dyn CaseLookup,
    options: &DialogOptions,
) -> Outcome {
    use futures_util::FutureExt;
    respond(state, text, nlu, cases, options)
        .now_or_never()
        .expect("a case source whose look-ups are ready at once never makes a turn wait")
}
