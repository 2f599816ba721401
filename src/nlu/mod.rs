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
pub mod calibrate;
pub mod classifier;
pub mod content;
pub mod elsewhere;
pub mod extract;
pub mod fxhash;
pub mod lang;
mod languages;
pub mod mask;
pub mod matcher;
pub mod normalize;

use std::path::Path;

pub use content::{Content, Diagnostic, Severity};
pub use lang::{Detector, Lang};
pub use matcher::{Matcher, Ranking, Scored, Target};

use extract::Extraction;

/// The compiled content of one language: what it says and the index that ranks it.
pub struct Language {
    /// The language.
    pub lang: Lang,
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
    /// What the message asks beside the receipt numbers it carries: the candidates for its
    /// text with them taken out, and how many words that text has ("my receipt is EAC…,
    /// how do I change my address" asks about a change of address). Empty when the message
    /// carries none.
    pub beside_identifiers: (Vec<Scored>, usize),
    /// How many content words (not stop words) the message has, as far as matching reads
    /// it: a long one tells a story.
    pub words: usize,
}

impl Parse {
    /// Confidence of the best candidate (0 when there is none).
    pub fn top_score(&self) -> f32 {
        self.candidates.first().map_or(0.0, |c| c.score)
    }
}

impl Language {
    /// Compiles already-parsed content of one language.
    pub fn compile(content: Content) -> Language {
        let matcher = Matcher::build(&content);
        Language {
            lang: content.lang,
            content,
            matcher,
        }
    }

    /// Compiles a variant of `like`'s content (one example held out, say) that only needs
    /// to rank: it keeps `like`'s calibration instead of fitting its own.
    pub fn compile_like(content: Content, like: &Language) -> Language {
        let matcher = Matcher::build_like(&content, &like.matcher);
        Language {
            lang: content.lang,
            content,
            matcher,
        }
    }

    /// The id of an intent or article.
    pub fn target_id(&self, target: Target) -> &str {
        match target {
            Target::Intent(i) => self.content.intents[i].def.id.get_ref(),
            Target::Article(i) => self.content.articles[i].meta.id.get_ref(),
        }
    }

    /// The ids of every intent and article, intents first.
    pub fn target_ids(&self) -> impl Iterator<Item = &str> {
        let intents = self.content.intents.iter().map(|i| i.def.id.get_ref());
        let articles = self.content.articles.iter().map(|a| a.meta.id.get_ref());
        intents.chain(articles).map(String::as_str)
    }

    /// The intent or article with this id.
    pub fn target(&self, id: &str) -> Option<Target> {
        self.intent_index(id).map(Target::Intent).or_else(|| {
            self.content
                .articles
                .iter()
                .position(|a| a.meta.id.get_ref() == id)
                .map(Target::Article)
        })
    }

    /// Index of the intent with this id.
    pub fn intent_index(&self, id: &str) -> Option<usize> {
        self.content
            .intents
            .iter()
            .position(|i| i.def.id.get_ref() == id)
    }

    /// The sentences this language says outside answers.
    pub fn catalog(&self) -> &content::Catalog {
        &self.content.catalog
    }

    /// Understands one message; `previous` is the intent that answered the message before.
    pub fn parse(&self, text: &str, previous: Option<&str>) -> Parse {
        self.parse_read(&Reading::of(text), previous)
    }

    fn parse_read(&self, message: &Reading<'_>, previous: Option<&str>) -> Parse {
        let ranking = message.whole.rank(&self.matcher, previous);
        let beside_identifiers = match &message.beside {
            Some(beside) => {
                let beside = beside.rank(&self.matcher, previous);
                (beside.candidates, beside.words)
            }
            None => (Vec::new(), 0),
        };
        Parse {
            extraction: message.whole.extraction.clone(),
            candidates: ranking.candidates,
            elsewhere: ranking.elsewhere,
            beside_identifiers,
            words: ranking.words,
        }
    }
}

/// A message read the way every language's matcher starts: its identifiers found and its
/// words folded and capped ([`normalize::message_words`]), once, however many languages'
/// content then ranks it. Folding a long non-Latin message is most of its cost.
struct Reading<'a> {
    whole: Words<'a>,
    /// The text beside its receipt numbers, when it has any (see [`Parse`]).
    beside: Option<Words<'static>>,
}

/// One text with its identifiers and folded words.
struct Words<'a> {
    text: std::borrow::Cow<'a, str>,
    extraction: Extraction,
    words: String,
}

