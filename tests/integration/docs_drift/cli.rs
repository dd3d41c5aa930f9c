//! Every `passerelle` command the docs show parses with the real command line, and the README's synopsis lists every command and flag.

use std::collections::BTreeSet;

use clap::Command;
use clap::error::ErrorKind;

use super::{code_blocks, documents, spans};

/// `line` split as a shell would split it (quotes kept together).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            // `$(date +%F)`: one word, whatever its spaces.
            (None, '$') if chars.peek() == Some(&'(') => {
                word.push('$');
                for c in chars.by_ref() {
                    word.push(c);
                    if c == ')' {
                        break;
                    }
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        out.push(word);
    }
    out
}

/// The arguments of the `passerelle` invocation in a shell line, if it
/// has one: `passerelle ARGS`, `cargo run … -- ARGS`, after any
/// `VAR=value` and `$ `, before a `#` comment.
fn invocation(line: &str) -> Option<Vec<String>> {
    let line = line.split(" #").next().unwrap_or(line).trim();
    let line = line.strip_prefix("$ ").unwrap_or(line);
    if line.contains("cargo run") {
        let (_, args) = line.split_once(" -- ")?;
        let args = args.split(')').next().unwrap_or(args);
        return Some(words(args));
    }
    // `passerelle     the root package`: a listing, not a command.
    if line.starts_with("passerelle  ") {
        return None;
    }
    let words = words(line);
    let mut rest = words
        .iter()
        .skip_while(|w| w.contains('=') && !w.starts_with('-'));
    match rest.next() {
        Some(first) if first == "passerelle" => Some(rest.cloned().collect()),
        _ => None,
    }
}

/// Every invocation the docs show: shell lines of code blocks (a `\`
/// continues a line) and inline code, each with where it is.
fn shown_invocations() -> Vec<(String, String, Vec<String>, bool)> {
    let mut found = Vec::new();
    for (path, text) in documents() {
        for block in code_blocks(&text) {
            if !matches!(block.lang.as_str(), "sh" | "") {
                continue;
            }
            let joined = block.body.replace("\\\n", " ");
            for line in joined.lines().filter(|l| !l.trim_start().starts_with('#')) {
                if let Some(args) = invocation(line) {
                    found.push((path.clone(), line.trim().to_owned(), args, false));
                }
            }
        }
        for span in spans(&text) {
            if span.starts_with("passerelle ") || span.contains("cargo run") {
                if let Some(args) = invocation(&span) {
                    found.push((path.clone(), span.clone(), args, true));
                }
            }
        }
    }
    found
}

/// A word that stands for a value the reader supplies, or synopsis
/// syntax: `FILE`, `[--all]`, `a|b`, `…`.
fn is_placeholder(word: &str) -> bool {
    let bare = word.trim_matches(|c| "[]()<>".contains(c));
    word.contains(['[', ']', '|', '<', '>', '…'])
        || (!bare.is_empty()
            && bare
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c == '-'))
}

/// The long flags `command` takes, with the root's global ones and
/// clap's own.
fn longs(root: &Command, command: &Command) -> BTreeSet<String> {
    command
        .get_arguments()
        .chain(root.get_arguments())
        .filter_map(|arg| arg.get_long().map(str::to_owned))
        .chain(["help".to_owned(), "version".to_owned()])
        .collect()
}

/// Checks the subcommands and flags of `args` (synopsis syntax allowed)
/// against `root`, from `start` down; the path of subcommands is returned.
fn check_words(root: &Command, start: &[&str], args: &[String]) -> Result<Vec<String>, String> {
    let mut path: Vec<String> = start.iter().map(|s| (*s).to_owned()).collect();
    let mut command = root.clone();
    for name in start {
        command = command
            .find_subcommand(name)
            .ok_or_else(|| format!("no command `{name}`"))?
            .clone();
    }
    let mut descending = true;
    for word in args {
        let bare = word.trim_matches(|c| "[]()".contains(c));
        if let Some(flag) = bare.strip_prefix("--") {
            let flag = flag.split('=').next().unwrap_or(flag);
            if !longs(root, &command).contains(flag) {
                return Err(format!("`{}` has no flag --{flag}", path.join(" ")));
            }
            continue;
        }
        if descending && command.has_subcommands() {
            if is_placeholder(word) {
                break;
            }
            command = command
                .find_subcommand(bare)
                .ok_or_else(|| format!("`{}` has no command `{bare}`", path.join(" ")))?
                .clone();
            path.push(bare.to_owned());
        } else {
            descending = false;
        }
    }
    Ok(path)
}

