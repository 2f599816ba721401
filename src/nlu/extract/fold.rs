//! What the lexer reads for text that is not plain ASCII: every character that means a
//! digit, a letter, a separator or an invisible mark is folded to the ASCII the byte-level
//! parsers understand, with a map back to the original byte offsets.
//!
//! Decimal digits of any script (general category Nd: full-width, Arabic-Indic, Devanagari,
//! ...) become ASCII digits; the full-width forms U+FF01..U+FF5E become their ASCII
//! counterparts (what NFKC does to them); dashes (Pd, and the minus sign U+2212) become
//! `-`, spaces (Zs) a space, other punctuation (Po) `/`, which separates the groups of a
//! Social Security number but joins nothing else. Format characters (Cf: soft hyphen,
//! zero-width space, zero-width joiner, bidi marks) are invisible: between two digits they
//! separate groups like a dash, anywhere else they are dropped. The no-break spaces and the
//! en dash, which the lexer reads as they are, stay as they are.
//!
//! Plain ASCII text, and text whose other characters mean nothing to the parsers, is not
//! folded at all: that is the common case and it costs one pass looking for a byte with
//! the high bit set.

use std::ops::Range;

use super::entity::{Entity, Extraction, NearMiss};
use super::lex;

/// A range of code points and what its characters are to the lexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Decimal digits; a range starts at a zero and holds whole sets of ten.
    Digit,
    /// Dash punctuation, and the minus sign.
    Dash,
    /// Space separators.
    Space,
    /// Invisible format characters.
    Format,
    /// Other punctuation.
    Punct,
}

use Class::*;

