//! The sample outputs and figures the docs quote are what the commands print and what the docs' own tables say.

use std::io::BufRead;
use std::process::Command;

use serde_json::Value;

use super::{documents, read, table_after};

/// Runs the real binary with `args` on the SQLite database `database`;
/// its standard output, or what went wrong.
fn passerelle(database: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_passerelle"))
        .env("PASSERELLE_DATABASE_URL", database)
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "passerelle {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The number just before `word` in `text` (`25` in "of 25 tables").
fn number_before(text: &str, word: &str) -> Option<i64> {
    let at = text.find(word)?;
    text[..at]
        .split_whitespace()
        .last()?
        .replace(',', "")
        .parse()
        .ok()
}

/// Every line of the docs (code and prose) containing `needle`, with where.
fn lines_with(needle: &str) -> Vec<(String, String)> {
    documents()
        .into_iter()
        .flat_map(|(doc, text)| {
            text.lines()
                .filter(|line| line.contains(needle))
                .map(|line| (doc.clone(), line.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The migration versions this build ships (`0022_….sql` is 22).
fn migrations() -> Vec<i64> {
    let mut versions: Vec<i64> = std::fs::read_dir(super::root().join("migrations/sqlite"))
        .expect("migrations/sqlite")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.split('_').next()?.parse().ok())
        .collect();
    versions.sort_unstable();
    versions
}

#[test]
fn archive_and_migration_samples_are_what_the_commands_print() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}", dir.path().join("node.db").display());
    passerelle(&database, &["migrate"]);
    let check = passerelle(&database, &["migrate", "--check"]);
    let archive = dir.path().join("node.jsonl.gz");
    let exported = passerelle(&database, &["export", archive.to_str().expect("path")]);
    let header: Value = {
        let file = std::fs::File::open(&archive).expect("archive");
        let mut lines = std::io::BufReader::new(flate2::read::GzDecoder::new(file)).lines();
        serde_json::from_str(&lines.next().expect("a header").expect("read")).expect("JSON")
    };
    let versions = migrations();
    let latest = *versions.last().expect("migrations");
    assert_eq!(header["schema"], latest, "{header}");
    let tables = number_before(&exported, "tables").expect("a table count");
    let count = number_before(&check, "migrations").expect("a migration count");
    assert_eq!(count, i64::try_from(versions.len()).expect("count"));

    let mut wrong = Vec::new();
    for (doc, line) in lines_with("{\"format\":\"passerelle-export\"") {
        let sample: Value = serde_json::from_str(line.trim()).unwrap_or_else(|_| {
            // The sample abbreviates its table list: read up to it.
            let head = line.split(",\"tables\"").next().unwrap_or_default();
            serde_json::from_str(&format!("{head}}}")).expect("the sample header is JSON")
        });
        for field in ["format", "version", "schema", "engine"] {
            if sample[field] != header[field] {
                wrong.push(format!(
                    "{doc}: the archive header's `{field}` is {} (the sample says {})",
                    header[field], sample[field]
                ));
            }
        }
    }
    for word in ["ported ", "schema up to date"] {
        for (doc, line) in lines_with(word) {
            if let Some(n) = number_before(&line, " tables").filter(|n| *n != tables) {
                wrong.push(format!(
                    "{doc}: {n} tables, but an archive has {tables}: {line}"
                ));
            }
            if let Some(n) = number_before(&line, " migrations").filter(|n| *n != count) {
                wrong.push(format!(
                    "{doc}: {n} migrations, but this build has {count}: {line}"
                ));
            }
        }
    }
    // "behind" names the pending versions (the latest, in a sample of
    // one), "ahead" versions this build does not know.
    for (doc, line) in lines_with("schema behind:")
        .into_iter()
        .chain(lines_with("schema ahead:"))
    {
        let Some(listed) = line.split('(').nth(1).and_then(|l| l.split(')').next()) else {
            continue;
        };
        for version in listed
            .split(", ")
            .filter_map(|v| v.trim().parse::<i64>().ok())
        {
            let fits = if line.contains("behind") {
                versions.contains(&version) && (listed.contains(',') || version == latest)
            } else {
                version > latest
            };
            if !fits {
                wrong.push(format!(
                    "{doc}: migration {version} (latest is {latest}): {line}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A figure as the docs write it: `2,739` is 2739.
fn figure(text: &str) -> Option<f64> {
    text.split_whitespace()
        .next()?
        .replace(',', "")
        .parse()
        .ok()
}

#[test]
fn performance_ratios_follow_from_the_figures_they_divide() {
    let page = read("docs/performance.md");
    let mut wrong = Vec::new();
    for row in table_after(&page, "## Figures") {
        // figure | SQLite | PostgreSQL | ceiling | ratio | target
        let (Some(value), Some(ceiling), Some(ratio)) =
            (figure(&row[1]), figure(&row[3]), figure(&row[4]))
        else {
            continue;
        };
        let computed = value / ceiling;
        if (computed - ratio).abs() > 0.006 {
            wrong.push(format!(
                "{}: {value} / {ceiling} is {computed:.3}, not {ratio}",
                row[0]
            ));
        }
    }
    // The signing speed-up, wherever it is quoted, is the run's AWS-LC
    // ceiling over the `rsa` crate's.
    let ceilings = page
        .split("Ceilings of this run, per core: RSA-2048 ")
        .nth(1)
        .expect("the run's RSA ceilings");
    let aws_lc = figure(ceilings).expect("AWS-LC's figure");
    let rsa_crate = ceilings
        .split('(')
        .nth(1)
        .and_then(figure)
        .expect("the rsa crate's figure");
    let speed_up = aws_lc / rsa_crate;
    for (doc, text) in documents() {
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for (at, _) in flat.match_indices(" × ") {
            let after = &flat[at..];
            if !(after.starts_with(" × faster than the `rsa` crate")
                || after.starts_with(" × the `rsa` crate"))
            {
                continue;
            }
            let word = flat[..at].rsplit(' ').next().unwrap_or_default();
            let quoted = figure(word.trim_start_matches('(')).unwrap_or(0.0);
            if (quoted - speed_up).abs() > 0.05 {
                wrong.push(format!("{doc}: signing {quoted} × the `rsa` crate, but the run's ceilings give {aws_lc} / {rsa_crate} = {speed_up:.1}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_readme_quotes_the_performance_table() {
    let page = read("docs/performance.md");
    let readme = read("README.md");
    let throughput = readme
        .split("### Throughput")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README's throughput");
    let flat = throughput.split_whitespace().collect::<Vec<_>>().join(" ");
    let table_figures: Vec<String> = table_after(&page, "## Figures")
        .iter()
        .flat_map(|row| row[1..4].to_vec())
        .filter_map(|cell| cell.split_whitespace().next().map(str::to_owned))
        .collect();
    // Each measured figure the README quotes (a decimal; ratios start
    // `0.` and the speed-up is checked above) is one of the table's.
    let mut wrong = Vec::new();
    let words: Vec<&str> = flat.split([' ', '(', ')', ',', ';']).collect();
    for (i, word) in words.iter().enumerate() {
        let decimal = word.matches('.').count() == 1
            && word.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !word.starts_with("0.")
            && !word.ends_with('.');
        let speed_up = words.get(i + 1) == Some(&"×");
        if decimal && !speed_up && !table_figures.iter().any(|f| f == word) {
            wrong.push(format!(
                "README, Throughput: {word} is not in docs/performance.md's table"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The string literals of the product's sources, continuation lines
/// joined (`"a \` + newline + `b"` is `a b`): what the program can print.
fn literals() -> Vec<String> {
    let mut out = Vec::new();
    for file in super::rust_files("src")
        .into_iter()
        .chain(super::rust_files("crates"))
    {
        let text = std::fs::read_to_string(&file).expect("source");
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                // A char literal ('"') or a lifetime: not a string.
                '\'' => {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    chars.next();
                }
                '"' => {
                    let mut literal = String::new();
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => match chars.next() {
                                Some('\n') => {
                                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                                        chars.next();
                                    }
                                }
                                Some('n') => literal.push('\n'),
                                Some(other) => literal.push(other),
                                None => break,
                            },
                            other => literal.push(other),
                        }
                    }
                    out.push(literal);
                }
                _ => {}
            }
        }
    }
    out
}

/// Whether `line` is what the format string `format` prints: its fixed
/// parts in order, each `{…}` standing for any text.
fn produces(format: &str, line: &str) -> bool {
    let mut fixed: Vec<String> = Vec::new();
    let mut rest = format.replace("{{", "\u{1}").replace("}}", "\u{2}");
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        fixed.push(rest[..open].to_owned());
        rest = rest[open + close + 1..].to_owned();
    }
    fixed.push(rest);
    let fixed: Vec<String> = fixed
        .into_iter()
        .map(|part| part.replace('\u{1}', "{").replace('\u{2}', "}"))
        .collect();
    // A format of holes alone says nothing about the line.
    if fixed.iter().map(|part| part.trim().len()).sum::<usize>() < 6 {
        return false;
    }
    let (first, last) = (&fixed[0], &fixed[fixed.len() - 1]);
    if fixed.len() == 1 {
        return line == first.trim();
    }
    let Some(mut rest) = line.strip_prefix(first.trim_start()) else {
        return false;
    };
    for part in &fixed[1..fixed.len() - 1] {
        match rest.find(part.as_str()) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last.trim_end())
}

/// The sample outputs of the docs' shell examples: the `#   ` lines right
/// after a `passerelle` (or `cargo run`) line, without the `passerelle: `
/// of an error and the `(exit 1)` beside it.
fn sample_outputs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (doc, text) in documents() {
        for block in super::code_blocks(&text).iter().filter(|b| b.lang == "sh") {
            let mut after_command = false;
            for line in block.body.lines() {
                let trimmed = line.trim();
                if let Some(output) = trimmed.strip_prefix("#   ") {
                    if after_command {
                        let output = output.split("   (exit").next().unwrap_or(output).trim();
                        let output = output.strip_prefix("passerelle: ").unwrap_or(output);
                        out.push((doc.clone(), output.to_owned()));
                    }
                    continue;
                }
                // Any other comment starts a new step: what follows is prose.
                if trimmed.starts_with('#') {
                    after_command = false;
                    continue;
                }
                after_command = trimmed.contains("passerelle ") || trimmed.contains("cargo run");
            }
        }
    }
    out
}

#[test]
fn sample_outputs_are_what_the_program_prints() {
    let literals = literals();
    let samples = sample_outputs();
    assert!(samples.len() > 10, "{samples:#?}");
    let wrong: Vec<String> = samples
        .iter()
        .filter(|(_, line)| !literals.iter().any(|format| produces(format, line)))
        .map(|(doc, line)| format!("{doc}: {line}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "printed by nothing in the sources: {wrong:#?}"
    );
}

#[test]
fn formats_match_what_they_print() {
    assert!(produces(
        "schema up to date: {} migrations",
        "schema up to date: 20 migrations"
    ));
    assert!(produces(
        "    charter: {} ({proof})",
        "charter: http://a/v/1 (valid proof)"
    ));
    assert!(!produces("{} {}", "anything"));
    assert!(!produces(
        "exported {} rows of {} tables to {}",
        "exported 3 rows to x"
    ));
}

#[test]
fn the_size_limits_are_as_the_readme_states_them() {
    let readme = read("README.md");
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let claim = flat
        .split("No function is longer than ")
        .nth(1)
        .and_then(|rest| rest.split(". ").next())
        .expect("the README states the size limits");
    let function_lines = figure(claim).expect("a function limit");
    let file_lines = claim
        .split("longer than ")
        .nth(1)
        .and_then(figure)
        .expect("a file limit");
    let clippy = read("clippy.toml");
    let threshold = clippy
        .lines()
        .find_map(|line| line.strip_prefix("too-many-lines-threshold = "))
        .and_then(figure)
        .expect("clippy.toml's threshold");
    assert!(
        (threshold - function_lines).abs() < f64::EPSILON,
        "clippy.toml says {threshold}"
    );
    // The files over the limit are exactly those the README names.
    let named: Vec<&str> = claim
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| span.ends_with(".rs"))
        .collect();
    let mut over: Vec<String> = super::rust_files("src")
        .into_iter()
        .chain(super::rust_files("crates"))
        .filter(|file| {
            let lines = std::fs::read_to_string(file)
                .expect("source")
                .lines()
                .count();
            f64::from(u32::try_from(lines).expect("lines")) > file_lines
        })
        .map(|file| {
            let relative = file.strip_prefix(super::root()).expect("under the root");
            relative.to_string_lossy().into_owned()
        })
        .collect();
    over.sort();
    assert_eq!(
        over, named,
        "files over {file_lines} lines, and those the README names"
    );
}

/// Whether `phrase` is in one of the docs, line breaks aside.
fn quoted(phrase: &str) -> bool {
    documents().iter().any(|(_, text)| {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(phrase)
    })
}

/// A count as the docs write it: `10,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_limits_the_docs_quote_are_the_codes() {
    use passerelle::domain::{archive, dfc};
    use passerelle::outbound;
    let mib = |bytes: usize| bytes / (1024 * 1024);
    let phrases = [
        format!("at most {} redirects", outbound::MAX_REDIRECTS),
        format!("after {} s to connect", outbound::CONNECT_TIMEOUT.as_secs()),
        format!("and {} s in all", outbound::TOTAL_TIMEOUT.as_secs()),
        format!("longer than {} MiB", mib(archive::MAX_LINE_BYTES)),
        format!(
            "at most {} MiB, nesting",
            mib(dfc::source::MAX_DOCUMENT_BYTES)
        ),
        format!("more than {} items", thousands(dfc::mapping::MAX_ITEMS)),
        format!("the {} oldest", thousands(dfc::views::PUBLIC_EXPORT_MAX)),
        format!("\"version\":{},", archive::VERSION),
    ];
    let missing: Vec<&String> = phrases.iter().filter(|p| !quoted(p)).collect();
    assert!(missing.is_empty(), "the docs do not say: {missing:?}");
}

#[test]
fn the_readme_lists_every_webhook_event() {
    use passerelle::domain::webhooks::{EVENTS, Event};
    let readme = read("README.md");
    let list = readme
        .split("\nEvents: ")
        .nth(1)
        .and_then(|rest| rest.split(". ").next())
        .expect("the README's list of webhook events");
    let named: Vec<&str> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| span.contains('.'))
        .collect();
    let unknown: Vec<&&str> = named.iter().filter(|n| Event::parse(n).is_none()).collect();
    assert!(unknown.is_empty(), "not webhook events: {unknown:?}");
    let missing: Vec<&str> = EVENTS
        .iter()
        .map(|event| event.as_str())
        .filter(|event| !named.contains(event))
        .collect();
    assert!(
        missing.is_empty(),
        "missing from the README's events: {missing:?}"
    );
}
