//! The actions that read a case: status, history, last update, meaning, and following a
//! case. Each finds the receipt numbers in the message or the session memory, asks for one
//! when none is there, and explains what is wrong when the person gave something else.

use std::time::Instant;

use super::acted::{Acted, ask, reply};
use crate::dialog::answer::Effect;
use crate::dialog::render::{self, Vars};
use crate::dialog::state::DialogState;
use crate::dialog::turn::{LOOKUP_WINDOW, Turn};
use crate::domain::case::CaseRecord;
use crate::domain::identifiers::{office_for_prefix, receipt_prefix};
use crate::nlu::action::Action;
use crate::nlu::content::{Catalog, Intent};
use crate::nlu::extract::{EntityKind, Extraction, NearMiss, Problem};

/// Most receipt numbers answered from one message.
const MAX_PER_MESSAGE: usize = 5;

/// Answers `action` for every receipt number the message is about.
pub(super) async fn answer(
    action: Action,
    state: &mut DialogState,
    turn: &Turn<'_>,
    intent: &Intent,
) -> Acted {
    let extraction = &turn.parse.extraction;
    let wanted = receipts(state, extraction);
    if wanted.is_empty() {
        return missing_receipt(turn, intent);
    }
    let mut parts = Vec::new();
    let mut effects = Vec::new();
    let mut found_any = false;
    for rn in wanted.iter().take(MAX_PER_MESSAGE) {
        if !allow_lookup(state, rn, turn.options.lookups_per_window) || !turn.cases.allow(rn).await
        {
            parts.push(turn.replies().lookups_paused().to_string());
            break;
        }
        match turn.cases.lookup(rn).await {
            Ok(Some(record)) => {
                found_any = true;
                if action == Action::Subscribe {
                    effects.push(Effect::Subscribe(rn.clone()));
                }
                let vars = case_vars(turn.catalog(), &record);
                let mut part = render::fill(render::pick(intent, state.turns), &vars);
                if was_corrected(rn, extraction) {
                    part.push_str("\n\n");
                    let vars = vec![("receipt_number", rn.clone())];
                    part.push_str(&render::fill(
                        turn.replies().read_letters_as_digits(),
                        &vars,
                    ));
                }
                parts.push(part);
            }
            Ok(None) => parts.push(not_found(turn.catalog(), rn, extraction)),
            Err(e) => {
                tracing::error!(error = %e, "case lookup failed");
                parts.push(turn.replies().store_unavailable().to_string());
            }
        }
    }
    // Mistyped numbers next to valid ones are explained rather than skipped silently.
    for miss in &extraction.near_misses {
        let vars = vec![("problem", retype(turn.catalog(), miss))];
        parts.push(render::fill(turn.replies().about_the_other_number(), &vars));
    }
    let left = wanted.len().saturating_sub(MAX_PER_MESSAGE);
    if left > 0 {
        let vars = vec![
            ("answered", MAX_PER_MESSAGE.to_string()),
            ("left", left.to_string()),
        ];
        parts.push(render::fill(turn.replies().too_many_receipts(), &vars));
    }
    let mut answer = reply(intent, parts.join("\n\n"));
    if !found_any {
        answer.quick_replies = vec![turn.replies().talk_to_a_person().to_string()];
    }
    Acted {
        answer,
        effects,
        asks: None,
    }
}

/// The receipt numbers a case action is about: those in the message, else the last one
/// remembered. A mistyped receipt number in the message means the person is asking about
/// that case, not the remembered one, so memory is not used then.
pub(super) fn receipts(state: &DialogState, extraction: &Extraction) -> Vec<String> {
    let given: Vec<String> = extraction
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::ReceiptNumber)
        .map(|e| e.value.clone())
        .collect();
    if given.is_empty() && extraction.near_misses.is_empty() {
        state.memory.receipt_number.iter().cloned().collect()
    } else {
        given
    }
}

/// Counts a look-up of `rn` against the session's limit of different receipt numbers per
/// window; false when over it.
fn allow_lookup(state: &mut DialogState, rn: &str, limit: usize) -> bool {
    state
        .lookups
        .allow(rn.to_string(), limit, LOOKUP_WINDOW, Instant::now())
}

