//! The widget's end-to-end tests in headless Chromium (tests/browser/*.test.mjs), run as
//! part of `cargo test` against the casebot binary cargo just built. They need Debian's
//! Chromium and Node.js; `.ci/setup-browser.sh` installs both sets of dependencies. A
//! missing dependency fails the test with that instruction rather than skipping it.

use std::path::Path;
use std::process::Command;

#[test]
fn widget_works_in_a_real_browser() {
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
    if !dir.join("node_modules/playwright-core").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("run npm ci");
        assert!(status.success(), "npm ci in tests/browser failed");
    }
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .arg("widget.test.mjs")
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
