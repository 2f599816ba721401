//! The matcher: one index over every intent example and every article question,
//! alternative and tag, compiled once per content version.
//!
//! Scoring is a weighted-overlap measure between the message and each indexed utterance
//! ("document"). Every term carries an inverse document frequency computed over *targets*
//! (intents and articles), so words shared by everything ("what", "case") weigh little and
//! distinctive ones ("biometrics", "locked") weigh a lot. For a message `q` and document `d`:
//!
//! * `covered_q` = weight of `q`'s terms found in `d` / weight of all of `q`'s terms, where
//!   words the content never uses count with [`UNKNOWN_WEIGHT`], so questions about the
//!   weather or recipes cover little and fall back;
//! * `covered_d` = the same weight / weight of all of `d`'s terms;
//! * the document score is `covered_d^0.55 · covered_q^0.45`, in [0, 1].
//!
//! A target's score is its best document's score, plus keyword-phrase boosts, a floor for
//! regex pattern hits and a small bonus when the message carries an entity the intent uses.
//! Matching a message is one pass over its terms' posting lists (no loop over intents), so
//! its cost does not grow with the number of intents beyond the postings it touches.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::RegexSet;

use super::content::Content;
use super::extract::{EntityKind, Extraction};
use super::normalize::Normalizer;

/// What a candidate points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Index into `Content::intents`.
    Intent(usize),
    /// Index into `Content::articles`.
    Article(usize),
}

/// A candidate answer with its confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The intent or article.
    pub target: Target,
    /// Confidence in [0, 1].
    pub score: f32,
}

/// Weight of a message word that no content uses.
pub const UNKNOWN_WEIGHT: f32 = 1.6;
/// Score given to a target whose regex pattern matches.
const PATTERN_FLOOR: f32 = 0.85;
/// Bonus when the message has an entity that the intent has a slot for.
const ENTITY_BONUS: f32 = 0.08;
/// How many candidates `rank` returns.
const TOP_N: usize = 5;

struct Doc {
    target: u32,
    /// Sum of the weights of the document's distinct terms.
    mass: f32,
}

struct Keyword {
    terms: Vec<u32>,
    target: u32,
    weight: f32,
}

/// Index over all intents and articles of one content version.
pub struct Matcher {
    normalizer: Normalizer,
    /// Stem → term id.
    term_ids: HashMap<String, u32>,
    /// Weight (IDF) of each term.
    weights: Vec<f32>,
    /// Term id → documents containing it.
    postings: Vec<Vec<u32>>,
    docs: Vec<Doc>,
    targets: Vec<Target>,
    /// Keyword phrases by first term.
    keywords: HashMap<u32, Vec<Keyword>>,
    patterns: RegexSet,
    /// Pattern index → target index.
    pattern_targets: Vec<u32>,
    /// Entity kinds each target has a slot for.
    slot_kinds: Vec<Vec<EntityKind>>,
    /// For each target: the intents it may only follow (empty: always eligible).
    after: Vec<Vec<String>>,
}

