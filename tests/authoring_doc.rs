//! The worked example of docs/authoring.md does what the page says: its files, added to
//! the shipped content, pass `casebot check` and `casebot test`, and the output it quotes
//! is the output casebot prints.

mod common;

use std::path::Path;
use std::process::Command;

/// A fenced block of the page that names the file it belongs in (```` ```toml file=PATH ````).
struct ExampleFile {
    path: String,
    text: String,
}

/// Every fenced block whose info string has `file=PATH`, with the block's indentation
/// (a block inside a list item) taken off.
fn example_files(markdown: &str) -> Vec<ExampleFile> {
    let mut files = Vec::new();
    let mut open: Option<(usize, ExampleFile)> = None;
    for line in markdown.lines() {
        let indent = line.len() - line.trim_start().len();
        let fence = line.trim_start().starts_with("```");
        match open.take() {
            Some((_, file)) if fence => files.push(file),
            Some((indent, mut file)) => {
                file.text
                    .push_str(line.get(indent..).unwrap_or(line.trim_start()));
                file.text.push('\n');
                open = Some((indent, file));
            }
            None if fence => {
                let path = line
                    .split_whitespace()
                    .find_map(|word| word.strip_prefix("file="));
                if let Some(path) = path {
                    let path = path.to_string();
                    let text = String::new();
                    open = Some((indent, ExampleFile { path, text }));
                }
            }
            None => {}
        }
    }
    files
}

fn casebot(args: &[&str], intents: &Path, knowledge: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_casebot"))
        .args(args)
        .arg("--intents")
        .arg(intents)
        .arg("--knowledge")
        .arg(knowledge)
        .env("RUST_LOG", "error")
        .output()
        .expect("run casebot");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let intents = format!("{}/", intents.display());
    (out.status.success(), text.replace(&intents, "intents/"))
}

/// The page with every run of white space made one space, so quotes that wrap still match.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text between `before` and the next `after` in `text`.
fn between<'a>(text: &'a str, before: &str, after: &str) -> &'a str {
    let start = text
        .find(before)
        .unwrap_or_else(|| panic!("docs/authoring.md no longer says {before:?}"))
        + before.len();
    let len = text[start..].find(after).expect("closing quote");
    &text[start..start + len]
}

#[test]
fn the_worked_example_passes_check_and_test_and_quotes_real_output() {
    let page = std::fs::read_to_string(common::repo().join("docs/authoring.md")).unwrap();
    let files = example_files(&page);
    assert!(
        !files.is_empty(),
        "docs/authoring.md has no example block marked with file=PATH"
    );
    let dir = tempfile::tempdir().unwrap();
    let (intents, knowledge) = common::content_copy(dir.path());
    let place = |path: &str| {
        let (folder, rest) = path.split_once('/').expect("a path under a content folder");
        assert!(!rest.split('/').any(|p| p == ".."), "{path}");
        match folder {
            "intents" => intents.join(rest),
            "knowledge" => knowledge.join(rest),
            _ => panic!("{path}: example files go under intents/ or knowledge/"),
        }
    };
    for file in &files {
        let to = place(&file.path);
        assert!(!to.exists(), "{} is already shipped content", file.path);
        std::fs::write(&to, &file.text).unwrap();
    }

    let (ok, out) = casebot(&["check"], &intents, &knowledge);
    assert!(ok && out.contains("ok: "), "casebot check:\n{out}");
    let (ok, out) = casebot(&["test"], &intents, &knowledge);
    assert!(ok && out.contains(" 0 failed"), "casebot test:\n{out}");

    // Step 2: the typo and the message the page quotes for it.
    let page = flat(&page);
    let first = &files[0];
    let typo = first.text.replacen("examples =", "exmaples =", 1);
    std::fs::write(place(&first.path), &typo).unwrap();
    let (ok, out) = casebot(&["check"], &intents, &knowledge);
    assert!(!ok, "{out}");
    let message = out
        .lines()
        .find(|l| l.contains("exmaples"))
        .unwrap_or_else(|| panic!("no message about the typo:\n{out}"));
    assert!(
        page.contains(message),
        "docs/authoring.md should quote {message:?}"
    );

    // Step 3: the example the page says a test needed, and where the test went without it.
    let example = between(&page, "Without \"", "\"");
    let test = between(&page, "for instance, \"", "\"");
    // Where it went: another topic (`id`), or the fallback.
    let went = if page.contains(&format!("\"{test}\" reached the fallback")) {
        "the fallback".to_string()
    } else {
        format!(
            "`{}`",
            between(&page, &format!("\"{test}\" reached `"), "`")
        )
    };
    let without = first.text.replacen(&format!("\"{example}\","), "", 1);
    assert_ne!(
        without, first.text,
        "{example:?} is an example of the first file"
    );
    std::fs::write(place(&first.path), &without).unwrap();
    let (ok, out) = casebot(&["test"], &intents, &knowledge);
    assert!(!ok, "{out}");
    let reached = out.lines().any(|l| {
        l.contains(&format!("test \"{test}\" should reach `"))
            && l.contains(&format!("but reaches {went}"))
    });
    assert!(
        reached,
        "docs/authoring.md says {test:?} reaches `{went}` without {example:?}:\n{out}"
    );
}

#[test]
fn blocks_without_a_file_name_are_not_example_files() {
    let page = "```toml\na = 1\n```\n\n1. Step:\n\n   ```toml file=intents/x.toml\n   [[intent]]\n   id = \"x\"\n   ```\n";
    let files = example_files(page);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "intents/x.toml");
    assert_eq!(files[0].text, "[[intent]]\nid = \"x\"\n");
}
