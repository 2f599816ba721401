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
    Nlu::load(&root.join("intents"), &root.join("knowledge")).expect("shipped content loads").0
}

/// The shipped content with every intent and article copied `times` times under new ids,
/// each copy's examples given a distinguishing extra word so the vocabulary grows too.
fn multiplied(times: usize) -> Nlu {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (base, _) = Content::load(&root.join("intents"), &root.join("knowledge")).expect("loads");
    let mut content = base.clone();
    for n in 1..times {
        let tag = format!("variant{n}");
        for intent in &base.intents {
            let mut copy = intent.clone();
            let id = format!("{}_{tag}", copy.def.id.get_ref());
            *copy.def.id.get_mut() = id;
            for e in &mut copy.def.examples {
                let text = format!("{} {tag}", e.get_ref());
                *e.get_mut() = text;
            }
            copy.def.after.clear();
            content.intents.push(copy);
        }
        for article in &base.articles {
            let mut copy = article.clone();
            let id = format!("{}-{tag}", copy.meta.id.get_ref());
            *copy.meta.id.get_mut() = id;
            let q = format!("{} {tag}", copy.meta.question.get_ref());
            *copy.meta.question.get_mut() = q;
            for a in &mut copy.meta.alternatives {
                let text = format!("{} {tag}", a.get_ref());
                *a.get_mut() = text;
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
            black_box(respond(&mut state, black_box(text), nlu, &NoCases, &options));
        })
    });
}

fn pipeline(c: &mut Criterion) {
    let nlu = shipped();
    run_all(c, "pipeline/shipped", &nlu);
    let big = multiplied(100);
    run_all(c, "pipeline/content_x100", &big);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut group = c.benchmark_group("startup");
    group.sample_size(10);
    group.bench_function("load_and_compile_shipped_content", |b| {
        b.iter(|| black_box(Nlu::load(&root.join("intents"), &root.join("knowledge")).expect("loads")))
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
