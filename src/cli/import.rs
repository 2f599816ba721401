//! `casebot import`: loads case records from a JSON Lines file, either straight into the
//! database or, with `--url`, through a running server's admin API (the database can only
//! be open in one process, and going through the server also notifies followers).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use crate::store::import::{ImportEvent, ImportReport};
use crate::store::{SledStore, StoreError};

/// Largest request body sent to the server's bulk endpoint.
const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Arguments of `casebot import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Directory of the sled case database.
    #[arg(long, env = "CASEBOT_DB", default_value = "data/db")]
    pub db: PathBuf,
    /// Import through a running server instead, e.g. `http://127.0.0.1:8080`.
    #[arg(long, env = "CASEBOT_URL")]
    pub url: Option<String>,
    /// Admin token of the server (its `CASEBOT_ADMIN_TOKEN`), needed with `--url`.
    #[arg(long, env = "CASEBOT_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// JSON Lines file of case records.
    pub file: PathBuf,
}

/// Runs the import; returns the exit code.
pub async fn run(args: ImportArgs) -> ExitCode {
    let result = match &args.url {
        Some(url) => import_via_server(&args, url).await,
        None => import_direct(&args).await,
    };
    match result {
        Ok(report) => {
            if report.rejected_total > report.rejected.len() && args.url.is_some() {
                eprintln!(
                    "{}: ... and {} more rejected lines",
                    args.file.display(),
                    report.rejected_total - report.rejected.len()
                );
            }
            println!(
                "imported {} new, updated {}, unchanged {}, rejected {}",
                report.inserted, report.updated, report.unchanged, report.rejected_total
            );
            if report.rejected_total == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(message) => {
            eprintln!("casebot: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn import_direct(args: &ImportArgs) -> Result<ImportReport, String> {
    let store = match SledStore::open(&args.db) {
        Ok(s) => s,
        Err(StoreError::Locked(path)) => {
            return Err(format!(
                "the case database at {path} is in use, most likely by a running `casebot serve`.\n\
                 Import through that server instead (this also notifies people following the cases):\n  \
                 casebot import --url http://HOST:PORT --token \"$CASEBOT_ADMIN_TOKEN\" {}\n\
                 The server must have been started with CASEBOT_ADMIN_TOKEN set.",
                args.file.display()
            ));
        }
        Err(e) => return Err(e.to_string()),
    };
    let file = args.file.display().to_string();
    let progress = std::io::stderr().is_terminal();
    let report = crate::store::import::import_file_with(&store, &args.file, |event| match event {
        ImportEvent::Rejected(r) => {
            if progress {
                eprint!("\r\x1b[K");
            }
            eprintln!("{file}:{}: {}", r.line, r.reason);
        }
        ImportEvent::Progress { lines, report } if progress => {
            eprint!(
                "\r\x1b[K{lines} lines read, {} records stored",
                report.accepted()
            );
        }
        ImportEvent::Progress { .. } => {}
    })
    .await;
    if progress {
        eprint!("\r\x1b[K");
    }
    report.map_err(|e| e.to_string())
}

/// Sends the file in parts of whole lines to `POST /api/cases/import`.
async fn import_via_server(args: &ImportArgs, url: &str) -> Result<ImportReport, String> {
    let server = ServerUrl::parse(url)?;
    let token =
        args.token.as_deref().filter(|t| !t.is_empty()).ok_or(
            "--url needs the server's admin token: pass --token or set CASEBOT_ADMIN_TOKEN",
        )?;
    let file = tokio::fs::File::open(&args.file)
        .await
        .map_err(|e| format!("cannot open {}: {e}", args.file.display()))?;
    let mut reader = tokio::io::BufReader::with_capacity(256 * 1024, file);
    let name = args.file.display().to_string();
    let progress = std::io::stderr().is_terminal();
    let mut total = ImportReport::default();
    let (mut lines_sent, mut body, mut body_lines) = (0usize, Vec::new(), 0usize);
    loop {
        let before = body.len();
        let n = reader
            .read_until(b'\n', &mut body)
            .await
            .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
        if n > 0 {
            body_lines += 1;
            if !body.ends_with(b"\n") {
                body.push(b'\n');
            }
        }
        let full = body.len() >= MAX_REQUEST_BYTES && before > 0;
        if full || (n == 0 && !body.is_empty()) {
            // Send whole lines only; a line that overflowed the part goes into the next one.
            let (send, rest, rest_lines) = if full && n > 0 {
                (body[..before].to_vec(), body[before..].to_vec(), 1)
            } else {
                (body, Vec::new(), 0)
            };
            let part = post_import(&server, token, send).await?;
            for r in &part.rejected {
                eprintln!("{name}:{}: {}", r.line + lines_sent, r.reason);
            }
            total.absorb(part, lines_sent);
            lines_sent += body_lines - rest_lines;
            if progress {
                eprint!(
                    "\r\x1b[K{lines_sent} lines sent, {} records stored",
                    total.accepted()
                );
            }
            (body, body_lines) = (rest, rest_lines);
        }
        if n == 0 && body.is_empty() {
            break;
        }
    }
    if progress {
        eprint!("\r\x1b[K");
    }
    Ok(total)
}

async fn post_import(
    server: &ServerUrl,
    token: &str,
    body: Vec<u8>,
) -> Result<ImportReport, String> {
    let (status, text) = server
        .request("POST", "/api/cases/import", token, &body)
        .await?;
    match status {
        200 => serde_json::from_slice(&text)
            .map_err(|e| format!("unexpected answer from the server: {e}")),
        401 => Err("the server refused the admin token (401)".into()),
        404 => Err("the server's admin API is off: start it with CASEBOT_ADMIN_TOKEN set".into()),
        _ => {
            let message = serde_json::from_slice::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&text).into_owned());
            Err(format!("the server answered {status}: {message}"))
        }
    }
}

/// `http://host:port` of a running server.
#[derive(Debug)]
struct ServerUrl {
    authority: String,
}

impl ServerUrl {
    fn parse(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("--url {url:?} must start with http:// (for TLS, import on the server host through its local address)")
        })?;
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            return Err(format!("--url {url:?} has no host"));
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Ok(ServerUrl { authority })
    }

    /// One HTTP/1.1 request on a fresh connection; returns the status and the body.
    async fn request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let unreachable =
            |e: std::io::Error| format!("cannot reach the server at {}: {e}", self.authority);
        let mut stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .map_err(unreachable)?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.authority,
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(unreachable)?;
        stream.write_all(body).await.map_err(unreachable)?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(unreachable)?;
        parse_response(&response)
            .ok_or_else(|| format!("the server at {} sent a malformed answer", self.authority))
    }
}

fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let chunked = lines.any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.eq_ignore_ascii_case("transfer-encoding") && v.trim().eq_ignore_ascii_case("chunked")
        })
    });
    Some((
        status,
        if chunked {
            dechunk(body)?
        } else {
            body.to_vec()
        },
    ))
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_http_and_get_a_default_port() {
        assert_eq!(
            ServerUrl::parse("http://127.0.0.1:8080/")
                .unwrap()
                .authority,
            "127.0.0.1:8080"
        );
        assert_eq!(
            ServerUrl::parse("http://cases.internal").unwrap().authority,
            "cases.internal:80"
        );
        assert!(
            ServerUrl::parse("https://x")
                .unwrap_err()
                .contains("http://")
        );
        assert!(ServerUrl::parse("127.0.0.1:8080").is_err());
    }

    #[test]
    fn responses_are_read_plain_or_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain), Some((200, b"{}".to_vec())));
        let chunked = b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((401, b"abcde".to_vec())));
        assert_eq!(parse_response(b"garbage"), None);
    }
}
