//! The scanner: walks the text digit by digit and hands each run of joined tokens to the
//! parser for the identifier shape it could be.

use super::context::{self, Context};
use super::email::Emails;
use super::entity::{Entity, Extraction, NearMiss, Problem};
use super::lex::{self, Tok};
use crate::domain::identifiers::SSN_MASK;
use crate::domain::identifiers::{EntityKind, office_for};

/// Runs longer than this many groups are not identifiers anyone types.
const MAX_GROUPS: usize = 8;

/// One part of a number as typed: a token and the separator before it.
#[derive(Debug, Clone, Copy, Default)]
struct Group {
    /// Where the separator before this group starts (`== start` for the first group).
    gap_start: usize,
    start: usize,
    end: usize,
}

impl Group {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// Consecutive groups joined by separators, without allocating.
#[derive(Debug)]
struct Run {
    groups: [Group; MAX_GROUPS],
    len: usize,
}

impl Run {
    fn as_slice(&self) -> &[Group] {
        &self.groups[..self.len]
    }

    fn end(&self) -> usize {
        self.groups[self.len - 1].end
    }
}

/// Finds identifiers in one text; see the `extract` module.
pub(super) struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    out: &'a mut Extraction,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(text: &'a str, out: &'a mut Extraction) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            out,
        }
    }

    /// Scans the text, merging in the e-mail addresses as it reaches them so that entities
    /// stay in order and never overlap. Not inlined, so that the early exit for text without
    /// digits does not pay for the scanner's stack frame.
    #[inline(never)]
    pub(super) fn run(mut self, mut emails: Emails) {
        let mut email = emails.next();
        let mut i = 0;
        while let Some(d) = lex::find_digit(self.bytes, i) {
            while email.as_ref().is_some_and(|e| e.start < i) {
                email = emails.next();
            }
            if let Some(found) = email.take_if(|e| e.start <= d) {
                i = found.end;
                self.out.entities.push(found);
                email = emails.next();
                continue;
            }
            let limit = email.as_ref().map_or(self.bytes.len(), |e| e.start);
            let start = lex::token_start(self.bytes, d, i);
            i = self.at(start, i, limit).max(d + 1);
        }
        let rest = email.into_iter().chain(emails);
        self.out.entities.extend(rest.filter(|e| e.start >= i));
    }

    /// Parses at the token starting at `start` (which holds a digit); returns where to go on.
    fn at(&mut self, start: usize, floor: usize, limit: usize) -> usize {
        let tok = Tok {
            start,
            end: lex::token_end(self.bytes, start).min(limit),
        };
        if !self.bytes[start].is_ascii_digit() {
            return self.letters_first(tok, limit).unwrap_or(tok.end);
        }
        if let Some(prefix) = self.label_before(tok, floor, limit)
            && let Some(end) = self.letters_first(prefix, limit)
        {
            return end;
        }
        if !lex::all_digits(&self.bytes[tok.start..tok.end]) {
            // `1OE0912345678` (a receipt with digits typed for letters), else `5th`, `2nd`.
            return self.receipt(tok, limit).unwrap_or(tok.end);
        }
        self.number(tok, limit)
    }

    /// A short letters-only token just before `tok` and joined to it (`EAC` in
    /// `EAC 21 900 12345`, `I` in `I-485`, `A` in `A-123-456-789`).
    fn label_before(&self, tok: Tok, floor: usize, limit: usize) -> Option<Tok> {
        let bytes = self.bytes;
        let mut end = tok.start;
        while end > floor && tok.start - end <= 3 && !lex::is_word(bytes[end - 1]) {
            end -= 1;
        }
        let start = lex::token_start(bytes, end, floor);
        let word = &bytes[start..end];
        let is_label = (1..=3).contains(&word.len())
            && word.iter().all(u8::is_ascii_alphabetic)
            && (start == 0 || !lex::is_word(bytes[start - 1]));
        let joined =
            || lex::next_joined(bytes, end, limit).is_some_and(|(_, next)| next.start == tok.start);
        (is_label && joined()).then_some(Tok { start, end })
    }

    /// Identifiers that start with letters: receipt numbers, A-numbers, forms, and
    /// receipt look-alikes.
    fn letters_first(&mut self, tok: Tok, limit: usize) -> Option<usize> {
        self.receipt(tok, limit)
            .or_else(|| self.a_number(tok, limit))
            .or_else(|| self.form(tok, limit))
            .or_else(|| self.letter_count_near_miss(tok))
    }

    /// Collects `first` and every following group joined to it that `accept` takes.
    fn collect(&self, first: Group, limit: usize, accept: fn(&[u8]) -> bool) -> Run {
        let mut run = Run {
            groups: [Group::default(); MAX_GROUPS],
            len: 1,
        };
        run.groups[0] = first;
        let mut end = first.end;
        while run.len < MAX_GROUPS {
            let Some((_, next)) = lex::next_joined(self.bytes, end, limit) else {
                break;
            };
            if !accept(&self.bytes[next.start..next.end]) {
                break;
            }
            run.groups[run.len] = Group {
                gap_start: end,
                start: next.start,
                end: next.end,
            };
            run.len += 1;
            end = next.end;
        }
        run
    }

    fn gap(&self, group: &Group) -> &[u8] {
        &self.bytes[group.gap_start..group.start]
    }

    /// How many leading groups make a number of `lo..=hi` digits: the first group alone
    /// when it is long enough (`A12345678 2 times`), else as many groups as fit (`A 12 345
    /// 678`). The group after it must be set apart by a plain space; a dash or dot would
    /// mean the number goes on and is too long.
    fn fit(&self, run: &Run, lo: usize, hi: usize) -> Option<usize> {
        let groups = run.as_slice();
        let mut total = 0;
        let mut best = None;
        for (k, group) in groups.iter().enumerate() {
            total += group.len();
            if total > hi {
                break;
            }
            if total >= lo {
                best = Some(k + 1);
                if k == 0 {
                    break;
                }
            }
        }
        let k = best?;
        match groups.get(k) {
            Some(next) if !lex::is_space(self.gap(next)) => None,
            _ => Some(k),
        }
    }

    fn push(&mut self, kind: EntityKind, value: String, start: usize, end: usize) -> usize {
        self.out.entities.push(Entity {
            kind,
            value,
            start,
            end,
            office: None,
            corrected: false,
        });
        end
    }

    fn near_miss(&mut self, start: usize, end: usize, problem: Problem) -> usize {
        self.out.near_misses.push(NearMiss {
            start,
            end,
            problem,
        });
        end
    }

    /// Three letters (or `1`/`0` typed for `I`/`O` in a known prefix) and ten digits, with
    /// O/o typed for 0 and I/l for 1 in the digits corrected. Also reports look-alikes
    /// with the wrong number of digits or a stray letter among them.
    fn receipt(&mut self, tok: Tok, limit: usize) -> Option<usize> {
        let bytes = self.bytes;
        let word = &bytes[tok.start..tok.end];
        if word.len() < 3 {
            return None;
        }
        let mut prefix = [0u8; 3];
        let mut fixed_prefix = false;
        for (slot, &b) in prefix.iter_mut().zip(&word[..3]) {
            *slot = match b {
                b'a'..=b'z' | b'A'..=b'Z' => b.to_ascii_uppercase(),
                b'0' => b'O',
                b'1' => b'I',
                _ => return None,
            };
            fixed_prefix |= b.is_ascii_digit();
        }
        let office = office_for(prefix);
        if fixed_prefix && (office.is_none() || !word[..3].iter().any(u8::is_ascii_alphabetic)) {
            return None;
        }
        let rest = &word[3..];
        let first = if rest.is_empty() {
            let (gap, next) = lex::next_joined(bytes, tok.end, limit)?;
            // A separate word before a number is a prefix only when it is a known office
            // or typed like one (`FAC-98765...`), not `and 123456789`.
            let typed_as_prefix = word.iter().all(u8::is_ascii_uppercase) && !lex::is_space(gap);
            if !(office.is_some() || typed_as_prefix)
                || !digitish_group(&bytes[next.start..next.end])
            {
                return None;
            }
            Group {
                gap_start: tok.end,
                start: next.start,
                end: next.end,
            }
        } else if rest.iter().all(|&b| lex::digitish(b).is_some())
            && rest.iter().any(u8::is_ascii_digit)
        {
            Group {
                gap_start: tok.start + 3,
                start: tok.start + 3,
                end: tok.end,
            }
        } else {
            return self.stray_letter_near_miss(tok, fixed_prefix);
        };
        let run = self.collect(first, limit, digitish_group);
        let Some(k) = self.fit(&run, 10, 10) else {
            return self.digit_count_near_miss(tok, &run, fixed_prefix, office.is_some());
        };
        let groups = &run.as_slice()[..k];
        let mut value = String::with_capacity(13);
        for b in prefix {
            value.push(char::from(b));
        }
        let mut real_digits = 0;
        for b in groups.iter().flat_map(|g| &bytes[g.start..g.end]) {
            real_digits += usize::from(b.is_ascii_digit());
            value.push(char::from(lex::digitish(*b)?));
        }
        let end = groups[k - 1].end;
        if real_digits < 6 {
            // Mostly letters where digits belong: a known prefix still shows it was meant
            // as a receipt number, so say what is wrong; otherwise it is just a word.
            return office.map(|_| self.near_miss(tok.start, end, Problem::DigitsAreLetters));
        }
        self.out.entities.push(Entity {
            kind: EntityKind::ReceiptNumber,
            value,
            start: tok.start,
            end,
            office,
            corrected: fixed_prefix || real_digits < 10,
        });
        Some(end)
    }

    /// `EAC219001234` (9 digits), `EAC21900123456` (11): say how many digits there are.
    fn digit_count_near_miss(
        &mut self,
        tok: Tok,
        run: &Run,
        fixed_prefix: bool,
        known: bool,
    ) -> Option<usize> {
        let bytes = self.bytes;
        // Count up to the group that goes past 10 (or all of them when they fall short).
        let mut total = 0;
        let mut end = tok.end;
        for group in run.as_slice() {
            if !lex::all_digits(&bytes[group.start..group.end]) {
                return None;
            }
            total += group.len();
            end = group.end;
            if total > 10 {
                break;
            }
        }
        let plausible = if known { 8..=12 } else { 9..=11 };
        let letters_typed = bytes[tok.start..tok.start + 3]
            .iter()
            .all(u8::is_ascii_alphabetic);
        if fixed_prefix || !letters_typed || !plausible.contains(&total) || total == 10 {
            return None;
        }
        Some(self.near_miss(tok.start, end, Problem::DigitCount(total)))
    }

    /// `EAC21900X2345`: three letters, then ten characters with a letter among the digits.
    fn stray_letter_near_miss(&mut self, tok: Tok, fixed_prefix: bool) -> Option<usize> {
        let word = &self.bytes[tok.start..tok.end];
        let digits = word[3..].iter().filter(|b| b.is_ascii_digit()).count();
        if fixed_prefix || word.len() != 13 || lex::leading_letters(word) != 3 || digits < 7 {
            return None;
        }
        Some(self.near_miss(tok.start, tok.end, Problem::StrayLetter))
    }

    /// `EA2190012345`, `EACC2190012345`: the wrong number of letters before ten digits.
    fn letter_count_near_miss(&mut self, tok: Tok) -> Option<usize> {
        let word = &self.bytes[tok.start..tok.end];
        let letters = lex::leading_letters(word);
        let digits = &word[letters..];
        if !matches!(letters, 2 | 4)
            || !lex::all_digits(digits)
            || !(9..=11).contains(&digits.len())
        {
            return None;
        }
        Some(self.near_miss(tok.start, tok.end, Problem::LetterCount(letters)))
    }

    /// `A12345678`, `A-123-456-789`, `A 123 456 789`: an A and 7 to 9 digits, padded to 9.
    fn a_number(&mut self, tok: Tok, limit: usize) -> Option<usize> {
        let bytes = self.bytes;
        let word = &bytes[tok.start..tok.end];
        if !matches!(word[0], b'A' | b'a') {
            return None;
        }
        let first = if word.len() > 1 {
            if !lex::all_digits(&word[1..]) {
                return None;
            }
            Group {
                gap_start: tok.start + 1,
                start: tok.start + 1,
                end: tok.end,
            }
        } else {
            let (gap, next) = lex::next_joined(bytes, tok.end, limit)?;
            // "a 1234567" is an article before a number; "A 123 456 789" and "a-1234567" are not.
            if (word[0] == b'a' && gap.contains(&b' '))
                || !lex::all_digits(&bytes[next.start..next.end])
            {
                return None;
            }
            Group {
                gap_start: tok.end,
                start: next.start,
                end: next.end,
            }
        };
        let run = self.collect(first, limit, lex::all_digits);
        let k = self.fit(&run, 7, 9)?;
        let end = run.groups[k - 1].end;
        Some(self.push(
            EntityKind::ANumber,
            a_number_value(self.text, &run.as_slice()[..k]),
            tok.start,
            end,
        ))
    }

    /// `I-485`, `i485`, `N 400`, `I-821D`, `AR-11`, `G-1145`: a real form series and a
    /// plausible number.
    fn form(&mut self, tok: Tok, limit: usize) -> Option<usize> {
        let bytes = self.bytes;
        let word = &bytes[tok.start..tok.end];
        let letters = lex::leading_letters(word);
        let series = &word[..letters];
        if !["I", "N", "G", "AR"]
            .iter()
            .any(|s| series.eq_ignore_ascii_case(s.as_bytes()))
        {
            return None;
        }
        let (number_start, min_digits) = if letters < word.len() {
            (tok.start + letters, 2)
        } else {
            let (gap, next) = lex::next_joined(bytes, tok.end, limit)?;
            let min_digits = match gap {
                b"-" | [0xE2, 0x80, 0x93] => 2,
                // "I 5" or "I 20" reads as words; forms typed with a space have 3+ digits.
                b" " => 3,
                _ => return None,
            };
            (next.start, min_digits)
        };
        let number = &bytes[number_start..lex::token_end(bytes, number_start).min(limit)];
        let digits = number.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(min_digits..=4).contains(&digits) || number[0] == b'0' {
            return None;
        }
        let suffix = match &number[digits..] {
            [] | [b's' | b'S'] => None,
            [letter] if letter.is_ascii_alphabetic() => Some(letter.to_ascii_uppercase()),
            _ => return None,
        };
        let mut value = String::with_capacity(letters + digits + 2);
        value.extend(series.iter().map(|b| char::from(b.to_ascii_uppercase())));
        value.push('-');
        value.push_str(ascii(self.text, number_start, number_start + digits));
        let mut end = number_start + digits;
        if let Some(letter) = suffix {
            value.push(char::from(letter));
            end += 1;
        }
        Some(self.push(EntityKind::FormNumber, value, tok.start, end))
    }

    /// A run of bare digits: an SSN by its shape, a phone number, or an account or
    /// A-number when the words before say so; otherwise nothing.
    fn number(&mut self, tok: Tok, limit: usize) -> usize {
        let bytes = self.bytes;
        let first = Group {
            gap_start: tok.start,
            start: tok.start,
            end: tok.end,
        };
        let run = self.collect(first, limit, lex::all_digits);
        let before = tok.start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(run.end()).copied();
        if before == Some(b'$') || after == Some(b'%') {
            return run.end();
        }
        if let Some(end) = self.ssn_shape(&run, limit) {
            return end;
        }
        // Whatever the words before say, nothing below has fewer digits than an A-number:
        // dates, prices and times need no look-back.
        if digit_count(run.as_slice()) < 7 {
            return run.end();
        }
        let label_end = if matches!(before, Some(b'+' | b'(')) {
            tok.start - 1
        } else {
            tok.start
        };
        let context = context::before(bytes, label_end);
        let found = match context {
            Some(Context::Account) => self.fit(&run, 12, 12).map(|k| {
                let groups = &run.as_slice()[..k];
                let value = digits_of(self.text, groups);
                self.push(
                    EntityKind::AccountNumber,
                    value,
                    tok.start,
                    groups[k - 1].end,
                )
            }),
            Some(Context::ANumber) => self.fit(&run, 7, 9).map(|k| {
                let groups = &run.as_slice()[..k];
                let value = a_number_value(self.text, groups);
                self.push(EntityKind::ANumber, value, tok.start, groups[k - 1].end)
            }),
            Some(Context::Ssn) => self.fit(&run, 9, 9).map(|k| {
                self.push(
                    EntityKind::Ssn,
                    SSN_MASK.to_string(),
                    tok.start,
                    run.groups[k - 1].end,
                )
            }),
            Some(Context::Receipt) => self
                .fit(&run, 10, 10)
                .filter(|_| before != Some(b'('))
                .map(|k| self.near_miss(tok.start, run.groups[k - 1].end, Problem::NoLetters)),
            Some(Context::Other) => None,
            None | Some(Context::Phone) => None,
        };
        if let Some(end) = found {
            return end;
        }
        let phone_allowed =
            matches!(context, None | Some(Context::Phone)) || matches!(before, Some(b'+' | b'('));
        if phone_allowed && let Some(end) = self.phone(&run, before, label_end) {
            return end;
        }
        run.end()
    }

    /// `123-45-6789`, `123 45 6789`, `123/45/6789`: three, two and four digits with one
    /// separator of any kind between the groups, reported masked and never as anything
    /// else. Not when a dash or dot carries the number on into a longer one (the masking
    /// of long digit runs covers those).
    fn ssn_shape(&mut self, run: &Run, limit: usize) -> Option<usize> {
        let a = run.groups[0];
        let prefixed = a.start > 0 && matches!(self.bytes[a.start - 1], b'+' | b'(');
        if a.len() != 3 || prefixed {
            return None;
        }
        let b = self.ssn_group(a.end, 2, limit)?;
        let c = self.ssn_group(b.end, 4, limit)?;
        let goes_on = lex::next_joined(self.bytes, c.end, limit).is_some_and(|(gap, next)| {
            !lex::is_space(gap) && lex::all_digits(&self.bytes[next.start..next.end])
        });
        if goes_on {
            return None;
        }
        Some(self.push(EntityKind::Ssn, SSN_MASK.to_string(), a.start, c.end))
    }

    /// The token of `len` digits after one separator character at `end`.
    fn ssn_group(&self, end: usize, len: usize, limit: usize) -> Option<Tok> {
        let bytes = self.bytes;
        let start = (end + 1..=end + 3)
            .take_while(|&i| i <= limit)
            .find(|&i| lex::is_ssn_separator(&bytes[end..i]))?;
        let tok = Tok {
            start,
            end: lex::token_end(bytes, start).min(limit),
        };
        (tok.end - tok.start == len && lex::all_digits(&bytes[tok.start..tok.end])).then_some(tok)
    }

    /// North American numbers (10 digits, or 11 with the leading 1) and `+`-prefixed
    /// international ones. `span_start` includes a leading `+` or `(`.
    fn phone(&mut self, run: &Run, before: Option<u8>, span_start: usize) -> Option<usize> {
        let plus = before == Some(b'+');
        let groups = if plus {
            run.as_slice()
        } else {
            &run.as_slice()[..self.fit(run, 10, 11)?]
        };
        let total = digit_count(groups);
        if plus && !(8..=15).contains(&total) {
            return None;
        }
        // `+`, then the country code 1 when only the ten national digits were typed.
        let mut canonical = String::with_capacity(16);
        canonical.push('+');
        if total == 10 && !plus {
            canonical.push('1');
        }
        push_digits(&mut canonical, self.text, groups);
        let nanp = canonical[1..].starts_with('1');
        let valid = if plus {
            !nanp || (total == 11 && nanp_valid(&canonical[2..]))
        } else {
            nanp && nanp_valid(&canonical[2..])
        };
        if !valid {
            return None;
        }
        let end = groups[groups.len() - 1].end;
        Some(self.push(EntityKind::Phone, canonical, span_start, end))
    }
}

