//! Per-message latency percentiles of the reply pipeline on the shipped content (criterion
//! reports means; this reports the tail). Run:
//! `cargo run --release --example pipeline_latency`. With `CONTENT=own` or `CONTENT=same`
//! it runs on the shipped content multiplied 100 times (see `benches/scaled_content.rs`);
//! with `CONTENT=DIR`, on `DIR/intents` and `DIR/knowledge` (what `examples/clinc150.rs`
//! writes). `MESSAGES=FILE` takes the messages from a JSON Lines file of `{"text": ...}`
//! (a labelled file for `casebot eval`) instead of the built-in list.

use std::path::Path;
use std::time::Instant;

use casebot::dialog::{DialogOptions, DialogState, NoCases, respond_now};
use casebot::nlu::Nlu;

#[path = "../benches/messages.rs"]
mod messages;
#[path = "../benches/scaled_content.rs"]
mod scaled_content;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let started = Instant::now();
    let nlu = match std::env::var("CONTENT").as_deref() {
        Ok("own") => scaled_content::multiplied(100, scaled_content::Copies::OwnWords),
        Ok("same") => scaled_content::multiplied(100, scaled_content::Copies::SameWords),
        Ok(dir) if !dir.is_empty() => {
            let dir = Path::new(dir);
            Nlu::load(&dir.join("intents"), &dir.join("knowledge"))
                .expect("the content loads")
                .0
        }
        _ => {
            Nlu::load(&root.join("intents"), &root.join("knowledge"))
                .expect("shipped content loads")
                .0
        }
    };
    let load = started.elapsed();
    if std::env::var_os("SPLIT").is_some() {
        split_timing(&nlu);
        return;
    }
    let options = DialogOptions::default();
    // ROUNDS: fewer turns, e.g. to count instructions under cachegrind.
    let rounds = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20_000usize);
    let owned: Vec<String> = match std::env::var("MESSAGES") {
        Ok(path) => std::fs::read_to_string(&path)
            .expect("MESSAGES is readable")
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(String::from))
            .collect(),
        Err(_) => messages::MESSAGES.iter().map(|m| m.to_string()).collect(),
    };
    let rounds = if std::env::var_os("MESSAGES").is_some() {
        rounds.div_ceil(owned.len()).max(1) * messages::MESSAGES.len()
    } else {
        rounds
    };
    let mut samples = Vec::with_capacity(rounds * owned.len());
    for _ in 0..rounds {
        for text in &owned {
            let mut state = DialogState::default();
            let t = Instant::now();
            let outcome = respond_now(&mut state, text, &nlu, &NoCases, &options);
            samples.push(t.elapsed().as_nanos() as u64);
            std::hint::black_box(outcome);
        }
    }
    samples.sort_unstable();
    let pct = |p: f64| {
        samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)] as f64 / 1000.0
    };
    let mean = samples.iter().sum::<u64>() as f64 / samples.len() as f64 / 1000.0;
    println!(
        "{{\"messages\":{},\"mean_us\":{mean:.2},\"p50_us\":{:.2},\"p90_us\":{:.2},\"p99_us\":{:.2},\"max_us\":{:.2},\"content_load_ms\":{:.1}}}",
        samples.len(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        *samples.last().unwrap() as f64 / 1000.0,
        load.as_secs_f64() * 1000.0
    );
}

#[allow(dead_code)]
fn split_timing(nlu: &Nlu) {
    let only = std::env::var("MSG").ok();
    let list: Vec<&str> = match &only {
        Some(m) => vec![m.as_str()],
        None => messages::MESSAGES.to_vec(),
    };
    let reps = if only.is_some() { 2_000_000 } else { 10_000 };
    for text in list {
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(nlu.english().parse(text, None));
        }
        let parse = t.elapsed().as_nanos() as f64 / reps as f64 / 1000.0;
        let t = Instant::now();
        let options = DialogOptions::default();
        for _ in 0..reps {
            let mut state = DialogState::default();
            std::hint::black_box(respond_now(&mut state, text, nlu, &NoCases, &options));
        }
        let full = t.elapsed().as_nanos() as f64 / reps as f64 / 1000.0;
        eprintln!("{parse:6.2} {full:6.2}  {text}");
    }
}
