//! Structured logs through `tracing`: human-readable text by default, JSON
//! lines for log collectors (`log.format = "json"`). `RUST_LOG` overrides
//! the configured level.

use tracing_subscriber::EnvFilter;

use passerelle_config::{LogFormat, LogSettings};

/// Installs the global subscriber; later calls (tests starting several
/// nodes in one process) keep the first one.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _already_set = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
