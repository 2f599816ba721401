//! The content files FAQ authors edit, their serde models, loading, and the checks that
//! `casebot check` and hot reload run on them.
//!
//! * `intents/*.toml`: `[[intent]]` tables (see docs/authoring.md).
//! * `intents/synonyms.toml`: `[synonyms]` canonical word = list of variants.
//! * `intents/elsewhere.toml` (any intent file may hold them): `[[elsewhere]]` tables naming
//!   what other organizations handle, and `domain_words` that tie a message to USCIS.
//! * `knowledge/*.md`: one article each, TOML front matter between `+++` lines, then the
//!   answer in Markdown.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::action::Action;
use crate::domain::Link;

/// Placeholders every template may use.
pub const GLOBAL_VARS: &[&str] = &[
    "receipt_number",
    "a_number",
    "account_number",
    "form_number",
];

/// Placeholders an article's answer may use, filled from what the person said earlier in
/// the chat. A line holding a placeholder whose value is not known is left out of the answer.
pub const ARTICLE_VARS: &[&str] = &[
    "receipt_number",
    "prefix",
    "office",
    "a_number",
    "account_number",
    "form_number",
];

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth fixing; does not stop loading.
    Warning,
    /// The content cannot be used until it is fixed.
    Error,
}

/// A problem in a content file, printed as `path:line:col: severity: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File the problem is in.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {level}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// A slot: an entity an intent needs, and the question to ask when it is missing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotDef {
    /// Entity kind (`receipt_number`, `a_number`, `account_number`, `form_number`, ...).
    pub entity: Spanned<String>,
    /// Question asked when the message and the session memory lack it.
    pub ask: String,
    /// Whether an earlier value from the session may fill it (default true).
    #[serde(default = "yes")]
    pub remember: bool,
}

fn yes() -> bool {
    true
}

fn english() -> String {
    "en".to_string()
}

/// One intent as written in an intent file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentDef {
    /// Unique id, also the `intent` field of replies.
    pub id: Spanned<String>,
    /// Language code of the examples and responses.
    #[serde(default = "english")]
    pub lang: String,
    /// Example utterances in the words people use.
    #[serde(default)]
    pub examples: Vec<Spanned<String>>,
    /// Phrases that, when present, raise the score by the given weight (0 to 1).
    #[serde(default)]
    pub keywords: BTreeMap<String, f32>,
    /// Regular expressions (over the lower-cased message) that count as a strong match.
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    /// Entities the intent needs.
    #[serde(default)]
    pub slots: Vec<SlotDef>,
    /// Response templates; one is picked per reply. Placeholders: `{receipt_number}`, ...
    #[serde(default)]
    pub responses: Vec<Spanned<String>>,
    /// Suggested next messages.
    #[serde(default)]
    pub quick_replies: Vec<String>,
    /// Links shown under the answer.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Only eligible right after one of these intents (follow-ups).
    #[serde(default)]
    pub after: Vec<String>,
    /// Built-in dialog action run to build the reply (see [`Action`]).
    #[serde(default)]
    pub action: Option<Spanned<String>>,
    /// Utterances that must land on this intent (`casebot test`).
    #[serde(default)]
    pub tests: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IntentFile {
    #[serde(default)]
    intent: Vec<IntentDef>,
    #[serde(default)]
    elsewhere: Vec<ElsewhereDef>,
    #[serde(default)]
    domain_words: Vec<Spanned<String>>,
}

/// Something other organizations or companies handle, as written in an `[[elsewhere]]`
/// table: a message that names it is told casebot can't help with it, instead of getting
/// the nearest USCIS answer ("reset my gmail password" is not about the USCIS password).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElsewhereDef {
    /// What it is, as the reply names it ("email and social media accounts").
    pub topic: Spanned<String>,
    /// Words and phrases that name it ("gmail", "apple id"), matched on whole words.
    pub names: Vec<Spanned<String>>,
}

/// An `[[elsewhere]]` table and the file it came from.
#[derive(Debug, Clone)]
pub struct Elsewhere {
    /// As written.
    pub def: ElsewhereDef,
    /// File it came from.
    pub path: PathBuf,
}