/// The non-ASCII characters of general categories Nd, Pd, Zs, Cf and Po, and U+2212, as
/// sorted ranges, from Unicode 16.0 (the tables of the `regex-syntax` crate). Left out:
/// U+FF01..U+FF5E (folded by arithmetic), U+00A0, U+202F and U+2013 (read as they are).
#[rustfmt::skip]
static CLASSES: [(u32, u32, Class); 291] = [
    (0x00A1, 0x00A1, Punct),
    (0x00A7, 0x00A7, Punct),
    (0x00AD, 0x00AD, Format),
    (0x00B6, 0x00B7, Punct),
    (0x00BF, 0x00BF, Punct),
    (0x037E, 0x037E, Punct),
    (0x0387, 0x0387, Punct),
    (0x055A, 0x055F, Punct),
    (0x0589, 0x0589, Punct),
    (0x058A, 0x058A, Dash),
    (0x05BE, 0x05BE, Dash),
    (0x05C0, 0x05C0, Punct),
    (0x05C3, 0x05C3, Punct),
    (0x05C6, 0x05C6, Punct),
    (0x05F3, 0x05F4, Punct),
    (0x0600, 0x0605, Format),
    (0x0609, 0x060A, Punct),
    (0x060C, 0x060D, Punct),
    (0x061B, 0x061B, Punct),
    (0x061C, 0x061C, Format),
    (0x061D, 0x061F, Punct),
    (0x0660, 0x0669, Digit),
    (0x066A, 0x066D, Punct),
    (0x06D4, 0x06D4, Punct),
    (0x06DD, 0x06DD, Format),
    (0x06F0, 0x06F9, Digit),
    (0x0700, 0x070D, Punct),
    (0x070F, 0x070F, Format),
    (0x07C0, 0x07C9, Digit),
    (0x07F7, 0x07F9, Punct),
    (0x0830, 0x083E, Punct),
    (0x085E, 0x085E, Punct),
    (0x0890, 0x0891, Format),
    (0x08E2, 0x08E2, Format),
    (0x0964, 0x0965, Punct),
    (0x0966, 0x096F, Digit),
    (0x0970, 0x0970, Punct),
    (0x09E6, 0x09EF, Digit),
    (0x09FD, 0x09FD, Punct),
    (0x0A66, 0x0A6F, Digit),
    (0x0A76, 0x0A76, Punct),
    (0x0AE6, 0x0AEF, Digit),
    (0x0AF0, 0x0AF0, Punct),
    (0x0B66, 0x0B6F, Digit),
    (0x0BE6, 0x0BEF, Digit),
    (0x0C66, 0x0C6F, Digit),
    (0x0C77, 0x0C77, Punct),
    (0x0C84, 0x0C84, Punct),
    (0x0CE6, 0x0CEF, Digit),
    (0x0D66, 0x0D6F, Digit),
    (0x0DE6, 0x0DEF, Digit),
    (0x0DF4, 0x0DF4, Punct),
    (0x0E4F, 0x0E4F, Punct),
    (0x0E50, 0x0E59, Digit),
    (0x0E5A, 0x0E5B, Punct),
    (0x0ED0, 0x0ED9, Digit),
    (0x0F04, 0x0F12, Punct),
    (0x0F14, 0x0F14, Punct),
    (0x0F20, 0x0F29, Digit),
    (0x0F85, 0x0F85, Punct),
    (0x0FD0, 0x0FD4, Punct),
    (0x0FD9, 0x0FDA, Punct),
    (0x1040, 0x1049, Digit),
    (0x104A, 0x104F, Punct),
    (0x1090, 0x1099, Digit),
    (0x10FB, 0x10FB, Punct),
    (0x1360, 0x1368, Punct),
    (0x1400, 0x1400, Dash),
    (0x166E, 0x166E, Punct),
    (0x1680, 0x1680, Space),
    (0x16EB, 0x16ED, Punct),
    (0x1735, 0x1736, Punct),
    (0x17D4, 0x17D6, Punct),
    (0x17D8, 0x17DA, Punct),
    (0x17E0, 0x17E9, Digit),
    (0x1800, 0x1805, Punct),
    (0x1806, 0x1806, Dash),
    (0x1807, 0x180A, Punct),
    (0x180E, 0x180E, Format),
    (0x1810, 0x1819, Digit),
    (0x1944, 0x1945, Punct),
    (0x1946, 0x194F, Digit),
    (0x19D0, 0x19D9, Digit),
    (0x1A1E, 0x1A1F, Punct),
    (0x1A80, 0x1A89, Digit),
    (0x1A90, 0x1A99, Digit),
    (0x1AA0, 0x1AA6, Punct),
    (0x1AA8, 0x1AAD, Punct),
    (0x1B4E, 0x1B4F, Punct),
    (0x1B50, 0x1B59, Digit),
    (0x1B5A, 0x1B60, Punct),
    (0x1B7D, 0x1B7F, Punct),
    (0x1BB0, 0x1BB9, Digit),
    (0x1BFC, 0x1BFF, Punct),
    (0x1C3B, 0x1C3F, Punct),
    (0x1C40, 0x1C49, Digit),
    (0x1C50, 0x1C59, Digit),
    (0x1C7E, 0x1C7F, Punct),
    (0x1CC0, 0x1CC7, Punct),
    (0x1CD3, 0x1CD3, Punct),
    (0x2000, 0x200A, Space),
    (0x200B, 0x200F, Format),
    (0x2010, 0x2012, Dash),
    (0x2014, 0x2015, Dash),
    (0x2016, 0x2017, Punct),
    (0x2020, 0x2027, Punct),
    (0x202A, 0x202E, Format),
    (0x2030, 0x2038, Punct),
    (0x203B, 0x203E, Punct),
    (0x2041, 0x2043, Punct),
    (0x2047, 0x2051, Punct),
    (0x2053, 0x2053, Punct),
    (0x2055, 0x205E, Punct),
    (0x205F, 0x205F, Space),
    (0x2060, 0x2064, Format),
    (0x2066, 0x206F, Format),
    (0x2212, 0x2212, Dash),
    (0x2CF9, 0x2CFC, Punct),
    (0x2CFE, 0x2CFF, Punct),
    (0x2D70, 0x2D70, Punct),
    (0x2E00, 0x2E01, Punct),
    (0x2E06, 0x2E08, Punct),
    (0x2E0B, 0x2E0B, Punct),
    (0x2E0E, 0x2E16, Punct),
    (0x2E17, 0x2E17, Dash),
    (0x2E18, 0x2E19, Punct),
    (0x2E1A, 0x2E1A, Dash),
    (0x2E1B, 0x2E1B, Punct),
    (0x2E1E, 0x2E1F, Punct),
    (0x2E2A, 0x2E2E, Punct),
    (0x2E30, 0x2E39, Punct),
    (0x2E3A, 0x2E3B, Dash),
    (0x2E3C, 0x2E3F, Punct),
    (0x2E40, 0x2E40, Dash),
    (0x2E41, 0x2E41, Punct),
    (0x2E43, 0x2E4F, Punct),
    (0x2E52, 0x2E54, Punct),
    (0x2E5D, 0x2E5D, Dash),
    (0x3000, 0x3000, Space),
    (0x3001, 0x3003, Punct),
    (0x301C, 0x301C, Dash),
    (0x3030, 0x3030, Dash),
    (0x303D, 0x303D, Punct),
    (0x30A0, 0x30A0, Dash),
    (0x30FB, 0x30FB, Punct),
    (0xA4FE, 0xA4FF, Punct),
    (0xA60D, 0xA60F, Punct),
    (0xA620, 0xA629, Digit),
    (0xA673, 0xA673, Punct),
    (0xA67E, 0xA67E, Punct),
    (0xA6F2, 0xA6F7, Punct),
    (0xA874, 0xA877, Punct),
    (0xA8CE, 0xA8CF, Punct),
    (0xA8D0, 0xA8D9, Digit),
    (0xA8F8, 0xA8FA, Punct),
    (0xA8FC, 0xA8FC, Punct),
    (0xA900, 0xA909, Digit),
    (0xA92E, 0xA92F, Punct),
    (0xA95F, 0xA95F, Punct),
    (0xA9C1, 0xA9CD, Punct),
    (0xA9D0, 0xA9D9, Digit),
    (0xA9DE, 0xA9DF, Punct),
    (0xA9F0, 0xA9F9, Digit),
    (0xAA50, 0xAA59, Digit),
    (0xAA5C, 0xAA5F, Punct),
    (0xAADE, 0xAADF, Punct),
    (0xAAF0, 0xAAF1, Punct),
    (0xABEB, 0xABEB, Punct),
    (0xABF0, 0xABF9, Digit),
    (0xFE10, 0xFE16, Punct),
    (0xFE19, 0xFE19, Punct),
    (0xFE30, 0xFE30, Punct),
    (0xFE31, 0xFE32, Dash),
    (0xFE45, 0xFE46, Punct),
    (0xFE49, 0xFE4C, Punct),
    (0xFE50, 0xFE52, Punct),
    (0xFE54, 0xFE57, Punct),
    (0xFE58, 0xFE58, Dash),
    (0xFE5F, 0xFE61, Punct),
    (0xFE63, 0xFE63, Dash),
    (0xFE68, 0xFE68, Punct),
    (0xFE6A, 0xFE6B, Punct),
    (0xFEFF, 0xFEFF, Format),
    (0xFF61, 0xFF61, Punct),
    (0xFF64, 0xFF65, Punct),
    (0xFFF9, 0xFFFB, Format),
    (0x10100, 0x10102, Punct),
    (0x1039F, 0x1039F, Punct),
    (0x103D0, 0x103D0, Punct),
    (0x104A0, 0x104A9, Digit),
    (0x1056F, 0x1056F, Punct),
    (0x10857, 0x10857, Punct),
    (0x1091F, 0x1091F, Punct),
    (0x1093F, 0x1093F, Punct),
    (0x10A50, 0x10A58, Punct),
    (0x10A7F, 0x10A7F, Punct),
    (0x10AF0, 0x10AF6, Punct),
    (0x10B39, 0x10B3F, Punct),
    (0x10B99, 0x10B9C, Punct),
    (0x10D30, 0x10D39, Digit),
    (0x10D40, 0x10D49, Digit),
    (0x10D6E, 0x10D6E, Dash),
    (0x10EAD, 0x10EAD, Dash),
    (0x10F55, 0x10F59, Punct),
    (0x10F86, 0x10F89, Punct),
    (0x11047, 0x1104D, Punct),
    (0x11066, 0x1106F, Digit),
    (0x110BB, 0x110BC, Punct),
    (0x110BD, 0x110BD, Format),
    (0x110BE, 0x110C1, Punct),
    (0x110CD, 0x110CD, Format),
    (0x110F0, 0x110F9, Digit),
    (0x11136, 0x1113F, Digit),
    (0x11140, 0x11143, Punct),
    (0x11174, 0x11175, Punct),
    (0x111C5, 0x111C8, Punct),
    (0x111CD, 0x111CD, Punct),
    (0x111D0, 0x111D9, Digit),
    (0x111DB, 0x111DB, Punct),
    (0x111DD, 0x111DF, Punct),
    (0x11238, 0x1123D, Punct),
    (0x112A9, 0x112A9, Punct),
    (0x112F0, 0x112F9, Digit),
    (0x113D4, 0x113D5, Punct),
    (0x113D7, 0x113D8, Punct),
    (0x1144B, 0x1144F, Punct),
    (0x11450, 0x11459, Digit),
    (0x1145A, 0x1145B, Punct),
    (0x1145D, 0x1145D, Punct),
    (0x114C6, 0x114C6, Punct),
    (0x114D0, 0x114D9, Digit),
    (0x115C1, 0x115D7, Punct),
    (0x11641, 0x11643, Punct),
    (0x11650, 0x11659, Digit),
    (0x11660, 0x1166C, Punct),
    (0x116B9, 0x116B9, Punct),
    (0x116C0, 0x116C9, Digit),
    (0x116D0, 0x116E3, Digit),
    (0x11730, 0x11739, Digit),
    (0x1173C, 0x1173E, Punct),
    (0x1183B, 0x1183B, Punct),
    (0x118E0, 0x118E9, Digit),
    (0x11944, 0x11946, Punct),
    (0x11950, 0x11959, Digit),
    (0x119E2, 0x119E2, Punct),
    (0x11A3F, 0x11A46, Punct),
    (0x11A9A, 0x11A9C, Punct),
    (0x11A9E, 0x11AA2, Punct),
    (0x11B00, 0x11B09, Punct),
    (0x11BE1, 0x11BE1, Punct),
    (0x11BF0, 0x11BF9, Digit),
    (0x11C41, 0x11C45, Punct),
    (0x11C50, 0x11C59, Digit),
    (0x11C70, 0x11C71, Punct),
    (0x11D50, 0x11D59, Digit),
    (0x11DA0, 0x11DA9, Digit),
    (0x11EF7, 0x11EF8, Punct),
    (0x11F43, 0x11F4F, Punct),
    (0x11F50, 0x11F59, Digit),
    (0x11FFF, 0x11FFF, Punct),
    (0x12470, 0x12474, Punct),
    (0x12FF1, 0x12FF2, Punct),
    (0x13430, 0x1343F, Format),
    (0x16130, 0x16139, Digit),
    (0x16A60, 0x16A69, Digit),
    (0x16A6E, 0x16A6F, Punct),
    (0x16AC0, 0x16AC9, Digit),
    (0x16AF5, 0x16AF5, Punct),
    (0x16B37, 0x16B3B, Punct),
    (0x16B44, 0x16B44, Punct),
    (0x16B50, 0x16B59, Digit),
    (0x16D6D, 0x16D6F, Punct),
    (0x16D70, 0x16D79, Digit),
    (0x16E97, 0x16E9A, Punct),
    (0x16FE2, 0x16FE2, Punct),
    (0x1BC9F, 0x1BC9F, Punct),
    (0x1BCA0, 0x1BCA3, Format),
    (0x1CCF0, 0x1CCF9, Digit),
    (0x1D173, 0x1D17A, Format),
    (0x1D7CE, 0x1D7FF, Digit),
    (0x1DA87, 0x1DA8B, Punct),
    (0x1E140, 0x1E149, Digit),
    (0x1E2F0, 0x1E2F9, Digit),
    (0x1E4F0, 0x1E4F9, Digit),
    (0x1E5F1, 0x1E5FA, Digit),
    (0x1E5FF, 0x1E5FF, Punct),
    (0x1E950, 0x1E959, Digit),
    (0x1E95E, 0x1E95F, Punct),
    (0x1FBF0, 0x1FBF9, Digit),
    (0xE0001, 0xE0001, Format),
    (0xE0020, 0xE007F, Format),
];

