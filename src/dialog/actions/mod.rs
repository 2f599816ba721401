//! Acting on a [`Decision`]: building the answer, reading cases where an action needs them.
//! Each built-in [`Action`] lives in its own module; all of them return an [`Acted`] (the
//! answer, the effects for the server, and the question left pending) and leave the
//! session's subscriptions and pending question to the pipeline.

mod acted;
mod case_lookup;
mod form_info;
mod office;
mod subscriptions;

pub(crate) use acted::Acted;
use acted::{ask, reply};

use super::answer::Answer;
use super::decide::Decision;
use super::render::{self, Vars};
use super::state::DialogState;
use super::turn::Turn;
use crate::nlu::Target;
use crate::nlu::action::Action;
use crate::nlu::content::Intent;
use crate::nlu::extract::{EntityKind, extract};

/// Most "did you mean" suggestions.
const MAX_SUGGESTIONS: usize = 3;

/// Builds the answer for `decision`.
pub(crate) async fn act(decision: Decision, state: &mut DialogState, turn: &Turn<'_>) -> Acted {
    match decision {
        Decision::PrivacyWarning => Answer {
            text: turn.replies().privacy_warning().to_string(),
            confidence: 1.0,
            quick_replies: vec![turn.replies().check_status().to_string()],
            ..Answer::default()
        }
        .into(),
        Decision::CompleteSlot { intent } => run_intent(state, turn, intent, 1.0).await,
        Decision::Intent { intent, confidence } => {
            let mut acted = run_intent(state, turn, intent, confidence).await;
            offer_close_second(turn, Target::Intent(intent), &mut acted.answer);
            offer_other_question(turn, Target::Intent(intent), &mut acted.answer);
            if turn.nlu.content.intents[intent].action.is_none() {
                offer_case_lookup(turn, &mut acted.answer);
            }
            acted
        }
        Decision::Article {
            article,
            confidence,
        } => {
            let mut answer = article_answer(state, turn, article, confidence);
            offer_close_second(turn, Target::Article(article), &mut answer);
            offer_other_question(turn, Target::Article(article), &mut answer);
            offer_case_lookup(turn, &mut answer);
            answer.into()
        }
        Decision::Elsewhere { topic } => {
            let vars = vec![("topic", topic)];
            fallback(
                turn,
                &render::fill(turn.replies().elsewhere(), &vars),
                &render::fill(turn.replies().elsewhere_with_suggestions(), &vars),
            )
        }
        Decision::Fallback => fallback(
            turn,
            turn.replies().fallback(),
            turn.replies().fallback_with_suggestions(),
        ),
    }
}

async fn run_intent(
    state: &mut DialogState,
    turn: &Turn<'_>,
    index: usize,
    confidence: f32,
) -> Acted {
    let intent = &turn.nlu.content.intents[index];
    let mut acted = match intent.action {
        Some(action) => run_action(action, state, turn, intent).await,
        None => template_reply(state, turn, intent),
    };
    acted.answer.confidence = confidence;
    acted
}

async fn run_action(
    action: Action,
    state: &mut DialogState,
    turn: &Turn<'_>,
    intent: &Intent,
) -> Acted {
    match action {
        Action::CaseStatus
        | Action::CaseHistory
        | Action::CaseUpdated
        | Action::CaseMeaning
        | Action::Subscribe => case_lookup::answer(action, state, turn, intent).await,
        Action::CaseOffice => office::answer(state, turn, intent),
        Action::Unsubscribe => subscriptions::stop(state, turn, intent),
        Action::Subscriptions => subscriptions::list(state, turn, intent),
        Action::FormInfo => form_info::answer(state, turn, intent),
    }
}

/// A plain intent's reply: slots from the message or memory, then its response template.
fn template_reply(state: &DialogState, turn: &Turn<'_>, intent: &Intent) -> Acted {
    let mut vars: Vars<'_> = Vec::new();
    for slot in &intent.def.slots {
        let Some(kind) = EntityKind::from_name(slot.entity.get_ref()) else {
            continue;
        };
        let from_message = turn.parse.extraction.first(kind).map(|e| e.value.clone());
        let value = if slot.remember {
            from_message.or_else(|| state.memory.get(kind).cloned())
        } else {
            from_message
        };
        match value {
            Some(v) => vars.push((kind.as_str(), v)),
            None => return ask(turn, intent, kind, Some(&slot.ask)),
        }
    }
    for kind in [
        EntityKind::ReceiptNumber,
        EntityKind::ANumber,
        EntityKind::AccountNumber,
        EntityKind::FormNumber,
    ] {
        if let Some(v) = state.memory.get(kind)
            && !vars.iter().any(|(n, _)| *n == kind.as_str())
        {
            vars.push((kind.as_str(), v.clone()));
        }
    }
    reply(
        intent,
        render::fill(render::pick(intent, state.turns), &vars),
    )
    .into()
}

