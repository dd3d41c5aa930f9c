//! Every test, module, function and repository path the docs cite exists: `file.rs` `test_name`, `module::test_name`, `Type::method`, `tests/…`.

use std::path::{Path, PathBuf};

use super::{documents, prose, root, rust_files};

/// Where the repository's Rust sources are.
const SOURCES: &[&str] = &["src", "crates", "tests", "benches", "fuzz"];
/// Top-level directories a cited path may start with.
const TOP: &[&str] = &[
    "tests/",
    "crates/",
    "docs/",
    "deploy/",
    "schemas/",
    "migrations/",
    "fuzz/",
    "templates/",
    "benches/",
    "src/",
    "scripts/",
    ".ci/",
];

fn all_sources() -> Vec<PathBuf> {
    SOURCES.iter().flat_map(|dir| rust_files(dir)).collect()
}

/// The files a cited path names: as written from the root, under
/// `tests/integration/` (the docs' tests are there), or else any source
/// file whose path ends with it (`apub/signing_pool.rs`).
fn resolve(cited: &str, sources: &[PathBuf]) -> Vec<PathBuf> {
    for base in ["", "tests/integration/"] {
        let path = root().join(base).join(cited);
        if path.exists() {
            return vec![path];
        }
    }
    sources
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(&format!("/{cited}")))
        .cloned()
        .collect()
}

/// `file` and, for a module with a directory (`membership.rs` or
/// `membership/mod.rs`), every file under it.
fn module_files(file: &Path) -> Vec<PathBuf> {
    let dir = if file.file_name().is_some_and(|n| n == "mod.rs") {
        file.parent().map(Path::to_path_buf)
    } else {
        Some(file.with_extension(""))
    };
    let mut files = vec![file.to_path_buf()];
    if let Some(dir) = dir.filter(|d| d.is_dir()) {
        let relative = dir.strip_prefix(root()).expect("under the root");
        files.extend(rust_files(&relative.to_string_lossy()));
    }
    files
}

fn defines(files: &[PathBuf], item: &str, name: &str) -> bool {
    files.iter().any(|file| {
        std::fs::read_to_string(file).is_ok_and(|text| {
            text.contains(&format!("{item} {name}("))
                || text.contains(&format!("{item} {name} "))
                || text.contains(&format!("{item} {name};"))
                || text.contains(&format!("{item} {name}<"))
        })
    })
}

