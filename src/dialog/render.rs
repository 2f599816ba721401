//! Filling response templates: picking a variant, slots, placeholders.

use super::{DialogState, Outcome, Pending, Turn};
use crate::nlu::content::IntentDef;
use crate::nlu::extract::EntityKind;
use crate::server::protocol::Reply;

/// Values for `{placeholders}`.
pub(crate) type Vars<'a> = Vec<(&'a str, String)>;

/// Replaces each `{name}` in `template` with its value; unknown names stay as written.
pub(crate) fn fill(template: &str, vars: &Vars<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if vars.iter().any(|(n, _)| *n == name) => {
                let value = vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or_default();
                out.push_str(value);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The response variant for this turn (variants rotate through a session).
pub(crate) fn pick(intent: &IntentDef, turns: u64) -> &str {
    match intent.responses.len() {
        0 => "",
        n => intent.responses[(turns as usize).wrapping_sub(1) % n].get_ref(),
    }
}

/// "what is form i-130" → "What is form i-130".
pub(crate) fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Asks for a missing slot and remembers what to complete when the answer comes.
pub(crate) fn ask(state: &mut DialogState, intent: &IntentDef, entity: EntityKind, question: Option<&str>) -> Outcome {
    let ask = question
        .map(str::to_string)
        .or_else(|| intent.slots.iter().find(|s| s.entity.get_ref() == entity.as_str()).map(|s| s.ask.clone()))
        .unwrap_or_else(|| format!("Could you give me the {}?", entity.as_str().replace('_', " ")));
    state.pending = Some(Pending { intent: intent.id.get_ref().clone(), entity });
    Outcome {
        reply: Reply { text: ask, intent: Some(intent.id.get_ref().clone()), ..Reply::default() },
        effects: Vec::new(),
        ranked: Vec::new(),
    }
}

/// A plain intent's reply: slots from the message or memory, then the template.
pub(crate) fn intent_reply(state: &mut DialogState, turn: &Turn<'_>, intent: &IntentDef) -> Outcome {
    let mut vars: Vars<'_> = Vec::new();
    for slot in &intent.slots {
        let Some(kind) = EntityKind::from_name(slot.entity.get_ref()) else { continue };
        let from_message = turn.parse.extraction.first(kind).map(|e| e.value.clone());
        let value = if slot.remember { from_message.or_else(|| state.memory.get(kind).cloned()) } else { from_message };
        match value {
            Some(v) => vars.push((slot_name(kind), v)),
            None => return ask(state, intent, kind, Some(&slot.ask)),
        }
    }
    for kind in [EntityKind::ReceiptNumber, EntityKind::ANumber, EntityKind::AccountNumber, EntityKind::FormNumber] {
        if let Some(v) = state.memory.get(kind)
            && !vars.iter().any(|(n, _)| *n == slot_name(kind))
        {
            vars.push((slot_name(kind), v.clone()));
        }
    }
    Outcome {
        reply: Reply {
            text: fill(pick(intent, state.turns), &vars),
            intent: Some(intent.id.get_ref().clone()),
            quick_replies: intent.quick_replies.clone(),
            links: intent.links.clone(),
            ..Reply::default()
        },
        effects: Vec::new(),
        ranked: Vec::new(),
    }
}

fn slot_name(kind: EntityKind) -> &'static str {
    kind.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_placeholders_and_keeps_others() {
        let vars = vec![("form", "I-130".to_string())];
        assert_eq!(fill("Your {form} is {status}.", &vars), "Your I-130 is {status}.");
        assert_eq!(fill("{ {form}", &vars), "{ I-130");
    }
}
