//! The content as of the last commit, for `casebot check` to compare an edit with.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::nlu::Nlu;

/// The content of `intents` and `knowledge` at `HEAD` of the git work tree they are in,
/// compiled; `None` when they are not in one, git or tar is missing, or that content does
/// not load. Extracted into a temporary folder that is removed before returning.
pub fn content(intents: &Path, knowledge: &Path) -> Option<Nlu> {
    let intents = intents.canonicalize().ok()?;
    let knowledge = knowledge.canonicalize().ok()?;
    let top = git(&intents, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(String::from_utf8(top).ok()?.trim_end());
    let rel_intents = intents.strip_prefix(&top).ok()?;
    let rel_knowledge = knowledge.strip_prefix(&top).ok()?;
    let mut args: Vec<&std::ffi::OsStr> = ["archive", "--format=tar", "HEAD", "--"]
        .iter()
        .map(std::ffi::OsStr::new)
        .collect();
    args.push(rel_intents.as_os_str());
    args.push(rel_knowledge.as_os_str());
    let archive = git(&top, &args)?;
    let dir = std::env::temp_dir().join(format!("casebot-check-{}", std::process::id()));
    let loaded = unpack(&archive, &dir)
        .and_then(|()| Nlu::load(&dir.join(rel_intents), &dir.join(rel_knowledge)).ok())
        .map(|(nlu, _)| nlu);
    let _ = std::fs::remove_dir_all(&dir);
    loaded
}

/// Runs git in `dir`; its standard output when it succeeds.
fn git<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

/// Unpacks a tar archive into `dir`.
fn unpack(archive: &[u8], dir: &Path) -> Option<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir).ok()?;
    let mut tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dir)
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    tar.stdin.take()?.write_all(archive).ok()?;
    tar.wait().ok()?.success().then_some(())
}
