//! Property tests of everything that reads untrusted text: the frame parser, identifier
//! extraction, masking, normalization and the full NLU pipeline. They state the same
//! properties as the fuzz targets in fuzz/ and run in CI on every change.

use std::sync::OnceLock;

use casebot::nlu::Nlu;
use casebot::nlu::extract::{EntityKind, extract};
use casebot::nlu::mask::mask_text;
use casebot::nlu::normalize::{edit_distance, fold_for_compare, words};
use casebot::server::protocol::{ClientFrame, ServerFrame, parse_client_frame};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The error codes docs/protocol.md promises; clients switch on them.
const DOCUMENTED_CODES: &[&str] = &[
    "invalid_json",
    "invalid_feedback",
    "unknown_reply",
    "invalid_frame",
    "missing_type",
    "unknown_type",
    "missing_text",
    "invalid_text",
    "empty_text",
    "text_too_long",
    "invalid_id",
    "invalid_debug",
    "invalid_lang",
    "duplicate_field",
    "binary_not_supported",
    "rate_limited",
    "internal",
];

const MAX_CHARS: usize = 200;

/// Arbitrary JSON values, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        Just(Value::from("message")),
        Just(Value::from("ping")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_string()),
                    Just("text".to_string()),
                    Just("id".to_string()),
                    "[a-z]{1,5}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text that looks like what people type about cases: words, identifiers in their usual
/// spellings, punctuation and the odd non-ASCII character.
fn chat_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z]{1,10}",
        "[A-Za-z]{3}[ -]?[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{5}",
        "[Aa]-?[0-9]{8,9}",
        "[0-9]{4} ?[0-9]{4} ?[0-9]{4}",
        "[0-9]{3}-[0-9]{2}-[0-9]{4}",
        "\\(?[0-9]{3}\\)? ?[0-9]{3}-[0-9]{4}",
        "[a-z.]{1,8}@[A-Za-z]{1,8}\\.(org|com|gov)",
        "[IN]-[0-9]{2,3}[A-Z]?",
        "[.,?!:;'\"*()-]",
        "[éñüß€😀\u{200b}\u{feff}]",
        "\\PC{1,3}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.join(" "))
}

