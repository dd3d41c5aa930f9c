//! Bearer-token authentication for `/api/v1`: an extractor per scope, so a
//! handler states the scope it needs in its signature.

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use crate::domain::tokens::{self, Caller, Scope};
use crate::error::Error;
use crate::node::AppContext;

pub trait RequiredScope {
    const SCOPE: Scope;
}

pub struct PlatformScope;
impl RequiredScope for PlatformScope {
    const SCOPE: Scope = Scope::Platform;
}

pub struct AdminScope;
impl RequiredScope for AdminScope {
    const SCOPE: Scope = Scope::Admin;
}

/// An authenticated caller holding a token of scope `S`.
pub struct Bearer<S: RequiredScope> {
    pub token: Caller,
    scope: PhantomData<S>,
}

pub type PlatformToken = Bearer<PlatformScope>;
pub type AdminToken = Bearer<AdminScope>;

/// The token of an `Authorization: Bearer` header, if there is one.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<S, State> FromRequestParts<State> for Bearer<S>
where
    S: RequiredScope + Send + Sync,
    State: Send + Sync,
    AppContext: FromRef<State>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let ctx = AppContext::from_ref(state);
        let token = tokens::authenticate(&ctx, bearer_token(parts), S::SCOPE).await?;
        Ok(Bearer {
            token,
            scope: PhantomData,
        })
    }
}
