//! The languages casebot speaks, and which one a message is written in.
//!
//! Detection weighs each word of a message: a word only one language uses as a function
//! word ("the", "my", "el", "mi", "quiero") counts 1, a word of one language's content but
//! not the other's ("password", "contraseña") counts ½, and Spanish punctuation or letters
//! ("¿", "ñ", "é") count 1 once. A chat keeps its language until a message says clearly
//! that it is written in the other one, so "el receipt number" or "mi green card" in a
//! Spanish chat stays Spanish, and "ok" or a bare receipt number changes nothing. Names
//! people copy from USCIS pages in English (a case status title such as "Case Was
//! Approved") are no evidence either: "qué significa Case Was Approved" is Spanish. Naming
//! a language ("en español por favor", "in English please") counts 3 for it: a person who
//! asks for a language gets it.

use std::fmt;

use super::fxhash::{FxHashMap, FxHashSet};

/// A language of the content and of the chat; written as its code (`"en"`, `"es"`) when
/// serialized.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English, the default and the language of the top-level content folders.
    #[default]
    En,
    /// Spanish, from the `es/` content folders.
    Es,
}

impl Lang {
    /// Every language, English first, in [`Lang::index`] order.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// How many languages there are: the size of every per-language array.
    pub const COUNT: usize = Lang::ALL.len();

    /// The ISO 639-1 code used on the wire and in content files (`en`, `es`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The language of a code such as `es`, `ES` or `es-MX`.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The content subfolder holding this language (`None`: the folder itself).
    pub fn folder(self) -> Option<&'static str> {
        match self {
            Lang::En => None,
            Lang::Es => Some("es"),
        }
    }

    /// The language's name in English, for messages to authors.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Spanish",
        }
    }

    /// Position in [`Lang::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Words that show a message is English: function words, pronouns, greetings and the
/// commonest verbs, none of which is also a Spanish word.
const ENGLISH: &[&str] = &[
    "the", "my", "is", "are", "was", "what", "whats", "how", "where", "when", "why", "who",
    "which", "can", "could", "would", "should", "do", "does", "did", "dont", "i", "im", "you",
    "your", "it", "its", "this", "that", "of", "to", "for", "with", "and", "or", "have", "has",
    "get", "got", "want", "need", "hello", "hi", "hey", "thanks", "thank", "please", "bye",
    "goodbye", "yes", "yeah", "not", "be", "been", "am", "an", "on", "in", "at", "from", "about",
    "show", "tell", "me", "will", "there", "they", "we", "help", "talk", "find", "lost", "forgot",
    "if", "still", "again", "after", "know",
];

/// Words that show a message is Spanish, none of which is also an English word.
const SPANISH: &[&str] = &[
    "el", "la", "los", "las", "un", "una", "unos", "del", "al", "de", "mi", "mis", "tu", "su",
    "sus", "es", "esta", "estoy", "que", "como", "donde", "cuando", "cual", "cuales", "quien",
    "por", "para", "con", "y", "o", "pero", "yo", "usted", "ustedes", "me", "te", "se", "lo", "le",
    "les", "hola", "gracias", "adios", "chao", "buenas", "buenos", "dias", "tardes", "noches",
    "quiero", "necesito", "puedo", "puede", "tengo", "tiene", "hay", "muy", "mas", "tambien",
    "porque", "si", "ayuda", "ayudar", "hablar", "olvide", "perdi", "hace", "todavia", "aun",
    "nada", "algo", "este", "ese", "eso", "esto", "saber", "ver", "en", "mucho", "muchas", "hasta",
    "luego", "pues", "bueno", "nuevo", "ahora",
];

/// Each function word with its language; `None` for a word both lists share ("me"), which
/// is no evidence either way.
fn function_words() -> FxHashMap<&'static str, Option<Lang>> {
    let mut words: FxHashMap<&'static str, Option<Lang>> = FxHashMap::default();
    for (list, lang) in [(ENGLISH, Lang::En), (SPANISH, Lang::Es)] {
        for word in list {
            let entry = words.entry(*word).or_insert(Some(lang));
            if *entry != Some(lang) {
                *entry = None;
            }
        }
    }
    words
}

/// How strongly a message reads as each language.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// Weight for English.
    pub en: f32,
    /// Weight for Spanish.
    pub es: f32,
}

impl Evidence {
    /// The weight for `lang`.
    pub fn of(&self, lang: Lang) -> f32 {
        match lang {
            Lang::En => self.en,
            Lang::Es => self.es,
        }
    }

    fn add(&mut self, lang: Lang, weight: f32) {
        match lang {
            Lang::En => self.en += weight,
            Lang::Es => self.es += weight,
        }
    }

    /// The language with the most weight, when no other has as much.
    pub fn leader(&self) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| self.of(*l) > self.rival(*l))
    }

    /// True when the message clearly reads as `lang` rather than as any other language:
    /// a function word's weight at least, and that much ahead.
    pub fn clearly(&self, lang: Lang) -> bool {
        self.of(lang) >= 1.0 && self.of(lang) - self.rival(lang) >= 1.0
    }

    /// The most weight of any language but `lang`.
    fn rival(&self, lang: Lang) -> f32 {
        Lang::ALL
            .iter()
            .filter(|l| **l != lang)
            .map(|l| self.of(*l))
            .fold(0.0, f32::max)
    }
}

