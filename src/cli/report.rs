//! `casebot report`: what went unanswered (fallbacks, near ties, "not helpful" votes),
//! grouped by what people asked, read from the local store (`--db`) or from a running
//! server's `GET /api/report` (`--url --token`). `--labelled FILE` writes one JSON Lines
//! question per group in the format `casebot eval --labelled` reads, with `"expect": ""`
//! for the author to fill.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::store_args::StoreArgs;

use super::admin_api::AdminApi;
use super::content::ContentArgs;
use super::http::Method;
use crate::nlu::Nlu;
use crate::server::report::{self, Report};
use crate::store::{CaseStore, PgStore, SledStore, StoreError, unix_ms};

/// Arguments of `casebot report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// How far back to look: `7d`, `24h`, `90m`.
    #[arg(long, default_value = "7d")]
    pub since: String,
    /// Print the report as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write one labelled question per group (JSON Lines for `casebot eval
    /// --labelled`), its `expect` left empty for the author to fill.
    #[arg(long)]
    pub labelled: Option<PathBuf>,
    /// Where the cases are.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The content folders, to group the records read from `--db`.
    #[command(flatten)]
    pub content: ContentArgs,
}

/// Runs the report; exits non-zero when the records cannot be read.
pub async fn run(args: ReportArgs) -> ExitCode {
    let report = match &args.store.url {
        Some(url) => from_server(&args, url).await,
        None => from_store(&args).await,
    };
    let report = match report {
        Ok(r) => r,
        Err(message) => {
            eprintln!("casebot report: {message}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("a report serializes")
        );
    } else {
        print_text(&report, &args.since);
    }
    if let Some(path) = &args.labelled {
        if let Err(e) = std::fs::write(path, labelled(&report)) {
            eprintln!("casebot report: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!(
            "wrote {} question(s) to label to {}; fill in each \"expect\", then run casebot eval --labelled {}",
            report.groups.len(),
            path.display(),
            path.display()
        );
    }
    ExitCode::SUCCESS
}

async fn from_server(args: &ReportArgs, url: &str) -> Result<Report, String> {
    report::parse_since(&args.since)?;
    let api = AdminApi::new(url, args.store.token.as_deref()).map_err(|e| e.to_string())?;
    let path = format!("/api/report?since={}", args.since);
    api.call(Method::GET, &path, "application/json", Vec::new())
        .await
        .map_err(|e| e.to_string())
}

async fn from_store(args: &ReportArgs) -> Result<Report, String> {
    let window = report::parse_since(&args.since)?;
    let log = match args.store.database_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => PgStore::connect(url)
            .await
            .map_err(|e| e.to_string())?
            .unanswered(),
        None => SledStore::open(&args.store.db)
            .map_err(|e| match e {
                StoreError::Locked(path) => format!(
                    "the database at {path} is in use, most likely by a running `casebot serve`; \
                     ask that server instead: casebot report --url http://HOST:PORT --token \"$CASEBOT_ADMIN_TOKEN\""
                ),
                other => other.to_string(),
            })?
            .unanswered(),
    }
    .ok_or("this store keeps no record of unanswered messages")?;
    let from = unix_ms(std::time::SystemTime::now()).saturating_sub(window.as_millis() as u64);
    let records = log.since(from).await.map_err(|e| e.to_string())?;
    let (nlu, _) = Nlu::load(&args.content.intents, &args.content.knowledge).map_err(|d| {
        format!(
            "the content does not load ({} problem(s)); run `casebot check`",
            d.len()
        )
    })?;
    Ok(report::build(&records, &nlu))
}

fn print_text(report: &Report, since: &str) {
    println!(
        "{} unanswered message(s) in the last {since}, in {} group(s)",
        report.records,
        report.groups.len()
    );
    for group in &report.groups {
        let kinds: Vec<String> = group
            .kinds
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        let langs: Vec<&str> = group.langs.keys().map(String::as_str).collect();
        let closest = group
            .closest
            .as_ref()
            .map_or("-".to_string(), |c| format!("{} ({:.2})", c.id, c.score));
        println!(
            "\n{:>4}x  {:?}\n       kinds: {}; languages: {}; closest: {closest}; terms: {}",
            group.count,
            group.example,
            kinds.join(", "),
            langs.join(", "),
            group.terms
        );
    }
}

/// One line per group in `casebot eval --labelled`'s format: the example, its language,
/// and `"expect": ""`, which eval refuses as "needs a label" until the author writes an id
/// (or `null` when casebot should fall back).
pub fn labelled(report: &Report) -> String {
    report
        .groups
        .iter()
        .map(|g| {
            let line = serde_json::json!({"text": g.example, "expect": "", "lang": g.example_lang});
            format!("{line}\n")
        })
        .collect()
}
