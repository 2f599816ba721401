//! Evaluation on labelled questions (`casebot eval --labelled`): real chat logs or a
//! benchmark, each question with the intent or article that should answer it, or none when
//! it should fall back. Every question is the first message of a new chat with no language
//! chosen, and counts as answered right only with the expected id *in the question's
//! language* when the label gives one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::pipeline::respond_now;
use super::state::DialogState;
use super::turn::{DialogOptions, NoCases};
use crate::nlu::{Lang, Nlu};

/// One labelled question, as a line of the JSON Lines file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    /// The question as typed.
    pub text: String,
    /// The intent or article id that should answer; `null` when it should fall back; `""`
    /// when nobody labelled it yet (`casebot eval` then says it needs a label).
    pub expect: Option<String>,
    /// The language the answer must be in (`en`, `es`); any when left out.
    #[serde(default)]
    pub lang: Option<String>,
}

/// What happened to one question.
#[derive(Debug, Clone, Serialize)]
pub struct Graded {
    /// The question.
    pub text: String,
    /// What should have answered (`None`: the fallback).
    pub expect: Option<String>,
    /// The language the answer had to be in, when the label says.
    pub lang: Option<Lang>,
    /// What answered (`None`: the fallback).
    pub got: Option<String>,
    /// Language of the answer.
    pub answered_in: Lang,
    /// Confidence of the answer.
    pub confidence: f32,
    /// The best candidate and its score, whatever was answered: what a lower or higher
    /// threshold would have answered.
    pub best: Option<(String, f32)>,
}

impl Graded {
    /// True when the right target answered in the right language (or the question fell
    /// back as it should).
    pub fn right(&self) -> bool {
        self.got == self.expect && self.lang.is_none_or(|l| l == self.answered_in)
    }
}

/// The figures of one group of graded questions.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Figures {
    /// Questions with an expected target.
    pub in_scope: usize,
    /// Of those, answered by the right target (in the right language).
    pub in_scope_right: usize,
    /// Questions that should fall back.
    pub out_of_scope: usize,
    /// Of those, that fell back.
    pub out_of_scope_fell_back: usize,
    /// Every fallback.
    pub fell_back: usize,
}

impl Figures {
    fn add(&mut self, g: &Graded) {
        match &g.expect {
            Some(_) => {
                self.in_scope += 1;
                self.in_scope_right += usize::from(g.right());
            }
            None => {
                self.out_of_scope += 1;
                self.out_of_scope_fell_back += usize::from(g.got.is_none());
            }
        }
        self.fell_back += usize::from(g.got.is_none());
    }

    /// In-scope accuracy in percent.
    pub fn accuracy(&self) -> f64 {
        percent(self.in_scope_right, self.in_scope)
    }

    /// Out-of-scope recall in percent: of the questions that should fall back, how many did.
    pub fn recall(&self) -> f64 {
        percent(self.out_of_scope_fell_back, self.out_of_scope)
    }