/// What the lexer reads in place of one non-ASCII character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// This ASCII byte.
    Ascii(u8),
    /// The character itself: it means nothing to the parsers.
    Keep,
    /// Nothing, or a group separator between two digits.
    Invisible,
}

fn class_of(c: char) -> Option<(u32, Class)> {
    let cp = u32::from(c);
    let i = CLASSES.partition_point(|&(_, hi, _)| hi < cp);
    CLASSES
        .get(i)
        .filter(|&&(lo, _, _)| lo <= cp)
        .map(|&(lo, _, class)| (lo, class))
}

fn fold_char(c: char) -> Fold {
    let cp = u32::from(c);
    if (0xFF01..=0xFF5E).contains(&cp) {
        // The full-width forms of `!` to `~`, in ASCII order.
        return Fold::Ascii((cp - 0xFEE0) as u8);
    }
    match class_of(c) {
        None => Fold::Keep,
        Some((zero, Digit)) => Fold::Ascii(b'0' + ((cp - zero) % 10) as u8),
        Some((_, Dash)) => Fold::Ascii(b'-'),
        Some((_, Space)) => Fold::Ascii(b' '),
        Some((_, Punct)) => Fold::Ascii(b'/'),
        Some((_, Format)) => Fold::Invisible,
    }
}

