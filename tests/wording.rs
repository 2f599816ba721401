//! Every sentence the person in the chat reads comes from the content files of their
//! language (intents, articles, `intents/replies.toml` and its translations), never from
//! Rust code, where neither an author nor a translator can reach it. This reads the code
//! that builds what the chat shows and fails on a string literal that reads like a
//! sentence. Log messages, panics, WebSocket close reasons and the `error` frames for
//! client programs are not said to the person and are skipped, as is what `casebot test`
//! tells authors (`src/dialog/evaluate.rs`).

use std::path::{Path, PathBuf};

/// The code that decides what the chat says.
const SPOKEN: &[&str] = &[
    "src/dialog",
    "src/nlu/extract",
    "src/server/session.rs",
    "src/server/frames.rs",
    "src/server/state.rs",
    "src/server/sessions.rs",
    "src/server/handoff.rs",
];

/// Code under [`SPOKEN`] whose words are for authors, not for the chat.
const FOR_AUTHORS: &[&str] = &["src/dialog/evaluate.rs", "src/dialog/overlap.rs"];

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if !path.exists() {
        return Vec::new();
    }
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        files.extend(rust_files(&entry.unwrap().path()));
    }
    files.retain(|f| f.extension().is_some_and(|e| e == "rs"));
    files
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) if !l[..at].contains('"') => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// String literals of `code` with the text before each.
fn literals(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' && i + 2 < bytes.len() && bytes[i + 2] == b'\'' {
            i += 3;
            continue;
        }
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        let mut text = String::new();
        while i < bytes.len() && bytes[i] != b'"' {
            if bytes[i] == b'\\' {
                i += 1;
            }
            text.push(bytes[i] as char);
            i += 1;
        }
        i += 1;
        found.push((start, text));
    }
    found
}

/// True for text a person would read as words of a sentence: three words or more.
fn reads_like_a_sentence(text: &str) -> bool {
    text.split_whitespace()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .count()
        >= 3
}

/// True when the literal at `at` is part of a log line, a panic or an assertion.
fn not_said_to_the_person(code: &str, at: usize) -> bool {
    let statement = code[..at]
        .rsplit([';', '{', '}'])
        .next()
        .unwrap_or_default();
    [
        "tracing::",
        "expect(",
        "panic!",
        "unreachable!",
        "assert",
        "debug!",
        "warn!",
        "error!",
        "info!",
        "End::Close(",
    ]
    .iter()
    .any(|m| statement.contains(m))
}

fn sentences_in_code(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for place in SPOKEN {
        for file in rust_files(&root.join(place)) {
            if FOR_AUTHORS.iter().any(|a| file.ends_with(a)) {
                continue;
            }
            let code = code(&file);
            for (at, text) in literals(&code) {
                if reads_like_a_sentence(&text) && !not_said_to_the_person(&code, at) {
                    found.push(format!("{}: \"{text}\"", file.display()));
                }
            }
        }
    }
    found
}

#[test]
fn no_sentence_the_person_reads_is_written_in_rust_code() {
    let found = sentences_in_code(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        found.is_empty(),
        "move these to intents/replies.toml and its translations:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_a_sentence_and_skips_logs() {
    let dir = tempfile::tempdir().unwrap();
    let spoken = dir.path().join("src/dialog");
    std::fs::create_dir_all(&spoken).unwrap();
    std::fs::write(
        spoken.join("x.rs"),
        "fn a() -> String { \"Sorry, I can't help with that.\".into() }\n\
         fn b() { tracing::warn!(\"the store is slow today\"); }\n\
         fn c() -> &'static str { \"receipt_number\" }\n",
    )
    .unwrap();
    let found = sentences_in_code(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("Sorry, I can't help"), "{found:?}");
}
