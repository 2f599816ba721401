//! Plain-language meaning and next step for case status titles. (Filled in by the case-store work.)

/// What a status means and what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusGuide {
    /// One sentence: what the status means.
    pub meaning: &'static str,
    /// One sentence: what the person should do next.
    pub next_step: &'static str,
}

/// Looks up the guide for a status title (case-insensitive).
pub fn explain(status: &str) -> Option<StatusGuide> {
    let _ = status;
    None
}
