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

mod build;
mod index;
mod learn;
mod score;

pub use index::{
    BODY_SHARE, CalibrationSummary, EXACT_CONFIDENCE, MIN_DOC_MASS, Matcher, Ranking, Scored,
    Target, UNKNOWN_SCALE,
};
pub use learn::{MAX_TRAINING_WORK, MAX_WEIGHTS};
use score::Query;

use super::content::Content;
use super::extract::Extraction;
use super::normalize::{self, Normalizer};

/// How many candidates `rank` returns.
const TOP_N: usize = 5;

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

    /// What the calibrator was fitted on.
    pub fn calibration(&self) -> CalibrationSummary {
        self.calibration
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
        self.rank_words(&words, text, extraction, previous)
    }

    /// [`Matcher::rank`] of a message whose [`normalize::message_words`] are `words`: the
    /// folding every language shares, done once when several languages rank a message.
    pub fn rank_words(
        &self,
        words: &str,
        text: &str,
        extraction: &Extraction,
        previous: Option<&str>,
    ) -> Ranking {
        let named = self.elsewhere.named(words);
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
            words: terms.sequence.len(),
        }
    }

    /// The targets whose examples and questions a message overlaps most, best first, by
    /// the overlap score alone (no classifier, no calibration): how much of what the message
    /// says each target's utterances say. `check` uses it to find examples that say what
    /// another topic's examples say.
    pub fn overlap(&self, text: &str, extraction: &Extraction) -> Vec<Scored> {
        let words = normalize::message_words(text, extraction);
        let canonical = self.normalizer.canonical_of_words(&words);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nlu::Nlu;
    use crate::nlu::lang::Lang;

    fn english() -> &'static crate::nlu::Language {
        Nlu::shipped().get(Lang::En)
    }

    fn top(text: &str) -> Option<Scored> {
        let matcher = &english().matcher;
        let extraction = crate::nlu::extract::extract(text);
        matcher
            .rank(text, &extraction, None)
            .candidates
            .into_iter()
            .next()
    }

    fn id_of(target: Target) -> String {
        let content = &english().content;
        match target {
            Target::Intent(i) => content.intents[i].def.id.get_ref().clone(),
            Target::Article(a) => content.articles[a].meta.id.get_ref().clone(),
        }
    }

    #[test]
    fn every_example_listed_lands_on_its_own_target_with_near_certainty() {
        let content = &english().content;
        let examples = content.intents.iter().flat_map(|i| {
            let id = i.def.id.get_ref().clone();
            i.def
                .examples
                .iter()
                .map(move |e| (e.get_ref().clone(), id.clone()))
        });
        let questions = content.articles.iter().map(|a| {
            (
                a.meta.question.get_ref().clone(),
                a.meta.id.get_ref().clone(),
            )
        });
        for (text, id) in examples.chain(questions) {
            let best = top(&text).unwrap_or_else(|| panic!("{text:?} has no candidate"));
            assert_eq!(id_of(best.target), id, "{text:?}");
            assert!(
                best.score >= EXACT_CONFIDENCE - 1e-6,
                "{text:?}: {}",
                best.score
            );
        }
    }

    #[test]
    fn words_no_content_uses_are_not_answered_with_confidence() {
        for text in [
            "quantum chromodynamics lattice gauge",
            "zzyzx qwerty flibbertigibbet",
        ] {
            let best = top(text).map_or(0.0, |s| s.score);
            assert!(best < 0.2, "{text:?}: {best}");
        }
    }

    #[test]
    fn the_same_content_compiles_to_the_same_ranking() {
        let content = &english().content;
        let again = Matcher::build(content);
        for text in [
            "how do i change my address",
            "my green card was stolen",
            "cuanto cuesta",
        ] {
            let extraction = crate::nlu::extract::extract(text);
            assert_eq!(
                english().matcher.rank(text, &extraction, None),
                again.rank(text, &extraction, None),
                "{text:?}"
            );
        }
    }

    #[test]
    fn candidates_come_best_first_and_at_most_five() {
        let extraction = crate::nlu::extract::extract("how do i check my case status online");
        let ranking =
            english()
                .matcher
                .rank("how do i check my case status online", &extraction, None);
        assert!(!ranking.candidates.is_empty() && ranking.candidates.len() <= TOP_N);
        assert!(
            ranking
                .candidates
                .windows(2)
                .all(|w| w[0].score >= w[1].score)
        );
    }
}