fn is_identifier(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A test's name: a lower-case sentence of at least three words.
fn is_test_name(word: &str) -> bool {
    is_identifier(word)
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && word.matches('_').count() >= 2
}

/// The module a path of segments names, from the test binary's root or
/// a crate's `src/`: its files, or `None` when a segment is no module.
fn module(segments: &[&str]) -> Option<Vec<PathBuf>> {
    let (first, rest) = segments.split_first()?;
    let mut base = if root()
        .join("tests/integration")
        .join(format!("{first}.rs"))
        .exists()
        || root().join("tests/integration").join(first).is_dir()
    {
        root().join("tests/integration")
    } else if root().join("crates").join(first).join("src").is_dir() {
        root().join("crates").join(first).join("src")
    } else {
        return None;
    };
    let mut segments = vec![*first];
    if base.ends_with("src") {
        segments.clear();
    }
    segments.extend(rest);
    let mut files = vec![base.join("lib.rs")];
    for segment in segments {
        let file = base.join(format!("{segment}.rs"));
        let dir = base.join(segment);
        files = if file.exists() {
            module_files(&file)
        } else if dir.join("mod.rs").exists() {
            module_files(&dir.join("mod.rs"))
        } else if defines(&files, "mod", segment) {
            // An inline module: its items are in the files at hand.
            files
        } else {
            return None;
        };
        base = dir;
    }
    Some(files)
}

/// What is wrong with a `a::b::c` citation, if anything.
fn check_path(cited: &str, sources: &[PathBuf]) -> Option<String> {
    let trailing = cited.ends_with("::");
    let segments: Vec<&str> = cited.trim_end_matches("::").split("::").collect();
    let first = segments[0];
    if first.starts_with(|c: char| c.is_ascii_uppercase()) {
        // `Type::method`: a method of a type the sources define.
        let (ty, method) = (first, segments.last()?);
        let files: Vec<PathBuf> = sources
            .iter()
            .filter(|file| {
                std::fs::read_to_string(file).is_ok_and(|text| {
                    text.contains(&format!("impl {ty} ")) || text.contains(&format!("impl {ty}<"))
                })
            })
            .cloned()
            .collect();
        return (!defines(&files, "fn", method)).then(|| format!("no method `{method}` on `{ty}`"));
    }
    if trailing {
        return module(&segments)
            .is_none()
            .then(|| "no such module".to_owned());
    }
    let (name, parent) = segments.split_last()?;
    let files = module(parent).or_else(|| {
        // `source::fetch`: a module known by its file's name alone.
        let files: Vec<PathBuf> = resolve(&format!("{}.rs", parent.join("/")), sources)
            .iter()
            .chain(resolve(&format!("{}/mod.rs", parent.join("/")), sources).iter())
            .flat_map(|f| module_files(f))
            .collect();
        (!files.is_empty()).then_some(files)
    });
    match files {
        None => Some(format!("no module `{}`", parent.join("::"))),
        Some(files) if defines(&files, "fn", name) || defines(&files, "mod", name) => None,
        Some(_) => Some(format!("no `{name}` in `{}`", parent.join("::"))),
    }
}

#[test]
fn every_cited_test_module_and_path_exists() {
    let sources = all_sources();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (doc, text) in documents() {
        let prose = prose(&text);
        let pieces: Vec<&str> = prose.split('`').collect();
        // The file the spans just before cited, for `file.rs` `test`.
        let mut file: Option<Vec<PathBuf>> = None;
        for (i, span) in pieces.iter().enumerate().skip(1).step_by(2) {
            let between = pieces[i - 1];
            if !between.chars().all(|c| c.is_whitespace() || c == ',') {
                file = None;
            }
            let span = span.split_whitespace().collect::<Vec<_>>().join(" ");
            // `tests/fixtures/fuzz/TARGET/`, `crates/*/src`: patterns, not paths.
            let pattern = span.split('/').any(|segment| {
                segment.len() >= 2 && segment.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            });
            let plain = !pattern && !span.contains(['*', '{', '…', ' ', '<', '$']);
            if plain && (span.ends_with(".rs") || TOP.iter().any(|top| span.starts_with(top))) {
                checked += 1;
                let found = resolve(span.trim_end_matches('/'), &sources);
                if found.is_empty() {
                    wrong.push(format!("{doc}: `{span}` does not exist"));
                }
                file = span
                    .ends_with(".rs")
                    .then(|| found.iter().flat_map(|f| module_files(f)).collect());
            } else if span.contains("::")
                && span.split("::").all(|s| s.is_empty() || is_identifier(s))
            {
                checked += 1;
                if let Some(problem) = check_path(&span, &sources) {
                    wrong.push(format!("{doc}: `{span}`: {problem}"));
                }
            } else if let (Some(files), true) = (&file, is_test_name(&span)) {
                checked += 1;
                if !files.is_empty() && !defines(files, "fn", &span) {
                    wrong.push(format!(
                        "{doc}: `{span}` is not in the file cited before it"
                    ));
                }
            }
        }
    }
    assert!(checked > 100, "{checked} citations");
    assert!(wrong.is_empty(), "cited but not found: {wrong:#?}");
}

#[test]
fn citations_resolve_as_the_docs_write_them() {
    let sources = all_sources();
    assert_eq!(
        check_path(
            "layers::each_crate_depends_only_on_the_layers_below_it",
            &sources
        ),
        None
    );
    assert_eq!(check_path("browser::accessibility::", &sources), None);
    assert!(check_path("layers::no_such_test_anywhere", &sources).is_some());
    assert!(check_path("TestNode::no_such_method", &sources).is_some());
    assert!(!resolve("sharing/followers_sync.rs", &sources).is_empty());
}
