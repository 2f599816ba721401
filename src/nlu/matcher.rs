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

use super::calibrate::{Calibrator, Evidence};
use super::classifier::{Classifier, Example, FeatureSpace, NO_TOKEN, mix, text_hash};
use super::content::{Content, without_placeholders};
use super::elsewhere::ElsewhereIndex;
use super::extract::{self, EntityKind, Extraction};
use super::fxhash::{FxHashMap, FxHashSet};
use super::normalize::{self, Normalizer};

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
/// How many of the overlap score's best targets are weighed as candidates.
const OVERLAP_K: usize = 8;
/// How many of the classifier's most probable targets are weighed as candidates.
const CLASSIFIER_K: usize = 3;
/// How much an article's answer text counts as a training utterance for the classifier.
const BODY_SAMPLE_WEIGHT: f32 = 0.3;
/// How much an article's tag list counts as a training utterance for the classifier.
const TAGS_SAMPLE_WEIGHT: f32 = 0.5;
/// Confidence of the target whose example or question the message says exactly: the author
/// listed those words for it.
pub const EXACT_CONFIDENCE: f32 = 0.97;
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
    /// Term id → the targets using it.
    target_postings: TargetPostings,
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
    /// Weighs every target for a message (trained on the content's own utterances).
    classifier: Classifier,
    /// The classifier's features: words, their beginnings and adjacent word pairs.
    features: FeatureSpace,
    /// A word's first [`PREFIX_CHARS`] characters → its classifier token.
    prefixes: FxHashMap<String, u32>,
    /// Term id → the token of its stem's beginning ([`NO_TOKEN`]: too short to have one).
    term_prefix: Vec<u32>,
    /// Turns the evidence about a candidate into the probability that it is right.
    calibrator: Calibrator,
    /// How the calibrator was fitted.
    calibration: CalibrationSummary,
}

/// What the calibrator was fitted on, for `check` and the docs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CalibrationSummary {
    /// Whether the classifier and calibrator were trained (content past [`MAX_WEIGHTS`] or
    /// [`MAX_TRAINING_WORK`] is matched by the overlap score alone).
    pub learned: bool,
    /// Examples held out of training that belong to a target still trained.
    pub held_out: usize,
    /// Examples of targets held out entirely (standing for questions nobody covered).
    pub uncovered: usize,
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
    /// What calibration leaves out of the index for this query.
    exclude: Option<&'a Exclusion<'a>>,
}

/// What a held-out calibration question must not see: its own document (and the words only
/// that document gave its target), and the targets held out entirely.
struct Exclusion<'a> {
    /// The question's own document and its target, with the document's sorted term ids.
    doc: Option<(u32, u32, &'a [u32])>,
    /// Per target: held out entirely.
    targets: &'a [bool],
}

