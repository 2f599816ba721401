//! Text normalization shared by intents and knowledge articles: Unicode NFKC and case
//! folding, contractions, identifier placeholders, typo tolerance, synonyms, stop words and
//! stemming. Content is normalized through exactly the same steps when the matcher is
//! compiled, so a message and an example meet in the same form.

use std::borrow::Cow;
use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

use super::extract::{Entity, EntityKind, Extraction};
use super::fxhash::{FxHashMap, FxHashSet};
use super::lang::{Lang, strip_accent};

/// Words that carry no meaning for matching. Question words (what, how, where, ...) are not
/// here: they separate "what is X" from "how do I get X".
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "am", "was", "were", "be", "been", "being", "i", "me", "my",
    "mine", "myself", "we", "us", "our", "yours", "it", "its", "this", "that", "these", "those",
    "to", "of", "for", "in", "on", "at", "by", "with", "from", "and", "or", "but", "so", "if",
    "as", "do", "does", "did", "have", "has", "had", "can", "could", "would", "should", "will",
    "shall", "may", "might", "must", "please", "pls", "plz", "there", "here", "just", "also",
    "about", "some", "any", "again", "then", "than", "very", "really", "u", "ur", "ok", "okay",
    "um", "uh", "guys", "would", "kindly", "want", "wanna", "like", "need", "know", "tell", "let",
    "im", "now", "yet", "still", "thing", "things", "stuff",
];

/// Spanish words that carry no meaning for matching, written without accents (messages
/// are folded before they are compared). Question words (que, como, donde, cuando, ...)
/// are not here, as in English.
const SPANISH_STOP_WORDS: &[&str] = &[
    "el", "la", "los", "las", "lo", "un", "una", "unos", "unas", "de", "del", "al", "a", "en", "y",
    "e", "o", "u", "con", "por", "para", "sobre", "mi", "mis", "tu", "tus", "su", "sus", "nuestro",
    "nuestra", "me", "te", "se", "le", "les", "nos", "yo", "usted", "ustedes", "es", "son", "soy",
    "esta", "estan", "estoy", "ser", "estar", "fue", "era", "ha", "he", "han", "hay", "este",
    "esta", "esto", "ese", "esa", "eso", "aqui", "ahi", "alli", "ya", "pero", "si", "tambien",
    "muy", "mas", "porfa", "favor", "bueno", "pues", "ok", "okay", "oye", "quiero", "queria",
    "quisiera", "necesito", "puedo", "puede", "podria", "saber", "decir", "dime", "digame",
    "ayudame", "ayudeme", "solo", "algo", "cosa", "todavia", "aun", "ahora",
];

impl Lang {
    /// The language's stop words.
    fn stop_words(self) -> &'static [&'static str] {
        match self {
            Lang::En => STOP_WORDS,
            Lang::Es => SPANISH_STOP_WORDS,
        }
    }

    /// The language's Snowball stemmer.
    fn stemmer(self) -> Stemmer {
        Stemmer::create(match self {
            Lang::En => Algorithm::English,
            Lang::Es => Algorithm::Spanish,
        })
    }
}

/// Identifier kinds become placeholder words, so "status of EAC2190012345" and "status of
/// IOE0912345678" normalize alike.
pub fn placeholder(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::ReceiptNumber => "zzreceipt",
        EntityKind::ANumber => "zzanumber",
        EntityKind::AccountNumber => "zzaccount",
        EntityKind::FormNumber => "zzform",
        EntityKind::Phone => "zzphone",
        EntityKind::Email => "zzemail",
        EntityKind::Ssn => "zzssn",
    }
}

