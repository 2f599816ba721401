//! Content files as an editor might save them, half-typed: the intent-file and article
//! parsers return the content or a diagnostic that points inside the file, and never panic.
#![no_main]

use std::path::Path;

use casebot::nlu::content::{parse_article, parse_intent_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.lines().count() + 1;
    for result in [
        parse_intent_file(Path::new("intents/fuzz.toml"), text).err(),
        parse_article(Path::new("knowledge/fuzz.md"), text).err(),
    ] {
        if let Some(d) = result {
            assert!(d.line >= 1 && d.line <= lines, "line {} of {lines}", d.line);
            assert!(d.col >= 1);
            assert!(!d.message.is_empty());
        }
    }
});
