//! Import benchmark: generates N case records (default 1,000,000) as a JSON Lines file,
//! imports them into a fresh sled store (or, with `--database-url`, into an empty
//! PostgreSQL database through COPY) with the same code as `casebot import`, and prints the
//! throughput, then re-imports the same file (every record unchanged).
//!
//! `cargo run --release --example import_million [-- N] [--database-url URL]`

use std::io::Write;
use std::time::Instant;

use casebot::store::import::import_file;
use casebot::store::{CaseStore, PgStore, SledStore};

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
    let mut n: usize = 1_000_000;
    let mut database_url = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--database-url" {
            database_url = Some(args.next().expect("--database-url URL"));
        } else {
            n = arg.parse().expect("a record count");
        }
    }
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
    let store: Box<dyn CaseStore> = match &database_url {
        Some(url) => {
            let store = PgStore::connect(url).await.expect("connect");
            assert_eq!(
                store.count().await.unwrap(),
                0,
                "the database must hold no cases"
            );
            Box::new(store)
        }
        None => Box::new(SledStore::open(&dir.path().join("db")).expect("open store")),
    };
    for run in ["first import", "re-import (unchanged)"] {
        let start = Instant::now();
        let report = import_file(store.as_ref(), &file).await.expect("import");
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
