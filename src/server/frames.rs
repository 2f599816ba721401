//! Turning what the dialog produced into protocol frames: the only place that knows both
//! the dialog's [`Outcome`] and the wire format.

use serde_json::Value;

use super::protocol::{Candidate, Notification, Reply, WireEntity};
use crate::dialog::{self, Outcome};
use crate::domain::case::CaseRecord;
use crate::nlu::Nlu;
use crate::nlu::extract::{Entity, EntityKind};

/// The reply frame for one turn; `debug` adds the ranked candidates.
pub fn reply(outcome: Outcome, reply_to: Option<Value>, debug: bool, nlu: &Nlu) -> Reply {
    let answer = outcome.answer;
    Reply {
        reply_to,
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
    }
}

/// The notification frame for a case that changed.
pub fn notification(record: &CaseRecord) -> Notification {
    Notification {
        receipt_number: record.receipt_number.clone(),
        status: record.status.clone(),
        form: record.form.clone(),
        updated: record.updated.clone(),
        text: dialog::notification_text(record),
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
