//! The settings themselves: one struct per section of the file, and the
//! defaults the example file states.

use std::net::SocketAddr;

use passerelle_model::SharingScope;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{ConfigError, DatabaseKind};

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
    /// DFC catalogs (Open Food Network) imported as offers.
    #[serde(default)]
    pub dfc: DfcSettings,
    /// How the admin console shows what it shows.
    #[serde(default)]
    pub console: ConsoleSettings,
    /// Where each value came from (recorded by `Settings::load`).
    #[serde(skip)]
    pub sources: crate::Sources,
}

/// The admin console's presentation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// The IANA time zone the console shows times in (`Europe/Paris`);
    /// each time keeps its UTC value on hover.
    pub time_zone: String,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            time_zone: "UTC".to_owned(),
        }
    }
}

/// The DFC bridge's sources.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct DfcSettings {
    /// `[[dfc.sources]]`: each catalog is imported at start, then every
    /// `interval`.
    #[serde(default)]
    pub sources: Vec<DfcSourceSettings>,
}

/// One DFC catalog to import.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DfcSourceSettings {
    /// The catalog's URL, e.g. OFN's
    /// `https://HOST/api/dfc/enterprises/ID/catalog_items`.
    pub catalog_url: Url,
    /// The API key sent in `X-Api-Token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token: Option<String>,
    /// The environment variable holding the API key instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token_env: Option<String>,
    /// Time between two runs (at least 1 s; default 1 h).
    #[serde(with = "humantime_serde", default = "default_dfc_interval")]
    pub interval: std::time::Duration,
}

fn default_dfc_interval() -> std::time::Duration {
    std::time::Duration::from_secs(3600)
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
    /// `/api/*` calls without a token that verifies (none, a malformed one,
    /// an unknown or revoked one), per client address: rotating made-up
    /// tokens does not escape it.
    pub api_per_address: Rate,
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
            api_per_address: Rate::new(600, 100),
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
    /// Requests in flight to one peer at most (1..=64): the ceiling of its
    /// window, which halves when the peer says to slow down.
    pub in_flight: usize,
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
    /// New key fetches (actor and key documents) per origin in each
    /// `key_fetch_window`, however many key ids it names: past it, an
    /// unknown signer reads as a stranger and an inbox POST gets 429.
    pub key_fetches_per_origin: u32,
    /// Which HTTP signature to try first with a server not known yet;
    /// the other follows a 400 or 401 ("double knocking"), and what worked
    /// is remembered per origin. Other Passerelle nodes get RFC 9421 with
    /// Ed25519 at once.
    pub first_signature: SignatureScheme,
    /// What a follower receives until the admin sets its own scope.
    pub default_scope: SharingScope,
    /// A withdrawal (a `Delete` sent to a peer that held the object) that
    /// the peer has not acknowledged with a receipt within this is overdue.
    #[serde(with = "humantime_serde")]
    pub removal_deadline: std::time::Duration,
    /// How often what peers shared under terms with a retention is checked,
    /// and what is past it leaves the catalog.
    #[serde(with = "humantime_serde")]
    pub retention_check_every: std::time::Duration,
    /// The networks this node belongs to, each named by its charter's URI
    /// (`https://host/charters/{id}`): `network` admission applies their
    /// member directories.
    pub networks: Vec<Url>,
    /// How often the member directory of each network is fetched again
    /// (a change the host announces is applied at once).
    #[serde(with = "humantime_serde")]
    pub network_sync_every: std::time::Duration,
    /// After `passerelle move`, how long the old address redirects its
    /// objects and collections to the new one; then it answers 410 Gone
    /// (its actor keeps saying `movedTo`).
    #[serde(with = "humantime_serde")]
    pub moved_redirect_for: std::time::Duration,
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
    /// The networks named in `federation.networks` decide: their members
    /// (each charter host's signed member directory) are followed and
    /// approved, members the network removed are excluded; others wait
    /// for an admin.
    Network,
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
    /// for the per-address rate limits. It is believed only on connections
    /// from a loopback or private address (where a proxy sits) and only
    /// when it holds an IP address; otherwise, and when unset, the peer
    /// address of the connection is used.
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
                key_fetches_per_origin: 10,
                first_signature: SignatureScheme::Rfc9421,
                default_scope: SharingScope::default(),
                removal_deadline: std::time::Duration::from_secs(24 * 3600),
                retention_check_every: std::time::Duration::from_secs(3600),
                networks: Vec::new(),
                network_sync_every: std::time::Duration::from_secs(600),
                moved_redirect_for: std::time::Duration::from_secs(90 * 24 * 3600),
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
                in_flight: 8,
                lease: std::time::Duration::from_secs(60),
                webhook_retention: std::time::Duration::from_secs(7 * 24 * 3600),
            },
            metrics: MetricsSettings::default(),
            rate_limits: RateLimitSettings::default(),
            dfc: DfcSettings::default(),
            sources: crate::Sources::default(),
            console: ConsoleSettings::default(),
        }
    }
}

impl Settings {
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
