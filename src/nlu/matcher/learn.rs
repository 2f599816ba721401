//! Learning from the content: the classifier trained on every utterance, and the
//! calibrator fitted on questions held out of a second classifier and of the index.

use super::index::{CalibrationSummary, Matcher};
use super::score::{Exclusion, MessageTerms, Query};
use crate::nlu::calibrate::Calibrator;
use crate::nlu::classifier::{Classifier, Example, FeatureSpace, NO_TOKEN, mix, text_hash};
use crate::nlu::extract;

/// Most classifier weights (feature rows × targets) content may need: 64 MB of them.
pub const MAX_WEIGHTS: usize = 16 << 20;

/// Most training utterances × targets content may have for the classifier to be trained
/// within a compile's budget (CLINC150's 15,000 × 150 is 2.25 million).
pub const MAX_TRAINING_WORK: usize = 8_000_000;

/// How much an article's answer text counts as a training utterance for the classifier.
pub(super) const BODY_SAMPLE_WEIGHT: f32 = 0.3;

/// How much an article's tag list counts as a training utterance for the classifier.
pub(super) const TAGS_SAMPLE_WEIGHT: f32 = 0.5;

impl Matcher {
    /// Trains the classifier on every utterance and fits the calibrator on questions held
    /// out of a second classifier (trained beside the first) and out of the index; with
    /// `like`, keeps its calibrator instead.
    pub(super) fn learn(
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
    pub(super) fn calibrate(
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
    pub(super) fn hide_excluded(&self, terms: &mut MessageTerms<'_>, exclusion: &Exclusion<'_>) {
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
}

/// One text the classifier learns from.
pub(super) struct Utterance<'c> {
    /// The target it belongs to.
    pub(super) target: u32,
    /// Its document in the index (`None`: an article's answer text).
    pub(super) doc: Option<usize>,
    pub(super) text: std::borrow::Cow<'c, str>,
    /// How much it counts.
    pub(super) weight: f32,
}

impl<'c> Utterance<'c> {
    pub(super) fn doc(
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
    pub(super) fn is_question(&self) -> bool {
        self.doc.is_some() && self.weight == 1.0
    }
}

/// Which utterances calibration holds out of the second classifier and the index.
pub(super) struct HoldOut {
    /// Per target: held out entirely, standing for what the content does not cover.
    pub(super) uncovered: Vec<bool>,
    /// Per utterance: held out although its target is trained.
    pub(super) held: Vec<bool>,
    /// The held-out questions calibration asks, in utterance order.
    pub(super) questions: Vec<usize>,
    /// How many of them belong to uncovered targets.
    pub(super) uncovered_questions: usize,
    /// How much each of those counts: together as much as a third of the others.
    pub(super) uncovered_weight: f32,
}

/// Every this-many targets, one is held out entirely.
pub(super) const UNCOVERED_EVERY: usize = 8;

/// Every this-many questions of a trained target, one is held out.
pub(super) const HELD_OUT_EVERY: u64 = 5;

/// Questions a target keeps in training at least.
pub(super) const KEEP_TRAINED: usize = 2;

/// Questions of an uncovered target calibration asks at most.
pub(super) const UNCOVERED_QUESTIONS: usize = 15;

impl HoldOut {
    /// Chooses, by a hash of the targets' ids and the questions' texts (so the same content
    /// always gives the same split, and an edit moves only what it touches), a few targets
    /// to hold out entirely and about one question in [`HELD_OUT_EVERY`] of the others.
    pub(super) fn choose(utterances: &[Utterance<'_>], target_ids: &[&str]) -> HoldOut {
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
    pub(super) fn trains(&self, i: usize, t: u32) -> bool {
        !self.held[i] && !self.uncovered[t as usize]
    }
}
