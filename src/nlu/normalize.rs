//! Text normalization shared by intents and knowledge articles: Unicode NFKC and case
//! folding, contractions, identifier placeholders, typo tolerance, synonyms, stop words and
//! stemming. Content is normalized through exactly the same steps when the matcher is
//! compiled, so a message and an example meet in the same form.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

use super::extract::{EntityKind, Extraction};

/// Words that carry no meaning for matching. Question words (what, how, where, ...) are not
/// here: they separate "what is X" from "how do I get X".
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "am", "was", "were", "be", "been", "being", "i", "me", "my", "mine",
    "myself", "we", "us", "our", "you", "your", "yours", "it", "its", "this", "that", "these", "those", "to",
    "of", "for", "in", "on", "at", "by", "with", "from", "and", "or", "but", "so", "if", "as", "do", "does",
    "did", "have", "has", "had", "can", "could", "would", "should", "will", "shall", "may", "might", "must",
    "please", "pls", "plz", "there", "here", "just", "also", "about", "some", "any", "again", "then",
    "than", "very", "really", "u", "ur", "ok", "okay", "um", "uh", "guys", "would", "kindly", "want",
    "wanna", "like", "need", "know", "tell", "let", "im", "now", "yet", "still",
];

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
    let mut out = Vec::with_capacity(16);
    let mut at = 0;
    for entity in &extraction.entities {
        if entity.start < at || entity.end > text.len() {
            continue;
        }
        split_words(&text[at..entity.start], &mut out);
        out.push(placeholder(entity.kind).to_string());
        if entity.kind == EntityKind::FormNumber {
            out.push(entity.value.to_lowercase().replace('-', ""));
        }
        at = entity.end;
    }
    split_words(&text[at..], &mut out);
    out
}

fn split_words(text: &str, out: &mut Vec<String>) {
    let folded = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.nfkc().collect::<String>().to_lowercase().replace(['’', '‘', 'ʼ', '`'], "'")
    };
    let folded = join_letter_prefixes(&folded);
    for raw in folded.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        let word = raw.trim_matches('\'');
        if word.is_empty() {
            continue;
        }
        expand_contraction(word, out);
    }
}

/// Joins a lone letter to the word after it: "a-number" and "a#" → "anumber", "e-mail" →
/// "email", so such compounds survive the split on punctuation.
fn join_letter_prefixes(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let joins = |i: usize| {
        (bytes[i] == b'-' || bytes[i] == b'#')
            && i >= 1
            && bytes[i - 1].is_ascii_alphabetic()
            && (i < 2 || !bytes[i - 2].is_ascii_alphanumeric())
    };
    if !(1..bytes.len()).any(joins) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        if c.is_ascii() && joins(i) {
            if bytes[i] == b'#' {
                out.push_str("number");
            }
            continue;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// "what's" → "what is", "can't"/"cant" → "can not", "i'm" → "i am", ...
fn expand_contraction(word: &str, out: &mut Vec<String>) {
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
        out.extend(parts.iter().map(|p| p.to_string()));
        return;
    }
    if let Some((stem, suffix)) = word.rsplit_once('\'') {
        let tail = match suffix {
            "t" if stem.ends_with('n') => {
                out.push(stem[..stem.len() - 1].to_string());
                "not"
            }
            "s" => {
                out.push(stem.to_string());
                if matches!(stem, "what" | "where" | "how" | "who" | "it" | "that" | "there" | "here") {
                    "is"
                } else {
                    return;
                }
            }
            "re" => {
                out.push(stem.to_string());
                "are"
            }
            "ll" => {
                out.push(stem.to_string());
                "will"
            }
            "ve" => {
                out.push(stem.to_string());
                "have"
            }
            "d" => {
                out.push(stem.to_string());
                "would"
            }
            "m" => {
                out.push(stem.to_string());
                "am"
            }
            _ => {
                out.push(word.replace('\'', ""));
                return;
            }
        };
        out.push(tail.to_string());
        return;
    }
    out.push(word.to_string());
}

/// Folds text for comparing two utterances as "the same" (case, spacing, punctuation).
pub fn fold_for_compare(text: &str) -> String {
    let mut out = Vec::new();
    split_words(text, &mut out);
    out.join(" ")
}

/// Damerau-Levenshtein (optimal string alignment) distance between two strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        d[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Shortest word the typo corrector touches; shorter words are too easily confused.
const MIN_TYPO_LEN: usize = 5;

/// The vocabulary-dependent part of normalization: typo correction against the words the
/// content uses, synonyms, stop words and stems. Built once per content version.
pub struct Normalizer {
    /// Multi-word and single-word variants, matched on whole words.
    synonyms: Option<(AhoCorasick, Vec<String>)>,
    /// Every word the content uses, with how often (to pick among typo candidates).
    vocabulary: HashMap<String, u32>,
    /// Each vocabulary word with one character deleted → the words it came from.
    deletions: HashMap<String, Vec<u32>>,
    /// Vocabulary words by index (for `deletions`).
    words: Vec<String>,
    stop: HashSet<&'static str>,
    stemmer: Stemmer,
}

impl Normalizer {
    /// Builds the normalizer from the synonym table and every text of the content.
    pub fn new<'a>(synonyms: &BTreeMap<String, Vec<String>>, texts: impl Iterator<Item = &'a str>) -> Self {
        let mut vocabulary: HashMap<String, u32> = HashMap::new();
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
        let words_list: Vec<String> = vocabulary.keys().filter(|w| w.chars().count() >= MIN_TYPO_LEN - 1).cloned().collect();
        let mut deletions: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, w) in words_list.iter().enumerate() {
            if w.chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            for d in one_deletions(w) {
                deletions.entry(d).or_default().push(i as u32);
            }
        }
        let synonyms = build_synonyms(synonyms);
        Normalizer {
            synonyms,
            vocabulary,
            deletions,
            words: words_list,
            stop: STOP_WORDS.iter().copied().collect(),
            stemmer: Stemmer::create(Algorithm::English),
        }
    }

    /// Normalizes a message (or an example) into stemmed matching terms.
    pub fn terms(&self, text: &str, extraction: &Extraction) -> Vec<String> {
        let raw = words(text, extraction);
        let mut joined = String::with_capacity(text.len() + 8);
        joined.push(' ');
        for w in &raw {
            joined.push_str(self.correct(w).unwrap_or(w));
            joined.push(' ');
        }
        let joined = match &self.synonyms {
            Some((ac, replacements)) => {
                let mut out = String::with_capacity(joined.len());
                ac.replace_all_with(&joined, &mut out, |m, _, dst| {
                    dst.push_str(&replacements[m.pattern().as_usize()]);
                    true
                });
                out
            }
            None => joined,
        };
        joined
            .split(' ')
            .filter(|w| !w.is_empty() && !self.stop.contains(w))
            .map(|w| self.stemmer.stem(w).into_owned())
            .collect()
    }

    /// The vocabulary word one edit away from `word`, when `word` is not itself known.
    fn correct(&self, word: &str) -> Option<&str> {
        let len = word.chars().count();
        if len < MIN_TYPO_LEN || self.vocabulary.contains_key(word) || word.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut best: Option<(u32, &str)> = None;
        let mut consider = |cand: &'_ str| {
            if edit_distance(word, cand) <= 1
                && let Some((known, freq)) = self.vocabulary.get_key_value(cand)
                && best.is_none_or(|(f, b)| *freq > f || (*freq == f && known.as_str() < b))
            {
                best = Some((*freq, known.as_str()));
            }
        };
        let lookup = |key: &str| self.deletions.get(key).into_iter().flatten();
        for i in lookup(word) {
            consider(&self.words[*i as usize]);
        }
        for d in one_deletions(word) {
            for i in lookup(&d) {
                consider(&self.words[*i as usize]);
            }
            consider(&d);
        }
        best.map(|(_, w)| w)
    }
}

