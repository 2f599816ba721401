//! The matcher: one index over every intent example and every article question,
//! alternative and tag set, compiled once per content version.
//!
//! Scoring is a weighted-overlap measure between the message and each indexed utterance
//! ("document"). Every term carries an inverse document frequency computed over *targets*
//! (intents and articles, counting a term once per target whether it appears in an example,
//! a question, a tag or an article's answer), so words shared by everything ("what",
//! "case") weigh little and distinctive ones ("biometrics", "locked") weigh a lot. Words no
//! content uses at all weigh as much as the rarest known word: a question about the weather
//! or a recipe is mostly words casebot has never seen, so it covers little and falls back.
//!
//! For a message `q` and a target `t` (an intent or article):
//!
//! * `covered_d` = the best, over `t`'s documents `d`, of: weight of `d`'s terms found in `q` /
//!   weight of all of `d`'s terms (at least [`MIN_DOC_MASS`], so a document that is one generic
//!   word cannot claim a full match). "Does the message say one of the ways of asking this?"
//! * `covered_q` = weight of `q`'s terms that `t` explains / weight of all of `q`'s terms, where
//!   terms found in any of `t`'s examples, questions or tags count fully and terms found only
//!   in an article's answer text count [`BODY_SHARE`]. "Is everything the message talks
//!   about part of this topic?"
//! * the score is the geometric mean `√(covered_d · covered_q)`, in [0, 1].
//!
//! A target's score is then raised by keyword-phrase boosts, a floor for
//! regex pattern hits and a small bonus when the message carries an entity the intent uses.
//! Matching a message is one pass over its terms' posting lists (no loop over intents), so
//! its cost grows with the postings it touches, not with the number of intents.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::RegexSet;

use super::content::{Content, without_placeholders};
use super::elsewhere::ElsewhereIndex;
use super::extract::{self, EntityKind, Extraction};
use super::fxhash::{FxHashMap, FxHashSet};
use super::normalize::{self, Normalizer};
use super::reranker::{self, Reranker, Sample};

/// What a candidate points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Index into `Content::intents`.
    Intent(usize),
    /// Index into `Content::articles`.
    Article(usize),
}

/// What the matcher made of a message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ranking {
    /// Intents and articles that could answer, best first (at most five).
    pub candidates: Vec<Scored>,
    /// What the message asks about instead, when it names something other organizations
    /// handle (an `[[elsewhere]]` topic) and nothing ties it to USCIS.
    pub elsewhere: Option<String>,
}

/// A candidate answer with its confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The intent or article.
    pub target: Target,
    /// Confidence in [0, 1].
    pub score: f32,
}

/// Smallest document weight used for `covered_d`: about one distinctive word.
pub const MIN_DOC_MASS: f32 = 3.0;
/// How much a message word found only in an article's answer text (not in the matched
/// question) counts towards explaining the message.
pub const BODY_SHARE: f32 = 0.5;
/// Score given to a target whose regex pattern matches.
const PATTERN_FLOOR: f32 = 0.85;
/// Bonus when the message has an entity that the intent has a slot for.
const ENTITY_BONUS: f32 = 0.08;
/// How many candidates `rank` returns.
const TOP_N: usize = 5;
/// How many of the matcher's best candidates the re-ranker reorders, and how many rivals
/// each training utterance is told apart from.
const RERANK_K: usize = 8;
/// How far below the best score a candidate may be and still be moved ahead of it by the
/// re-ranker: it arbitrates between near ties, it does not overrule a clear winner.
pub const RERANK_MARGIN: f32 = 0.1;
/// How much an article's answer text counts as a training utterance for the re-ranker.
const BODY_SAMPLE_WEIGHT: f32 = 0.3;
/// Weight of a word no content uses, relative to the rarest known word.
pub const UNKNOWN_SCALE: f32 = 1.2;

struct Doc {
    target: u32,
    /// 1 / the weight of the document's distinct terms (at least [`MIN_DOC_MASS`]).
    inv_mass: f32,
}

struct Keyword {
    terms: Vec<u32>,
    target: u32,
    weight: f32,
}

