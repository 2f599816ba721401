//! The built-in actions an intent can name with `action = "…"`: each builds its reply from
//! live data (a case, the chat's subscriptions, the forms table) instead of a fixed text.
//!
//! Content names an action by string; loading turns it into an [`Action`] (an unknown name
//! is a located `check` error), and the dialog matches on the enum, so a new variant is a
//! compile error everywhere it must be handled.

/// Declares [`Action`] with its variants, their names in content files, and
/// [`Action::ALL`] from one list, so no variant can be missing from `ALL`.
macro_rules! actions {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// A built-in action.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Action {
            /// Every action, in the order the docs list them.
            pub const ALL: &[Action] = &[$(Action::$variant,)*];

            /// The name content files use.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }
        }
    };
}

actions! {
    /// The case's current status.
    CaseStatus => "case_status",
    /// The case's status history.
    CaseHistory => "case_history",
    /// When the case was last updated.
    CaseUpdated => "case_updated",
    /// What the case's status means and what to do next.
    CaseMeaning => "case_meaning",
    /// Which office a receipt number's prefix stands for.
    CaseOffice => "case_office",
    /// Follow a case: notify the chat when it changes.
    Subscribe => "subscribe",
    /// Stop following one case or all.
    Unsubscribe => "unsubscribe",
    /// List the cases the chat follows.
    Subscriptions => "subscriptions",
    /// What a form is for.
    FormInfo => "form_info",
}

/// Placeholders every action that reads a case fills.
const CASE_VARS: &[&str] = &[
    "receipt_number",
    "form",
    "status",
    "updated",
    "office",
    "meaning",
    "next_step",
    "history",
];

impl Action {
    /// The action named `name` in a content file.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The placeholders this action fills in an intent's responses.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            Action::CaseStatus
            | Action::CaseHistory
            | Action::CaseUpdated
            | Action::CaseMeaning
            | Action::Subscribe => CASE_VARS,
            Action::CaseOffice => &["receipt_number", "office", "prefix"],
            Action::Unsubscribe => &["receipt_number"],
            Action::Subscriptions => &["cases"],
            Action::FormInfo => &["form_number", "form"],
        }
    }

    /// True for the actions that read a case by receipt number.
    pub fn reads_case(self) -> bool {
        match self {
            Action::CaseStatus
            | Action::CaseHistory
            | Action::CaseUpdated
            | Action::CaseMeaning
            | Action::Subscribe => true,
            Action::CaseOffice | Action::Unsubscribe | Action::Subscriptions | Action::FormInfo => {
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for &action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(action));
        }
        assert_eq!(Action::from_name("launch_rocket"), None);
    }

    #[test]
    fn the_authoring_guide_lists_every_action() {
        let guide = include_str!("../../docs/authoring.md");
        for action in Action::ALL {
            assert!(
                guide.contains(&format!("`{}`", action.name())),
                "docs/authoring.md does not mention the action `{}`",
                action.name()
            );
        }
    }
}
