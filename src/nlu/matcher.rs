//! The compiled matcher. (Filled in by the matcher work.)

use super::content::Content;
use super::extract::Extraction;

/// What a candidate points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Index into `Content::intents`.
    Intent(usize),
    /// Index into `Content::articles`.
    Article(usize),
}

/// A candidate answer with its confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The intent or article.
    pub target: Target,
    /// Confidence in [0, 1].
    pub score: f32,
}

/// Index over all intents and articles of one content version.
pub struct Matcher {}

impl Matcher {
    /// Compiles the index.
    pub fn build(content: &Content) -> Matcher {
        let _ = content;
        Matcher {}
    }

    /// Ranks intents and articles for a message, best first.
    pub fn rank(&self, text: &str, extraction: &Extraction) -> Vec<Scored> {
        let _ = (text, extraction);
        Vec::new()
    }
}
