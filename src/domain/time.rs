//! Timestamps as the wire writes them: XML Schema dateTime, UTC, seconds.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn format_millis(millis: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}
