//! The replies catalog: every sentence casebot says that is not an intent's or an
//! article's answer (greetings, fallbacks, questions, case replies, the names of
//! identifiers, what each case status means, what each form is), one per language, in
//! `intents/replies.toml` and `intents/es/replies.toml`.
//!
//! The Rust code keeps the logic and the `{placeholders}`; the wording lives here, where
//! authors and translators can reach it. `casebot check` names a sentence that is missing,
//! unknown or uses a placeholder casebot does not fill.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::domain::Link;
use crate::nlu::extract::EntityKind;

/// Declares the `[replies]` table: each sentence's key, the placeholders casebot fills in
/// it, and what it is for. Generates the struct, an accessor per sentence and the list
/// [`Replies::sentences`] that `casebot check` walks.
macro_rules! replies {
    ($( $(#[doc = $doc:literal])* $name:ident [$($var:literal),*] ),* $(,)?) => {
        /// The `[replies]` table of one language.
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Replies {
            $( $(#[doc = $doc])* pub $name: Spanned<String>, )*
            /// The starter menu, offered with the greeting and when nothing closer can be
            /// suggested.
            pub starter_menu: Vec<Spanned<String>>,
            /// The link offered with form answers.
            pub forms_link: Link,
        }

        impl Replies {
            $( $(#[doc = $doc])* pub fn $name(&self) -> &str { self.$name.get_ref() } )*

            /// The starter menu's buttons.
            pub fn starters(&self) -> Vec<String> {
                self.starter_menu.iter().map(|q| q.get_ref().clone()).collect()
            }

            /// Every sentence with its key and the placeholders casebot fills in it.
            pub fn sentences(&self) -> Vec<(&'static str, &Spanned<String>, &'static [&'static str])> {
                vec![$( (stringify!($name), &self.$name, &[$($var),*]) ),*]
            }
        }
    };
}

replies! {
    /// The greeting a new chat starts with.
    greeting [],
    /// The greeting of a chat resumed after a reconnection.
    welcome_back [],
    /// The fallback when nothing comes close.
    fallback [],
    /// The fallback above "did you mean" suggestions.
    fallback_with_suggestions [],
    /// A topic another organization handles, when nothing close can be suggested.
    elsewhere ["topic"],
    /// A topic another organization handles, above suggestions.
    elsewhere_with_suggestions ["topic"],
    /// The answer to a message holding a Social Security number.
    privacy_warning [],
    /// The quick reply offered with the privacy warning.
    check_status [],
    /// The quick reply offered when no case was found.
    talk_to_a_person [],
    /// The answer to asking for a person while a live agent is online: the chat waits in line.
    handoff_queued [],
    /// Before the contact center's numbers, when a chat waited in line and no agent took it.
    handoff_none_free [],
    /// The quick reply offered when the chat follows no case.
    notify_me [],
    /// Asking for a slot the intent declares no question for.
    ask_for_entity ["entity"],
    /// The per-chat or per-address look-up limit was reached.
    lookups_paused [],
    /// The case store cannot be reached.
    store_unavailable [],
    /// Letters read as digits in the receipt number looked up.
    read_letters_as_digits ["receipt_number"],
    /// Before the explanation of a second, mistyped number.
    about_the_other_number ["problem"],
    /// More receipt numbers in one message than are answered.
    too_many_receipts ["answered", "left"],
    /// No case has this receipt number.
    not_found ["receipt_number"],
    /// Added to `not_found` when the prefix is unknown.
    not_found_unknown_prefix ["prefix"],
    /// Added to `not_found` when letters were read as digits.
    not_found_corrected [],
    /// After what is wrong with a mistyped receipt number.
    retype ["problem"],
    /// An A-number given where a receipt number is needed.
    a_number_is_not_a_receipt [],
    /// An online account number given where a receipt number is needed.
    account_number_is_not_a_receipt [],
    /// A receipt prefix with no known office, where `{office}` would go.
    unknown_prefix_office ["prefix"],
    /// A prefix that is not a known office, asked about directly.
    unknown_prefix ["prefix"],
    /// A status with no plain-language explanation, where `{meaning}` would go.
    no_status_meaning [],
    /// The chat follows no case, asked to stop following.
    not_following_to_stop [],
    /// The chat follows no case, asked which.
    not_following [],
    /// A form the forms table does not describe.
    unknown_form ["form_number"],
    /// A followed case changed.
    notification ["form", "receipt_number", "status", "updated"],
    /// A receipt number whose digits are mostly letters.
    near_miss_digits_are_letters [],
    /// A receipt number with the wrong number of digits.
    near_miss_digit_count ["total"],
    /// A receipt number with a letter among its digits.
    near_miss_stray_letter [],
    /// A number with the wrong number of letters in front.
    near_miss_letter_count ["letters"],
    /// Ten digits given as a receipt number, without the letters.
    near_miss_no_letters [],
}

/// How each kind of identifier is named in a question (`[entity_names]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityNames {
    /// A receipt number.
    pub receipt_number: String,
    /// An A-number.
    pub a_number: String,
    /// An online account number.
    pub account_number: String,
    /// A form number.
    pub form_number: String,
    /// A phone number.
    pub phone: String,
    /// An e-mail address.
    pub email: String,
    /// A Social Security number.
    pub ssn: String,
}

impl EntityNames {
    /// The name of `kind`.
    pub fn of(&self, kind: EntityKind) -> &str {
        match kind {
            EntityKind::ReceiptNumber => &self.receipt_number,
            EntityKind::ANumber => &self.a_number,
            EntityKind::AccountNumber => &self.account_number,
            EntityKind::FormNumber => &self.form_number,
            EntityKind::Phone => &self.phone,
            EntityKind::Email => &self.email,
            EntityKind::Ssn => &self.ssn,
        }
    }
}

/// How a language writes a date (`[dates]`): a template over `{day}`, `{month}` (its name)
/// and `{year}`, and the names of the months. Without it dates are written as stored
/// (`2026-09-14`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateFormat {
    /// For example `"{day} de {month} de {year}"`.
    pub format: Spanned<String>,
    /// January to December.
    pub months: Vec<Spanned<String>>,
}

/// A `[[status]]` table: case status titles (as USCIS writes them, in English) that mean
/// the same, what they mean and what to do next.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusDef {
    /// The titles, matched whatever their letter case, apostrophes and spacing.
    pub titles: Vec<Spanned<String>>,
    /// One sentence: what the status means.
    pub meaning: Spanned<String>,
    /// One sentence: what the person should do next.
    pub next_step: Spanned<String>,
}

/// What a status means and what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusGuide<'a> {
    /// What the status means.
    pub meaning: &'a str,
    /// What the person should do next.
    pub next_step: &'a str,
}

/// The catalog tables of one language, as read from its files.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// `[replies]` and the file it came from.
    pub replies: Option<(Replies, PathBuf)>,
    /// `[entity_names]` and the file it came from.
    pub entity_names: Option<(EntityNames, PathBuf)>,
    /// `[dates]` and the file it came from.
    pub dates: Option<(DateFormat, PathBuf)>,
    /// `[[status]]` tables and their files.
    pub statuses: Vec<(StatusDef, PathBuf)>,
    /// `[forms]`: form number → what it is, and the file.
    pub forms: BTreeMap<String, (Spanned<String>, PathBuf)>,
    /// Status key (see [`status_key`]) → index in `statuses`.
    by_title: HashMap<String, usize>,
}

/// The catalog tables a content file may hold.
#[derive(Debug, Default)]
pub(super) struct CatalogTables {
    pub replies: Option<Replies>,
    pub entity_names: Option<EntityNames>,
    pub dates: Option<DateFormat>,
    pub status: Vec<StatusDef>,
    pub forms: BTreeMap<String, Spanned<String>>,
}

impl Catalog {
    /// Adds the tables of one file; returns the keys that were already given elsewhere,
    /// with where (for `check`).
    pub(super) fn add(&mut self, tables: CatalogTables, path: &std::path::Path) -> Vec<String> {
        let mut twice = Vec::new();
        keep_once(
            &mut self.replies,
            tables.replies,
            path,
            "[replies]",
            &mut twice,
        );
        keep_once(
            &mut self.entity_names,
            tables.entity_names,
            path,
            "[entity_names]",
            &mut twice,
        );
        keep_once(&mut self.dates, tables.dates, path, "[dates]", &mut twice);
        for status in tables.status {
            let index = self.statuses.len();
            for title in &status.titles {
                let key = status_key(title.get_ref());
                if self.by_title.insert(key, index).is_some() {
                    twice.push(format!(
                        "the status title \"{}\" is explained twice",
                        title.get_ref()
                    ));
                }
            }
            self.statuses.push((status, path.to_path_buf()));
        }
        for (number, title) in tables.forms {
            if self.forms.contains_key(&number) {
                twice.push(format!("form {number} is described twice"));
            }
            self.forms.insert(number, (title, path.to_path_buf()));
        }
        twice
    }

    /// The `[replies]` table. Content that loaded has one.
    pub fn replies(&self) -> &Replies {
        &self
            .replies
            .as_ref()
            .expect("content without [replies] does not load")
            .0
    }

    /// The name of an identifier kind. Content that loaded has them.
    pub fn entity_name(&self, kind: EntityKind) -> &str {
        self.entity_names
            .as_ref()
            .expect("content without [entity_names] does not load")
            .0
            .of(kind)
    }

    /// A stored date (`YYYY-MM-DD`) as this language writes it; as stored when the
    /// catalog has no `[dates]` or the date is not in that form.
    pub fn date(&self, iso: &str) -> String {
        let Some((dates, _)) = &self.dates else {
            return iso.to_string();
        };
        let mut parts = iso.splitn(3, '-');
        let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next())
        else {
            return iso.to_string();
        };
        let (Ok(m), Ok(d)) = (month.parse::<usize>(), day.parse::<u32>()) else {
            return iso.to_string();
        };
        let Some(name) = m.checked_sub(1).and_then(|i| dates.months.get(i)) else {
            return iso.to_string();
        };
        dates
            .format
            .get_ref()
            .replace("{day}", &d.to_string())
            .replace("{month}", name.get_ref())
            .replace("{year}", year)
    }

    /// What a status title means and what to do next, when the catalog explains it.
    pub fn status(&self, title: &str) -> Option<StatusGuide<'_>> {
        let (def, _) = &self.statuses[*self.by_title.get(&status_key(title))?];
        Some(StatusGuide {
            meaning: def.meaning.get_ref(),
            next_step: def.next_step.get_ref(),
        })
    }

    /// What a form is, as a phrase that reads after "Form I-130 is the …".
    pub fn form_title(&self, number: &str) -> Option<&str> {
        self.forms
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(number))
            .map(|(_, (title, _))| title.get_ref().as_str())
    }

    /// Every status title the catalog explains, by key.
    pub fn status_keys(&self) -> impl Iterator<Item = &str> {
        self.by_title.keys().map(String::as_str)
    }
}

