//! Natural-language understanding: everything between the text a person typed and the
//! ranked list of intents and articles that could answer it. Pure, synchronous code with no
//! I/O on the hot path, so it is easy to benchmark, fuzz and property-test.
//!
//! * [`normalize`]: case folding, contractions, synonyms, typo tolerance, stemming.
//! * [`extract`]: identifiers (receipt numbers, A-numbers, ...).
//! * [`mask`]: masking identifiers before they leave the process.
//! * [`content`]: the intent and knowledge file formats, loading and checking.
//! * [`matcher`]: the compiled index that ranks intents and articles for a message.
//! * [`elsewhere`]: recognizes messages about things other organizations handle.

pub mod action;
pub mod content;
pub mod elsewhere;
pub mod extract;
pub mod fxhash;
pub mod mask;
pub mod matcher;
pub mod normalize;
pub mod reranker;

use std::path::Path;

pub use content::{Content, Diagnostic, Severity};
pub use matcher::{Matcher, Ranking, Scored, Target};

use extract::Extraction;

/// The compiled content of one version of intents/ and knowledge/: what the server swaps
/// atomically on reload.
pub struct Nlu {
    /// The parsed content files.
    pub content: Content,
    /// The index compiled from them.
    pub matcher: Matcher,
}

/// What the NLU made of one message.
#[derive(Debug, Clone)]
pub struct Parse {
    /// Identifiers found in the message.
    pub extraction: Extraction,
    /// Intents and articles that could answer, best first, with confidences in [0, 1].
    pub candidates: Vec<Scored>,
    /// What the message asks about instead, when it names something other organizations
    /// handle and nothing ties it to USCIS (see [`elsewhere`]).
    pub elsewhere: Option<String>,
}

impl Nlu {
    /// The content shipped in the repository, loaded once: for unit tests.
    #[cfg(test)]
    pub(crate) fn shipped() -> &'static Nlu {
        static NLU: std::sync::OnceLock<Nlu> = std::sync::OnceLock::new();
        NLU.get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            Nlu::load(&root.join("intents"), &root.join("knowledge"))
                .expect("the shipped content loads")
                .0
        })
    }

    /// Loads and compiles the content folders. Errors are returned as diagnostics with
    /// `path:line:col`; warnings do not stop loading.
    pub fn load(
        intents: &Path,
        knowledge: &Path,
    ) -> Result<(Nlu, Vec<Diagnostic>), Vec<Diagnostic>> {
        let (content, warnings) = Content::load(intents, knowledge)?;
        Ok((Nlu::compile(content), warnings))
    }

    /// Compiles already-parsed content.
    pub fn compile(content: Content) -> Nlu {
        let matcher = Matcher::build(&content);
        Nlu { content, matcher }
    }

    /// The id of an intent or article.
    pub fn target_id(&self, target: Target) -> &str {
        match target {
            Target::Intent(i) => self.content.intents[i].def.id.get_ref(),
            Target::Article(i) => self.content.articles[i].meta.id.get_ref(),
        }
    }

    /// Index of the intent with this id.
    pub fn intent_index(&self, id: &str) -> Option<usize> {
        self.content
            .intents
            .iter()
            .position(|i| i.def.id.get_ref() == id)
    }

    /// Understands one message; `previous` is the intent that answered the message before.
    pub fn parse(&self, text: &str, previous: Option<&str>) -> Parse {
        let extraction = extract::extract(text);
        let ranking = self.matcher.rank(text, &extraction, previous);
        Parse {
            extraction,
            candidates: ranking.candidates,
            elsewhere: ranking.elsewhere,
        }
    }
}
