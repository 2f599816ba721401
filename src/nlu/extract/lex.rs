//! Byte-level helpers shared by the identifier parsers: tokens are maximal runs of ASCII
//! letters and digits, so every span they produce lies on a UTF-8 character boundary.
//! Text in other scripts reaches them folded to ASCII (see `fold`).

/// A token: a maximal run of ASCII letters and digits, as byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tok {
    pub start: usize,
    pub end: usize,
}

/// Which bytes are ASCII letters and digits. A table lookup: token scans run over most
/// bytes around every digit, and the two range checks of `is_ascii_alphanumeric` cost more.
static WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
};

/// True for an ASCII letter or digit: a byte that belongs to a token.
pub(super) fn is_word(b: u8) -> bool {
    WORD_BYTES[usize::from(b)]
}

/// End of the alphanumeric run that starts at `start`.
pub(super) fn token_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && is_word(bytes[i]) {
        i += 1;
    }
    i
}

/// Start of the alphanumeric run containing `at`, not going below `floor`.
pub(super) fn token_start(bytes: &[u8], at: usize, floor: usize) -> usize {
    let mut i = at;
    while i > floor && is_word(bytes[i - 1]) {
        i -= 1;
    }
    i
}

/// The longest gap that can join two parts of one identifier (`" - "`, an en dash).
const MAX_GAP: usize = 3;

/// The token after `end` when the bytes between are a separator that can sit inside an
/// identifier (space, dash, dot, asterisk, parentheses, no-break space, en dash). Tokens
/// starting at or after `limit` are not considered.
pub(super) fn next_joined(bytes: &[u8], end: usize, limit: usize) -> Option<(&[u8], Tok)> {
    let mut i = end;
    while i < limit && i - end <= MAX_GAP && !is_word(bytes[i]) {
        i += 1;
    }
    if i == end || i >= limit || i - end > MAX_GAP || !is_word(bytes[i]) {
        return None;
    }
    let gap = &bytes[end..i];
    is_joiner(gap).then(|| {
        (
            gap,
            Tok {
                start: i,
                end: token_end(bytes, i),
            },
        )
    })
}

/// A byte that may sit between two parts of an identifier.
fn is_joiner_byte(b: &u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'*' | b'(' | b')')
}

fn is_joiner(gap: &[u8]) -> bool {
    match gap {
        // En dash, no-break space, narrow no-break space.
        [0xE2, 0x80, 0x93] | [0xC2, 0xA0] | [0xE2, 0x80, 0xAF] => true,
        [b] => is_joiner_byte(b),
        _ => {
            gap.iter().all(is_joiner_byte)
                && gap.iter().filter(|&&b| b == b' ').count() <= 1 + usize::from(gap.len() == 3)
        }
    }
}

/// True when a gap is nothing but one space: the only separator that may end one number
/// and start another.
pub(super) fn is_space(gap: &[u8]) -> bool {
    gap == b" "
}

/// True when every byte is an ASCII digit (and there is at least one).
pub(super) fn all_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// A digit, or a letter commonly typed for one (O for 0, I or l for 1).
pub(super) fn digitish(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b),
        b'O' | b'o' => Some(b'0'),
        b'I' | b'l' => Some(b'1'),
        _ => None,
    }
}

/// Number of leading ASCII letters.
pub(super) fn leading_letters(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_alphabetic()).count()
}

/// Position of the first ASCII digit at or after `from`. Eight bytes at a time: most chat
/// text is letters and spaces, and this search runs over every byte of every message.
pub(super) fn find_digit(bytes: &[u8], from: usize) -> Option<usize> {
    find_digit_or(bytes, from, 0)
}

/// Position of the first ASCII digit or byte with the high bit set at or after `from`: one
/// pass tells whether a text may hold an identifier in any form.
pub(super) fn find_digit_or_non_ascii(bytes: &[u8], from: usize) -> Option<usize> {
    find_digit_or(bytes, from, u64::MAX)
}

