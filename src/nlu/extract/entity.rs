//! What extraction finds: identifiers and the look-alikes that are not valid ones.

use crate::domain::identifiers::EntityKind;

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
    /// What is wrong with it (said to the person in their language, without echoing the
    /// raw value).
    pub problem: Problem,
}

/// What is wrong with a receipt-number look-alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Most of its ten digits are letters (O for 0).
    DigitsAreLetters,
    /// It has this many digits after the letters instead of 10.
    DigitCount(usize),
    /// A letter stands among the ten digits.
    StrayLetter,
    /// It starts with this many letters instead of 3.
    LetterCount(usize),
    /// Ten digits with no letters in front.
    NoLetters,
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
