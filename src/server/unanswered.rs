//! Recording what went unanswered, from the chat's side: every reply gets an id, the last
//! [`RECENT_REPLIES`] of a connection are remembered (text masked, language, candidates)
//! so a `feedback` vote can name one, and fallbacks, near ties and "not helpful" votes
//! become [`UnansweredRecord`]s in the store's log. Nothing about the person is kept: no
//! session token, no address, only the masked text.

use std::collections::VecDeque;

use super::state::AppState;
use crate::dialog::{Miss, Outcome};
use crate::nlu::Language;
use crate::nlu::mask::mask_text;
use crate::store::{ScoredId, UnansweredKind, UnansweredRecord, unix_ms};

/// Replies per connection a vote can still name.
pub const RECENT_REPLIES: usize = 20;
/// Candidates kept with each record.
pub const CANDIDATES_KEPT: usize = 3;

/// One remembered reply.
struct Remembered {
    id: String,
    text: String,
    lang: String,
    candidates: Vec<ScoredId>,
    voted: bool,
}

impl Remembered {
    fn record(&self, kind: UnansweredKind) -> UnansweredRecord {
        UnansweredRecord {
            at_ms: unix_ms(std::time::SystemTime::now()),
            kind,
            lang: self.lang.clone(),
            text: self.text.clone(),
            candidates: self.candidates.clone(),
        }
    }
}

/// A vote named a reply that is not among the recent ones.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownReply;

/// The recent replies of one connection, and the ids given to them.
pub struct RecentReplies {
    prefix: String,
    next: u64,
    replies: VecDeque<Remembered>,
}

impl RecentReplies {
    /// Replies of connection number `conn`, whose ids start with it so they differ from
    /// the ids another connection of the same session gave.
    pub fn new(conn: u64) -> Self {
        RecentReplies {
            prefix: format!("{conn:x}"),
            next: 0,
            replies: VecDeque::with_capacity(RECENT_REPLIES),
        }
    }

    /// Remembers the turn that answered `text` (masked here, before it is kept): returns
    /// the reply's id, and the record to write when the turn fell back or was a near tie.
    pub fn remember(
        &mut self,
        text: &str,
        outcome: &Outcome,
        language: &Language,
    ) -> (String, Option<UnansweredRecord>) {
        self.next += 1;
        let id = format!("{}-{}", self.prefix, self.next);
        let remembered = Remembered {
            id: id.clone(),
            text: mask_text(text),
            lang: outcome.lang.code().to_string(),
            candidates: outcome
                .ranked
                .iter()
                .take(CANDIDATES_KEPT)
                .map(|c| ScoredId {
                    id: language.target_id(c.target).to_string(),
                    score: c.score,
                })
                .collect(),
            voted: false,
        };
        let record = outcome.miss.map(|miss| {
            remembered.record(match miss {
                Miss::Fallback => UnansweredKind::Fallback,
                Miss::NearTie => UnansweredKind::NearTie,
            })
        });
        if self.replies.len() == RECENT_REPLIES {
            self.replies.pop_front();
        }
        self.replies.push_back(remembered);
        (id, record)
    }

    /// Takes a vote on reply `reply_to`: the record to write for the first "not helpful"
    /// vote on it, none for a helpful or repeated vote.
    pub fn vote(
        &mut self,
        reply_to: &str,
        helpful: bool,
    ) -> Result<Option<UnansweredRecord>, UnknownReply> {
        let reply = self
            .replies
            .iter_mut()
            .find(|r| r.id == reply_to)
            .ok_or(UnknownReply)?;
        let first = !std::mem::replace(&mut reply.voted, true);
        Ok((first && !helpful).then(|| reply.record(UnansweredKind::NotHelpful)))
    }
}

/// Writes `record` to the store's log, when it has one; a failure is logged, never shown
/// to the person.
pub async fn write(state: &AppState, record: UnansweredRecord) {
    let Some(log) = state.unanswered() else {
        return;
    };
    if let Err(e) = log.record(record).await {
        tracing::warn!(error = %e, "could not record an unanswered message");
    }
}

/// Drops the records older than the configured retention; run by the periodic sweep.
pub async fn sweep(state: &AppState, now: std::time::SystemTime) {
    let Some(log) = state.unanswered() else {
        return;
    };
    let before =
        unix_ms(now).saturating_sub(state.config().unanswered_retention().as_millis() as u64);
    match log.sweep(before).await {
        Ok(0) => {}
        Ok(dropped) => tracing::debug!(dropped, "old unanswered records dropped"),
        Err(e) => tracing::warn!(error = %e, "could not sweep the unanswered records"),
    }
}