/// The value of a decimal digit of any script (general category Nd), ASCII included.
pub(crate) fn decimal_digit(c: char) -> Option<u8> {
    if c.is_ascii() {
        return c.is_ascii_digit().then(|| c as u8 - b'0');
    }
    match fold_char(c) {
        Fold::Ascii(b) if b.is_ascii_digit() => Some(b - b'0'),
        _ => None,
    }
}

/// A text folded for the lexer, with the way back to the original offsets.
#[derive(Debug)]
pub(crate) struct Folded<'a> {
    original: &'a str,
    folded: String,
    /// For each byte of `folded`, the offset of the original character it comes from.
    origin: Vec<u32>,
}

impl<'a> Folded<'a> {
    /// The folded form of `text`, or `None` when the lexer can read `text` as it is.
    pub(crate) fn new(text: &'a str) -> Option<Self> {
        let first = lex::find_non_ascii(text.as_bytes(), 0)?;
        if text.len() > u32::MAX as usize || !needs_folding(text, first) {
            return None;
        }
        let mut folded = Vec::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            let at = i as u32;
            if c.is_ascii() {
                folded.push(c as u8);
                origin.push(at);
                continue;
            }
            match fold_char(c) {
                Fold::Ascii(b) => {
                    folded.push(b);
                    origin.push(at);
                }
                Fold::Keep => {
                    folded.extend_from_slice(&text.as_bytes()[i..i + c.len_utf8()]);
                    origin.extend(std::iter::repeat_n(at, c.len_utf8()));
                }
                Fold::Invisible => {
                    let after_digit = folded.last().is_some_and(u8::is_ascii_digit);
                    let before_digit = || {
                        text[i..]
                            .chars()
                            .skip(1)
                            .find(|&c| c.is_ascii() || fold_char(c) != Fold::Invisible)
                            .and_then(decimal_digit)
                            .is_some()
                    };
                    if after_digit && before_digit() {
                        folded.push(b'-');
                        origin.push(at);
                    }
                }
            }
        }
        // Only ASCII bytes and whole characters of `text` were copied.
        let folded = String::from_utf8(folded).ok()?;
        Some(Folded {
            original: text,
            folded,
            origin,
        })
    }

    /// The text the lexer reads.
    pub(crate) fn text(&self) -> &str {
        &self.folded
    }

    /// The original byte range of the folded span `span` (which lies on character
    /// boundaries of the folded text and is not empty).
    pub(crate) fn original(&self, span: Range<usize>) -> Range<usize> {
        if span.is_empty() {
            let at = self
                .origin
                .get(span.start)
                .map_or(self.original.len(), |&o| o as usize);
            return at..at;
        }
        let start = self.origin[span.start] as usize;
        let last = self.origin[span.end - 1] as usize;
        let width = self.original[last..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        start..last + width
    }

    /// Moves every span of `extraction`, found in the folded text, onto the original.
    pub(super) fn map_back(&self, extraction: &mut Extraction) {
        for Entity { start, end, .. } in &mut extraction.entities {
            let span = self.original(*start..*end);
            (*start, *end) = (span.start, span.end);
        }
        for NearMiss { start, end, .. } in &mut extraction.near_misses {
            let span = self.original(*start..*end);
            (*start, *end) = (span.start, span.end);
        }
    }
}

