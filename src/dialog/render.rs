//! Filling response templates: picking a variant and filling its placeholders. Templates
//! only: no decisions, no state changes.

use super::state::Memory;
use crate::domain::identifiers::{office_for_prefix, receipt_prefix};
use crate::nlu::content::{Intent, placeholders};

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
                let value = vars
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or_default();
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

/// An article's answer for this session: see [`fill_known_lines`].
pub(crate) fn article_text(body: &str, memory: &Memory) -> String {
    if body.contains('{') {
        fill_known_lines(body, &memory_vars(memory))
    } else {
        body.to_string()
    }
}

/// Fills an article's answer: a line whose placeholders are all known gets their values; a
/// line with a placeholder casebot does not know yet is left out, so authors can add
/// personal lines ("Yours, {prefix}, is the {office}.") to a general answer.
fn fill_known_lines(body: &str, vars: &Vars<'_>) -> String {
    let mut out = String::with_capacity(body.len() + 32);
    let mut blank_run = 0;
    for line in body.lines() {
        let known = placeholders(line).all(|name| vars.iter().any(|(n, _)| *n == name));
        if !known {
            continue;
        }
        // Dropping a paragraph must not leave two blank lines in a row.
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(&fill(line, vars));
        out.push('\n');
    }
    out.trim().to_string()
}

/// Values the session memory gives article placeholders (see `ARTICLE_VARS`).
fn memory_vars(memory: &Memory) -> Vars<'static> {
    let mut vars = Vars::new();
    if let Some(rn) = &memory.receipt_number {
        let prefix = receipt_prefix(rn);
        if let Some(office) = office_for_prefix(prefix) {
            vars.push(("office", office.to_string()));
        }
        vars.push(("prefix", prefix.to_string()));
        vars.push(("receipt_number", rn.clone()));
    }
    for (name, value) in [
        ("a_number", &memory.a_number),
        ("account_number", &memory.account_number),
        ("form_number", &memory.form_number),
    ] {
        if let Some(v) = value {
            vars.push((name, v.clone()));
        }
    }
    vars
}

/// The response variant for this turn (variants rotate through a session).
pub(crate) fn pick(intent: &Intent, turns: u64) -> &str {
    let responses = &intent.def.responses;
    match responses.len() {
        0 => "",
        n => responses[(turns as usize).wrapping_sub(1) % n].get_ref(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_lines_with_unknown_placeholders_are_left_out() {
        let body = "General.\n\nYours is {prefix}.\n\nMore.";
        assert_eq!(fill_known_lines(body, &Vec::new()), "General.\n\nMore.");
        assert_eq!(
            fill_known_lines(body, &vec![("prefix", "EAC".to_string())]),
            "General.\n\nYours is EAC.\n\nMore."
        );
        assert_eq!(fill_known_lines("End.\n\n{office}", &Vec::new()), "End.");
    }

    #[test]
    fn a_full_memory_fills_every_article_placeholder() {
        let memory = Memory {
            receipt_number: Some("EAC2190012345".into()),
            a_number: Some("A012345678".into()),
            account_number: Some("123456789012".into()),
            form_number: Some("I-130".into()),
        };
        let mut filled: Vec<&str> = memory_vars(&memory).iter().map(|(n, _)| *n).collect();
        let mut known = crate::nlu::content::ARTICLE_VARS.to_vec();
        filled.sort_unstable();
        known.sort_unstable();
        assert_eq!(filled, known);
    }

    #[test]
    fn fills_known_placeholders_and_keeps_others() {
        let vars = vec![("form", "I-130".to_string())];
        assert_eq!(
            fill("Your {form} is {status}.", &vars),
            "Your I-130 is {status}."
        );
        assert_eq!(fill("{ {form}", &vars), "{ I-130");
    }
}
