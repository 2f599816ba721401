//! examples/clinc150.rs turns the CLINC150 benchmark's JSON into content and a labelled
//! file that `casebot eval` measures: here on a small benchmark of our own, in its format.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example's binary, built by `cargo test` beside the test binaries.
fn converter() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let name = format!("clinc150{}", std::env::consts::EXE_SUFFIX);
    profile.join("examples").join(name)
}

fn split(pairs: &[(&str, &str)]) -> serde_json::Value {
    pairs
        .iter()
        .map(|(text, intent)| serde_json::json!([text, intent]))
        .collect()
}

#[test]
fn the_converted_benchmark_is_measured_by_eval() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.json");
    let benchmark = serde_json::json!({
        "train": split(&[
            ("what is the weather like today", "weather"),
            ("will it rain tomorrow", "weather"),
            ("is it going to be sunny", "weather"),
            ("how hot is it outside", "weather"),
            ("set an alarm for seven am", "alarm"),
            ("wake me up at six", "alarm"),
            ("i need an alarm at noon", "alarm"),
            ("alarm for 5 in the morning please", "alarm"),
            ("play some jazz music", "play_music"),
            ("put on my workout playlist", "play_music"),
            ("i want to hear a song", "play_music"),
            ("start playing the radio", "play_music"),
        ]),
        "val": split(&[
            ("is it raining right now", "weather"),
            ("set an alarm for eight", "alarm"),
            ("play a song by the beatles", "play_music"),
        ]),
        "oos_train": split(&[]),
        "oos_val": split(&[("what is the capital of peru", "oos")]),
    });
    std::fs::write(&data, benchmark.to_string()).unwrap();
    let out = dir.path().join("out");
    let converted = Command::new(converter())
        .args([data.as_os_str(), out.as_os_str(), "3".as_ref()])
        .output()
        .expect("run the converter (built by cargo test)");
    assert!(converted.status.success(), "{converted:?}");
    let intents = std::fs::read_to_string(out.join("intents/clinc.toml")).unwrap();
    assert_eq!(intents.matches("[[intent]]").count(), 3, "{intents}");
    assert!(
        !intents.contains("how hot is it outside"),
        "only the first 3 examples per intent: {intents}"
    );
    let labelled = std::fs::read_to_string(out.join("val.jsonl")).unwrap();
    assert!(labelled.contains(r#""expect":"clinc-alarm""#), "{labelled}");
    assert!(labelled.contains(r#""expect":null"#), "{labelled}");

    let eval = Command::new(env!("CARGO_BIN_EXE_casebot"))
        .arg("eval")
        .arg("--json")
        .arg("--labelled")
        .arg(out.join("val.jsonl"))
        .arg("--intents")
        .arg(out.join("intents"))
        .arg("--knowledge")
        .arg(out.join("knowledge"))
        .output()
        .unwrap();
    assert!(eval.status.success(), "{eval:?}");
    let figures: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(figures["all"]["in_scope"], 3, "{figures}");
    assert_eq!(figures["all"]["out_of_scope"], 1, "{figures}");
    assert!(
        figures["all"]["in_scope_right"].as_u64().unwrap() >= 2,
        "the converted intents answer their own kind of question: {figures}"
    );

    let refused = Command::new(converter())
        .args([data.as_os_str(), out.as_os_str(), "none".as_ref()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("PER_INTENT"));
}