/// Splits text into lower-cased words with contractions expanded and identifiers replaced
/// by placeholders. No vocabulary is needed for this step.
pub fn words(text: &str, extraction: &Extraction) -> Vec<String> {
    joined_words(text, extraction)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Most bytes of a message's words ([`message_words`]) that matching reads. Folding can
/// make a message much longer than it was typed (NFKC turns "\u{FDFA}" into 18 characters,
/// `#` reads as " number "), so the cap applies after folding: words past it are dropped.
/// 8 KiB holds every message of up to 2,000 characters (the default text limit) whose
/// folding does not lengthen it, whatever its script.
pub const MAX_MESSAGE_WORD_BYTES: usize = 8 * 1024;

/// Most characters of a message's words ([`message_words`]) that matching reads, spaces
/// included: what 2,000 characters (the default text limit) make when folding does not
/// lengthen them, with room for identifiers' placeholders. Every step after folding costs
/// per character, and in scripts of two bytes a letter the byte cap alone would let a
/// message that folding lengthened ("\u{FDFA}" × 2,000) cost twice what this lets it.
pub const MAX_MESSAGE_WORD_CHARS: usize = 2_500;

/// Most words of a message that matching reads: 2,000 characters make at most 1,000 words
/// unless folding splits characters into several ("\u{BC}" is "1⁄4", two words).
pub const MAX_MESSAGE_WORDS: usize = 1000;

/// The words of [`words`] as one string: `" w1 w2 … "`, each word followed by a space.
pub fn joined_words(text: &str, extraction: &Extraction) -> String {
    let mut joined = Joined::new(text.len(), usize::MAX, usize::MAX, usize::MAX);
    joined.push_text(text, extraction);
    joined.out
}

/// [`joined_words`] of a message, cut before the first word past [`MAX_MESSAGE_WORD_BYTES`]
/// or [`MAX_MESSAGE_WORD_CHARS`] (leading space included) or [`MAX_MESSAGE_WORDS`]: what
/// matching reads of untrusted text.
pub fn message_words(text: &str, extraction: &Extraction) -> String {
    let mut joined = Joined::new(
        text.len(),
        MAX_MESSAGE_WORD_BYTES,
        MAX_MESSAGE_WORD_CHARS,
        MAX_MESSAGE_WORDS,
    );
    joined.push_text(text, extraction);
    joined.out
}

/// Joined words being built, and the room left in them.
struct Joined {
    out: String,
    bytes_left: usize,
    chars_left: usize,
    words_left: usize,
}

impl Joined {
    /// Room for `max_bytes` bytes and `max_chars` characters (the leading space included)
    /// and `max_words` words.
    fn new(text_len: usize, max_bytes: usize, max_chars: usize, max_words: usize) -> Self {
        let mut out = String::with_capacity(text_len.min(max_bytes) + 16);
        out.push(' ');
        Joined {
            out,
            bytes_left: max_bytes - 1,
            chars_left: max_chars - 1,
            words_left: max_words,
        }
    }

    /// Appends the words of `text`, identifiers replaced by placeholders, up to the first
    /// word that does not fit.
    fn push_text(&mut self, text: &str, extraction: &Extraction) {
        let mut at = 0;
        for entity in &extraction.entities {
            if entity.start < at || entity.end > text.len() {
                continue;
            }
            if !self.push_words(&text[at..entity.start]) || !self.push_entity(entity) {
                return;
            }
            at = entity.end;
        }
        self.push_words(&text[at..]);
    }

    /// True when a word of `len` bytes and `chars` characters and its space fit.
    fn has_room(&self, len: usize, chars: usize) -> bool {
        self.words_left > 0 && len < self.bytes_left && chars < self.chars_left
    }

    /// Takes a word of `len` bytes and `chars` characters and its space off the room left.
    fn take_room(&mut self, len: usize, chars: usize) {
        self.bytes_left -= len + 1;
        self.chars_left -= chars + 1;
        self.words_left -= 1;
    }

    /// Appends `word` and a space; false when they do not fit.
    fn push(&mut self, word: &str) -> bool {
        let chars = word.chars().count();
        if !self.has_room(word.len(), chars) {
            return false;
        }
        self.out.push_str(word);
        self.out.push(' ');
        self.take_room(word.len(), chars);
        true
    }

    /// Appends an identifier's placeholder (and a form's number after it); false when
    /// they do not fit.
    fn push_entity(&mut self, entity: &Entity) -> bool {
        if !self.push(placeholder(entity.kind)) {
            return false;
        }
        if entity.kind != EntityKind::FormNumber {
            return true;
        }
        // The number without its dashes is never longer than the value.
        if !self.has_room(entity.value.len(), entity.value.len()) {
            return false;
        }
        let before = self.out.len();
        self.out.extend(
            entity
                .value
                .chars()
                .filter(|c| *c != '-')
                .map(|c| c.to_ascii_lowercase()),
        );
        let added = self.out.len() - before;
        self.out.push(' ');
        self.take_room(added, added);
        true
    }

    /// Appends the folded words of `text`, each followed by a space, up to the first word
    /// that does not fit; false when one did not fit.
    fn push_words(&mut self, text: &str) -> bool {
        let text = mark_a_numbers(text);
        let text = text.as_ref();
        let folded: Cow<'_, str> = if text.is_ascii() {
            if text.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(text.to_ascii_lowercase())
            } else {
                Cow::Borrowed(text)
            }
        } else {
            // Accents are optional ("numero" is "número"), but ñ is a letter of its own.
            Cow::Owned(
                nfkc_within(text, self.bytes_left, self.chars_left)
                    .to_lowercase()
                    .replace(APOSTROPHES, "'")
                    .chars()
                    .map(strip_accent)
                    .collect(),
            )
        };
        let folded = join_letter_prefixes(&folded);
        let mut inside = WordChars::default();
        for raw in folded.split(|c: char| !inside.is_word_char(c)) {
            let word = raw.trim_matches('\'');
            if !word.is_empty() && !expand_contraction(word, self) {
                return false;
            }
        }
        true
    }
}

/// Marks people type for an apostrophe; folding reads each as `'`.
const APOSTROPHES: [char; 4] = ['’', '‘', 'ʼ', '`'];

