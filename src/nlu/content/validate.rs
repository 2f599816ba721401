//! The checks `casebot check` runs that the serde models cannot express: ids,
//! placeholders, regexes, references, duplicate utterances, `[[elsewhere]]` tables.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::{
    ARTICLE_VARS, Article, Content, Diagnostic, GLOBAL_VARS, Intent, Severity, line_col,
    placeholder_offsets, placeholders,
};
use crate::nlu::action::Action;
use crate::nlu::lang::Lang;

impl Content {
    /// Checks what the serde models cannot: ids, placeholders, regexes, references.
    pub(super) fn validate(&self) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let mut ids: HashMap<String, (PathBuf, usize)> = HashMap::new();
        let mut claim_id = |id: &Spanned<String>, path: &Path, diags: &mut Vec<Diagnostic>| {
            if id.get_ref().trim().is_empty() {
                diags.push(self.diag_at(
                    path,
                    id.span().start,
                    Severity::Error,
                    "the id is empty".into(),
                ));
            } else if let Some((other, at)) = ids.get(id.get_ref()) {
                let (line, _) = self.sources.get(other).map_or((0, 0), |t| line_col(t, *at));
                diags.push(self.diag_at(
                    path,
                    id.span().start,
                    Severity::Error,
                    format!(
                        "duplicate id `{}` (also at {}:{line})",
                        id.get_ref(),
                        other.display()
                    ),
                ));
            } else {
                ids.insert(id.get_ref().clone(), (path.to_path_buf(), id.span().start));
            }
        };
        for intent in &self.intents {
            claim_id(&intent.def.id, &intent.path, &mut diags);
        }
        for article in &self.articles {
            claim_id(&article.meta.id, &article.path, &mut diags);
        }
        let intent_ids: Vec<&str> = self
            .intents
            .iter()
            .map(|i| i.def.id.get_ref().as_str())
            .collect();
        for intent in &self.intents {
            diags.extend(self.validate_intent(intent, &intent_ids));
        }
        for article in &self.articles {
            diags.extend(self.validate_article(article));
        }
        diags.extend(self.duplicate_utterances());
        diags.extend(self.validate_elsewhere());
        diags.extend(self.validate_languages());
        diags.extend(self.validate_catalog());
        diags
    }

    /// An intent or article that says it is in another language than its folder's.
    fn validate_languages(&self) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let declared = self
            .intents
            .iter()
            .map(|i| (&i.def.lang, &i.path))
            .chain(self.articles.iter().map(|a| (&a.meta.lang, &a.path)));
        for (lang, path) in declared {
            let Some(lang) = lang else { continue };
            if Lang::from_code(lang.get_ref()) == Some(self.lang) {
                continue;
            }
            let message = match Lang::from_code(lang.get_ref()) {
                None => format!(
                    "unknown language `{}`; casebot speaks {}",
                    lang.get_ref(),
                    Lang::ALL.map(|l| format!("`{}`", l.code())).join(" and ")
                ),
                Some(other) => format!(
                    "this is {} content in the {} folder; {} content goes in {}",
                    other.name(),
                    self.lang.name(),
                    other.name(),
                    other
                        .folder()
                        .map_or("the top-level folders".to_string(), |f| {
                            format!("intents/{f}/ and knowledge/{f}/")
                        })
                ),
            };
            diags.push(self.diag_at(path, lang.span().start, Severity::Error, message));
        }
        diags
    }

    /// The replies catalog: present, every placeholder one casebot fills, a description
    /// of every form casebot knows and of no other.
    fn validate_catalog(&self) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let missing = |table: &str| Diagnostic {
            path: self.intents_folder.clone(),
            line: 1,
            col: 1,
            severity: Severity::Error,
            message: format!(
                "no {table} table among the {} intent files; every language needs the sentences of intents/replies.toml (copy it and translate it)",
                self.lang.name()
            ),
        };
        match &self.catalog.replies {
            None => diags.push(missing("[replies]")),
            Some((replies, path)) => {
                for (key, sentence, allowed) in replies.sentences() {
                    if sentence.get_ref().trim().is_empty() {
                        diags.push(self.diag_at(
                            path,
                            sentence.span().start,
                            Severity::Error,
                            format!("`{key}` is empty"),
                        ));
                    }
                    for name in placeholders(sentence.get_ref()) {
                        if !allowed.contains(&name) {
                            let known = if allowed.is_empty() {
                                "it has none".to_string()
                            } else {
                                allowed
                                    .iter()
                                    .map(|v| format!("{{{v}}}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            };
                            diags.push(self.diag_at(
                                path,
                                sentence.span().start,
                                Severity::Error,
                                format!(
                                    "placeholder `{{{name}}}` is not filled in `{key}`; {known}"
                                ),
                            ));
                        }
                    }
                }
                if replies.starter_menu.is_empty() {
                    diags.push(self.diag_at(
                        path,
                        0,
                        Severity::Error,
                        "`starter_menu` is empty".into(),
                    ));
                }
            }
        }
        if self.catalog.entity_names.is_none() {
            diags.push(missing("[entity_names]"));
        }
        for (number, (title, path)) in &self.catalog.forms {
            if crate::domain::forms::find(number).is_none_or(|f| f.number != number) {
                diags.push(self.diag_at(
                    path,
                    title.span().start,
                    Severity::Error,
                    format!(
                        "form `{number}` is not in casebot's forms table; write form numbers as casebot does (I-130, N-400)"
                    ),
                ));
            }
        }
        if let Some((_, path)) = &self.catalog.replies {
            for form in crate::domain::forms::FORMS {
                if !self.catalog.forms.contains_key(form.number) {
                    diags.push(self.diag_at(
                        path,
                        0,
                        Severity::Error,
                        format!("[forms] does not say what form {} is", form.number),
                    ));
                }
            }
        }
        if let Some((dates, path)) = &self.catalog.dates {
            if dates.months.len() != 12 {
                diags.push(self.diag_at(
                    path,
                    dates.format.span().start,
                    Severity::Error,
                    format!(
                        "[dates] names {} months; it needs the 12, January first",
                        dates.months.len()
                    ),
                ));
            }
            for name in placeholders(dates.format.get_ref()) {
                if !["day", "month", "year"].contains(&name) {
                    diags.push(self.diag_at(
                        path,
                        dates.format.span().start,
                        Severity::Error,
                        format!(
                            "placeholder `{{{name}}}` is not filled in a date; use {{day}}, {{month}} and {{year}}"
                        ),
                    ));
                }
            }
        }
        for (status, path) in &self.catalog.statuses {
            for text in [&status.meaning, &status.next_step] {
                if text.get_ref().trim().is_empty() {
                    diags.push(self.diag_at(
                        path,
                        text.span().start,
                        Severity::Error,
                        "the status explanation is empty".into(),
                    ));
                }
            }
        }
        diags
    }

    /// `[[elsewhere]]` tables need a topic and names, and a name may belong to one only;
    /// domain words must say something.
    fn validate_elsewhere(&self) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let mut err = |path: &Path, at: usize, message: String| {
            diags.push(self.diag_at(path, at, Severity::Error, message))
        };
        let mut seen: HashMap<String, (&Path, usize)> = HashMap::new();
        for group in &self.elsewhere {
            let (def, path) = (&group.def, group.path.as_path());
            let topic = def.topic.get_ref();
            if topic.trim().is_empty() {
                err(path, def.topic.span().start, "the topic is empty".into());
            }
            if def.names.is_empty() {
                err(
                    path,
                    def.topic.span().start,
                    format!("`{topic}` has no names, so no message can name it"),
                );
            }
            for name in &def.names {
                let key = crate::nlu::normalize::joined_words(name.get_ref(), &Default::default());
                if key.trim().is_empty() {
                    err(path, name.span().start, "the name is empty".into());
                } else if let Some((other, at)) = seen.get(&key) {
                    let (line, _) = self
                        .sources
                        .get(*other)
                        .map_or((0, 0), |t| line_col(t, *at));
                    err(
                        path,
                        name.span().start,
                        format!(
                            "`{}` is named twice (also at {}:{line}); keep it in one place",
                            name.get_ref(),
                            other.display()
                        ),
                    );
                } else {
                    seen.insert(key, (path, name.span().start));
                }
            }
        }
        for word in &self.domain_words {
            if word.word.get_ref().trim().is_empty() {
                err(
                    &word.path,
                    word.word.span().start,
                    "the domain word is empty".into(),
                );
            }
        }
        diags
    }

    fn validate_intent(&self, intent: &Intent, intent_ids: &[&str]) -> Vec<Diagnostic> {
        let def = &intent.def;
        let path = &intent.path;
        let at = def.id.span().start;
        let mut diags = Vec::new();
        let mut err = |span: usize, message: String| {
            diags.push(self.diag_at(path, span, Severity::Error, message))
        };
        if def.examples.is_empty() && def.patterns.is_empty() && def.keywords.is_empty() {
            err(
                at,
                format!(
                    "intent `{}` has no examples, patterns or keywords, so nothing can match it",
                    def.id.get_ref()
                ),
            );
        }
        let action_vars: &[&str] = match &def.action {
            None => &[],
            Some(action) => match Action::from_name(action.get_ref()) {
                Some(known) => known.placeholders(),
                None => {
                    let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                    err(
                        action.span().start,
                        format!(
                            "unknown action `{}`; known actions: {}",
                            action.get_ref(),
                            names.join(", ")
                        ),
                    );
                    &[]
                }
            },
        };
        if def.responses.is_empty() && def.action.is_none() {
            err(
                at,
                format!("intent `{}` has no responses", def.id.get_ref()),
            );
        }
        for slot in &def.slots {
            if crate::nlu::extract::EntityKind::from_name(slot.entity.get_ref()).is_none() {
                err(
                    slot.entity.span().start,
                    format!(
                        "unknown entity `{}` in slot; use one of {}",
                        slot.entity.get_ref(),
                        crate::nlu::extract::EntityKind::ALL
                            .map(|k| k.as_str())
                            .join(", ")
                    ),
                );
            }
        }
        for response in &def.responses {
            for name in placeholders(response.get_ref()) {
                let filled = GLOBAL_VARS.contains(&name)
                    || action_vars.contains(&name)
                    || def.slots.iter().any(|s| s.entity.get_ref() == name);
                if !filled {
                    err(
                        response.span().start,
                        format!(
                            "placeholder `{{{name}}}` is not filled by any slot or by the intent's action"
                        ),
                    );
                }
            }
        }
        for pattern in &def.patterns {
            if let Err(e) = regex::Regex::new(pattern.get_ref()) {
                let first = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                err(pattern.span().start, format!("invalid regex: {first}"));
            }
        }
        for (phrase, weight) in &def.keywords {
            if !(0.0..=1.0).contains(weight) {
                err(
                    at,
                    format!("keyword `{phrase}` has weight {weight}; weights go from 0 to 1"),
                );
            }
        }
        for after in &def.after {
            if !intent_ids.contains(&after.as_str()) {
                err(
                    at,
                    format!("`after` names `{after}`, which is not an intent id"),
                );
            }
        }
        for link in &def.links {
            if !(link.url.starts_with("https://") || link.url.starts_with("http://")) {
                err(
                    at,
                    format!("link `{}` needs an absolute http(s) URL", link.title),
                );
            }
        }
        diags
    }

    fn validate_article(&self, article: &Article) -> Vec<Diagnostic> {
        let meta = &article.meta;
        let mut diags = Vec::new();
        let at = meta.id.span().start;
        if meta.question.get_ref().trim().is_empty() {
            diags.push(self.diag_at(
                &article.path,
                meta.question.span().start,
                Severity::Error,
                "the question is empty".into(),
            ));
        }
        if article.body.trim().is_empty() {
            diags.push(self.diag_at(
                &article.path,
                self.sources.get(&article.path).map_or(0, |t| t.len()),
                Severity::Error,
                "the article has no answer text after the front matter".into(),
            ));
        }
        for (at, name) in placeholder_offsets(&article.body) {
            if !ARTICLE_VARS.contains(&name) {
                diags.push(self.diag_at(
                    &article.path,
                    article.body_offset + at,
                    Severity::Error,
                    format!(
                        "placeholder `{{{name}}}` is not known in an article; use one of {}",
                        ARTICLE_VARS
                            .iter()
                            .map(|v| format!("{{{v}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let words = article.body.split_whitespace().count();
        if words > 150 {
            diags.push(self.diag_at(
                &article.path,
                at,
                Severity::Warning,
                format!("the answer has {words} words; keep answers under about 120 words"),
            ));
        }
        for link in &meta.links {
            if !(link.url.starts_with("https://") || link.url.starts_with("http://")) {
                diags.push(self.diag_at(
                    &article.path,
                    at,
                    Severity::Error,
                    format!("link `{}` needs an absolute http(s) URL", link.title),
                ));
            }
        }
        diags
    }

    /// The same utterance under two different intents or articles is an error: the matcher
    /// cannot honour both. The message names the one listed first, where it is.
    fn duplicate_utterances(&self) -> Vec<Diagnostic> {
        let mut seen: HashMap<String, (&str, &Path, &Spanned<String>)> = HashMap::new();
        let mut diags = Vec::new();
        for (id, path, utterance) in self.utterances() {
            let key = crate::nlu::normalize::fold_for_compare(utterance.get_ref());
            match seen.get(&key) {
                Some((owner, first_path, first)) if *owner != id => {
                    let (line, col) = self
                        .sources
                        .get(*first_path)
                        .map_or((0, 0), |t| line_col(t, first.span().start));
                    diags.push(self.diag_at(
                        path,
                        utterance.span().start,
                        Severity::Error,
                        format!(
                            "\"{}\" is also an example of `{owner}`: \"{}\" at {}:{line}:{col}; keep it under one intent or article",
                            utterance.get_ref(),
                            first.get_ref(),
                            first_path.display()
                        ),
                    ))
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (id, path, utterance));
                }
            }
        }
        diags
    }
}
