//! Problem documents (RFC 9457, `application/problem+json`) as OpenAPI
//! responses: one type per answer a handler can fail with, named in its
//! `responses(...)`, so each status is described once.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::RefOr;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::Ref;

use crate::problem::PROBLEM_JSON;

fn problems(answers: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    answers
        .iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            let response = ResponseBuilder::new()
                .description(*description)
                .content(PROBLEM_JSON, content)
                .build();
            (status.to_string(), response.into())
        })
        .collect()
}

macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident => [$(($status:literal, $description:literal)),+];)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                problems(&[$(($status, $description)),+])
            }
        }
    )*};
}

problem_responses! {
    /// What every operation behind a bearer token can answer.
    TokenRefused => [
        (401, "No token, or an unknown or revoked one"),
        (403, "The token lacks the scope")
    ];
    BadRequest => [(400, "Malformed request (bad JSON, bad id, bad cursor, bad filter)")];
    NotFound => [(404, "No such resource")];
    Conflict => [(409, "Conflict with the resource's state (a deleted id cannot be reused)")];
    Gone => [(410, "The object was deleted")];
    NotAcceptable => [(406, "A DFC graph was asked for a collection other than offers")];
    PayloadTooLarge => [(413, "Body too large")];
    UnsupportedMediaType => [(415, "Body is not application/json")];
    Unprocessable => [(422, "Schema violations, each with its JSON pointer")];
    PeerUnreachable => [(502, "The peer could not be reached or resolved")];
}
