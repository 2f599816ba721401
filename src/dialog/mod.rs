//! Dialog: the per-session state (slots, memory, subscriptions) and the reply pipeline,
//! [`respond`], a plain function from (message, session state, content, case store) to a
//! reply. It needs no socket or runtime, so tests and benchmarks call it directly.
//!
//! One turn:
//! 1. the NLU extracts identifiers and ranks intents and articles;
//! 2. identifiers are remembered (the last receipt number serves follow-ups);
//! 3. a pending question ("What's your receipt number?") is completed when the message
//!    supplies the answer, unless the person clearly changed the subject;
//! 4. a message about something other organizations handle is told so (see
//!    [`crate::nlu::elsewhere`]);
//! 5. the best candidate above [`ANSWER_THRESHOLD`] answers; below it, the fallback offers
//!    up to three "did you mean" suggestions.

mod cases;
pub mod evaluate;
pub mod forms;
mod render;
pub mod status_guide;

use std::collections::{BTreeSet, VecDeque};
use std::time::Instant;

use crate::nlu::extract::{EntityKind, Extraction};
use crate::nlu::{Nlu, Parse, Scored, Target};
use crate::server::protocol::{Candidate, Notification, Reply, WireEntity};
use crate::store::{CaseChange, CaseRecord, CaseStore, StoreFuture};

/// Confidence from which the best candidate answers.
pub const ANSWER_THRESHOLD: f32 = 0.52;
/// Confidence from which a candidate is offered as a "did you mean" suggestion.
pub const SUGGEST_THRESHOLD: f32 = 0.3;
/// How close (in confidence) a second article must be to be offered next to the answer.
const CLOSE_SECOND: f32 = 0.06;

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

/// Something the server must do after a reply, beyond sending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start sending notifications about this case to the session.
    Subscribe(String),
    /// Stop sending notifications about this case to the session.
    Unsubscribe(String),
}

/// The result of one turn.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The reply frame's content (without `reply_to`).
    pub reply: Reply,
    /// What the server must do.
    pub effects: Vec<Effect>,
    /// The ranked candidates, for replies that asked for `debug`.
    pub ranked: Vec<Scored>,
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Outcome {
            reply,
            ..Outcome::default()
        }
    }
}

/// The ranked candidates as sent in a debug reply.
pub fn candidates(nlu: &Nlu, ranked: &[Scored]) -> Vec<Candidate> {
    ranked
        .iter()
        .map(|c| Candidate {
            id: target_id(nlu, c.target).to_string(),
            score: c.score,
        })
        .collect()
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

/// The notification sent to followers when a case changes; `None` for deletions.
pub fn notification_for(change: &CaseChange) -> Option<Notification> {
    let record = change.record.as_ref()?;
    let mut text = format!(
        "Update on your {} ({}): the status is now **{}** as of {}.",
        record.form, record.receipt_number, record.status, record.updated
    );
    if let Some(guide) = status_guide::explain(&record.status) {
        text.push(' ');
        text.push_str(guide.meaning);
    }
    Some(Notification {
        receipt_number: record.receipt_number.clone(),
        status: record.status.clone(),
        form: record.form.clone(),
        updated: record.updated.clone(),
        text,
    })
}

/// What a turn needs besides the state: content, cases and options.
pub(crate) struct Turn<'a> {
    nlu: &'a Nlu,
    parse: &'a Parse,
    text: &'a str,
    cases: &'a dyn CaseLookup,
    options: &'a DialogOptions,
}