impl Exclusion<'_> {
    fn target(&self, t: usize) -> bool {
        self.targets.get(t).copied().unwrap_or(false)
    }
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
    /// Every word as the classifier's token, stop words included ([`NO_TOKEN`]: unknown).
    tokens: Vec<u32>,
    /// The tokens of the content words' beginnings, known words or not.
    prefixes: Vec<u32>,
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
    /// A message's classifier features and every target's probability.
    static CLASSIFY: RefCell<(Vec<u32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
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
    /// Compiles the index, trains the classifier and fits the calibrator.
    pub fn build(content: &Content) -> Matcher {
        Matcher::build_with(content, None)
    }

    /// Compiles the index and trains the classifier, keeping `like`'s calibrator instead of
    /// fitting one (half the work): for a variant of `like`'s content that only needs to
    /// rank, such as one with a single example held out.
    pub fn build_like(content: &Content, like: &Matcher) -> Matcher {
        Matcher::build_with(content, Some(like))
    }

    fn build_with(content: &Content, like: Option<&Matcher>) -> Matcher {
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
        // What the classifier learns from: every document's text, then every answer text.
        let mut utterances: Vec<Utterance<'_>> = Vec::new();
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
                utterances.push(Utterance::doc(t, docs_terms.len(), example.get_ref(), 1.0));
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
                utterances.push(Utterance::doc(t, docs_terms.len(), text.get_ref(), 1.0));
                docs_terms.push((t, ids));
            }
            if !meta.tags.is_empty() {
                let tags = meta.tags.join(" ");
                let ids = add_doc(
                    &mut terms,
                    t,
                    normalizer.terms(&tags, &Extraction::default()),
                );
                utterances.push(Utterance::doc(
                    t,
                    docs_terms.len(),
                    tags,
                    TAGS_SAMPLE_WEIGHT,
                ));
                docs_terms.push((t, ids));
            }
            let ids = add_doc(&mut terms, t, stems_of(&bodies[i]));
            utterances.push(Utterance {
                target: t,
                doc: None,
                text: bodies[i].clone(),
                weight: BODY_SAMPLE_WEIGHT,
            });
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
            classifier: Classifier::default(),
            features: FeatureSpace::default(),
            prefixes: FxHashMap::default(),
            term_prefix: Vec::new(),
            calibrator: Calibrator::default(),
            calibration: CalibrationSummary::default(),
        };
        matcher.number_prefixes();
        let ids: Vec<&str> = content
            .intents
            .iter()
            .map(|i| i.def.id.get_ref().as_str())
            .chain(
                content
                    .articles
                    .iter()
                    .map(|a| a.meta.id.get_ref().as_str()),
            )
            .collect();
        matcher.learn(&utterances, &docs_terms, &ids, like);
        matcher
    }

    /// Gives every stem long enough to have one a token for its beginning, numbered after
    /// the terms and the stop words.
    fn number_prefixes(&mut self) {
        let first = self.weights.len() as u32 + self.normalizer.stop_count();
        self.term_prefix = vec![NO_TOKEN; self.weights.len()];
        let mut stems: Vec<(&String, &u32)> = self.term_ids.iter().collect();
        stems.sort();
        for (stem, id) in stems {
            if let Some(prefix) = prefix(stem) {
                let next = first + self.prefixes.len() as u32;
                let token = *self.prefixes.entry(prefix.to_string()).or_insert(next);
                self.term_prefix[*id as usize] = token;
            }
        }
    }

    /// Trains the classifier on every utterance and fits the calibrator on questions held
    /// out of a second classifier (trained beside the first) and out of the index; with
    /// `like`, keeps its calibrator instead.
    fn learn(
        &mut self,
        utterances: &[Utterance<'_>],
        docs_terms: &[(u32, Vec<u32>)],
        target_ids: &[&str],
        like: Option<&Matcher>,
    ) {
        let tokens = self.weights.len() + self.normalizer.stop_count() as usize;
        let mut features = FeatureSpace::new((tokens + self.prefixes.len()) as u32);
        let encoded: Vec<Vec<u32>> = utterances
            .iter()
            .map(|u| {
                let canonical = self
                    .normalizer
                    .canonical(&u.text, &extract::extract(&u.text));
                let terms = self.message_terms(&canonical);
                features.learn(&terms.tokens, &terms.prefixes)
            })
            .collect();
        let (rows, classes) = (features.len(), self.targets.len());
        if rows.saturating_mul(classes) > MAX_WEIGHTS
            || utterances.len().saturating_mul(classes) > MAX_TRAINING_WORK
        {
            // Too big to learn within a compile's budget: the overlap score decides alone.
            return;
        }
        self.features = features;
        let examples: Vec<Example<'_>> = utterances
            .iter()
            .zip(&encoded)
            .map(|(u, features)| Example {
                class: u.target,
                features,
                weight: u.weight,
                key: text_hash(&u.text),
            })
            .collect();
        if let Some(like) = like.filter(|l| l.calibration.learned) {
            self.classifier = Classifier::train(&examples, rows, classes);
            self.calibrator = like.calibrator.clone();
            self.calibration = like.calibration;
            return;
        }
        let split = HoldOut::choose(utterances, target_ids);
        let trained: Vec<Example<'_>> = examples
            .iter()
            .enumerate()
            .filter(|(i, e)| split.trains(*i, e.class))
            .map(|(_, e)| e.clone())
            .collect();
        let (classifier, held_out_model) = std::thread::scope(|scope| {
            let held_out_model = scope.spawn(|| Classifier::train(&trained, rows, classes));
            let classifier = Classifier::train(&examples, rows, classes);
            let held_out_model = held_out_model
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (classifier, held_out_model)
        });
        self.classifier = classifier;
        self.calibrator = self.calibrate(utterances, docs_terms, &split, &held_out_model);
        self.calibration = CalibrationSummary {
            learned: true,
            held_out: split.questions.len() - split.uncovered_questions,
            uncovered: split.uncovered_questions,
        };
    }

    /// Fits the calibrator on the evidence about every candidate for every held-out
    /// question, each seen as content without that question (or its whole topic) would see
    /// it, weighed by `held_out_model`.
    fn calibrate(
        &self,
        utterances: &[Utterance<'_>],
        docs_terms: &[(u32, Vec<u32>)],
        split: &HoldOut,
        held_out_model: &Classifier,
    ) -> Calibrator {
        let mut rows = Vec::new();
        for &i in &split.questions {
            let utterance = &utterances[i];
            let truth = utterance.target;
            let uncovered = split.uncovered[truth as usize];
            let doc = utterance.doc.filter(|_| !uncovered).map(|d| {
                let (_, terms) = &docs_terms[d];
                (d as u32, truth, terms.as_slice())
            });
            let exclusion = Exclusion {
                doc,
                targets: &split.uncovered,
            };
            let weight = if uncovered {
                split.uncovered_weight
            } else {
                1.0
            };
            let extraction = extract::extract(&utterance.text);
            let canonical = self.normalizer.canonical(&utterance.text, &extraction);
            let mut terms = self.message_terms(&canonical);
            self.hide_excluded(&mut terms, &exclusion);
            let query = Query {
                ids: &terms.ids,
                mass: terms.mass,
                sequence: &terms.sequence,
                text: &utterance.text,
                extraction: &extraction,
                previous: None,
                exclude: Some(&exclusion),
            };
            for (t, evidence) in self.weigh(&query, &terms, held_out_model) {
                rows.push((evidence, !uncovered && t == truth as usize, weight));
            }
        }
        Calibrator::fit(&rows)
    }

    /// Makes the words that only held-out material uses unknown to a calibration question,
    /// as they would be to content that never had that material: a question about an
    /// uncovered topic has words no content uses, as real ones do.
    fn hide_excluded(&self, terms: &mut MessageTerms<'_>, exclusion: &Exclusion<'_>) {
        let hidden = |id: u32| {
            self.target_postings[id as usize].iter().all(|used| {
                exclusion.target(used.target as usize)
                    || exclusion.doc.is_some_and(|(_, t, doc_terms)| {
                        t == used.target
                            && used.docs == 1
                            && !used.in_body
                            && doc_terms.binary_search(&id).is_ok()
                    })
            })
        };
        let mut kept = Vec::with_capacity(terms.ids.len());
        for &id in &terms.ids {
            if hidden(id) {
                terms.mass += self.unknown_weight - self.weights[id as usize];
                terms.unknown.push("");
            } else {
                kept.push(id);
            }
        }
        if kept.len() == terms.ids.len() {
            return;
        }
        for slot in terms.sequence.iter_mut() {
            if slot.is_some_and(|id| !kept.contains(&id)) {
                *slot = None;
            }
        }
        let first_stop = self.weights.len() as u32;
        for token in terms.tokens.iter_mut() {
            if *token < first_stop && !kept.contains(token) {
                *token = NO_TOKEN;
            }
        }
        terms.ids = kept;
    }

    /// What the calibrator was fitted on.
    pub fn calibration(&self) -> CalibrationSummary {
        self.calibration
    }

    /// True when target `t` may answer after `previous`.
    fn eligible(&self, t: usize, previous: Option<&str>) -> bool {
        let after = &self.after[t];
        after.is_empty() || previous.is_some_and(|p| after.iter().any(|a| a == p))
    }

    /// The candidates for a query, with the evidence about each: the overlap score's best
    /// targets and the classifier's most probable ones.
    fn weigh(
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
        let mut terms = self.message_terms(&canonical);
        let evidence = self.weigh(
            &Query {
                ids: &terms.ids,
                mass: terms.mass,
                sequence: &terms.sequence,
                text,
                extraction,
                previous,
                exclude: None,
            },
            &terms,
            &self.classifier,
        );
        // Sorted, the message's terms are also the key of an utterance that says the same.
        let mut ids = std::mem::take(&mut terms.ids);
        ids.sort_unstable();
        let exact = if terms.unknown.is_empty() {
            self.exact.get(ids.as_slice()).copied()
        } else {
            None
        };
        let elsewhere = named.filter(|_| {
            let unknown_stems: Vec<String> = terms
                .unknown
                .iter()
                .map(|w| self.normalizer.stem(w).into_owned())
                .collect();
            !self
                .elsewhere
                .tied_to_uscis(extraction, &ids, &unknown_stems)
        });
        let mut candidates: Vec<Scored> = evidence
            .iter()
            .map(|(t, evidence)| {
                let mut score = self.calibrator.confidence(evidence);
                if exact == Some(*t as u32) {
                    score = score.max(EXACT_CONFIDENCE);
                }
                Scored {
                    target: self.targets[*t],
                    score,
                }
            })
            .collect();
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        candidates.truncate(TOP_N);
        Ranking {
            candidates,
            elsewhere: elsewhere.map(|topic| self.elsewhere.topic(topic).to_string()),
        }
    }

    /// The targets whose examples and questions a message overlaps most, best first, by
    /// the overlap score alone (no classifier, no calibration): how much of what the message
    /// says each target's utterances say. `check` uses it to find examples that say what
    /// another topic's examples say.
    pub fn overlap(&self, text: &str, extraction: &Extraction) -> Vec<Scored> {
        let words = normalize::message_words(text, extraction);
        let canonical = self.normalizer.canonical_of_words(words);
        let terms = self.message_terms(&canonical);
        self.best_candidates(&Query {
            ids: &terms.ids,
            mass: terms.mass,
            sequence: &terms.sequence,
            text,
            extraction,
            previous: None,
            exclude: None,
        })
        .into_iter()
        .map(|(scored, _, _)| scored)
        .collect()
    }

    /// The content words of a canonical message as term ids.
    fn message_terms<'a>(&'a self, canonical: &'a str) -> MessageTerms<'a> {
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
    fn best_candidates(&self, query: &Query<'_>) -> Vec<(Scored, f32, usize)> {
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
    fn score(&self, s: &mut Scratch, query: &Query<'_>) -> Vec<(Scored, f32, usize)> {
        let Query {
            ids,
            mass: query_mass,
            sequence,
            text,
            extraction,
            previous,
            exclude,
        } = *query;
        let own_doc = exclude.and_then(|e| e.doc);
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
            if !self.eligible(t, previous) || exclude.is_some_and(|e| e.target(t)) {
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
        if ranked.len() > OVERLAP_K {
            ranked.select_nth_unstable_by(OVERLAP_K - 1, order);
            ranked.truncate(OVERLAP_K);
        }
        ranked.sort_by(order);
        ranked
    }
}

/// Most classifier weights (feature rows × targets) content may need: 64 MB of them.
pub const MAX_WEIGHTS: usize = 16 << 20;
/// Most training utterances × targets content may have for the classifier to be trained
/// within a compile's budget (CLINC150's 15,000 × 150 is 2.25 million).
pub const MAX_TRAINING_WORK: usize = 8_000_000;

/// How many characters of a word's beginning the classifier sees as a feature of its own,
/// so "registering" and "registration" share something even when their stems differ.
const PREFIX_CHARS: usize = 4;

/// The first [`PREFIX_CHARS`] characters of a word at least one longer.
fn prefix(word: &str) -> Option<&str> {
    let mut ends = word.char_indices().map(|(i, _)| i).skip(PREFIX_CHARS);
    let end = ends.next()?;
    Some(&word[..end])
}

/// One text the classifier learns from.
struct Utterance<'c> {
    /// The target it belongs to.
    target: u32,
    /// Its document in the index (`None`: an article's answer text).
    doc: Option<usize>,
    text: std::borrow::Cow<'c, str>,
    /// How much it counts.
    weight: f32,
}

impl<'c> Utterance<'c> {
    fn doc(
        target: u32,
        doc: usize,
        text: impl Into<std::borrow::Cow<'c, str>>,
        weight: f32,
    ) -> Self {
        Utterance {
            target,
            doc: Some(doc),
            text: text.into(),
            weight,
        }
    }

    /// An example or question a person could have asked (not tags or answer text).
    fn is_question(&self) -> bool {
        self.doc.is_some() && self.weight == 1.0
    }
}

/// Which utterances calibration holds out of the second classifier and the index.
struct HoldOut {
    /// Per target: held out entirely, standing for what the content does not cover.
    uncovered: Vec<bool>,
    /// Per utterance: held out although its target is trained.
    held: Vec<bool>,
    /// The held-out questions calibration asks, in utterance order.
    questions: Vec<usize>,
    /// How many of them belong to uncovered targets.
    uncovered_questions: usize,
    /// How much each of those counts: together as much as a third of the others.
    uncovered_weight: f32,
}

/// Every this-many targets, one is held out entirely.
const UNCOVERED_EVERY: usize = 8;
/// Every this-many questions of a trained target, one is held out.
const HELD_OUT_EVERY: u64 = 5;
/// Questions a target keeps in training at least.
const KEEP_TRAINED: usize = 2;
/// Questions of an uncovered target calibration asks at most.
const UNCOVERED_QUESTIONS: usize = 15;

impl HoldOut {
    /// Chooses, by a hash of the targets' ids and the questions' texts (so the same content
    /// always gives the same split, and an edit moves only what it touches), a few targets
    /// to hold out entirely and about one question in [`HELD_OUT_EVERY`] of the others.
    fn choose(utterances: &[Utterance<'_>], target_ids: &[&str]) -> HoldOut {
        let targets = target_ids.len();
        let mut questions_of = vec![0usize; targets];
        for u in utterances.iter().filter(|u| u.is_question()) {
            questions_of[u.target as usize] += 1;
        }
        let mut order: Vec<usize> = (0..targets).filter(|t| questions_of[*t] > 0).collect();
        order.sort_by_key(|t| (mix(text_hash(target_ids[*t])), *t));
        let mut uncovered = vec![false; targets];
        let count = if order.len() >= 4 {
            order.len().div_ceil(UNCOVERED_EVERY)
        } else {
            0
        };
        for t in order.into_iter().take(count) {
            uncovered[t] = true;
        }
        let mut held = vec![false; utterances.len()];
        let mut kept = questions_of.clone();
        let mut asked = vec![0usize; targets];
        let mut questions = Vec::new();
        let mut uncovered_questions = 0;
        for (i, u) in utterances.iter().enumerate() {
            let t = u.target as usize;
            if !u.is_question() {
                continue;
            }
            if uncovered[t] {
                if asked[t] < UNCOVERED_QUESTIONS {
                    asked[t] += 1;
                    questions.push(i);
                    uncovered_questions += 1;
                }
            } else if kept[t] > KEEP_TRAINED
                && mix(text_hash(&u.text)).is_multiple_of(HELD_OUT_EVERY)
            {
                kept[t] -= 1;
                held[i] = true;
                questions.push(i);
            }
        }
        let covered = (questions.len() - uncovered_questions) as f32;
        let uncovered_weight = if uncovered_questions == 0 {
            0.0
        } else {
            (covered / 3.0 / uncovered_questions as f32).clamp(0.2, 1.0)
        };
        HoldOut {
            uncovered,
            held,
            questions,
            uncovered_questions,
            uncovered_weight,
        }
    }

    /// True when utterance `i` of target `t` trains the held-out classifier.
    fn trains(&self, i: usize, t: u32) -> bool {
        !self.held[i] && !self.uncovered[t as usize]
    }
}

/// The indices of the `k` largest values, largest first.
fn top_indices(values: &[f32], k: usize) -> Vec<usize> {
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
fn top_two(values: impl Iterator<Item = (usize, f32)>) -> ((usize, f32), (usize, f32)) {
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
fn contains_sequence(sequence: &[Option<u32>], phrase: &[u32]) -> bool {
    sequence
        .windows(phrase.len())
        .any(|w| w.iter().zip(phrase).all(|(a, b)| *a == Some(*b)))
}

/// One target's use of a term.
#[derive(Debug, Clone, Copy)]
struct TargetUse {
    target: u32,
    /// How many of the target's documents (examples, questions, tags) have the term.
    docs: u16,
    /// Whether its answer text has it.
    in_body: bool,
}

impl TargetUse {
    /// The share of the term's weight the target explains: 1 where its questions or
    /// examples use the term, [`BODY_SHARE`] where only its answer text does; without one
    /// of the documents that have it when `less_one` (a held-out question's own).
    fn share(&self, less_one: bool) -> f32 {
        if self.docs > u16::from(less_one) {
            1.0
        } else if self.in_body {
            BODY_SHARE
        } else {
            0.0
        }
    }
}

/// Term → the targets using it.
type TargetPostings = Vec<Vec<TargetUse>>;

/// Term → documents, each document's inverse mass, and term → the targets using it.
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
    for (in_body, sources) in [(false, docs_terms), (true, body_terms)] {
        for (target, ids) in sources {
            for id in ids {
                let list = &mut target_postings[*id as usize];
                let at = list.partition_point(|u| u.target < *target);
                match list.get_mut(at).filter(|u| u.target == *target) {
                    Some(used) if in_body => used.in_body = true,
                    Some(used) => used.docs = used.docs.saturating_add(1),
                    None => list.insert(
                        at,
                        TargetUse {
                            target: *target,
                            docs: u16::from(!in_body),
                            in_body,
                        },
                    ),
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
