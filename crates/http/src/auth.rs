//! Bearer-token authentication for `/api/v1`: an extractor per scope, so a
//! handler states the scope it needs in its signature.

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::context::Context;
use crate::domain::tokens::TokenRow;
use crate::domain::tokens::{self, Caller, Scope};
use crate::problem::ApiError;

/// What the rate limiter found for the request's bearer token (`None`:
/// unknown or revoked), so the token is looked up once per request.
#[derive(Clone)]
pub struct TokenLookup(pub Option<TokenRow>);

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
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
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
    Context: FromRef<State>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let token = match parts.extensions.get::<TokenLookup>() {
            Some(TokenLookup(found)) => tokens::authorize(found.clone(), S::SCOPE)?,
            None => {
                let ctx = Context::from_ref(state);
                tokens::authenticate(&ctx, bearer_token(&parts.headers), S::SCOPE).await?
            }
        };
        Ok(Bearer {
            token,
            scope: PhantomData,
        })
    }
}
