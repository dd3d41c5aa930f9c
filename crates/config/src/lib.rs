//! The node's settings: one `Settings` type, read from a TOML file and
//! overridden by `PASSERELLE_*` environment variables (nested keys joined
//! with `__`, e.g. `PASSERELLE_PLATFORM__SLUG`).

mod load;
mod settings;
mod sources;
#[cfg(test)]
mod tests;
mod validate;

pub use settings::{
    Admission, ConsoleSettings, DeliverySettings, DfcSettings, DfcSourceSettings,
    FederationSettings, HttpSettings, LogFormat, LogSettings, MetricsSettings, PlatformSettings,
    Rate, RateLimitSettings, Settings, SignatureScheme,
};
pub use sources::{Entry, Source, Sources, variable_for};

use std::path::PathBuf;

/// Prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "PASSERELLE_";
/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "passerelle.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{0}")]
    Invalid(String),
    #[error("invalid value for `{key}`: {reason}")]
    BadValue { key: &'static str, reason: String },
}

/// Which database engine a `database_url` designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}
