//! The node's settings: one `Settings` type, read from a TOML file and
//! overridden by `PASSERELLE_*` environment variables (nested keys joined
//! with `__`, e.g. `PASSERELLE_PLATFORM__SLUG`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use url::Url;

/// Prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "PASSERELLE_";
/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "passerelle.toml";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The URL peers use to reach this node; every ActivityPub id is under it.
    pub public_url: Url,
    /// Socket address the HTTP server binds.
    pub listen: SocketAddr,
    /// `sqlite://FILE` (created if missing) or `postgres://...`.
    pub database_url: String,
    pub platform: PlatformSettings,
    pub federation: FederationSettings,
    pub log: LogSettings,
    pub http: HttpSettings,
    pub delivery: DeliverySettings,
    pub metrics: MetricsSettings,
    pub rate_limits: RateLimitSettings,
}

/// A sustained rate and the burst allowed above it; `per_minute = 0`
/// turns the limit off.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

impl Rate {
    const fn new(per_minute: u32, burst: u32) -> Rate {
        Rate { per_minute, burst }
    }
}

/// How often one client address, signing peer or token may call the node
/// (429 with `Retry-After` beyond).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub inbox_per_address: Rate,
    pub inbox_per_actor: Rate,
    pub reads_per_address: Rate,
    pub reads_per_actor: Rate,
    pub sign_in_per_address: Rate,
    pub api_per_token: Rate,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        // Generous for federation traffic (a large server delivers in
        // bursts from one address), strict for password guessing.
        RateLimitSettings {
            inbox_per_address: Rate::new(18_000, 1_000),
            inbox_per_actor: Rate::new(6_000, 1_000),
            reads_per_address: Rate::new(18_000, 1_000),
            reads_per_actor: Rate::new(6_000, 1_000),
            sign_in_per_address: Rate::new(10, 10),
            api_per_token: Rate::new(12_000, 2_000),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// When set, `/metrics` answers only requests that send
    /// `Authorization: Bearer TOKEN`; when not, it is public.
    pub token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// A peer (or webhook) failing for longer than this is unreachable:
    /// peers are then only probed (hourly), webhooks disabled.
    #[serde(with = "humantime_serde")]
    pub dead_after: std::time::Duration,
    /// Peers whose streams are delivered at the same time.
    pub parallel_peers: usize,
    /// How long a replica holds a peer's stream: a replica that dies has
    /// its peers taken over by another after this long.
    #[serde(with = "humantime_serde")]
    pub lease: std::time::Duration,
    /// Delivered webhook events (their payloads) are kept this long, then
    /// pruned.
    #[serde(with = "humantime_serde")]
    pub webhook_retention: std::time::Duration,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlatformSettings {
    /// The actor's `preferredUsername`: the handle is `@{slug}@{host}`.
    pub slug: String,
    pub name: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FederationSettings {
    /// Allow fetching from and delivering to loopback and private addresses.
    /// Off in production (SSRF protection); tests and the demo turn it on.
    pub allow_private_addresses: bool,
    /// How follow requests are decided.
    pub admission: Admission,
    /// Charter versions (URIs) whose committed signatories `charter`
    /// admission approves automatically.
    pub accepted_charters: Vec<Url>,
    /// Domains refused at once: their follows are rejected, their
    /// activities answered 403, their signed reads answered as a
    /// stranger's, and nothing more is delivered to them. `example.org`
    /// covers its subdomains and every port, `*.example.org` only the
    /// subdomains, `example.org:8443` that one port.
    pub blocklist: Vec<String>,
    /// When not empty, only these domains (same rules) may follow, deliver
    /// or read as a follower.
    pub allowlist: Vec<String>,
    /// Hide the items of `/followers` and `/following` (counts stay).
    pub hide_relationships: bool,
    /// Largest inbox request body, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// A signer's actor document (its key) is fetched at most once per key
    /// id in this window, whether the fetch worked or not: forged
    /// signatures cannot make the node fetch more.
    #[serde(with = "humantime_serde")]
    pub key_fetch_window: std::time::Duration,
    /// Which HTTP signature to try first with a server not known yet;
    /// the other follows a 400 or 401 ("double knocking"), and what worked
    /// is remembered per origin. Other Passerelle nodes get RFC 9421 with
    /// Ed25519 at once.
    pub first_signature: SignatureScheme,
}

/// An HTTP signature scheme.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SignatureScheme {
    /// RFC 9421 HTTP Message Signatures (Fedify's first knock, Mastodon 4.5+).
    Rfc9421,
    /// draft-cavage-http-signatures (every fediverse server).
    Cavage,
}

/// Admission policy for follow requests.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Admission {
    /// Every request waits for an admin.
    Manual,
    /// Requesters with a valid commitment to an accepted charter version are
    /// approved; the others wait for an admin.
    Charter,
    /// Every request not blocked is approved.
    Open,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// Default filter when `RUST_LOG` is not set (tracing `EnvFilter` syntax).
    pub level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// Behind a reverse proxy: the header in which it passes the client's
    /// address (`X-Forwarded-For`, `X-Real-IP`), whose last value is used
    /// for the per-address rate limits. Unset, the peer address of the
    /// connection is used.
    pub client_address_header: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: Url::parse("http://127.0.0.1:8080").expect("literal URL"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://passerelle.db".to_owned(),
            platform: PlatformSettings {
                slug: "passerelle".to_owned(),
                name: "Passerelle node".to_owned(),
                summary: String::new(),
            },
            federation: FederationSettings {
                allow_private_addresses: false,
                admission: Admission::Manual,
                accepted_charters: Vec::new(),
                blocklist: Vec::new(),
                allowlist: Vec::new(),
                hide_relationships: false,
                max_body_bytes: 1024 * 1024,
                key_fetch_window: std::time::Duration::from_secs(5 * 60),
                first_signature: SignatureScheme::Rfc9421,
            },
            log: LogSettings {
                format: LogFormat::Text,
                level: "info".to_owned(),
            },
            http: HttpSettings {
                max_body_bytes: 1024 * 1024,
                client_address_header: None,
            },
            delivery: DeliverySettings {
                dead_after: std::time::Duration::from_secs(7 * 24 * 3600),
                parallel_peers: 32,
                lease: std::time::Duration::from_secs(60),
                webhook_retention: std::time::Duration::from_secs(7 * 24 * 3600),
            },
            metrics: MetricsSettings::default(),
            rate_limits: RateLimitSettings::default(),
        }
    }
}

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

