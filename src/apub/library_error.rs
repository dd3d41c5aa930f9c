//! The federation library's errors in our terms: `LibraryError` is the
//! error of our implementations of its traits (a type of this crate, so
//! that the library's errors convert into it: `From` between two other
//! crates' types is not ours to write), and `from_library` maps them.

use crate::error::Error;

/// The error of our implementations of the federation library's `Object`:
/// ours, wrapped in a type of this crate so that the library's own errors
/// convert into it (`From` between two other crates' types is not ours to
/// write).
#[derive(Debug)]
pub struct LibraryError(pub Error);

impl std::fmt::Display for LibraryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<activitypub_federation::error::Error> for LibraryError {
    fn from(error: activitypub_federation::error::Error) -> LibraryError {
        LibraryError(from_library(error))
    }
}

impl From<serde_json::Error> for LibraryError {
    fn from(error: serde_json::Error) -> LibraryError {
        LibraryError(error.into())
    }
}

impl From<LibraryError> for Error {
    fn from(error: LibraryError) -> Error {
        error.0
    }
}

/// The federation library's error in our terms. (A function, not `From`:
/// both types belong to other crates.)
pub fn from_library(error: activitypub_federation::error::Error) -> Error {
    {
        use activitypub_federation::error::Error as Federation;
        match error {
            Federation::ActivitySignatureInvalid => Error::Unauthorized(
                "the HTTP signature does not verify with the actor's key".into(),
            ),
            Federation::ActivityBodyDigestInvalid => {
                Error::BadRequest("the Digest header does not match the body".into())
            }
            Federation::ParseReceivedActivity { err, .. } => {
                Error::BadRequest(format!("not an activity this node understands: {err}"))
            }
            Federation::UrlVerificationError(why) => Error::Forbidden(why.to_owned()),
            Federation::NotFound => Error::NotFound("no such object".into()),
            other @ (Federation::Reqwest(_)
            | Federation::ReqwestMiddleware(_)
            | Federation::FetchInvalidContentType(_)
            | Federation::FetchWrongId(_)
            | Federation::ParseFetchedObject(..)
            | Federation::RequestLimit
            | Federation::ResponseBodyLimit
            | Federation::ObjectDeleted(_)
            | Federation::DomainResolveError(_)
            | Federation::ResolveInternalIpError(..)
            | Federation::WebfingerResolveFailed(_)) => Error::PeerUnavailable(other.to_string()),
            other => Error::Internal(other.to_string()),
        }
    }
}
