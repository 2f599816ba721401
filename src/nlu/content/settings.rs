//! The `[settings]` table: how sure casebot must be before it answers, for authors who want
//! more or fewer fallbacks than the defaults give. Any intents file of a language may hold
//! it, once (the shipped content keeps it in `settings.toml`).

use serde::Deserialize;
use toml::Spanned;

/// Confidence from which the best candidate answers, unless the content says otherwise.
/// Chosen on CLINC150's `val` split and the project's own question sets together (see
/// docs/performance.md, "Where the threshold comes from").
pub const DEFAULT_ANSWER_THRESHOLD: f32 = 0.45;
/// Confidence from which a candidate is offered as a "did you mean" suggestion.
pub const DEFAULT_SUGGEST_THRESHOLD: f32 = 0.2;

/// A `[settings]` table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsDef {
    /// Confidence from which the best candidate answers.
    pub answer_threshold: Option<Spanned<f32>>,
    /// Confidence from which a candidate is offered as a suggestion.
    pub suggest_threshold: Option<Spanned<f32>>,
}

/// The settings in force for one language.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Confidence from which the best candidate answers.
    pub answer_threshold: f32,
    /// Confidence from which a candidate is offered as a suggestion.
    pub suggest_threshold: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            answer_threshold: DEFAULT_ANSWER_THRESHOLD,
            suggest_threshold: DEFAULT_SUGGEST_THRESHOLD,
        }
    }
}

impl SettingsDef {
    /// The settings this table sets (defaults for what it leaves out), and each problem
    /// with the byte offset of the value it is about: a value outside (0, 1), or a
    /// suggestion threshold above the answer threshold. A bad value keeps its default.
    pub fn resolve(&self) -> (Settings, Vec<(usize, String)>) {
        let mut settings = Settings::default();
        let mut problems = Vec::new();
        for (value, slot, name) in [
            (
                &self.answer_threshold,
                &mut settings.answer_threshold,
                "answer_threshold",
            ),
            (
                &self.suggest_threshold,
                &mut settings.suggest_threshold,
                "suggest_threshold",
            ),
        ] {
            let Some(value) = value else { continue };
            let v = *value.get_ref();
            if v.is_finite() && v > 0.0 && v < 1.0 {
                *slot = v;
            } else {
                problems.push((
                    value.span().start,
                    format!("`{name}` is {v}; it is a confidence, between 0 and 1 (exclusive)"),
                ));
            }
        }
        if settings.suggest_threshold > settings.answer_threshold {
            let at = self
                .suggest_threshold
                .as_ref()
                .or(self.answer_threshold.as_ref())
                .map_or(0, |v| v.span().start);
            problems.push((
                at,
                format!(
                    "`suggest_threshold` ({}) is above `answer_threshold` ({}): a suggestion would be surer than an answer",
                    settings.suggest_threshold, settings.answer_threshold
                ),
            ));
        }
        (settings, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        settings: SettingsDef,
    }

    fn resolve(text: &str) -> (Settings, Vec<(usize, String)>) {
        toml::from_str::<File>(text).unwrap().settings.resolve()
    }

    #[test]
    fn the_table_sets_the_thresholds_and_leaves_the_rest_at_their_defaults() {
        let (settings, problems) =
            resolve("[settings]\nanswer_threshold = 0.6\nsuggest_threshold = 0.25\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            (settings.answer_threshold, settings.suggest_threshold),
            (0.6, 0.25)
        );
        let (settings, _) = resolve("[settings]\nanswer_threshold = 0.7\n");
        assert_eq!(settings.suggest_threshold, DEFAULT_SUGGEST_THRESHOLD);
    }

    #[test]
    fn bad_values_are_named_where_they_are_written() {
        let text = "[settings]\nanswer_threshold = 1.5\n";
        let (settings, problems) = resolve(text);
        assert_eq!(
            settings,
            Settings::default(),
            "a bad value keeps its default"
        );
        let (at, message) = &problems[0];
        assert_eq!(&text[*at..*at + 3], "1.5");
        assert!(message.contains("between 0 and 1"), "{message}");
        let (_, problems) =
            resolve("[settings]\nanswer_threshold = 0.3\nsuggest_threshold = 0.4\n");
        assert!(
            problems[0].1.contains("above `answer_threshold`"),
            "{problems:?}"
        );
        assert!(toml::from_str::<File>("[settings]\nanswer_treshold = 0.5\n").is_err());
    }
}