/// A `domain_words` entry: a word or phrase that makes a message about USCIS even when it
/// also names something [`Elsewhere`] ("I lost my passport and my green card").
#[derive(Debug, Clone)]
pub struct DomainWord {
    /// As written.
    pub word: Spanned<String>,
    /// File it came from.
    pub path: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymFile {
    #[serde(default)]
    synonyms: BTreeMap<String, Vec<String>>,
}

/// Front matter of a knowledge article.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleMeta {
    /// Unique id, also the `intent` field of replies it answers.
    pub id: Spanned<String>,
    /// The canonical question, shown as a "did you mean" suggestion.
    pub question: Spanned<String>,
    /// Other ways people ask it.
    #[serde(default)]
    pub alternatives: Vec<Spanned<String>>,
    /// Topic words.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Phrases that, when present, raise the score by the given weight (0 to 1).
    #[serde(default)]
    pub keywords: BTreeMap<String, f32>,
    /// Links shown under the answer (official pages).
    #[serde(default)]
    pub links: Vec<Link>,
    /// Suggested next messages.
    #[serde(default)]
    pub quick_replies: Vec<String>,
    /// Language code.
    #[serde(default = "english")]
    pub lang: String,
    /// Questions that must land on this article (`casebot test`).
    #[serde(default)]
    pub tests: Vec<Spanned<String>>,
}

/// A knowledge article.
#[derive(Debug, Clone)]
pub struct Article {
    /// Its front matter.
    pub meta: ArticleMeta,
    /// The answer, Markdown.
    pub body: String,
    /// Byte offset of the answer in its file (for diagnostics).
    pub body_offset: usize,
    /// File it came from.
    pub path: PathBuf,
}

/// An intent and the file it came from.
#[derive(Debug, Clone)]
pub struct Intent {
    /// As written.
    pub def: IntentDef,
    /// The built-in action it names, when the name is known (an unknown one is an error).
    pub action: Option<Action>,
    /// File it came from.
    pub path: PathBuf,
}

/// All content of one version of the folders.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// Intents, in file and table order.
    pub intents: Vec<Intent>,
    /// Articles, in file-name order.
    pub articles: Vec<Article>,
    /// Canonical word → variants (from `intents/synonyms.toml`).
    pub synonyms: BTreeMap<String, Vec<String>>,
    /// What other organizations handle, in file and table order.
    pub elsewhere: Vec<Elsewhere>,
    /// Words that tie a message to USCIS.
    pub domain_words: Vec<DomainWord>,
    /// Text of every file, kept to turn byte spans into line:col.
    sources: HashMap<PathBuf, String>,
}

