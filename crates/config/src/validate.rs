//! What serde cannot check: URL shapes, the slug, the database scheme,
//! domain rules and lower bounds, one check per section of the file.

use crate::{ConfigError, Settings};

impl Settings {
    /// Checks what serde cannot: URL shapes, the slug, the database scheme.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_public_url()?;
        self.validate_platform()?;
        self.database_kind()?;
        self.validate_federation()?;
        self.validate_delivery()?;
        self.validate_metrics()?;
        self.validate_dfc()?;
        self.validate_console()?;
        self.validate_http()
    }

    fn validate_console(&self) -> Result<(), ConfigError> {
        let zone = &self.console.time_zone;
        if zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ConfigError::BadValue {
                key: "console.time_zone",
                reason: format!("`{zone}` is not an IANA time zone (such as `Europe/Paris`)"),
            });
        }
        Ok(())
    }

    fn validate_dfc(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for source in &self.dfc.sources {
            if !seen.insert(source.catalog_url.as_str()) {
                return Err(ConfigError::BadValue {
                    key: "dfc.sources.catalog_url",
                    reason: format!("`{}` is listed twice", source.catalog_url),
                });
            }
            if !matches!(source.catalog_url.scheme(), "http" | "https") {
                return Err(ConfigError::BadValue {
                    key: "dfc.sources.catalog_url",
                    reason: format!("`{}` is not an http(s) URL", source.catalog_url),
                });
            }
            if source.api_token.is_some() && source.api_token_env.is_some() {
                return Err(ConfigError::BadValue {
                    key: "dfc.sources.api_token",
                    reason: "give api_token or api_token_env, not both".to_owned(),
                });
            }
            if source.interval < std::time::Duration::from_secs(1) {
                return Err(ConfigError::BadValue {
                    key: "dfc.sources.interval",
                    reason: "at least 1s".to_owned(),
                });
            }
        }
        Ok(())
    }

    fn validate_public_url(&self) -> Result<(), ConfigError> {
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
        Ok(())
    }

    fn validate_platform(&self) -> Result<(), ConfigError> {
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
        Ok(())
    }

    fn validate_federation(&self) -> Result<(), ConfigError> {
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
        if self.federation.retention_check_every < std::time::Duration::from_secs(1) {
            return Err(ConfigError::BadValue {
                key: "federation.retention_check_every",
                reason: "at least 1s".to_owned(),
            });
        }
        if self.federation.network_sync_every < std::time::Duration::from_secs(1) {
            return Err(ConfigError::BadValue {
                key: "federation.network_sync_every",
                reason: "at least 1s".to_owned(),
            });
        }
        if self.federation.admission == crate::Admission::Network
            && self.federation.networks.is_empty()
        {
            return Err(ConfigError::BadValue {
                key: "federation.networks",
                reason: "`network` admission needs at least one network (a charter URI)".to_owned(),
            });
        }
        Ok(())
    }

    fn validate_delivery(&self) -> Result<(), ConfigError> {
        if self.delivery.parallel_peers == 0 {
            return Err(ConfigError::BadValue {
                key: "delivery.parallel_peers",
                reason: "must be at least 1".to_owned(),
            });
        }
        if !(1..=64).contains(&self.delivery.in_flight) {
            return Err(ConfigError::BadValue {
                key: "delivery.in_flight",
                reason: format!(
                    "must be between 1 and 64 requests in flight per peer, not {}",
                    self.delivery.in_flight
                ),
            });
        }
        if self.delivery.lease < std::time::Duration::from_secs(2) {
            return Err(ConfigError::BadValue {
                key: "delivery.lease",
                reason: "must be at least 2s".to_owned(),
            });
        }
        Ok(())
    }

    fn validate_metrics(&self) -> Result<(), ConfigError> {
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
        Ok(())
    }

    fn validate_http(&self) -> Result<(), ConfigError> {
        if self.http.max_body_bytes < 1024 {
            return Err(ConfigError::BadValue {
                key: "http.max_body_bytes",
                reason: "must be at least 1024".to_owned(),
            });
        }
        Ok(())
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
