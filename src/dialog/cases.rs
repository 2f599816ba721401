//! The built-in case actions: status, history, last update, office, subscriptions and form
//! names. Each finds the receipt number in the message or the session memory, asks for it
//! when missing, and explains what is wrong when the person gave something else.

use std::time::Instant;

use super::render::{self, Vars};
use super::{DialogState, Effect, LOOKUP_WINDOW, Outcome, Turn, forms, status_guide};
use crate::nlu::content::IntentDef;
use crate::nlu::extract::{self, EntityKind, Extraction, NearMiss};
use crate::server::protocol::Reply;
use crate::store::CaseRecord;

/// Most receipt numbers answered from one message.
const MAX_PER_MESSAGE: usize = 5;

/// True when the message holds something meant as a receipt number, valid or not, or
/// another identifier given in its place.
pub(crate) fn offers_receipt_like(extraction: &Extraction) -> bool {
    !extraction.near_misses.is_empty()
        || extraction.entities.iter().any(|e| {
            matches!(
                e.kind,
                EntityKind::ReceiptNumber | EntityKind::ANumber | EntityKind::AccountNumber
            )
        })
}

/// Runs `action` for the intent at `index`.
pub(crate) async fn run(
    action: &str,
    state: &mut DialogState,
    turn: &Turn<'_>,
    index: usize,
) -> Outcome {
    let intent = &turn.nlu.content.intents[index].def;
    match action {
        "case_office" => office(state, turn, intent),
        "unsubscribe" => unsubscribe(state, turn, intent),
        "subscriptions" => subscriptions(state, intent),
        "form_info" => form_info(state, turn, intent),
        _ => with_cases(action, state, turn, intent).await,
    }
}

