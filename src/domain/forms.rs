//! The one forms table: every form casebot knows, what it is for, and whether it is filed
//! (and so can be a case's form) or is a notice USCIS sends. Validation, extraction and
//! answers all read it.

/// One form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    /// Canonical number, e.g. `I-130`.
    pub number: &'static str,
    /// What it is, as a phrase that reads after "Form I-130 is the …".
    pub title: &'static str,
    /// True for forms people file; false for notices USCIS sends (I-797).
    pub filed: bool,
}

/// Letters a form number starts with.
pub const SERIES: [&str; 4] = ["I", "N", "G", "AR"];

/// Every known form, in series and number order.
pub const FORMS: &[Form] = &[
    Form {
        number: "AR-11",
        title: "Alien's Change of Address Card, used to report a new address within 10 days of moving",
        filed: true,
    },
    Form {
        number: "G-28",
        title: "Notice of Entry of Appearance as Attorney or Accredited Representative",
        filed: true,
    },
    Form {
        number: "G-1145",
        title: "e-Notification of Application/Petition Acceptance, for a text or email when a paper filing is accepted",
        filed: true,
    },
    Form {
        number: "I-90",
        title: "Application to Replace Permanent Resident Card, to renew or replace a Green Card",
        filed: true,
    },
    Form {
        number: "I-129",
        title: "Petition for a Nonimmigrant Worker (for example H-1B, L-1 or O-1)",
        filed: true,
    },
    Form {
        number: "I-129F",
        title: "Petition for Alien Fiancé(e) (K-1)",
        filed: true,
    },
    Form {
        number: "I-130",
        title: "Petition for Alien Relative, the family-based petition",
        filed: true,
    },
    Form {
        number: "I-131",
        title: "Application for Travel Document (advance parole, re-entry permit or refugee travel document)",
        filed: true,
    },
    Form {
        number: "I-140",
        title: "Immigrant Petition for Alien Workers, the employment-based petition",
        filed: true,
    },
    Form {
        number: "I-290B",
        title: "Notice of Appeal or Motion",
        filed: true,
    },
    Form {
        number: "I-360",
        title: "Petition for Amerasian, Widow(er), or Special Immigrant",
        filed: true,
    },
    Form {
        number: "I-485",
        title: "Application to Register Permanent Residence or Adjust Status, for a Green Card from inside the U.S.",
        filed: true,
    },
    Form {
        number: "I-526",
        title: "Immigrant Petition by Alien Investor (EB-5)",
        filed: true,
    },
    Form {
        number: "I-526E",
        title: "Immigrant Petition by Regional Center Investor (EB-5)",
        filed: true,
    },
    Form {
        number: "I-539",
        title: "Application to Extend/Change Nonimmigrant Status",
        filed: true,
    },
    Form {
        number: "I-589",
        title: "Application for Asylum and for Withholding of Removal",
        filed: true,
    },
    Form {
        number: "I-601",
        title: "Application for Waiver of Grounds of Inadmissibility",
        filed: true,
    },
    Form {
        number: "I-601A",
        title: "Application for Provisional Unlawful Presence Waiver",
        filed: true,
    },
    Form {
        number: "I-693",
        title: "Report of Immigration Medical Examination and Vaccination Record",
        filed: true,
    },
    Form {
        number: "I-730",
        title: "Refugee/Asylee Relative Petition",
        filed: true,
    },
    Form {
        number: "I-751",
        title: "Petition to Remove Conditions on Residence, for a two-year conditional Green Card through marriage",
        filed: true,
    },
    Form {
        number: "I-765",
        title: "Application for Employment Authorization (a work permit, including OPT)",
        filed: true,
    },
    Form {
        number: "I-797",
        title: "Notice of Action: a notice USCIS sends (receipt, approval or appointment), not a form you file",
        filed: false,
    },
    Form {
        number: "I-797C",
        title: "Notice of Action: a notice USCIS sends (receipt, approval or appointment), not a form you file",
        filed: false,
    },
    Form {
        number: "I-821",
        title: "Application for Temporary Protected Status (TPS)",
        filed: true,
    },
    Form {
        number: "I-821D",
        title: "Consideration of Deferred Action for Childhood Arrivals (DACA)",
        filed: true,
    },
    Form {
        number: "I-824",
        title: "Application for Action on an Approved Application or Petition",
        filed: true,
    },
    Form {
        number: "I-829",
        title: "Petition by Investor to Remove Conditions on Permanent Resident Status",
        filed: true,
    },
    Form {
        number: "I-864",
        title: "the Affidavit of Support a sponsor files",
        filed: true,
    },
    Form {
        number: "I-865",
        title: "Sponsor's Notice of Change of Address, which an I-864 sponsor files within 30 days of moving",
        filed: true,
    },
    Form {
        number: "I-907",
        title: "Request for Premium Processing Service",
        filed: true,
    },
    Form {
        number: "I-912",
        title: "Request for Fee Waiver",
        filed: true,
    },
    Form {
        number: "I-914",
        title: "Application for T Nonimmigrant Status",
        filed: true,
    },
    Form {
        number: "I-918",
        title: "Petition for U Nonimmigrant Status",
        filed: true,
    },
    Form {
        number: "I-929",
        title: "Petition for Qualifying Family Member of a U-1 Nonimmigrant",
        filed: true,
    },
    Form {
        number: "N-336",
        title: "Request for a Hearing on a Decision in Naturalization Proceedings",
        filed: true,
    },
    Form {
        number: "N-400",
        title: "Application for Naturalization (U.S. citizenship)",
        filed: true,
    },
    Form {
        number: "N-565",
        title: "Application for Replacement Naturalization/Citizenship Document",
        filed: true,
    },
    Form {
        number: "N-600",
        title: "Application for Certificate of Citizenship",
        filed: true,
    },
    Form {
        number: "N-648",
        title: "Medical Certification for Disability Exceptions",
        filed: true,
    },
];

/// The form with canonical number `number` (any letter case), when known.
pub fn find(number: &str) -> Option<&'static Form> {
    FORMS.iter().find(|f| f.number.eq_ignore_ascii_case(number))
}

/// The numbers of the forms a case can be filed on.
pub fn filed_numbers() -> impl Iterator<Item = &'static str> {
    FORMS.iter().filter(|f| f.filed).map(|f| f.number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_canonical_unique_and_of_a_known_series() {
        for (i, form) in FORMS.iter().enumerate() {
            let (series, number) = form.number.split_once('-').expect("a dash");
            assert!(SERIES.contains(&series), "{}", form.number);
            assert!(
                number.starts_with(|c: char| c.is_ascii_digit()),
                "{}",
                form.number
            );
            assert!(!form.title.is_empty(), "{}", form.number);
            assert!(
                FORMS[i + 1..].iter().all(|f| f.number != form.number),
                "{} is listed twice",
                form.number
            );
        }
    }

    #[test]
    fn notices_are_known_but_not_filed() {
        assert!(find("i-797c").is_some_and(|f| !f.filed));
        assert!(find("I-130").is_some_and(|f| f.filed));
        assert!(filed_numbers().all(|n| n != "I-797"));
    }
}
