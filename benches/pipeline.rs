//! The whole reply pipeline (normalize + extract + match intents and articles + dialog) on
//! the shipped content, on that content multiplied 100 times, and content start-up; and one
//! hostile message, the worst of tests/cpu_budget.rs (2,000 × U+3316, which NFKC folds
//! into 12,000 letters).
//!
//! Run: `cargo bench --bench pipeline`. Figures and method: docs/performance.md.

use std::hint::black_box;
use std::path::Path;

use casebot::dialog::{DialogOptions, DialogState, NoCases, respond_now};
use casebot::nlu::Nlu;
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "messages.rs"]
mod messages;
#[path = "scaled_content.rs"]
mod scaled_content;
use messages::MESSAGES;
use scaled_content::{Copies, multiplied};

fn shipped() -> Nlu {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Nlu::load(&root.join("intents"), &root.join("knowledge"))
        .expect("shipped content loads")
        .0
}

fn run_all(c: &mut Criterion, name: &str, nlu: &Nlu) {
    let options = DialogOptions::default();
    let mut i = 0usize;
    c.bench_function(name, |b| {
        b.iter(|| {
            let mut state = DialogState::default();
            let text = MESSAGES[i % MESSAGES.len()];
            i += 1;
            black_box(respond_now(
                &mut state,
                black_box(text),
                nlu,
                &NoCases,
                &options,
            ));
        })
    });
}

/// One message answered over and over.
fn run_one(c: &mut Criterion, name: &str, nlu: &Nlu, text: &str) {
    let options = DialogOptions::default();
    c.bench_function(name, |b| {
        b.iter(|| {
            let mut state = DialogState::default();
            black_box(respond_now(
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
    run_one(
        c,
        "pipeline/hostile_u3316_x2000",
        &nlu,
        &"\u{3316}".repeat(2000),
    );
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
