//! Generated content for scaling measurements: the shipped content copied many times.
//! Shared by `benches/pipeline.rs` and `examples/pipeline_latency.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use casebot::nlu::Nlu;

/// How the copies of [`multiplied`] differ from the original.
#[derive(Clone, Copy)]
pub enum Copies {
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
        Copies::OwnWords => {
            // Every run of letters and digits gets the suffix, so that no word of the copy
            // (not even one next to punctuation) is a word of the original.
            let mut out = String::with_capacity(text.len() + 16);
            let mut in_word = false;
            for c in text.chars() {
                let word_char = c.is_alphanumeric();
                if in_word && !word_char {
                    out.push_str(&format!("q{n}"));
                }
                in_word = word_char;
                out.push(c);
            }
            if in_word {
                out.push_str(&format!("q{n}"));
            }
            out
        }
    }
}

/// Keyword phrases of copy `n`, with their weights.
fn rewrite_keywords(keywords: &BTreeMap<String, f32>, n: usize) -> BTreeMap<String, f32> {
    keywords
        .iter()
        .map(|(k, w)| (rewrite(k, n, Copies::OwnWords), *w))
        .collect()
}

/// The shipped content with every intent and article copied `times` times under new ids.
pub fn multiplied(times: usize, copies: Copies) -> Nlu {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (base, _) = casebot::nlu::Content::load(
        &root.join("intents"),
        &root.join("knowledge"),
        casebot::nlu::Lang::En,
    )
    .expect("loads");
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
                copy.def.keywords = rewrite_keywords(&copy.def.keywords, n);
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
                copy.meta.keywords = rewrite_keywords(&copy.meta.keywords, n);
            }
            content.articles.push(copy);
        }
    }
    Nlu::compile(vec![content])
}
