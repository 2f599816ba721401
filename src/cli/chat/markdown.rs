//! The small Markdown subset of answers (the one the widget renders: `**bold**`, `*italic*`,
//! `- ` and `1. ` lists, `[links](https://…)`) turned into text for a terminal: ANSI bold
//! and italic when the output is a terminal, plain text without the markers otherwise.

/// How emphasis is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// ANSI escapes, for a terminal.
    Ansi,
    /// No escapes, for a pipe or a file.
    Plain,
}

const BOLD: (&str, &str) = ("\x1b[1m", "\x1b[22m");
const ITALIC: (&str, &str) = ("\x1b[3m", "\x1b[23m");

/// `text` as it should read on the output: list items indented behind a bullet, emphasis
/// in `style`, a link as its title followed by its address. Control characters that came
/// with the text are dropped, so only the escapes added here reach a terminal.
pub fn render(text: &str, style: Style) -> String {
    let text: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let mut lines = Vec::new();
    let mut in_item = false;
    for line in text.lines() {
        if line.trim().is_empty() {
            in_item = false;
            lines.push(String::new());
        } else if let Some((marker, rest)) = list_item(line) {
            in_item = true;
            let marker = match (marker, style) {
                (None, Style::Ansi) => "•".to_string(),
                (None, Style::Plain) => "-".to_string(),
                (Some(number), _) => format!("{number}."),
            };
            lines.push(format!("  {marker} {}", inline(rest, style)));
        } else if in_item && line.starts_with(char::is_whitespace) {
            lines.push(format!("    {}", inline(line.trim(), style)));
        } else {
            in_item = false;
            lines.push(inline(line.trim(), style));
        }
    }
    lines.join("\n")
}

/// A list item: its number (`None` for a bullet) and its text.
fn list_item(line: &str) -> Option<(Option<&str>, &str)> {
    let line = line.trim_start();
    let bullet = ["- ", "* ", "• "]
        .iter()
        .find_map(|b| line.strip_prefix(b))
        .map(|rest| (None, rest));
    bullet
        .or_else(|| {
            let digits = line.find(|c: char| !c.is_ascii_digit())?;
            let rest = line[digits..]
                .strip_prefix(". ")
                .or_else(|| line[digits..].strip_prefix(") "))?;
            (1..=4)
                .contains(&digits)
                .then_some((Some(&line[..digits]), rest))
        })
        .map(|(number, rest)| (number, rest.trim_start()))
}

/// Bold, italic and links within a line.
fn inline(text: &str, style: Style) -> String {
    let mut out = String::new();
    let mut at = 0;
    while let Some(found) = text[at..].find(['*', '[']) {
        let start = at + found;
        out.push_str(&text[at..start]);
        let here = &text[start..];
        let before = text[..start].chars().next_back();
        at = if let Some((inner, len)) = bold(here) {
            emphasis(&mut out, &inline(inner, style), BOLD, style);
            start + len
        } else if let Some((title, url, len)) = link(here) {
            out.push_str(&inline(title, style));
            if title != url {
                out.push_str(&format!(" ({url})"));
            }
            start + len
        } else if let Some((inner, len)) = italic(here, before) {
            emphasis(&mut out, &inline(inner, style), ITALIC, style);
            start + len
        } else {
            out.push_str(&here[..1]);
            start + 1
        };
    }
    out.push_str(&text[at..]);
    out
}

fn emphasis(out: &mut String, inner: &str, (on, off): (&str, &str), style: Style) {
    match style {
        Style::Ansi => {
            out.push_str(on);
            out.push_str(inner);
            out.push_str(off);
        }
        Style::Plain => out.push_str(inner),
    }
}

/// `**text**` at the start of `s` (the text starting with a non-space): the text and the
/// length of the whole.
fn bold(s: &str) -> Option<(&str, usize)> {
    let body = s.strip_prefix("**")?;
    if body.starts_with(char::is_whitespace) {
        return None;
    }
    let first = body.chars().next()?;
    let end = body[first.len_utf8()..].find("**")? + first.len_utf8();
    Some((&body[..end], end + 4))
}

/// `[title](http…)` at the start of `s`: the title, the address and the length of the whole.
fn link(s: &str) -> Option<(&str, &str, usize)> {
    let body = s.strip_prefix('[')?;
    let close = body.find(']')?;
    let title = &body[..close];
    let after = body[close + 1..].strip_prefix('(')?;
    let end = after.find(')')?;
    let url = after[..end].trim();
    let web = url.starts_with("https://") || url.starts_with("http://");
    let whole = 1 + close + 2 + end + 1;
    (!title.is_empty() && web && !url.contains(char::is_whitespace)).then_some((title, url, whole))
}

/// `*text*` at the start of `s`, not inside a word (`before` is the character before it):
/// the text and the length of the whole.
fn italic(s: &str, before: Option<char>) -> Option<(&str, usize)> {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '*';
    if before.is_some_and(word) {
        return None;
    }
    let body = s.strip_prefix('*')?;
    let first = body.chars().next()?;
    if first.is_whitespace() || first == '*' {
        return None;
    }
    let mut from = first.len_utf8();
    loop {
        let end = from + body[from..].find('*')?;
        if !body[end + 1..].chars().next().is_some_and(word) {
            return Some((&body[..end], end + 2));
        }
        from = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "Your number is **12 digits** long, *not* 9.\n\n- Sign in at [my.uscis.gov](https://my.uscis.gov/).\n- Open **My Account**\n  and look at the top.\n\n1. First\n2. Second";

    #[test]
    fn a_terminal_gets_bold_italic_and_indented_bullets() {
        assert_eq!(
            render(ANSWER, Style::Ansi),
            "Your number is \x1b[1m12 digits\x1b[22m long, \x1b[3mnot\x1b[23m 9.\n\n  • Sign in at my.uscis.gov (https://my.uscis.gov/).\n  • Open \x1b[1mMy Account\x1b[22m\n    and look at the top.\n\n  1. First\n  2. Second"
        );
    }

    #[test]
    fn a_pipe_gets_plain_text_without_markers_or_escapes() {
        let plain = render(ANSWER, Style::Plain);
        assert_eq!(
            plain,
            "Your number is 12 digits long, not 9.\n\n  - Sign in at my.uscis.gov (https://my.uscis.gov/).\n  - Open My Account\n    and look at the top.\n\n  1. First\n  2. Second"
        );
    }

    #[test]
    fn stars_that_are_not_emphasis_stay() {
        for text in ["2 * 3 = 6", "a**b", "file_*name*x", "**", "***"] {
            assert_eq!(render(text, Style::Plain), text.trim(), "{text:?}");
        }
        assert_eq!(
            render("[not a link](ftp://x)", Style::Plain),
            "[not a link](ftp://x)"
        );
        assert_eq!(
            render("[https://uscis.gov](https://uscis.gov)", Style::Plain),
            "https://uscis.gov"
        );
    }

    #[test]
    fn escapes_in_the_text_itself_never_reach_the_output() {
        let text = "**hi**\x1b[31m red\x07";
        assert_eq!(render(text, Style::Plain), "hi[31m red");
        assert_eq!(render(text, Style::Ansi), "\x1b[1mhi\x1b[22m[31m red");
    }
}
