//! E-mail addresses, found around each `@`.

use super::{Entity, EntityKind};

fn local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// Every e-mail address in `text`, in order. Allocates nothing when there is no `@`.
pub(super) fn find(text: &str) -> Vec<Entity> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut floor = 0;
    let mut from = 0;
    while let Some(offset) = text[from..].find('@') {
        let at = from + offset;
        from = at + 1;
        if let Some(entity) = parse(bytes, at, floor) {
            floor = entity.end;
            from = entity.end;
            found.push(entity);
        }
    }
    found
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
    // Both halves are ASCII, checked above.
    let local = std::str::from_utf8(&bytes[start..at]).ok()?;
    let domain = std::str::from_utf8(domain).ok()?;
    let mut value = String::with_capacity(end - start);
    value.push_str(local);
    value.push('@');
    value.extend(domain.chars().map(|c| c.to_ascii_lowercase()));
    Some(Entity {
        kind: EntityKind::Email,
        value,
        start,
        end,
        office: None,
        corrected: false,
    })
}
