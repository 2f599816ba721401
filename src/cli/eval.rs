//! `casebot eval --labelled FILE`: how the content does on labelled questions (real chat
//! logs, a benchmark), per language: in-scope accuracy, out-of-scope recall and precision,
//! the worst targets, a confusion list, and how the figures move with the threshold.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::content::ContentArgs;
use crate::dialog::labelled::{self, Figures, Graded, Labelled};
use crate::nlu::{Lang, Nlu};

/// Arguments of `eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// JSON Lines of `{"text": "...", "expect": "<intent or article id>" | null}`, with an
    /// optional `"lang": "en" | "es"` the answer must be in. `null` means the question
    /// should fall back; `""` (what `casebot report --labelled` writes) means it has no
    /// label yet, and is reported as needing one.
    #[arg(long)]
    pub labelled: PathBuf,
    /// Print the figures as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also print every question answered wrong.
    #[arg(long)]
    pub show_misses: bool,
    /// The content folders.
    #[command(flatten)]
    pub content: ContentArgs,
}

/// Thresholds the sweep reports, besides the one in use.
const SWEEP: [f32; 10] = [0.0, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8];

/// Runs the evaluation; exits non-zero when the file or the content cannot be read.
pub fn run(args: EvalArgs) -> ExitCode {
    let nlu = match Nlu::load(&args.content.intents, &args.content.knowledge) {
        Ok((nlu, _)) => nlu,
        Err(diags) => {
            for d in diags {
                eprintln!("{d}");
            }
            eprintln!("casebot eval: the content does not load; run `casebot check`");
            return ExitCode::FAILURE;
        }
    };
    let questions = match read(&args.labelled, &nlu) {
        Ok(q) => q,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return ExitCode::FAILURE;
        }
    };
    let graded = labelled::grade(&nlu, &questions);
    if args.json {
        print_json(&graded, threshold_in_use(&nlu));
    } else {
        print_text(&graded, threshold_in_use(&nlu), args.show_misses);
    }
    ExitCode::SUCCESS
}

/// Reads and checks the labelled file: every problem as `path:line: message`.
fn read(path: &PathBuf, nlu: &Nlu) -> Result<Vec<Labelled>, Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("{}: cannot read: {e}", path.display())])?;
    let mut questions = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), n + 1);
        let question: Labelled = match serde_json::from_str(line) {
            Ok(q) => q,
            Err(e) => {
                problems.push(format!(
                    "{at}: not a labelled question ({e}); write {{\"text\": \"...\", \"expect\": \"id\" or null}}"
                ));
                continue;
            }
        };
        if question.expect.as_deref() == Some("") {
            problems.push(format!(
                "{at}: needs a label: write the intent or article id that should answer in \"expect\", or null if casebot should fall back"
            ));
        } else if let Some(id) = &question.expect
            && nlu.languages().all(|l| l.target(id).is_none())
        {
            problems.push(format!("{at}: no intent or article has the id `{id}`"));
        }
        if let Some(code) = &question.lang
            && Lang::from_code(code).is_none()
        {
            problems.push(format!("{at}: unknown language `{code}`; use `en` or `es`"));
        }
        questions.push(question);
    }
    if questions.is_empty() && problems.is_empty() {
        problems.push(format!("{}: no labelled questions", path.display()));
    }
    if problems.is_empty() {
        Ok(questions)
    } else {
        Err(problems)
    }
}

fn line(name: &str, f: &Figures) -> String {
    format!(
        "{name:<10} in scope {}/{} right ({:.1}%); out of scope {}/{} fell back (recall {:.1}%); {} fallbacks, {:.1}% of them expected (precision)",
        f.in_scope_right,
        f.in_scope,
        f.accuracy(),
        f.out_of_scope_fell_back,
        f.out_of_scope,
        f.recall(),
        f.fell_back,
        f.precision()
    )
}

/// The answer threshold of the English content (each language's own applies to its
/// answers; the sweep marks the English one).
fn threshold_in_use(nlu: &Nlu) -> f32 {
    nlu.english().content.settings.answer_threshold
}

fn print_text(graded: &[Graded], in_use: f32, show_misses: bool) {
    let (all, by_lang) = labelled::figures_by_lang(graded);
    println!("{}", line("all", &all));
    if by_lang.len() > 1 || by_lang.keys().any(Option::is_some) {
        for (lang, figures) in &by_lang {
            let name = lang.map_or("unlabelled", Lang::name);
            println!("{}", line(name, figures));
        }
    }
    let worst = labelled::worst_targets(graded);
    if !worst.is_empty() {
        println!("\nworst targets (wrong / questions):");
        for (id, wrong, total) in worst.iter().take(15) {
            println!("  {id:<40} {wrong}/{total}");
        }
    }
    let confusions = labelled::confusions(graded);
    if !confusions.is_empty() {
        println!("\nconfusions (expected -> got: count):");
        for ((expected, got), n) in confusions.iter().take(30) {
            println!("  {expected} -> {got}: {n}");
        }
    }
    println!(
        "\nthreshold (approximate, from the ranked candidates): in-scope accuracy / out-of-scope recall"
    );
    let mut thresholds = SWEEP.to_vec();
    thresholds.push(in_use);
    thresholds.sort_by(f32::total_cmp);
    thresholds.dedup();
    for t in thresholds {
        let f = labelled::at_threshold(graded, t);
        let mark = if t == in_use { "  (in use)" } else { "" };
        println!("  {t:.2}  {:.1}% / {:.1}%{mark}", f.accuracy(), f.recall());
    }
    println!("\nconfidence of the best candidate: questions, and how many it answers right");
    for band in labelled::calibration(graded) {
        let share = if band.answers == 0 {
            String::from("-")
        } else {
            format!("{:.1}%", 100.0 * band.right as f64 / band.answers as f64)
        };
        println!(
            "  {:.2}-{:.2}  {:>5}  {share}",
            band.from, band.to, band.answers
        );
    }
    if show_misses {
        println!("\nmisses:");
        for g in graded.iter().filter(|g| !g.right()) {
            println!(
                "  {:?}: expected {}, got {} ({:.2}, {})",
                g.text,
                g.expect.as_deref().unwrap_or("(fallback)"),
                g.got.as_deref().unwrap_or("(fallback)"),
                g.confidence,
                g.answered_in
            );
        }
    }
}

fn print_json(graded: &[Graded], in_use: f32) {
    let (all, by_lang) = labelled::figures_by_lang(graded);
    let by_lang: serde_json::Map<String, serde_json::Value> = by_lang
        .iter()
        .map(|(lang, f)| {
            (
                lang.map_or("unlabelled", Lang::code).to_string(),
                serde_json::to_value(f).expect("figures serialize"),
            )
        })
        .collect();
    let sweep: Vec<serde_json::Value> = SWEEP
        .iter()
        .map(|t| serde_json::json!({"threshold": t, "figures": labelled::at_threshold(graded, *t)}))
        .collect();
    let out = serde_json::json!({
        "all": all,
        "by_lang": by_lang,
        "worst_targets": labelled::worst_targets(graded),
        "confusions": labelled::confusions(graded)
            .into_iter()
            .map(|((expected, got), n)| serde_json::json!({"expect": expected, "got": got, "count": n}))
            .collect::<Vec<_>>(),
        "threshold_in_use": in_use,
        "thresholds": sweep,
        "calibration": labelled::calibration(graded),
        "misses": graded.iter().filter(|g| !g.right()).collect::<Vec<_>>(),
    });
    println!("{out}");
}
