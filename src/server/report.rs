//! The report of what went unanswered (`GET /api/report`, `casebot report`): records
//! grouped by what they ask, with counts, kinds, languages, an example and the closest
//! intent or article. Pure: records and content in, a [`Report`] out.
//!
//! Two messages fall in one group when they have the same set of normalized, stemmed
//! terms in their language (`nlu::normalize`'s `terms`, stop words dropped), so "how do I
//! renew my EAD?" and "renew EAD how" are one group; a message with no terms at all is
//! grouped by its masked text.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::nlu::extract::extract;
use crate::nlu::{Lang, Nlu};
use crate::store::{ScoredId, UnansweredRecord};

/// Reads a `since` window: a number followed by `d` (days), `h` (hours) or `m` (minutes),
/// e.g. `7d`, `24h`, `90m`.
pub fn parse_since(since: &str) -> Result<Duration, String> {
    let since = since.trim();
    let (number, unit) = since.split_at(since.len().saturating_sub(1));
    let seconds = match unit {
        "d" => 24 * 60 * 60,
        "h" => 60 * 60,
        "m" => 60,
        _ => {
            return Err(format!(
                "`{since}` is not a window; write e.g. 7d, 24h or 90m"
            ));
        }
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{since}` is not a window; write e.g. 7d, 24h or 90m"))?;
    Ok(Duration::from_secs(n.saturating_mul(seconds)))
}

/// Messages that ask the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The normalized terms the group shares, space-separated.
    pub terms: String,
    /// Records in the group.
    pub count: usize,
    /// Records by kind (`fallback`, `near_tie`, `not_helpful`).
    pub kinds: BTreeMap<String, usize>,
    /// Records by language (`en`, `es`).
    pub langs: BTreeMap<String, usize>,
    /// The most recent message of the group, identifiers masked.
    pub example: String,
    /// The language of the example.
    pub example_lang: String,
    /// The intent or article that came closest, with its best score.
    pub closest: Option<ScoredId>,
}

/// Every group, most frequent first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Records read.
    pub records: usize,
    /// The groups.
    pub groups: Vec<Group>,
}

/// Groups `records` by their terms in the content of their language.
pub fn build(records: &[UnansweredRecord], nlu: &Nlu) -> Report {
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for record in records {
        let lang = Lang::from_code(&record.lang).unwrap_or_default();
        let normalizer = nlu.get(lang).matcher.normalizer();
        // A masked identifier ("j***@example.org", "EAC*******001") says nothing about the
        // question, and its visible ends differ from person to person: leave it out.
        let words: Vec<&str> = record
            .text
            .split_whitespace()
            .filter(|w| !w.contains('*'))
            .collect();
        let unmasked = words.join(" ");
        let terms: BTreeSet<String> = normalizer
            .terms(&unmasked, &extract(&unmasked))
            .into_iter()
            .collect();
        let terms = if terms.is_empty() {
            record.text.trim().to_lowercase()
        } else {
            terms.into_iter().collect::<Vec<_>>().join(" ")
        };
        let group = groups
            .entry((record.lang.clone(), terms.clone()))
            .or_insert_with(|| Group {
                terms,
                count: 0,
                kinds: BTreeMap::new(),
                langs: BTreeMap::new(),
                example: String::new(),
                example_lang: String::new(),
                closest: None,
            });
        group.count += 1;
        *group
            .kinds
            .entry(record.kind.as_str().to_string())
            .or_default() += 1;
        *group.langs.entry(record.lang.clone()).or_default() += 1;
        group.example = record.text.clone();
        group.example_lang = record.lang.clone();
        if let Some(best) = record.candidates.first()
            && group.closest.as_ref().is_none_or(|c| best.score > c.score)
        {
            group.closest = Some(best.clone());
        }
    }
    let mut groups: Vec<Group> = groups.into_values().collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.terms.cmp(&b.terms)));
    Report {
        records: records.len(),
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UnansweredKind;

    fn record(text: &str, kind: UnansweredKind, best: (&str, f32)) -> UnansweredRecord {
        UnansweredRecord {
            at_ms: 1,
            kind,
            lang: "en".into(),
            text: text.into(),
            candidates: vec![ScoredId {
                id: best.0.into(),
                score: best.1,
            }],
        }
    }

    #[test]
    fn the_same_question_worded_apart_is_one_group() {
        let records = [
            record(
                "how do I adopt a llama?",
                UnansweredKind::Fallback,
                ("a", 0.2),
            ),
            record("adopt llama how", UnansweredKind::NotHelpful, ("b", 0.4)),
            record("zxqv blorf", UnansweredKind::Fallback, ("a", 0.1)),
        ];
        let report = build(&records, Nlu::shipped());
        assert_eq!(report.records, 3);
        assert_eq!(report.groups.len(), 2, "{report:?}");
        let top = &report.groups[0];
        assert_eq!(top.count, 2);
        assert_eq!(top.kinds["fallback"], 1);
        assert_eq!(top.kinds["not_helpful"], 1);
        assert_eq!(top.closest.as_ref().unwrap().id, "b");
        assert_eq!(top.example, "adopt llama how");
    }

    #[test]
    fn different_masked_identifiers_do_not_split_a_question() {
        let records = [
            record(
                "my llama ate my notice, write to j***@example.org",
                UnansweredKind::Fallback,
                ("a", 0.2),
            ),
            record(
                "my llama ate my notice, write to m***@mail.example.net",
                UnansweredKind::Fallback,
                ("a", 0.2),
            ),
        ];
        let report = build(&records, Nlu::shipped());
        assert_eq!(report.groups.len(), 1, "{report:?}");
        assert!(!report.groups[0].terms.contains("exampl"), "{report:?}");
    }

    #[test]
    fn windows_read_in_days_hours_and_minutes() {
        assert_eq!(parse_since("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_since("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_since("90m"), Ok(Duration::from_secs(5_400)));
        assert!(parse_since("7").is_err());
        assert!(parse_since("xd").is_err());
    }
}
