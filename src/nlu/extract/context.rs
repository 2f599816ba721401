//! The words just before a bare number, which decide what it is: "account number
//! 1234 5678 9012" is an account number, the same digits alone are nothing.

use super::lex;

/// What the words before a number say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// "account", "acct".
    Account,
    /// "A-number", "A#", "alien", "USCIS#".
    ANumber,
    /// "receipt", "case".
    Receipt,
    /// "SSN", "social security".
    Ssn,
    /// "phone", "call", "tel", ...
    Phone,
    /// "ZIP", "tracking", ...: a number that is none of ours.
    Other,
}

/// How many words back the label may be ("my online account number is ...").
const MAX_WORDS: usize = 5;
/// How many bytes back the label may be.
const MAX_BYTES: usize = 80;

/// The longest label word ("extranjero"); longer words are labels of nothing.
const LONGEST_WORD: usize = 10;

/// Reads the words before byte offset `start`, nearest first; the first decisive word wins.
pub(super) fn before(bytes: &[u8], start: usize) -> Option<Context> {
    let floor = start.saturating_sub(MAX_BYTES);
    let mut i = start;
    // Whether the word to the right of the current one is "number", "no", ...
    let mut right_is_number_word = false;
    // Whether the word to the right of the current one is "A" ("número A 12345678").
    let mut right_is_a = false;
    for _ in 0..MAX_WORDS {
        let mut hash_in_gap = false;
        while i > floor && !lex::is_word(bytes[i - 1]) {
            match bytes[i - 1] {
                b'\n' => return None,
                b'#' => hash_in_gap = true,
                _ => {}
            }
            i -= 1;
        }
        if i == floor {
            return None;
        }
        let end = i;
        i = lex::token_start(bytes, end, floor);
        let word = &bytes[i..end];
        if word.iter().any(u8::is_ascii_digit) {
            return None;
        }
        // Lower-cased into a small buffer; longer words match no label.
        let mut lower = [0u8; LONGEST_WORD];
        let word = if word.len() <= LONGEST_WORD {
            for (to, from) in lower.iter_mut().zip(word) {
                *to = from.to_ascii_lowercase();
            }
            &lower[..word.len()]
        } else {
            b""
        };
        let right_is_number = hash_in_gap || right_is_number_word;
        match word {
            b"account" | b"acct" | b"cuenta" => return Some(Context::Account),
            b"alien" | b"extranjero" => return Some(Context::ANumber),
            b"a" | b"uscis" if right_is_number => return Some(Context::ANumber),
            b"numero" | b"n\xc3\xbamero" if right_is_a => return Some(Context::ANumber),
            b"receipt" | b"case" | b"recibo" | b"caso" => return Some(Context::Receipt),
            b"ssn" | b"social" | b"ss" => return Some(Context::Ssn),
            b"phone" | b"call" | b"tel" | b"telephone" | b"cell" | b"mobile" | b"fax" | b"text"
            | b"telefono" | b"celular" | b"llamar" => {
                return Some(Context::Phone);
            }
            b"zip" | b"tracking" | b"usps" | b"postal" | b"zipcode" => {
                return Some(Context::Other);
            }
            _ => {}
        }
        right_is_number_word = matches!(word, b"number" | b"no" | b"num" | b"nr");
        right_is_a = word == b"a";
    }
    None
}
