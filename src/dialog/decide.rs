//! Deciding what answers a message: a pure function of the parse, the content and the
//! question the assistant is waiting to have answered. No I/O, no state changes.

use super::state::Pending;
use crate::nlu::action::Action;
use crate::nlu::extract::{EntityKind, Extraction};
use crate::nlu::{Language, Parse, Scored, Target};

/// Largest gap between the answer's confidence and the runner-up's that counts as a near
/// tie: the answer then offers the runner-up as a "did you mean", and the question is logged
/// for authors. Confidences are probabilities of being right, so two answers rarely both
/// reach the answer threshold; a runner-up with a real chance is the ambiguity that matters.
pub const NEAR_TIE_MARGIN: f32 = 0.3;
/// Confidence from which an article beats a receipt number typed in passing.
const STRONG_ARTICLE: f32 = 0.75;
/// Confidence of a case look-up answering a bare receipt number.
const BARE_RECEIPT_CONFIDENCE: f32 = 0.9;

/// What answers a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The message holds a Social Security number: warn, and remember nothing of it.
    PrivacyWarning,
    /// The message answers the question the assistant asked: run that intent again.
    CompleteSlot {
        /// Index of the intent in the content.
        intent: usize,
    },
    /// Run an intent: its action, or its response template.
    Intent {
        /// Index of the intent in the content.
        intent: usize,
        /// Confidence of the answer.
        confidence: f32,
    },
    /// Answer with an article.
    Article {
        /// Index of the article in the content.
        article: usize,
        /// Confidence of the answer.
        confidence: f32,
    },
    /// The message is about something another organization handles.
    Elsewhere {
        /// What it is about, as the content names it.
        topic: String,
    },
    /// Nothing answers well enough.
    Fallback,
}

impl Decision {
    /// Answering with a candidate: its intent or its article, at its confidence.
    fn answer(candidate: &Scored) -> Decision {
        match candidate.target {
            Target::Intent(intent) => Decision::Intent {
                intent,
                confidence: candidate.score,
            },
            Target::Article(article) => Decision::Article {
                article,
                confidence: candidate.score,
            },
        }
    }
}

/// Picks what answers, in order: a privacy warning, the pending question, a receipt number
/// with nothing clearer to answer, another organization's topic, the best candidate, or
/// the fallback.
pub fn decide(pending: Option<&Pending>, parse: &Parse, nlu: &Language) -> Decision {
    if parse.extraction.first(EntityKind::Ssn).is_some() {
        return Decision::PrivacyWarning;
    }
    let top = parse
        .candidates
        .first()
        .filter(|c| c.score >= nlu.content.settings.answer_threshold);
    if let Some(pending) = pending
        && let Some(intent) = completes(pending, top, parse, nlu)
    {
        return Decision::CompleteSlot { intent };
    }
    if let Some(decision) = question_beside_receipt(parse, nlu) {
        return decision;
    }
    if let Some(decision) = bare_receipt(top, parse, nlu) {
        return decision;
    }
    if let Some(topic) = &parse.elsewhere {
        return Decision::Elsewhere {
            topic: topic.clone(),
        };
    }
    match top {
        Some(best) => Decision::answer(best),
        None => Decision::Fallback,
    }
}

/// The pending intent, when the message supplies what it asked for and the person did not
/// clearly turn to another case action.
fn completes(
    pending: &Pending,
    top: Option<&Scored>,
    parse: &Parse,
    nlu: &Language,
) -> Option<usize> {
    let supplies = parse.extraction.first(pending.entity).is_some()
        || (pending.entity == EntityKind::ReceiptNumber && offers_receipt_like(&parse.extraction));
    // A bare "here is my receipt number" reads as the generic status request, so only
    // another specific case action ("notify me about …") overrides the pending question.
    let overridden = top.is_some_and(|c| {
        let action = action_of(nlu, c.target);
        action.is_some()
            && action != Some(Action::CaseStatus)
            && nlu.target_id(c.target) != pending.intent
    });
    if !supplies || overridden {
        return None;
    }
    nlu.intent_index(&pending.intent)
}

/// Content words (not stop words) a message needs beside its receipt number to ask a
/// question of its own: "EAC… approved?" is about the case, "my receipt is EAC…, how do I
/// change my address" is not.
const QUESTION_WORDS: usize = 3;

