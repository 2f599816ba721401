//! `casebot check` and `casebot test`: what FAQ authors run on their edits.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::dialog::evaluate::{self, Kind};
use crate::nlu::{Diagnostic, Lang, Nlu, Severity};

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

/// Loads, compiles and evaluates the content: every problem, errors first by file.
pub fn check_all(
    args: &ContentArgs,
) -> Result<(Nlu, evaluate::Report, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (nlu, mut diags) = Nlu::load(&args.intents, &args.knowledge)?;
    let report = evaluate::run(&nlu);
    diags.extend(report.diagnostics(&nlu));
    diags.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
    Ok((nlu, report, diags))
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

/// `casebot check`: prints every problem as `path:line:col: message`; exits non-zero on
/// errors.
pub fn check(args: ContentArgs) -> ExitCode {
    match check_all(&args) {
        Ok((nlu, _, diags)) => {
            let errors = print_all(&diags);
            let languages: Vec<String> = nlu
                .languages()
                .map(|l| {
                    format!(
                        "{}: {} intents, {} articles",
                        l.lang.name(),
                        l.content.intents.len(),
                        l.content.articles.len()
                    )
                })
                .collect();
            println!(
                "{}: {}; {errors} error(s), {} warning(s)",
                if errors == 0 { "ok" } else { "failed" },
                languages.join("; "),
                diags.len() - errors
            );
            if errors == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(diags) => {
            let errors = print_all(&diags);
            println!("failed: {errors} error(s)");
            ExitCode::FAILURE
        }
    }
}

/// `casebot test`: runs every example and test utterance through the real pipeline; prints
/// failures with where they landed, per-intent accuracy and a confusion list.
pub fn test(args: TestArgs) -> ExitCode {
    let (nlu, report) = match check_all(&args.content) {
        Ok((nlu, report, _)) => (nlu, report),
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