/// A token that can hold part of a receipt number's digits: digits, perhaps with O or I/l
/// typed for one, and at least one real digit.
fn digitish_group(word: &[u8]) -> bool {
    word.iter().all(|&b| lex::digitish(b).is_some()) && word.iter().any(u8::is_ascii_digit)
}

fn digit_count(groups: &[Group]) -> usize {
    groups.iter().map(Group::len).sum()
}

/// `text[start..end]` for a span made of tokens, which are ASCII and so always lie on
/// character boundaries.
fn ascii(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or_default()
}

/// Appends the digits of `groups` to `value`.
fn push_digits(value: &mut String, text: &str, groups: &[Group]) {
    for group in groups {
        value.push_str(ascii(text, group.start, group.end));
    }
}

fn digits_of(text: &str, groups: &[Group]) -> String {
    let mut value = String::with_capacity(digit_count(groups));
    push_digits(&mut value, text, groups);
    value
}

/// `A` and the digits, padded with zeros to nine.
fn a_number_value(text: &str, groups: &[Group]) -> String {
    let digits = digit_count(groups);
    let mut value = String::with_capacity(1 + digits.max(9));
    value.push('A');
    for _ in digits..9 {
        value.push('0');
    }
    push_digits(&mut value, text, groups);
    value
}

/// Area code and exchange both start with 2-9.
fn nanp_valid(national: &str) -> bool {
    let b = national.as_bytes();
    b.len() == 10 && (b'2'..=b'9').contains(&b[0]) && (b'2'..=b'9').contains(&b[3])
}
