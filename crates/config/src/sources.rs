//! Where each setting's value came from (the file, an environment
//! variable, or the default), recorded when the settings are loaded, and
//! every setting listed as the console's Settings page shows it, secrets
//! masked.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::{ENV_PREFIX, Settings};

/// Where one setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Source {
    /// The built-in default.
    Default,
    /// The settings file, by its path.
    File(String),
    /// The environment variable, by its name.
    Environment(String),
    /// Neither: the program that built the settings (the demo, tests)
    /// set a value other than the default.
    Program,
}

/// The source of each setting given by the file or the environment, by
/// dotted key (`federation.admission`); any other setting has its default.
/// Settings built in code (tests, the demo) have no sources: all defaults.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    by_key: BTreeMap<String, Source>,
}

/// Where values came from is not part of what they are: two settings with
/// the same values are equal.
impl PartialEq for Sources {
    fn eq(&self, _: &Sources) -> bool {
        true
    }
}

/// The environment variable that sets `key`.
pub fn variable_for(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase())
}

impl Sources {
    /// Records, for every key of `settings`, whether `in_env` or else
    /// `in_file` (the file at `file`) gave it.
    pub(crate) fn record(
        settings: &Settings,
        in_env: impl Fn(&str) -> bool,
        in_file: impl Fn(&str) -> bool,
        file: Option<&std::path::Path>,
    ) -> Sources {
        let mut by_key = BTreeMap::new();
        for (key, _) in leaves(settings) {
            let source = if in_env(&key) {
                Source::Environment(variable_for(&key))
            } else if let Some(path) = file.filter(|_| in_file(&key)) {
                Source::File(path.display().to_string())
            } else {
                continue;
            };
            by_key.insert(key, source);
        }
        Sources { by_key }
    }

    /// Where the value of `key` came from.
    pub fn of(&self, key: &str) -> Source {
        self.by_key.get(key).cloned().unwrap_or(Source::Default)
    }
}

/// One setting as shown to an admin.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The dotted key, as in the file (`federation.admission`).
    pub key: String,
    /// The first part of the key (`federation`), empty for top-level ones.
    pub section: String,
    /// The value as text; `None` when unset. Secrets are masked.
    pub value: Option<String>,
    /// Whether the value is a secret, shown masked.
    pub masked: bool,
    pub source: Source,
}

/// What stands for a secret value.
const MASK: &str = "••••••••";

/// Every setting's dotted key and value: tables are walked, arrays are
/// one value.
fn leaves(settings: &Settings) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let root = serde_json::to_value(settings).unwrap_or(Value::Null);
    walk(String::new(), root, &mut out);
    out
}

fn walk(prefix: String, value: Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let key = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                walk(key, value, out);
            }
        }
        other => out.push((prefix, other)),
    }
}

/// A key whose value is a secret: the metrics token, a DFC API key.
fn is_secret(key: &str) -> bool {
    key == "metrics.token" || key.ends_with("api_token")
}

/// A value as text, secrets masked: the password of a URL, a secret key,
/// and the secret fields of the tables in an array.
fn shown(key: &str, value: &Value) -> (Option<String>, bool) {
    match value {
        Value::Null => (None, false),
        _ if is_secret(key) => (Some(MASK.to_owned()), true),
        Value::String(text) => masked_url(text),
        Value::Array(items) => {
            let mut masked = false;
            let parts: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::Object(fields) => fields
                        .iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(name, v)| {
                            let (text, secret) = shown(name, v);
                            masked |= secret;
                            format!("{name} = {}", text.unwrap_or_default())
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => shown(key, other).0.unwrap_or_default(),
                })
                .collect();
            (Some(parts.join("; ")), masked)
        }
        other => (Some(other.to_string()), false),
    }
}

/// A URL with its password masked (`postgres://user:••••••••@host/db`);
/// any other text as it is.
fn masked_url(text: &str) -> (Option<String>, bool) {
    match url::Url::parse(text) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some(MASK));
            let shown = url.to_string().replace(
                &url::form_urlencoded::byte_serialize(MASK.as_bytes()).collect::<String>(),
                MASK,
            );
            (Some(shown), true)
        }
        _ => (Some(text.to_owned()), false),
    }
}

impl Settings {
    /// Every setting, in the order of the file, with its value (secrets
    /// masked) and where it came from.
    pub fn entries(&self) -> Vec<Entry> {
        let defaults: BTreeMap<String, Value> = leaves(&Settings::default()).into_iter().collect();
        leaves(self)
            .into_iter()
            .map(|(key, value)| {
                let source = match self.sources.of(&key) {
                    Source::Default if defaults.get(&key) != Some(&value) => Source::Program,
                    recorded => recorded,
                };
                let (value, masked) = shown(&key, &value);
                let section = key
                    .split_once('.')
                    .map(|(section, _)| section.to_owned())
                    .unwrap_or_default();
                Entry {
                    source,
                    key,
                    section,
                    value,
                    masked,
                }
            })
            .collect()
    }
}