#[test]
fn every_command_shown_in_the_docs_exists() {
    let root = passerelle::cli::definition();
    let shown = shown_invocations();
    assert!(shown.len() > 20, "{}", shown.len());
    let mut wrong = Vec::new();
    for (path, line, args, inline) in &shown {
        let outcome = if args.iter().any(|w| is_placeholder(w)) {
            check_words(&root, &[], args).map(|_| ())
        } else {
            let argv = std::iter::once("passerelle".to_owned()).chain(args.iter().cloned());
            match root.clone().try_get_matches_from(argv) {
                Ok(_) => Ok(()),
                Err(e)
                    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) =>
                {
                    Ok(())
                }
                // In text, `passerelle export` names the command, without
                // the arguments an example would give.
                Err(e)
                    if *inline
                        && matches!(
                            e.kind(),
                            ErrorKind::MissingRequiredArgument
                                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                        ) =>
                {
                    Ok(())
                }
                Err(e) => Err(e.to_string().lines().next().unwrap_or_default().to_owned()),
            }
        };
        if let Err(e) = outcome {
            wrong.push(format!("{path}: `{line}`: {e}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The README's synopsis: the block under "## Command line" whose first
/// line is `passerelle [--config FILE] <COMMAND>`, one command a line
/// (`  NAME  ARGS  what it does`), alternatives split by ` | `.
fn synopsis() -> String {
    let readme = super::read("README.md");
    code_blocks(&readme)
        .into_iter()
        .map(|block| block.body)
        .find(|body| body.starts_with("passerelle [--config FILE] <COMMAND>"))
        .expect("the README's synopsis")
}

/// `text` up to its description: two spaces, or `: ` after the arguments.
fn arguments_of(text: &str) -> &str {
    let end = [text.find("  "), text.find(": ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(text.len());
    &text[..end]
}

/// Splits `text` at ` | ` outside brackets.
fn alternatives(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0_i32;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '[' => depth += 1,
            ']' => depth -= 1,
            ' ' if depth == 0
                && chars.get(i + 1) == Some(&'|')
                && chars.get(i + 2) == Some(&' ') =>
            {
                out.push(String::new());
                i += 3;
                continue;
            }
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(chars[i]);
        }
        i += 1;
    }
    out
}

/// Records in `mentioned` the command at `path` and the flags in `args`.
fn note(path: &[String], args: &[String], mentioned: &mut BTreeSet<String>) {
    for end in 1..path.len() {
        mentioned.insert(path[..end].join(" "));
    }
    let key = path.join(" ");
    for word in args {
        let bare = word.trim_matches(|c| "[]()".contains(c));
        if let Some(flag) = bare.strip_prefix("--") {
            mentioned.insert(format!("{key} --{flag}"));
        }
    }
    mentioned.insert(key);
}

#[test]
fn the_synopsis_lists_every_command_and_flag_and_nothing_else() {
    let root = passerelle::cli::definition();
    let text = synopsis();
    let mut mentioned: BTreeSet<String> = BTreeSet::new();
    let mut wrong = Vec::new();
    let header = words(text.lines().next().unwrap_or_default());
    note(&[], &header[1..], &mut mentioned);
    let mut current = String::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let indent = line.len() - line.trim_start().len();
        let mut rest = line.trim();
        if indent == 2 {
            let (name, after) = rest.split_once(' ').unwrap_or((rest, ""));
            current = name.to_owned();
            rest = after.trim();
        }
        // Alternatives are subcommands or arguments of the line's command.
        for alternative in alternatives(arguments_of(rest)) {
            let args = words(&alternative);
            match check_words(&root, &[current.as_str()], &args) {
                Ok(path) => note(&path, &args, &mut mentioned),
                Err(e) => wrong.push(format!("`{line}`: {e}")),
            }
        }
    }
    assert!(wrong.is_empty(), "the README's synopsis: {wrong:#?}");
    // The other way: every command, subcommand and flag is listed.
    let mut missing = Vec::new();
    let mut expect = |path: &[&str], command: &Command| {
        let key = path.join(" ");
        if !mentioned.contains(&key) {
            missing.push(key.clone());
        }
        for arg in command.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") || (arg.is_global_set() && !path.is_empty()) {
                continue;
            }
            if !mentioned.contains(&format!("{key} --{long}")) {
                missing.push(format!("{key} --{long}"));
            }
        }
    };
    expect(&[], &root);
    for command in root.get_subcommands().filter(|c| c.get_name() != "help") {
        expect(&[command.get_name()], command);
        for sub in command.get_subcommands().filter(|c| c.get_name() != "help") {
            expect(&[command.get_name(), sub.get_name()], sub);
        }
    }
    assert!(
        missing.is_empty(),
        "missing from the README's synopsis: {missing:?}"
    );
}

#[test]
fn invocations_are_found_in_every_form() {
    assert_eq!(
        invocation("TOKEN=$(cargo run --release -q -- token create --name ofn --scope platform)"),
        Some(words("token create --name ofn --scope platform"))
    );
    assert_eq!(
        invocation(
            "PASSERELLE_X=1 passerelle peers exclude @a@b --reason \"left the network\"  # x"
        ),
        Some(words("peers exclude @a@b --reason 'left the network'"))
    );
    assert_eq!(
        alternatives("list [--all] | approve ID | reject [a | b]").len(),
        3
    );
    assert_eq!(arguments_of("[--check]: apply nothing"), "[--check]");
}