/// Index over all intents and articles of one content version.
pub struct Matcher {
    normalizer: Normalizer,
    /// Names of things other organizations handle.
    elsewhere: ElsewhereIndex,
    /// Stem → term id.
    term_ids: FxHashMap<String, u32>,
    /// Canonical vocabulary word → term id (skips stemming at match time).
    word_terms: FxHashMap<String, u32>,
    /// Weight (IDF) of each term.
    weights: Vec<f32>,
    /// Weight of a word no content uses.
    unknown_weight: f32,
    /// Term id → documents containing it.
    postings: Vec<Vec<u32>>,
    /// Term id → targets using it, with the share it counts for (1 in questions and
    /// examples, [`BODY_SHARE`] in answer text only).
    target_postings: Vec<Vec<(u32, f32)>>,
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
    /// The sorted term ids of every example and question → its target ([`AMBIGUOUS`] when
    /// two targets say the same thing): a message that says exactly what an utterance says
    /// is answered by that utterance's owner, whatever the re-ranker prefers.
    exact: FxHashMap<Vec<u32>, u32>,
    /// Reorders the best candidates (trained on the content's own utterances).
    reranker: Reranker,
}

/// What is being scored: a message, or a training utterance when the re-ranker looks for its
/// rivals (then without text, phrase order or entities).
#[derive(Clone, Copy)]
struct Query<'a> {
    /// Distinct term ids of the known words.
    ids: &'a [u32],
    /// Weight of all its words, unknown ones included.
    mass: f32,
    /// Its words in order (None: a word no content uses), for keyword phrases.
    sequence: &'a [Option<u32>],
    /// The raw text, for regex patterns.
    text: &'a str,
    /// Identifiers found in it.
    extraction: &'a Extraction,
    /// The intent that answered before, which makes its follow-ups eligible.
    previous: Option<&'a str>,
}

/// A message's content words as term ids. The sets and the map make reading a message
/// linear in its words, however many distinct words it has.
#[derive(Default)]
struct MessageTerms<'a> {
    /// Its words in order (None: a word no content uses).
    sequence: Vec<Option<u32>>,
    /// Distinct term ids of its known words, in order of first use.
    ids: Vec<u32>,
    /// Distinct words no content uses, in order of first use.
    unknown: Vec<&'a str>,
    /// Weight of all its words, unknown ones included.
    mass: f32,
    /// The members of `ids`.
    known: FxHashSet<u32>,
    /// The members of `unknown`.
    unknown_set: FxHashSet<&'a str>,
    /// The term of each word outside the vocabulary met so far (stemming is the costly part).
    stemmed: FxHashMap<&'a str, Option<u32>>,
}

/// Marks an utterance that two targets share.
const AMBIGUOUS: u32 = u32::MAX;

/// Per-thread buffers reused across messages. Every array is all zeros between messages:
/// only the entries a message touched are reset, so the cost of a message does not grow
/// with the number of documents or targets it does not touch.
#[derive(Default)]
struct Scratch {
    /// Per document: weight of the message's terms it contains.
    matched: Vec<f32>,
    touched_docs: Vec<u32>,
    /// Per target: weight of the message's terms it explains.
    explained: Vec<f32>,
    explained_targets: Vec<u32>,
    /// Per target: its score so far.
    best: Vec<f32>,
    /// Per target: the matched weight of its best document (breaks ties for specificity).
    best_hit: Vec<f32>,
    /// Per target: whether it is in `candidates`.
    listed: Vec<bool>,
    candidates: Vec<u32>,
}

impl Scratch {
    fn fit(&mut self, docs: usize, targets: usize) {
        self.matched.resize(docs, 0.0);
        for v in [&mut self.explained, &mut self.best, &mut self.best_hit] {
            v.resize(targets, 0.0);
        }
        self.listed.resize(targets, false);
    }

    fn candidate(&mut self, target: usize) {
        if !self.listed[target] {
            self.listed[target] = true;
            self.candidates.push(target as u32);
        }
    }