/// True when some character from byte `from` on would read differently folded: a digit,
/// letter or `@` in another form, an invisible character, or a separator next to an ASCII
/// digit. Other punctuation and spaces far from digits change nothing for the parsers.
fn needs_folding(text: &str, from: usize) -> bool {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(p) = lex::find_non_ascii(bytes, i) {
        let Some(c) = text.get(p..).and_then(|rest| rest.chars().next()) else {
            return false;
        };
        let end = p + c.len_utf8();
        match fold_char(c) {
            Fold::Keep => {}
            Fold::Invisible => return true,
            Fold::Ascii(b) if b.is_ascii_alphanumeric() || b == b'@' => return true,
            Fold::Ascii(_) => {
                let digit_before = p > 0 && bytes[p - 1].is_ascii_digit();
                if digit_before || bytes.get(end).is_some_and(u8::is_ascii_digit) {
                    return true;
                }
            }
        }
        i = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_digit_ranges_hold_whole_sets_of_ten() {
        for pair in CLASSES.windows(2) {
            assert!(pair[0].1 < pair[1].0, "{:x?}", pair);
        }
        for &(lo, hi, class) in &CLASSES {
            assert!(lo <= hi && lo >= 0x80);
            if class == Digit {
                assert_eq!((hi - lo + 1) % 10, 0, "{lo:x}");
                for cp in lo..=hi {
                    let c = char::from_u32(cp).unwrap();
                    assert!(c.is_numeric(), "{cp:x}");
                }
            }
        }
    }

    #[test]
    fn digits_of_every_script_have_their_value() {
        for (zero, name) in [
            ('0', "ASCII"),
            ('\u{FF10}', "full-width"),
            ('\u{0660}', "Arabic-Indic"),
            ('\u{06F0}', "extended Arabic-Indic"),
            ('\u{0966}', "Devanagari"),
            ('\u{0E50}', "Thai"),
            ('\u{1D7CE}', "mathematical bold"),
        ] {
            for v in 0..10u8 {
                let c = char::from_u32(u32::from(zero) + u32::from(v)).unwrap();
                assert_eq!(decimal_digit(c), Some(v), "{name} {v}");
            }
        }
        for c in [
            'a', '\u{00B2}', '\u{2460}', '\u{216B}', '\u{4E00}', '\u{FF21}',
        ] {
            assert_eq!(decimal_digit(c), None, "{c:?}");
        }
    }

    #[test]
    fn folds_by_meaning_and_maps_back_to_the_original() {
        for (text, folded) in [
            ("\u{FF25}\u{FF21}\u{FF23}\u{FF12}\u{FF11}", "EAC21"),
            ("\u{0661}\u{0662}\u{0663}\u{2212}\u{06F4}\u{06F5}", "123-45"),
            ("123\u{00AD}45\u{200B}\u{200D}6789", "123-45-6789"),
            (
                "jane\u{200B}.doe@ex\u{200C}ample.org",
                "jane.doe@example.org",
            ),
            ("12\u{3000}34\u{060C}56 caf\u{E9}", "12 34/56 caf\u{E9}"),
            ("1\u{00A0}2\u{2013}3\u{200B}", "1\u{00A0}2\u{2013}3"),
        ] {
            let f = Folded::new(text).expect(text);
            assert_eq!(f.text(), folded, "{text:?}");
            let whole = f.original(0..f.text().len());
            assert_eq!(&text[whole], text.trim_end_matches('\u{200B}'));
        }
        let text = "my \u{FF21}\u{FF11}\u{FF12} ok";
        let f = Folded::new(text).unwrap();
        let span = f.original(3..6);
        assert_eq!(&text[span], "\u{FF21}\u{FF11}\u{FF12}");
    }

    #[test]
    fn text_that_reads_the_same_is_not_folded() {
        for text in [
            "plain ASCII 123-45-6789",
            "caf\u{E9} \u{BF}qu\u{E9} tal? \u{2014} bien",
            "Es mi n\u{FA}mero de recibo EAC2190012345? \u{BF}Cu\u{E1}nto?",
            "1\u{00A0}234",
        ] {
            assert!(Folded::new(text).is_none(), "{text:?}");
        }
    }
}