    /// Out-of-scope precision in percent: of the fallbacks, how many should have been.
    pub fn precision(&self) -> f64 {
        percent(self.out_of_scope_fell_back, self.fell_back)
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Grades every question.
pub fn grade(nlu: &Nlu, questions: &[Labelled]) -> Vec<Graded> {
    let options = DialogOptions {
        lookups_per_window: usize::MAX,
    };
    questions
        .iter()
        .map(|q| {
            let mut state = DialogState::default();
            let outcome = respond_now(&mut state, &q.text, nlu, &NoCases, &options);
            let language = nlu.get(outcome.lang);
            Graded {
                text: q.text.clone(),
                expect: q.expect.clone(),
                lang: q.lang.as_deref().and_then(Lang::from_code),
                got: outcome.answer.intent,
                answered_in: outcome.lang,
                confidence: outcome.answer.confidence,
                best: outcome
                    .ranked
                    .first()
                    .map(|c| (language.target_id(c.target).to_string(), c.score)),
            }
        })
        .collect()
}

/// Figures for all questions and per language of the label (`None`: unlabelled).
pub fn figures_by_lang(graded: &[Graded]) -> (Figures, BTreeMap<Option<Lang>, Figures>) {
    let mut all = Figures::default();
    let mut by_lang: BTreeMap<Option<Lang>, Figures> = BTreeMap::new();
    for g in graded {
        all.add(g);
        by_lang.entry(g.lang).or_default().add(g);
    }
    (all, by_lang)
}

/// Targets by how many of their questions went wrong, worst first: (id, wrong, total).
pub fn worst_targets(graded: &[Graded]) -> Vec<(String, usize, usize)> {
    let mut by_id: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for g in graded {
        let Some(id) = &g.expect else { continue };
        let entry = by_id.entry(id.clone()).or_default();
        entry.1 += 1;
        entry.0 += usize::from(!g.right());
    }
    let mut list: Vec<_> = by_id
        .into_iter()
        .filter(|(_, (wrong, _))| *wrong > 0)
        .map(|(id, (wrong, total))| (id, wrong, total))
        .collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list
}

/// (expected, got) pairs of wrong answers with their counts, most frequent first; the
/// fallback is written `(fallback)`.
pub fn confusions(graded: &[Graded]) -> Vec<((String, String), usize)> {
    let name = |id: &Option<String>| id.clone().unwrap_or_else(|| "(fallback)".to_string());
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for g in graded.iter().filter(|g| !g.right()) {
        let mut got = name(&g.got);
        if g.lang.is_some_and(|l| l != g.answered_in) {
            got.push_str(&format!(" (in {})", g.answered_in.name()));
        }
        *counts.entry((name(&g.expect), got)).or_default() += 1;
    }
    let mut list: Vec<_> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list
}

/// How the figures would move if the answer threshold were `threshold`: a question is
/// taken as answered by its best candidate when that scores at least `threshold`, else as
/// falling back. An approximation from the ranked candidates: it leaves out what the
/// dialog adds (slot questions, other organizations' topics, identifiers alone).
pub fn at_threshold(graded: &[Graded], threshold: f32) -> Figures {
    let mut figures = Figures::default();
    for g in graded {
        let got = g
            .best
            .as_ref()
            .filter(|(_, score)| *score >= threshold)
            .map(|(id, _)| id.clone());
        figures.add(&Graded { got, ..g.clone() });
    }
    figures
}

/// Answers whose confidence fell in one band, and how many of them were right.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Band {
    /// Lowest confidence of the band.
    pub from: f32,
    /// Confidence the band stops below (1 is in the last band).
    pub to: f32,
    /// Questions whose best candidate's confidence is in the band.
    pub answers: usize,
    /// Of those, how many the best candidate answers right (an out-of-scope question never).
    pub right: usize,
}

/// Where the confidence bands start: does "0.7" mean right seven times in ten or more?
pub const BAND_EDGES: [f32; 6] = [0.0, 0.3, 0.5, 0.7, 0.8, 0.9];

/// How often the best candidate is right, per confidence band.
pub fn calibration(graded: &[Graded]) -> Vec<Band> {
    let mut bands: Vec<Band> = BAND_EDGES
        .iter()
        .enumerate()
        .map(|(i, from)| Band {
            from: *from,
            to: BAND_EDGES.get(i + 1).copied().unwrap_or(1.0),
            answers: 0,
            right: 0,
        })
        .collect();
    for g in graded {
        let Some((id, score)) = &g.best else { continue };
        let band = BAND_EDGES
            .iter()
            .rposition(|from| score >= from)
            .unwrap_or(0);
        bands[band].answers += 1;
        bands[band].right += usize::from(g.expect.as_deref() == Some(id.as_str()));
    }
    bands
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str, expect: Option<&str>, lang: Option<&str>) -> Labelled {
        Labelled {
            text: text.into(),
            expect: expect.map(String::from),
            lang: lang.map(String::from),
        }
    }

    #[test]
    fn questions_are_graded_by_target_and_language() {
        let nlu = Nlu::shipped();
        let graded = grade(
            nlu,
            &[
                q("I forgot my password", Some("forgot-password"), Some("en")),
                q("olvidé mi contraseña", Some("forgot-password"), Some("es")),
                q("olvidé mi contraseña", Some("forgot-password"), Some("en")),
                q("recipe for chicken soup", None, None),
                q("I forgot my password", None, None),
            ],
        );
        let right: Vec<bool> = graded.iter().map(Graded::right).collect();
        assert_eq!(right, [true, true, false, true, false]);
        let (all, by_lang) = figures_by_lang(&graded);
        assert_eq!((all.in_scope, all.in_scope_right), (3, 2));
        assert_eq!((all.out_of_scope, all.out_of_scope_fell_back), (2, 1));
        assert_eq!(all.precision(), 100.0);
        assert_eq!(by_lang[&Some(Lang::Es)].accuracy(), 100.0);
        assert_eq!(by_lang[&Some(Lang::En)].accuracy(), 50.0);
        assert_eq!(worst_targets(&graded), [("forgot-password".into(), 1, 3)]);
        let bands = calibration(&graded);
        assert_eq!(bands.iter().map(|b| b.answers).sum::<usize>(), 5);
        assert_eq!(
            bands.iter().map(|b| b.right).sum::<usize>(),
            3,
            "the English password question is right whatever the language"
        );
        let strict = at_threshold(&graded, 1.01);
        assert_eq!(strict.fell_back, graded.len(), "nothing scores over 1");
    }
}