    fn reset(&mut self) {
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
}

/// Assigns term ids to stems.
#[derive(Default)]
struct Terms {
    ids: FxHashMap<String, u32>,
    /// Targets each term appears in (sorted, deduplicated at the end).
    targets: Vec<Vec<u32>>,
}

impl Terms {
    fn id(&mut self, stem: &str) -> u32 {
        if let Some(id) = self.ids.get(stem) {
            return *id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(stem.to_string(), id);
        self.targets.push(Vec::new());
        id
    }

    fn seen_in(&mut self, id: u32, target: u32) {
        let list = &mut self.targets[id as usize];
        if list.last() != Some(&target) {
            list.push(target);
        }
    }
}

impl Matcher {
    /// Compiles the index.
    pub fn build(content: &Content) -> Matcher {
        let bodies: Vec<_> = content
            .articles
            .iter()
            .map(|a| without_placeholders(&a.body))
            .collect();
        let texts = content
            .intents
            .iter()
            .flat_map(|i| {
                i.def
                    .examples
                    .iter()
                    .map(|e| e.get_ref().as_str())
                    .chain(i.def.keywords.keys().map(String::as_str))
            })
            .chain(content.articles.iter().zip(&bodies).flat_map(|(a, body)| {
                std::iter::once(a.meta.question.get_ref().as_str())
                    .chain(a.meta.alternatives.iter().map(|s| s.get_ref().as_str()))
                    .chain(a.meta.tags.iter().map(String::as_str))
                    .chain(a.meta.keywords.keys().map(String::as_str))
                    .chain(std::iter::once(body.as_ref()))
            }));
        let texts: Vec<&str> = texts
            .chain(
                content
                    .domain_words
                    .iter()
                    .map(|d| d.word.get_ref().as_str()),
            )
            .collect();
        let normalizer = Normalizer::new(content.lang, &content.synonyms, texts.iter().copied());
        let stems_of = |text: &str| normalizer.terms(text, &extract::extract(text));

        let mut terms = Terms::default();
        let mut targets = Vec::new();
        let mut docs_terms: Vec<(u32, Vec<u32>)> = Vec::new();
        let mut exact: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
        let mut say_exactly = |ids: &[u32], target: u32| {
            let owner = exact.entry(ids.to_vec()).or_insert(target);
            if *owner != target {
                *owner = AMBIGUOUS;
            }
        };
        let mut body_terms: Vec<(u32, Vec<u32>)> = Vec::new();
        let mut slot_kinds = Vec::new();
        let mut after = Vec::new();
        let add_doc = |terms: &mut Terms, target: u32, stems: Vec<String>| {
            let mut ids: Vec<u32> = stems.iter().map(|s| terms.id(s)).collect();
            ids.sort_unstable();
            ids.dedup();
            ids.iter().for_each(|id| terms.seen_in(*id, target));
            ids
        };
        for (i, intent) in content.intents.iter().enumerate() {
            let t = targets.len() as u32;
            targets.push(Target::Intent(i));
            slot_kinds.push(
                intent
                    .def
                    .slots
                    .iter()
                    .filter_map(|s| EntityKind::from_name(s.entity.get_ref()))
                    .collect(),
            );
            after.push(intent.def.after.clone());
            for example in &intent.def.examples {
                let ids = add_doc(&mut terms, t, stems_of(example.get_ref()));
                say_exactly(&ids, t);
                docs_terms.push((t, ids));
            }
        }
        for (i, article) in content.articles.iter().enumerate() {
            let t = targets.len() as u32;
            targets.push(Target::Article(i));
            slot_kinds.push(Vec::new());
            after.push(Vec::new());
            let meta = &article.meta;
            for text in std::iter::once(&meta.question).chain(meta.alternatives.iter()) {
                let ids = add_doc(&mut terms, t, stems_of(text.get_ref()));
                say_exactly(&ids, t);
                docs_terms.push((t, ids));
            }
            if !meta.tags.is_empty() {
                let ids = add_doc(
                    &mut terms,
                    t,
                    normalizer.terms(&meta.tags.join(" "), &Extraction::default()),
                );
                docs_terms.push((t, ids));
            }
            let ids = add_doc(&mut terms, t, stems_of(&bodies[i]));
            body_terms.push((t, ids));
        }

        let n_targets = targets.len().max(1) as f32;
        let weights: Vec<f32> = terms
            .targets
            .iter()
            .map(|set| (1.0 + n_targets / set.len().max(1) as f32).ln())
            .collect();
        let unknown_weight = UNKNOWN_SCALE * (1.0 + n_targets).ln();
        let (postings, docs, target_postings) = postings(&weights, &docs_terms, &body_terms);

        let (keywords, patterns, pattern_targets) =
            keywords_and_patterns(content, &normalizer, &terms);
        let word_terms = normalizer
            .vocabulary_stems()
            .filter_map(|(word, stem)| Some((word.to_string(), *terms.ids.get(stem?)?)))
            .collect();

        let synonym_texts = content
            .synonyms
            .iter()
            .flat_map(|(word, variants)| std::iter::once(word).chain(variants))
            .map(String::as_str);
        let elsewhere = ElsewhereIndex::build(
            content,
            texts.iter().copied().chain(synonym_texts),
            &normalizer,
            |stem| terms.ids.get(stem).copied(),
        );
        let mut matcher = Matcher {
            normalizer,
            elsewhere,
            term_ids: terms.ids,
            word_terms,
            weights,
            unknown_weight,
            postings,
            target_postings,
            docs,
            targets,
            keywords,
            patterns,
            pattern_targets,
            slot_kinds,
            after,
            exact,
            reranker: Reranker::empty(),
        };
        let samples: Vec<Sample> = docs_terms
            .into_iter()
            .map(|(target, terms)| (target, terms, 1.0))
            .chain(
                body_terms
                    .into_iter()
                    .map(|(target, terms)| (target, terms, BODY_SAMPLE_WEIGHT)),
            )
            .map(|(target, terms, weight)| Sample {
                target,
                rivals: matcher.rivals(&terms),
                terms,
                weight,
            })
            .collect();
        matcher.reranker = Reranker::train(&samples, matcher.weights.len(), matcher.targets.len());
        matcher
    }