impl Reading<'_> {
    fn of(text: &str) -> Reading<'_> {
        let whole = Words::of(text.into(), extract::extract(text));
        let beside = without_receipt_numbers(text, &whole.extraction).map(|rest| {
            let extraction = extract::extract(&rest);
            Words::of(rest.into(), extraction)
        });
        Reading { whole, beside }
    }
}

impl<'a> Words<'a> {
    fn of(text: std::borrow::Cow<'a, str>, extraction: Extraction) -> Words<'a> {
        let words = normalize::message_words(&text, &extraction);
        Words {
            text,
            extraction,
            words,
        }
    }

    fn rank(&self, matcher: &Matcher, previous: Option<&str>) -> Ranking {
        matcher.rank_words(&self.words, &self.text, &self.extraction, previous)
    }
}

/// Words that only say what the identifier beside them is ("my receipt number is …"): they
/// are taken out with it, so what is left is what the message asks besides.
const NAMING_WORDS: &[&str] = &[
    "receipt", "number", "num", "no", "nbr", "case", "recibo", "numero", "número", "caso",
];

/// The text without its receipt numbers and receipt-number look-alikes, nor the words that
/// name them ([`NAMING_WORDS`]) or marks standing alone ("#"); `None` when it has none.
fn without_receipt_numbers(text: &str, extraction: &Extraction) -> Option<String> {
    let spans = extraction
        .entities
        .iter()
        .filter(|e| e.kind == extract::EntityKind::ReceiptNumber)
        .map(|e| (e.start, e.end))
        .chain(extraction.near_misses.iter().map(|m| (m.start, m.end)));
    let mut rest = text.to_string();
    let mut any = false;
    for (start, end) in spans {
        if rest.get(start..end).is_some() {
            // Blanked to the same length, so the other spans' offsets stay valid.
            rest.replace_range(start..end, &" ".repeat(end - start));
            any = true;
        }
    }
    if !any {
        return None;
    }
    let kept: Vec<&str> = rest
        .split_whitespace()
        .filter(|w| {
            let bare = w
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            !bare.is_empty() && !NAMING_WORDS.contains(&bare.as_str())
        })
        .collect();
    Some(kept.join(" "))
}

/// How much better another language's content must understand a message for a chat to
/// switch to it when its own language also understands it.
const SWITCH_MARGIN: f32 = 0.05;

/// Evidence for a language (see [`lang::Evidence`]) from which a message is taken as
/// written in it whatever the chat's own content makes of it: two function words.
const WRITTEN_IN: f32 = 2.0;

/// The compiled content of every language in one version of intents/ and knowledge/: what
/// the server swaps atomically on reload. English is always there; Spanish when the
/// `es/` folders are.
pub struct Nlu {
    /// By [`Lang::index`]; `None` for a language without content.
    languages: [Option<Language>; Lang::COUNT],
    detector: Detector,
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

