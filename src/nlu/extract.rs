//! Finds case identifiers in free text: receipt numbers, A-numbers, online account numbers,
//! form numbers, phone numbers, e-mail addresses, and Social Security numbers (detected so
//! they can be refused and masked, never echoed).
//!
//! One left-to-right pass over the bytes: the scanner jumps from digit to digit, reads the
//! token around each one together with the tokens joined to it by separators (spaces,
//! dashes, dots, asterisks), and decides what the whole run is from its shape and, for bare
//! numbers, from the words just before it. A bare number that could be several things is
//! reported as nothing. Tokens are runs of ASCII letters and digits, so every span starts
//! and ends on a character boundary whatever the text around it. Text with digits, letters
//! or separators in other forms is first folded to the ASCII they mean (`fold`).

mod context;
mod email;
mod entity;
mod fold;
mod lex;
mod parse;

pub(crate) use fold::{Folded, decimal_digit};

pub use crate::domain::identifiers::{EntityKind, office_for_prefix};
pub use entity::{Entity, Extraction, NearMiss, Problem};

/// Extracts identifiers from `text`. Never panics; entities come out in order of
/// appearance and never overlap. Identifiers typed in other scripts' digits, in full-width
/// forms or with Unicode separators between their groups are found too; their values are
/// in ASCII and their spans are byte offsets into `text` as given.
pub fn extract(text: &str) -> Extraction {
    let (folded, mut out) = extract_folded(text);
    if let Some(folded) = folded {
        folded.map_back(&mut out);
    }
    out
}

/// Folds `text` when it needs it (see [`Folded`]) and extracts from what the lexer reads:
/// the spans are offsets into the folded text when there is one, else into `text`.
pub(crate) fn extract_folded(text: &str) -> (Option<Folded<'_>>, Extraction) {
    let bytes = text.as_bytes();
    // Every identifier holds a digit or an `@`, perhaps in another form: most chat
    // messages end here.
    if memchr::memchr(b'@', bytes).is_none() && lex::find_digit_or_non_ascii(bytes, 0).is_none() {
        return (None, Extraction::default());
    }
    match Folded::new(text) {
        Some(folded) => {
            let out = scan(folded.text());
            (Some(folded), out)
        }
        None => (None, scan(text)),
    }
}

fn scan(text: &str) -> Extraction {
    let bytes = text.as_bytes();
    // Every identifier holds a digit or an `@`: most chat messages end here.
    let first_at = memchr::memchr(b'@', bytes);
    if first_at.is_none() && lex::find_digit(bytes, 0).is_none() {
        return Extraction::default();
    }
    let mut out = Extraction::default();
    let emails = email::Emails::new(text, first_at.unwrap_or(bytes.len()));
    parse::Scanner::new(text, &mut out).run(emails);
    out
}
