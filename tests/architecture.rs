//! The shape of the code, checked: dependencies point one way (`server` → `dialog` → `nlu`
//! → `domain`, `store` → `domain`), nothing below the server knows the wire, and no two
//! source files import each other. Reads `src/` as text: every `crate::…` and `super::…`
//! path outside comments and test modules counts as an import of the deepest module file
//! it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`crate::dialog::state`) → file.
fn module_files(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut files = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            if parts == ["main"] {
                continue;
            }
            let module = std::iter::once("crate".to_string())
                .chain(parts)
                .collect::<Vec<_>>()
                .join("::");
            files.insert(module, path);
        }
    }
    files
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b` or `super::a` path in `code`, braces of `use` lists expanded one
/// level (`use super::{a, b::C}` gives `super::a` and `super::b::C`).
fn paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &bytes[i..];
        let starts = ["crate::", "super::"]
            .iter()
            .find(|p| rest.starts_with(p.as_bytes()))
            .filter(|_| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        let Some(start) = starts else {
            i += 1;
            continue;
        };
        let mut end = i + start.len();
        while end < code.len() {
            let c = bytes[end];
            if c.is_ascii_alphanumeric() || c == b'_' || bytes[end..].starts_with(b"::") {
                end += if c == b':' { 2 } else { 1 };
            } else {
                break;
            }
        }
        let path = code[i..end].trim_end_matches("::").to_string();
        if code[end..].starts_with('{') && code[i..end].ends_with("::") {
            let close = code[end..].find('}').map_or(code.len(), |c| end + c);
            for item in code[end + 1..close].split(',') {
                let item = item.trim();
                if !item.is_empty() {
                    found.push(format!("{path}::{item}"));
                }
            }
            i = close;
        } else {
            found.push(path);
            i = end;
        }
    }
    found
}

/// The module file a path names: the deepest prefix of it that is a module.
fn resolve(from: &str, path: &str, files: &BTreeMap<String, PathBuf>) -> String {
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = from.split("::").collect();
    while segments.first() == Some(&"super") {
        segments.remove(0);
        base.pop();
    }
    if segments.first() == Some(&"crate") {
        segments.remove(0);
        base = vec!["crate"];
    }
    let mut best = base.join("::");
    let mut current = base;
    for segment in segments {
        current.push(segment.split_whitespace().next().unwrap_or(segment));
        let candidate = current.join("::");
        if files.contains_key(&candidate) {
            best = candidate;
        } else {
            break;
        }
    }
    best
}

/// The child modules a file declares (`mod x;` or `pub mod x;`) and refers to by a
/// relative path (`x::f`, `use x::Y`) or re-exports.
fn children_used(module: &str, code: &str, files: &BTreeMap<String, PathBuf>) -> Vec<String> {
    let mut used = Vec::new();
    for line in code.lines() {
        let line = line.trim();
        let declared = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("pub(crate) mod "))
            .or_else(|| line.strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(name) = declared {
            let child = format!("{module}::{name}");
            let refers = code.contains(&format!("{name}::"))
                && code.match_indices(&format!("{name}::")).any(|(i, _)| {
                    i == 0
                        || !code.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && code.as_bytes()[i - 1] != b'_'
                            && code.as_bytes()[i - 1] != b':'
                });
            if refers && files.contains_key(&child) {
                used.push(child);
            }
        }
    }
    used
}

/// Module → modules it imports (itself left out).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = module_files(&src);
    let mut graph = BTreeMap::new();
    for (module, path) in &files {
        let code = code(path);
        let targets: BTreeSet<String> = paths(&code)
            .iter()
            .map(|p| resolve(module, p, &files))
            .chain(children_used(module, &code, &files))
            .filter(|t| t != module && t != "crate")
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

fn top(module: &str) -> &str {
    module.split("::").nth(1).unwrap_or("crate")
}

#[test]
fn no_two_files_import_each_other() {
    let graph = imports();
    let mut pairs = Vec::new();
    for (a, targets) in &graph {
        for b in targets {
            if a < b && graph.get(b).is_some_and(|t| t.contains(a)) {
                pairs.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(pairs.is_empty(), "files importing each other: {pairs:#?}");
}

#[test]
fn dependencies_point_one_way() {
    // What each top-level module may import, besides itself.
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("domain", &[][..]),
        ("config", &[][..]),
        ("limit", &[][..]),
        ("nlu", &["domain"][..]),
        ("store", &["domain"][..]),
        ("dialog", &["nlu", "domain", "store", "config", "limit"][..]),
        ("reload", &["dialog", "nlu"][..]),
        ("logging", &["nlu"][..]),
    ]);
    let mut wrong = Vec::new();
    for (module, targets) in imports() {
        let Some(may) = allowed.get(top(&module)) else {
            continue;
        };
        for target in targets {
            let to = top(&target);
            if to != top(&module) && !may.contains(&to) {
                wrong.push(format!("{module} -> {target}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layering: {wrong:#?}");
}

#[test]
fn the_checker_sees_imports() {
    // Guards the test above against passing because it finds nothing.
    let graph = imports();
    assert!(graph["crate::dialog::pipeline"].contains("crate::dialog::actions"));
    assert!(graph["crate::server::session"].contains("crate::server::state"));
    assert!(graph["crate::store"].contains("crate::domain::case"));
    assert!(graph["crate::dialog::decide"].contains("crate::dialog::state"));
    assert!(graph["crate::nlu::extract"].contains("crate::nlu::extract::parse"));
}
