//! The checks that compare languages: every intent, article and status explanation in one
//! language has its counterpart in the others, and counterparts agree on what they do.

use std::collections::HashMap;

use super::content::{Content, Diagnostic, Severity};
use super::lang::Lang;

/// Compares each language's content with English: warnings for what one language has and
/// the other lacks, errors for counterparts that disagree (another action, other slots).
pub(super) fn compare(contents: &[Content]) -> Vec<Diagnostic> {
    let Some(english) = contents.iter().find(|c| c.lang == Lang::En) else {
        return Vec::new();
    };
    let mut diags = Vec::new();
    for other in contents.iter().filter(|c| c.lang != Lang::En) {
        compare_targets(english, other, &mut diags);
        compare_targets(other, english, &mut diags);
        compare_intents(english, other, &mut diags);
        compare_statuses(english, other, &mut diags);
        compare_statuses(other, english, &mut diags);
    }
    diags
}

/// A warning at each intent or article of `from` with no counterpart in `to`.
fn compare_targets(from: &Content, to: &Content, diags: &mut Vec<Diagnostic>) {
    let folder = to.lang.folder().map_or(String::new(), |f| format!("{f}/"));
    let intents = from.intents.iter().map(|i| {
        let found = to.intent(i.def.id.get_ref()).is_some();
        ("intent", "an intent", "intents", &i.def.id, &i.path, found)
    });
    let articles = from.articles.iter().map(|a| {
        let id = a.meta.id.get_ref();
        let found = to.articles.iter().any(|b| b.meta.id.get_ref() == id);
        (
            "article",
            "an article",
            "knowledge",
            &a.meta.id,
            &a.path,
            found,
        )
    });
    for (kind, one, dir, id, path, found) in intents.chain(articles) {
        if !found {
            diags.push(from.diag_at(
                path,
                id.span().start,
                Severity::Warning,
                format!(
                    "{kind} `{}` has no {} counterpart ({one} with the same id in {dir}/{folder})",
                    id.get_ref(),
                    to.lang.name()
                ),
            ));
        }
    }
}

/// An error at each intent of `other` that does another thing than its English
/// counterpart: another action, other slots or other `after` intents.
fn compare_intents(english: &Content, other: &Content, diags: &mut Vec<Diagnostic>) {
    for intent in &other.intents {
        let Some(original) = english.intent(intent.def.id.get_ref()) else {
            continue;
        };
        let action =
            |i: &super::content::Intent| i.def.action.as_ref().map(|a| a.get_ref().clone());
        let slots = |i: &super::content::Intent| {
            i.def
                .slots
                .iter()
                .map(|s| s.entity.get_ref().clone())
                .collect::<Vec<_>>()
        };
        let mut differs = |what: &str, theirs: String, ours: String| {
            diags.push(other.diag_at(
                &intent.path,
                intent.def.id.span().start,
                Severity::Error,
                format!(
                    "intent `{}` has {what} {ours} here but {theirs} in English ({}); counterparts must do the same",
                    intent.def.id.get_ref(),
                    original.path.display()
                ),
            ));
        };
        if action(intent) != action(original) {
            differs(
                "action",
                format!("{:?}", action(original)),
                format!("{:?}", action(intent)),
            );
        }
        if slots(intent) != slots(original) {
            differs(
                "slots",
                format!("{:?}", slots(original)),
                format!("{:?}", slots(intent)),
            );
        }
        if intent.def.after != original.def.after {
            differs(
                "after",
                format!("{:?}", original.def.after),
                format!("{:?}", intent.def.after),
            );
        }
    }
}

/// A warning at each status title `from` explains and `to` does not.
fn compare_statuses(from: &Content, to: &Content, diags: &mut Vec<Diagnostic>) {
    let theirs: HashMap<&str, ()> = to.catalog.status_keys().map(|k| (k, ())).collect();
    for (status, path) in &from.catalog.statuses {
        for title in &status.titles {
            let key = super::content::status_key(title.get_ref());
            if !theirs.contains_key(key.as_str()) {
                diags.push(from.diag_at(
                    path,
                    title.span().start,
                    Severity::Warning,
                    format!(
                        "the status \"{}\" is not explained in {}",
                        title.get_ref(),
                        to.lang.name()
                    ),
                ));
            }
        }
    }
}
