//! The built-in actions an intent can name with `action = "…"`: each builds its reply from
//! live data (a case, the chat's subscriptions, the forms table) instead of a fixed text.
//!
//! Content names an action by string; loading turns it into an [`Action`] (an unknown name
//! is a located `check` error), and the dialog matches on the enum, so a new variant is a
//! compile error everywhere it must be handled.

/// A built-in action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The case's current status.
    CaseStatus,
    /// The case's status history.
    CaseHistory,
    /// When the case was last updated.
    CaseUpdated,
    /// What the case's status means and what to do next.
    CaseMeaning,
    /// Which office a receipt number's prefix stands for.
    CaseOffice,
    /// Follow a case: notify the chat when it changes.
    Subscribe,
    /// Stop following one case or all.
    Unsubscribe,
    /// List the cases the chat follows.
    Subscriptions,
    /// What a form is for.
    FormInfo,
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
    /// Every action, in the order the docs list them.
    pub const ALL: [Action; 9] = [
        Action::CaseStatus,
        Action::CaseHistory,
        Action::CaseUpdated,
        Action::CaseMeaning,
        Action::CaseOffice,
        Action::Subscribe,
        Action::Unsubscribe,
        Action::Subscriptions,
        Action::FormInfo,
    ];

    /// The name content files use.
    pub fn name(self) -> &'static str {
        match self {
            Action::CaseStatus => "case_status",
            Action::CaseHistory => "case_history",
            Action::CaseUpdated => "case_updated",
            Action::CaseMeaning => "case_meaning",
            Action::CaseOffice => "case_office",
            Action::Subscribe => "subscribe",
            Action::Unsubscribe => "unsubscribe",
            Action::Subscriptions => "subscriptions",
            Action::FormInfo => "form_info",
        }
    }

    /// The action named `name` in a content file.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
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
        for action in Action::ALL {
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
