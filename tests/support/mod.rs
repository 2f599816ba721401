//! Helpers for the case-store tests: admin API calls through the crate's HTTP client,
//! content folders for servers, and a `casebot serve` child process that can be killed.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub mod pg;

use casebot::cli::http::{self, HeaderMap, HttpError, Method};
use serde_json::Value;

/// The admin token used by the tests.
pub const TOKEN: &str = "test-admin-token-7f3a";

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "JSON body expected ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends one request to the server at `addr` on a fresh connection and reads the whole
/// answer.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> Result<Answer, HttpError> {
    let method = Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let url = format!("http://{addr}{path}");
    let answer = http::request(method, &url, token, body.to_vec()).await?;
    Ok(Answer {
        status: answer.status.as_u16(),
        headers: answer.headers,
        body: answer.body.to_vec(),
    })
}

/// A JSON case record line.
pub fn record(rn: &str, form: &str, status: &str, updated: &str) -> String {
    serde_json::json!({"receipt_number": rn, "form": form, "status": status, "updated": updated})
        .to_string()
}

/// `casebot serve` running as a child process on port 0.
pub struct ChildServer {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ChildServer {
    /// Starts `casebot serve` on `db` with the admin token and no seed file, and waits until
    /// it listens.
    pub fn start(db: &Path) -> ChildServer {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let (intents, knowledge) = (repo.join("intents"), repo.join("knowledge"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_casebot"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--seed",
                "",
                "--watch",
                "false",
            ])
            .arg("--db")
            .arg(db)
            .arg("--intents")
            .arg(intents)
            .arg("--knowledge")
            .arg(knowledge)
            .env("CASEBOT_ADMIN_TOKEN", TOKEN)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start casebot serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("open http://").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the server announces its address");
        ChildServer {
            child,
            addr: addr.parse().expect("a socket address"),
        }
    }

    /// Kills the process with SIGKILL (no shutdown code runs) and reaps it.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
