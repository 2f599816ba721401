//! Scoring a message: its words as term ids, the overlap score in one pass over their
//! posting lists, and the candidates with the evidence the calibrator reads.

use std::cell::RefCell;

use super::index::{ENTITY_BONUS, Matcher, PATTERN_FLOOR, Scored, pattern_text, prefix};
use crate::nlu::calibrate::Evidence;
use crate::nlu::classifier::{Classifier, NO_TOKEN};
use crate::nlu::extract::{EntityKind, Extraction};
use crate::nlu::fxhash::{FxHashMap, FxHashSet};
use crate::nlu::normalize;

/// How many of the overlap score's best targets are weighed as candidates.
pub(super) const OVERLAP_K: usize = 8;

/// How many of the classifier's most probable targets are weighed as candidates.
pub(super) const CLASSIFIER_K: usize = 3;

/// What is being scored: a message, or a training utterance when the re-ranker looks for its
/// rivals (then without text, phrase order or entities).
#[derive(Clone, Copy)]
pub(super) struct Query<'a> {
    /// Distinct term ids of the known words.
    pub(super) ids: &'a [u32],
    /// Weight of all its words, unknown ones included.
    pub(super) mass: f32,
    /// Its words in order (None: a word no content uses), for keyword phrases.
    pub(super) sequence: &'a [Option<u32>],
    /// The raw text, for regex patterns.
    pub(super) text: &'a str,
    /// Identifiers found in it.
    pub(super) extraction: &'a Extraction,
    /// The intent that answered before, which makes its follow-ups eligible.
    pub(super) previous: Option<&'a str>,
    /// What calibration leaves out of the index for this query.
    pub(super) exclude: Option<&'a Exclusion<'a>>,
}

/// A message's content words as term ids. The sets and the map make reading a message
/// linear in its words, however many distinct words it has.
#[derive(Default)]
pub(super) struct MessageTerms<'a> {
    /// Its words in order (None: a word no content uses).
    pub(super) sequence: Vec<Option<u32>>,
    /// Distinct term ids of its known words, in order of first use.
    pub(super) ids: Vec<u32>,
    /// Distinct words no content uses, in order of first use.
    pub(super) unknown: Vec<&'a str>,
    /// Every word as the classifier's token, stop words included ([`NO_TOKEN`]: unknown).
    pub(super) tokens: Vec<u32>,
    /// The tokens of the content words' beginnings, known words or not.
    pub(super) prefixes: Vec<u32>,
    /// Weight of all its words, unknown ones included.
    pub(super) mass: f32,
    /// The members of `ids`.
    pub(super) known: FxHashSet<u32>,
    /// The members of `unknown`.
    pub(super) unknown_set: FxHashSet<&'a str>,
    /// The term of each word outside the vocabulary met so far (stemming is the costly part).
    pub(super) stemmed: FxHashMap<&'a str, Option<u32>>,
}

/// What a held-out calibration question must not see: its own document (and the words only
/// that document gave its target), and the targets held out entirely.
pub(super) struct Exclusion<'a> {
    /// The question's own document and its target, with the document's sorted term ids.
    pub(super) doc: Option<(u32, u32, &'a [u32])>,
    /// Per target: held out entirely.
    pub(super) targets: &'a [bool],
}

impl Exclusion<'_> {
    pub(super) fn target(&self, t: usize) -> bool {
        self.targets.get(t).copied().unwrap_or(false)
    }
}

/// Per-thread buffers reused across messages. Every array is all zeros between messages:
/// only the entries a message touched are reset, so the cost of a message does not grow
/// with the number of documents or targets it does not touch.
#[derive(Default)]
pub(super) struct Scratch {
    /// Per document: weight of the message's terms it contains.
    pub(super) matched: Vec<f32>,
    pub(super) touched_docs: Vec<u32>,
    /// Per target: weight of the message's terms it explains.
    pub(super) explained: Vec<f32>,
    pub(super) explained_targets: Vec<u32>,
    /// Per target: its score so far.
    pub(super) best: Vec<f32>,
    /// Per target: the matched weight of its best document (breaks ties for specificity).
    pub(super) best_hit: Vec<f32>,
    /// Per target: whether it is in `candidates`.
    pub(super) listed: Vec<bool>,
    pub(super) candidates: Vec<u32>,
}

