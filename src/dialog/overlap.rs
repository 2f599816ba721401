//! Edits that take questions from another topic: examples of two intents or articles that
//! are nearly the same question, and utterances a content change sends somewhere else
//! than before. Both are warnings: the content still works, but people asking one topic's
//! question may now get the other's answer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use toml::Spanned;

use super::evaluate::{FALLBACK, Report};
use crate::nlu::{Diagnostic, Lang, Language, Nlu, Severity};

/// Lowest score another topic must reach on an example for the two to count as rivals,
/// when every example is looked at.
const NEAR_SCORE: f32 = 0.9;
/// How close below the example's own topic another topic may score and still be a rival,
/// when every example is looked at.
const NEAR_MARGIN: f32 = 0.05;
/// Lowest score of a rival when only new examples are looked at: they are few, so each one
/// another topic would answer on its own is held out.
const NEW_RIVAL_SCORE: f32 = 0.75;
/// Share of their terms an example and the rival's closest example must have in common
/// (shared terms over all terms of both) when every example is looked at: a rival that
/// wins on other words (a synonym, a pattern) is left to `casebot test` to explain. New
/// examples are held out whatever they share.
const NEAR_OVERLAP: f32 = 0.5;
/// Examples held out per language and check: each costs a recompile of the content.
const MAX_HELD_OUT: usize = 40;
/// Utterances quoted in one "moved" warning.
const QUOTED: usize = 3;

/// One example or question of an intent or article.
struct Utterance<'a> {
    target: &'a str,
    path: &'a Path,
    text: &'a Spanned<String>,
}

/// Warns about each example that belongs to another intent or article: the other answers
/// it about as well as its own does (within [`NEAR_MARGIN`], at [`NEAR_SCORE`] or more; for
/// a new example, at [`NEW_RIVAL_SCORE`] or more), would answer it if the example were not
/// listed, and (unless the example is new) one of the other's examples shares most of its
/// words. Listing it takes that way of asking away from the other topic. The
/// warning names the other's closest example with its file and line. Only examples that
/// pass the first test are held out and recompiled, so a check stays fast; when `before`
/// is given, only examples it did not have (new or edited ones) are looked at.
pub fn near_duplicates(nlu: &Nlu, before: Option<&Nlu>) -> Vec<Diagnostic> {
    let known: HashSet<(Lang, &str, &str)> = before
        .into_iter()
        .flat_map(|b| b.languages())
        .flat_map(|l| {
            l.content
                .utterances()
                .map(move |(target, _, text)| (l.lang, target, text.get_ref().as_str()))
        })
        .collect();
    let mut found = Vec::new();
    for language in nlu.languages() {
        let utterances: Vec<Utterance> = language
            .content
            .utterances()
            .map(|(target, path, text)| Utterance { target, path, text })
            .collect();
        let mut by_target: HashMap<&str, Vec<&Utterance>> = HashMap::new();
        for u in &utterances {
            by_target.entry(u.target).or_default().push(u);
        }
        let terms = |text: &str| -> HashSet<String> {
            let normalizer = language.matcher.normalizer();
            let extraction = crate::nlu::extract::extract(text);
            normalizer.terms(text, &extraction).into_iter().collect()
        };
        // Cheap tests first: a rival that scores about as high, with a similar example.
        let mut suspects: Vec<Suspect> = Vec::new();
        for (n, u) in utterances.iter().enumerate() {
            if known.contains(&(language.lang, u.target, u.text.get_ref().as_str())) {
                continue;
            }
            let Some((rival, lead)) = rival(language, u, before.is_some()) else {
                continue;
            };
            let mine = terms(u.text.get_ref());
            let closest = by_target
                .get(rival)
                .into_iter()
                .flatten()
                .map(|theirs| (overlap(&mine, &terms(theirs.text.get_ref())), *theirs))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((share, theirs)) = closest
                && (share >= NEAR_OVERLAP || before.is_some())
            {
                suspects.push(Suspect {
                    n,
                    rival,
                    lead,
                    theirs,
                });
            }
        }
        // The costly one, holding each out and recompiling, for the likeliest first.
        suspects.sort_by(|a, b| b.lead.total_cmp(&a.lead).then(a.n.cmp(&b.n)));
        let skipped = suspects.split_off(suspects.len().min(MAX_HELD_OUT));
        let taken = held_out_in_parallel(language, &utterances, &suspects);
        for (suspect, taken) in suspects.iter().zip(taken) {
            if taken {
                found.push(warning(language, &utterances[suspect.n], suspect.theirs));
            }
        }
        if let Some(first) = skipped.iter().min_by_key(|s| s.n) {
            let u = &utterances[first.n];
            found.push(language.content.diag_at(
                u.path,
                u.text.span().start,
                Severity::Warning,
                format!(
                    "{} more examples (this one first) score about as high for another topic \
                     and were not checked for taking its questions (at most {MAX_HELD_OUT} per \
                     check); commit the content, and `check` looks only at what you change",
                    skipped.len()
                ),
            ));
        }
    }
    found
}

