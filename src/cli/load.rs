//! `casebot load`: a WebSocket load client. (Filled in by the performance work.)

use std::process::ExitCode;

use clap::Args;

/// Arguments of `casebot load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Chat endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    pub url: String,
}

/// Runs the load; returns the exit code.
pub async fn run(args: LoadArgs) -> ExitCode {
    eprintln!("casebot load: not available yet ({})", args.url);
    ExitCode::FAILURE
}