impl Scratch {
    pub(super) fn fit(&mut self, docs: usize, targets: usize) {
        self.matched.resize(docs, 0.0);
        for v in [&mut self.explained, &mut self.best, &mut self.best_hit] {
            v.resize(targets, 0.0);
        }
        self.listed.resize(targets, false);
    }

    pub(super) fn candidate(&mut self, target: usize) {
        if !self.listed[target] {
            self.listed[target] = true;
            self.candidates.push(target as u32);
        }
    }

    pub(super) fn reset(&mut self) {
        // `score` clears `matched` as it reads each touched document.
        self.touched_docs.clear();
        for t in self.explained_targets.drain(..) {
            self.explained[t as usize] = 0.0;
        }
        for t in self.candidates.drain(..) {
            let t = t as usize;
            self.best[t] = 0.0;
            self.best_hit[t] = 0.0;
            self.listed[t] = false;
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// A message's classifier features and every target's probability.
    static CLASSIFY: RefCell<(Vec<u32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl Matcher {
    /// The candidates for a query, with the evidence about each: the overlap score's best
    /// targets and the classifier's most probable ones.
    pub(super) fn weigh(
        &self,
        query: &Query<'_>,
        terms: &MessageTerms<'_>,
        classifier: &Classifier,
    ) -> Vec<(usize, Evidence)> {
        let ranked = self.best_candidates(query);
        CLASSIFY.with(|buffers| {
            let (features, probability) = &mut *buffers.borrow_mut();
            self.features
                .encode(&terms.tokens, &terms.prefixes, features);
            let mut chosen: Vec<usize> = ranked.iter().map(|r| r.2).collect();
            probability.clear();
            if !features.is_empty() {
                classifier.probabilities(features, probability);
                for (t, p) in probability.iter_mut().enumerate() {
                    if !self.eligible(t, query.previous)
                        || query.exclude.is_some_and(|e| e.target(t))
                    {
                        *p = 0.0;
                    }
                }
                for t in top_indices(probability, CLASSIFIER_K) {
                    if probability[t] > 0.0 && !chosen.contains(&t) {
                        chosen.push(t);
                    }
                }
            }
            let p = |t: usize| probability.get(t).copied().unwrap_or(0.0);
            let (best_p, second_p) = top_two(probability.iter().copied().enumerate());
            let overlap = |t: usize| ranked.iter().find(|r| r.2 == t).map_or(0.0, |r| r.0.score);
            let (best_m, second_m) = top_two(ranked.iter().map(|r| (r.2, r.0.score)));
            let unknown_mass = terms.unknown.len() as f32 * self.unknown_weight;
            let known_share = if terms.mass > 0.0 {
                ((terms.mass - unknown_mass) / terms.mass).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let rival = |(best_t, best): (usize, f32), (_, second): (usize, f32), t: usize| {
                if best_t == t { second } else { best }
            };
            chosen
                .into_iter()
                .map(|t| {
                    let evidence = Evidence {
                        probability: p(t),
                        rival_probability: rival(best_p, second_p, t),
                        overlap: overlap(t),
                        rival_overlap: rival(best_m, second_m, t),
                        known_share,
                        known_terms: terms.ids.len(),
                    };
                    (t, evidence)
                })
                .collect()
        })
    }

    /// The content words of a canonical message as term ids.
    pub(super) fn message_terms<'a>(&'a self, canonical: &'a str) -> MessageTerms<'a> {
        let mut terms = MessageTerms {
            sequence: Vec::with_capacity(16),
            ids: Vec::with_capacity(16),
            tokens: Vec::with_capacity(24),
            prefixes: Vec::with_capacity(16),
            ..MessageTerms::default()
        };
        let form_placeholder = normalize::placeholder(EntityKind::FormNumber);
        let mut after_form = false;
        let stop_tokens = self.weights.len() as u32;
        for word in canonical.split(' ').filter(|w| !w.is_empty()) {
            if let Some(stop) = self.normalizer.stop_index(word) {
                terms.tokens.push(stop_tokens + stop);
                continue;
            }
            // A form number follows its placeholder ("zzform i129f"); one the content never
            // names is already counted by the placeholder, so it is not an unknown word.
            let is_form_value = std::mem::replace(&mut after_form, word == form_placeholder);
            let id = match self.word_terms.get(word) {
                Some(id) => Some(*id),
                None => *terms.stemmed.entry(word).or_insert_with(|| {
                    let stem = self.normalizer.stem(word);
                    self.term_ids.get(stem.as_ref()).copied()
                }),
            };
            terms.sequence.push(id);
            terms.tokens.push(id.unwrap_or(NO_TOKEN));
            let beginning = match id {
                Some(id) => self.term_prefix.get(id as usize).copied(),
                None => prefix(word).and_then(|p| self.prefixes.get(p).copied()),
            };
            if let Some(token) = beginning.filter(|t| *t != NO_TOKEN)
                && !terms.prefixes.contains(&token)
            {
                terms.prefixes.push(token);
            }
            match id {
                Some(id) if terms.known.insert(id) => {
                    terms.ids.push(id);
                    terms.mass += self.weights[id as usize];
                }
                Some(_) => {}
                None if is_form_value => {}
                None if terms.unknown_set.insert(word) => {
                    terms.unknown.push(word);
                    terms.mass += self.unknown_weight;
                }
                None => {}
            }
        }
        terms
    }

    /// Scores the targets a query touches, with this thread's reusable buffers.
    pub(super) fn best_candidates(&self, query: &Query<'_>) -> Vec<(Scored, f32, usize)> {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            scratch.fit(self.docs.len(), self.targets.len());
            let ranked = self.score(&mut scratch, query);
            scratch.reset();
            ranked
        })
    }

    /// Scores the targets the message touches and returns the best [`OVERLAP_K`] (with the
    /// matched weight of their best document and their index), using `s` as the
    /// per-document and per-target accumulators.
    pub(super) fn score(&self, s: &mut Scratch, query: &Query<'_>) -> Vec<(Scored, f32, usize)> {
        let own_doc = query.exclude.and_then(|e| e.doc);
        self.accumulate(s, query.ids, own_doc);
        self.cover(s, query.mass, own_doc);
        self.boost(s, query);
        self.best_of(s, query)
    }

    /// One pass over the posting lists of the query's terms: the weight each document
    /// contains and the weight each target explains (without a held-out question's own
    /// document).
    fn accumulate(&self, s: &mut Scratch, ids: &[u32], own_doc: Option<(u32, u32, &[u32])>) {
        for id in ids {
            let w = self.weights[*id as usize];
            for doc in &self.postings[*id as usize] {
                let slot = &mut s.matched[*doc as usize];
                if *slot == 0.0 {
                    s.touched_docs.push(*doc);
                }
                *slot += w;
            }
            for used in &self.target_postings[*id as usize] {
                let own = own_doc.is_some_and(|(_, t, terms)| {
                    t == used.target && terms.binary_search(id).is_ok()
                });
                let share = used.share(own);
                if share == 0.0 {
                    continue;
                }
                let slot = &mut s.explained[used.target as usize];
                if *slot == 0.0 {
                    s.explained_targets.push(used.target);
                }
                *slot += w * share;
            }
        }
    }

    /// Each touched target's score: the geometric mean of its best document's coverage and
    /// how much of the query it explains.
    fn cover(&self, s: &mut Scratch, query_mass: f32, own_doc: Option<(u32, u32, &[u32])>) {
        for i in 0..s.touched_docs.len() {
            let doc = s.touched_docs[i] as usize;
            let d = &self.docs[doc];
            // Read once, so cleared here rather than in another pass by `reset`.
            let hit = std::mem::take(&mut s.matched[doc]);
            if own_doc.is_some_and(|(own, _, _)| own as usize == doc) {
                continue;
            }
            let covered_d = (hit * d.inv_mass).min(1.0);
            let t = d.target as usize;
            s.candidate(t);
            if covered_d > s.best[t] || (covered_d == s.best[t] && hit > s.best_hit[t]) {
                s.best[t] = covered_d;
                s.best_hit[t] = hit;
            }
        }
        let inv_query = 1.0 / query_mass.max(f32::EPSILON);
        for &t in &s.candidates {
            let t = t as usize;
            let covered_q = (s.explained[t] * inv_query).min(1.0);
            s.best[t] = (s.best[t] * covered_q).sqrt();
        }
    }

    /// Keyword phrases the query says raise their target; a regex pattern hit lifts its
    /// target to at least [`PATTERN_FLOOR`].
    fn boost(&self, s: &mut Scratch, query: &Query<'_>) {
        for id in query.ids {
            for kw in self.keywords.get(id).into_iter().flatten() {
                if contains_sequence(query.sequence, &kw.terms) {
                    let t = kw.target as usize;
                    s.candidate(t);
                    s.best[t] = (s.best[t] + kw.weight).min(1.0);
                }
            }
        }
        if !self.pattern_targets.is_empty() {
            for hit in self.patterns.matches(&pattern_text(query.text)).iter() {
                let t = self.pattern_targets[hit] as usize;
                s.candidate(t);
                s.best[t] = s.best[t].max(PATTERN_FLOOR);
            }
        }
    }

    /// The eligible candidates with a score, with the entity bonus, best [`OVERLAP_K`]
    /// first.
    fn best_of(&self, s: &Scratch, query: &Query<'_>) -> Vec<(Scored, f32, usize)> {
        let mut ranked: Vec<(Scored, f32, usize)> = Vec::with_capacity(s.candidates.len());
        for &t in &s.candidates {
            let t = t as usize;
            if !self.eligible(t, query.previous) || query.exclude.is_some_and(|e| e.target(t)) {
                continue;
            }
            let mut score = s.best[t];
            if score > 0.0
                && self.slot_kinds[t]
                    .iter()
                    .any(|k| query.extraction.entities.iter().any(|e| e.kind == *k))
            {
                score = (score + ENTITY_BONUS).min(1.0);
            }
            if score > 0.0 {
                ranked.push((
                    Scored {
                        target: self.targets[t],
                        score,
                    },
                    s.best_hit[t],
                    t,
                ));
            }
        }
        // Equal scores: the target whose matching utterance said more wins, then the one
        // defined first (intents before articles).
        let order = |a: &(Scored, f32, usize), b: &(Scored, f32, usize)| {
            b.0.score
                .total_cmp(&a.0.score)
                .then(b.1.total_cmp(&a.1))
                .then(a.2.cmp(&b.2))
        };
        if ranked.len() > OVERLAP_K {
            ranked.select_nth_unstable_by(OVERLAP_K - 1, order);
            ranked.truncate(OVERLAP_K);
        }
        ranked.sort_by(order);
        ranked
    }
}

/// The indices of the `k` largest values, largest first.
pub(super) fn top_indices(values: &[f32], k: usize) -> Vec<usize> {
    let mut top: Vec<usize> = Vec::with_capacity(k + 1);
    for (i, v) in values.iter().enumerate() {
        if top.len() == k && values[top[k - 1]] >= *v {
            continue;
        }
        let at = top.partition_point(|j| values[*j] >= *v);
        top.insert(at, i);
        top.truncate(k);
    }
    top
}

/// The best and second-best (index, value) pairs (index `usize::MAX` and 0 when missing).
pub(super) fn top_two(values: impl Iterator<Item = (usize, f32)>) -> ((usize, f32), (usize, f32)) {
    let none = (usize::MAX, 0.0);
    values.fold((none, none), |(best, second), (i, v)| {
        if v > best.1 {
            ((i, v), best)
        } else if v > second.1 {
            (best, (i, v))
        } else {
            (best, second)
        }
    })
}

/// True when the message's term sequence contains `phrase` in order, adjacent.
pub(super) fn contains_sequence(sequence: &[Option<u32>], phrase: &[u32]) -> bool {
    sequence
        .windows(phrase.len())
        .any(|w| w.iter().zip(phrase).all(|(a, b)| *a == Some(*b)))
}