thread_local! {
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

impl Matcher {
    /// Compiles the index.
    pub fn build(content: &Content) -> Matcher {
        let texts = content
            .intents
            .iter()
            .flat_map(|i| i.def.examples.iter().map(|e| e.get_ref().as_str()).chain(i.def.keywords.keys().map(String::as_str)))
            .chain(content.articles.iter().flat_map(|a| {
                std::iter::once(a.meta.question.get_ref().as_str())
                    .chain(a.meta.alternatives.iter().map(|s| s.get_ref().as_str()))
                    .chain(a.meta.tags.iter().map(String::as_str))
                    .chain(a.meta.keywords.keys().map(String::as_str))
                    .chain(std::iter::once(a.body.as_str()))
            }));
        let normalizer = Normalizer::new(&content.synonyms, texts);

        let mut targets = Vec::new();
        let mut doc_terms: Vec<(u32, Vec<String>)> = Vec::new();
        let mut slot_kinds = Vec::new();
        let mut after = Vec::new();
        for (i, intent) in content.intents.iter().enumerate() {
            let t = targets.len() as u32;
            targets.push(Target::Intent(i));
            slot_kinds.push(intent.def.slots.iter().filter_map(|s| EntityKind::from_name(s.entity.get_ref())).collect());
            after.push(intent.def.after.clone());
            for example in &intent.def.examples {
                let text = example.get_ref();
                doc_terms.push((t, normalizer.terms(text, &super::extract::extract(text))));
            }
        }
        for (i, article) in content.articles.iter().enumerate() {
            let t = targets.len() as u32;
            targets.push(Target::Article(i));
            slot_kinds.push(Vec::new());
            after.push(Vec::new());
            let meta = &article.meta;
            for text in std::iter::once(&meta.question).chain(meta.alternatives.iter()) {
                let text = text.get_ref();
                doc_terms.push((t, normalizer.terms(text, &super::extract::extract(text))));
            }
            if !meta.tags.is_empty() {
                let tags = meta.tags.join(" ");
                doc_terms.push((t, normalizer.terms(&tags, &Extraction::default())));
            }
        }

        // Term ids and document frequency over targets.
        let mut term_ids: HashMap<String, u32> = HashMap::new();
        let mut target_sets: Vec<Vec<u32>> = Vec::new();
        let mut docs_by_term: Vec<Vec<u32>> = Vec::new();
        let mut doc_term_ids: Vec<Vec<u32>> = Vec::new();
        for (doc, (target, terms)) in doc_terms.iter().enumerate() {
            let mut ids: Vec<u32> = terms
                .iter()
                .map(|stem| {
                    let next = term_ids.len() as u32;
                    *term_ids.entry(stem.clone()).or_insert_with(|| {
                        target_sets.push(Vec::new());
                        docs_by_term.push(Vec::new());
                        next
                    })
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            for id in &ids {
                let set = &mut target_sets[*id as usize];
                if set.last() != Some(target) {
                    set.push(*target);
                }
                docs_by_term[*id as usize].push(doc as u32);
            }
            doc_term_ids.push(ids);
        }
        let n_targets = targets.len().max(1) as f32;
        let weights: Vec<f32> =
            target_sets.iter().map(|set| (1.0 + n_targets / set.len().max(1) as f32).ln()).collect();
        let docs = doc_terms
            .iter()
            .zip(&doc_term_ids)
            .map(|((target, _), ids)| Doc { target: *target, mass: ids.iter().map(|i| weights[*i as usize]).sum() })
            .collect();

        let mut keywords: HashMap<u32, Vec<Keyword>> = HashMap::new();
        let mut patterns = Vec::new();
        let mut pattern_targets = Vec::new();
        let keyword_sources = content
            .intents
            .iter()
            .map(|i| (&i.def.keywords, &i.def.patterns[..]))
            .chain(content.articles.iter().map(|a| (&a.meta.keywords, &[][..])));
        for (t, (kw, pats)) in keyword_sources.enumerate() {
            for (phrase, weight) in kw {
                let ids: Option<Vec<u32>> = normalizer
                    .terms(phrase, &Extraction::default())
                    .iter()
                    .map(|s| term_ids.get(s).copied())
                    .collect();
                if let Some(ids) = ids.filter(|ids| !ids.is_empty()) {
                    keywords.entry(ids[0]).or_default().push(Keyword { terms: ids, target: t as u32, weight: *weight });
                }
            }
            for p in pats {
                if regex::Regex::new(p.get_ref()).is_ok() {
                    patterns.push(format!("(?i){}", p.get_ref()));
                    pattern_targets.push(t as u32);
                }
            }
        }
        let patterns = RegexSet::new(&patterns).unwrap_or_else(|_| RegexSet::empty());

        Matcher {
            normalizer,
            term_ids,
            weights,
            postings: docs_by_term,
            docs,
            targets,
            keywords,
            patterns,
            pattern_targets,
            slot_kinds,
            after,
        }
    }

    /// Ranks intents and articles for a message, best first (at most five). `previous` is the
    /// intent that answered the message before, which makes its follow-ups eligible.
    pub fn rank(&self, text: &str, extraction: &Extraction, previous: Option<&str>) -> Vec<Scored> {
        let stems = self.normalizer.terms(text, extraction);
        let mut ids: Vec<u32> = Vec::with_capacity(stems.len());
        let mut query_mass = 0.0f32;
        let mut seen_unknown: Vec<&str> = Vec::new();
        for stem in &stems {
            match self.term_ids.get(stem) {
                Some(id) if !ids.contains(id) => {
                    ids.push(*id);
                    query_mass += self.weights[*id as usize];
                }
                Some(_) => {}
                None if !seen_unknown.contains(&stem.as_str()) => {
                    seen_unknown.push(stem);
                    query_mass += UNKNOWN_WEIGHT;
                }
                None => {}
            }
        }
        let mut best = vec![0.0f32; self.targets.len()];
        if query_mass > 0.0 {
            SCRATCH.with(|scratch| {
                let mut acc = scratch.borrow_mut();
                acc.clear();
                acc.resize(self.docs.len(), 0.0);
                let mut touched: Vec<u32> = Vec::with_capacity(64);
                for id in &ids {
                    let w = self.weights[*id as usize];
                    for doc in &self.postings[*id as usize] {
                        let slot = &mut acc[*doc as usize];
                        if *slot == 0.0 {
                            touched.push(*doc);
                        }
                        *slot += w;
                    }
                }
                for doc in touched {
                    let d = &self.docs[doc as usize];
                    let matched = acc[doc as usize];
                    let covered_d = (matched / d.mass).min(1.0);
                    let covered_q = (matched / query_mass).min(1.0);
                    let score = covered_d.powf(0.55) * covered_q.powf(0.45);
                    let b = &mut best[d.target as usize];
                    *b = b.max(score);
                }
            });
        }
        for (pos, id) in ids.iter().enumerate() {
            let _ = pos;
            if let Some(list) = self.keywords.get(id) {
                for kw in list {
                    if contains_sequence(&stems, &kw.terms, &self.term_ids) {
                        let b = &mut best[kw.target as usize];
                        *b = (*b + kw.weight).min(1.0);
                    }
                }
            }
        }
        if !self.pattern_targets.is_empty() {
            for hit in self.patterns.matches(text).iter() {
                let b = &mut best[self.pattern_targets[hit] as usize];
                *b = b.max(PATTERN_FLOOR);
            }
        }
        for (t, kinds) in self.slot_kinds.iter().enumerate() {
            if best[t] > 0.0 && kinds.iter().any(|k| extraction.entities.iter().any(|e| e.kind == *k)) {
                best[t] = (best[t] + ENTITY_BONUS).min(1.0);
            }
        }
        for (t, after) in self.after.iter().enumerate() {
            if !after.is_empty() && !previous.is_some_and(|p| after.iter().any(|a| a == p)) {
                best[t] = 0.0;
            }
        }
        let mut ranked: Vec<Scored> = best
            .iter()
            .enumerate()
            .filter(|(_, s)| **s > 0.0)
            .map(|(t, s)| Scored { target: self.targets[t], score: *s })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
        ranked.truncate(TOP_N);
        ranked
    }
}

/// True when the stems of `text` contain the term sequence `phrase` in order, adjacent.
fn contains_sequence(stems: &[String], phrase: &[u32], ids: &HashMap<String, u32>) -> bool {
    let seq: Vec<Option<u32>> = stems.iter().map(|s| ids.get(s).copied()).collect();
    seq.windows(phrase.len()).any(|w| w.iter().zip(phrase).all(|(a, b)| *a == Some(*b)))
}
