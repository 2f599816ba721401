//! The CPU cost of answering one message, for hostile messages within the text limit: each
//! must cost no more than [`BUDGET`] times an ordinary message of the same length.
//!
//! Not a wall-clock threshold: every hostile message is timed in the same run as the
//! ordinary one, turn by turn in rounds, and the medians are compared, so a slow or busy
//! machine slows both alike. Before the caps, the worst of these cost hundreds of times the
//! ordinary message. `cargo test --release --test cpu_budget -- --nocapture` prints the
//! medians and ratios (see docs/security.md).

use std::path::Path;
use std::time::Instant;

use casebot::config::Limits;
use casebot::dialog::{DialogOptions, DialogState, NoCases, respond_now};
use casebot::nlu::Nlu;
use casebot::nlu::extract::extract;
use casebot::nlu::normalize::{MAX_MESSAGE_WORD_BYTES, MAX_MESSAGE_WORD_CHARS, message_words};

/// Most a hostile message may cost, in ordinary messages of the same length. Unoptimized
/// builds (plain `cargo test`) slow the regex engine and the Unicode tables more than the
/// rest of the pipeline, which non-ASCII messages feel most.
const BUDGET: f64 = if cfg!(debug_assertions) { 40.0 } else { 20.0 };
/// Rounds of timing; each round answers every message once.
const ROUNDS: usize = 15;

fn shipped() -> Nlu {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Nlu::load(&root.join("intents"), &root.join("knowledge"))
        .expect("shipped content loads")
        .0
}

/// The longest message the server accepts, in characters.
fn max_chars() -> usize {
    Limits::default().max_text_chars
}

/// `unit` repeated up to `max_chars()` characters.
fn fill(unit: &str) -> String {
    unit.chars().cycle().take(max_chars()).collect()
}

/// `text` cut to `max_chars()` characters.
fn cut(text: String) -> String {
    text.chars().take(max_chars()).collect()
}

/// Words joined by spaces, up to `max_chars()` characters, cut at a space.
fn words_up_to_limit<'a>(words: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for w in words {
        if out.chars().count() + w.chars().count() + 1 > max_chars() {
            break;
        }
        out.push_str(w);
        out.push(' ');
    }
    out
}

/// An ordinary message as long as the text limit allows.
fn ordinary() -> String {
    fill(
        "I filed my I-485 last year and I was wondering how long processing takes these days. \
         Also I forgot my password and now my account is locked, what should I do? ",
    )
}

