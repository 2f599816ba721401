//! The compiled index and the types every part of the matcher shares: the matcher itself,
//! its documents and postings, keyword phrases and patterns, and how a target uses a term.

use std::collections::HashMap;

use regex::RegexSet;

use crate::nlu::calibrate::Calibrator;
use crate::nlu::classifier::{Classifier, FeatureSpace};
use crate::nlu::content::Content;
use crate::nlu::elsewhere::ElsewhereIndex;
use crate::nlu::extract::{EntityKind, Extraction};
use crate::nlu::fxhash::FxHashMap;
use crate::nlu::normalize::Normalizer;

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
    /// How many content words (not stop words) matching read in the message.
    pub words: usize,
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

/// Confidence of the target whose example or question the message says exactly: the author
/// listed those words for it.
pub const EXACT_CONFIDENCE: f32 = 0.97;

/// Weight of a word no content uses, relative to the rarest known word.
pub const UNKNOWN_SCALE: f32 = 1.2;

/// Score given to a target whose regex pattern matches.
pub(super) const PATTERN_FLOOR: f32 = 0.85;

/// Bonus when the message has an entity that the intent has a slot for.
pub(super) const ENTITY_BONUS: f32 = 0.08;

/// Index over all intents and articles of one content version.
pub struct Matcher {
    pub(super) normalizer: Normalizer,
    /// Names of things other organizations handle.
    pub(super) elsewhere: ElsewhereIndex,
    /// Stem → term id.
    pub(super) term_ids: FxHashMap<String, u32>,
    /// Canonical vocabulary word → term id (skips stemming at match time).
    pub(super) word_terms: FxHashMap<String, u32>,
    /// Weight (IDF) of each term.
    pub(super) weights: Vec<f32>,
    /// Weight of a word no content uses.
    pub(super) unknown_weight: f32,
    /// Term id → documents containing it.
    pub(super) postings: Vec<Vec<u32>>,
    /// Term id → the targets using it.
    pub(super) target_postings: TargetPostings,
    pub(super) docs: Vec<Doc>,
    pub(super) targets: Vec<Target>,
    /// Keyword phrases by first term.
    pub(super) keywords: HashMap<u32, Vec<Keyword>>,
    pub(super) patterns: RegexSet,
    /// Pattern index → target index.
    pub(super) pattern_targets: Vec<u32>,
    /// Entity kinds each target has a slot for.
    pub(super) slot_kinds: Vec<Vec<EntityKind>>,
    /// For each target: the intents it may only follow (empty: always eligible).
    pub(super) after: Vec<Vec<String>>,
    /// The sorted term ids of every example and question → its target ([`AMBIGUOUS`] when
    /// two targets say the same thing): a message that says exactly what an utterance says
    /// is answered by that utterance's owner, whatever the re-ranker prefers.
    pub(super) exact: FxHashMap<Vec<u32>, u32>,
    /// Weighs every target for a message (trained on the content's own utterances).
    pub(super) classifier: Classifier,
    /// The classifier's features: words, their beginnings and adjacent word pairs.
    pub(super) features: FeatureSpace,
    /// A word's first [`PREFIX_CHARS`] characters → its classifier token.
    pub(super) prefixes: FxHashMap<String, u32>,
    /// Term id → the token of its stem's beginning ([`NO_TOKEN`]: too short to have one).
    pub(super) term_prefix: Vec<u32>,
    /// Turns the evidence about a candidate into the probability that it is right.
    pub(super) calibrator: Calibrator,
    /// How the calibrator was fitted.
    pub(super) calibration: CalibrationSummary,
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

impl Matcher {
    /// True when target `t` may answer after `previous`.
    pub(super) fn eligible(&self, t: usize, previous: Option<&str>) -> bool {
        let after = &self.after[t];
        after.is_empty() || previous.is_some_and(|p| after.iter().any(|a| a == p))
    }
}

pub(super) struct Doc {
    pub(super) target: u32,
    /// 1 / the weight of the document's distinct terms (at least [`MIN_DOC_MASS`]).
    pub(super) inv_mass: f32,
}

pub(super) struct Keyword {
    pub(super) terms: Vec<u32>,
    pub(super) target: u32,
    pub(super) weight: f32,
}

/// Marks an utterance that two targets share.
pub(super) const AMBIGUOUS: u32 = u32::MAX;

/// Assigns term ids to stems.
#[derive(Default)]
pub(super) struct Terms {
    pub(super) ids: FxHashMap<String, u32>,
    /// Targets each term appears in (sorted, deduplicated at the end).
    pub(super) targets: Vec<Vec<u32>>,
}

impl Terms {
    pub(super) fn id(&mut self, stem: &str) -> u32 {
        if let Some(id) = self.ids.get(stem) {
            return *id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(stem.to_string(), id);
        self.targets.push(Vec::new());
        id
    }

    pub(super) fn seen_in(&mut self, id: u32, target: u32) {
        let list = &mut self.targets[id as usize];
        if list.last() != Some(&target) {
            list.push(target);
        }
    }
}

/// How many characters of a word's beginning the classifier sees as a feature of its own,
/// so "registering" and "registration" share something even when their stems differ.
pub(super) const PREFIX_CHARS: usize = 4;

/// The first [`PREFIX_CHARS`] characters of a word at least one longer.
pub(super) fn prefix(word: &str) -> Option<&str> {
    let mut ends = word.char_indices().map(|(i, _)| i).skip(PREFIX_CHARS);
    let end = ends.next()?;
    Some(&word[..end])
}

/// One target's use of a term.
#[derive(Debug, Clone, Copy)]
pub(super) struct TargetUse {
    pub(super) target: u32,
    /// How many of the target's documents (examples, questions, tags) have the term.
    pub(super) docs: u16,
    /// Whether its answer text has it.
    pub(super) in_body: bool,
}

impl TargetUse {
    /// The share of the term's weight the target explains: 1 where its questions or
    /// examples use the term, [`BODY_SHARE`] where only its answer text does; without one
    /// of the documents that have it when `less_one` (a held-out question's own).
    pub(super) fn share(&self, less_one: bool) -> f32 {
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
pub(super) type TargetPostings = Vec<Vec<TargetUse>>;

/// Term → documents, each document's inverse mass, and term → the targets using it.
pub(super) fn postings(
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
pub(super) fn keywords_and_patterns(
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
pub(super) fn pattern_text(text: &str) -> std::borrow::Cow<'_, str> {
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
