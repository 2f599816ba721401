//! E-mail addresses, found around each `@`.

use super::{Entity, EntityKind};

fn local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
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
            if let Some(entity) = parse(bytes, at, self.floor) {
                self.floor = entity.end;
                self.from = entity.end;
                return Some(entity);
            }
        }
        self.from = self.text.len();
        None
    }
}

fn parse(bytes: &[u8], at: usize, floor: usize) -> Option<Entity> {
    let mut start = at;
    while start > floor && local_byte(bytes[start - 1]) {
        start -= 1;
    }
    while start < at && matches!(bytes[start], b'.' | b'-' | b'+') {
        start += 1;
    }
    if start == at || bytes[at - 1] == b'.' {
        return None;
    }
    let mut end = at + 1;
    while end < bytes.len() && domain_byte(bytes[end]) {
        end += 1;
    }
    while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let domain = &bytes[at + 1..end];
    let mut labels = domain.split(|&b| b == b'.');
    let tld = domain.rsplit(|&b| b == b'.').next()?;
    let valid = domain.contains(&b'.')
        && labels.all(|l| !l.is_empty() && l[0] != b'-' && l[l.len() - 1] != b'-')
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_alphabetic);
    if !valid {
        return None;
    }
    let mut value = Vec::with_capacity(end - start);
    value.extend_from_slice(&bytes[start..at]);
    value.push(b'@');
    value.extend(domain.iter().map(u8::to_ascii_lowercase));
    // Both halves are ASCII by construction, so this never fails.
    let value = String::from_utf8(value).ok()?;
    Some(Entity {
        kind: EntityKind::Email,
        value,
        start,
        end,
        office: None,
        corrected: false,
    })
}