/// [`find_digit`], also stopping at bytes with the high bit set where `non_ascii` is all ones.
#[inline(always)]
fn find_digit_or(bytes: &[u8], from: usize, non_ascii: u64) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    for (k, chunk) in chunks.by_ref().enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        // High bit set in each byte whose value is 0x30..=0x39 (ASCII bytes only; bytes
        // with the high bit set never match).
        let low7 = word & !HIGH;
        let above = low7.wrapping_add(ONES * (127 - 0x39)) & HIGH;
        let at_least = low7.wrapping_add(ONES * (128 - 0x30)) & HIGH;
        let digits = (!above & at_least & !word & HIGH) | (word & HIGH & non_ascii);
        if digits != 0 {
            return Some(from + 8 * k + (digits.trailing_zeros() / 8) as usize);
        }
    }
    let tail = chunks.remainder();
    let tail_start = bytes.len() - tail.len();
    tail.iter()
        .position(|b| b.is_ascii_digit() || (non_ascii != 0 && !b.is_ascii()))
        .map(|p| tail_start + p)
}

/// Position of the first byte with the high bit set (the start of a non-ASCII character
/// when `from` is a character boundary) at or after `from`, eight bytes at a time.
pub(super) fn find_non_ascii(bytes: &[u8], from: usize) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    for (k, chunk) in chunks.by_ref().enumerate() {
        let high = u64::from_le_bytes(chunk.try_into().ok()?) & HIGH;
        if high != 0 {
            return Some(from + 8 * k + (high.trailing_zeros() / 8) as usize);
        }
    }
    let tail = chunks.remainder();
    let tail_start = bytes.len() - tail.len();
    tail.iter()
        .position(|b| !b.is_ascii())
        .map(|p| tail_start + p)
}

/// True when `gap` is one character that can separate the groups of a Social Security
/// number: a space, a dash, a dot or other punctuation, or a no-break space or en dash.
/// Folded text has every other separator turned into one of these.
pub(super) fn is_ssn_separator(gap: &[u8]) -> bool {
    match gap {
        [b] => matches!(
            b,
            b' ' | b'-' | b'.' | b'/' | b'_' | b',' | b':' | b'~' | b'*' | b';' | b'\\'
        ),
        [0xE2, 0x80, 0x93] | [0xC2, 0xA0] | [0xE2, 0x80, 0xAF] => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{find_digit, find_digit_or_non_ascii, find_non_ascii, is_word};

    #[test]
    fn finds_the_first_non_ascii_byte_like_a_byte_loop() {
        let samples: [&[u8]; 5] = [
            b"",
            b"plain ascii text, long enough for two words",
            "caf\u{e9}".as_bytes(),
            "0123456789abcdef\u{ff10}".as_bytes(),
            b"\x7f\x80",
        ];
        for s in samples {
            for from in 0..=s.len() {
                let expected = s[from..]
                    .iter()
                    .position(|b| !b.is_ascii())
                    .map(|p| p + from);
                assert_eq!(find_non_ascii(s, from), expected, "{s:?} from {from}");
                let expected = s[from..]
                    .iter()
                    .position(|b| !b.is_ascii() || b.is_ascii_digit())
                    .map(|p| p + from);
                assert_eq!(
                    find_digit_or_non_ascii(s, from),
                    expected,
                    "{s:?} from {from}"
                );
            }
        }
    }

    #[test]
    fn finds_the_first_digit_like_a_byte_loop() {
        let samples: [&[u8]; 8] = [
            b"",
            b"no digits at all in this sentence",
            b"0",
            b"abcdefg9",
            b"abcdefgh9ijk",
            "caf\u{e9} \u{2163}\u{ff10} then 7".as_bytes(),
            b"/:@[`{\x7f 5",
            &[0xb0, 0xb9, 0x30 | 0x80, b'x', b'y', b'z', b'!', b'?', b'4'],
        ];
        for s in samples {
            for from in 0..=s.len() {
                let expected = s[from..]
                    .iter()
                    .position(u8::is_ascii_digit)
                    .map(|p| p + from);
                assert_eq!(find_digit(s, from), expected, "{s:?} from {from}");
            }
        }
        for b in 0..=255u8 {
            let mut s = [b'x'; 16];
            s[11] = b;
            let expected = s.iter().position(u8::is_ascii_digit);
            assert_eq!(find_digit(&s, 0), expected, "byte {b:#x}");
        }
    }

    #[test]
    fn word_bytes_are_ascii_letters_and_digits() {
        for b in 0..=255u8 {
            assert_eq!(is_word(b), b.is_ascii_alphanumeric(), "byte {b:#x}");
        }
    }
}