fn article_answer(state: &DialogState, turn: &Turn<'_>, index: usize, confidence: f32) -> Answer {
    let article = &turn.nlu.content.articles[index];
    Answer {
        text: render::article_text(&article.body, &state.memory),
        intent: Some(article.meta.id.get_ref().clone()),
        confidence,
        links: article.meta.links.clone(),
        quick_replies: article.meta.quick_replies.clone(),
    }
}

/// When the answer is the best candidate and a second article scores almost as well,
/// offers that article as a suggestion.
fn offer_close_second(turn: &Turn<'_>, answered: Target, answer: &mut Answer) {
    let (Some(best), Some(second)) = (turn.parse.candidates.first(), turn.parse.candidates.get(1))
    else {
        return;
    };
    if best.target == answered
        && super::decide::near_tie(
            &turn.parse.candidates,
            turn.nlu.content.settings.suggest_threshold,
        )
        && let Target::Article(i) = second.target
    {
        let question = turn.nlu.content.articles[i].meta.question.get_ref().clone();
        if !answer.quick_replies.contains(&question) {
            answer.quick_replies.insert(0, question);
            answer.quick_replies.truncate(MAX_SUGGESTIONS);
        }
    }
}

/// Most sentences a message may have for each to be read on its own for a second question.
const MAX_SENTENCES: usize = 4;

/// When the message asks two things in two sentences ("how do I add my paper case to my
/// account? and where do I find my account number"), offers the article another sentence
/// asks for on its own (at the answer threshold or above) first among the quick replies.
fn offer_other_question(turn: &Turn<'_>, answered: Target, answer: &mut Answer) {
    let sentences: Vec<&str> = turn
        .text
        .split(['?', '!', ';', '.', '¿', '¡'])
        .filter(|s| s.split_whitespace().count() >= 3)
        .take(MAX_SENTENCES + 1)
        .collect();
    if !(2..=MAX_SENTENCES).contains(&sentences.len()) {
        return;
    }
    let threshold = turn.nlu.content.settings.answer_threshold;
    for sentence in sentences {
        let ranking = turn.nlu.matcher.rank(sentence, &extract(sentence), None);
        let Some(best) = ranking.candidates.first() else {
            continue;
        };
        if let Target::Article(i) = best.target
            && best.target != answered
            && best.score >= threshold
        {
            let question = turn.nlu.content.articles[i].meta.question.get_ref().clone();
            put_first(answer, question);
            return;
        }
    }
}

/// When the message carried a receipt number but asked about something else, offers the
/// case look-up first among the quick replies (the number is remembered for it).
fn offer_case_lookup(turn: &Turn<'_>, answer: &mut Answer) {
    if turn
        .parse
        .extraction
        .first(EntityKind::ReceiptNumber)
        .is_none()
    {
        return;
    }
    put_first(answer, turn.replies().check_status().to_string());
}

/// Moves (or adds) `reply` to the front of the answer's quick replies, keeping at most
/// [`MAX_SUGGESTIONS`].
fn put_first(answer: &mut Answer, reply: String) {
    answer.quick_replies.retain(|q| *q != reply);
    answer.quick_replies.insert(0, reply);
    answer.quick_replies.truncate(MAX_SUGGESTIONS);
}

/// A reply that answers nothing: `alone` with the starter menu, or `with_suggestions`
/// above up to three "did you mean" questions when candidates come close enough.
fn fallback(turn: &Turn<'_>, alone: &str, with_suggestions: &str) -> Acted {
    let suggestions = suggestions(turn);
    let (text, quick_replies) = if suggestions.is_empty() {
        (alone, turn.replies().starters())
    } else {
        (with_suggestions, suggestions)
    };
    Answer {
        text: text.to_string(),
        intent: None,
        confidence: turn.parse.candidates.first().map_or(0.0, |c| c.score),
        quick_replies,
        links: Vec::new(),
    }
    .into()
}

/// Content words from which a message is a story ("I filed in March, I check every day,
/// we have a baby on the way..."): its confidence is spread over everything it tells, so
/// its closest topics are offered from [`STORY_FLOOR`] rather than `suggest_threshold`.
const STORY_WORDS: usize = 12;
/// Lowest confidence a story's closest topics need to be offered.
const STORY_FLOOR: f32 = 0.05;

/// Up to three "did you mean" questions from the candidates.
fn suggestions(turn: &Turn<'_>) -> Vec<String> {
    let floor = if turn.parse.words >= STORY_WORDS {
        STORY_FLOOR
    } else {
        turn.nlu.content.settings.suggest_threshold
    };
    turn.parse
        .candidates
        .iter()
        .filter(|c| c.score >= floor)
        .filter_map(|c| suggestion_label(turn, c.target))
        .take(MAX_SUGGESTIONS)
        .collect()
}