    /// Loads and compiles the content folders: English from `intents/` and `knowledge/`,
    /// Spanish from their `es/` subfolders when there are any. Errors are returned as
    /// diagnostics with `path:line:col`; warnings do not stop loading.
    pub fn load(
        intents: &Path,
        knowledge: &Path,
    ) -> Result<(Nlu, Vec<Diagnostic>), Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut contents = Vec::new();
        for lang in Lang::ALL {
            let present = lang.folder().is_none()
                || content::language_folder(intents, lang).is_dir()
                || content::language_folder(knowledge, lang).is_dir();
            if !present {
                continue;
            }
            match Content::load(intents, knowledge, lang) {
                Ok((content, diags)) => {
                    warnings.extend(diags);
                    contents.push(content);
                }
                Err(diags) => errors.extend(diags),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let found = languages::compare(&contents);
        if found.iter().any(|d| d.severity == Severity::Error) {
            return Err(found);
        }
        warnings.extend(found);
        Ok((Nlu::compile(contents), warnings))
    }

    /// Compiles already-parsed content, one [`Content`] per language (English first).
    pub fn compile(contents: Vec<Content>) -> Nlu {
        let mut languages = [None, None];
        for content in contents {
            let index = content.lang.index();
            languages[index] = Some(Language::compile(content));
        }
        let vocabulary = |l: &Option<Language>| {
            l.as_ref().map_or_else(Default::default, |l| {
                l.matcher
                    .normalizer()
                    .vocabulary()
                    .map(str::to_string)
                    .collect()
            })
        };
        let titles: Vec<String> = languages
            .iter()
            .flatten()
            .flat_map(|l| {
                l.content
                    .catalog
                    .statuses
                    .iter()
                    .flat_map(|(s, _)| s.titles.iter().map(|t| t.get_ref().clone()))
            })
            .collect();
        let detector = Detector::new(
            [vocabulary(&languages[0]), vocabulary(&languages[1])],
            titles.iter().map(String::as_str),
        );
        Nlu {
            languages,
            detector,
        }
    }

    /// The content of `lang`, or English when there is none in `lang`.
    pub fn get(&self, lang: Lang) -> &Language {
        self.languages[lang.index()]
            .as_ref()
            .or(self.languages[Lang::En.index()].as_ref())
            .expect("English content is always loaded")
    }

    /// English content.
    pub fn english(&self) -> &Language {
        self.get(Lang::En)
    }

    /// Every language with content, English first.
    pub fn languages(&self) -> impl Iterator<Item = &Language> {
        self.languages.iter().flatten()
    }

    /// Whether there is content in `lang`.
    pub fn speaks(&self, lang: Lang) -> bool {
        self.languages[lang.index()].is_some()
    }

    /// `lang` when there is content in it, else the first language there is.
    fn spoken(&self, lang: Lang) -> Lang {
        if self.speaks(lang) {
            lang
        } else {
            self.languages().next().map_or(Lang::En, |l| l.lang)
        }
    }

    /// Picks the language to answer `text` in and understands it there. A chat leaves its
    /// language `current` only when the message reads clearly as another language, and,
    /// unless it is plainly written in it (two function words or more), when that
    /// language's content also understands it better: an English name pasted into a
    /// Spanish chat, which the Spanish content knows as well, is answered in Spanish.
    pub fn understand_in_chat(
        &self,
        text: &str,
        current: Option<Lang>,
        fallback: Lang,
        previous: Option<&str>,
        min_score: f32,
    ) -> (Lang, Parse) {
        let evidence = self.detector.evidence(text);
        let lang = self.spoken(Detector::choose_by(&evidence, current, fallback));
        // A message plainly in its language with no word of another is not looked up in
        // the other index: it would only cost time (a fallback would parse twice).
        let only_its_own = evidence.of(lang) >= WRITTEN_IN
            && Lang::ALL
                .iter()
                .all(|l| *l == lang || evidence.of(*l) == 0.0);
        let message = Reading::of(text);
        let parse = self.understand_within(&message, lang, previous, min_score, !only_its_own);
        let Some(current) = current.filter(|c| *c != lang && self.speaks(*c)) else {
            return (lang, parse);
        };
        if evidence.of(lang) >= WRITTEN_IN {
            return (lang, parse);
        }
        let staying = self.understand_within(&message, current, previous, min_score, true);
        if staying.top_score() >= min_score
            && staying.top_score() + SWITCH_MARGIN >= parse.top_score()
        {
            (current, staying)
        } else {
            (lang, parse)
        }
    }

    /// Understands a message to be answered in `lang`. When that language's content finds
    /// nothing at `min_score` or above and another language's does, its candidates are
    /// used, mapped by id onto `lang`'s content: "mi receipt number" in a Spanish chat, or
    /// an English question in a Spanish chat that said nothing clearly English.
    pub fn understand(
        &self,
        text: &str,
        lang: Lang,
        previous: Option<&str>,
        min_score: f32,
    ) -> Parse {
        self.understand_within(&Reading::of(text), lang, previous, min_score, true)
    }

    /// [`Nlu::understand`], trying the other languages' indexes only when `others` is set.
    fn understand_within(
        &self,
        message: &Reading<'_>,
        lang: Lang,
        previous: Option<&str>,
        min_score: f32,
        others: bool,
    ) -> Parse {
        let primary = self.get(lang);
        let parse = primary.parse_read(message, previous);
        if !others || parse.top_score() >= min_score || parse.elsewhere.is_some() {
            return parse;
        }
        for other in self.languages().filter(|l| l.lang != primary.lang) {
            let theirs = other.parse_read(message, previous);
            if theirs.top_score() < min_score || theirs.top_score() <= parse.top_score() {
                continue;
            }
            let candidates: Vec<Scored> = theirs
                .candidates
                .iter()
                .filter_map(|c| {
                    let target = primary.target(other.target_id(c.target))?;
                    Some(Scored {
                        target,
                        score: c.score,
                    })
                })
                .collect();
            if candidates.first().is_some_and(|c| c.score >= min_score) {
                return Parse {
                    candidates,
                    ..parse
                };
            }
        }
        parse
    }
}
