//! The one forms table: every form casebot knows and whether it is filed (and so can be a
//! case's form) or is a notice USCIS sends. Validation and extraction read it; what each
//! form is, in each language, is content (`[forms]` in intents/replies.toml), and
//! `casebot check` requires a description of every form listed here.

/// One form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    /// Canonical number, e.g. `I-130`.
    pub number: &'static str,
    /// True for forms people file; false for notices USCIS sends (I-797).
    pub filed: bool,
}

/// Letters a form number starts with.
pub const SERIES: [&str; 4] = ["I", "N", "G", "AR"];

/// Every known form, in series and number order.
pub const FORMS: &[Form] = &[
    Form {
        number: "AR-11",
        filed: true,
    },
    Form {
        number: "G-28",
        filed: true,
    },
    Form {
        number: "G-1145",
        filed: true,
    },
    Form {
        number: "I-90",
        filed: true,
    },
    Form {
        number: "I-129",
        filed: true,
    },
    Form {
        number: "I-129F",
        filed: true,
    },
    Form {
        number: "I-130",
        filed: true,
    },
    Form {
        number: "I-131",
        filed: true,
    },
    Form {
        number: "I-140",
        filed: true,
    },
    Form {
        number: "I-290B",
        filed: true,
    },
    Form {
        number: "I-360",
        filed: true,
    },
    Form {
        number: "I-485",
        filed: true,
    },
    Form {
        number: "I-526",
        filed: true,
    },
    Form {
        number: "I-526E",
        filed: true,
    },
    Form {
        number: "I-539",
        filed: true,
    },
    Form {
        number: "I-589",
        filed: true,
    },
    Form {
        number: "I-601",
        filed: true,
    },
    Form {
        number: "I-601A",
        filed: true,
    },
    Form {
        number: "I-693",
        filed: true,
    },
    Form {
        number: "I-730",
        filed: true,
    },
    Form {
        number: "I-751",
        filed: true,
    },
    Form {
        number: "I-765",
        filed: true,
    },
    Form {
        number: "I-797",
        filed: false,
    },
    Form {
        number: "I-797C",
        filed: false,
    },
    Form {
        number: "I-821",
        filed: true,
    },
    Form {
        number: "I-821D",
        filed: true,
    },
    Form {
        number: "I-824",
        filed: true,
    },
    Form {
        number: "I-829",
        filed: true,
    },
    Form {
        number: "I-864",
        filed: true,
    },
    Form {
        number: "I-865",
        filed: true,
    },
    Form {
        number: "I-907",
        filed: true,
    },
    Form {
        number: "I-912",
        filed: true,
    },
    Form {
        number: "I-914",
        filed: true,
    },
    Form {
        number: "I-918",
        filed: true,
    },
    Form {
        number: "I-929",
        filed: true,
    },
    Form {
        number: "N-336",
        filed: true,
    },
    Form {
        number: "N-400",
        filed: true,
    },
    Form {
        number: "N-565",
        filed: true,
    },
    Form {
        number: "N-600",
        filed: true,
    },
    Form {
        number: "N-648",
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
