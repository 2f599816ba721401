//! The parameters of a paged listing, `?after=RECEIPT&limit=N`, read and checked: a bad
//! one is named with what is wrong, so the admin API can answer its usual JSON error.

use crate::store::check_receipt_number;

/// Records in a page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// Most records in one page; a larger `limit` is lowered to this.
pub const MAX_LIMIT: usize = 1000;

/// Where a page starts and how long it is.
#[derive(Debug, PartialEq, Eq)]
pub struct PageQuery {
    /// The page starts after this receipt number (from the first case when `None`).
    pub after: Option<String>,
    /// Most records in the page, 1 to [`MAX_LIMIT`].
    pub limit: usize,
}

/// A parameter that cannot be used: which one, and why, for a person.
#[derive(Debug, PartialEq, Eq)]
pub struct BadParameter {
    /// The parameter at fault.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl BadParameter {
    fn new(field: &str, reason: String) -> Self {
        BadParameter {
            field: field.to_string(),
            reason,
        }
    }
}

/// Reads `after` and `limit` from the decoded query pairs; any other parameter, a repeated
/// one, a malformed receipt number or a limit that is not a whole number of at least 1 is
/// refused. Unknown parameters are refused so a misspelt `afer` cannot silently restart a
/// listing from the first case.
pub fn parse(pairs: &[(String, String)]) -> Result<PageQuery, BadParameter> {
    let mut query = PageQuery {
        after: None,
        limit: DEFAULT_LIMIT,
    };
    let mut seen_limit = false;
    for (name, value) in pairs {
        match name.as_str() {
            "after" if query.after.is_some() => {
                return Err(BadParameter::new("after", "`after` is given twice".into()));
            }
            "after" => {
                check_receipt_number(value).map_err(|reason| {
                    BadParameter::new("after", reason.replacen("`receipt_number`", "`after`", 1))
                })?;
                query.after = Some(value.clone());
            }
            "limit" if seen_limit => {
                return Err(BadParameter::new("limit", "`limit` is given twice".into()));
            }
            "limit" => {
                seen_limit = true;
                // Digits only: a number too large for u64 is simply over the cap.
                let number = (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| value.parse::<u64>().unwrap_or(u64::MAX));
                query.limit = match number {
                    Some(0) | None => {
                        return Err(BadParameter::new(
                            "limit",
                            format!(
                                "`limit` {value:?} must be a whole number from 1 to {MAX_LIMIT}"
                            ),
                        ));
                    }
                    Some(n) => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
                };
            }
            other => {
                return Err(BadParameter::new(
                    other,
                    format!(
                        "unknown parameter `{}`; a listing takes `after` and `limit`",
                        other.chars().take(40).collect::<String>()
                    ),
                ));
            }
        }
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_a_capped_limit() {
        assert_eq!(
            parse(&[]),
            Ok(PageQuery {
                after: None,
                limit: DEFAULT_LIMIT
            })
        );
        let q = parse(&pairs(&[("after", "EAC2690000001"), ("limit", "5000")])).unwrap();
        assert_eq!(q.after.as_deref(), Some("EAC2690000001"));
        assert_eq!(q.limit, MAX_LIMIT);
        assert_eq!(
            parse(&pairs(&[("limit", "99999999999999999999")]))
                .unwrap()
                .limit,
            MAX_LIMIT
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        for (list, field) in [
            (&[("limit", "0")][..], "limit"),
            (&[("limit", "-1")][..], "limit"),
            (&[("limit", "ten")][..], "limit"),
            (&[("limit", "+5")][..], "limit"),
            (&[("limit", "")][..], "limit"),
            (&[("limit", "1"), ("limit", "2")][..], "limit"),
            (&[("after", "eac2690000001")][..], "after"),
            (&[("after", "")][..], "after"),
            (&[("afer", "EAC2690000001")][..], "afer"),
        ] {
            let e = parse(&pairs(list)).unwrap_err();
            assert_eq!(e.field, field, "{list:?}: {e:?}");
        }
        let e = parse(&pairs(&[("after", "eac2690000001")])).unwrap_err();
        assert!(
            e.reason.starts_with("`after`") && e.reason.contains("did you mean EAC2690000001?"),
            "{}",
            e.reason
        );
    }
}