/// Keeps the first file's copy of a table that belongs in one file only; a second copy is
/// reported in `twice`.
fn keep_once<T>(
    slot: &mut Option<(T, PathBuf)>,
    table: Option<T>,
    path: &std::path::Path,
    name: &str,
    twice: &mut Vec<String>,
) {
    let Some(table) = table else { return };
    match slot {
        Some((_, other)) => twice.push(format!(
            "{name} is also given in {}; keep one",
            other.display()
        )),
        None => *slot = Some((table, path.to_path_buf())),
    }
}

/// A status title as compared: lower case, apostrophes dropped, whitespace collapsed, no
/// final period.
pub fn status_key(status: &str) -> String {
    let cleaned: String = status
        .chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`'))
        .flat_map(char::to_lowercase)
        .collect();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nlu::{Lang, Nlu};

    fn catalog(lang: Lang) -> &'static Catalog {
        Nlu::shipped().get(lang).catalog()
    }

    #[test]
    fn titles_are_found_whatever_their_case_or_apostrophes() {
        for lang in Lang::ALL {
            let c = catalog(lang);
            let rfe = c
                .status("Response To USCIS' Request For Evidence Was Received")
                .expect("known");
            assert_eq!(
                c.status("response to uscis’ request for evidence was received"),
                Some(rfe)
            );
            assert!(
                c.status("  Case   is Ready to Be Scheduled for An Interview. ")
                    .is_some()
            );
            assert_eq!(c.status("Case Was Teleported"), None);
            assert_eq!(c.status(""), None);
        }
    }

    #[test]
    fn every_demo_status_and_form_is_explained_in_every_language() {
        let demo = include_str!("../../../data/demo-cases.jsonl");
        for lang in Lang::ALL {
            let c = catalog(lang);
            assert_eq!(Nlu::shipped().get(lang).lang, lang, "{lang} content ships");
            for line in demo.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                for entry in v["history"].as_array().unwrap() {
                    let status = entry["status"].as_str().unwrap();
                    assert!(
                        c.status(status).is_some(),
                        "{lang}: no guide for {status:?}"
                    );
                }
                let form = v["form"].as_str().unwrap();
                assert!(c.form_title(form).is_some(), "{lang}: no title for {form}");
            }
        }
    }

    #[test]
    fn dates_are_written_the_way_each_language_writes_them() {
        assert_eq!(catalog(Lang::En).date("2026-09-14"), "2026-09-14");
        assert_eq!(
            catalog(Lang::Es).date("2026-09-14"),
            "14 de septiembre de 2026"
        );
        assert_eq!(catalog(Lang::Es).date("2026-01-02"), "2 de enero de 2026");
        for odd in ["", "2026-13-01", "2026-00-10", "yesterday", "2026-09"] {
            assert_eq!(
                catalog(Lang::Es).date(odd),
                odd,
                "{odd:?} is left as stored"
            );
        }
    }

    #[test]
    fn the_spanish_catalog_says_its_own_sentences() {
        let (en, es) = (catalog(Lang::En).replies(), catalog(Lang::Es).replies());
        for ((key, english, _), (_, spanish, _)) in en.sentences().into_iter().zip(es.sentences()) {
            assert_ne!(
                english.get_ref(),
                spanish.get_ref(),
                "`{key}` is not translated"
            );
        }
        assert_eq!(
            catalog(Lang::Es).status("Case Was Approved"),
            catalog(Lang::Es).status("case was approved")
        );
        assert_ne!(
            catalog(Lang::Es).status("Case Was Approved"),
            catalog(Lang::En).status("Case Was Approved")
        );
    }
}