/// The receipt numbers a case action is about: those in the message, else the last one
/// remembered. A mistyped receipt number in the message means the person is asking about
/// that case, not the remembered one, so memory is not used then.
fn receipts(state: &DialogState, extraction: &Extraction) -> Vec<String> {
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

/// Status, history, last update and subscribe: all read the case first.
async fn with_cases(
    action: &str,
    state: &mut DialogState,
    turn: &Turn<'_>,
    intent: &IntentDef,
) -> Outcome {
    let wanted = receipts(state, &turn.parse.extraction);
    if wanted.is_empty() {
        return missing_receipt(state, turn, intent);
    }
    let mut parts = Vec::new();
    let mut effects = Vec::new();
    let mut found_any = false;
    for rn in wanted.iter().take(MAX_PER_MESSAGE) {
        if !allow_lookup(state, rn, turn.options.lookups_per_window) || !turn.cases.allow(rn) {
            parts.push(
                "You've looked up many different cases in a short time, so I've paused look-ups for this chat. \
                 Please try again in a few minutes."
                    .to_string(),
            );
            break;
        }
        match turn.cases.lookup(rn).await {
            Ok(Some(record)) => {
                found_any = true;
                if action == "subscribe" {
                    state.subscriptions.insert(rn.clone());
                    effects.push(Effect::Subscribe(rn.clone()));
                }
                let mut part = render::fill(render::pick(intent, state.turns), &case_vars(&record));
                if was_corrected(rn, &turn.parse.extraction) {
                    part.push_str(&format!(
                        "\n\n(I read some letters you typed as digits, such as the letter O as a zero, so I looked up {rn}.)"
                    ));
                }
                parts.push(part);
            }
            Ok(None) => parts.push(not_found(rn, &turn.parse.extraction)),
            Err(e) => {
                tracing::error!(error = %e, "case lookup failed");
                parts.push(
                    "I can't reach the case records right now. Please try again in a moment."
                        .to_string(),
                );
            }
        }
    }
    // Mistyped numbers next to valid ones are explained rather than skipped silently.
    for miss in &turn.parse.extraction.near_misses {
        parts.push(format!(
            "About the other number you typed: {}",
            ask_to_retype(miss)
        ));
    }
    let extra = wanted.len().saturating_sub(MAX_PER_MESSAGE);
    if extra > 0 {
        parts.push(format!(
            "I answered the first {MAX_PER_MESSAGE}; ask me about the other {extra} separately."
        ));
    }
    Outcome {
        reply: Reply {
            text: parts.join("\n\n"),
            intent: Some(intent.id.get_ref().clone()),
            quick_replies: if found_any {
                intent.quick_replies.clone()
            } else {
                vec!["Talk to a person".to_string()]
            },
            links: intent.links.clone(),
            ..Reply::default()
        },
        effects,
        ..Outcome::default()
    }
}

/// Counts a look-up of `rn` against the session's limit of distinct receipt numbers per
/// window; false when over it.
fn allow_lookup(state: &mut DialogState, rn: &str, limit: usize) -> bool {
    let now = Instant::now();
    while state
        .lookups
        .front()
        .is_some_and(|(at, _)| now.duration_since(*at) > LOOKUP_WINDOW)
    {
        state.lookups.pop_front();
    }
    if state.lookups.iter().any(|(_, r)| r == rn) {
        return true;
    }
    let distinct = {
        let mut seen: Vec<&str> = state.lookups.iter().map(|(_, r)| r.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    if distinct >= limit {
        return false;
    }
    state.lookups.push_back((now, rn.to_string()));
    true
}

fn case_vars(record: &CaseRecord) -> Vars<'static> {
    let guide = status_guide::explain(&record.status);
    let prefix = render::receipt_prefix(&record.receipt_number);
    let office = extract::office_for_prefix(prefix)
        .map(str::to_string)
        .unwrap_or_else(|| format!("office behind the prefix {prefix}, which I don't recognize"));
    let history = if record.history.is_empty() {
        format!("- {}: {}", record.updated, record.status)
    } else {
        record
            .history
            .iter()
            .map(|h| format!("- {}: {}", h.date, h.status))
            .collect::<Vec<_>>()
            .join("\n")
    };
    vec![
        ("receipt_number", record.receipt_number.clone()),
        ("form", record.form.clone()),
        ("status", record.status.clone()),
        ("updated", record.updated.clone()),
        ("office", office),
        (
            "meaning",
            guide.map_or_else(
                || {
                    "I don't have a plain-language explanation of this status; its full text on Case Status \
                     Online describes it."
                        .to_string()
                },
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

fn not_found(rn: &str, extraction: &Extraction) -> String {
    let mut text = format!(
        "I couldn't find a case with receipt number {rn}. Please check it against your receipt notice: it's three \
         letters followed by ten digits."
    );
    let typed = extraction
        .entities
        .iter()
        .find(|e| e.kind == EntityKind::ReceiptNumber && e.value == rn);
    if let Some(e) = typed {
        if e.office.is_none() {
            text.push_str(&format!(
                " Also, {} isn't a USCIS office prefix I know, so the first three letters may be mistyped.",
                render::receipt_prefix(rn)
            ));
        }
        if e.corrected {
            text.push_str(" (I read some letters as digits, such as the letter O as a zero.)");
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
fn ask_to_retype(miss: &NearMiss) -> String {
    format!("{} Could you check it and type it again?", miss.problem)
}

/// Explains what is wrong with what the person gave, or asks for the receipt number.
fn missing_receipt(state: &mut DialogState, turn: &Turn<'_>, intent: &IntentDef) -> Outcome {
    let extraction = &turn.parse.extraction;
    let explanation = if let Some(miss) = extraction.near_misses.first() {
        Some(ask_to_retype(miss))
    } else if extraction.first(EntityKind::ANumber).is_some() {
        Some(
            "That looks like an A-number (Alien Registration Number), which identifies you, not a case. To look up a \
             case I need its receipt number: three letters and ten digits, like EAC2190012345, printed on your \
             receipt notice."
                .to_string(),
        )
    } else if extraction.first(EntityKind::AccountNumber).is_some() {
        Some(
            "That looks like your USCIS online account number, which identifies your account, not a case. To look up \
             a case I need its receipt number: three letters and ten digits, like EAC2190012345."
                .to_string(),
        )
    } else {
        None
    };
    render::ask(
        state,
        intent,
        EntityKind::ReceiptNumber,
        explanation.as_deref(),
    )
}

fn office(state: &mut DialogState, turn: &Turn<'_>, intent: &IntentDef) -> Outcome {
    let prefix = receipts(state, &turn.parse.extraction)
        .first()
        .map(|rn| render::receipt_prefix(rn).to_string())
        .or_else(|| prefix_word(turn.text));
    let Some(prefix) = prefix else {
        return missing_receipt(state, turn, intent);
    };
    let text = match extract::office_for_prefix(&prefix) {
        Some(office) => {
            let vars = vec![("prefix", prefix.clone()), ("office", office.to_string())];
            render::fill(render::pick(intent, state.turns), &vars)
        }
        None => format!(
            "{prefix} isn't a USCIS office prefix I know. Check the first three letters on your receipt notice; common \
             ones are EAC, WAC, LIN, SRC, MSC, NBC, YSC and IOE."
        ),
    };
    simple(intent, text)
}

/// A known receipt prefix typed on its own ("what does IOE mean?").
fn prefix_word(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() == 3)
        .map(|w| w.to_ascii_uppercase())
        .find(|w| extract::office_for_prefix(w).is_some())
}

fn unsubscribe(state: &mut DialogState, turn: &Turn<'_>, intent: &IntentDef) -> Outcome {
    let named: Vec<String> = turn
        .parse
        .extraction
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::ReceiptNumber)
        .map(|e| e.value.clone())
        .collect();
    let dropped: Vec<String> = if named.is_empty() {
        std::mem::take(&mut state.subscriptions)
            .into_iter()
            .collect()
    } else {
        named
            .into_iter()
            .filter(|rn| state.subscriptions.remove(rn))
            .collect()
    };
    if dropped.is_empty() {
        return simple(
            intent,
            "You don't have any case notifications turned on in this chat.".to_string(),
        );
    }
    let mut outcome = simple(
        intent,
        render::fill(render::pick(intent, state.turns), &Vec::new()),
    );
    outcome.effects = dropped.into_iter().map(Effect::Unsubscribe).collect();
    outcome
}

/// Lists the cases the session follows.
fn subscriptions(state: &DialogState, intent: &IntentDef) -> Outcome {
    if state.subscriptions.is_empty() {
        let mut outcome = simple(
            intent,
            "You aren't following any case in this chat. Say **notify me about** and a receipt number to start."
                .to_string(),
        );
        outcome.reply.quick_replies = vec!["Notify me about changes".to_string()];
        return outcome;
    }
    let cases = state
        .subscriptions
        .iter()
        .map(|rn| format!("- {rn}"))
        .collect::<Vec<_>>()
        .join("\n");
    simple(
        intent,
        render::fill(render::pick(intent, state.turns), &vec![("cases", cases)]),
    )
}

fn form_info(state: &mut DialogState, turn: &Turn<'_>, intent: &IntentDef) -> Outcome {
    let form = turn
        .parse
        .extraction
        .first(EntityKind::FormNumber)
        .map(|e| e.value.clone())
        .or_else(|| state.memory.form_number.clone());
    let Some(form) = form else {
        return render::ask(state, intent, EntityKind::FormNumber, None);
    };
    let text = match forms::describe(&form) {
        Some(description) => {
            let vars = vec![
                ("form_number", form.clone()),
                ("form", description.to_string()),
            ];
            render::fill(render::pick(intent, state.turns), &vars)
        }
        None => format!(
            "I don't have details about form {form}. The USCIS forms page lists every form and its instructions."
        ),
    };
    let mut outcome = simple(intent, text);
    outcome.reply.links = vec![crate::server::protocol::Link {
        title: "USCIS forms".to_string(),
        url: "https://www.uscis.gov/forms".to_string(),
    }];
    outcome
}

fn simple(intent: &IntentDef, text: String) -> Outcome {
    Outcome::from(Reply {
        text,
        intent: Some(intent.id.get_ref().clone()),
        quick_replies: intent.quick_replies.clone(),
        links: intent.links.clone(),
        ..Reply::default()
    })
}
