//! Timestamps as the wire writes them: XML Schema dateTime, UTC, with
//! milliseconds (receivers order updates by them; seconds are too coarse).

use chrono::{DateTime, SecondsFormat, Utc};

pub fn format_millis(millis: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A date-time (RFC 3339) in milliseconds since the epoch; none when it
/// cannot be read.
pub fn parse_millis(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// A time an admin typed, in milliseconds: RFC 3339, a `datetime-local`
/// (`2026-12-03T18:30`, UTC) or a date (`2026-12-03`, its start, or with
/// `end_of_day` the start of the next day); none when it cannot be read.
pub fn parse_bound(text: &str, end_of_day: bool) -> Option<i64> {
    let text = text.trim();
    if let Some(millis) = parse_millis(text) {
        return Some(millis);
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let day = if end_of_day { day.succ_opt()? } else { day };
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The `created` of an integrity proof: now, to the second. Verifiers
/// re-serialise it before hashing (Fedify as a Temporal instant, which
/// drops trailing zeros of a fraction): whole seconds read back the same
/// everywhere, milliseconds do not (`.120Z` comes back as `.12Z`).
pub fn proof_created() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Whether the date-time `candidate` is later than `held` (RFC 3339 of
/// any precision; unreadable dates compare as text).
pub fn is_later(candidate: &str, held: &str) -> bool {
    match (
        DateTime::parse_from_rfc3339(candidate),
        DateTime::parse_from_rfc3339(held),
    ) {
        (Ok(candidate), Ok(held)) => candidate > held,
        _ => candidate > held,
    }
}

/// A duration in whole milliseconds, as the store keeps times; saturates
/// rather than wrapping (no duration here comes near).
pub fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A duration in whole seconds, saturating like `millis`.
pub fn secs(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
