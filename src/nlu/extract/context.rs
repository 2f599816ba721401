//! The words just before a bare number, which decide what it is: "account number
//! 1234 5678 9012" is an account number, the same digits alone are nothing.

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

/// Reads the words before byte offset `start`, nearest first; the first decisive word wins.
pub(super) fn before(bytes: &[u8], start: usize) -> Option<Context> {
    let floor = start.saturating_sub(MAX_BYTES);
    let mut i = start;
    // The word to the right of the current one.
    let mut right: &[u8] = b"";
    for _ in 0..MAX_WORDS {
        let gap_end = i;
        while i > floor && !bytes[i - 1].is_ascii_alphanumeric() {
            i -= 1;
        }
        let gap = &bytes[i..gap_end];
        if i == floor || gap.contains(&b'\n') {
            return None;
        }
        let end = i;
        while i > floor && bytes[i - 1].is_ascii_alphanumeric() {
            i -= 1;
        }
        let word = &bytes[i..end];
        if word.iter().any(u8::is_ascii_digit) {
            return None;
        }
        let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
        let right_is_number = gap.contains(&b'#')
            || ["number", "no", "num", "nr"]
                .iter()
                .any(|w| right.eq_ignore_ascii_case(w.as_bytes()));
        if is("account") || is("acct") || is("cuenta") {
            return Some(Context::Account);
        }
        if is("alien") || ((is("a") || is("uscis")) && right_is_number) {
            return Some(Context::ANumber);
        }
        if is("receipt") || is("case") {
            return Some(Context::Receipt);
        }
        if is("ssn") || is("social") || is("ss") {
            return Some(Context::Ssn);
        }
        if [
            "phone",
            "call",
            "tel",
            "telephone",
            "cell",
            "mobile",
            "fax",
            "text",
        ]
        .iter()
        .any(|w| is(w))
        {
            return Some(Context::Phone);
        }
        if ["zip", "tracking", "usps", "postal", "zipcode"]
            .iter()
            .any(|w| is(w))
        {
            return Some(Context::Other);
        }
        right = word;
    }
    None
}
