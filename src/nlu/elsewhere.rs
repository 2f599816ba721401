//! Recognizes messages about things other organizations handle ("reset my gmail password",
//! "renew my passport"), from the `[[elsewhere]]` tables of the content.
//!
//! The matcher alone cannot tell these apart from USCIS questions: "reset my gmail password"
//! shares its two telling words with "reset my password", and the word "gmail" weighs no more
//! than any word casebot has never seen (which may as well be a typo or a name). A curated
//! name is different: it says for certain that the message is about something else. Such a
//! message is told casebot can't help with that topic, unless
//! * the content talks about that name itself (an article that mentions passports makes
//!   "passport" an ordinary word; so does a synonym or domain word that uses it), or
//! * the message is also tied to USCIS: it carries a case identifier or form number, or
//!   says one of the `domain_words` ("I lost my passport and my green card").

use aho_corasick::{AhoCorasick, MatchKind};

use super::content::Content;
use super::extract::{EntityKind, Extraction};
use super::normalize::{self, Normalizer};

/// One word of a domain phrase, as the matcher sees it.
enum DomainStem {
    /// A term the content uses.
    Term(u32),
    /// A stem no intent or article uses (found among the message's unknown words).
    Unknown(String),
}

/// The compiled `[[elsewhere]]` names and `domain_words` of one content version.
pub struct ElsewhereIndex {
    /// Every name and its plural, as `" word word "`, leftmost-longest.
    names: Option<AhoCorasick>,
    /// Pattern → index of the name it spells.
    pattern_name: Vec<u32>,
    /// Name → its table's index, or `None` when the content uses the name itself.
    name_topic: Vec<Option<u32>>,
    /// Each table's topic.
    topics: Vec<String>,
    /// Each domain word as the stems of its words.
    domain: Vec<Vec<DomainStem>>,
}

/// Plural forms of joined `words` (`" w1 w2 "`): the last word with `s`, and for a name
/// of several words the first word with `s` (`es` after a consonant). Forms already plural
/// are left alone.
fn plurals(words: &str) -> Vec<String> {
    let list: Vec<&str> = words.split_whitespace().collect();
    let plural = |w: &str| {
        if w.ends_with('s') {
            None
        } else if w.ends_with(['a', 'e', 'i', 'o', 'u']) {
            Some(format!("{w}s"))
        } else {
            Some(format!("{w}es"))
        }
    };
    let mut forms = Vec::new();
    if let Some(last) = list.last()
        && !last.ends_with('s')
    {
        let mut w = list.clone();
        let last = format!("{last}s");
        *w.last_mut().expect("a word") = &last;
        forms.push(format!(" {} ", w.join(" ")));
    }
    if list.len() > 1
        && let Some(first) = plural(list[0])
    {
        let mut w = list.clone();
        w[0] = &first;
        forms.push(format!(" {} ", w.join(" ")));
    }
    forms
}

impl ElsewhereIndex {
    /// Compiles the names and domain words. `texts` are every text of the content (a name
    /// found in one of them is the content's own word); `term_id` gives the matcher's term
    /// id of a stem.
    pub fn build<'a>(
        content: &Content,
        texts: impl Iterator<Item = &'a str>,
        normalizer: &Normalizer,
        term_id: impl Fn(&str) -> Option<u32>,
    ) -> ElsewhereIndex {
        let none = Extraction::default();
        let mut patterns = Vec::new();
        let mut pattern_name = Vec::new();
        let mut name_topic = Vec::new();
        for (topic, group) in content.elsewhere.iter().enumerate() {
            for name in &group.def.names {
                let words = normalize::joined_words(name.get_ref(), &none);
                if words.trim().is_empty() {
                    continue;
                }
                let index = name_topic.len() as u32;
                name_topic.push(Some(topic as u32));
                // "iphone" also names "iphones"; a name of several words also takes the
                // plural on its first word, as Spanish does ("oficinas del seguro social").
                for plural in plurals(&words) {
                    patterns.push(plural);
                    pattern_name.push(index);
                }
                patterns.push(words);
                pattern_name.push(index);
            }
        }
        let names = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&patterns)
                .expect("plain-text names compile")
        });
        if let Some(automaton) = &names {
            for text in texts {
                for pattern in each_match(automaton, &normalize::joined_words(text, &none)) {
                    name_topic[pattern_name[pattern] as usize] = None;
                }
            }
        }
        let domain = content
            .domain_words
            .iter()
            .map(|d| {
                normalizer
                    .terms(d.word.get_ref(), &none)
                    .into_iter()
                    .map(|stem| match term_id(&stem) {
                        Some(id) => DomainStem::Term(id),
                        None => DomainStem::Unknown(stem),
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|stems| !stems.is_empty())
            .collect();
        ElsewhereIndex {
            names,
            pattern_name,
            name_topic,
            topics: content
                .elsewhere
                .iter()
                .map(|g| g.def.topic.get_ref().clone())
                .collect(),
            domain,
        }
    }

    /// The table whose name the message says, if the content does not talk about that name
    /// itself; `words` is the message as [`normalize::joined_words`] splits it. Whether the
    /// message is also tied to USCIS is [`ElsewhereIndex::tied_to_uscis`].
    pub fn named(&self, words: &str) -> Option<u32> {
        let automaton = self.names.as_ref()?;
        each_match(automaton, words).find_map(|p| self.name_topic[self.pattern_name[p] as usize])
    }

    /// Whether the message is about USCIS whatever else it names: it carries a case
    /// identifier or a form number, or says a domain word. `ids` are its known terms,
    /// `unknown_stems` the stems of its words no content uses.
    pub fn tied_to_uscis(
        &self,
        extraction: &Extraction,
        ids: &[u32],
        unknown_stems: &[String],
    ) -> bool {
        let identifies = extraction.entities.iter().any(|e| {
            matches!(
                e.kind,
                EntityKind::ReceiptNumber
                    | EntityKind::ANumber
                    | EntityKind::AccountNumber
                    | EntityKind::FormNumber
            )
        });
        identifies
            || self.domain.iter().any(|stems| {
                stems.iter().all(|s| match s {
                    DomainStem::Term(id) => ids.contains(id),
                    DomainStem::Unknown(stem) => unknown_stems.contains(stem),
                })
            })
    }

    /// The topic of a table, as the reply names it.
    pub fn topic(&self, index: u32) -> &str {
        &self.topics[index as usize]
    }
}

/// Pattern indexes of every name in `haystack`, including a name right after another:
/// names are padded with spaces, so each search restarts at the space that ended the last
/// match.
fn each_match<'a>(
    automaton: &'a AhoCorasick,
    haystack: &'a str,
) -> impl Iterator<Item = usize> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        let m = automaton.find(aho_corasick::Input::new(haystack).range(from..))?;
        from = m.end() - 1;
        Some(m.pattern().as_usize())
    })
}

#[cfg(test)]
mod tests {
    use super::plurals;

    #[test]
    fn names_take_the_plural_on_their_last_and_first_words() {
        assert_eq!(plurals(" iphone "), [" iphones "]);
        assert_eq!(plurals(" aws "), Vec::<String>::new());
        assert_eq!(
            plurals(" oficina del seguro social "),
            [
                " oficina del seguro socials ",
                " oficinas del seguro social "
            ]
        );
        assert_eq!(
            plurals(" licencia de conducir "),
            [" licencia de conducirs ", " licencias de conducir "]
        );
        assert_eq!(plurals(" red social "), [" red socials ", " redes social "]);
    }
}