/// Which characters belong inside a word: letters, digits and the apostrophe. The answers
/// for non-ASCII characters are remembered, since `char::is_alphanumeric` searches the
/// Unicode tables for each of them and a long message in one script asks about the same
/// few dozen letters thousands of times.
struct WordChars {
    /// Slot `c % 128` holds `c << 1 | answer` for the last `c` asked about there, or 0.
    seen: [u32; 128],
}

impl Default for WordChars {
    fn default() -> Self {
        WordChars { seen: [0; 128] }
    }
}

impl WordChars {
    fn is_word_char(&mut self, c: char) -> bool {
        if c.is_ascii() {
            return c.is_ascii_alphanumeric() || c == '\'';
        }
        let code = c as u32;
        let slot = &mut self.seen[(code % 128) as usize];
        if *slot >> 1 == code {
            return *slot & 1 == 1;
        }
        let answer = c.is_alphanumeric();
        *slot = code << 1 | u32::from(answer);
        answer
    }
}

/// The NFKC form of `text`, cut to at most `max_bytes` bytes and `max_chars` characters. A
/// word the cut falls in is left out whole.
fn nfkc_within(text: &str, max_bytes: usize, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_bytes));
    let mut cut = false;
    for (taken, c) in text.nfkc().enumerate() {
        if out.len() + c.len_utf8() > max_bytes || taken == max_chars {
            cut = true;
            break;
        }
        out.push(c);
    }
    if cut {
        // Also the marks that join a word later (apostrophes, "e-mail", "a#").
        let whole = out.trim_end_matches(|c: char| {
            c.is_alphanumeric() || c == '\'' || c == '-' || c == '#' || APOSTROPHES.contains(&c)
        });
        out.truncate(whole.len());
    }
    out
}

