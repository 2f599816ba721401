//! "What is form I-130?": what a form is for, from the forms table.

use super::acted::{Acted, ask, reply};
use crate::dialog::render;
use crate::dialog::state::DialogState;
use crate::dialog::turn::Turn;
use crate::nlu::content::Intent;
use crate::nlu::extract::EntityKind;

/// Describes the form named in the message or remembered, or asks which form.
pub(super) fn answer(state: &DialogState, turn: &Turn<'_>, intent: &Intent) -> Acted {
    let form = turn
        .parse
        .extraction
        .first(EntityKind::FormNumber)
        .map(|e| e.value.clone())
        .or_else(|| state.memory.form_number.clone());
    let Some(form) = form else {
        return ask(turn, intent, EntityKind::FormNumber, None);
    };
    let text = match turn.catalog().form_title(&form) {
        Some(title) => {
            let vars = vec![("form", title.to_string()), ("form_number", form)];
            render::fill(render::pick(intent, state.turns), &vars)
        }
        None => render::fill(turn.replies().unknown_form(), &vec![("form_number", form)]),
    };
    let mut answer = reply(intent, text);
    answer.links = vec![turn.replies().forms_link.clone()];
    answer.into()
}
