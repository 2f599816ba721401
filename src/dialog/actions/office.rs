//! "What does the IOE prefix mean?": the office behind a receipt number's first letters.

use super::acted::{Acted, reply};
use super::case_lookup::{missing_receipt, receipts};
use crate::dialog::render;
use crate::dialog::state::DialogState;
use crate::dialog::turn::Turn;
use crate::domain::identifiers::{EntityKind, office_for_prefix, receipt_prefix};
use crate::nlu::content::Intent;

/// Names the office for the prefix of a receipt number in the message, else of a known
/// prefix typed on its own ("what does IOE mean?"), else of the receipt number remembered.
pub(super) fn answer(state: &DialogState, turn: &Turn<'_>, intent: &Intent) -> Acted {
    let of_receipt = |rn: &String| receipt_prefix(rn).to_string();
    let extraction = &turn.parse.extraction;
    let given = extraction
        .first(EntityKind::ReceiptNumber)
        .map(|e| of_receipt(&e.value));
    let prefix = given
        .or_else(|| prefix_word(turn.text))
        .or_else(|| receipts(state, extraction).first().map(of_receipt));
    let Some(prefix) = prefix else {
        return missing_receipt(turn, intent);
    };
    let text = match office_for_prefix(&prefix) {
        Some(office) => {
            let vars = vec![("prefix", prefix), ("office", office.to_string())];
            render::fill(render::pick(intent, state.turns), &vars)
        }
        None => render::fill(turn.replies().unknown_prefix(), &vec![("prefix", prefix)]),
    };
    reply(intent, text).into()
}

/// A known receipt prefix typed on its own ("what does IOE mean?").
fn prefix_word(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() == 3)
        .map(|w| w.to_ascii_uppercase())
        .find(|w| office_for_prefix(w).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_prefix_is_found_among_other_words() {
        assert_eq!(prefix_word("what does ioe mean?"), Some("IOE".into()));
        assert_eq!(prefix_word("what does the cat mean?"), None);
    }
}
