//! What an FAQ author sees when an edit takes another topic's questions, and what a
//! running server says about the latest edit: `casebot check` against the last commit,
//! `GET /api/content`, `/healthz` and `casebot check --url`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use casebot::cli::http::{self, Method};
use common::{TestServer, content_copy};

const TOKEN: &str = "authoring-token";

fn casebot(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_casebot"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "error")
        .env_remove("CASEBOT_ADMIN_TOKEN")
        .output()
        .expect("run casebot");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=author",
            "-c",
            "user.email=author@example.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// A copy of the shipped content in a git work tree of its own, committed.
fn committed_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    content_copy(dir.path());
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "content"]);
    dir
}

fn fee_article(alternatives: &[&str]) -> String {
    let quoted: Vec<String> = alternatives.iter().map(|a| format!("{a:?}")).collect();
    format!(
        "+++\nid = \"card-fee\"\nquestion = \"How much does it cost to file for a new card?\"\nalternatives = [{}]\n+++\nThe fee is listed on the form's page on uscis.gov.\n",
        quoted.join(", ")
    )
}

#[test]
fn an_example_that_takes_another_topics_question_is_named_with_the_other_example() {
    let dir = committed_copy();
    std::fs::write(
        dir.path().join("knowledge/card-fee.md"),
        fee_article(&[
            "card fee",
            "how much is the fee to replace a green card",
            "how do i replace my green card",
            "i need a new green card because mine got lost",
        ]),
    )
    .unwrap();
    let (ok, out) = casebot(&["check"], dir.path());
    assert!(ok, "a warning does not fail the check: {out}");
    for taken in [
        "how do i replace my green card",
        "i need a new green card because mine got lost",
    ] {
        let warning = out
            .lines()
            .find(|l| l.contains(&format!("\"{taken}\" of `card-fee`")))
            .unwrap_or_else(|| panic!("no warning for {taken:?}:\n{out}"));
        assert!(warning.starts_with("knowledge/card-fee.md:4:"), "{warning}");
        assert!(
            warning.contains("`replace-green-card` answers it"),
            "{warning}"
        );
        assert!(
            warning.contains("at knowledge/replace-green-card.md:"),
            "it names the other topic's example and where it is: {warning}"
        );
    }
    // Questions about the fee itself are the new article's own.
    assert!(!out.contains("\"card fee\" of"), "{out}");
    assert!(
        !out.contains("\"how much is the fee to replace a green card\" of"),
        "{out}"
    );
}

#[test]
fn check_reports_the_utterances_a_change_moves_since_the_last_commit() {
    let dir = committed_copy();
    let (ok, out) = casebot(&["check"], dir.path());
    assert!(ok, "{out}");
    assert!(out.contains("compared with the last commit"), "{out}");
    assert!(!out.contains("moved"), "nothing changed yet: {out}");

    std::fs::write(
        dir.path().join("knowledge/card-fee.md"),
        fee_article(&["card fee", "how do i get my green card replaced"]),
    )
    .unwrap();
    let (ok, out) = casebot(&["check"], dir.path());
    assert!(ok, "a moved test is reported, not refused: {out}");
    assert!(
        out.contains(
            "this change moved 1 utterance from `replace-green-card` to `card-fee`: \"how do i get my green card replaced\""
        ),
        "{out}"
    );
    // The test it breaks is a warning for `check`, and still fails `casebot test`.
    let (ok, out) = casebot(&["test"], dir.path());
    assert!(!ok, "{out}");
}

async fn content_status(server: &TestServer) -> serde_json::Value {
    let answer = http::request(
        Method::GET,
        &server.http_url("/api/content"),
        Some(TOKEN),
        "",
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 200);
    serde_json::from_slice(&answer.body).unwrap()
}

async fn healthz(server: &TestServer) -> String {
    let answer = http::request(Method::GET, &server.http_url("/healthz"), None, "")
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    String::from_utf8_lossy(&answer.body).into_owned()
}

