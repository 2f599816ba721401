//! `casebot export`: writes every case as JSON Lines in the format `casebot import` reads,
//! page by page (never the whole store in memory), either straight from the database or,
//! with `--url`, through a running server's admin API (a sled database can only be open in
//! one process, so a served one is exported that way).
//!
//! What an export holds: each line is one whole record as it was at one moment. Straight
//! from sled, the export holds the database's lock, so nothing writes meanwhile and the
//! file is the store at one moment. Through a server or from PostgreSQL, pages are read
//! one after another while others may write: a case that exists for the whole export is
//! in it exactly once, as it was when its page was read; a case created or deleted
//! meanwhile may be in it or not.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::store_args::StoreArgs;
use serde::Deserialize;
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};

use super::admin_api::{AdminApi, AdminApiError};
use super::http::Method;
use crate::store::import::MAX_LINE_BYTES;
use crate::store::{CaseRecord, CaseStore, PgStore, SledStore, StoreError, validate};

/// Cases read per page, from the store or the server (the admin API's largest page).
const PAGE: usize = 1000;

/// Arguments of `casebot export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where the cases are.
    #[command(flatten)]
    pub store: StoreArgs,
    /// File to write (replaced only once the export is complete); standard output when
    /// absent or `-`.
    pub file: Option<PathBuf>,
}

/// Why an export could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum ExportCommandError {
    /// The database is held by another process, most likely a running server.
    #[error(
        "the case database at {0} is in use, most likely by a running `casebot serve`.\n\
         Export through that server instead:\n  \
         casebot export --url http://HOST:PORT --token \"$CASEBOT_ADMIN_TOKEN\" cases.jsonl\n\
         The server must have been started with CASEBOT_ADMIN_TOKEN set."
    )]
    InUse(String),
    /// There is no sled database at `--db`.
    #[error(
        "there is no case database at {0} (give its directory with --db, or use --url or --database-url)"
    )]
    NoDatabase(String),
    /// The database could not be opened or read.
    #[error("{0}")]
    Store(StoreError),
    /// The running server's admin API gave no usable answer.
    #[error(transparent)]
    Server(#[from] AdminApiError),
    /// The output could not be written.
    #[error("cannot write {file}: {source}")]
    Write {
        /// The file, or "standard output".
        file: String,
        /// What failed.
        source: std::io::Error,
    },
}

/// Where the cases come from, one page at a time.
enum Source {
    Store(Box<dyn CaseStore>),
    Server(AdminApi),
}

/// A page of `GET /api/cases`.
#[derive(Deserialize)]
struct ServerPage {
    cases: Vec<CaseRecord>,
    next: Option<String>,
}

impl Source {
    /// The cases after `after`, and the cursor of the next page (`None` after the last).
    async fn page(
        &self,
        after: Option<&str>,
    ) -> Result<(Vec<CaseRecord>, Option<String>), ExportCommandError> {
        match self {
            Source::Store(store) => {
                let cases = store
                    .page(after, PAGE)
                    .await
                    .map_err(ExportCommandError::Store)?;
                let next = (cases.len() == PAGE)
                    .then(|| cases.last().map(|c| c.receipt_number.clone()))
                    .flatten();
                Ok((cases, next))
            }
            Source::Server(api) => {
                let path = match after {
                    Some(after) => format!("/api/cases?limit={PAGE}&after={after}"),
                    None => format!("/api/cases?limit={PAGE}"),
                };
                let page: ServerPage = api
                    .call(Method::GET, &path, "application/json", Vec::new())
                    .await?;
                Ok((page.cases, page.next))
            }
        }
    }
}

/// What an export wrote.
#[derive(Debug, Default)]
struct Written {
    /// Cases written.
    cases: usize,
    /// Lines that `casebot import` would refuse as they are.
    refused: usize,
}

/// Runs the export; returns the exit code.
pub async fn run(args: ExportArgs) -> ExitCode {
    match export(&args).await {
        Ok(written) => {
            let target = output_name(&args);
            eprintln!("exported {} cases to {target}", written.cases);
            if written.refused == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "casebot: {} of them would not import again as they are (lines listed above); \
                     every case is in the file",
                    written.refused
                );
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("casebot: {e}");
            ExitCode::FAILURE
        }
    }
}

fn output_file(args: &ExportArgs) -> Option<&Path> {
    args.file.as_deref().filter(|f| f.as_os_str() != "-")
}

