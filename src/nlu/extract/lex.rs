//! Byte-level helpers shared by the identifier parsers: tokens are maximal runs of ASCII
//! letters and digits, so every span they produce lies on a UTF-8 character boundary.

/// A token: a maximal run of ASCII letters and digits, as byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tok {
    pub start: usize,
    pub end: usize,
}

/// End of the alphanumeric run that starts at `start`.
pub(super) fn token_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
        i += 1;
    }
    i
}

/// Start of the alphanumeric run containing `at`, not going below `floor`.
pub(super) fn token_start(bytes: &[u8], at: usize, floor: usize) -> usize {
    let mut i = at;
    while i > floor && bytes[i - 1].is_ascii_alphanumeric() {
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
    while i < limit && i - end <= MAX_GAP && !bytes[i].is_ascii_alphanumeric() {
        i += 1;
    }
    if i == end || i >= limit || i - end > MAX_GAP || !bytes[i].is_ascii_alphanumeric() {
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

fn is_joiner(gap: &[u8]) -> bool {
    match gap {
        // En dash, no-break space, narrow no-break space.
        [0xE2, 0x80, 0x93] | [0xC2, 0xA0] | [0xE2, 0x80, 0xAF] => true,
        _ => {
            gap.iter()
                .all(|b| matches!(b, b' ' | b'-' | b'.' | b'*' | b'(' | b')'))
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
