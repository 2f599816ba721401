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
mod fold;
mod lex;
mod parse;

pub(crate) use fold::{Folded, decimal_digit};

/// What kind of identifier an [`Entity`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    /// USCIS receipt number: three letters and ten digits.
    ReceiptNumber,
    /// Alien Registration Number: `A` and nine digits.
    ANumber,
    /// USCIS online account number: twelve digits.
    AccountNumber,
    /// A form name such as `I-485`.
    FormNumber,
    /// A telephone number.
    Phone,
    /// An e-mail address.
    Email,
    /// A U.S. Social Security number. Never echoed, logged or stored.
    Ssn,
}

impl EntityKind {
    /// The name used on the wire and in content files (`receipt_number`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::ReceiptNumber => "receipt_number",
            EntityKind::ANumber => "a_number",
            EntityKind::AccountNumber => "account_number",
            EntityKind::FormNumber => "form_number",
            EntityKind::Phone => "phone",
            EntityKind::Email => "email",
            EntityKind::Ssn => "ssn",
        }
    }

    /// Parses a wire/content name back into a kind.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "receipt_number" => EntityKind::ReceiptNumber,
            "a_number" => EntityKind::ANumber,
            "account_number" => EntityKind::AccountNumber,
            "form_number" => EntityKind::FormNumber,
            "phone" => EntityKind::Phone,
            "email" => EntityKind::Email,
            "ssn" => EntityKind::Ssn,
            _ => return None,
        })
    }
}

/// One identifier found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// What it is.
    pub kind: EntityKind,
    /// Canonical value (`EAC2190012345`, `A012345678`, `123456789012`, `I-485`,
    /// `+18003755283`, `name@example.org`). For SSNs this is the masked form.
    pub value: String,
    /// Byte offset of the first byte in the original text.
    pub start: usize,
    /// Byte offset one past the last byte in the original text.
    pub end: usize,
    /// For receipt numbers: the office the prefix stands for, `None` when not a known prefix.
    pub office: Option<&'static str>,
    /// True when the value was corrected from what was typed (O typed for 0, I for 1, ...).
    pub corrected: bool,
}

/// Something that looks like an identifier but is not a valid one, so the reply can say
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss {
    /// Byte offset of the first byte in the original text.
    pub start: usize,
    /// Byte offset one past the last byte in the original text.
    pub end: usize,
    /// A sentence for the user saying what is wrong, without echoing the raw value.
    pub problem: String,
}

/// Everything extracted from one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extraction {
    /// Valid identifiers, in order of appearance.
    pub entities: Vec<Entity>,
    /// Receipt-number look-alikes that are not valid, in order of appearance.
    pub near_misses: Vec<NearMiss>,
}

impl Extraction {
    /// The first entity of `kind`, if any.
    pub fn first(&self, kind: EntityKind) -> Option<&Entity> {
        self.entities.iter().find(|e| e.kind == kind)
    }
}

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

/// Receipt-number prefixes and the offices they stand for (facts §9.1).
const OFFICES: [(&str, &str); 20] = [
    ("EAC", "Vermont Service Center"),
    ("VSC", "Vermont Service Center"),
    ("WAC", "California Service Center"),
    ("CSC", "California Service Center"),
    ("LIN", "Nebraska Service Center"),
    ("NSC", "Nebraska Service Center"),
    ("SRC", "Texas Service Center"),
    ("TSC", "Texas Service Center"),
    ("MSC", "National Benefits Center"),
    ("NBC", "National Benefits Center"),
    ("YSC", "Potomac Service Center"),
    ("IOE", "USCIS Electronic Immigration System (ELIS)"),
    ("ZAR", "Arlington Asylum Office"),
    ("ZCH", "Chicago Asylum Office"),
    ("ZHN", "Houston Asylum Office"),
    ("ZLA", "Los Angeles Asylum Office"),
    ("ZMI", "Miami Asylum Office"),
    ("ZNK", "Newark Asylum Office"),
    ("ZNY", "New York Asylum Office"),
    ("ZSF", "San Francisco Asylum Office"),
];

/// Looks up the office a receipt prefix stands for (any letter case); `None` when the
/// prefix is not a known USCIS office.
pub fn office_for_prefix(prefix: &str) -> Option<&'static str> {
    let prefix: [u8; 3] = prefix.as_bytes().try_into().ok()?;
    office_for(prefix.map(|b| b.to_ascii_uppercase()))
}

/// The office an upper-case receipt prefix stands for.
fn office_for(prefix: [u8; 3]) -> Option<&'static str> {
    OFFICES
        .iter()
        .find(|(p, _)| p.as_bytes() == prefix)
        .map(|&(_, office)| office)
}
