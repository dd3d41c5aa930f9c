//! The library's one error type. Each variant says what went wrong in terms
//! a caller can act on; `http::problem` maps it to an RFC 9457 response.

/// A rule a request payload broke: where (a JSON pointer) and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Violation {
    /// A JSON pointer into the payload.
    pub pointer: String,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("none of the accepted media types can be produced; try {0}")]
    NotAcceptable(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("gone: {0}")]
    Gone(String),
    #[error("request body too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("the payload breaks {} rule(s)", .0.len())]
    Unprocessable(Vec<Violation>),
    /// One violation, at a JSON pointer.
    #[error("{1} (at {0})")]
    UnprocessableAt(String, String),
    /// A peer could not be reached or sent something unusable.
    #[error("peer unavailable: {0}")]
    PeerUnavailable(String),
    /// A DFC catalog source could not be read: why, and what happened.
    #[error("DFC source {kind}: {detail}", kind = .0.as_str(), detail = .1)]
    DfcSource(DfcFailure, String),
    #[error("too many requests: try again in {} s", .0.as_secs().max(1))]
    TooManyRequests(std::time::Duration),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("key material error: {0}")]
    Keys(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A document this node wrote or stored would not (de)serialise. Input
    /// from outside is never converted with `?`: it is refused with a 4xx
    /// where it is read.
    #[error("internal error: JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A URL this node stored does not parse (outside input is refused with
    /// a 4xx where it is read, never converted with `?`).
    #[error("internal error: stored URL: {0}")]
    StoredUrl(#[from] url::ParseError),
}

/// Why a DFC catalog source could not be read; also its metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DfcFailure {
    /// No answer: refused address, connection, timeout.
    Unreachable,
    /// The source answered 401 or 403: the API token is missing or wrong.
    Unauthorized,
    /// Another status than 2xx.
    Status,
    /// Not a DFC graph this node can read, or an item it cannot map.
    Malformed,
}

impl DfcFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            DfcFailure::Unreachable => "unreachable",
            DfcFailure::Unauthorized => "unauthorized",
            DfcFailure::Status => "status",
            DfcFailure::Malformed => "malformed",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The database is out of reach (down, restarting, the network to it
    /// cut) or too busy to take this request in time, rather than refusing
    /// it: worth retrying shortly.
    pub fn is_database_unavailable(&self) -> bool {
        let Error::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(e) => e.code().is_some_and(|code| momentary(&code)),
            _ => false,
        }
    }
}

/// Whether a database error code says "not now" rather than "not this".
/// PostgreSQL's are SQLSTATEs, five characters: class 08 (connection
/// exception), 57P (the server shutting down or starting). SQLite's are
/// numbers of at most four digits, whose low byte is the primary code:
/// BUSY (5) and LOCKED (6), when another writer held the file past the
/// busy timeout.
fn momentary(code: &str) -> bool {
    if code.len() == 5 {
        return code.starts_with("08") || code.starts_with("57P");
    }
    code.parse::<u32>()
        .is_ok_and(|primary| matches!(primary & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use super::momentary;

    #[test]
    fn busy_and_unreachable_databases_are_momentary() {
        // SQLite: BUSY, BUSY_SNAPSHOT, LOCKED; not CONSTRAINT_UNIQUE, IOERR.
        assert!(momentary("5") && momentary("517") && momentary("6"));
        assert!(!momentary("2067") && !momentary("10"));
        // PostgreSQL: connection failure, admin shutdown; not a unique
        // violation, nor a code whose number would end like SQLite's busy.
        assert!(momentary("08006") && momentary("57P01"));
        assert!(!momentary("23505") && !momentary("22021"));
    }
}