/// Waits until the server has judged an edit: its status is no longer `expected_not`.
async fn next_status(
    server: &TestServer,
    previous_at: &serde_json::Value,
    outcome: &str,
) -> serde_json::Value {
    for _ in 0..300 {
        let status = content_status(server).await;
        if status["outcome"] == outcome && (status["at"] != *previous_at || outcome != "ok") {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server never reported {outcome}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_shows_what_it_made_of_the_latest_edit() {
    let dir = tempfile::tempdir().unwrap();
    let (intents, knowledge) = content_copy(dir.path());
    let server = TestServer::start_with(|c| {
        c.intents = intents.clone();
        c.knowledge = knowledge.clone();
        c.watch = true;
        c.admin_token = Some(TOKEN.into());
        c.limits.message_burst = 1000.0;
    })
    .await;
    let started = content_status(&server).await;
    assert_eq!(started["outcome"], "started", "{started}");
    assert_eq!(healthz(&server).await, "ok");
    let url = format!("http://{}", server.addr);

    // A broken edit is refused: the status names where, /healthz says older content is
    // live, and `check --url` fails with the same location.
    std::fs::write(
        intents.join("llamas.toml"),
        "[[intent]]\nid = \"llamas\"\nexamples = [\"do you ship llamas\"\n",
    )
    .unwrap();
    let refused = next_status(&server, &started["at"], "refused").await;
    assert_eq!(refused["live_is_latest"], false, "{refused}");
    let error = &refused["errors"][0];
    assert!(
        error["path"].as_str().unwrap().ends_with("llamas.toml")
            && error["line"].as_u64().unwrap() >= 1,
        "{refused}"
    );
    assert!(healthz(&server).await.contains("the last edit was refused"));
    let (ok, out) = casebot(&["check", "--url", &url, "--token", TOKEN], dir.path());
    assert!(!ok, "{out}");
    assert!(out.contains("llamas.toml:"), "{out}");
    assert!(out.contains("the latest edit was refused"), "{out}");

    // An edit whose test fails still goes live, and the failing test is reported.
    std::fs::write(
        intents.join("llamas.toml"),
        "[[intent]]\nid = \"llamas\"\nexamples = [\"do you ship llamas\", \"llama shipping overnight\"]\ntests = [\"what is the capital of peru\"]\nresponses = [\"We don't ship llamas.\"]\n",
    )
    .unwrap();
    let live = next_status(&server, &refused["at"], "ok").await;
    assert_eq!(live["live_is_latest"], true, "{live}");
    let warnings = live["warnings"].to_string();
    assert!(
        warnings.contains("what is the capital of peru"),
        "the failing test is reported: {live}"
    );
    assert_eq!(
        server
            .client()
            .await
            .ask("do you ship llamas overnight")
            .await["intent"],
        "llamas"
    );
    assert_eq!(healthz(&server).await, "ok");
    let (ok, out) = casebot(&["check", "--url", &url, "--token", TOKEN], dir.path());
    assert!(ok, "{out}");
    assert!(out.contains("the latest edit went live"), "{out}");
    assert!(out.contains("what is the capital of peru"), "{out}");

    let (ok, out) = casebot(&["check", "--url", &url, "--token", "wrong"], dir.path());
    assert!(!ok && out.contains("refused the admin token"), "{out}");
}

#[tokio::test]
async fn the_reload_status_needs_the_admin_token() {
    let server = TestServer::start_with(|c| c.admin_token = Some(TOKEN.into())).await;
    let anonymous = http::request(Method::GET, &server.http_url("/api/content"), None, "")
        .await
        .unwrap();
    assert_eq!(anonymous.status, 401);
    let off = TestServer::start().await;
    let answer = http::request(Method::GET, &off.http_url("/api/content"), Some(TOKEN), "")
        .await
        .unwrap();
    assert_eq!(answer.status, 404, "the admin API is off");
    let post = http::request(Method::POST, &off.http_url("/api/content"), None, "")
        .await
        .unwrap();
    assert_eq!(post.status, 404, "no other method shows it exists either");
}

#[test]
fn the_answer_threshold_is_the_authors_to_set_and_check_names_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    content_copy(dir.path());
    let eval_file = dir.path().join("asked.jsonl");
    std::fs::write(
        &eval_file,
        r#"{"text": "i forgot my password, what now", "expect": "forgot-password"}"#,
    )
    .unwrap();
    let eval = |dir: &Path| {
        let (ok, out) = casebot(&["eval", "--json", "--labelled", "asked.jsonl"], dir);
        assert!(ok, "{out}");
        let figures: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        figures["threshold_in_use"].as_f64().unwrap()
    };
    assert!(
        (eval(dir.path()) - 0.45).abs() < 1e-6,
        "the shipped default"
    );

    let settings = dir.path().join("intents/settings.toml");
    std::fs::write(&settings, "[settings]\nanswer_threshold = 0.6\n").unwrap();
    assert!(
        (eval(dir.path()) - 0.6).abs() < 1e-6,
        "the author's threshold is used"
    );

    std::fs::write(&settings, "[settings]\n\nanswer_threshold = 1.5\n").unwrap();
    let (ok, out) = casebot(&["check"], dir.path());
    assert!(!ok, "{out}");
    assert!(
        out.contains("intents/settings.toml:3:20: error: `answer_threshold` is 1.5"),
        "{out}"
    );
    std::fs::write(&settings, "[settings]\nanswer_threshold = 0.5\n").unwrap();
    std::fs::write(
        dir.path().join("intents/more.toml"),
        "[settings]\nsuggest_threshold = 0.1\n",
    )
    .unwrap();
    let (ok, out) = casebot(&["check"], dir.path());
    assert!(!ok, "{out}");
    assert!(out.contains("a second [settings] table"), "{out}");
}
