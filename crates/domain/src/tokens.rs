//! API tokens: who may call the platform API and the admin API. A token is
//! shown once, when created; the node keeps only its SHA-256 (tokens are
//! 256 random bits, so a fast hash is as good as a slow one here).

use crate::model::TokenId;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::Store;
pub use crate::store::TokenRow;

/// Prefix that makes Passerelle tokens recognisable (for secret scanners).
const TOKEN_PREFIX: &str = "psl_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The platform pushing its data and reading the catalog.
    Platform,
    /// The node's administrators: follows, approvals, exclusions.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Platform => "platform",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "platform" => Some(Scope::Platform),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// What is stored of a secret: its SHA-256, hex.
pub(crate) fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 32 random bytes from the OS, hex.
pub fn random_secret() -> String {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    hex::encode(secret)
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Creates a token and returns its secret, the only time it is visible.
pub async fn create(store: &Store, name: &str, scope: Scope) -> Result<String> {
    if !valid_name(name) {
        return Err(Error::BadRequest(
            "a token name is 1 to 64 characters among letters, digits, `-`, `_` and `.`".into(),
        ));
    }
    let token = format!("{TOKEN_PREFIX}{}", random_secret());
    store
        .insert_token(name, scope.as_str(), &hash(&token))
        .await?;
    Ok(token)
}

pub async fn list(store: &Store) -> Result<Vec<TokenRow>> {
    store.list_tokens().await
}

pub async fn revoke(store: &Store, name: &str) -> Result<()> {
    if store.revoke_token(name).await? {
        Ok(())
    } else {
        Err(Error::NotFound(format!("no active token named `{name}`")))
    }
}

/// Who presented an active token: the token's name (what the audit log
/// records) and scope.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: TokenId,
    pub name: String,
    pub scope: Scope,
}

/// The token presented in an `Authorization: Bearer` header, if it is
/// active and has the required scope.
pub async fn authenticate(
    ctx: &Context,
    presented: Option<&str>,
    required: Scope,
) -> Result<Caller> {
    let presented = presented.ok_or_else(|| {
        Error::Unauthorized(
            "send `Authorization: Bearer TOKEN` (create one with `passerelle token create`)".into(),
        )
    })?;
    authorize(lookup(ctx, presented).await?, required)
}

/// The active token whose secret was presented, if any. Looked up once
/// per request, by the rate limiter, which keys on whether it verifies.
pub async fn lookup(ctx: &Context, presented: &str) -> Result<Option<TokenRow>> {
    ctx.store.active_token(&hash(presented)).await
}

/// The caller for a looked-up token, if it has the required scope.
pub fn authorize(found: Option<TokenRow>, required: Scope) -> Result<Caller> {
    let token = found.ok_or_else(|| Error::Unauthorized("unknown or revoked token".into()))?;
    if token.scope != required.as_str() {
        return Err(Error::Forbidden(format!(
            "this endpoint needs a token with scope `{}`; this one has scope `{}`",
            required.as_str(),
            token.scope
        )));
    }
    Ok(Caller {
        token_id: token.id,
        name: token.name,
        scope: required,
    })
}