    /// The targets the matcher ranks highest for an utterance given as term ids.
    fn rivals(&self, terms: &[u32]) -> Vec<u32> {
        let mass = terms.iter().map(|t| self.weights[*t as usize]).sum();
        let query = Query {
            ids: terms,
            mass,
            sequence: &[],
            text: "",
            extraction: &Extraction::default(),
            previous: None,
        };
        self.best_candidates(&query)
            .into_iter()
            .map(|(_, _, t)| t as u32)
            .collect()
    }

    /// The normalizer built from the content.
    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// Ranks intents and articles for a message, best first (at most five), and says whether
    /// it is about something other organizations handle. `previous` is the intent that
    /// answered the message before, which makes its follow-ups eligible.
    pub fn rank(&self, text: &str, extraction: &Extraction, previous: Option<&str>) -> Ranking {
        let words = normalize::message_words(text, extraction);
        let named = self.elsewhere.named(&words);
        let canonical = self.normalizer.canonical_of_words(words);
        let MessageTerms {
            sequence,
            mut ids,
            unknown,
            mass: query_mass,
            ..
        } = self.message_terms(&canonical);
        let ranked = self.best_candidates(&Query {
            ids: &ids,
            mass: query_mass,
            sequence: &sequence,
            text,
            extraction,
            previous,
        });
        // Sorted, the message's terms are also the key of an utterance that says the same.
        ids.sort_unstable();
        let exact = if unknown.is_empty() {
            self.exact.get(ids.as_slice()).copied()
        } else {
            None
        };
        let elsewhere = named.filter(|_| {
            let unknown_stems: Vec<String> = unknown
                .iter()
                .map(|w| self.normalizer.stem(w).into_owned())
                .collect();
            !self
                .elsewhere
                .tied_to_uscis(extraction, &ids, &unknown_stems)
        });
        Ranking {
            candidates: self.rerank(ranked, &ids, exact),
            elsewhere: elsewhere.map(|topic| self.elsewhere.topic(topic).to_string()),
        }
    }

