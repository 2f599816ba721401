//! `casebot import` run as a real process on a temp sled database, and through a running
//! server's admin API.

mod common;
mod support;

use std::path::Path;
use std::process::{Command, Output};

use casebot::store::{SledStore, validate};
use common::TestServer;
use support::{TOKEN, record};

fn import(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casebot"))
        .arg("import")
        .args(args)
        .arg(file)
        .env_remove("CASEBOT_ADMIN_TOKEN")
        .env_remove("CASEBOT_URL")
        .output()
        .expect("run casebot import")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn good_lines_are_imported_bad_ones_reported_by_line_and_a_rerun_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let file = dir.path().join("cases.jsonl");
    let lines = [
        record("EAC2690000001", "I-130", "Case Was Received", "2026-01-02"),
        record("EAC2690000002", "I-130", "Case Was Received", "2026-02-29"),
        String::new(),
        record(
            "EAC2690000003",
            "N-400",
            "Interview Was Scheduled",
            "2026-05-01",
        ),
        "{\"receipt_number\": \"EAC2690000004\"".to_string(),
        record(
            "EAC 26 900 00005",
            "I-485",
            "Case Was Received",
            "2026-01-02",
        ),
        record("EAC2690000006", "I-765", "Case Was Approved", "2026-03-03"),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let db_arg = db.to_str().unwrap();

    let first = import(&["--db", db_arg], &file);
    let (out, err) = (text(&first.stdout), text(&first.stderr));
    assert!(
        !first.status.success(),
        "rejected lines make the command fail"
    );
    assert!(
        out.contains("imported 3 new, updated 0, unchanged 0, rejected 3"),
        "{out}"
    );
    let name = file.display().to_string();
    assert!(
        err.contains(&format!(
            "{name}:2: `updated` \"2026-02-29\" is not a real day"
        )),
        "{err}"
    );
    assert!(err.contains(&format!("{name}:5: malformed JSON")), "{err}");
    assert!(
        err.contains(&format!("{name}:6: `receipt_number`"))
            && err.contains("did you mean EAC2690000005?"),
        "{err}"
    );

    let second = import(&["--db", db_arg], &file);
    assert!(
        text(&second.stdout).contains("imported 0 new, updated 0, unchanged 3, rejected 3"),
        "{}",
        text(&second.stdout)
    );

    let store = SledStore::open(&db).unwrap();
    let stored: Vec<String> = store.iter().map(|r| r.unwrap().receipt_number).collect();
    assert_eq!(stored, ["EAC2690000001", "EAC2690000003", "EAC2690000006"]);
}

#[test]
fn the_demo_cases_import_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo-cases.jsonl");
    let output = import(&["--db", db.to_str().unwrap()], &demo);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let store = SledStore::open(&db).unwrap();
    let cases = store.iter().count();
    assert!(cases >= 50, "at least 50 demo cases, got {cases}");
    for case in store.iter() {
        let case = case.unwrap();
        validate(&case).unwrap();
        assert!(
            !case.history.is_empty() && case.history.last().unwrap().status == case.status,
            "{case:?}"
        );
    }
}

#[test]
fn a_database_held_by_a_server_gets_a_clear_message_pointing_to_the_admin_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let _held = SledStore::open(&db).unwrap();
    let file = dir.path().join("cases.jsonl");
    std::fs::write(
        &file,
        record("EAC2690000001", "I-130", "Case Was Received", "2026-01-02"),
    )
    .unwrap();
    let output = import(&["--db", db.to_str().unwrap()], &file);
    assert!(!output.status.success());
    let err = text(&output.stderr);
    assert!(
        err.contains("is in use") && err.contains("casebot serve"),
        "{err}"
    );
    assert!(err.contains("--url") && err.contains("--token"), "{err}");
}

#[tokio::test]
async fn importing_through_a_running_server_stores_the_cases_there() {
    let server = TestServer::start_with(|c| c.admin_token = Some(TOKEN.to_string())).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.jsonl");
    let lines = [
        record("SRC2690000042", "I-140", "Case Was Received", "2026-02-09"),
        record("SRC2690000043", "I-140", "Case Was Received", "2026-02-31"),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let url = format!("http://{}", server.addr);
    let file2 = file.clone();
    let output =
        tokio::task::spawn_blocking(move || import(&["--url", &url, "--token", TOKEN], &file2))
            .await
            .unwrap();
    assert!(
        text(&output.stdout).contains("imported 1 new, updated 0, unchanged 0, rejected 1"),
        "{}",
        text(&output.stdout)
    );
    assert!(
        text(&output.stderr).contains(&format!("{}:2: `updated`", file.display())),
        "{}",
        text(&output.stderr)
    );
    assert!(server.store.get("SRC2690000042").await.unwrap().is_some());

    let url = format!("http://{}", server.addr);
    let wrong =
        tokio::task::spawn_blocking(move || import(&["--url", &url, "--token", "wrong"], &file))
            .await
            .unwrap();
    assert!(!wrong.status.success());
    assert!(
        text(&wrong.stderr).contains("refused the admin token"),
        "{}",
        text(&wrong.stderr)
    );
}

#[test]
fn a_line_over_the_limit_is_reported_by_number_and_the_next_line_still_imports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let file = dir.path().join("cases.jsonl");
    let huge = format!("{{\"receipt_number\":\"{}\"}}", "9".repeat(3 << 20));
    let lines = [
        record("EAC2690000001", "I-130", "Case Was Received", "2026-01-02"),
        huge,
        record("EAC2690000003", "I-130", "Case Was Received", "2026-01-02"),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let output = import(&["--db", db.to_str().unwrap()], &file);
    let (out, err) = (text(&output.stdout), text(&output.stderr));
    assert!(
        out.contains("imported 2 new, updated 0, unchanged 0, rejected 1"),
        "{out}"
    );
    assert!(
        err.contains(&format!(
            "{}:2: the line is {} bytes long; a record may have at most 65536",
            file.display(),
            lines[1].len() + 1
        )),
        "{err}"
    );
}
