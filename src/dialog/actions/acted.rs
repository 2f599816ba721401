//! What every action returns, and the two ways most of them build it: an intent's reply
//! with a text, or a question that leaves the intent pending.

use crate::dialog::answer::{Answer, Effect};
use crate::dialog::render;
use crate::dialog::state::Pending;
use crate::dialog::turn::Turn;
use crate::nlu::content::Intent;
use crate::nlu::extract::EntityKind;

/// What acting on a decision produced.
#[derive(Debug, Default)]
pub(crate) struct Acted {
    /// The answer.
    pub answer: Answer,
    /// What the server must do.
    pub effects: Vec<Effect>,
    /// The question the answer asks, to complete on the next message.
    pub asks: Option<Pending>,
}

impl From<Answer> for Acted {
    fn from(answer: Answer) -> Self {
        Acted {
            answer,
            ..Acted::default()
        }
    }
}

/// Asks for `entity`, with `question` or the intent's own question for it, and leaves the
/// intent pending until the answer comes.
pub(super) fn ask(
    turn: &Turn<'_>,
    intent: &Intent,
    entity: EntityKind,
    question: Option<&str>,
) -> Acted {
    let text = question
        .map(str::to_string)
        .or_else(|| {
            intent
                .def
                .slots
                .iter()
                .find(|s| s.entity.get_ref() == entity.as_str())
                .map(|s| s.ask.clone())
        })
        .unwrap_or_else(|| {
            let name = turn.catalog().entity_name(entity).to_string();
            render::fill(turn.replies().ask_for_entity(), &vec![("entity", name)])
        });
    Acted {
        answer: Answer {
            text,
            intent: Some(intent.def.id.get_ref().clone()),
            ..Answer::default()
        },
        effects: Vec::new(),
        asks: Some(Pending {
            intent: intent.def.id.get_ref().clone(),
            entity,
        }),
    }
}

/// An intent's answer with `text`, its quick replies and its links.
pub(super) fn reply(intent: &Intent, text: String) -> Answer {
    Answer {
        text,
        intent: Some(intent.def.id.get_ref().clone()),
        quick_replies: intent.def.quick_replies.clone(),
        links: intent.def.links.clone(),
        ..Answer::default()
    }
}