/// Joins a lone letter to the word after it: "a-number" and "a#" → "anumber", "e-mail" →
/// "email", so such compounds survive the split on punctuation. Any other `#` reads as the
/// word "number" ("account #" → "account number").
fn join_letter_prefixes(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone_letter_before = |i: usize| {
        i >= 1
            && bytes[i - 1].is_ascii_alphabetic()
            && (i < 2 || !bytes[i - 2].is_ascii_alphanumeric())
    };
    if !bytes
        .iter()
        .enumerate()
        .any(|(i, b)| *b == b'#' || (*b == b'-' && lone_letter_before(i)))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        match c {
            '#' if lone_letter_before(i) => out.push_str("number"),
            '#' => out.push_str(" number "),
            '-' if lone_letter_before(i) => {}
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// "A number" (capital A) and "my a number" name the A-number, not "a number".
fn mark_a_numbers(text: &str) -> Cow<'_, str> {
    if !text.contains(" number") && !text.contains(" Number") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(pos) = rest.find(['A', 'a']) {
        let (before, from) = rest.split_at(pos);
        out.push_str(before);
        let starts_word = out.chars().last().is_none_or(|c| !c.is_alphanumeric());
        let after = &from[1..];
        let next_is_number = after
            .strip_prefix(' ')
            .is_some_and(|a| a.get(..6).is_some_and(|w| w.eq_ignore_ascii_case("number")));
        // The word before is read only here, so a long run of a's is not read again for
        // each of them.
        if starts_word && next_is_number && (from.starts_with('A') || after_determiner(&out)) {
            out.push_str("anumber");
            rest = &after[7..];
            changed = true;
        } else {
            out.push_str(&from[..1]);
            rest = after;
        }
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// True when the last word of `text` is one that can come before "A-number" ("my", "the",
/// ...).
fn after_determiner(text: &str) -> bool {
    let prev = text
        .trim_end()
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    [
        "my", "an", "the", "your", "his", "her", "their", "our", "same",
    ]
    .iter()
    .any(|d| prev.eq_ignore_ascii_case(d))
}

/// "what's" → "what is", "can't"/"cant" → "can not", "i'm" → "i am", ... Appends the
/// words to `out`; false once one did not fit.
fn expand_contraction(word: &str, out: &mut Joined) -> bool {
    let mut fits = true;
    let mut push = |w: &str| fits = fits && out.push(w);
    let fixed: Option<&[&str]> = match word {
        "can't" | "cant" | "cannot" => Some(&["can", "not"]),
        "won't" | "wont" => Some(&["will", "not"]),
        "dont" => Some(&["do", "not"]),
        "doesnt" => Some(&["does", "not"]),
        "didnt" => Some(&["did", "not"]),
        "isnt" => Some(&["is", "not"]),
        "havent" => Some(&["have", "not"]),
        "hasnt" => Some(&["has", "not"]),
        "wasnt" => Some(&["was", "not"]),
        "arent" => Some(&["are", "not"]),
        "werent" => Some(&["were", "not"]),
        "couldnt" => Some(&["could", "not"]),
        "wouldnt" => Some(&["would", "not"]),
        "shouldnt" => Some(&["should", "not"]),
        "whats" => Some(&["what", "is"]),
        "wheres" => Some(&["where", "is"]),
        "hows" => Some(&["how", "is"]),
        "whos" => Some(&["who", "is"]),
        "ive" => Some(&["i", "have"]),
        "i'm" => Some(&["i", "am"]),
        "id" => Some(&["i", "would"]),
        _ => None,
    };
    if let Some(parts) = fixed {
        parts.iter().for_each(|p| push(p));
        return fits;
    }
    let Some((stem, suffix)) = word.rsplit_once('\'') else {
        push(word);
        return fits;
    };
    // Apostrophes left in the stem ("o''m", "rock'n'roll's") are dropped, so folding twice
    // gives what folding once gives.
    let stem: Cow<'_, str> = if stem.contains('\'') {
        Cow::Owned(stem.replace('\'', ""))
    } else {
        Cow::Borrowed(stem)
    };
    let stem = stem.as_ref();
    match suffix {
        "t" if stem.ends_with('n') => {
            push(&stem[..stem.len() - 1]);
            push("not");
        }
        "s" => {
            push(stem);
            if matches!(
                stem,
                "what" | "where" | "how" | "who" | "it" | "that" | "there" | "here"
            ) {
                push("is");
            }
        }
        "re" | "ll" | "ve" | "d" | "m" => {
            push(stem);
            push(match suffix {
                "re" => "are",
                "ll" => "will",
                "ve" => "have",
                "d" => "would",
                _ => "am",
            });
        }
        _ => push(&word.replace('\'', "")),
    }
    fits
}

/// Folds text for comparing two utterances as "the same" (case, spacing, punctuation).
pub fn fold_for_compare(text: &str) -> String {
    joined_words(text, &Extraction::default())
        .trim()
        .to_string()
}

/// Damerau-Levenshtein (optimal string alignment) distance between two strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Shortest word the typo corrector touches; shorter words are too easily confused.
const MIN_TYPO_LEN: usize = 5;

/// Most unknown words of one message the typo corrector searches for a known word; later
/// ones stay as typed. Each search costs a look-up per letter in every language the message
/// is ranked in; unknown words that are not typos (names, places) take a search too.
const MAX_TYPO_SEARCHES: usize = 50;

/// True when `a` and `b` are at most one edit apart (insertion, deletion, substitution or
/// swap of neighbours). Linear in the words' length; no allocation for ASCII words.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return one_edit_apart(a.as_bytes(), b.as_bytes());
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    one_edit_apart(&a, &b)
}

/// [`within_one_edit`] on sequences of bytes or characters.
fn one_edit_apart<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if prefix == short.len() {
        return true;
    }
    if short.len() == long.len() {
        let rest = prefix + 1;
        short[rest..] == long[rest..]
            || (rest < short.len()
                && short[prefix] == long[rest]
                && short[rest] == long[prefix]
                && short[rest + 1..] == long[rest + 1..])
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

/// The vocabulary-dependent part of normalization: typo correction against the words the
/// content uses, synonyms, stop words and stems. Built once per content version.
pub struct Normalizer {
    /// Multi-word and single-word variants, matched on whole words.
    synonyms: Option<(AhoCorasick, Vec<String>)>,
    /// Every word the content uses, with how often (to pick among typo candidates).
    vocabulary: FxHashMap<String, u32>,
    /// Each vocabulary word with one character deleted → the words it came from.
    deletions: FxHashMap<String, Vec<u32>>,
    /// Vocabulary words by index (for `deletions`).
    words: Vec<String>,
    /// Characters in the longest vocabulary word: a word more than one longer is one edit
    /// away from none, so the typo corrector's work per word is bounded by the content.
    longest: usize,
    /// Stem of every vocabulary word (`None` for stop words), computed once.
    stems: FxHashMap<String, Option<String>>,
    /// Stop word → its place in the language's list.
    stop: FxHashMap<&'static str, u32>,
    stemmer: Stemmer,
    lang: Lang,
}

impl Normalizer {
    /// Builds the normalizer of a language from its synonym table and every text of its
    /// content.
    pub fn new<'a>(
        lang: Lang,
        synonyms: &BTreeMap<String, Vec<String>>,
        texts: impl Iterator<Item = &'a str>,
    ) -> Self {
        let mut vocabulary: FxHashMap<String, u32> = FxHashMap::default();
        let empty = Extraction::default();
        for text in texts {
            for w in words(text, &empty) {
                *vocabulary.entry(w).or_default() += 1;
            }
        }
        for (canonical, variants) in synonyms {
            for text in std::iter::once(canonical).chain(variants) {
                for w in words(text, &empty) {
                    *vocabulary.entry(w).or_default() += 1;
                }
            }
        }
        let words_list: Vec<String> = vocabulary
            .keys()
            .filter(|w| {
                w.chars().count() >= MIN_TYPO_LEN - 1 && !w.chars().any(|c| c.is_ascii_digit())
            })
            .cloned()
            .collect();
        let mut deletions: FxHashMap<String, Vec<u32>> = FxHashMap::default();
        for (i, w) in words_list.iter().enumerate() {
            for d in one_deletions(w) {
                deletions.entry(d).or_default().push(i as u32);
            }
        }
        let stop: FxHashMap<&'static str, u32> = lang
            .stop_words()
            .iter()
            .enumerate()
            .map(|(i, w)| (*w, i as u32))
            .collect();
        let stemmer = lang.stemmer();
        let stems = vocabulary
            .keys()
            .map(|w| {
                (
                    w.clone(),
                    (!stop.contains_key(w.as_str())).then(|| stemmer.stem(w).into_owned()),
                )
            })
            .collect();
        let longest = vocabulary
            .keys()
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0);
        Normalizer {
            synonyms: build_synonyms(synonyms, lang),
            vocabulary,
            deletions,
            words: words_list,
            longest,
            stems,
            stop,
            stemmer,
            lang,
        }
    }

    /// The language it normalizes.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Every word the content uses (folded, before synonyms and stemming).
    pub fn vocabulary(&self) -> impl Iterator<Item = &str> {
        self.vocabulary.keys().map(String::as_str)
    }

    /// The message's words after typo correction and synonyms, stop words removed, as one
    /// space-separated string: the surface forms terms are stemmed from.
    pub fn canonical(&self, text: &str, extraction: &Extraction) -> String {
        self.canonical_of_words(&joined_words(text, extraction))
            .into_owned()
    }

    /// [`Normalizer::canonical`] of a message already split by [`joined_words`] (or
    /// [`message_words`]), borrowed when nothing in it changes.
    pub fn canonical_of_words<'a>(&self, joined: &'a str) -> Cow<'a, str> {
        // Correct typos; a new string is built only from the first corrected word on.
        let mut fixed: Option<String> = None;
        let mut at = 0;
        let mut searches_left = MAX_TYPO_SEARCHES;
        for w in joined.split(' ') {
            let start = at;
            at += w.len() + 1;
            if w.is_empty() {
                continue;
            }
            match self.correct(w, &mut searches_left) {
                Some(c) => {
                    let out = fixed.get_or_insert_with(|| joined[..start].to_string());
                    out.push_str(c);
                    out.push(' ');
                }
                None => {
                    if let Some(out) = &mut fixed {
                        out.push_str(w);
                        out.push(' ');
                    }
                }
            }
        }
        let joined = fixed.map_or(Cow::Borrowed(joined), Cow::Owned);
        let Some((ac, replacements)) = &self.synonyms else {
            return joined;
        };
        let mut out = String::new();
        let mut copied = 0;
        // Patterns carry a space on each side; the next search starts at the space that
        // ended the last match, so that two variants next to each other both match.
        let mut from = 0;
        while let Some(m) = ac.find(Input::new(joined.as_ref()).range(from..)) {
            out.push_str(&joined[copied..m.start()]);
            out.push_str(replacements[m.pattern().as_usize()].trim_end_matches(' '));
            copied = m.end() - 1;
            from = copied;
        }
        if copied == 0 {
            return joined;
        }
        out.push_str(&joined[copied..]);
        Cow::Owned(out)
    }

    /// The content words of a [`Normalizer::canonical`] string (stop words skipped).
    pub fn content_words<'a>(&'a self, canonical: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        canonical
            .split(' ')
            .filter(|w| !w.is_empty() && !self.stop.contains_key(w))
    }

    /// The place of a stop word in the language's list (`None`: not a stop word).
    pub fn stop_index(&self, word: &str) -> Option<u32> {
        self.stop.get(word).copied()
    }

    /// How many stop words the language has.
    pub fn stop_count(&self) -> u32 {
        self.lang.stop_words().len() as u32
    }

    /// The stem of one canonical word (cached for vocabulary words).
    pub fn stem<'a>(&'a self, word: &'a str) -> Cow<'a, str> {
        match self.stems.get(word) {
            Some(Some(stem)) => Cow::Borrowed(stem.as_str()),
            _ => self.stemmer.stem(word),
        }
    }

    /// Every word the content uses, with its stem (`None` for stop words).
    pub fn vocabulary_stems(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.stems.iter().map(|(w, s)| (w.as_str(), s.as_deref()))
    }

    /// Normalizes a message (or an example) into stemmed matching terms.
    pub fn terms(&self, text: &str, extraction: &Extraction) -> Vec<String> {
        let canonical = self.canonical(text, extraction);
        self.content_words(&canonical)
            .map(|w| self.stem(w).into_owned())
            .collect()
    }

    /// The vocabulary word one edit away from `word`, when `word` is not itself known.
    /// Tries each one-character deletion of `word`, so it costs the square of the word's
    /// length: words longer than any vocabulary word plus one are not tried at all. Each
    /// search takes one of `searches_left`; none is made when there is none left.
    fn correct(&self, word: &str, searches_left: &mut usize) -> Option<&str> {
        if let Some(known) = self.unstretch(word) {
            return Some(known);
        }
        if word.len() < MIN_TYPO_LEN
            // A character is at most four bytes.
            || word.len() > 4 * (self.longest + 1)
            || !(MIN_TYPO_LEN..=self.longest + 1).contains(&word.chars().count())
            || word.bytes().any(|c| c.is_ascii_digit())
            || self.vocabulary.contains_key(word)
            || *searches_left == 0
        {
            return None;
        }
        *searches_left -= 1;
        let mut best: Option<(u32, &str)> = None;
        let mut consider = |cand: &str| {
            if let Some((known, freq)) = self.vocabulary.get_key_value(cand)
                && within_one_edit(word, cand)
                && best.is_none_or(|(f, b)| *freq > f || (*freq == f && known.as_str() < b))
            {
                best = Some((*freq, known.as_str()));
            }
        };
        for i in self.deletions.get(word).into_iter().flatten() {
            consider(&self.words[*i as usize]);
        }
        let mut buf = String::with_capacity(word.len());
        for (at, ch) in word.char_indices() {
            buf.clear();
            buf.push_str(&word[..at]);
            buf.push_str(&word[at + ch.len_utf8()..]);
            for i in self.deletions.get(buf.as_str()).into_iter().flatten() {
                consider(&self.words[*i as usize]);
            }
            consider(&buf);
        }
        best.map(|(_, w)| w)
    }

    /// The known word or stop word that `word` stretches for emphasis ("soooo", "helppp",
    /// "pleeease"): each run of three or more of one letter cut to two, else to one. Linear
    /// in the word's length.
    fn unstretch(&self, word: &str) -> Option<&str> {
        if !has_stretch(word) || self.vocabulary.contains_key(word) {
            return None;
        }
        [2, 1].into_iter().find_map(|keep| {
            let cut = cut_stretches(word, keep);
            self.vocabulary
                .get_key_value(cut.as_str())
                .map(|(known, _)| known.as_str())
                .or_else(|| self.stop.get_key_value(cut.as_str()).map(|(stop, _)| *stop))
        })
    }
}

