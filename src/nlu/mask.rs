//! Masking of identifiers for everything that leaves the process: logs, stored transcripts,
//! error messages.

use super::extract::{EntityKind, extract};

/// What an SSN is replaced with, everywhere: as its entity value, in logs, in messages.
pub const SSN_MASK: &str = "***-**-****";

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
/// [`extract`] finds, receipt look-alikes and any long run of digits are masked too, since
/// they may be identifiers typed in a shape nobody could read.
pub fn mask_text(text: &str) -> String {
    let extraction = extract(text);
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
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut at = 0;
    for (start, end, replacement) in spans {
        if start < at {
            continue;
        }
        mask_long_runs(&bytes[at..start], &mut out);
        match replacement {
            Some(masked) => out.extend_from_slice(masked.as_bytes()),
            None => out.extend(
                bytes[start..end]
                    .iter()
                    .map(|&b| if b.is_ascii_digit() { b'*' } else { b }),
            ),
        }
        at = end;
    }
    mask_long_runs(&bytes[at..], &mut out);
    // Only ASCII digits were swapped for ASCII stars, at character boundaries.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Copies `segment`, starring the digits of every run of at least [`LONG_RUN`] digits
/// (spaces, dashes and dots between digits keep a run going).
fn mask_long_runs(segment: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < segment.len() {
        if !segment[i].is_ascii_digit() {
            out.push(segment[i]);
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = 0;
        let mut end = i;
        while i < segment.len() {
            if segment[i].is_ascii_digit() {
                digits += 1;
                i += 1;
                end = i;
            } else if matches!(segment[i], b' ' | b'-' | b'.')
                && segment.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
            } else {
                break;
            }
        }
        let run = &segment[start..end];
        if digits >= LONG_RUN {
            out.extend(
                run.iter()
                    .map(|&b| if b.is_ascii_digit() { b'*' } else { b }),
            );
        } else {
            out.extend_from_slice(run);
        }
        i = end;
    }
}