/// Tells the languages apart. Built once per content version from the words each
/// language's content uses.
#[derive(Debug, Default)]
pub struct Detector {
    /// Function words and their language (`None`: a word of both).
    function: FxHashMap<&'static str, Option<Lang>>,
    /// Words only one language's content uses, per language.
    only: [FxHashSet<String>; Lang::COUNT],
    /// Quoted names (folded words) that count for no language, by first word, longest
    /// first.
    neutral: FxHashMap<String, Vec<Vec<String>>>,
}

impl Detector {
    /// A detector from each language's content vocabulary (folded words) and the names
    /// people quote in any language (case status titles).
    pub fn new<'a>(
        vocabularies: [FxHashSet<String>; Lang::COUNT],
        neutral: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let [en, es] = vocabularies;
        let en_only = en.difference(&es).cloned().collect();
        let es_only = es.difference(&en).cloned().collect();
        let mut by_first: FxHashMap<String, Vec<Vec<String>>> = FxHashMap::default();
        for name in neutral {
            let words: Vec<String> = name.split_whitespace().map(fold).collect();
            if words.len() >= 2 {
                let names = by_first.entry(words[0].clone()).or_default();
                if !names.contains(&words) {
                    names.push(words);
                }
            }
        }
        // Longest first, so a title is taken whole before a shorter one inside it.
        for names in by_first.values_mut() {
            names.sort_by_key(|words| std::cmp::Reverse(words.len()));
        }
        Detector {
            function: function_words(),
            only: [en_only, es_only],
            neutral: by_first,
        }
    }

    /// The evidence for each language in `text`. At most the first 200 words are read.
    pub fn evidence(&self, text: &str) -> Evidence {
        let mut evidence = Evidence::default();
        if text.contains(['¿', '¡', 'ñ', 'Ñ', 'á', 'é', 'í', 'ó', 'ú']) {
            evidence.es += 1.0;
        }
        // A token with a digit in it ("I-485", "EAC2190012345") is an identifier, whatever
        // its letters.
        let words: Vec<String> = text
            .split_whitespace()
            .filter(|token| !token.bytes().any(|b| b.is_ascii_digit()))
            .flat_map(|token| token.split(|c: char| !(c.is_alphanumeric() || c == '\'')))
            .filter(|w| !w.is_empty())
            .take(200)
            .map(fold)
            .collect();
        let quoted = self.quoted(&words);
        for (word, _) in words.iter().zip(&quoted).filter(|(_, q)| !**q) {
            let word = word.as_str();
            if let Some(named) = named_language(word) {
                evidence.add(named, 3.0);
                continue;
            }
            match self.function.get(word) {
                Some(Some(lang)) => evidence.add(*lang, 1.0),
                Some(None) => {}
                None => {
                    for lang in Lang::ALL {
                        if self.only[lang.index()].contains(word) {
                            evidence.add(lang, 0.5);
                        }
                    }
                }
            }
        }
        evidence
    }

    /// Which of `words` belong to a quoted name.
    fn quoted(&self, words: &[String]) -> Vec<bool> {
        let mut quoted = vec![false; words.len()];
        let mut start = 0;
        while start < words.len() {
            let taken = self.neutral.get(&words[start]).and_then(|names| {
                names
                    .iter()
                    .find(|name| words[start..].starts_with(name))
                    .map(Vec::len)
            });
            match taken {
                Some(len) => {
                    quoted[start..start + len]
                        .iter_mut()
                        .for_each(|q| *q = true);
                    start += len;
                }
                None => start += 1,
            }
        }
        quoted
    }

    /// The language to answer `text` in: the chat's language `current` unless the message
    /// clearly reads as the other one; with no language yet, whichever the message leans
    /// to, else `fallback`.
    pub fn choose(&self, current: Option<Lang>, fallback: Lang, text: &str) -> Lang {
        Self::choose_by(&self.evidence(text), current, fallback)
    }

    /// [`Detector::choose`] on evidence already weighed.
    pub fn choose_by(evidence: &Evidence, current: Option<Lang>, fallback: Lang) -> Lang {
        match current {
            Some(lang) => Lang::ALL
                .into_iter()
                .find(|other| *other != lang && evidence.clearly(*other))
                .unwrap_or(lang),
            None => evidence.leader().unwrap_or(fallback),
        }
    }
}

/// The language a (folded) word names, in either language: "espanol", "spanish",
/// "ingles", "english".
fn named_language(word: &str) -> Option<Lang> {
    match word {
        "espanol" | "spanish" | "castellano" => Some(Lang::Es),
        "ingles" | "english" => Some(Lang::En),
        _ => None,
    }
}