/// True when a letter appears three or more times in a row.
fn has_stretch(word: &str) -> bool {
    let mut run = (None, 0);
    word.chars().any(|c| {
        run = if run.0 == Some(c) {
            (run.0, run.1 + 1)
        } else {
            (Some(c), 1)
        };
        run.1 >= 3 && c.is_alphabetic()
    })
}

/// `word` with every run of three or more of one letter cut to `keep` of it.
fn cut_stretches(word: &str, keep: usize) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let run = chars[at..].iter().take_while(|d| **d == c).count();
        let kept = if run >= 3 && c.is_alphabetic() {
            keep
        } else {
            run
        };
        out.extend(std::iter::repeat_n(c, kept));
        at += run;
    }
    out
}

fn one_deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len())
        .map(|skip| {
            chars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, c)| c)
                .collect()
        })
        .collect()
}

fn build_synonyms(
    table: &BTreeMap<String, Vec<String>>,
    lang: Lang,
) -> Option<(AhoCorasick, Vec<String>)> {
    let empty = Extraction::default();
    let mut patterns = Vec::new();
    let mut replacements = Vec::new();
    let mut inflected = Vec::new();
    for (canonical, variants) in table {
        let target = format!(" {} ", words(canonical, &empty).join(" "));
        for variant in variants {
            let variant_words = words(variant, &empty);
            let pattern = format!(" {} ", variant_words.join(" "));
            if pattern.trim().is_empty() || pattern == target {
                continue;
            }
            patterns.push(pattern);
            replacements.push(target.clone());
            // Phrasal variants ("log in", "sign up") also match with their first word
            // inflected ("logged in", "signs up"); stemming only runs after synonyms.
            if let [first, rest @ ..] = variant_words.as_slice()
                && !rest.is_empty()
                && lang == Lang::En
            {
                for form in inflections(first) {
                    inflected.push((format!(" {form} {} ", rest.join(" ")), target.clone()));
                }
            }
        }
    }
    // Variants written out win over generated forms.
    let written: FxHashSet<String> = patterns.iter().cloned().collect();
    for (pattern, target) in inflected {
        if !written.contains(&pattern) {
            patterns.push(pattern);
            replacements.push(target);
        }
    }
    if patterns.is_empty() {
        return None;
    }
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&patterns)
        .ok()?;
    Some((ac, replacements))
}

