//! The whole reply pipeline (normalize + extract + match intents and articles + dialog) on
//! the shipped content, on that content multiplied 100 times, and content start-up.
//!
//! Run: `cargo bench --bench pipeline`. Figures and method: docs/performance.md.

use std::hint::black_box;
use std::path::Path;

use casebot::dialog::{CaseLookup, DialogOptions, DialogState, respond};
use casebot::nlu::{Content, Nlu};
use casebot::store::{CaseRecord, StoreError};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "messages.rs"]
mod messages;
use messages::MESSAGES;

struct NoCases;

impl CaseLookup for NoCases {
    fn lookup(&self, _: &str) -> Result<Option<CaseRecord>, StoreError> {
        Ok(None)
    }
}

fn shipped() -> Nlu {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Nlu::load(&root.join("intents"), &root.join("knowledge"))
        .expect("shipped content loads")
        .0
}

/// How the copies of [`multiplied`] differ from the original.
#[derive(Clone, Copy)]
enum Copies {
    /// Each copy's utterances get one extra word: every word a message uses appears in 100
    /// times as many utterances (the worst case for an inverted index).
    SameWords,
    /// Every word of each copy gets a suffix: 100 times the intents and vocabulary, like
    /// content about other topics.
    OwnWords,
}

/// Rewrites an utterance for copy `n`.
fn rewrite(text: &str, n: usize, copies: Copies) -> String {
    match copies {
        Copies::SameWords => format!("{text} variant{n}"),
        Copies::OwnWords => text
            .split_whitespace()
            .map(|w| format!("{w}q{n}"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The shipped content with every intent and article copied `times` times under new ids.
fn multiplied(times: usize, copies: Copies) -> Nlu {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (base, _) = Content::load(&root.join("intents"), &root.join("knowledge")).expect("loads");
    let mut content = base.clone();
    for n in 1..times {
        let tag = format!("copy{n}");
        for intent in &base.intents {
            let mut copy = intent.clone();
            let id = format!("{}_{tag}", copy.def.id.get_ref());
            *copy.def.id.get_mut() = id;
            for e in &mut copy.def.examples {
                let text = rewrite(e.get_ref(), n, copies);
                *e.get_mut() = text;
            }
            copy.def.after.clear();
            if let Copies::OwnWords = copies {
                copy.def.keywords = copy
                    .def
                    .keywords
                    .iter()
                    .map(|(k, w)| (rewrite(k, n, copies), *w))
                    .collect();
                // A regular expression cannot be rewritten word by word.
                copy.def.patterns.clear();
            }
            content.intents.push(copy);
        }
        for article in &base.articles {
            let mut copy = article.clone();
            let id = format!("{}-{tag}", copy.meta.id.get_ref());
            *copy.meta.id.get_mut() = id;
            let q = rewrite(copy.meta.question.get_ref(), n, copies);
            *copy.meta.question.get_mut() = q;
            for a in &mut copy.meta.alternatives {
                let text = rewrite(a.get_ref(), n, copies);
                *a.get_mut() = text;
            }
            if let Copies::OwnWords = copies {
                copy.body = rewrite(&copy.body, n, copies);
                copy.meta.tags = copy
                    .meta
                    .tags
                    .iter()
                    .map(|t| rewrite(t, n, copies))
                    .collect();
                copy.meta.keywords = copy
                    .meta
                    .keywords
                    .iter()
                    .map(|(k, w)| (rewrite(k, n, copies), *w))
                    .collect();
            }
            content.articles.push(copy);
        }
    }
    Nlu::compile(content)
}

fn run_all(c: &mut Criterion, name: &str, nlu: &Nlu) {
    let options = DialogOptions::default();
    let mut i = 0usize;
    c.bench_function(name, |b| {
        b.iter(|| {
            let mut state = DialogState::default();
            let text = MESSAGES[i % MESSAGES.len()];
            i += 1;
            black_box(respond(
                &mut state,
                black_box(text),
                nlu,
                &NoCases,
                &options,
            ));
        })
    });
}

fn pipeline(c: &mut Criterion) {
    let nlu = shipped();
    run_all(c, "pipeline/shipped", &nlu);
    let big = multiplied(100, Copies::SameWords);
    run_all(c, "pipeline/content_x100_same_words", &big);
    drop(big);
    let big = multiplied(100, Copies::OwnWords);
    run_all(c, "pipeline/content_x100_own_words", &big);
    drop(big);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut group = c.benchmark_group("startup");
    group.sample_size(10);
    group.bench_function("load_and_compile_shipped_content", |b| {
        b.iter(|| {
            black_box(Nlu::load(&root.join("intents"), &root.join("knowledge")).expect("loads"))
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
