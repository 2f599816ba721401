//! Masking of identifiers for everything that leaves the process: logs, stored transcripts,
//! error messages.

use std::ops::Range;

use super::extract::{EntityKind, Folded, decimal_digit, extract_folded};

pub use crate::domain::identifiers::SSN_MASK;

/// Bare digit runs with at least this many digits are masked even when nobody can say
/// what they are: an A-number has 7 or more.
const LONG_RUN: usize = 7;

/// Masks one canonical identifier value of `kind`: `EAC*******345`, `A******678`,
/// `********9012`, `+1*******283`, `j***@example.org`, `***-**-****`. Form numbers are not
/// personal and come back unchanged.
pub fn mask_value(kind: EntityKind, value: &str) -> String {
    match kind {
        EntityKind::FormNumber => value.to_string(),
        EntityKind::Ssn => SSN_MASK.to_string(),
        EntityKind::ReceiptNumber => keep_ends(value, 3, 3),
        EntityKind::ANumber => keep_ends(value, 1, 3),
        EntityKind::AccountNumber => keep_ends(value, 0, 4),
        EntityKind::Phone => keep_ends(value, 2, 3),
        EntityKind::Email => match value.rsplit_once('@') {
            Some((local, domain)) => {
                let first = local.chars().next().map_or(String::new(), String::from);
                format!("{first}***@{domain}")
            }
            None => "***".to_string(),
        },
    }
}

/// Keeps `head` characters at the start and `tail` at the end and stars the rest; values
/// too short to hide at least four characters are starred entirely.
fn keep_ends(value: &str, head: usize, tail: usize) -> String {
    let len = value.chars().count();
    if len < head + tail + 4 {
        return "*".repeat(len.max(3));
    }
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < head || i >= len - tail { c } else { '*' })
        .collect()
}

/// Returns `text` with every identifier found in it masked. Use this for anything a user
/// typed before it goes into a log line or an error message. Besides the identifiers
/// [`extract`](super::extract::extract) finds, receipt look-alikes and any long run of digits are masked too, since
/// they may be identifiers typed in a shape nobody could read. Digits are recognized by
/// what they mean, in any script or width, and so are the separators between their groups.
pub fn mask_text(text: &str) -> String {
    let (folded, extraction) = extract_folded(text);
    let read = folded.as_ref().map_or(text, Folded::text);
    let mut spans: Vec<(usize, usize, Option<String>)> = extraction
        .entities
        .iter()
        .filter(|e| e.kind != EntityKind::FormNumber)
        .map(|e| (e.start, e.end, Some(mask_value(e.kind, &e.value))))
        .chain(
            extraction
                .near_misses
                .iter()
                .map(|m| (m.start, m.end, None)),
        )
        .collect();
    spans.sort_unstable_by_key(|&(start, ..)| start);
    // What to replace, as spans of the text the lexer read: a masked value, or `None` to
    // star the digits.
    let mut edits: Vec<(usize, usize, Option<String>)> = Vec::with_capacity(spans.len());
    let bytes = read.as_bytes();
    let mut at = 0;
    for (start, end, replacement) in spans {
        if start < at {
            continue;
        }
        long_runs(bytes, at..start, &mut edits);
        edits.push((start, end, replacement));
        at = end;
    }
    long_runs(bytes, at..bytes.len(), &mut edits);

    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, replacement) in edits {
        let span = match &folded {
            Some(folded) => folded.original(start..end),
            None => start..end,
        };
        if span.start < at {
            continue;
        }
        out.push_str(&text[at..span.start]);
        match replacement {
            Some(masked) => out.push_str(&masked),
            None => out.extend(
                text[span.clone()]
                    .chars()
                    .map(|c| if decimal_digit(c).is_some() { '*' } else { c }),
            ),
        }
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Adds to `edits` every run of at least [`LONG_RUN`] digits in `bytes[within]`. Spaces,
/// dashes and dots between digits keep a run going, and so do the no-break spaces and the
/// en dash; slashes and colons do not, so dates and times stay readable.
fn long_runs(bytes: &[u8], within: Range<usize>, edits: &mut Vec<(usize, usize, Option<String>)>) {
    let end_of = within.end;
    let mut i = within.start;
    while i < end_of {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = 0;
        let mut end = i;
        while i < end_of {
            if bytes[i].is_ascii_digit() {
                digits += 1;
                i += 1;
                end = i;
                continue;
            }
            let gap = [1, 2, 3]
                .into_iter()
                .find(|&n| is_run_separator(bytes.get(i..i + n).unwrap_or_default()));
            match gap {
                Some(n) if i + n < end_of && bytes[i + n].is_ascii_digit() => i += n,
                _ => break,
            }
        }
        if digits >= LONG_RUN {
            edits.push((start, end, None));
        }
        i = end;
    }
}

/// A separator that keeps a run of digits going.
fn is_run_separator(gap: &[u8]) -> bool {
    matches!(
        gap,
        b" " | b"-" | b"." | [0xC2, 0xA0] | [0xE2, 0x80, 0x93] | [0xE2, 0x80, 0xAF]
    )
}
