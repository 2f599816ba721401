//! Import throughput: JSON Lines of generated case records imported into a fresh sled
//! store (parse, validate, batch write, flush), and the same lines imported again
//! (every record unchanged). Reported in records per second.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

use casebot::store::SledStore;
use casebot::store::import::import_bytes;

const RECORDS: usize = 20_000;

fn lines(n: usize) -> Vec<u8> {
    let statuses = [
        "Case Was Received",
        "Case Is Being Actively Reviewed By USCIS",
        "Case Was Approved",
    ];
    let mut out = String::new();
    for i in 0..n {
        let status = statuses[i % statuses.len()];
        out.push_str(&format!(
            r#"{{"receipt_number":"EAC26{i:08}","form":"I-130","status":"{status}","updated":"2026-03-15","history":[{{"date":"2025-12-01","status":"Case Was Received"}},{{"date":"2026-03-15","status":"{status}"}}]}}"#
        ));
        out.push('\n');
    }
    out.into_bytes()
}

fn import(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let data = lines(RECORDS);
    let mut group = c.benchmark_group("import");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("new records", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                let store = SledStore::open(&dir.path().join("db")).expect("open");
                (dir, store)
            },
            |(dir, store)| {
                let report = runtime
                    .block_on(import_bytes(&store, &data))
                    .expect("import");
                assert_eq!(report.inserted, RECORDS);
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::open(&dir.path().join("db")).expect("open");
    runtime
        .block_on(import_bytes(&store, &data))
        .expect("first import");
    group.bench_function("unchanged records", |b| {
        b.iter(|| {
            let report = runtime
                .block_on(import_bytes(&store, &data))
                .expect("import");
            assert_eq!(report.unchanged, RECORDS);
        });
    });
    group.finish();
}

criterion_group!(benches, import);
criterion_main!(benches);