/// The placeholders a case fills in a case action's response.
fn case_vars(catalog: &Catalog, record: &CaseRecord) -> Vars<'static> {
    let guide = catalog.status(&record.status);
    let prefix = receipt_prefix(&record.receipt_number);
    let office = office_for_prefix(prefix)
        .map(str::to_string)
        .unwrap_or_else(|| {
            render::fill(
                catalog.replies().unknown_prefix_office(),
                &vec![("prefix", prefix.to_string())],
            )
        });
    let history = if record.history.is_empty() {
        format!("- {}: {}", catalog.date(&record.updated), record.status)
    } else {
        record
            .history
            .iter()
            .map(|h| format!("- {}: {}", catalog.date(&h.date), h.status))
            .collect::<Vec<_>>()
            .join("\n")
    };
    vec![
        ("receipt_number", record.receipt_number.clone()),
        ("form", record.form.clone()),
        ("status", record.status.clone()),
        ("updated", catalog.date(&record.updated)),
        ("office", office),
        (
            "meaning",
            guide.map_or_else(
                || catalog.replies().no_status_meaning().to_string(),
                |g| g.meaning.to_string(),
            ),
        ),
        (
            "next_step",
            guide.map_or_else(String::new, |g| g.next_step.to_string()),
        ),
        ("history", history),
    ]
}

fn not_found(catalog: &Catalog, rn: &str, extraction: &Extraction) -> String {
    let mut text = render::fill(
        catalog.replies().not_found(),
        &vec![("receipt_number", rn.to_string())],
    );
    let typed = extraction
        .entities
        .iter()
        .find(|e| e.kind == EntityKind::ReceiptNumber && e.value == rn);
    if let Some(e) = typed {
        if e.office.is_none() {
            text.push(' ');
            let vars = vec![("prefix", receipt_prefix(rn).to_string())];
            text.push_str(&render::fill(
                catalog.replies().not_found_unknown_prefix(),
                &vars,
            ));
        }
        if e.corrected {
            text.push(' ');
            text.push_str(catalog.replies().not_found_corrected());
        }
    }
    text
}

/// True when the person typed `rn` with letters where digits belong (O for 0, I for 1).
fn was_corrected(rn: &str, extraction: &Extraction) -> bool {
    extraction
        .entities
        .iter()
        .any(|e| e.kind == EntityKind::ReceiptNumber && e.value == rn && e.corrected)
}

/// What is wrong with a mistyped receipt number, and a request to type it again.
fn retype(catalog: &Catalog, miss: &NearMiss) -> String {
    render::fill(
        catalog.replies().retype(),
        &vec![("problem", problem_text(catalog, miss.problem))],
    )
}

/// What is wrong with a receipt-number look-alike, in the catalog's language.
fn problem_text(catalog: &Catalog, problem: Problem) -> String {
    let replies = catalog.replies();
    match problem {
        Problem::DigitsAreLetters => replies.near_miss_digits_are_letters().to_string(),
        Problem::DigitCount(total) => render::fill(
            replies.near_miss_digit_count(),
            &vec![("total", total.to_string())],
        ),
        Problem::StrayLetter => replies.near_miss_stray_letter().to_string(),
        Problem::LetterCount(letters) => render::fill(
            replies.near_miss_letter_count(),
            &vec![("letters", letters.to_string())],
        ),
        Problem::NoLetters => replies.near_miss_no_letters().to_string(),
    }
}

/// Explains what is wrong with what the person gave, or asks for the receipt number.
pub(super) fn missing_receipt(turn: &Turn<'_>, intent: &Intent) -> Acted {
    let extraction = &turn.parse.extraction;
    let replies = turn.replies();
    let explanation = if let Some(miss) = extraction.near_misses.first() {
        Some(retype(turn.catalog(), miss))
    } else if extraction.first(EntityKind::ANumber).is_some() {
        Some(replies.a_number_is_not_a_receipt().to_string())
    } else if extraction.first(EntityKind::AccountNumber).is_some() {
        Some(replies.account_number_is_not_a_receipt().to_string())
    } else {
        None
    };
    ask(
        turn,
        intent,
        EntityKind::ReceiptNumber,
        explanation.as_deref(),
    )
}