    /// The content words of a canonical message as term ids.
    fn message_terms<'a>(&'a self, canonical: &'a str) -> MessageTerms<'a> {
        let mut terms = MessageTerms {
            sequence: Vec::with_capacity(16),
            ids: Vec::with_capacity(16),
            ..MessageTerms::default()
        };
        let form_placeholder = normalize::placeholder(EntityKind::FormNumber);
        let mut after_form = false;
        for word in self.normalizer.content_words(canonical) {
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
    fn best_candidates(&self, query: &Query<'_>) -> Vec<(Scored, f32, usize)> {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            scratch.fit(self.docs.len(), self.targets.len());
            let ranked = self.score(&mut scratch, query);
            scratch.reset();
            ranked
        })
    }

    /// Orders the matcher's best candidates: those within [`RERANK_MARGIN`] of the best
    /// score by a blend of score and the re-ranker's probability among them (an exactly
    /// matched utterance's owner first), the others after them by score. Each candidate keeps
    /// its own score as its confidence.
    fn rerank(
        &self,
        ranked: Vec<(Scored, f32, usize)>,
        terms: &[u32],
        exact: Option<u32>,
    ) -> Vec<Scored> {
        let mut probability: Vec<f32> = ranked
            .iter()
            .map(|(_, _, t)| self.reranker.logit(*t as u32, terms))
            .collect();
        reranker::softmax(&mut probability);
        let close = ranked.first().map_or(0.0, |r| r.0.score) - RERANK_MARGIN;
        let blend = reranker::blend(terms.len());
        let mut keyed: Vec<(f32, Scored)> = ranked
            .into_iter()
            .zip(probability)
            .map(|((scored, _, t), p)| {
                let key = if scored.score < close {
                    // Below every blended key (those are never negative).
                    scored.score - 2.0
                } else if exact == Some(t as u32) {
                    f32::INFINITY
                } else {
                    (1.0 - blend) * scored.score + blend * p
                };
                (key, scored)
            })
            .collect();
        keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
        keyed.truncate(TOP_N);
        keyed.into_iter().map(|(_, scored)| scored).collect()
    }