/// Turns byte offset `at` in `text` into a 1-based line and column.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..text.floor_char_boundary(at)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Content {
    /// Reads and parses both folders. Returns the content with its warnings, or every error.
    pub fn load(
        intents: &Path,
        knowledge: &Path,
    ) -> Result<(Content, Vec<Diagnostic>), Vec<Diagnostic>> {
        let mut content = Content::default();
        let mut diags = Vec::new();
        for path in list_files(intents, "toml", &mut diags) {
            let Some(text) = read(&path, &mut diags) else {
                continue;
            };
            if path.file_name().is_some_and(|n| n == "synonyms.toml") {
                match toml::from_str::<SynonymFile>(&text) {
                    Ok(file) => content.synonyms.extend(file.synonyms),
                    Err(e) => diags.push(toml_error(&path, &text, 0, &e)),
                }
            } else {
                match toml::from_str::<IntentFile>(&text) {
                    Ok(file) => {
                        let with_path = |def: IntentDef| Intent {
                            action: def
                                .action
                                .as_ref()
                                .and_then(|a| Action::from_name(a.get_ref())),
                            def,
                            path: path.clone(),
                        };
                        content
                            .intents
                            .extend(file.intent.into_iter().map(with_path));
                        content
                            .elsewhere
                            .extend(file.elsewhere.into_iter().map(|def| Elsewhere {
                                def,
                                path: path.clone(),
                            }));
                        content
                            .domain_words
                            .extend(file.domain_words.into_iter().map(|word| DomainWord {
                                word,
                                path: path.clone(),
                            }));
                    }
                    Err(e) => diags.push(toml_error(&path, &text, 0, &e)),
                }
            }
            content.sources.insert(path, text);
        }
        for path in list_files(knowledge, "md", &mut diags) {
            let Some(text) = read(&path, &mut diags) else {
                continue;
            };
            match parse_article(&path, &text) {
                Ok(article) => content.articles.push(article),
                Err(d) => diags.push(d),
            }
            content.sources.insert(path, text);
        }
        diags.extend(content.validate());
        if diags.iter().any(|d| d.severity == Severity::Error) {
            diags.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
            return Err(diags);
        }
        Ok((content, diags))
    }

    /// A diagnostic at byte `span_start` of `path`.
    pub fn diag_at(
        &self,
        path: &Path,
        span_start: usize,
        severity: Severity,
        message: String,
    ) -> Diagnostic {
        let (line, col) = self
            .sources
            .get(path)
            .map_or((1, 1), |text| line_col(text, span_start));
        Diagnostic {
            path: path.to_path_buf(),
            line,
            col,
            severity,
            message,
        }
    }

    /// Checks what the serde models cannot: ids, placeholders, regexes, references.
    fn validate(&self) -> Vec<Diagnostic> {
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
                let key = super::normalize::joined_words(name.get_ref(), &Default::default());
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
            if super::extract::EntityKind::from_name(slot.entity.get_ref()).is_none() {
                err(
                    slot.entity.span().start,
                    format!(
                        "unknown entity `{}` in slot; use one of receipt_number, a_number, account_number, form_number, phone, email",
                        slot.entity.get_ref()
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
    /// cannot honour both.
    fn duplicate_utterances(&self) -> Vec<Diagnostic> {
        let mut seen: HashMap<String, &str> = HashMap::new();
        let mut diags = Vec::new();
        for (id, path, utterance) in self.utterances() {
            let key = super::normalize::fold_for_compare(utterance.get_ref());
            match seen.get(&key) {
                Some(owner) if *owner != id => diags.push(self.diag_at(
                    path,
                    utterance.span().start,
                    Severity::Error,
                    format!("\"{}\" is also an example of `{owner}`; keep it under one intent or article", utterance.get_ref()),
                )),
                Some(_) => {}
                None => {
                    seen.insert(key, id);
                }
            }
        }
        diags
    }

    /// Every example, question and alternative, with its owner's id and file.
    pub fn utterances(&self) -> impl Iterator<Item = (&str, &Path, &Spanned<String>)> {
        let intents = self.intents.iter().flat_map(|i| {
            i.def
                .examples
                .iter()
                .map(move |e| (i.def.id.get_ref().as_str(), i.path.as_path(), e))
        });
        let articles = self.articles.iter().flat_map(|a| {
            std::iter::once(&a.meta.question)
                .chain(a.meta.alternatives.iter())
                .map(move |q| (a.meta.id.get_ref().as_str(), a.path.as_path(), q))
        });
        intents.chain(articles)
    }

    /// A copy of the content without the `n`-th utterance of [`Content::utterances`], to
    /// see whether the rest still lead to its intent or article. An article's question is
    /// replaced by its first alternative; `None` when the utterance is the only one.
    pub fn without_utterance(&self, mut n: usize) -> Option<Content> {
        let mut copy = self.clone();
        for intent in &mut copy.intents {
            let examples = &mut intent.def.examples;
            if n < examples.len() {
                if examples.len() == 1 {
                    return None;
                }
                examples.remove(n);
                return Some(copy);
            }
            n -= examples.len();
        }
        for article in &mut copy.articles {
            let meta = &mut article.meta;
            let count = 1 + meta.alternatives.len();
            if n < count {
                if count == 1 {
                    return None;
                }
                if n == 0 {
                    meta.question = meta.alternatives.remove(0);
                } else {
                    meta.alternatives.remove(n - 1);
                }
                return Some(copy);
            }
            n -= count;
        }
        None
    }

    /// Every test utterance, with its expected id and file.
    pub fn test_utterances(&self) -> impl Iterator<Item = (&str, &Path, &Spanned<String>)> {
        let intents = self.intents.iter().flat_map(|i| {
            i.def
                .tests
                .iter()
                .map(move |e| (i.def.id.get_ref().as_str(), i.path.as_path(), e))
        });
        let articles = self.articles.iter().flat_map(|a| {
            a.meta
                .tests
                .iter()
                .map(move |q| (a.meta.id.get_ref().as_str(), a.path.as_path(), q))
        });
        intents.chain(articles)
    }

    /// Finds an intent by id.
    pub fn intent(&self, id: &str) -> Option<&Intent> {
        self.intents.iter().find(|i| i.def.id.get_ref() == id)
    }
}

/// `{name}` placeholders in a template.
pub fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    placeholder_offsets(template).map(|(_, name)| name)
}

/// The text with its `{placeholders}` removed (what matching should see of an answer).
pub fn without_placeholders(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    for (at, name) in placeholder_offsets(text) {
        out.push_str(&text[copied..at]);
        copied = at + name.len() + 2;
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

/// `{name}` placeholders in a template, each with the byte offset of its `{`.
pub fn placeholder_offsets(template: &str) -> impl Iterator<Item = (usize, &str)> {
    template.match_indices('{').filter_map(|(at, _)| {
        let rest = &template[at + 1..];
        let end = rest.find('}')?;
        let name = &rest[..end];
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then_some((at, name))
    })
}

fn list_files(dir: &Path, ext: &str, diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            diags.push(Diagnostic {
                path: dir.to_path_buf(),
                line: 1,
                col: 1,
                severity: Severity::Error,
                message: format!(
                    "cannot read the folder: {e} (run casebot from the folder that holds intents/ and knowledge/, or pass --intents and --knowledge)"
                ),
            });
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

fn read(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            diags.push(Diagnostic {
                path: path.to_path_buf(),
                line: 1,
                col: 1,
                severity: Severity::Error,
                message: format!("cannot read the file: {e}"),
            });
            None
        }
    }
}

/// Turns a TOML error into a diagnostic; `offset` is where the TOML starts in the file.
fn toml_error(path: &Path, text: &str, offset: usize, e: &toml::de::Error) -> Diagnostic {
    let at = offset + e.span().map_or(0, |s| s.start);
    let (line, col) = line_col(text, at);
    Diagnostic {
        path: path.to_path_buf(),
        line,
        col,
        severity: Severity::Error,
        message: explain_toml_error(e.message()),
    }
}

/// Rewrites serde's "unknown field" message into one that suggests the closest known key.
fn explain_toml_error(message: &str) -> String {
    let message = message.trim();
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((key, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let best = known
        .iter()
        .map(|k| (super::normalize::edit_distance(key, k), *k))
        .min()
        .filter(|(d, k)| *d <= 2.max(k.len() / 3));
    match best {
        Some((_, k)) => format!("unknown key `{key}`; did you mean `{k}`?"),
        None => format!("unknown key `{key}`; known keys: {}", known.join(", ")),
    }
}

/// Parses the text of one intent file (`path` is only used in the diagnostic). The checks
/// that span files (ids, placeholders, regexes) run in [`Content::load`].
pub fn parse_intent_file(path: &Path, text: &str) -> Result<Vec<IntentDef>, Diagnostic> {
    toml::from_str::<IntentFile>(text)
        .map(|file| file.intent)
        .map_err(|e| toml_error(path, text, 0, &e))
}

/// Splits an article into front matter and body and parses the front matter.
pub fn parse_article(path: &Path, text: &str) -> Result<Article, Diagnostic> {
    let fail = |at: usize, message: String| {
        let (line, col) = line_col(text, at);
        Diagnostic {
            path: path.to_path_buf(),
            line,
            col,
            severity: Severity::Error,
            message,
        }
    };
    let body_start = text.strip_prefix('\u{feff}').map_or(0, |_| 3);
    let rest = &text[body_start..];
    let Some(after_open) = rest
        .strip_prefix("+++\n")
        .or_else(|| rest.strip_prefix("+++\r\n"))
    else {
        return Err(fail(
            0,
            "an article must start with a `+++` line, then its TOML front matter, then `+++`"
                .into(),
        ));
    };
    let fm_start = text.len() - after_open.len();
    let Some(close) = find_closing_fence(after_open) else {
        return Err(fail(
            0,
            "the front matter is not closed: add a line with `+++` after it".into(),
        ));
    };
    let front = &after_open[..close];
    let body = after_open[close..].trim_start_matches("+++").trim_start();
    let body_offset = text.len() - body.len();
    match toml::from_str::<ArticleMeta>(front) {
        Ok(mut meta) => {
            shift_spans(&mut meta, fm_start);
            Ok(Article {
                meta,
                body: body.trim_end().to_string(),
                body_offset,
                path: path.to_path_buf(),
            })
        }
        Err(e) => Err(toml_error(path, text, fm_start, &e)),
    }
}

fn find_closing_fence(s: &str) -> Option<usize> {
    let mut at = 0;
    for line in s.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Some(at);
        }
        at += line.len();
    }
    None
}

/// Front-matter spans are relative to the TOML block; make them relative to the file.
fn shift_spans(meta: &mut ArticleMeta, by: usize) {
    let shift = |s: &mut Spanned<String>| {
        let span = s.span();
        let value = std::mem::take(s.get_mut());
        *s = Spanned::new(span.start + by..span.end + by, value);
    };
    shift(&mut meta.id);
    shift(&mut meta.question);
    meta.alternatives.iter_mut().for_each(shift);
    meta.tests.iter_mut().for_each(shift);
}
