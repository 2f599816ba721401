//! `casebot export` as a real process: through a running server's admin API, straight
//! from a sled or PostgreSQL database, and back in with `casebot import` into a fresh
//! server, every record (history and unknown fields included) unchanged.

mod common;
mod support;

use std::process::{Command, Output};

use casebot::store::{CaseRecord, CaseStore, SledStore};
use common::TestServer;
use support::pg::{Node, TestPg};
use support::{TOKEN, http, record};

/// Runs `casebot ARGS` without the environment of the machine it runs on.
fn casebot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casebot"))
        .args(args)
        .env_remove("CASEBOT_ADMIN_TOKEN")
        .env_remove("CASEBOT_URL")
        .env_remove("CASEBOT_DB")
        .env_remove("CASEBOT_DATABASE_URL")
        .output()
        .expect("run casebot")
}

/// `casebot ARGS` off the async workers, for tests that serve in-process.
async fn casebot_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        casebot(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every record of a store, in receipt order.
async fn all(store: &dyn CaseStore) -> Vec<CaseRecord> {
    let (mut records, mut after) = (Vec::new(), None::<String>);
    loop {
        let page = store.page(after.as_deref(), 700).await.unwrap();
        let Some(last) = page.last() else {
            return records;
        };
        after = Some(last.receipt_number.clone());
        records.extend(page);
    }
}

/// Fills a store through the admin API at `addr`: the demo cases, 2,500 more (several
/// pages of an export), status changes that grow histories, and a record with fields this
/// version does not know and text that needs escaping.
async fn fill(addr: std::net::SocketAddr) {
    let bulk = |body: String| async move {
        let answer = http(
            addr,
            "POST",
            "/api/cases/import",
            Some(TOKEN),
            body.as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(answer.status, 200, "{}", text(&answer.body));
        assert_eq!(answer.json()["rejected_total"], 0);
    };
    let demo = std::fs::read_to_string(common::repo().join("data/demo-cases.jsonl")).unwrap();
    bulk(demo).await;
    let many = |status: &str, updated: &str, step: usize| {
        (0..2500)
            .step_by(step)
            .map(|i| record(&format!("LIN26{i:08}"), "I-140", status, updated))
            .collect::<Vec<_>>()
            .join("\n")
    };
    bulk(many("Case Was Received", "2026-01-05", 1)).await;
    bulk(many(
        "Case Is Being Actively Reviewed By USCIS",
        "2026-03-01",
        3,
    ))
    .await;
    bulk(many("Case Was Approved", "2026-06-30", 7)).await;
    let odd = serde_json::json!({
        "receipt_number": "EAC2690099999", "form": "I-485", "status": "Case Was Received",
        "updated": "2026-02-03", "description": "Añadido — \"quoted\", a\ttab, a line\nbreak ✓",
        "office": "National Benefits Center", "priority": 3, "ratio": 0.1,
        "tags": ["a", {"b": null}]
    });
    let put = http(
        addr,
        "PUT",
        "/api/cases/EAC2690099999",
        Some(TOKEN),
        odd.to_string().as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(put.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_from_a_running_server_imports_into_a_fresh_one_unchanged() {
    let first = TestServer::start_with(|c| c.admin_token = Some(TOKEN.to_string())).await;
    fill(first.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.jsonl");
    let out = casebot_async(vec![
        "export".into(),
        "--url".into(),
        format!("http://{}", first.addr),
        "--token".into(),
        TOKEN.into(),
        file.display().to_string(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = all(first.store.as_ref()).await;
    assert_eq!(before.len(), 60 + 2500 + 1);
    assert!(
        text(&out.stderr).contains(&format!(
            "exported {} cases to {}",
            before.len(),
            file.display()
        )),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("cases.jsonl.partial").exists());
    let exported = std::fs::read_to_string(&file).unwrap();
    assert_eq!(exported.lines().count(), before.len());

    let second = TestServer::start_with(|c| c.admin_token = Some(TOKEN.to_string())).await;
    let out = casebot_async(vec![
        "import".into(),
        "--url".into(),
        format!("http://{}", second.addr),
        "--token".into(),
        TOKEN.into(),
        file.display().to_string(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!(
            "imported {} new, updated 0, unchanged 0, rejected 0",
            before.len()
        )),
        "{}",
        text(&out.stdout)
    );
    let after = all(second.store.as_ref()).await;
    assert_eq!(after.len(), before.len());
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(
            a, b,
            "a record changed on its way through export and import"
        );
    }
    let grown = after
        .iter()
        .find(|r| r.receipt_number == "LIN2600000021")
        .unwrap();
    assert_eq!(grown.history.len(), 3, "{grown:?}");

    // Importing the export again changes nothing, and exporting the copy gives the same bytes.
    let again = casebot_async(vec![
        "export".into(),
        "--url".into(),
        format!("http://{}", second.addr),
        "--token".into(),
        TOKEN.into(),
    ])
    .await;
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(text(&again.stdout), exported, "stdout holds the same lines");
    first.stop().await.unwrap();
    second.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sled_database_exports_directly_unless_a_server_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let server = TestServer::start_with(|c| {
        c.admin_token = Some(TOKEN.to_string());
        c.db = db.clone();
    })
    .await;
    fill(server.addr).await;
    let held = casebot_async(vec![
        "export".into(),
        "--db".into(),
        db.display().to_string(),
    ])
    .await;
    assert!(!held.status.success());
    let err = text(&held.stderr);
    assert!(
        err.contains("is in use") && err.contains("casebot serve"),
        "{err}"
    );
    assert!(
        err.contains("casebot export --url") && err.contains("--token"),
        "{err}"
    );
    let expected = all(server.store.as_ref()).await;
    server.stop().await.unwrap();

    let out = casebot_async(vec![
        "export".into(),
        "--db".into(),
        db.display().to_string(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<CaseRecord> = text(&out.stdout)
        .lines()
        .map(|l| casebot::store::parse_record(l.as_bytes()).expect("an importable line"))
        .collect();
    assert_eq!(lines, expected);

    let missing = dir.path().join("no-such-db");
    let out = casebot(&["export", "--db", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("there is no case database at"),
        "{}",
        text(&out.stderr)
    );
    assert!(!missing.exists(), "a missing database is not created");
}

#[tokio::test]
async fn a_record_that_would_not_import_again_is_written_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    {
        let store = SledStore::open(&db).unwrap();
        store
            .upsert(common::case(
                "EAC2690000002",
                "Case Was Received",
                "2026-01-02",
            ))
            .await
            .unwrap();
        store.sync().await.unwrap();
    }
    {
        // What an older version could store: a history grown past the 500 entries a record
        // may bring (the store now keeps the latest 500), written as the store writes it.
        let mut full = common::case("EAC2690000001", "Case Was Approved", "2026-01-02");
        full.history = (0..501)
            .map(|i| {
                common::entry(
                    "2026-01-02",
                    if i % 2 == 0 { "A" } else { "Case Was Approved" },
                )
            })
            .collect();
        let raw = sled::open(&db).unwrap();
        let cases = raw.open_tree("cases").unwrap();
        cases
            .insert(
                full.receipt_number.as_bytes(),
                serde_json::to_vec(&full).unwrap(),
            )
            .unwrap();
        raw.flush().unwrap();
    }
    let file = dir.path().join("out.jsonl");
    let out = casebot(&[
        "export",
        "--db",
        db.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "the command says something is wrong");
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:1: `history` has more than 500 entries",
            file.display()
        )),
        "{err}"
    );
    assert!(err.contains("1 of them would not import again"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap().lines().count(),
        2,
        "every case is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_exports_through_a_node_and_directly_alike() {
    let pg = TestPg::start().await;
    let node = Node::start(&pg.url).await;
    fill(node.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let (via_node, direct) = (dir.path().join("node.jsonl"), dir.path().join("db.jsonl"));
    let out = casebot_async(vec![
        "export".into(),
        "--url".into(),
        format!("http://{}", node.addr),
        "--token".into(),
        TOKEN.into(),
        via_node.display().to_string(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = casebot_async(vec![
        "export".into(),
        "--database-url".into(),
        pg.url.clone(),
        direct.display().to_string(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported = std::fs::read_to_string(&via_node).unwrap();
    assert_eq!(exported, std::fs::read_to_string(&direct).unwrap());

    // Restored into a fresh sled database, every record is as PostgreSQL held it.
    let restored = dir.path().join("restored");
    let out = casebot(&[
        "import",
        "--db",
        restored.to_str().unwrap(),
        via_node.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let store = SledStore::open(&restored).unwrap();
    let expected = all(node.state.store().as_ref()).await;
    assert_eq!(expected.len(), 60 + 2500 + 1);
    assert_eq!(all(&store).await, expected);
    node.stop().await;
}
