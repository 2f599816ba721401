//! Hot reload: watches intents/ and knowledge/, and when a file changes, loads and checks
//! the whole bundle off the async runtime and swaps it in atomically. A bundle with errors
//! is refused (each error logged with its `path:line:col`) and the last good one stays live.

use std::path::PathBuf;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::nlu::Nlu;

/// Quiet time after the last file event before reloading.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Keeps the file watcher alive; dropping it stops hot reload.
pub struct ReloadHandle {
    _watcher: RecommendedWatcher,
}

/// Starts watching the `intents` and `knowledge` folders; each bundle that passes the
/// checks is handed to `apply`, until `stop` is cancelled.
pub fn watch(
    intents: PathBuf,
    knowledge: PathBuf,
    stop: CancellationToken,
    apply: impl Fn(Nlu) + Send + 'static,
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
    tokio::spawn(reload_loop(rx, intents, knowledge, stop, apply));
    Ok(ReloadHandle { _watcher: watcher })
}

/// Loads the content and runs every example and test through the pipeline; any error
/// (including a misrouted example or a failing test) refuses the whole bundle.
pub fn load_checked(
    intents: &std::path::Path,
    knowledge: &std::path::Path,
) -> Result<(Nlu, Vec<crate::nlu::Diagnostic>), Vec<crate::nlu::Diagnostic>> {
    let (nlu, warnings) = Nlu::load(intents, knowledge)?;
    let errors = crate::dialog::evaluate::run(&nlu).diagnostics(&nlu);
    if errors.is_empty() {
        Ok((nlu, warnings))
    } else {
        Err(errors)
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
    apply: impl Fn(Nlu),
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            got = rx.recv() => if got.is_none() { return },
        }
        // Debounce: wait until events stop for a moment.
        while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {}
        let (i, k) = (intents.clone(), knowledge.clone());
        match tokio::task::spawn_blocking(move || load_checked(&i, &k)).await {
            Ok(Ok((nlu, warnings))) => {
                for w in warnings {
                    tracing::warn!("{w}");
                }
                apply(nlu);
                tracing::info!("content reloaded");
            }
            Ok(Err(errors)) => {
                for e in &errors {
                    tracing::error!("{e}");
                }
                tracing::error!(
                    errors = errors.len(),
                    "content reload refused; the previous content stays live"
                );
            }
            Err(e) => tracing::error!(error = %e, "content reload task failed"),
        }
    }
}
