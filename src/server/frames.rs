//! Turning what the dialog produced into protocol frames: the only place that knows both
//! the dialog's [`Outcome`] and the wire format.

use serde_json::Value;

use super::protocol::{Candidate, Notification, Reply, WireEntity};
use crate::dialog::{self, Outcome};
use crate::domain::case::CaseRecord;
use crate::nlu::extract::{Entity, EntityKind};
use crate::nlu::{Lang, Language, Nlu};

/// The reply frame for one turn, with the server's `id` for it; `debug` adds the ranked
/// candidates.
pub fn reply(
    outcome: Outcome,
    id: Option<String>,
    reply_to: Option<Value>,
    debug: bool,
    nlu: &Language,
) -> Reply {
    let answer = outcome.answer;
    Reply {
        id,
        reply_to,
        lang: outcome.lang.code().to_string(),
        text: answer.text,
        intent: answer.intent,
        confidence: answer.confidence,
        entities: wire_entities(&outcome.entities),
        quick_replies: answer.quick_replies,
        links: answer.links,
        candidates: debug.then(|| {
            outcome
                .ranked
                .iter()
                .map(|c| Candidate {
                    id: nlu.target_id(c.target).to_string(),
                    score: c.score,
                })
                .collect()
        }),
        agent: None,
    }
}

/// The notification frames for a case that changed, one per language by [`Lang::index`].
pub fn notifications(record: &CaseRecord, nlu: &Nlu) -> [Notification; Lang::COUNT] {
    Lang::ALL.map(|lang| notification(record, nlu.get(lang)))
}

/// The notification frame for a case that changed, in `nlu`'s language.
pub fn notification(record: &CaseRecord, nlu: &Language) -> Notification {
    Notification {
        lang: nlu.lang.code().to_string(),
        receipt_number: record.receipt_number.clone(),
        status: record.status.clone(),
        form: record.form.clone(),
        updated: record.updated.clone(),
        text: dialog::notification_text(nlu.catalog(), record),
    }
}

/// Entities as sent on the wire; SSNs are never echoed.
fn wire_entities(entities: &[Entity]) -> Vec<WireEntity> {
    entities
        .iter()
        .filter(|e| e.kind != EntityKind::Ssn)
        .map(|e| WireEntity {
            kind: e.kind.as_str().to_string(),
            value: e.value.clone(),
            start: e.start,
            end: e.end,
            office: e.office.map(str::to_string),
            known_prefix: (e.kind == EntityKind::ReceiptNumber).then_some(e.office.is_some()),
            corrected: e.corrected,
        })
        .collect()
}