    /// Scores the targets the message touches and returns the best [`RERANK_K`] (with the
    /// matched weight of their best document and their index), using `s` as the
    /// per-document and per-target accumulators.
    fn score(&self, s: &mut Scratch, query: &Query<'_>) -> Vec<(Scored, f32, usize)> {
        let Query {
            ids,
            mass: query_mass,
            sequence,
            text,
            extraction,
            previous,
        } = *query;
        for id in ids {
            let w = self.weights[*id as usize];
            for doc in &self.postings[*id as usize] {
                let slot = &mut s.matched[*doc as usize];
                if *slot == 0.0 {
                    s.touched_docs.push(*doc);
                }
                *slot += w;
            }
            for (target, share) in &self.target_postings[*id as usize] {
                let slot = &mut s.explained[*target as usize];
                if *slot == 0.0 {
                    s.explained_targets.push(*target);
                }
                *slot += w * share;
            }
        }
        for i in 0..s.touched_docs.len() {
            let doc = s.touched_docs[i] as usize;
            let d = &self.docs[doc];
            // Read once, so cleared here rather than in another pass by `reset`.
            let hit = std::mem::take(&mut s.matched[doc]);
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
        for id in ids {
            for kw in self.keywords.get(id).into_iter().flatten() {
                if contains_sequence(sequence, &kw.terms) {
                    let t = kw.target as usize;
                    s.candidate(t);
                    s.best[t] = (s.best[t] + kw.weight).min(1.0);
                }
            }
        }
        if !self.pattern_targets.is_empty() {
            for hit in self.patterns.matches(&pattern_text(text)).iter() {
                let t = self.pattern_targets[hit] as usize;
                s.candidate(t);
                s.best[t] = s.best[t].max(PATTERN_FLOOR);
            }
        }
        let mut ranked: Vec<(Scored, f32, usize)> = Vec::with_capacity(s.candidates.len());
        for &t in &s.candidates {
            let t = t as usize;
            let after = &self.after[t];
            if !after.is_empty() && !previous.is_some_and(|p| after.iter().any(|a| a == p)) {
                continue;
            }
            let mut score = s.best[t];
            if score > 0.0
                && self.slot_kinds[t]
                    .iter()
                    .any(|k| extraction.entities.iter().any(|e| e.kind == *k))
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
        if ranked.len() > RERANK_K {
            ranked.select_nth_unstable_by(RERANK_K - 1, order);
            ranked.truncate(RERANK_K);
        }
        ranked.sort_by(order);
        ranked
    }
}

/// True when the message's term sequence contains `phrase` in order, adjacent.
fn contains_sequence(sequence: &[Option<u32>], phrase: &[u32]) -> bool {
    sequence
        .windows(phrase.len())
        .any(|w| w.iter().zip(phrase).all(|(a, b)| *a == Some(*b)))
}

/// Term → (target, share of the term's weight it gets).
type TargetPostings = Vec<Vec<(u32, f32)>>;

/// Term → documents, each document's inverse mass, and term → (target, share): 1 where the
/// target's questions or examples use the term, [`BODY_SHARE`] where only its answer text
/// does.
fn postings(
    weights: &[f32],
    docs_terms: &[(u32, Vec<u32>)],
    body_terms: &[(u32, Vec<u32>)],
) -> (Vec<Vec<u32>>, Vec<Doc>, TargetPostings) {
    let mut postings = vec![Vec::new(); weights.len()];
    let mut docs = Vec::with_capacity(docs_terms.len());
    for (doc, (target, ids)) in docs_terms.iter().enumerate() {
        for id in ids {
            postings[*id as usize].push(doc as u32);
        }
        let mass: f32 = ids.iter().map(|i| weights[*i as usize]).sum();
        docs.push(Doc {
            target: *target,
            inv_mass: 1.0 / mass.max(MIN_DOC_MASS),
        });
    }
    let mut target_postings: TargetPostings = vec![Vec::new(); weights.len()];
    for (sources, share) in [(docs_terms, 1.0), (body_terms, BODY_SHARE)] {
        for (target, ids) in sources {
            for id in ids {
                let list = &mut target_postings[*id as usize];
                if !list.iter().any(|(t, _)| t == target) {
                    list.push((*target, share));
                }
            }
        }
    }
    (postings, docs, target_postings)
}

/// Keyword phrases by their first term, and the content's regex patterns with the target
/// each belongs to. A keyword with a word the content never uses can never match and is
/// left out; an invalid pattern is left out (`check` reports it).
fn keywords_and_patterns(
    content: &Content,
    normalizer: &Normalizer,
    terms: &Terms,
) -> (HashMap<u32, Vec<Keyword>>, RegexSet, Vec<u32>) {
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
                .map(|s| terms.ids.get(s).copied())
                .collect();
            if let Some(ids) = ids.filter(|ids| !ids.is_empty()) {
                keywords.entry(ids[0]).or_default().push(Keyword {
                    terms: ids,
                    target: t as u32,
                    weight: *weight,
                });
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
    (keywords, patterns, pattern_targets)
}

/// The text content patterns run on: the message as typed when it is ASCII, otherwise with
/// accents taken off and any other non-ASCII character read as a space. The regex engine's
/// fast path stops at the first non-ASCII byte when a pattern has a Unicode `\b`, and the
/// slow one costs a millisecond on a long message; patterns are written in ASCII words.
fn pattern_text(text: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    if text.is_ascii() {
        return std::borrow::Cow::Borrowed(text);
    }
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| if c.is_ascii() { c } else { ' ' })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_read_non_ascii_text_folded_to_ascii() {
        assert!(matches!(
            pattern_text("what does EAC mean"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(pattern_text("qué significa EAC"), "que significa EAC");
        assert_eq!(pattern_text("EAC 是什么 mean"), "EAC     mean");
    }
}
