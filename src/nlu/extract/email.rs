//! E-mail addresses, found around each `@`, internationalized ones included: letters,
//! digits and combining marks of any script may make up the local part and the domain.

use unicode_normalization::char::is_combining_mark;

use super::entity::Entity;
use crate::domain::identifiers::EntityKind;

fn local_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
    } else {
        c.is_alphanumeric() || is_combining_mark(c)
    }
}

fn domain_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
    } else {
        c.is_alphanumeric() || is_combining_mark(c)
    }
}

/// The e-mail addresses in a text, in order, each parsed only when the scanner reaches it.
pub(super) struct Emails<'a> {
    text: &'a str,
    /// Where the search for the next `@` goes on.
    from: usize,
    /// The end of the last address found: the next one starts at or after it.
    floor: usize,
}

impl<'a> Emails<'a> {
    /// The addresses in `text`, whose first `@` is at or after `first_at`.
    pub(super) fn new(text: &'a str, first_at: usize) -> Self {
        Emails {
            text,
            from: first_at,
            floor: 0,
        }
    }
}

impl Iterator for Emails<'_> {
    type Item = Entity;

    fn next(&mut self) -> Option<Entity> {
        let bytes = self.text.as_bytes();
        while self.from < bytes.len() {
            let Some(offset) = memchr::memchr(b'@', &bytes[self.from..]) else {
                break;
            };
            let at = self.from + offset;
            self.from = at + 1;
            if let Some(entity) = parse(self.text, at, self.floor) {
                self.floor = entity.end;
                self.from = entity.end;
                return Some(entity);
            }
        }
        self.from = self.text.len();
        None
    }
}

fn parse(text: &str, at: usize, floor: usize) -> Option<Entity> {
    let bytes = text.as_bytes();
    // `floor` and `at` are character boundaries (an entity's end, an `@`), and so is every
    // step below, which moves by whole characters.
    let mut start = at;
    while start > floor {
        match text[..start].chars().next_back() {
            Some(c) if local_char(c) => start -= c.len_utf8(),
            _ => break,
        }
    }
    while start < at && matches!(bytes[start], b'.' | b'-' | b'+') {
        start += 1;
    }
    if start == at || bytes[at - 1] == b'.' {
        return None;
    }
    let mut end = at + 1;
    while let Some(c) = text[end..].chars().next().filter(|&c| domain_char(c)) {
        end += c.len_utf8();
    }
    while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let domain = &text[at + 1..end];
    let mut labels = domain.split('.');
    let tld = domain.rsplit('.').next()?;
    let valid = domain.contains('.')
        && labels.all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && ((tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
            || tld.starts_with("xn--"));
    if !valid {
        return None;
    }
    let mut value = String::with_capacity(end - start);
    value.push_str(&text[start..at]);
    value.push('@');
    if domain.is_ascii() {
        value.extend(domain.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        value.push_str(&domain.to_lowercase());
    }
    Some(Entity {
        kind: EntityKind::Email,
        value,
        start,
        end,
        office: None,
        corrected: false,
    })
}
