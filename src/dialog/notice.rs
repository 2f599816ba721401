//! The sentence sent to the people who follow a case when it changes.

use super::render;
use crate::domain::case::CaseRecord;
use crate::nlu::content::Catalog;

/// The text of the notification sent to followers when `record` changes, in the
/// catalog's language.
pub fn notification_text(catalog: &Catalog, record: &CaseRecord) -> String {
    let vars = vec![
        ("form", record.form.clone()),
        ("receipt_number", record.receipt_number.clone()),
        ("status", record.status.clone()),
        ("updated", catalog.date(&record.updated)),
    ];
    let mut text = render::fill(catalog.replies().notification(), &vars);
    if let Some(guide) = catalog.status(&record.status) {
        text.push(' ');
        text.push_str(guide.meaning);
    }
    text
}
