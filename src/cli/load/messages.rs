//! The messages a load run sends: a built-in set of realistic questions, or one message per
//! line of a file.

use std::path::Path;

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

/// The built-in messages.
pub fn default_messages() -> Vec<String> {
    DEFAULT.iter().map(|m| m.to_string()).collect()
}

/// Reads one message per line from `path`, skipping blank lines and lines starting with
/// `#`. Errors name the file and, for a bad line, its number.
pub fn read_messages(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read messages from {}: {e}", path.display()))?;
    parse_messages(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_messages(text: &str) -> Result<Vec<String>, String> {
    let mut messages = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.chars().count() > MAX_CHARS {
            return Err(format!(
                "line {}: message longer than {MAX_CHARS} characters",
                n + 1
            ));
        }
        messages.push(line.to_string());
    }
    if messages.is_empty() {
        return Err("no messages (one per line; blank lines and # comments are skipped)".into());
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
        assert!(parse_messages("# only a comment\n\n").is_err());
        let long = format!("ok\n{}\n", "x".repeat(MAX_CHARS + 1));
        assert!(parse_messages(&long).unwrap_err().starts_with("line 2:"));
    }
}
