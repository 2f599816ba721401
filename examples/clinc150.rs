//! Builds casebot content and a labelled file from the CLINC150 intent benchmark (Larson et
//! al., EMNLP 2019), so `casebot eval` can measure it.
//!
//! ```sh
//! cargo run --release --example clinc150 -- data_full_train_val.json /tmp/clinc [PER_INTENT]
//! target/release/casebot eval --labelled /tmp/clinc/val.jsonl \
//!     --intents /tmp/clinc/intents --knowledge /tmp/clinc/knowledge
//! ```
//!
//! Writes, under the output folder:
//!
//! * `intents/clinc.toml`: one `[[intent]]` per benchmark intent, id `clinc-<intent>`, whose
//!   examples are its training utterances (the first `PER_INTENT` of them when given) and
//!   whose answer names the intent;
//! * `intents/replies.toml`: this repository's English replies (content needs them);
//! * `knowledge/`: empty;
//! * `val.jsonl`: the `val` split, in-scope queries labelled with their intent's id and
//!   out-of-scope ones with `null`.
//!
//! The benchmark's own `oos_train` split is not used: content lists no out-of-scope examples,
//! so the figures show what casebot learns from in-scope examples alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (data, out) = match (args.first(), args.get(1)) {
        (Some(data), Some(out)) => (Path::new(data), Path::new(out)),
        _ => {
            eprintln!("usage: clinc150 DATA_FULL_TRAIN_VAL.json OUT_DIR [PER_INTENT]");
            std::process::exit(2);
        }
    };
    let per_intent: usize = match args.get(2).map(|n| n.parse()) {
        None => usize::MAX,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("clinc150: PER_INTENT must be a positive whole number");
            std::process::exit(2);
        }
    };
    if let Err(e) = convert(data, out, per_intent) {
        eprintln!("clinc150: {e}");
        std::process::exit(1);
    }
}

type Split = Vec<(String, String)>;

fn convert(data: &Path, out: &Path, per_intent: usize) -> Result<(), String> {
    let text = std::fs::read_to_string(data)
        .map_err(|e| format!("cannot read {}: {e}", data.display()))?;
    let splits: BTreeMap<String, Split> = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not the benchmark's JSON: {e}", data.display()))?;
    let split = |name: &str| {
        splits
            .get(name)
            .ok_or_else(|| format!("{} has no `{name}` split", data.display()))
    };
    let mut examples: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (utterance, intent) in split("train")? {
        let list = examples.entry(intent.as_str()).or_default();
        if list.len() < per_intent {
            list.push(utterance);
        }
    }
    let intents_dir = out.join("intents");
    let knowledge_dir = out.join("knowledge");
    for dir in [&intents_dir, &knowledge_dir] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    write(&intents_dir.join("clinc.toml"), &intents_toml(&examples))?;
    let replies = include_str!("../intents/replies.toml");
    write(&intents_dir.join("replies.toml"), replies)?;
    let mut labelled = String::new();
    for (utterance, intent) in split("val")?.iter().chain(split("oos_val")?) {
        let expect = (intent != "oos").then(|| format!("clinc-{intent}"));
        let line = serde_json::json!({"text": utterance, "expect": expect});
        let _ = writeln!(labelled, "{line}");
    }
    write(&out.join("val.jsonl"), &labelled)?;
    let count: usize = examples.values().map(Vec::len).sum();
    println!(
        "{} intents, {count} examples, in {}; labelled val split in {}",
        examples.len(),
        intents_dir.display(),
        out.join("val.jsonl").display()
    );
    Ok(())
}

fn intents_toml(examples: &BTreeMap<&str, Vec<&str>>) -> String {
    let mut toml = String::from("# Generated from CLINC150 by examples/clinc150.rs.\n");
    for (intent, list) in examples {
        let quoted: Vec<String> = list
            .iter()
            .map(|e| serde_json::to_string(e).expect("a string serializes"))
            .collect();
        let _ = write!(
            toml,
            "\n[[intent]]\nid = \"clinc-{intent}\"\nexamples = [\n  {}\n]\nresponses = [\"({intent})\"]\n",
            quoted.join(",\n  ")
        );
    }
    toml
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