impl Settings {
    /// Reads settings: defaults, then the file (`path`, or `passerelle.toml`
    /// when present), then the environment.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_from(path, Env::prefixed(ENV_PREFIX).split("__"))
    }

    fn load_from(path: Option<&Path>, env: Env) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let file = match path {
            Some(explicit) => Some(explicit.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        if let Some(file) = &file {
            // Figment treats a missing file as empty; an explicit path must exist.
            let text = std::fs::read_to_string(file).map_err(|e| ConfigError::Unreadable {
                path: file.clone(),
                reason: e.to_string(),
            })?;
            figment = figment.merge(Toml::string(&text));
        }
        let settings: Settings = figment
            .merge(env)
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e, file.as_deref())))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what serde cannot: URL shapes, the slug, the database scheme.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = &self.public_url;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::BadValue {
                key: "public_url",
                reason: format!("scheme must be http or https, not `{}`", url.scheme()),
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ConfigError::BadValue {
                key: "public_url",
                reason: "a host is required".to_owned(),
            });
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError::BadValue {
                key: "public_url",
                reason: "must be an origin such as https://node.example.org, without path, query or fragment".to_owned(),
            });
        }
        let slug = &self.platform.slug;
        let slug_ok = !slug.is_empty()
            && slug.len() <= 64
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !slug_ok {
            return Err(ConfigError::BadValue {
                key: "platform.slug",
                reason: "1 to 64 characters among a-z, 0-9, `_` and `-`".to_owned(),
            });
        }
        if self.platform.name.trim().is_empty() {
            return Err(ConfigError::BadValue {
                key: "platform.name",
                reason: "must not be empty".to_owned(),
            });
        }
        self.database_kind()?;
        for (key, domains) in [
            ("federation.blocklist", &self.federation.blocklist),
            ("federation.allowlist", &self.federation.allowlist),
        ] {
            if let Some(bad) = domains.iter().find(|d| !valid_domain(d)) {
                return Err(ConfigError::BadValue {
                    key,
                    reason: format!("`{bad}` is not a domain name (host or host:port, no scheme)"),
                });
            }
        }
        if self.federation.max_body_bytes < 1024 {
            return Err(ConfigError::BadValue {
                key: "federation.max_body_bytes",
                reason: "must be at least 1024".to_owned(),
            });
        }
        if self.delivery.parallel_peers == 0 {
            return Err(ConfigError::BadValue {
                key: "delivery.parallel_peers",
                reason: "must be at least 1".to_owned(),
            });
        }
        if self.delivery.lease < std::time::Duration::from_secs(2) {
            return Err(ConfigError::BadValue {
                key: "delivery.lease",
                reason: "must be at least 2s".to_owned(),
            });
        }
        if self
            .metrics
            .token
            .as_deref()
            .is_some_and(|token| token.len() < 16)
        {
            return Err(ConfigError::BadValue {
                key: "metrics.token",
                reason: "must be at least 16 characters".to_owned(),
            });
        }
        if self.http.max_body_bytes < 1024 {
            return Err(ConfigError::BadValue {
                key: "http.max_body_bytes",
                reason: "must be at least 1024".to_owned(),
            });
        }
        Ok(())
    }

    pub fn database_kind(&self) -> Result<DatabaseKind, ConfigError> {
        let url = &self.database_url;
        if url.starts_with("sqlite:") {
            Ok(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else {
            Err(ConfigError::BadValue {
                key: "database_url",
                reason: "must start with sqlite: or postgres://".to_owned(),
            })
        }
    }

    /// The `host[:port]` part of the public URL, as used in handles.
    pub fn public_host(&self) -> String {
        let host = self.public_url.host_str().unwrap_or_default();
        match self.public_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// An absolute URL under the public origin.
    pub fn url_for(&self, path: &str) -> Url {
        self.public_url
            .join(path)
            .unwrap_or_else(|_| self.public_url.clone())
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

fn valid_domain(domain: &str) -> bool {
    let domain = domain.strip_prefix("*.").unwrap_or(domain);
    !domain.is_empty()
        && domain.len() <= 253
        && !domain.contains("://")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_states_the_defaults() {
        let example = load_toml(include_str!("../passerelle.example.toml")).expect("loads");
        assert_eq!(example, Settings::default());
    }

    #[test]
    fn short_metrics_token_and_bad_rules_are_named() {
        let error = load_toml("[metrics]\ntoken = \"short\"\n").unwrap_err();
        assert!(error.to_string().contains("metrics.token"), "{error}");
        assert!(load_toml("[federation]\nblocklist = [\"*.example.org\"]\n").is_ok());
        let error = load_toml("[federation]\nblocklist = [\"https://x.org\"]\n").unwrap_err();
        assert!(error.to_string().contains("blocklist"), "{error}");
    }

    fn load_toml(text: &str) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.toml");
        std::fs::write(&path, text).expect("write");
        Settings::load_from(
            Some(&path),
            Env::prefixed("PASSERELLE_UNIT_TEST_NEVER_SET_"),
        )
    }

    #[test]
    fn defaults_are_valid() {
        let settings = load_toml("").expect("defaults load");
        assert_eq!(settings, Settings::default());
    }

    #[test]
    fn nested_keys_are_read() {
        let settings = load_toml("[platform]\nslug = \"ofn\"\nname = \"OFN\"\n").expect("load");
        assert_eq!(settings.platform.slug, "ofn");
        assert_eq!(settings.platform.name, "OFN");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = load_toml("[platform]\nslugg = \"x\"\n").expect_err("must fail");
        assert!(err.to_string().contains("slugg"), "{err}");
    }

    #[test]
    fn malformed_url_is_named() {
        let err = load_toml("public_url = \"not a url\"\n").expect_err("must fail");
        assert!(err.to_string().contains("public_url"), "{err}");
    }

    #[test]
    fn public_url_with_path_is_refused() {
        let err = load_toml("public_url = \"https://x.example/sub\"\n").expect_err("must fail");
        assert!(err.to_string().contains("public_url"), "{err}");
    }

    #[test]
    fn bad_slug_and_database_are_named() {
        let err = load_toml("[platform]\nslug = \"Not Valid\"\n").expect_err("must fail");
        assert!(err.to_string().contains("platform.slug"), "{err}");
        let err = load_toml("database_url = \"mysql://x\"\n").expect_err("must fail");
        assert!(err.to_string().contains("database_url"), "{err}");
    }

    #[test]
    fn public_host_keeps_port() {
        let mut settings = Settings::default();
        assert_eq!(settings.public_host(), "127.0.0.1:8080");
        settings.public_url = Url::parse("https://node.example.org").expect("url");
        assert_eq!(settings.public_host(), "node.example.org");
    }
}