/// Lower case with the acute accents and diaeresis taken off and apostrophes dropped
/// (ñ stays: "año" is not "ano").
fn fold(word: &str) -> String {
    word.chars()
        .filter(|c| *c != '\'')
        .flat_map(char::to_lowercase)
        .map(strip_accent)
        .collect()
}

/// A vowel without its acute accent or diaeresis; any other character as it is.
pub fn strip_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> Detector {
        let set = |words: &[&str]| words.iter().map(|w| w.to_string()).collect();
        let en = set(&["password", "receipt", "locked"]);
        let es = set(&["contrasena", "recibo", "bloqueada", "receipt", "numero"]);
        Detector::new([en, es], ["Case Was Approved", "Card Was Mailed To Me"])
    }

    #[test]
    fn all_lists_every_language_in_index_order() {
        for (i, lang) in Lang::ALL.into_iter().enumerate() {
            assert_eq!(lang.index(), i, "{lang}");
        }
        // A new language is a compile error here: add it to `Lang::ALL`, then to this arm.
        for lang in Lang::ALL {
            match lang {
                Lang::En | Lang::Es => {}
            }
        }
        assert_eq!(Lang::ALL.len(), [Lang::En, Lang::Es].len());
    }

    #[test]
    fn codes_round_trip_and_accept_regions() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("es-MX"), Some(Lang::Es));
        assert_eq!(Lang::from_code("EN_us"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::from_code(""), None);
    }

    #[test]
    fn short_messages_are_told_apart() {
        let d = detector();
        assert_eq!(d.choose(None, Lang::En, "hola"), Lang::Es);
        assert_eq!(d.choose(None, Lang::En, "gracias!"), Lang::Es);
        assert_eq!(d.choose(None, Lang::Es, "hello"), Lang::En);
        assert_eq!(d.choose(Some(Lang::En), Lang::En, "hola"), Lang::Es);
        assert_eq!(d.choose(Some(Lang::Es), Lang::En, "thanks"), Lang::En);
    }

    #[test]
    fn messages_with_no_evidence_keep_the_chat_language() {
        let d = detector();
        for text in ["ok", "EAC2190012345", "👍", "", "I-485"] {
            assert_eq!(d.choose(Some(Lang::Es), Lang::En, text), Lang::Es, "{text}");
            assert_eq!(d.choose(Some(Lang::En), Lang::En, text), Lang::En, "{text}");
            assert_eq!(d.choose(None, Lang::Es, text), Lang::Es, "{text}");
        }
    }

    #[test]
    fn spanglish_stays_in_a_spanish_chat_and_does_not_switch_an_english_one_by_itself() {
        let d = detector();
        assert_eq!(
            d.choose(Some(Lang::Es), Lang::En, "el receipt number"),
            Lang::Es
        );
        assert_eq!(
            d.choose(Some(Lang::Es), Lang::En, "mi green card"),
            Lang::Es
        );
        assert_eq!(d.choose(None, Lang::En, "mi green card"), Lang::Es);
    }

    #[test]
    fn a_clear_switch_changes_the_language() {
        let d = detector();
        assert_eq!(
            d.choose(Some(Lang::Es), Lang::En, "what is the status of my case"),
            Lang::En
        );
        assert_eq!(
            d.choose(
                Some(Lang::En),
                Lang::En,
                "quiero saber el estado de mi caso"
            ),
            Lang::Es
        );
        assert_eq!(
            d.choose(Some(Lang::En), Lang::En, "¿Olvidé mi contraseña?"),
            Lang::Es
        );
    }

    #[test]
    fn asking_for_a_language_switches_to_it() {
        let d = detector();
        assert_eq!(
            d.choose(
                Some(Lang::En),
                Lang::En,
                "mejor en español, que significa eso"
            ),
            Lang::Es
        );
        assert_eq!(
            d.choose(Some(Lang::En), Lang::En, "do you speak spanish?"),
            Lang::Es
        );
        assert_eq!(
            d.choose(Some(Lang::Es), Lang::En, "in English please"),
            Lang::En
        );
        assert_eq!(
            d.choose(Some(Lang::Es), Lang::En, "¿habla inglés?"),
            Lang::En
        );
    }

    #[test]
    fn quoted_status_titles_are_no_evidence() {
        let d = detector();
        assert_eq!(
            d.choose(None, Lang::En, "que significa card was mailed to me"),
            Lang::Es
        );
        assert_eq!(
            d.choose(Some(Lang::Es), Lang::En, "mi caso dice Case Was Approved"),
            Lang::Es
        );
        assert_eq!(
            d.choose(None, Lang::En, "what does case was approved mean"),
            Lang::En
        );
    }

    #[test]
    fn accents_are_optional_and_content_words_count() {
        let d = detector();
        assert_eq!(d.evidence("contraseña bloqueada").leader(), Some(Lang::Es));
        assert_eq!(d.evidence("numero").leader(), Some(Lang::Es));
        assert_eq!(d.evidence("número").leader(), Some(Lang::Es));
        assert_eq!(d.evidence("password locked").leader(), Some(Lang::En));
        assert_eq!(fold("Número"), "numero");
        assert_eq!(fold("año"), "año");
    }
}
