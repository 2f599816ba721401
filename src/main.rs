//! The `casebot` command: parses the command line, sets up logging and runs a subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use casebot::cli;
use casebot::config::ServeConfig;

/// casebot: a virtual-assistant chat service for immigration case questions.
#[derive(Parser)]
#[command(name = "casebot", version, about)]
struct Cli {
    /// Log as JSON lines instead of readable text.
    #[arg(
        long,
        global = true,
        env = "CASEBOT_LOG_JSON",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    log_json: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the chat server (the default).
    Serve(Box<ServeConfig>),
    /// Chat with a running server from the terminal, or pipe messages through it.
    Chat(cli::chat::ChatArgs),
    /// Validate the intent and knowledge files.
    Check(cli::content::CheckArgs),
    /// Run every test utterance in the content files through the real matcher.
    Test(cli::content::TestArgs),
    /// Measure the content on labelled questions (JSON Lines), per language.
    Eval(cli::eval::EvalArgs),
    /// Load case records from a JSON Lines file into the store.
    Import(cli::import::ImportArgs),
    /// Write every case as JSON Lines that `import` reads back (a backup), from the store
    /// or a running server.
    Export(cli::export::ExportArgs),
    /// What went unanswered (fallbacks, near ties, "not helpful" votes), grouped, from the
    /// store or a running server; optionally as labelled questions for `eval`.
    Report(cli::report::ReportArgs),
    /// Generate chat load against a server and report throughput and latency.
    Load(cli::load::LoadArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    casebot::logging::init(cli.log_json);
    let command = cli.command.unwrap_or_else(|| {
        // `casebot` alone serves with defaults and environment variables.
        let Cli {
            command: Some(Command::Serve(config)),
            ..
        } = Cli::parse_from(["casebot", "serve"])
        else {
            unreachable!("serve parses with defaults")
        };
        Command::Serve(config)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        match command {
            Command::Serve(config) => cli::serve::run(*config).await,
            Command::Chat(args) => cli::chat::run(args).await,
            Command::Check(args) => cli::content::check(args).await,
            Command::Test(args) => cli::content::test(args),
            Command::Eval(args) => cli::eval::run(args),
            Command::Import(args) => cli::import::run(args).await,
            Command::Export(args) => cli::export::run(args).await,
            Command::Load(args) => cli::load::run(args).await,
            Command::Report(args) => cli::report::run(args).await,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_json_takes_the_usual_spellings_from_the_environment() {
        for (given, want) in [
            ("1", true),
            ("yes", true),
            ("on", true),
            ("true", true),
            ("0", false),
            ("no", false),
            ("off", false),
            ("false", false),
        ] {
            // SAFETY: the only test of this binary that reads or writes the environment.
            unsafe { std::env::set_var("CASEBOT_LOG_JSON", given) };
            let cli = Cli::try_parse_from(["casebot", "check"]);
            assert_eq!(cli.map(|c| c.log_json).ok(), Some(want), "{given}");
        }
        unsafe { std::env::remove_var("CASEBOT_LOG_JSON") };
        assert!(Cli::try_parse_from(["casebot", "--log-json", "check"]).is_ok_and(|c| c.log_json));
    }
}