/// A label for a "did you mean" button: the article's question, or the intent's first
/// example; none for intents that only follow another one.
fn suggestion_label(turn: &Turn<'_>, target: Target) -> Option<String> {
    let content = &turn.nlu.content;
    match target {
        Target::Article(i) => Some(content.articles[i].meta.question.get_ref().clone()),
        Target::Intent(i) => {
            let def = &content.intents[i].def;
            if !def.after.is_empty() {
                return None;
            }
            def.examples
                .first()
                .map(|e| render::sentence_case(e.get_ref()))
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every action on the shipped content, without a runtime or a socket: the case source
    //! answers at once, so `respond_now` runs each turn.

    use crate::dialog::answer::{Effect, Outcome};
    use crate::dialog::respond_now;
    use crate::dialog::state::DialogState;
    use crate::dialog::turn::{CaseLookup, DialogOptions};
    use crate::domain::case::{CaseRecord, parse_record};
    use crate::nlu::Nlu;
    use crate::store::StoreFuture;

    fn nlu() -> &'static Nlu {
        Nlu::shipped()
    }

    /// One stored case, EAC2690000001, with two history entries.
    struct OneCase;

    impl CaseLookup for OneCase {
        fn lookup<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, Option<CaseRecord>> {
            let record = (receipt_number == "EAC2690000001").then(|| {
                parse_record(br#"{"receipt_number":"EAC2690000001","form":"I-130","status":"Case Was Approved","updated":"2026-05-01","history":[{"date":"2026-01-02","status":"Case Was Received"},{"date":"2026-05-01","status":"Case Was Approved"}]}"#)
                    .expect("a valid record")
            });
            Box::pin(std::future::ready(Ok(record)))
        }
    }

    fn say(state: &mut DialogState, text: &str) -> Outcome {
        respond_now(state, text, nlu(), &OneCase, &DialogOptions::default())
    }

    fn intent(outcome: &Outcome) -> &str {
        outcome.answer.intent.as_deref().unwrap_or("-")
    }

    #[test]
    fn status_history_update_and_meaning_read_the_case() {
        let mut state = DialogState::default();
        let status = say(&mut state, "what is the status of EAC2690000001");
        assert_eq!(intent(&status), "case_status");
        assert!(
            status.answer.text.contains("Case Was Approved"),
            "{}",
            status.answer.text
        );
        let history = say(&mut state, "show me the history of my case");
        assert_eq!(intent(&history), "case_history");
        assert!(
            history
                .answer
                .text
                .contains("2026-01-02: Case Was Received"),
            "{}",
            history.answer.text
        );
        let updated = say(&mut state, "when was my case last updated?");
        assert_eq!(intent(&updated), "case_updated");
        assert!(
            updated.answer.text.contains("2026-05-01"),
            "{}",
            updated.answer.text
        );
    }

    #[test]
    fn a_case_question_without_a_number_asks_for_it_and_an_unknown_one_is_explained() {
        let mut state = DialogState::default();
        let asked = say(&mut state, "what is the status of my case?");
        assert_eq!(intent(&asked), "case_status");
        assert!(state.pending.is_some(), "the question is left pending");
        let unknown = say(&mut state, "EAC2690000099");
        assert!(
            unknown.answer.text.contains("couldn't find"),
            "{}",
            unknown.answer.text
        );
        assert!(state.pending.is_none());
    }

    #[test]
    fn following_listing_and_stopping_are_effects_applied_to_the_session() {
        let mut state = DialogState::default();
        let follow = say(&mut state, "notify me about changes to EAC2690000001");
        assert_eq!(intent(&follow), "subscribe");
        assert_eq!(follow.effects, [Effect::Subscribe("EAC2690000001".into())]);
        assert!(state.subscriptions.contains("EAC2690000001"));
        let listed = say(&mut state, "which cases am I following?");
        assert_eq!(intent(&listed), "subscriptions");
        assert!(
            listed.answer.text.contains("EAC2690000001"),
            "{}",
            listed.answer.text
        );
        let stop = say(&mut state, "stop notifications");
        assert_eq!(intent(&stop), "unsubscribe");
        assert_eq!(stop.effects, [Effect::Unsubscribe("EAC2690000001".into())]);
        assert!(state.subscriptions.is_empty());
    }

    #[test]
    fn offices_and_forms_come_from_the_domain_tables() {
        let mut state = DialogState::default();
        let office = say(&mut state, "which office has IOE2690000005");
        assert_eq!(intent(&office), "case_office");
        assert!(
            office.answer.text.contains("ELIS"),
            "{}",
            office.answer.text
        );
        // A prefix asked about by name wins over the receipt number remembered.
        let asked = say(&mut state, "what does WAC stand for");
        assert_eq!(intent(&asked), "case_office");
        assert!(
            asked.answer.text.contains("California"),
            "{}",
            asked.answer.text
        );
        let form = say(&mut state, "what is form I-130?");
        assert_eq!(intent(&form), "form_info");
        assert!(
            form.answer.text.contains("Petition for Alien Relative"),
            "{}",
            form.answer.text
        );
        assert_eq!(form.answer.links.len(), 1);
    }
}
