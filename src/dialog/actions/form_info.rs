//! "What is form I-130?": what a form is for, from the forms table.

use super::acted::{Acted, ask, reply};
use crate::dialog::phrases;
use crate::dialog::render;
use crate::dialog::state::DialogState;
use crate::dialog::turn::Turn;
use crate::domain::Link;
use crate::domain::forms;
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
        return ask(intent, EntityKind::FormNumber, None);
    };
    let text = match forms::find(&form) {
        Some(known) => {
            let vars = vec![("form_number", form), ("form", known.title.to_string())];
            render::fill(render::pick(intent, state.turns), &vars)
        }
        None => render::fill(phrases::UNKNOWN_FORM, &vec![("form_number", form)]),
    };
    let mut answer = reply(intent, text);
    let (title, url) = phrases::FORMS_LINK;
    answer.links = vec![Link {
        title: title.to_string(),
        url: url.to_string(),
    }];
    answer.into()
}