/// Answers one message. Pure apart from case-store reads.
pub async fn respond(
    state: &mut DialogState,
    text: &str,
    nlu: &Nlu,
    cases: &dyn CaseLookup,
    options: &DialogOptions,
) -> Outcome {
    state.turns += 1;
    let parse = nlu.parse(text, state.last_intent.as_deref());
    let turn = Turn {
        nlu,
        parse: &parse,
        text,
        cases,
        options,
    };
    let mut outcome = if parse.extraction.first(EntityKind::Ssn).is_some() {
        privacy_warning()
    } else {
        state.memory.remember(&parse.extraction);
        decide(state, &turn).await
    };
    state.last_intent = outcome.reply.intent.clone();
    outcome.reply.entities = wire_entities(&parse.extraction);
    outcome.ranked = parse.candidates;
    outcome
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

/// Picks what answers: the pending question, a receipt number on its own, the best
/// candidate, or the fallback.
async fn decide(state: &mut DialogState, turn: &Turn<'_>) -> Outcome {
    let top = turn
        .parse
        .candidates
        .first()
        .filter(|c| c.score >= ANSWER_THRESHOLD);
    let top_is_case_action = top.is_some_and(|c| action_of(turn.nlu, c.target).is_some());
    if let Some(pending) = state.pending.take() {
        let supplies = turn.parse.extraction.first(pending.entity).is_some()
            || (pending.entity == EntityKind::ReceiptNumber
                && cases::offers_receipt_like(&turn.parse.extraction));
        // A bare "here is my receipt number" reads as the generic status request, so only
        // another specific case action ("notify me about …") overrides the pending question.
        let overridden = top.is_some_and(|c| {
            let action = action_of(turn.nlu, c.target);
            action.is_some()
                && action != Some("case_status")
                && target_id(turn.nlu, c.target) != pending.intent
        });
        if supplies
            && !overridden
            && let Some(index) = intent_index(turn.nlu, &pending.intent)
        {
            return run_intent(state, turn, index, 1.0).await;
        }
    }
    // A receipt number, or something meant as one, with nothing clearer to answer.
    let has_receipt = turn
        .parse
        .extraction
        .first(EntityKind::ReceiptNumber)
        .is_some()
        || !turn.parse.extraction.near_misses.is_empty();
    let strong_article =
        top.is_some_and(|c| matches!(c.target, Target::Article(_)) && c.score >= 0.75);
    if has_receipt
        && !top_is_case_action
        && !strong_article
        && let Some(index) = intent_with_action(turn.nlu, "case_status")
    {
        let confidence = top.map_or(0.9, |c| c.score.max(0.9));
        return run_intent(state, turn, index, confidence).await;
    }
    if let Some(topic) = &turn.parse.elsewhere {
        return elsewhere(turn, topic);
    }
    match top {
        Some(best) => {
            let mut outcome = match best.target {
                Target::Intent(index) => run_intent(state, turn, index, best.score).await,
                Target::Article(index) => answer_article(state, turn.nlu, index, best.score),
            };
            offer_close_second(turn, best, &mut outcome.reply);
            outcome
        }
        None => fallback(turn),
    }
}

async fn run_intent(
    state: &mut DialogState,
    turn: &Turn<'_>,
    index: usize,
    confidence: f32,
) -> Outcome {
    let intent = &turn.nlu.content.intents[index].def;
    let mut outcome = match intent.action.as_ref().map(|a| a.get_ref().as_str()) {
        Some(action) => cases::run(action, state, turn, index).await,
        None => render::intent_reply(state, turn, intent),
    };
    outcome.reply.confidence = confidence;
    outcome
}

fn answer_article(state: &DialogState, nlu: &Nlu, index: usize, confidence: f32) -> Outcome {
    let article = &nlu.content.articles[index];
    Outcome::from(Reply {
        text: render::article_text(&article.body, &state.memory),
        intent: Some(article.meta.id.get_ref().clone()),
        confidence,
        links: article.meta.links.clone(),
        quick_replies: article.meta.quick_replies.clone(),
        ..Reply::default()
    })
}

/// When a second article scores almost as well, offer it as a suggestion.
fn offer_close_second(turn: &Turn<'_>, best: &Scored, reply: &mut Reply) {
    let Some(second) = turn.parse.candidates.get(1) else {
        return;
    };
    if second.score >= ANSWER_THRESHOLD
        && best.score - second.score <= CLOSE_SECOND
        && let Target::Article(i) = second.target
    {
        let question = turn.nlu.content.articles[i].meta.question.get_ref().clone();
        if !reply.quick_replies.contains(&question) {
            reply.quick_replies.insert(0, question);
            reply.quick_replies.truncate(3);
        }
    }
}

/// Up to three "did you mean" questions from the candidates.
fn suggestions(turn: &Turn<'_>) -> Vec<String> {
    turn.parse
        .candidates
        .iter()
        .filter(|c| c.score >= SUGGEST_THRESHOLD)
        .filter_map(|c| suggestion_label(turn.nlu, c.target))
        .take(3)
        .collect()
}

/// The menu offered when there is nothing closer to suggest.
fn default_quick_replies() -> Vec<String> {
    vec![
        "Check my case status".to_string(),
        "What is an online account number?".to_string(),
        "Talk to a person".to_string(),
    ]
}

/// The fallback for a message about something other organizations handle: says so, and
/// offers the USCIS topics closest to it in case the person meant those.
fn elsewhere(turn: &Turn<'_>, topic: &str) -> Outcome {
    let not_ours = format!("That sounds like a question about {topic}, which I can't help with.");
    fallback_saying(
        turn,
        &format!(
            "{not_ours} I answer questions about USCIS online accounts, receipt numbers and case status."
        ),
        &format!("{not_ours} If you meant your USCIS account or case, one of these may help:"),
    )
}

fn fallback(turn: &Turn<'_>) -> Outcome {
    fallback_saying(
        turn,
        "Sorry, I didn't get that. I can help with your USCIS online account, receipt numbers and case status. Could you rephrase, or pick a topic below?",
        "Sorry, I'm not sure I understood. Did you mean one of these?",
    )
}

/// A reply that answers nothing: `alone` with the default menu, or `with_suggestions`
/// above up to three "did you mean" questions when candidates come close enough.
fn fallback_saying(turn: &Turn<'_>, alone: &str, with_suggestions: &str) -> Outcome {
    let suggestions = suggestions(turn);
    let (text, quick_replies) = if suggestions.is_empty() {
        (alone, default_quick_replies())
    } else {
        (with_suggestions, suggestions)
    };
    Outcome::from(Reply {
        text: text.to_string(),
        intent: None,
        confidence: turn.parse.candidates.first().map_or(0.0, |c| c.score),
        quick_replies,
        ..Reply::default()
    })
}

fn privacy_warning() -> Outcome {
    Outcome::from(Reply {
            text: "For your safety, please don't share your Social Security number here. I don't need it to help \
                   you, and I haven't kept it. You can ask me about your case with your receipt number instead."
                .to_string(),
            intent: None,
            confidence: 1.0,
            quick_replies: vec!["Check my case status".to_string()],
            ..Reply::default()
        })
}

/// A label for a "did you mean" button: the article's question, or the intent's first example.
fn suggestion_label(nlu: &Nlu, target: Target) -> Option<String> {
    match target {
        Target::Article(i) => Some(nlu.content.articles[i].meta.question.get_ref().clone()),
        Target::Intent(i) => {
            let def = &nlu.content.intents[i].def;
            if !def.after.is_empty() {
                return None;
            }
            def.examples
                .first()
                .map(|e| render::sentence_case(e.get_ref()))
        }
    }
}

/// The id of an intent or article.
pub fn target_id(nlu: &Nlu, target: Target) -> &str {
    match target {
        Target::Intent(i) => nlu.content.intents[i].def.id.get_ref(),
        Target::Article(i) => nlu.content.articles[i].meta.id.get_ref(),
    }
}

fn action_of(nlu: &Nlu, target: Target) -> Option<&str> {
    match target {
        Target::Intent(i) => nlu.content.intents[i]
            .def
            .action
            .as_ref()
            .map(|a| a.get_ref().as_str()),
        Target::Article(_) => None,
    }
}

fn intent_index(nlu: &Nlu, id: &str) -> Option<usize> {
    nlu.content
        .intents
        .iter()
        .position(|i| i.def.id.get_ref() == id)
}

fn intent_with_action(nlu: &Nlu, action: &str) -> Option<usize> {
    nlu.content
        .intents
        .iter()
        .position(|i| i.def.action.as_ref().is_some_and(|a| a.get_ref() == action))
}

/// Entities as sent on the wire; SSNs are never echoed.
fn wire_entities(extraction: &Extraction) -> Vec<WireEntity> {
    extraction
        .entities
        .iter()
        .filter(|e| e.kind != EntityKind::Ssn)
        .map(|e| WireEntity {
            kind: e.kind.as_str().to_string(),
            value: e.value.clone(),
            start: e.start,
            end: e.end,
            office: e.office.map(str::to_string),
            known_prefix: (e.kind == EntityKind::ReceiptNumber).then_some(e.office.is_some()),
            corrected: e.corrected,
        })
        .collect()
}
