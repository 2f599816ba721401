//! Compiling the content into a [`Matcher`]: term ids and weights, documents and their
//! postings, exact utterances, keyword phrases and patterns, then learning from it all.

use super::index::{
    AMBIGUOUS, CalibrationSummary, Matcher, Target, Terms, UNKNOWN_SCALE, keywords_and_patterns,
    postings, prefix,
};
use super::learn::{BODY_SAMPLE_WEIGHT, TAGS_SAMPLE_WEIGHT, Utterance};
use crate::nlu::calibrate::Calibrator;
use crate::nlu::classifier::{Classifier, FeatureSpace, NO_TOKEN};
use crate::nlu::content::{Content, without_placeholders};
use crate::nlu::elsewhere::ElsewhereIndex;
use crate::nlu::extract::{self, EntityKind, Extraction};
use crate::nlu::fxhash::FxHashMap;
use crate::nlu::normalize::Normalizer;

impl Matcher {
    /// Compiles the index for `content` and learns from it (keeping `like`'s calibrator
    /// when given, see [`Matcher::build_like`]).
    pub(super) fn build_with(content: &Content, like: Option<&Matcher>) -> Matcher {
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

        let Documents {
            terms,
            targets,
            docs_terms,
            body_terms,
            exact,
            utterances,
            slot_kinds,
            after,
        } = index_documents(content, &normalizer, &bodies);

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
    pub(super) fn number_prefixes(&mut self) {
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
}

/// Every document of the content (examples, questions, alternatives, tag sets) and every
/// answer text, as term ids per target, with what the classifier learns from.
pub(super) struct Documents<'c> {
    pub(super) terms: Terms,
    pub(super) targets: Vec<Target>,
    /// Per document: its target and sorted term ids.
    pub(super) docs_terms: Vec<(u32, Vec<u32>)>,
    /// Per article: its target and the sorted term ids of its answer text.
    pub(super) body_terms: Vec<(u32, Vec<u32>)>,
    /// Sorted term ids of each example and question → its target ([`AMBIGUOUS`] if shared).
    pub(super) exact: FxHashMap<Vec<u32>, u32>,
    /// Every document's text, then every answer text.
    pub(super) utterances: Vec<Utterance<'c>>,
    /// Per target: the entity kinds it has slots for.
    pub(super) slot_kinds: Vec<Vec<EntityKind>>,
    /// Per target: the intents it may only follow.
    pub(super) after: Vec<Vec<String>>,
}

/// Reads every intent and article into [`Documents`], stemming with `normalizer`;
/// `bodies` are the articles' answer texts without placeholders.
fn index_documents<'c>(
    content: &'c Content,
    normalizer: &Normalizer,
    bodies: &[std::borrow::Cow<'c, str>],
) -> Documents<'c> {
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
    Documents {
        terms,
        targets,
        docs_terms,
        body_terms,
        exact,
        utterances,
        slot_kinds,
        after,
    }
}
