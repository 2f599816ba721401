//! `casebot import`: loads case records from a JSON Lines file. (Filled in by the case-store work.)

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::store::CaseStore;

/// Arguments of `casebot import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Directory of the sled case database.
    #[arg(long, env = "CASEBOT_DB", default_value = "data/db")]
    pub db: PathBuf,
    /// JSON Lines file of case records.
    pub file: PathBuf,
}

/// Runs the import; returns the exit code.
pub async fn run(args: ImportArgs) -> ExitCode {
    let store = match CaseStore::open(&args.db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("casebot: {e}");
            return ExitCode::FAILURE;
        }
    };
    match crate::store::import::import_file(&store, &args.file).await {
        Ok(report) => {
            for r in &report.rejected {
                eprintln!("{}:{}: {}", args.file.display(), r.line, r.reason);
            }
            println!(
                "imported {}, updated {}, unchanged {}, rejected {}",
                report.inserted,
                report.updated,
                report.unchanged,
                report.rejected.len()
            );
            if report.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("casebot: {e}");
            ExitCode::FAILURE
        }
    }
}
