//! Import benchmark: generates N case records (default 1,000,000) as a JSON Lines file,
//! imports them into a fresh sled store with the same code as `casebot import`, and
//! prints the throughput, then re-imports the same file (every record unchanged).
//!
//! `cargo run --release --example import_million [-- N]`

use std::io::Write;
use std::time::Instant;

use casebot::store::SledStore;
use casebot::store::import::import_file;

const FORMS: [&str; 6] = ["I-130", "I-485", "I-765", "N-400", "I-90", "I-131"];
const PREFIXES: [&str; 6] = ["EAC", "WAC", "LIN", "SRC", "MSC", "IOE"];
const STATUSES: [&str; 4] = [
    "Case Was Received",
    "Case Is Being Actively Reviewed By USCIS",
    "Case Was Approved",
    "Card Was Mailed To Me",
];

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("a record count"))
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("cases.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("create file"));
    for i in 0..n {
        let status = STATUSES[i % STATUSES.len()];
        let month = 1 + i % 12;
        writeln!(
            out,
            r#"{{"receipt_number":"{}26{:08}","form":"{}","status":"{status}","updated":"2026-{month:02}-15","history":[{{"date":"2025-12-01","status":"Case Was Received"}},{{"date":"2026-{month:02}-15","status":"{status}"}}]}}"#,
            PREFIXES[i % PREFIXES.len()],
            i,
            FORMS[i % FORMS.len()],
        )
        .expect("write");
    }
    out.flush().expect("flush");
    let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let store = SledStore::open(&dir.path().join("db")).expect("open store");
    for run in ["first import", "re-import (unchanged)"] {
        let start = Instant::now();
        let report = import_file(&store, &file).await.expect("import");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{run}: {n} records ({:.0} MB) in {secs:.2} s = {:.0} records/s (inserted {}, unchanged {}, rejected {})",
            bytes as f64 / 1e6,
            n as f64 / secs,
            report.inserted,
            report.unchanged,
            report.rejected_total
        );
    }
}
