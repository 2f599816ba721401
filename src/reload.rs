//! Hot reload: watches intents/ and knowledge/, and when a file changes, loads and checks
//! the whole bundle off the async runtime and swaps it in atomically. A bundle with errors
//! is refused (each error logged with its `path:line:col`) and the last good one stays live.
//! Every attempt's result is kept as a [`ReloadStatus`] that authors can read back.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::dialog::{evaluate, overlap};
use crate::nlu::{Diagnostic, Nlu, Severity};

/// Quiet time after the last file event before reloading.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Keeps the file watcher alive; dropping it stops hot reload.
pub struct ReloadHandle {
    _watcher: RecommendedWatcher,
}

/// The content a server is running, as hot reload sees it.
pub trait LiveContent: Send + Sync + 'static {
    /// The content live now.
    fn current(&self) -> Arc<Nlu>;
    /// Puts checked content live.
    fn swap(&self, nlu: Nlu);
    /// Keeps the result of the latest reload attempt.
    fn record(&self, status: ReloadStatus);
}

/// Whether the content on disk went live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReloadOutcome {
    /// Loaded when the server started.
    Started,
    /// The edit went live.
    Ok,
    /// The edit has errors; the content before it stays live.
    Refused,
}

/// One problem of a reload attempt, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// File the problem is in.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl From<&Diagnostic> for Problem {
    fn from(d: &Diagnostic) -> Self {
        Problem {
            path: d.path.display().to_string(),
            line: d.line,
            col: d.col,
            message: d.message.clone(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.col, self.message
        )
    }
}

/// The result of the latest attempt to put the content on disk live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadStatus {
    /// When it happened, in seconds since the Unix epoch.
    pub at: u64,
    /// Whether it went live.
    pub outcome: ReloadOutcome,
    /// False when the last edit was refused: what people get is older than the files.
    pub live_is_latest: bool,
    /// What refused it.
    pub errors: Vec<Problem>,
    /// What went live (or would have) but is worth fixing.
    pub warnings: Vec<Problem>,
}

impl ReloadStatus {
    /// The status of an attempt with these problems.
    pub fn new(outcome: ReloadOutcome, problems: &[Diagnostic]) -> Self {
        let of = |severity: Severity| -> Vec<Problem> {
            problems
                .iter()
                .filter(|d| d.severity == severity)
                .map(Problem::from)
                .collect()
        };
        ReloadStatus {
            at: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            outcome,
            live_is_latest: outcome != ReloadOutcome::Refused,
            errors: of(Severity::Error),
            warnings: of(Severity::Warning),
        }
    }
}

/// Starts watching the `intents` and `knowledge` folders; each bundle that passes the
/// checks goes live in `live`, until `stop` is cancelled.
pub fn watch(
    intents: PathBuf,
    knowledge: PathBuf,
    stop: CancellationToken,
    live: impl LiveContent,
) -> notify::Result<ReloadHandle> {
    let (tx, rx) = mpsc::unbounded_channel::<()>();
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(event) if is_content_event(&event) => {
                let _ = tx.send(());
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "content watcher error"),
        })?;
    // Recursive: each language's content is a subfolder (`es/`).
    watcher.watch(&intents, RecursiveMode::Recursive)?;
    watcher.watch(&knowledge, RecursiveMode::Recursive)?;
    tokio::spawn(reload_loop(rx, intents, knowledge, stop, live));
    Ok(ReloadHandle { _watcher: watcher })
}

/// Content that passed the checks, with what is worth fixing in it.
pub struct Checked {
    /// The compiled content.
    pub nlu: Nlu,
    /// Warnings, by file and line.
    pub warnings: Vec<Diagnostic>,
}

/// Loads the content and runs every example and test through the pipeline. Errors (the
/// content does not load, or an example does not reach its own intent or article) refuse
/// it, and the list then holds every problem, warnings too; failing tests, examples that
/// take another topic's question and, when `before` is given, utterances the change sends
/// elsewhere than `before` did are warnings. With `before`, only examples it did not have
/// are checked for taking another topic's question.
pub fn load_checked(
    intents: &Path,
    knowledge: &Path,
    before: Option<&Nlu>,
) -> Result<Checked, Vec<Diagnostic>> {
    let (nlu, mut problems) = Nlu::load(intents, knowledge)?;
    let report = evaluate::run(&nlu);
    problems.extend(report.problems(&nlu));
    problems.extend(overlap::near_duplicates(&nlu, before));
    if let Some(before) = before {
        problems.extend(overlap::moved(&evaluate::run(before), &report, &nlu));
    }
    problems.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
    if problems.iter().any(|d| d.severity == Severity::Error) {
        Err(problems)
    } else {
        Ok(Checked {
            nlu,
            warnings: problems,
        })
    }
}

fn is_content_event(event: &notify::Event) -> bool {
    use notify::EventKind;
    matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
    ) && event.paths.iter().any(|p| {
        p.extension().is_some_and(|e| e == "toml" || e == "md")
            && !p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
    })
}

async fn reload_loop(
    mut rx: mpsc::UnboundedReceiver<()>,
    intents: PathBuf,
    knowledge: PathBuf,
    stop: CancellationToken,
    live: impl LiveContent,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            got = rx.recv() => if got.is_none() { return },
        }
        // Debounce: wait until events stop for a moment.
        while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {}
        let (i, k) = (intents.clone(), knowledge.clone());
        let before = live.current();
        match tokio::task::spawn_blocking(move || load_checked(&i, &k, Some(&before))).await {
            Ok(Ok(checked)) => {
                for w in &checked.warnings {
                    tracing::warn!("{w}");
                }
                live.record(ReloadStatus::new(ReloadOutcome::Ok, &checked.warnings));
                live.swap(checked.nlu);
                tracing::info!(warnings = checked.warnings.len(), "content reloaded");
            }
            Ok(Err(problems)) => {
                for e in &problems {
                    tracing::error!("{e}");
                }
                let status = ReloadStatus::new(ReloadOutcome::Refused, &problems);
                tracing::error!(
                    errors = status.errors.len(),
                    "content reload refused; the previous content stays live"
                );
                live.record(status);
            }
            Err(e) => tracing::error!(error = %e, "content reload task failed"),
        }
    }
}
