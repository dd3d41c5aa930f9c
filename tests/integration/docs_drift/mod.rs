//! The documentation tested against the code: every metric, setting, command, path, test and figure the docs name exists as named.

mod cli;
mod http_paths;
mod metrics;
mod samples;
mod settings;
mod test_names;

use std::path::{Path, PathBuf};

/// The repository's root: the documents and sources are read from it.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the repository, as text.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The documents checked: the README and every page of `docs/`, each with
/// its path (what a failure names).
pub fn documents() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_owned()];
    let mut pages: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| Path::new(name).extension().is_some_and(|e| e == "md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    pages.sort();
    names.extend(pages);
    names
        .into_iter()
        .map(|name| {
            let text = read(&name);
            (name, text)
        })
        .collect()
}

/// A fenced code block: its info string (`sh`, `toml`, empty) and body.
pub struct CodeBlock {
    pub lang: String,
    pub body: String,
}

/// The fenced code blocks of a Markdown text, indented ones (in list
/// items) included.
pub fn code_blocks(text: &str) -> Vec<CodeBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<CodeBlock> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match open.take() {
                Some(block) => blocks.push(block),
                None => {
                    open = Some(CodeBlock {
                        lang: info.trim().to_owned(),
                        body: String::new(),
                    });
                }
            }
        } else if let Some(block) = open.as_mut() {
            block.body.push_str(line);
            block.body.push('\n');
        }
    }
    blocks
}

/// The text outside fenced code blocks: where inline code spans are.
pub fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The inline code spans of a Markdown text, in order, each on one line
/// (a span broken across lines is joined with a space).
pub fn spans(text: &str) -> Vec<String> {
    prose(text)
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|span| span.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The rows of the first Markdown table after the heading `heading`
/// (its header and separator left out), each split into its cells.
pub fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .lines()
        .position(|line| line.trim() == heading)
        .unwrap_or_else(|| panic!("no heading {heading:?}"));
    text.lines()
        .skip(start + 1)
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(cells)
        .collect()
}

/// The cells of a table row: split at each `|` but an escaped `\|`.
fn cells(row: &str) -> Vec<String> {
    let inner = row.strip_prefix('|').unwrap_or(row);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in inner.chars() {
        if c == '|' && !escaped {
            out.push(String::new());
        } else if let Some(cell) = out.last_mut() {
            cell.push(c);
        }
        escaped = c == '\\';
    }
    out.into_iter().map(|cell| cell.trim().to_owned()).collect()
}

/// Every `.rs` file under `dir` (relative to the root), recursively.
pub fn rust_files(dir: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), &mut out);
    out.sort();
    out
}