/// An example another topic may have a claim on, before it is held out.
struct Suspect<'u, 'a> {
    /// Its place among the language's utterances.
    n: usize,
    rival: &'a str,
    /// How far the rival scores above the example's own topic.
    lead: f32,
    /// The rival's example closest to it.
    theirs: &'u Utterance<'a>,
}

/// [`taken_from`] for each suspect, on every core.
fn held_out_in_parallel(
    language: &Language,
    utterances: &[Utterance],
    suspects: &[Suspect],
) -> Vec<bool> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut taken = vec![false; suspects.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|k| {
                scope.spawn(move || {
                    suspects
                        .iter()
                        .enumerate()
                        .skip(k)
                        .step_by(threads)
                        .map(|(i, s)| (i, taken_from(language, s.n, &utterances[s.n], s.rival)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for (i, t) in worker.join().expect("hold-out worker") {
                taken[i] = t;
            }
        }
    });
    taken
}

/// The other intent or article that answers `u` about as well as its own, and by how much
/// it scores above it.
fn rival<'a>(language: &'a Language, u: &Utterance, new: bool) -> Option<(&'a str, f32)> {
    let text = u.text.get_ref();
    let candidates = language
        .matcher
        .overlap(text, &crate::nlu::extract::extract(text));
    let own = candidates
        .iter()
        .find(|c| language.target_id(c.target) == u.target)
        .map_or(0.0, |c| c.score);
    candidates
        .iter()
        .map(|c| (language.target_id(c.target), c.score))
        .find(|(id, _)| *id != u.target)
        .filter(|(_, score)| {
            if new {
                *score >= NEW_RIVAL_SCORE
            } else {
                *score >= NEAR_SCORE && *score >= own - NEAR_MARGIN
            }
        })
        .map(|(id, score)| (id, score - own))
}

/// True when, without `u` (the `n`th utterance of the content), the content would answer
/// it with `rival`: `u` is the rival's question, listed under another topic. An example
/// its own topic still answers without it is covered there, rival or not.
fn taken_from(language: &Language, n: usize, u: &Utterance, rival: &str) -> bool {
    let Some(content) = language.content.without_utterance(n) else {
        return false;
    };
    let held_out = Language::compile_like(content, language);
    held_out
        .parse(u.text.get_ref(), None)
        .candidates
        .first()
        .is_some_and(|best| held_out.target_id(best.target) == rival)
}

/// Shared terms over all terms of both.
fn overlap(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let shared = a.intersection(b).count();
    let all = a.len() + b.len() - shared;
    if all == 0 {
        0.0
    } else {
        shared as f32 / all as f32
    }
}

/// The warning at `mine` that it is the question of `theirs`'s topic.
fn warning(language: &Language, mine: &Utterance, theirs: &Utterance) -> Diagnostic {
    let content = &language.content;
    let there = content.diag_at(
        theirs.path,
        theirs.text.span().start,
        Severity::Warning,
        String::new(),
    );
    content.diag_at(
        mine.path,
        mine.text.span().start,
        Severity::Warning,
        format!(
            "\"{}\" of `{}` asks what `{}` answers: without it listed here, `{}` answers it \
             (its closest example: \"{}\" at {}:{}), so listing it here takes that way of \
             asking away from `{}`; move it there or reword it",
            mine.text.get_ref(),
            mine.target,
            theirs.target,
            theirs.target,
            theirs.text.get_ref(),
            there.path.display(),
            there.line,
            theirs.target,
        ),
    )
}

/// Warns, once per pair of topics, about the utterances a content change sends to a
/// different intent or article than `before` did: "this change moved 2 utterances from
/// `replace-green-card` to `i-90-fee`". Utterances new in the change are not compared.
pub fn moved(before: &Report, after: &Report, nlu: &Nlu) -> Vec<Diagnostic> {
    let landed: HashMap<(Lang, &str, &str), &str> = before
        .outcomes
        .iter()
        .map(|o| {
            let got = o.got.as_deref().unwrap_or(FALLBACK);
            ((o.lang, o.expected.as_str(), o.text.as_str()), got)
        })
        .collect();
    let mut moves: BTreeMap<(Lang, &str, &str), Vec<&super::evaluate::Outcome>> = BTreeMap::new();
    for o in &after.outcomes {
        let now = o.got.as_deref().unwrap_or(FALLBACK);
        match landed.get(&(o.lang, o.expected.as_str(), o.text.as_str())) {
            Some(&was) if was != now => moves.entry((o.lang, was, now)).or_default().push(o),
            _ => {}
        }
    }
    moves
        .into_iter()
        .map(|((lang, from, to), outcomes)| {
            let quoted: Vec<String> = outcomes
                .iter()
                .take(QUOTED)
                .map(|o| format!("\"{}\"", o.text))
                .collect();
            let more = outcomes.len().saturating_sub(QUOTED);
            let first = outcomes[0];
            nlu.get(lang).content.diag_at(
                &first.path,
                first.at,
                Severity::Warning,
                format!(
                    "this change moved {} {} from `{from}` to `{to}`: {}{}",
                    outcomes.len(),
                    if outcomes.len() == 1 {
                        "utterance"
                    } else {
                        "utterances"
                    },
                    quoted.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    },
                ),
            )
        })
        .collect()
}
