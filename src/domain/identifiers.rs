//! The identifiers casebot recognizes: their kinds, the receipt-number prefixes and the
//! offices they stand for, and how a Social Security number is shown once masked.

/// What an SSN is replaced with, everywhere: as its entity value, in logs, in messages.
pub const SSN_MASK: &str = "***-**-****";

/// What kind of identifier something is. Serialized by its wire name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
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
    /// Every kind, in the order content errors list them.
    pub const ALL: [EntityKind; 7] = [
        EntityKind::ReceiptNumber,
        EntityKind::ANumber,
        EntityKind::AccountNumber,
        EntityKind::FormNumber,
        EntityKind::Phone,
        EntityKind::Email,
        EntityKind::Ssn,
    ];

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
        EntityKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
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
pub fn office_for(prefix: [u8; 3]) -> Option<&'static str> {
    OFFICES
        .iter()
        .find(|(p, _)| p.as_bytes() == prefix)
        .map(|&(_, office)| office)
}

/// The three letters a receipt number starts with.
pub fn receipt_prefix(receipt_number: &str) -> &str {
    &receipt_number[..receipt_number.floor_char_boundary(3)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in EntityKind::ALL {
            assert_eq!(EntityKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(EntityKind::from_name("shoe_size"), None);
    }
}
