//! Following cases: stopping notifications and listing the cases the chat follows.
//! (Starting to follow one reads the case first; see `case_lookup`.)

use super::acted::{Acted, reply};
use crate::dialog::answer::Effect;
use crate::dialog::render;
use crate::dialog::state::DialogState;
use crate::dialog::turn::Turn;
use crate::nlu::content::Intent;
use crate::nlu::extract::EntityKind;

/// Stops following the cases named in the message, or every case when none is named.
pub(super) fn stop(state: &DialogState, turn: &Turn<'_>, intent: &Intent) -> Acted {
    let named: Vec<&String> = turn
        .parse
        .extraction
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::ReceiptNumber)
        .map(|e| &e.value)
        .collect();
    let dropped: Vec<String> = if named.is_empty() {
        state.subscriptions.iter().cloned().collect()
    } else {
        named
            .into_iter()
            .filter(|rn| state.subscriptions.contains(*rn))
            .cloned()
            .collect()
    };
    if dropped.is_empty() {
        return reply(intent, turn.replies().not_following_to_stop().to_string()).into();
    }
    Acted {
        answer: reply(
            intent,
            render::fill(render::pick(intent, state.turns), &Vec::new()),
        ),
        effects: dropped.into_iter().map(Effect::Unsubscribe).collect(),
        asks: None,
    }
}

/// Lists the cases the chat follows.
pub(super) fn list(state: &DialogState, turn: &Turn<'_>, intent: &Intent) -> Acted {
    if state.subscriptions.is_empty() {
        let mut answer = reply(intent, turn.replies().not_following().to_string());
        answer.quick_replies = vec![turn.replies().notify_me().to_string()];
        return answer.into();
    }
    let cases = state
        .subscriptions
        .iter()
        .map(|rn| format!("- {rn}"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = render::fill(render::pick(intent, state.turns), &vec![("cases", cases)]);
    reply(intent, text).into()
}
