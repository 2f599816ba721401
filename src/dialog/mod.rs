//! Dialog: the per-session state (memory, pending question, subscriptions) and the reply
//! pipeline, [`respond`]: a plain async function from (message, session state, content,
//! case source) to an [`Outcome`]. It needs no socket, so tests and benchmarks call it
//! directly.
//!
//! One turn runs one way:
//! 0. **language**: the chat keeps its language unless the message is clearly in another
//!    ([`crate::nlu::lang`]);
//! 1. **parse** ([`crate::nlu`]): identifiers, ranked intents and articles, another
//!    organization's topic;
//! 2. **decide** ([`decide`]): a pure function picks what answers, as a [`Decision`];
//! 3. **act** (`actions`): builds the [`Answer`], reading cases where an action needs them,
//!    and returns the effects for the server and the question left pending;
//! 4. **render** (`render`): fills response templates. Every sentence comes from the
//!    content of the chat's language: intents, articles and the replies catalog
//!    (`intents/replies.toml`).
//!
//! The [`Answer`] knows nothing of the wire: the server turns it into frames.

mod actions;
pub mod answer;
pub mod decide;
pub mod evaluate;
pub mod labelled;
mod notice;
pub mod overlap;
mod pipeline;
mod render;
pub mod state;
pub mod turn;

pub use answer::{Answer, Effect, Miss, Outcome};
pub use decide::{Decision, NEAR_TIE_MARGIN, decide, near_tie};
pub use notice::notification_text;
pub use pipeline::{respond, respond_now};
pub use state::{DialogState, Memory, Pending};
pub use turn::{CaseLookup, DialogOptions, LOOKUP_WINDOW, NoCases};