/// A clear question about something other than the case, asked beside a receipt number:
/// it is answered (the answer then offers the case look-up as a quick reply). A specific
/// case action the whole message asks for (the office, the history, notices) stays, and one
/// the words beside the number ask for ("what does EAC mean in my receipt EAC…") is run on
/// it. When the whole message, number included, reads as the look-up at least as surely as
/// the words beside it read as their answer ("how can I check my status? my receipt number
/// is EAC…"), the number is looked up.
fn question_beside_receipt(parse: &Parse, nlu: &Language) -> Option<Decision> {
    let threshold = nlu.content.settings.answer_threshold;
    let top = parse.candidates.first().filter(|c| c.score >= threshold);
    if top.is_some_and(|c| action_of(nlu, c.target).is_some_and(|a| a != Action::CaseStatus)) {
        return None;
    }
    let (candidates, words) = &parse.beside_identifiers;
    let best = candidates.first()?;
    if *words < QUESTION_WORDS || best.score < threshold {
        return None;
    }
    match action_of(nlu, best.target) {
        Some(Action::CaseStatus) => return None,
        Some(_) => return Some(Decision::answer(best)),
        None => {}
    }
    let surely_the_look_up = top.is_some_and(|c| {
        action_of(nlu, c.target) == Some(Action::CaseStatus) && c.score >= best.score
    });
    if surely_the_look_up {
        return None;
    }
    Some(Decision::answer(best))
}

/// A receipt number, or something meant as one, with nothing clearer to answer: look the
/// case up.
fn bare_receipt(top: Option<&Scored>, parse: &Parse, nlu: &Language) -> Option<Decision> {
    let has_receipt = parse.extraction.first(EntityKind::ReceiptNumber).is_some()
        || !parse.extraction.near_misses.is_empty();
    if !has_receipt {
        return None;
    }
    let top_is_case_action = top.is_some_and(|c| action_of(nlu, c.target).is_some());
    let strong_article =
        top.is_some_and(|c| matches!(c.target, Target::Article(_)) && c.score >= STRONG_ARTICLE);
    if top_is_case_action || strong_article {
        return None;
    }
    let intent = nlu
        .content
        .intents
        .iter()
        .position(|i| i.action == Some(Action::CaseStatus))?;
    let confidence = top.map_or(BARE_RECEIPT_CONFIDENCE, |c| {
        c.score.max(BARE_RECEIPT_CONFIDENCE)
    });
    Some(Decision::Intent { intent, confidence })
}

/// True when the runner-up is sure enough to be suggested (`suggest_threshold`) and lies
/// within [`NEAR_TIE_MARGIN`] of the best candidate.
pub fn near_tie(candidates: &[Scored], suggest_threshold: f32) -> bool {
    match (candidates.first(), candidates.get(1)) {
        (Some(best), Some(second)) => {
            second.score >= suggest_threshold && best.score - second.score <= NEAR_TIE_MARGIN
        }
        _ => false,
    }
}

/// True when the message holds something meant as a receipt number, valid or not, or
/// another identifier given in its place.
pub(crate) fn offers_receipt_like(extraction: &Extraction) -> bool {
    !extraction.near_misses.is_empty()
        || extraction.entities.iter().any(|e| {
            matches!(
                e.kind,
                EntityKind::ReceiptNumber | EntityKind::ANumber | EntityKind::AccountNumber
            )
        })
}

