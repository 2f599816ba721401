//! Runs every example and test utterance of the content through the real reply pipeline
//! and reports where each one landed. Used by `casebot check`, `casebot test` and hot
//! reload, so a content edit that breaks routing is caught before it goes live.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::pipeline::respond_now;
use super::state::DialogState;
use super::turn::{DialogOptions, NoCases};
use crate::nlu::{Diagnostic, Lang, Language, Nlu, Severity};

/// How a confusion list names the fallback.
pub const FALLBACK: &str = "(fallback)";

/// Whether an utterance is an example (training) or a test (held out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An `examples` entry, or an article's question or alternative.
    Example,
    /// A `tests` entry.
    Test,
}

/// Where one utterance landed.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Example or test.
    pub kind: Kind,
    /// The language of the utterance, which the answer must be in.
    pub lang: Lang,
    /// The language it was answered in.
    pub answered_in: Lang,
    /// The utterance.
    pub text: String,
    /// The intent or article it should reach.
    pub expected: String,
    /// What answered (`None`: the fallback).
    pub got: Option<String>,
    /// Confidence of the answer.
    pub score: f32,
    /// File of the utterance.
    pub path: PathBuf,
    /// Byte offset of the utterance in its file.
    pub at: usize,
}

impl Outcome {
    /// True when it landed where it should, in its own language.
    pub fn passed(&self) -> bool {
        self.got.as_deref() == Some(self.expected.as_str()) && self.answered_in == self.lang
    }
}

/// The results of a run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One entry per utterance, in content order.
    pub outcomes: Vec<Outcome>,
}

/// Runs every example and test of every language through [`respond`] with a fresh
/// session each, in a chat of that language.
///
/// [`respond`]: super::respond
pub fn run(nlu: &Nlu) -> Report {
    let outcomes = nlu
        .languages()
        .flat_map(|language| {
            let content = &language.content;
            content
                .utterances()
                .map(|u| (Kind::Example, u))
                .chain(content.test_utterances().map(|u| (Kind::Test, u)))
                .map(|(kind, (expected, path, text))| {
                    answer(nlu, language, kind, expected, path, text)
                })
        })
        .collect();
    Report { outcomes }
}

/// Holds out each example in turn: recompiles the content without it and checks that the
/// other examples still lead it to its own intent or article. Examples that only land
/// because they are listed word for word show where the content needs more ways of asking.
pub fn leave_one_out(nlu: &Nlu) -> Report {
    let mut outcomes = Vec::new();
    for language in nlu.languages() {
        outcomes.extend(leave_one_out_of(language).outcomes);
    }
    Report { outcomes }
}

/// [`leave_one_out`] in one language, on that language's content alone.
fn leave_one_out_of(language: &Language) -> Report {
    let utterances: Vec<_> = language.content.utterances().collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut outcomes: Vec<(usize, Outcome)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|k| {
                let utterances = &utterances;
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for (n, (expected, path, text)) in
                        utterances.iter().enumerate().skip(k).step_by(threads)
                    {
                        let Some(content) = language.content.without_utterance(n) else {
                            continue;
                        };
                        let held_out = Nlu::compile(vec![content]);
                        let own = held_out.get(language.lang);
                        let outcome = answer(&held_out, own, Kind::Example, expected, path, text);
                        mine.push((n, outcome));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("leave-one-out worker"))
            .collect()
    });
    outcomes.sort_by_key(|(n, _)| *n);
    Report {
        outcomes: outcomes.into_iter().map(|(_, o)| o).collect(),
    }
}

/// Runs one utterance through a fresh session in a chat of `language` and records where
/// it landed.
fn answer(
    nlu: &Nlu,
    language: &Language,
    kind: Kind,
    expected: &str,
    path: &std::path::Path,
    text: &toml::Spanned<String>,
) -> Outcome {
    let options = DialogOptions {
        lookups_per_window: usize::MAX,
    };
    let mut state = DialogState {
        lang: Some(language.lang),
        ..DialogState::default()
    };
    if let Some(intent) = language.content.intent(expected) {
        state.last_intent = intent.def.after.first().cloned();
    }
    let outcome = respond_now(&mut state, text.get_ref(), nlu, &NoCases, &options);
    let reply = outcome.answer;
    Outcome {
        kind,
        lang: language.lang,
        answered_in: outcome.lang,
        text: text.get_ref().clone(),
        expected: expected.to_string(),
        got: reply.intent,
        score: reply.confidence,
        path: path.to_path_buf(),
        at: text.span().start,
    }
}

impl Report {
    /// Every utterance that did not land where it should, as `path:line:col` errors.
    pub fn diagnostics(&self, nlu: &Nlu) -> Vec<Diagnostic> {
        self.outcomes
            .iter()
            .filter(|o| !o.passed())
            .map(|o| {
                let what = match o.kind {
                    Kind::Example => "example",
                    Kind::Test => "test",
                };
                let mut got = match &o.got {
                    Some(id) => format!("`{id}` (score {:.2})", o.score),
                    None => format!("the fallback (best score {:.2})", o.score),
                };
                if o.answered_in != o.lang {
                    got.push_str(&format!(" in {}", o.answered_in.name()));
                }
                nlu.get(o.lang).content.diag_at(
                    &o.path,
                    o.at,
                    Severity::Error,
                    format!(
                        "{what} \"{}\" should reach `{}` but reaches {got}",
                        o.text, o.expected
                    ),
                )
            })
            .collect()
    }

    /// What stops content from going live, and what is only reported: an example that does
    /// not reach its own intent or article is an error (the content contradicts itself); a
    /// failing test is a warning, so one hard test does not hold back every other edit
    /// (`casebot test` still fails on it).
    pub fn problems(&self, nlu: &Nlu) -> Vec<Diagnostic> {
        let mut problems = self.diagnostics(nlu);
        let failed = self.outcomes.iter().filter(|o| !o.passed());
        for (problem, outcome) in problems.iter_mut().zip(failed) {
            if outcome.kind == Kind::Test {
                problem.severity = Severity::Warning;
            }
        }
        problems
    }

    /// Per language and expected id: (passed, total), for tests only.
    pub fn accuracy_by_id(&self) -> BTreeMap<(Lang, &str), (usize, usize)> {
        let mut by_id: BTreeMap<(Lang, &str), (usize, usize)> = BTreeMap::new();
        for o in self.outcomes.iter().filter(|o| o.kind == Kind::Test) {
            let entry = by_id.entry((o.lang, o.expected.as_str())).or_default();
            entry.1 += 1;
            if o.passed() {
                entry.0 += 1;
            }
        }
        by_id
    }

    /// Pairs (expected, got) of misrouted utterances with how often each happened, most
    /// frequent first.
    pub fn confusions(&self) -> Vec<((String, String), usize)> {
        let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        for o in self.outcomes.iter().filter(|o| !o.passed()) {
            let got = o.got.clone().unwrap_or_else(|| FALLBACK.to_string());
            *counts.entry((o.expected.clone(), got)).or_default() += 1;
        }
        let mut list: Vec<_> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        list
    }
}
