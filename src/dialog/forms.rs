//! Names of common USCIS forms, for "what is form I-130?".

/// Form number → what it is for.
const FORMS: &[(&str, &str)] = &[
    (
        "AR-11",
        "Alien's Change of Address Card, used to report a new address within 10 days of moving",
    ),
    (
        "I-90",
        "Application to Replace Permanent Resident Card, to renew or replace a Green Card",
    ),
    (
        "I-129",
        "Petition for a Nonimmigrant Worker (for example H-1B, L-1 or O-1)",
    ),
    ("I-129F", "Petition for Alien Fiancé(e) (K-1)"),
    (
        "I-130",
        "Petition for Alien Relative, the family-based petition",
    ),
    (
        "I-131",
        "Application for Travel Document (advance parole, re-entry permit or refugee travel document)",
    ),
    (
        "I-140",
        "Immigrant Petition for Alien Workers, the employment-based petition",
    ),
    ("I-290B", "Notice of Appeal or Motion"),
    (
        "I-360",
        "Petition for Amerasian, Widow(er), or Special Immigrant",
    ),
    (
        "I-485",
        "Application to Register Permanent Residence or Adjust Status, for a Green Card from inside the U.S.",
    ),
    ("I-526", "Immigrant Petition by Alien Investor (EB-5)"),
    (
        "I-526E",
        "Immigrant Petition by Regional Center Investor (EB-5)",
    ),
    ("I-539", "Application to Extend/Change Nonimmigrant Status"),
    (
        "I-589",
        "Application for Asylum and for Withholding of Removal",
    ),
    (
        "I-601",
        "Application for Waiver of Grounds of Inadmissibility",
    ),
    (
        "I-601A",
        "Application for Provisional Unlawful Presence Waiver",
    ),
    ("I-730", "Refugee/Asylee Relative Petition"),
    (
        "I-751",
        "Petition to Remove Conditions on Residence, for a two-year conditional Green Card through marriage",
    ),
    (
        "I-765",
        "Application for Employment Authorization (a work permit, including OPT)",
    ),
    (
        "I-797",
        "Notice of Action: a notice USCIS sends (receipt, approval or appointment), not a form you file",
    ),
    (
        "I-797C",
        "Notice of Action: a notice USCIS sends (receipt, approval or appointment), not a form you file",
    ),
    ("I-821", "Application for Temporary Protected Status (TPS)"),
    (
        "I-821D",
        "Consideration of Deferred Action for Childhood Arrivals (DACA)",
    ),
    (
        "I-824",
        "Application for Action on an Approved Application or Petition",
    ),
    (
        "I-829",
        "Petition by Investor to Remove Conditions on Permanent Resident Status",
    ),
    ("I-912", "Request for Fee Waiver"),
    ("I-914", "Application for T Nonimmigrant Status"),
    ("I-918", "Petition for U Nonimmigrant Status"),
    (
        "I-929",
        "Petition for Qualifying Family Member of a U-1 Nonimmigrant",
    ),
    (
        "N-336",
        "Request for a Hearing on a Decision in Naturalization Proceedings",
    ),
    ("N-400", "Application for Naturalization (U.S. citizenship)"),
    (
        "N-565",
        "Application for Replacement Naturalization/Citizenship Document",
    ),
    ("N-600", "Application for Certificate of Citizenship"),
    ("N-648", "Medical Certification for Disability Exceptions"),
];

/// What the form `number` (canonical, e.g. `I-130`) is, when known.
pub fn describe(number: &str) -> Option<&'static str> {
    FORMS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(number))
        .map(|(_, d)| *d)
}
