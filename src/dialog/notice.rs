//! The sentence sent to the people who follow a case when it changes.

use super::render;
use super::{phrases, status_guide};
use crate::domain::case::CaseRecord;

/// The text of the notification sent to followers when `record` changes.
pub fn notification_text(record: &CaseRecord) -> String {
    let vars = vec![
        ("form", record.form.clone()),
        ("receipt_number", record.receipt_number.clone()),
        ("status", record.status.clone()),
        ("updated", record.updated.clone()),
    ];
    let mut text = render::fill(phrases::NOTIFICATION, &vars);
    if let Some(guide) = status_guide::explain(&record.status) {
        text.push(' ');
        text.push_str(guide.meaning);
    }
    text
}
