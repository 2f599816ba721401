//! `casebot check` and `casebot test`: what FAQ authors run on their edits.

mod committed;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::admin_api::AdminApi;
use super::http::Method;
use crate::dialog::evaluate::{self, Kind};
use crate::nlu::{Diagnostic, Lang, Nlu, Severity};
use crate::reload::{ReloadOutcome, ReloadStatus, load_checked};

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

/// Arguments of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The content folders.
    #[command(flatten)]
    pub content: ContentArgs,
    /// Also hold out each example in turn and report the ones the rest of the content no
    /// longer leads to their own intent or article (a measure of how well it generalizes;
    /// it does not change the exit code).
    #[arg(long)]
    pub leave_one_out: bool,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The content folders.
    #[command(flatten)]
    pub content: ContentArgs,
    /// Instead of the files here, show what a running server made of its latest content
    /// edit (`http://HOST:PORT`; needs the admin token).
    #[arg(long)]
    pub url: Option<String>,
    /// The server's admin token, for `--url`.
    #[arg(long, env = "CASEBOT_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

fn print_all(diags: &[Diagnostic]) -> usize {
    for d in diags {
        println!("{d}");
    }
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

/// `casebot check`: prints every problem as `path:line:col: message`, exactly what would
/// stop a running server from taking the edit (errors) and what it would take but is worth
/// fixing (warnings); exits non-zero on errors. When the content is in a git work tree,
/// also reports the utterances the uncommitted change sends elsewhere than the last commit
/// did. With `--url`, shows a running server's latest reload instead.
pub async fn check(args: CheckArgs) -> ExitCode {
    if let Some(url) = &args.url {
        return check_server(url, args.token.as_deref()).await;
    }
    let ContentArgs { intents, knowledge } = args.content;
    let checked = tokio::task::spawn_blocking(move || {
        let before = committed::content(&intents, &knowledge);
        let checked = load_checked(&intents, &knowledge, before.as_ref());
        (checked, before.is_some())
    })
    .await;
    let Ok((checked, compared)) = checked else {
        println!("failed: the check stopped unexpectedly");
        return ExitCode::FAILURE;
    };
    let (nlu, diags) = match checked {
        Ok(checked) => (Some(checked.nlu), checked.warnings),
        Err(problems) => {
            // Content that loads but has errors still gets its summary below.
            (None, problems)
        }
    };
    let errors = print_all(&diags);
    let mut summary = Vec::new();
    if let Some(nlu) = &nlu {
        for l in nlu.languages() {
            let calibration = l.matcher.calibration();
            let learned = if calibration.learned {
                format!(
                    "confidence calibrated on {} held-out examples and {} from held-out topics",
                    calibration.held_out, calibration.uncovered
                )
            } else {
                "too big to learn from: matched by word overlap alone".into()
            };
            summary.push(format!(
                "{}: {} intents, {} articles ({learned})",
                l.lang.name(),
                l.content.intents.len(),
                l.content.articles.len()
            ));
        }
    }
    if compared {
        summary.push("compared with the last commit".into());
    }
    println!(
        "{}: {}{errors} error(s), {} warning(s)",
        if errors == 0 { "ok" } else { "failed" },
        summary.iter().map(|s| format!("{s}; ")).collect::<String>(),
        diags.len() - errors
    );
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `casebot check --url`: prints a running server's latest reload result.
async fn check_server(url: &str, token: Option<&str>) -> ExitCode {
    let status = match AdminApi::new(url, token) {
        Ok(api) => {
            api.call::<ReloadStatus>(Method::GET, "/api/content", "application/json", Vec::new())
                .await
        }
        Err(e) => Err(e),
    };
    let status = match status {
        Ok(status) => status,
        Err(e) => {
            eprintln!("casebot check: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (level, problems) in [("error", &status.errors), ("warning", &status.warnings)] {
        for p in problems.iter() {
            println!("{}:{}:{}: {level}: {}", p.path, p.line, p.col, p.message);
        }
    }
    let age = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .saturating_sub(status.at);
    let what = match status.outcome {
        ReloadOutcome::Started => "the content loaded when the server started",
        ReloadOutcome::Ok => "the latest edit went live",
        ReloadOutcome::Refused => {
            "the latest edit was refused; the content before it is still live"
        }
    };
    println!(
        "{}: {what} ({age} s ago); {} error(s), {} warning(s)",
        if status.live_is_latest {
            "ok"
        } else {
            "failed"
        },
        status.errors.len(),
        status.warnings.len()
    );
    if status.live_is_latest {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `casebot test`: runs every example and test utterance through the real pipeline; prints
/// failures with where they landed, per-intent accuracy and a confusion list.
pub fn test(args: TestArgs) -> ExitCode {
    let loaded = Nlu::load(&args.content.intents, &args.content.knowledge);
    let (nlu, report) = match loaded {
        Ok((nlu, _)) => {
            let report = evaluate::run(&nlu);
            (nlu, report)
        }
        Err(diags) => {
            print_all(&diags);
            println!("the content does not load; run `casebot check` for details");
            return ExitCode::FAILURE;
        }
    };
    let failures = report.diagnostics(&nlu);
    for d in &failures {
        println!("FAIL {d}");
    }
    println!("\nper intent/article (tests passed / total):");
    for ((lang, id), (passed, total)) in report.accuracy_by_id() {
        let mark = if passed == total { " " } else { "!" };
        println!("{mark} {lang} {id:<40} {passed}/{total}");
    }
    let confusions = report.confusions();
    if !confusions.is_empty() {
        println!("\nconfusions (expected -> got: count):");
        for ((expected, got), n) in &confusions {
            println!("  {expected} -> {got}: {n}");
        }
    }
    let count = |kind: Kind, lang: Option<Lang>| {
        let all: Vec<_> = report
            .outcomes
            .iter()
            .filter(|o| o.kind == kind && lang.is_none_or(|l| o.lang == l))
            .collect();
        (all.iter().filter(|o| o.passed()).count(), all.len())
    };
    println!();
    for lang in nlu.languages().map(|l| l.lang) {
        let (examples_ok, examples) = count(Kind::Example, Some(lang));
        let (tests_ok, tests) = count(Kind::Test, Some(lang));
        println!(
            "{}: examples {examples_ok}/{examples} routed to their own intent or article (in {}), tests {tests_ok}/{tests} passed",
            lang.name(),
            lang.name()
        );
    }
    let (tests_ok, tests) = count(Kind::Test, None);
    let (examples_ok, examples) = count(Kind::Example, None);
    println!("examples: {examples_ok}/{examples} routed to their own intent or article");
    println!("tests: {tests_ok}/{tests} passed");
    println!(
        "{} passed, {} failed",
        tests_ok + examples_ok,
        (tests + examples) - (tests_ok + examples_ok)
    );
    if args.leave_one_out {
        print_leave_one_out(&evaluate::leave_one_out(&nlu));
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// How many held-out examples still land, and which pairs of topics they confuse.
fn print_leave_one_out(report: &evaluate::Report) {
    let landed = report.outcomes.iter().filter(|o| o.passed()).count();
    let mut missed: HashMap<(&str, &str), Vec<String>> = HashMap::new();
    for o in report.outcomes.iter().filter(|o| !o.passed()) {
        let got = o.got.as_deref().unwrap_or(evaluate::FALLBACK);
        missed
            .entry((o.expected.as_str(), got))
            .or_default()
            .push(format!("\"{}\"", o.text));
    }
    println!("\nleave-one-out (each example held out in turn; expected -> got: count):");
    for ((expected, got), n) in report.confusions() {
        let texts = missed
            .get(&(expected.as_str(), got.as_str()))
            .map(|t| t.join(", "))
            .unwrap_or_default();
        println!("  {expected} -> {got}: {n}  {texts}");
    }
    let total = report.outcomes.len();
    println!(
        "leave-one-out: {landed}/{total} held-out examples ({:.1}%) still reach their own intent or article",
        100.0 * landed as f64 / total.max(1) as f64
    );
}
