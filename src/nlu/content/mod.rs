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
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::action::Action;
use super::lang::Lang;
use crate::domain::Link;

mod catalog;
mod settings;
mod unclosed;
mod validate;

pub use settings::{Settings, SettingsDef};

pub use catalog::{Catalog, DateFormat, EntityNames, Replies, StatusDef, StatusGuide, status_key};

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

/// One intent as written in an intent file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentDef {
    /// Unique id, also the `intent` field of replies.
    pub id: Spanned<String>,
    /// Language code of the examples and responses; the folder's language when left out.
    #[serde(default)]
    pub lang: Option<Spanned<String>>,
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
    replies: Option<Replies>,
    entity_names: Option<EntityNames>,
    dates: Option<DateFormat>,
    #[serde(default)]
    status: Vec<StatusDef>,
    #[serde(default)]
    forms: BTreeMap<String, Spanned<String>>,
    settings: Option<SettingsDef>,
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
    /// Language code; the folder's language when left out.
    #[serde(default)]
    pub lang: Option<Spanned<String>>,
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

/// All content of one language in one version of the folders.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// The language of this content.
    pub lang: Lang,
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
    /// The sentences said outside answers, status meanings and form names.
    pub catalog: Catalog,
    /// How sure casebot must be to answer and to suggest (a `[settings]` table).
    pub settings: Settings,
    /// The file the `[settings]` table came from, when there was one.
    settings_from: Option<PathBuf>,
    /// Text of every file, kept to turn byte spans into line:col.
    sources: HashMap<PathBuf, String>,
    /// The intents folder of this language, where a missing table is reported.
    intents_folder: PathBuf,
}

/// Turns byte offset `at` in `text` into a 1-based line and column.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..text.floor_char_boundary(at)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The folder of `lang`'s content under a content folder: the folder itself for English,
/// its `es/` subfolder for Spanish.
pub fn language_folder(dir: &Path, lang: Lang) -> PathBuf {
    match lang.folder() {
        Some(sub) => dir.join(sub),
        None => dir.to_path_buf(),
    }
}

impl Content {
    /// Reads and parses one language's folders (see [`language_folder`]). Returns the
    /// content with its warnings, or every error.
    pub fn load(
        intents: &Path,
        knowledge: &Path,
        lang: Lang,
    ) -> Result<(Content, Vec<Diagnostic>), Vec<Diagnostic>> {
        let (intents, knowledge) = (
            language_folder(intents, lang),
            language_folder(knowledge, lang),
        );
        let mut content = Content {
            lang,
            intents_folder: intents.clone(),
            ..Content::default()
        };
        let mut diags = Vec::new();
        for path in list_files(&intents, "toml", &mut diags) {
            let Some(text) = read(&path, &mut diags) else {
                continue;
            };
            if path.file_name().is_some_and(|n| n == "synonyms.toml") {
                match toml::from_str::<SynonymFile>(&text) {
                    Ok(file) => content.synonyms.extend(file.synonyms),
                    Err(e) => diags.push(toml_error(&path, &text, 0..text.len(), &e)),
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
                        let tables = catalog::CatalogTables {
                            replies: file.replies,
                            entity_names: file.entity_names,
                            dates: file.dates,
                            status: file.status,
                            forms: file.forms,
                        };
                        if let Some(def) = file.settings {
                            content.take_settings(def, &path, &text, &mut diags);
                        }
                        for problem in content.catalog.add(tables, &path) {
                            diags.push(Diagnostic {
                                path: path.clone(),
                                line: 1,
                                col: 1,
                                severity: Severity::Error,
                                message: problem,
                            });
                        }
                    }
                    Err(e) => diags.push(toml_error(&path, &text, 0..text.len(), &e)),
                }
            }
            content.sources.insert(path, text);
        }
        for path in list_files(&knowledge, "md", &mut diags) {
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

    /// Takes a `[settings]` table from `path`, reporting a second one and each bad value at
    /// its line.
    fn take_settings(
        &mut self,
        def: SettingsDef,
        path: &Path,
        text: &str,
        diags: &mut Vec<Diagnostic>,
    ) {
        let at = |offset: usize, message: String| error_at(path, text, offset, message);
        if let Some(first) = &self.settings_from {
            diags.push(at(
                text.find("[settings]").unwrap_or(0),
                format!(
                    "a second [settings] table (the first is in {}); keep one per language",
                    first.display()
                ),
            ));
            return;
        }
        let (settings, problems) = def.resolve();
        diags.extend(problems.into_iter().map(|(offset, m)| at(offset, m)));
        self.settings = settings;
        self.settings_from = Some(path.to_path_buf());
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

/// Turns a TOML error into a diagnostic; `toml` is where the TOML is in the file's `text`.
/// A string left open before the place the parser gave up is the mistake to point at.
fn toml_error(path: &Path, text: &str, toml: Range<usize>, e: &toml::de::Error) -> Diagnostic {
    let stopped = e.span().map(|s| s.start);
    let (at, message) = match unclosed::first_unclosed(&text[toml.clone()]) {
        Some(open) if stopped.is_none_or(|s| open.at <= s) => (open.at, open.message()),
        _ => (stopped.unwrap_or(0), explain_toml_error(e.message())),
    };
    error_at(path, text, toml.start + at, message)
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
        .map_err(|e| toml_error(path, text, 0..text.len(), &e))
}

/// An error at byte `offset` of `text`, the contents of `path`.
fn error_at(path: &Path, text: &str, offset: usize, message: String) -> Diagnostic {
    let (line, col) = line_col(text, offset);
    Diagnostic {
        path: path.to_path_buf(),
        line,
        col,
        severity: Severity::Error,
        message,
    }
}

/// Splits an article into front matter and body and parses the front matter.
pub fn parse_article(path: &Path, text: &str) -> Result<Article, Diagnostic> {
    let fail = |at: usize, message: String| error_at(path, text, at, message);
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
        Err(e) => Err(toml_error(path, text, fm_start..fm_start + front.len(), &e)),
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