/// Distinct words of the content, at least `min` characters long.
fn content_words(nlu: &Nlu, min: usize) -> Vec<String> {
    let mut words: Vec<String> = nlu
        .english()
        .content
        .articles
        .iter()
        .flat_map(|a| a.body.split(|c: char| !c.is_ascii_alphabetic()))
        .filter(|w| w.len() >= min)
        .map(str::to_ascii_lowercase)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// Hostile messages, each within the text limit.
fn corpus(nlu: &Nlu) -> Vec<(&'static str, String)> {
    let known = content_words(nlu, 3);
    let long = content_words(nlu, 7);
    let swapped: Vec<String> = long
        .iter()
        .map(|w| format!("{}{}{}{}", &w[..2], &w[3..4], &w[2..3], &w[4..]))
        .collect();
    let accented: Vec<String> = long
        .iter()
        .map(|w| format!("{}é{}", &w[..3], &w[4..]))
        .collect();
    let pairs: Vec<String> = ('a'..='z')
        .flat_map(|a| ('a'..='z').map(move |b| format!("q{a}{b}")))
        .collect();
    let keywords: Vec<&str> = nlu
        .english()
        .content
        .intents
        .iter()
        .flat_map(|i| i.def.keywords.keys())
        .chain(
            nlu.english()
                .content
                .articles
                .iter()
                .flat_map(|a| a.meta.keywords.keys()),
        )
        .map(String::as_str)
        .collect();
    let elsewhere: Vec<&str> = nlu
        .english()
        .content
        .elsewhere
        .iter()
        .flat_map(|e| e.def.names.iter().map(|n| n.get_ref().as_str()))
        .chain(
            nlu.english()
                .content
                .domain_words
                .iter()
                .map(|d| d.word.get_ref().as_str()),
        )
        .collect();
    vec![
        ("U+3316 (NFKC: 6 letters, one word)", fill("\u{3316}")),
        ("U+FDFA (NFKC: 18 characters)", fill("\u{FDFA}")),
        (
            "U+FDFA after a receipt number",
            cut(format!("EAC2190012345 {}", fill("\u{FDFA}"))),
        ),
        ("U+FB03 ligature (NFKC: ffi)", fill("\u{FB03}")),
        ("U+00BC (NFKC: 1⁄4, two words)", fill("\u{BC}")),
        ("U+0130 (lower case: two characters)", fill("\u{130}")),
        ("U+1E9E capital sharp s", fill("\u{1E9E}")),
        ("sharp s", fill("ß")),
        ("one ASCII word", fill("x")),
        (
            "a-run before \"number\"",
            format!("{} number", cut("a".repeat(1990))),
        ),
        ("\"A number\" repeated", fill("A number ")),
        (
            "combining marks on one letter",
            cut(format!("a{}", fill("\u{301}\u{316}"))),
        ),
        ("zalgo", fill("e\u{301}\u{302}\u{316}")),
        ("CJK, one word", fill("漢")),
        ("Hangul jamo", fill("\u{1100}\u{1161}")),
        ("fullwidth", fill("ＡＣＣＯＵＮＴ ")),
        (
            "emoji ZWJ sequences",
            fill("👩\u{200D}👩\u{200D}👧\u{200D}👦 "),
        ),
        ("one-letter words", fill("b ")),
        (
            "distinct unknown words",
            words_up_to_limit(pairs.iter().map(String::as_str)),
        ),
        (
            "distinct known words",
            words_up_to_limit(known.iter().map(String::as_str)),
        ),
        (
            "distinct typos",
            words_up_to_limit(swapped.iter().map(String::as_str)),
        ),
        (
            "distinct non-ASCII typos",
            words_up_to_limit(accented.iter().map(String::as_str)),
        ),
        (
            "keyword phrases",
            words_up_to_limit(keywords.iter().copied().cycle()),
        ),
        (
            "elsewhere names and domain words",
            words_up_to_limit(elsewhere.iter().copied().cycle()),
        ),
        ("contractions", fill("id cant ")),
        ("hashes", fill("#")),
        ("letter hashes", fill("a#")),
        ("letter dashes", fill("e-")),
        ("apostrophes", fill("x'")),
        ("punctuation", fill("?!.")),
        ("digits", fill("1")),
        ("digit words", fill("1 ")),
        ("digit groups", fill("123-45-678 ")),
        ("receipt numbers", fill("EAC2190012345 ")),
        ("receipt look-alikes", fill("EAC219001234 ")),
        ("A-numbers", fill("A012345678 ")),
        ("form numbers", fill("I-485 ")),
        ("phone numbers", fill("(800) 375-5283 ")),
        ("e-mail addresses", fill("a@b.co ")),
        ("at signs", fill("a@")),
        (
            "pattern words around non-ASCII",
            cut(format!("eac {} means", "é ".repeat(990))),
        ),
        ("pattern prefixes", fill("eac ")),
    ]
}

fn median(samples: &mut [u128]) -> u128 {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

#[test]
fn every_hostile_message_is_within_the_limits_it_is_timed_at() {
    for (name, text) in corpus(&shipped()) {
        assert!(text.chars().count() <= max_chars(), "{name}");
        let words = message_words(&text, &extract(&text));
        assert!(
            words.len() <= MAX_MESSAGE_WORD_BYTES,
            "{name}: {}",
            words.len()
        );
        assert!(words.chars().count() <= MAX_MESSAGE_WORD_CHARS, "{name}");
    }
}

#[test]
fn no_message_costs_more_than_a_few_ordinary_ones() {
    let nlu = shipped();
    let options = DialogOptions::default();
    let mut messages = vec![("ordinary", ordinary()), ("hello", "hello".to_string())];
    messages.extend(corpus(&nlu));
    let mut samples = vec![Vec::with_capacity(ROUNDS); messages.len()];
    for _ in 0..ROUNDS {
        for ((_, text), times) in messages.iter().zip(&mut samples) {
            let mut state = DialogState::default();
            let started = Instant::now();
            std::hint::black_box(respond_now(&mut state, text, &nlu, &NoCases, &options));
            times.push(started.elapsed().as_nanos());
        }
    }
    let medians: Vec<u128> = samples.iter_mut().map(|s| median(s)).collect();
    let base = medians[0].max(1) as f64;
    let mut over = Vec::new();
    for ((name, _), m) in messages.iter().zip(&medians) {
        let ratio = *m as f64 / base;
        eprintln!("{:>10.1} µs {ratio:>7.2}x  {name}", *m as f64 / 1000.0);
        if ratio > BUDGET {
            over.push(format!("{name}: {ratio:.1}x"));
        }
    }
    assert!(
        over.is_empty(),
        "over {BUDGET}x an ordinary message: {over:?}"
    );
}
