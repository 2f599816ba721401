//! What one turn produces, before any wire format: the answer a person reads, what the
//! server must do besides sending it, and what the parse found (for the protocol's
//! `entities` and `debug` fields). The server turns these into frames.

use crate::domain::Link;
use crate::nlu::Scored;
use crate::nlu::extract::Entity;

/// The assistant's answer to one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    /// The text, in Markdown (bold, lists, links).
    pub text: String,
    /// Id of the intent or article that answered; `None` for fallbacks.
    pub intent: Option<String>,
    /// How sure the assistant is, 0 to 1.
    pub confidence: f32,
    /// Suggested next messages.
    pub quick_replies: Vec<String>,
    /// Links shown under the answer.
    pub links: Vec<Link>,
}

/// Something the server must do after a turn, beyond sending the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start sending notifications about this case to the session.
    Subscribe(String),
    /// Stop sending notifications about this case to the session.
    Unsubscribe(String),
    /// The person asked to talk to a person: the server hands the chat to a live agent when
    /// one is online, and otherwise sends the answer as it is (the contact center).
    TalkToPerson,
}

/// Why a turn is worth an FAQ author's look: the assistant did not know, or hesitated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// Nothing answered well enough: the fallback reply (with or without "did you mean").
    Fallback,
    /// The best candidate answered, but the second came within a near tie of it.
    NearTie,
}

/// The result of one turn.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The answer.
    pub answer: Answer,
    /// The language it is in.
    pub lang: crate::nlu::Lang,
    /// What the server must do.
    pub effects: Vec<Effect>,
    /// Identifiers found in the message (SSNs included: the server must not echo them).
    pub entities: Vec<Entity>,
    /// The ranked candidates, for replies that asked for `debug`.
    pub ranked: Vec<Scored>,
    /// Set when the turn fell back or answered a near tie.
    pub miss: Option<Miss>,
}
