//! Every setting the README's table, passerelle.example.toml and the docs name is one the loader takes, and every setting is in the table and the example.

use std::collections::BTreeSet;

use figment::Figment;
use figment::providers::{Format, Toml};
use passerelle::config::Settings;
use serde_json::Value;

use super::{code_blocks, documents, read, table_after};

/// `text` as TOML, or `None` when it is not TOML.
fn toml(text: &str) -> Option<Value> {
    Figment::from(Toml::string(text)).extract().ok()
}

/// The example file with the settings it shows commented out (an unset
/// token, an optional header, a DFC source) written in: each line `# KEY =
/// VALUE` or `# [TABLE]` that is TOML on its own. Prose in comments is not.
fn example_with_optional_keys() -> String {
    let mut out = String::new();
    for line in read("passerelle.example.toml").lines() {
        let uncommented = line.strip_prefix("# ").filter(|rest| {
            let header = rest.starts_with('[')
                && rest
                    .trim_matches(|c| c == '[' || c == ']')
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
            let assignment = rest.starts_with(|c: char| c.is_ascii_alphabetic())
                && rest.contains(" = ")
                && toml(rest).is_some();
            header || assignment
        });
        out.push_str(uncommented.unwrap_or(line));
        out.push('\n');
    }
    out
}

/// Every setting's dotted key, as the console's Settings page lists them:
/// those of the defaults and those only an optional value shows
/// (`metrics.token`, `federation.default_scope.retentionDays`).
fn setting_keys() -> BTreeSet<String> {
    let full = Settings::from_toml(&example_with_optional_keys())
        .expect("the example, optional keys included, loads");
    Settings::default()
        .entries()
        .into_iter()
        .chain(full.entries())
        .map(|entry| entry.key)
        .collect()
}