fn action_of(nlu: &Language, target: Target) -> Option<Action> {
    match target {
        Target::Intent(i) => nlu.content.intents[i].action,
        Target::Article(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nlu() -> &'static Language {
        crate::nlu::Nlu::shipped().english()
    }

    fn decide_text(pending: Option<&Pending>, text: &str) -> Decision {
        let nlu = nlu();
        decide(pending, &nlu.parse(text, None), nlu)
    }

    fn intent_id(decision: &Decision) -> Option<&str> {
        let nlu = nlu();
        match decision {
            Decision::Intent { intent, .. } | Decision::CompleteSlot { intent } => {
                Some(nlu.content.intents[*intent].def.id.get_ref())
            }
            Decision::Article { article, .. } => {
                Some(nlu.content.articles[*article].meta.id.get_ref())
            }
            _ => None,
        }
    }

    fn action(decision: &Decision) -> Option<Action> {
        match decision {
            Decision::Intent { intent, .. } | Decision::CompleteSlot { intent } => {
                nlu().content.intents[*intent].action
            }
            _ => None,
        }
    }

    #[test]
    fn a_social_security_number_is_warned_about_before_anything_else() {
        assert_eq!(
            decide_text(None, "my ssn is 123-45-6789, what is my status"),
            Decision::PrivacyWarning
        );
    }

    #[test]
    fn a_bare_receipt_number_is_looked_up() {
        let decision = decide_text(None, "EAC2190012345");
        assert_eq!(action(&decision), Some(Action::CaseStatus));
    }

    #[test]
    fn how_to_check_a_status_beside_a_receipt_number_looks_it_up() {
        let decision = decide_text(
            None,
            "how can i check my case status? my receipt number is LIN2190054321",
        );
        assert_eq!(action(&decision), Some(Action::CaseStatus), "{decision:?}");
        let spanish = crate::nlu::Nlu::shipped().get(crate::nlu::Lang::Es);
        let text = "como puedo ver el estado de mi caso? mi numero de recibo es LIN2190054321";
        let decision = decide(None, &spanish.parse(text, None), spanish);
        let Decision::Intent { intent, .. } = decision else {
            panic!("{decision:?}");
        };
        assert_eq!(
            spanish.content.intents[intent].action,
            Some(Action::CaseStatus)
        );
    }

    #[test]
    fn a_case_action_asked_beside_a_receipt_number_is_run_on_it() {
        let text = "whats EAC mean in my receipt number EAC2290112345";
        let nlu = nlu();
        let whole = nlu.parse(text, None);
        let top = whole.candidates.first().expect("a candidate");
        assert!(
            action_of(nlu, top.target) != Some(Action::CaseOffice)
                || top.score < nlu.content.settings.answer_threshold,
            "the whole message alone would already run the office action"
        );
        let decision = decide_text(None, text);
        assert_eq!(action(&decision), Some(Action::CaseOffice), "{decision:?}");
    }

    #[test]
    fn a_question_on_another_topic_beside_a_receipt_number_is_still_answered() {
        for text in [
            "my receipt number is EAC2190012345, how long is the processing time for an I-130",
            "my case EAC2190012345 is taking too long, what can I do",
        ] {
            let decision = decide_text(None, text);
            assert!(
                matches!(decision, Decision::Article { .. }),
                "{text}: {decision:?}"
            );
        }
    }

    #[test]
    fn another_question_beside_a_receipt_number_is_answered() {
        let decision = decide_text(
            None,
            "my receipt number is EAC2190012345, how do i change my address after moving",
        );
        assert_eq!(
            intent_id(&decision),
            Some("change-of-address"),
            "{decision:?}"
        );
    }

    #[test]
    fn a_pending_question_is_completed_by_its_answer() {
        let nlu = nlu();
        let history = nlu
            .content
            .intents
            .iter()
            .find(|i| i.action == Some(Action::CaseHistory))
            .expect("a history intent");
        let pending = Pending {
            intent: history.def.id.get_ref().clone(),
            entity: EntityKind::ReceiptNumber,
        };
        let decision = decide_text(Some(&pending), "it's EAC2190012345");
        assert!(
            matches!(decision, Decision::CompleteSlot { .. }),
            "{decision:?}"
        );
        assert_eq!(action(&decision), Some(Action::CaseHistory));
    }

    #[test]
    fn a_new_question_instead_of_the_answer_is_answered_as_asked() {
        let pending = Pending {
            intent: "case_status".into(),
            entity: EntityKind::ReceiptNumber,
        };
        let decision = decide_text(Some(&pending), "I forgot my password");
        assert!(
            !matches!(decision, Decision::CompleteSlot { .. }),
            "{decision:?}"
        );
        assert!(intent_id(&decision).is_some(), "{decision:?}");
    }

    #[test]
    fn another_organizations_topic_is_named() {
        assert!(matches!(
            decide_text(None, "how do I reset my gmail password?"),
            Decision::Elsewhere { .. }
        ));
    }

    #[test]
    fn gibberish_falls_back() {
        assert_eq!(decide_text(None, "zxqv blorf wibble"), Decision::Fallback);
    }
}