fn one_deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len())
        .map(|skip| chars.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, c)| c).collect())
        .collect()
}

fn build_synonyms(table: &BTreeMap<String, Vec<String>>) -> Option<(AhoCorasick, Vec<String>)> {
    let empty = Extraction::default();
    let mut patterns = Vec::new();
    let mut replacements = Vec::new();
    for (canonical, variants) in table {
        let target = format!(" {} ", words(canonical, &empty).join(" "));
        for variant in variants {
            let pattern = format!(" {} ", words(variant, &empty).join(" "));
            if pattern.trim().is_empty() || pattern == target {
                continue;
            }
            patterns.push(pattern);
            replacements.push(target.clone());
        }
    }
    if patterns.is_empty() {
        return None;
    }
    let ac = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&patterns).ok()?;
    Some((ac, replacements))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(synonyms: &[(&str, &[&str])], vocab: &str) -> Normalizer {
        let table = synonyms
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect();
        Normalizer::new(&table, std::iter::once(vocab))
    }

    fn stems(n: &Normalizer, text: &str) -> Vec<String> {
        n.terms(text, &Extraction::default())
    }

    #[test]
    fn expands_contractions_and_folds_case() {
        let e = Extraction::default();
        assert_eq!(words("What's my STATUS?", &e), ["what", "is", "my", "status"]);
        assert_eq!(words("I can't log in, dont know why", &e), ["i", "can", "not", "log", "in", "do", "not", "know", "why"]);
        assert_eq!(words("I’m locked", &e), ["i", "am", "locked"]);
        assert_eq!(words("ＡＣＣＯＵＮＴ", &e), ["account"]);
        assert_eq!(words("my A-number, A# or e-mail", &e), ["my", "anumber", "anumber", "or", "email"]);
    }

    #[test]
    fn corrects_one_typo_in_longer_words() {
        let n = norm(&[], "account password receipt number");
        assert_eq!(stems(&n, "acount"), stems(&n, "account"));
        assert_eq!(stems(&n, "pasword"), stems(&n, "password"));
        assert_eq!(stems(&n, "recipt"), stems(&n, "receipt"));
        assert_eq!(stems(&n, "reciept"), stems(&n, "receipt"));
        assert_ne!(stems(&n, "acnt"), stems(&n, "account"), "short words are left alone");
    }

    #[test]
    fn applies_synonyms_on_whole_words() {
        let n = norm(&[("login", &["log in", "sign in", "signin"])], "login");
        assert_eq!(stems(&n, "how do I sign in"), stems(&n, "how do I login"));
        assert_eq!(stems(&n, "design in"), ["design"], "no match inside a word");
    }

    #[test]
    fn drops_stop_words_and_stems() {
        let n = norm(&[], "");
        assert_eq!(stems(&n, "the notifications for my cases"), ["notif", "case"]);
    }
}