/// Dotted keys of the leaves of a TOML document (arrays are one value,
/// as on the Settings page).
fn leaves(prefix: &str, value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaves(&key, value, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

/// Whether the documented `key` names `setting`: the same key, or a
/// table holding it (`rate_limits.api_per_token` for its `per_minute`).
fn covers(key: &str, setting: &str) -> bool {
    setting == key || setting.starts_with(&format!("{key}."))
}

/// The keys of the README's settings table: the first code span of each
/// row's first cell, and a sibling written `` / `allowlist` ``.
fn readme_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for row in table_after(&read("README.md"), "## Configuration") {
        let cell = &row[0];
        let spans: Vec<&str> = cell.split('`').skip(1).step_by(2).collect();
        let Some(first) = spans.first() else {
            panic!("a settings row without a key: {cell}");
        };
        keys.push((*first).to_owned());
        let section = first.rsplit_once('.').map_or("", |(section, _)| section);
        for sibling in spans.iter().skip(1) {
            keys.push(if section.is_empty() || sibling.contains('.') {
                (*sibling).to_owned()
            } else {
                format!("{section}.{sibling}")
            });
        }
    }
    keys
}

#[test]
fn the_readme_table_names_every_setting_and_nothing_else() {
    let settings = setting_keys();
    let keys = readme_keys();
    assert!(keys.len() > 20, "{keys:?}");
    let not_settings: Vec<&String> = keys
        .iter()
        .filter(|key| !settings.iter().any(|s| covers(key, s)))
        .collect();
    assert!(
        not_settings.is_empty(),
        "in the README's settings table but not settings: {not_settings:?}"
    );
    let undocumented: Vec<&String> = settings
        .iter()
        .filter(|s| !keys.iter().any(|key| covers(key, s)))
        .collect();
    assert!(
        undocumented.is_empty(),
        "settings missing from the README's table: {undocumented:?}"
    );
}

#[test]
fn the_example_file_shows_every_setting_and_nothing_else() {
    let example = example_with_optional_keys();
    // The loader refuses an unknown key, naming it.
    if let Err(e) = Settings::from_toml(&example) {
        panic!("passerelle.example.toml: {e}");
    }
    let mut shown = BTreeSet::new();
    leaves(
        "",
        &toml(&example).expect("the example is TOML"),
        &mut shown,
    );
    let settings = setting_keys();
    let missing: Vec<&String> = settings.difference(&shown).collect();
    assert!(
        missing.is_empty(),
        "settings missing from passerelle.example.toml: {missing:?}"
    );
    let not_settings: Vec<&String> = shown.difference(&settings).collect();
    assert!(not_settings.is_empty(), "not settings: {not_settings:?}");
}

/// Variables the docs name that are not settings: the compose file's
/// domain, the screenshot directory of the browser tests, the bench's
/// choices.
const NOT_SETTINGS: &[&str] = &[
    "PASSERELLE_DOMAIN",
    "PASSERELLE_SCREENSHOTS",
    "PASSERELLE_BENCH_ONLY",
    "PASSERELLE_BENCH_QUICK",
];

#[test]
fn every_variable_and_settings_snippet_in_the_docs_is_a_setting() {
    let settings = setting_keys();
    let mut wrong = Vec::new();
    for (path, text) in documents() {
        for (at, _) in text.match_indices("PASSERELLE_") {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            // `PASSERELLE_*`, `PASSERELLE_…`: the prefix, not a variable.
            if name.ends_with('_') || NOT_SETTINGS.contains(&name.as_str()) {
                continue;
            }
            let key = name["PASSERELLE_".len()..]
                .to_lowercase()
                .replace("__", ".");
            if !settings.iter().any(|s| covers(&key, s)) {
                wrong.push(format!("{path}: {name}"));
            }
        }
        for block in code_blocks(&text).iter().filter(|b| b.lang == "toml") {
            if let Err(e) = Settings::from_toml(&block.body) {
                wrong.push(format!("{path}: a settings snippet does not load: {e}"));
            }
        }
    }
    wrong.dedup();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn sibling_keys_and_tables_cover_their_settings() {
    assert!(covers(
        "rate_limits.api_per_token",
        "rate_limits.api_per_token.burst"
    ));
    assert!(!covers(
        "rate_limits.api",
        "rate_limits.api_per_token.burst"
    ));
    assert!(readme_keys().contains(&"federation.allowlist".to_owned()));
}

/// The value of the setting `key` in `settings`, as the Settings page
/// shows it.
fn value_of(settings: &Settings, key: &str) -> Option<Option<String>> {
    settings
        .entries()
        .into_iter()
        .find(|entry| entry.key == key)
        .map(|entry| entry.value)
}

/// `text` as a TOML value: itself when it is one (`32`, `false`, `[]`),
/// else quoted (`7days`, `http://127.0.0.1:8080`).
fn toml_value(text: &str) -> String {
    if toml(&format!("x = {text}")).is_some() {
        text.to_owned()
    } else {
        format!("{text:?}")
    }
}

#[test]
fn the_readme_table_states_the_defaults() {
    let defaults = Settings::default();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for row in table_after(&read("README.md"), "## Configuration") {
        let (key_cell, default) = (&row[0], &row[1]);
        let key = key_cell.split('`').nth(1).unwrap_or_default();
        let spans: Vec<&str> = default.split('`').skip(1).step_by(2).collect();
        // (what the README says, the keys it sets, their TOML values)
        let stated: Vec<(String, String)> = match (default.as_str(), spans.as_slice()) {
            ("unset", _) => {
                checked += 1;
                if value_of(&defaults, key) != Some(None) {
                    wrong.push(format!("`{key}` is set by default"));
                }
                continue;
            }
            ("empty", _) => vec![(key.to_owned(), "\"\"".to_owned())],
            (_, [per_minute, burst]) if default.contains("/min, burst") => vec![
                (format!("{key}.per_minute"), (*per_minute).to_owned()),
                (format!("{key}.burst"), (*burst).to_owned()),
            ],
            (_, [value]) if default.starts_with('`') && default.ends_with('`') => {
                vec![(key.to_owned(), toml_value(value))]
            }
            // Prose (`federation.default_scope`): read, not checked.
            _ => continue,
        };
        for (key, value) in stated {
            checked += 1;
            let settings = match Settings::from_toml(&format!("{key} = {value}")) {
                Ok(settings) => settings,
                Err(e) => {
                    wrong.push(format!("`{key}`: the default {value} is not a value: {e}"));
                    continue;
                }
            };
            let (written, actual) = (value_of(&settings, &key), value_of(&defaults, &key));
            if written != actual {
                wrong.push(format!(
                    "`{key}`: the README says {value}, the default is {actual:?}"
                ));
            }
        }
    }
    assert!(checked > 25, "{checked} defaults checked");
    assert!(wrong.is_empty(), "{wrong:#?}");
}