/// Regular English inflections of a word ("log" → "logs", "logged", "logging"). Forms
/// that are not words ("openned") are harmless: nobody types them.
fn inflections(word: &str) -> Vec<String> {
    let bytes = word.as_bytes();
    if bytes.len() < 2 || !bytes.iter().all(u8::is_ascii_lowercase) {
        return Vec::new();
    }
    let vowel = |b: u8| b"aeiou".contains(&b);
    let last = bytes[bytes.len() - 1];
    let mut forms = vec![format!("{word}s")];
    if last == b'e' {
        let stem = &word[..word.len() - 1];
        forms.extend([format!("{word}d"), format!("{stem}ing")]);
    } else {
        forms.extend([format!("{word}ed"), format!("{word}ing")]);
    }
    if last == b'y' && !vowel(bytes[bytes.len() - 2]) {
        let stem = &word[..word.len() - 1];
        forms.extend([format!("{stem}ies"), format!("{stem}ied")]);
    }
    if matches!(last, b's' | b'x' | b'z' | b'h') {
        forms.push(format!("{word}es"));
    }
    if !vowel(last) && !matches!(last, b'w' | b'x' | b'y') && vowel(bytes[bytes.len() - 2]) {
        let doubled = last as char;
        forms.extend([format!("{word}{doubled}ed"), format!("{word}{doubled}ing")]);
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(synonyms: &[(&str, &[&str])], vocab: &str) -> Normalizer {
        let table = synonyms
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect();
        Normalizer::new(Lang::En, &table, std::iter::once(vocab))
    }

    fn stems(n: &Normalizer, text: &str) -> Vec<String> {
        n.terms(text, &Extraction::default())
    }

    #[test]
    fn expands_contractions_and_folds_case() {
        let e = Extraction::default();
        assert_eq!(
            words("What's my STATUS?", &e),
            ["what", "is", "my", "status"]
        );
        assert_eq!(
            words("I can't log in, dont know why", &e),
            ["i", "can", "not", "log", "in", "do", "not", "know", "why"]
        );
        assert_eq!(words("I’m locked", &e), ["i", "am", "locked"]);
        assert_eq!(words("ＡＣＣＯＵＮＴ", &e), ["account"]);
        assert_eq!(
            words("my A-number, A# or e-mail", &e),
            ["my", "anumber", "anumber", "or", "email"]
        );
        assert_eq!(
            words("what is an A number", &e),
            ["what", "is", "an", "anumber"]
        );
        assert_eq!(
            words("is my a number on it", &e),
            ["is", "my", "anumber", "on", "it"]
        );
        assert_eq!(words("pick a number", &e), ["pick", "a", "number"]);
        assert_eq!(
            words("my account # and USCIS#", &e),
            ["my", "account", "number", "and", "uscis", "number"]
        );
    }

    #[test]
    fn reads_stretched_words_as_the_word_they_stretch() {
        let n = norm(&[], "why is my case taking so long please help me");
        assert_eq!(
            n.canonical(
                "whyyy is it taking soooo long pleeeaseee helppp",
                &Extraction::default()
            ),
            " why is it taking so long please help "
        );
        assert_eq!(
            n.canonical("zzzz qqq", &Extraction::default()),
            " zzzz qqq ",
            "a run that stretches no known word stays as typed"
        );
        assert_eq!(cut_stretches("soooo", 2), "soo");
        assert_eq!(cut_stretches("book", 1), "book", "two in a row is spelling");
    }

    #[test]
    fn corrects_one_typo_in_longer_words() {
        let n = norm(&[], "account password receipt number access");
        assert_eq!(stems(&n, "acount"), stems(&n, "account"));
        assert_eq!(stems(&n, "acces"), stems(&n, "access"));
        assert_eq!(stems(&n, "numbr"), stems(&n, "number"));
        assert_eq!(stems(&n, "pasword"), stems(&n, "password"));
        assert_eq!(stems(&n, "recipt"), stems(&n, "receipt"));
        assert_eq!(stems(&n, "reciept"), stems(&n, "receipt"));
        assert_ne!(
            stems(&n, "acnt"),
            stems(&n, "account"),
            "short words are left alone"
        );
    }

    #[test]
    fn applies_synonyms_on_whole_words() {
        let n = norm(&[("login", &["log in", "sign in", "signin"])], "login");
        assert_eq!(stems(&n, "how do I sign in"), stems(&n, "how do I login"));
        assert_eq!(stems(&n, "design in"), ["design"], "no match inside a word");
    }

    #[test]
    fn phrasal_synonyms_match_with_their_first_word_inflected() {
        let n = norm(
            &[
                ("login", &["log in", "sign in"]),
                ("signup", &["sign up", "set up an account", "signing up"]),
            ],
            "login signup",
        );
        for said in ["i logged in", "logs in", "signed in", "logging in"] {
            assert_eq!(stems(&n, said), ["login"], "{said}");
        }
        for said in [
            "signs up",
            "signed up",
            "setting up an account",
            "sets up an account",
        ] {
            assert_eq!(stems(&n, said), ["signup"], "{said}");
        }
        assert_eq!(
            stems(&n, "logged"),
            ["log"],
            "one word alone is not the phrase"
        );
    }

    #[test]
    fn applies_synonyms_next_to_each_other() {
        let n = norm(
            &[
                ("usps", &["post office"]),
                ("returned", &["could not deliver"]),
            ],
            "usps returned",
        );
        assert_eq!(
            stems(&n, "the post office couldn't deliver it"),
            ["usp", "return"]
        );
    }

    #[test]
    fn one_edit_check_agrees_with_edit_distance() {
        let words = [
            "account", "acount", "accuont", "accounts", "acc0unt", "ccount", "accoun", "xaccount",
            "recipt", "receipt", "reciept", "bank",
        ];
        for a in words {
            for b in words {
                assert_eq!(within_one_edit(a, b), edit_distance(a, b) <= 1, "{a} {b}");
            }
        }
    }

    #[test]
    fn one_edit_check_agrees_with_edit_distance_beyond_ascii() {
        let words = [
            "résumé",
            "resume",
            "résume",
            "rèsumé",
            "résuméé",
            "ésumé",
            "rséumé",
            "naïve",
            "naive",
        ];
        for a in words {
            for b in words {
                assert_eq!(within_one_edit(a, b), edit_distance(a, b) <= 1, "{a} {b}");
            }
        }
    }

    #[test]
    fn typos_of_the_longest_word_are_corrected_and_longer_words_skipped() {
        let n = norm(&[], "account password");
        assert_eq!(stems(&n, "passwordd"), stems(&n, "password"));
        assert_ne!(stems(&n, "passwordxy"), stems(&n, "password"));
        assert_eq!(
            stems(&n, "passworddd"),
            stems(&n, "password"),
            "a stretched letter is not a typo"
        );
        assert_eq!(n.correct(&"ab".repeat(20_000), &mut 1), None);
    }

    #[test]
    fn message_words_stop_before_the_word_that_passes_the_cap() {
        let e = Extraction::default();
        let short = "What's my A number? I-485 and ＡＣＣＯＵＮＴ #";
        assert_eq!(message_words(short, &e), joined_words(short, &e));
        for unit in ["\u{FDFA}", "\u{FB03}. ", "#", "id ", "\u{BC}"] {
            let text = unit.repeat(2000);
            let capped = message_words(&text, &e);
            let count = capped.split_whitespace().count();
            let chars = capped.chars().count();
            assert!(capped.len() <= MAX_MESSAGE_WORD_BYTES, "{unit}");
            assert!(chars <= MAX_MESSAGE_WORD_CHARS, "{unit}");
            assert!(count <= MAX_MESSAGE_WORDS, "{unit}");
            // Folded text is cut before it is split into words, so marks between the words
            // ("ﬃ. ") count towards the cut too.
            assert!(
                capped.len() > MAX_MESSAGE_WORD_BYTES / 2
                    || chars > MAX_MESSAGE_WORD_CHARS * 3 / 4
                    || count == MAX_MESSAGE_WORDS,
                "{unit}: {} bytes, {chars} characters, {count} words",
                capped.len()
            );
            assert!(joined_words(&text, &e).starts_with(&capped), "{unit}");
        }
        // One word longer than the cap is left out whole.
        assert_eq!(message_words(&"\u{3316}".repeat(2000), &e), " ");
    }

    #[test]
    fn no_message_of_the_text_limit_in_any_script_is_cut_unless_folding_lengthens_it() {
        let e = Extraction::default();
        // Letters of one, two, three and four bytes, in words of five with a space.
        for letter in ['q', 'ж', 'ب', '漢', '\u{20000}'] {
            let word: String = std::iter::repeat_n(letter, 5).collect();
            let text = vec![word; 2000 / 6].join(" ");
            let words = joined_words(&text, &e);
            assert_eq!(message_words(&text, &e), words, "{letter}");
        }
    }

    #[test]
    fn typo_correction_stops_after_its_share_of_searches() {
        let n = norm(&[], "password");
        let typos = format!(
            "password pass word 12345678 {}",
            "pasword ".repeat(MAX_TYPO_SEARCHES + 1)
        );
        let fixed = n.canonical(&typos, &Extraction::default());
        assert_eq!(
            fixed.matches("password").count(),
            MAX_TYPO_SEARCHES + 1,
            "known, short and numeric words take no search: {fixed}"
        );
        assert!(
            fixed.ends_with(" pasword "),
            "the last one stays as typed: {fixed}"
        );
    }

    #[test]
    fn word_characters_are_told_apart_as_unicode_does_whatever_was_asked_before() {
        let mut inside = WordChars::default();
        let sample = (0..0x3400u32)
            .chain(0x1_0000..0x1_0400)
            .filter_map(char::from_u32);
        for c in sample.clone().chain(sample.rev()) {
            let expected = c.is_alphanumeric() || c == '\'';
            assert_eq!(inside.is_word_char(c), expected, "{c:?}");
        }
    }

    #[test]
    fn drops_stop_words_and_stems() {
        let n = norm(&[], "");
        assert_eq!(
            stems(&n, "the notifications for my cases"),
            ["notif", "case"]
        );
    }
}
