//! What a user types, through everything that reads it: extraction (spans must be valid
//! char boundaries in order), masking, normalization, and the full pipeline on the
//! shipped content.
#![no_main]

use std::sync::OnceLock;

use casebot::nlu::Nlu;
use casebot::nlu::extract::{EntityKind, extract};
use casebot::nlu::mask::mask_text;
use casebot::nlu::normalize::{fold_for_compare, words};
use libfuzzer_sys::fuzz_target;

fn shipped() -> &'static Nlu {
    static NLU: OnceLock<Nlu> = OnceLock::new();
    NLU.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        Nlu::load(&root.join("intents"), &root.join("knowledge")).expect("shipped content loads").0
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let extraction = extract(text);
    let mut last_end = 0;
    for e in &extraction.entities {
        assert!(e.start >= last_end && e.start < e.end && e.end <= text.len());
        assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
        last_end = e.end;
    }
    for m in &extraction.near_misses {
        assert!(m.start <= m.end && m.end <= text.len());
        assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
    }
    let masked = mask_text(text);
    for e in extraction.entities.iter().filter(|e| matches!(e.kind, EntityKind::ReceiptNumber | EntityKind::ANumber)) {
        assert!(!masked.contains(&e.value), "{:?} survived masking", e.kind);
    }
    let _ = words(text, &extraction);
    let _ = fold_for_compare(text);
    let parse = shipped().parse(text, None);
    assert!(parse.candidates.iter().all(|c| (0.0..=1.0).contains(&c.score)));
});
