//! The widget's end-to-end tests in headless Chromium (tests/browser/*.test.mjs), run as
//! part of `cargo test` against the casebot binary cargo just built. They need Debian's
//! Chromium and Node.js; `.ci/setup-browser.sh` installs both sets of dependencies. A
//! missing dependency fails the test with that instruction rather than skipping it.

use std::path::Path;
use std::process::Command;

#[test]
fn widget_works_in_a_real_browser() {
    run_node_tests("widget.test.mjs");
}

#[test]
fn an_agent_takes_a_chat_in_a_real_browser() {
    run_node_tests("agent.test.mjs");
}

/// Runs one file of Node tests in tests/browser against the casebot binary just built.
fn run_node_tests(file: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    assert!(
        Path::new(&chromium).exists(),
        "the browser tests need Chromium at {chromium}: run .ci/setup-browser.sh (or set CHROMIUM)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "the browser tests need Node.js: run .ci/setup-browser.sh"
    );
    // The two tests run at once; one installs the dependencies while the other waits.
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let installing = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if !dir.join("node_modules/playwright-core").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("run npm ci");
        assert!(status.success(), "npm ci in tests/browser failed");
    }
    drop(installing);
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .arg(file)
        .current_dir(&dir)
        .env("CASEBOT_BIN", env!("CARGO_BIN_EXE_casebot"))
        .env("CHROMIUM", &chromium)
        .env_remove("CASEBOT_URL")
        .output()
        .expect("run node --test");
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    println!("{report}");
    assert!(out.status.success(), "browser tests failed:\n{report}");
}
