//! Crash safety: `casebot serve` is killed with SIGKILL in the middle of admin writes and
//! of a bulk import, then restarted. Every write the server acknowledged must be there,
//! and every stored value must be a whole, valid record.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use casebot::store::{SledStore, validate};
use support::{ChildServer, TOKEN, http, record};

const STATUSES: [&str; 3] = [
    "Case Was Received",
    "Case Is Being Actively Reviewed By USCIS",
    "Case Was Approved",
];

/// Restarts the server on `db`, checks it serves a case, kills it again, then opens the
/// database directly and checks every stored value; returns the stored statuses.
async fn restart_and_check(db: &Path, probe: Option<&str>) -> BTreeMap<String, String> {
    let server = ChildServer::start(db);
    let health = http(server.addr, "GET", "/healthz", None, b"")
        .await
        .unwrap();
    assert_eq!(health.status, 200);
    if let Some(rn) = probe {
        let got = http(
            server.addr,
            "GET",
            &format!("/api/cases/{rn}"),
            Some(TOKEN),
            b"",
        )
        .await
        .unwrap();
        assert_eq!(
            got.status, 200,
            "acknowledged case {rn} is served after the restart"
        );
    }
    server.kill();
    let store = SledStore::open(db).expect("the database opens after a crash");
    let mut stored = BTreeMap::new();
    for case in store.iter() {
        let case = case.expect("every stored value decodes");
        validate(&case).expect("every stored value is a valid record");
        assert_eq!(
            case.history.last().map(|h| h.status.as_str()),
            Some(case.status.as_str())
        );
        stored.insert(case.receipt_number, case.status);
    }
    stored
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_admin_writes_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let server = ChildServer::start(&db);
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let addr = server.addr;
    let writer = {
        let acked = acked.clone();
        tokio::spawn(async move {
            for i in 0u64.. {
                let rn = format!("EAC26{:08}", i % 400);
                let status = STATUSES[(i / 400) as usize % STATUSES.len()];
                let body = record(&rn, "I-130", status, "2026-06-01");
                match http(
                    addr,
                    "PUT",
                    &format!("/api/cases/{rn}"),
                    Some(TOKEN),
                    body.as_bytes(),
                )
                .await
                {
                    Ok(answer) if answer.status == 200 => {
                        acked.lock().unwrap().insert(rn, status.to_string());
                    }
                    _ => return,
                }
            }
        })
    };
    while acked.lock().unwrap().len() < 150 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .expect("the writer stops")
        .unwrap();

    let acked = acked.lock().unwrap().clone();
    let probe = acked.keys().next().cloned();
    let stored = restart_and_check(&db, probe.as_deref()).await;
    for (rn, status) in &acked {
        // A later write to the same case may have landed without its answer arriving.
        let got = stored
            .get(rn)
            .unwrap_or_else(|| panic!("acknowledged case {rn} is missing"));
        let (want, now) = (
            STATUSES.iter().position(|s| s == status),
            STATUSES.iter().position(|s| s == got),
        );
        assert!(now >= want, "{rn}: acknowledged {status:?}, found {got:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_import_killed_midway_keeps_every_acknowledged_part_whole() {
    const PART: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let server = ChildServer::start(&db);
    let parts: Vec<String> = (0..40)
        .map(|p| {
            (0..PART)
                .map(|i| {
                    record(
                        &format!("LIN26{:08}", p * PART + i),
                        "I-765",
                        "Case Was Received",
                        "2026-02-03",
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let addr = server.addr;
    let importer = {
        let acked = acked.clone();
        tokio::spawn(async move {
            for (p, body) in parts.iter().enumerate() {
                match http(
                    addr,
                    "POST",
                    "/api/cases/import",
                    Some(TOKEN),
                    body.as_bytes(),
                )
                .await
                {
                    Ok(answer) if answer.status == 200 => {
                        assert_eq!(answer.json()["inserted"], PART);
                        acked.lock().unwrap().push(p);
                    }
                    _ => return,
                }
            }
        })
    };
    while acked.lock().unwrap().len() < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    tokio::time::timeout(Duration::from_secs(20), importer)
        .await
        .expect("the importer stops")
        .unwrap();

    let acked = acked.lock().unwrap().clone();
    let stored = restart_and_check(&db, Some("LIN2600000000")).await;
    for p in &acked {
        for i in [0, PART / 2, PART - 1] {
            let rn = format!("LIN26{:08}", p * PART + i);
            assert!(
                stored.contains_key(&rn),
                "case {rn} of acknowledged part {p} is missing"
            );
        }
    }
    assert!(stored.len() >= acked.len() * PART);
    assert_eq!(
        stored.len() % PART,
        0,
        "each part is written atomically, so no part is half there"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writes_of_the_same_new_case_are_both_durable_when_answered() {
    // Two clients PUT the same new record at once: one is told `inserted`, the other
    // `unchanged`. Either answer means the record is stored, so after a kill every case
    // any client was answered about must be there.
    // CASEBOT_CRASH_KILLS raises the count for a longer run by hand.
    let kills: usize = std::env::var("CASEBOT_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut next = 0u64;
    for _ in 0..kills {
        let server = ChildServer::start(&db);
        let addr = server.addr;
        let acked: Arc<Mutex<Vec<String>>> = Arc::default();
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let acked = acked.clone();
                tokio::spawn(async move {
                    for i in next.. {
                        let rn = format!("WAC26{i:08}");
                        let body = record(&rn, "I-130", "Case Was Received", "2026-06-01");
                        let path = format!("/api/cases/{rn}");
                        match http(addr, "PUT", &path, Some(TOKEN), body.as_bytes()).await {
                            Ok(answer) if answer.status == 200 => acked.lock().unwrap().push(rn),
                            _ => return,
                        }
                    }
                })
            })
            .collect();
        while acked.lock().unwrap().len() < 200 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill();
        for racer in racers {
            tokio::time::timeout(Duration::from_secs(10), racer)
                .await
                .expect("the writers stop")
                .unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        let stored = restart_and_check(&db, acked.first().map(String::as_str)).await;
        for rn in &acked {
            assert!(stored.contains_key(rn), "acknowledged case {rn} is missing");
        }
        next += 100_000;
    }
}
