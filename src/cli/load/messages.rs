//! The messages a load run sends: a built-in set of realistic questions, or one message per
//! line of a file.

use std::path::{Path, PathBuf};

/// Longest message taken from a file, in characters (the server's default limit).
const MAX_CHARS: usize = 1000;

/// What visitors typically type: FAQ questions, small talk, and case questions with
/// receipt numbers, A-numbers and account numbers in the forms people write them.
const DEFAULT: &[&str] = &[
    "what is the status of my case",
    "what's the status of EAC2290112233?",
    "can u tell me the status of LIN2190012345 please",
    "how do I create an online account",
    "I forgot my password",
    "what is an A-number",
    "my A-number is A012345678, where do I find my receipt number",
    "how long does an I-485 take",
    "how do I change my address",
    "hello",
    "where is my case IOE 09 123 45678",
    "what does EAC mean",
    "I did not receive my notice",
    "can I request premium processing for an I-129",
    "how do I respond to a request for evidence",
    "what is my online account number 123456789012",
    "how do I reschedule my biometrics appointment",
    "my case is taking too long",
    "thanks",
    "what are your hours",
];

/// Why a messages file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MessagesError {
    /// The file could not be read.
    #[error("cannot read messages from {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The file was read but its content is refused.
    #[error("{}: {problem}", path.display())]
    Content {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: ContentError,
    },
}

/// What is wrong with the content of a messages file.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// A line is longer than the server takes.
    #[error("line {line}: message longer than {} characters", MAX_CHARS)]
    TooLong {
        /// Its number, from 1.
        line: usize,
    },
    /// Not one message in the file.
    #[error("no messages (one per line; blank lines and # comments are skipped)")]
    Empty,
}

/// The built-in messages.
pub fn default_messages() -> Vec<String> {
    DEFAULT.iter().map(|m| m.to_string()).collect()
}

/// Reads one message per line from `path`, skipping blank lines and lines starting with
/// `#`. Errors name the file and, for a bad line, its number.
pub fn read_messages(path: &Path) -> Result<Vec<String>, MessagesError> {
    let text = std::fs::read_to_string(path).map_err(|source| MessagesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_messages(&text).map_err(|problem| MessagesError::Content {
        path: path.to_path_buf(),
        problem,
    })
}

fn parse_messages(text: &str) -> Result<Vec<String>, ContentError> {
    let mut messages = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.chars().count() > MAX_CHARS {
            return Err(ContentError::TooLong { line: n + 1 });
        }
        messages.push(line.to_string());
    }
    if messages.is_empty() {
        return Err(ContentError::Empty);
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_blanks_and_comments() {
        let got = parse_messages("# questions\n\n  hello  \nEAC2290112233\n").unwrap();
        assert_eq!(got, ["hello", "EAC2290112233"]);
    }

    #[test]
    fn refuses_empty_files_and_overlong_lines() {
        assert_eq!(
            parse_messages("# only a comment\n\n"),
            Err(ContentError::Empty)
        );
        let long = format!("ok\n{}\n", "x".repeat(MAX_CHARS + 1));
        let err = parse_messages(&long).unwrap_err();
        assert_eq!(err, ContentError::TooLong { line: 2 });
        assert_eq!(
            err.to_string(),
            format!("line 2: message longer than {MAX_CHARS} characters")
        );
    }
}