fn output_name(args: &ExportArgs) -> String {
    output_file(args).map_or_else(
        || "standard output".to_string(),
        |f| f.display().to_string(),
    )
}

async fn export(args: &ExportArgs) -> Result<Written, ExportCommandError> {
    let source = open(args).await?;
    let name = output_name(args);
    let write_error = |source| ExportCommandError::Write {
        file: name.clone(),
        source,
    };
    let Some(file) = output_file(args) else {
        let mut out = BufWriter::new(tokio::io::stdout());
        return write_all(&source, &mut out, &name).await;
    };
    // Written beside the target and renamed at the end, so an export that fails halfway
    // never leaves a file that looks complete.
    let partial = partial_path(file);
    let created = tokio::fs::File::create(&partial)
        .await
        .map_err(write_error)?;
    let mut out = BufWriter::with_capacity(256 * 1024, created);
    let result = write_all(&source, &mut out, &name).await;
    let result = match result {
        Ok(written) => async {
            out.get_mut().sync_all().await?;
            tokio::fs::rename(&partial, file).await
        }
        .await
        .map(|()| written)
        .map_err(write_error),
        Err(e) => Err(e),
    };
    if result.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    result
}

/// `FILE.partial` in the same directory as `file`.
fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

async fn open(args: &ExportArgs) -> Result<Source, ExportCommandError> {
    if let Some(url) = &args.store.url {
        return Ok(Source::Server(AdminApi::new(
            url,
            args.store.token.as_deref(),
        )?));
    }
    if let Some(url) = args.store.database_url.as_deref().filter(|u| !u.is_empty()) {
        let store = PgStore::connect(url)
            .await
            .map_err(ExportCommandError::Store)?;
        return Ok(Source::Store(Box::new(store)));
    }
    // Opening a missing directory would create an empty database and export nothing.
    if !args.store.db.join("db").exists() && !args.store.db.join("conf").exists() {
        return Err(ExportCommandError::NoDatabase(
            args.store.db.display().to_string(),
        ));
    }
    match SledStore::open(&args.store.db) {
        Ok(store) => Ok(Source::Store(Box::new(store))),
        Err(StoreError::Locked(path)) => Err(ExportCommandError::InUse(path)),
        Err(e) => Err(ExportCommandError::Store(e)),
    }
}

/// Writes every page as JSON Lines, checking that `casebot import` would take each line
/// back as it is (a record stored by an older version, or grown past the limits since,
/// might not) and saying which lines it would not.
async fn write_all(
    source: &Source,
    out: &mut (impl AsyncWrite + Unpin),
    name: &str,
) -> Result<Written, ExportCommandError> {
    let write_error = |source| ExportCommandError::Write {
        file: name.to_string(),
        source,
    };
    let progress = std::io::stderr().is_terminal();
    let mut written = Written::default();
    let mut line = Vec::with_capacity(1024);
    let mut after: Option<String> = None;
    loop {
        let (cases, next) = source.page(after.as_deref()).await?;
        for case in &cases {
            line.clear();
            serde_json::to_writer(&mut line, case).expect("a record serializes");
            line.push(b'\n');
            written.cases += 1;
            if let Some(reason) = not_importable(case, line.len()) {
                written.refused += 1;
                if progress {
                    eprint!("\r\x1b[K");
                }
                eprintln!("{name}:{}: {reason}", written.cases);
            }
            out.write_all(&line).await.map_err(write_error)?;
        }
        if progress {
            eprint!("\r\x1b[K{} cases written", written.cases);
        }
        match next {
            Some(next) if !cases.is_empty() => after = Some(next),
            _ => break,
        }
    }
    if progress {
        eprint!("\r\x1b[K");
    }
    out.flush().await.map_err(write_error)?;
    Ok(written)
}

/// Why `casebot import` would refuse this record's line, if it would.
fn not_importable(case: &CaseRecord, line_bytes: usize) -> Option<String> {
    if line_bytes > MAX_LINE_BYTES {
        return Some(format!(
            "the line is {line_bytes} bytes long; `casebot import` takes at most {MAX_LINE_BYTES}"
        ));
    }
    validate(case).err().map(|e| e.reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_file_sits_beside_the_target() {
        assert_eq!(
            partial_path(Path::new("/backups/cases.jsonl")),
            Path::new("/backups/cases.jsonl.partial")
        );
    }
}
