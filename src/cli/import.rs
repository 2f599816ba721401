//! `casebot import`: loads case records from a JSON Lines file, either straight into the
//! database or, with `--url`, through a running server's admin API (the database can only
//! be open in one process, and going through the server also notifies followers).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::store_args::StoreArgs;
use tokio::io::AsyncBufReadExt;

use super::admin_api::{AdminApi, AdminApiError};
use super::http::Method;
use crate::store::import::{ImportError, ImportEvent, ImportReport};
use crate::store::{CaseStore, PgStore, SledStore, StoreError};

/// Largest request body sent to the server's bulk endpoint.
const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Arguments of `casebot import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Where the cases are.
    #[command(flatten)]
    pub store: StoreArgs,
    /// JSON Lines file of case records.
    pub file: PathBuf,
}

/// Why an import could not be carried out (rejected lines are reported, not errors).
#[derive(Debug, thiserror::Error)]
pub enum ImportCommandError {
    /// The database is held by another process, most likely a running server.
    #[error(
        "the case database at {path} is in use, most likely by a running `casebot serve`.\n\
         Import through that server instead (this also notifies people following the cases):\n  \
         casebot import --url http://HOST:PORT --token \"$CASEBOT_ADMIN_TOKEN\" {}\n\
         The server must have been started with CASEBOT_ADMIN_TOKEN set.",
        file.display()
    )]
    InUse {
        /// The database directory.
        path: String,
        /// The file to import, for the suggested command.
        file: PathBuf,
    },
    /// The database could not be opened.
    #[error("{0}")]
    Store(StoreError),
    /// The import into the database failed.
    #[error("{0}")]
    Import(#[from] ImportError),
    /// The file could not be opened.
    #[error("cannot open {}: {source}", file.display())]
    Open {
        /// The file.
        file: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The file could not be read to the end.
    #[error("cannot read {}: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The running server's admin API gave no usable answer.
    #[error(transparent)]
    Server(#[from] AdminApiError),
}

/// Runs the import; returns the exit code.
pub async fn run(args: ImportArgs) -> ExitCode {
    let result = match &args.store.url {
        Some(url) => import_via_server(&args, url).await,
        None => import_direct(&args).await,
    };
    match result {
        Ok(report) => {
            if report.rejected_total > report.rejected.len() && args.store.url.is_some() {
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

async fn import_direct(args: &ImportArgs) -> Result<ImportReport, ImportCommandError> {
    if let Some(url) = args.store.database_url.as_deref().filter(|u| !u.is_empty()) {
        let store = PgStore::connect(url)
            .await
            .map_err(ImportCommandError::Store)?;
        return import_into(&store, args).await;
    }
    let store = match SledStore::open(&args.store.db) {
        Ok(s) => s,
        Err(StoreError::Locked(path)) => {
            return Err(ImportCommandError::InUse {
                path,
                file: args.file.clone(),
            });
        }
        Err(e) => return Err(ImportCommandError::Store(e)),
    };
    import_into(&store, args).await
}

/// Imports the file into an open store, showing progress on a terminal.
async fn import_into(
    store: &dyn CaseStore,
    args: &ImportArgs,
) -> Result<ImportReport, ImportCommandError> {
    let file = args.file.display().to_string();
    let progress = std::io::stderr().is_terminal();
    let report = crate::store::import::import_file_with(store, &args.file, |event| match event {
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
    Ok(report?)
}

/// Sends the file in parts of whole lines to `POST /api/cases/import`.
async fn import_via_server(
    args: &ImportArgs,
    url: &str,
) -> Result<ImportReport, ImportCommandError> {
    let server = AdminApi::new(url, args.store.token.as_deref())?;
    let file =
        tokio::fs::File::open(&args.file)
            .await
            .map_err(|source| ImportCommandError::Open {
                file: args.file.clone(),
                source,
            })?;
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
            .map_err(|source| ImportCommandError::Read {
                file: args.file.clone(),
                source,
            })?;
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
            let part: ImportReport = server
                .call(
                    Method::POST,
                    "/api/cases/import",
                    "application/x-ndjson",
                    send,
                )
                .await?;
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
