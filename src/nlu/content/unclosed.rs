//! Finds a string that is not closed in a TOML text. The TOML parser notices such a
//! mistake only where it stops making sense (often a line further down, as a "missing
//! comma" inside an array), so the diagnostic points at the opening quote instead.

/// A string whose closing quote is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unclosed {
    /// Byte offset of the opening quote.
    pub at: usize,
    /// The quote that would close it: `"`, `'`, `"""` or `'''`.
    pub quote: &'static str,
}

impl Unclosed {
    /// What to tell the author.
    pub fn message(&self) -> String {
        let quote = self.quote;
        if quote.len() == 3 {
            format!("the string that starts here is never closed: end it with `{quote}`")
        } else {
            format!(
                "the string that starts here is not closed: end it with `{quote}` on the same line"
            )
        }
    }
}

/// The first string in `toml` that is not closed: a one-line string that reaches the end
/// of its line, or a multi-line one that reaches the end of the text. Comments are skipped,
/// and escapes are honoured in `"` strings.
pub fn first_unclosed(toml: &str) -> Option<Unclosed> {
    let bytes = toml.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => i = end_of_line(bytes, i),
            quote @ (b'"' | b'\'') => {
                let triple = bytes[i..].starts_with(&[quote; 3]);
                let end = if triple {
                    close_multi_line(bytes, i + 3, quote)
                } else {
                    close_one_line(bytes, i + 1, quote)
                };
                match end {
                    Some(end) => i = end,
                    None => {
                        let quote = match (quote, triple) {
                            (b'"', false) => "\"",
                            (b'"', true) => "\"\"\"",
                            (_, false) => "'",
                            (_, true) => "'''",
                        };
                        return Some(Unclosed { at: i, quote });
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
}

fn end_of_line(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| from + n)
}

/// The offset after the quote that closes a one-line string whose text starts at `from`.
fn close_one_line(bytes: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    while from < bytes.len() {
        match bytes[from] {
            b'\n' => return None,
            b'\\' if quote == b'"' && bytes.get(from + 1) != Some(&b'\n') => from += 2,
            b if b == quote => return Some(from + 1),
            _ => from += 1,
        }
    }
    None
}

/// The offset after the three quotes that close a multi-line string (up to two more quotes
/// right before them belong to the string).
fn close_multi_line(bytes: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    while from < bytes.len() {
        if bytes[from] == b'\\' && quote == b'"' {
            from += 2;
        } else if bytes[from..].starts_with(&[quote; 3]) {
            let mut end = from + 3;
            while end < bytes.len() && bytes[end] == quote && end < from + 5 {
                end += 1;
            }
            return Some(end);
        } else {
            from += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(toml: &str) -> Option<(usize, &'static str)> {
        first_unclosed(toml).map(|u| (u.at, u.quote))
    }

    #[test]
    fn closed_strings_of_every_kind_are_fine() {
        let toml = concat!(
            "a = \"say \\\"hi\\\" # not a comment\"\n",
            "b = 'C:\\path'\n",
            "# a comment's apostrophe and \" quote\n",
            "c = \"\"\"two\nlines with \"quotes\"\"\"\"\n",
            "d = '''it's\nfine'''\n",
            "e = [\"x\", 'y'] # trailing \" comment\n",
        );
        assert_eq!(at(toml), None);
    }

    #[test]
    fn a_string_that_runs_into_the_next_line_is_found_at_its_opening_quote() {
        let toml = "examples = [\n  \"one\",\n  \"two,\n  \"three\",\n]\n";
        assert_eq!(at(toml), Some((toml.find("\"two").unwrap(), "\"")));
        let toml = "question = 'what is it?\n";
        assert_eq!(at(toml), Some((11, "'")));
    }

    #[test]
    fn an_escaped_quote_does_not_close_a_string() {
        let toml = "a = \"ends with a backslash\\\"\nb = 1\n";
        assert_eq!(at(toml), Some((4, "\"")));
        let toml = "a = \"ends with a backslash\\\nb = \"x\"\n";
        assert_eq!(at(toml), Some((4, "\"")));
    }

    #[test]
    fn a_multi_line_string_that_never_ends_is_found() {
        let toml = "a = \"ok\"\nb = \"\"\"starts\nand goes on\n";
        assert_eq!(at(toml), Some((13, "\"\"\"")));
    }
}