fn shipped_nlu() -> &'static Nlu {
    static NLU: OnceLock<Nlu> = OnceLock::new();
    NLU.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        Nlu::load(&root.join("intents"), &root.join("knowledge"))
            .expect("shipped content loads")
            .0
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_frame_text_is_taken_or_refused_with_a_documented_code(
        raw in prop_oneof![".{0,64}", json_value().prop_map(|v| v.to_string())],
    ) {
        match parse_client_frame(&raw, MAX_CHARS) {
            Ok(ClientFrame::Message { text, .. }) => {
                prop_assert!(!text.trim().is_empty());
                prop_assert!(text.chars().count() <= MAX_CHARS);
            }
            Ok(ClientFrame::Ping { .. } | ClientFrame::Feedback { .. }) => {}
            Err(e) => {
                let sent = ServerFrame::error(e.code, e.id.clone()).to_json();
                let sent: Value = serde_json::from_str(&sent).unwrap();
                prop_assert_eq!(&sent["type"], "error");
                let code = sent["code"].as_str().unwrap_or_default();
                prop_assert!(DOCUMENTED_CODES.contains(&code), "undocumented code {}", code);
                prop_assert!(sent["message"].as_str().is_some_and(|m| !m.is_empty()));
                // The same frame always gets the same answer.
                prop_assert_eq!(parse_client_frame(&raw, MAX_CHARS).unwrap_err(), e);
            }
        }
    }

    #[test]
    fn a_well_formed_message_is_taken_as_sent(
        text in "\\PC{1,200}",
        id in prop_oneof![
            Just(Value::Null),
            "[a-z0-9-]{1,128}".prop_map(Value::from),
            any::<u32>().prop_map(Value::from),
        ],
    ) {
        prop_assume!(!text.trim().is_empty());
        let raw = json!({"type": "message", "text": text, "id": id}).to_string();
        let frame = parse_client_frame(&raw, MAX_CHARS).expect("a valid message");
        let ClientFrame::Message { text: got, id: got_id, debug, .. } = frame else { panic!("not a message") };
        prop_assert_eq!(got.as_ref(), text.as_str());
        prop_assert_eq!(got_id.unwrap_or(Value::Null), id);
        prop_assert!(!debug);
    }

    #[test]
    fn text_over_the_limit_is_refused_as_too_long(text in "[a-z ]{201,400}") {
        let raw = json!({"type": "message", "text": format!("x{text}"), "id": 9}).to_string();
        let err = parse_client_frame(&raw, MAX_CHARS).unwrap_err();
        let sent: Value = serde_json::from_str(&ServerFrame::error(err.code, err.id).to_json()).unwrap();
        prop_assert_eq!(&sent["code"], "text_too_long");
        prop_assert_eq!(&sent["reply_to"], 9);
    }

    #[test]
    fn extracted_spans_are_valid_ordered_and_canonical(
        text in prop_oneof![chat_text(), "\\PC{0,80}"],
    ) {
        let extraction = extract(&text);
        let mut last_end = 0;
        for e in &extraction.entities {
            prop_assert!(e.start < e.end && e.end <= text.len(), "span {}..{} of {}", e.start, e.end, text.len());
            prop_assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
            prop_assert!(e.start >= last_end, "entities overlap or are out of order");
            last_end = e.end;
            let v = e.value.as_str();
            let ok = match e.kind {
                EntityKind::ReceiptNumber => {
                    v.len() == 13
                        && v[..3].bytes().all(|b| b.is_ascii_uppercase())
                        && v[3..].bytes().all(|b| b.is_ascii_digit())
                }
                EntityKind::ANumber => {
                    v.len() == 10 && v.starts_with('A') && v[1..].bytes().all(|b| b.is_ascii_digit())
                }
                EntityKind::AccountNumber => v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()),
                _ => !v.is_empty(),
            };
            prop_assert!(ok, "{:?} has a non-canonical value {:?}", e.kind, v);
        }
        for m in &extraction.near_misses {
            prop_assert!(m.start <= m.end && m.end <= text.len());
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        }
        // The normalizer relies on valid spans.
        let _ = words(&text, &extraction);
    }

    #[test]
    fn masked_text_holds_no_identifier(text in chat_text()) {
        let masked = mask_text(&text);
        for e in extract(&text).entities.iter().filter(|e| e.kind != EntityKind::FormNumber) {
            let raw = &text[e.start..e.end];
            prop_assert!(!masked.contains(raw), "{:?} survived masking: {}", raw, masked);
            if e.kind != EntityKind::Ssn {
                prop_assert!(!masked.contains(&e.value), "{:?} survived masking: {}", e.value, masked);
            }
        }
    }

    #[test]
    fn folding_is_idempotent_and_edit_distance_is_a_metric(a in "\\PC{0,24}", b in "\\PC{0,24}") {
        let folded = fold_for_compare(&a);
        prop_assert_eq!(fold_for_compare(&folded), folded.clone());
        let d = edit_distance(&a, &b);
        prop_assert_eq!(d, edit_distance(&b, &a));
        prop_assert_eq!(d == 0, a == b);
        prop_assert!(d <= a.chars().count().max(b.chars().count()));
    }

    #[test]
    fn the_pipeline_ranks_any_text_with_confidences_in_range(
        text in prop_oneof![chat_text(), "\\PC{0,120}"],
    ) {
        let parse = shipped_nlu().english().parse(&text, None);
        // Candidates come best first: the confidence decides the order.
        for pair in parse.candidates.windows(2) {
            prop_assert!(pair[0].score >= pair[1].score, "a weaker candidate was ranked first");
        }
        for c in &parse.candidates {
            prop_assert!((0.0..=1.0).contains(&c.score), "confidence {} out of range", c.score);
        }
    }
}

/// Inputs the properties above once found panicking (non-ASCII right after "a ").
#[test]
fn regressions_found_by_the_properties_do_not_panic() {
    for text in [
        "A[\u{16f00}\u{1f300}\u{10787}#",
        "\u{16f49} \u{27d} number g v \u{2c65}",
        "my a \u{27d}umber",
    ] {
        let _ = fold_for_compare(text);
        let _ = shipped_nlu().english().parse(text, None);
    }
}
