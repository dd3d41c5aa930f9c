//! Reading the settings: defaults, then the file, then the environment,
//! and an error that names the setting as the operator wrote it.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

use crate::{ConfigError, DEFAULT_CONFIG_FILE, ENV_PREFIX, Settings, Sources};

impl Settings {
    /// Reads settings: defaults, then the file (`path`, or `passerelle.toml`
    /// when present), then the environment.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_from(path, Env::prefixed(ENV_PREFIX).split("__"))
    }

    /// Reads settings from the defaults and `text`, a settings file's
    /// contents, with no environment: the example file and the
    /// documentation's snippets are checked with the loader the node uses.
    pub fn from_toml(text: &str) -> Result<Settings, ConfigError> {
        let settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e, Some(Path::new("the given text")))))?;
        settings.validate()?;
        Ok(settings)
    }

    pub(super) fn load_from(path: Option<&Path>, env: Env) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let file = match path {
            Some(explicit) => Some(explicit.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        let mut from_file = Figment::new();
        if let Some(file) = &file {
            // Figment treats a missing file as empty; an explicit path must exist.
            let text = std::fs::read_to_string(file).map_err(|e| ConfigError::Unreadable {
                path: file.clone(),
                reason: e.to_string(),
            })?;
            figment = figment.merge(Toml::string(&text));
            from_file = Figment::from(Toml::string(&text));
        }
        let from_env = Figment::from(env.clone());
        let mut settings: Settings = figment
            .merge(env)
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e, file.as_deref())))?;
        settings.validate()?;
        // Where each value came from: the environment wins over the file.
        settings.sources = Sources::record(
            &settings,
            |key| from_env.contains(key),
            |key| from_file.contains(key),
            file.as_deref(),
        );
        Ok(settings)
    }
}

/// One line naming the setting as the operator wrote it: its dotted key
/// and where it came from (the file, or the exact environment variable).
fn describe(error: figment::Error, file: Option<&Path>) -> String {
    let Some(first) = error.into_iter().next() else {
        return "invalid configuration".to_owned();
    };
    let from_env = first
        .metadata
        .as_ref()
        .is_some_and(|m| m.name.contains("environment"));
    let source = if from_env {
        format!(
            "environment variable {ENV_PREFIX}{}",
            first.path.join("__").to_uppercase()
        )
    } else {
        match file {
            Some(file) => format!("in {}", file.display()),
            None => "in the defaults".to_owned(),
        }
    };
    let key = first.path.join(".").to_lowercase();
    if let figment::error::Kind::UnknownField(_, expected) = &first.kind {
        return format!(
            "unknown key `{key}` ({source}); known keys here: {}",
            expected.join(", ")
        );
    }
    let what = one_line(&first.kind.to_string());
    if key.is_empty() {
        format!("{what} ({source})")
    } else {
        format!("invalid `{key}` ({source}): {what}")
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
