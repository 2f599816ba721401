//! The reply pipeline: choose the language, parse, decide, act, render.

use super::actions;
use super::answer::{Effect, Miss, Outcome};
use super::decide::{Decision, decide, near_tie};
use super::state::DialogState;
use super::turn::{CaseLookup, DialogOptions, Turn};
use crate::nlu::{Lang, Nlu};

/// The intent that asks for a person: answering with it hands the chat to a live agent when
/// the server has one online.
pub const TALK_TO_PERSON: &str = "talk_to_person";
/// Fallbacks in a row after which the fallback offers to talk to a person.
const OFFER_PERSON_AFTER: u32 = 2;

/// Answers one message: choose its language, parse, decide, act, render. Pure apart from
/// case-store reads.
pub async fn respond(
    state: &mut DialogState,
    text: &str,
    nlu: &Nlu,
    cases: &dyn CaseLookup,
    options: &DialogOptions,
) -> Outcome {
    state.turns += 1;
    let (lang, parse) = nlu.understand_in_chat(
        text,
        state.lang,
        Lang::En,
        state.last_intent.as_deref(),
        nlu.get(state.lang.unwrap_or(Lang::En))
            .content
            .settings
            .answer_threshold,
    );
    state.lang = Some(lang);
    let language = nlu.get(lang);
    let pending = state.pending.take();
    let decision = decide(pending.as_ref(), &parse, language);
    // A message holding an SSN is not taken as the answer to anything, nor remembered.
    let aside = decision == Decision::PrivacyWarning;
    let miss = match decision {
        Decision::Fallback => Some(Miss::Fallback),
        Decision::Intent { .. } | Decision::Article { .. }
            if near_tie(
                &parse.candidates,
                language.content.settings.suggest_threshold,
            ) =>
        {
            Some(Miss::NearTie)
        }
        _ => None,
    };
    if aside {
        state.pending = pending;
    } else {
        state.memory.remember(&parse.extraction);
    }
    let turn = Turn {
        nlu: language,
        parse: &parse,
        text,
        cases,
        options,
    };
    let mut acted = actions::act(decision, state, &turn).await;
    match acted.answer.intent.as_deref() {
        None if !aside => {
            state.fallbacks += 1;
            let offer = turn.replies().talk_to_a_person();
            if state.fallbacks >= OFFER_PERSON_AFTER
                && !acted.answer.quick_replies.iter().any(|q| q == offer)
            {
                acted.answer.quick_replies.push(offer.to_string());
            }
        }
        Some(TALK_TO_PERSON) => {
            state.fallbacks = 0;
            acted.effects.push(Effect::TalkToPerson);
        }
        _ => state.fallbacks = 0,
    }
    if !aside {
        state.pending = acted.asks;
    }
    for effect in &acted.effects {
        match effect {
            Effect::Subscribe(rn) => state.subscriptions.insert(rn.clone()),
            Effect::Unsubscribe(rn) => state.subscriptions.remove(rn),
            Effect::TalkToPerson => false,
        };
    }
    state.last_intent = acted.answer.intent.clone();
    Outcome {
        answer: acted.answer,
        lang: language.lang,
        effects: acted.effects,
        entities: parse.extraction.entities,
        ranked: parse.candidates,
        miss,
    }
}

/// Answers one message with a case source whose look-ups never wait, such as [`NoCases`]:
/// what `casebot test`, evaluations and benchmarks use.
///
/// [`NoCases`]: super::turn::NoCases
pub fn respond_now(
    state: &mut DialogState,
    text: &str,
    nlu: &Nlu,
    cases: &dyn CaseLookup,
    options: &DialogOptions,
) -> Outcome {
    use futures_util::FutureExt;
    respond(state, text, nlu, cases, options)
        .now_or_never()
        .expect("a case source whose look-ups are ready at once never makes a turn wait")
}
