//! API tokens: who may call the platform API and the admin API. A token is
//! shown once, when created; the node keeps only its SHA-256 (tokens are
//! 256 random bits, so a fast hash is as good as a slow one here).

use crate::model::TokenId;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::listing::{Page, PageRequest};
use crate::model::time::format_millis;
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
    let token = new_secret(name)?;
    store
        .insert_token(name, scope.as_str(), &hash(&token))
        .await?;
    Ok(token)
}

/// A new token's secret, checked name first: what `create` and
/// `create_recorded` store the hash of.
fn new_secret(name: &str) -> Result<String> {
    if !valid_name(name) {
        return Err(Error::BadRequest(
            "a token name is 1 to 64 characters among letters, digits, `-`, `_` and `.`".into(),
        ));
    }
    Ok(format!("{TOKEN_PREFIX}{}", random_secret()))
}

/// Creates a token inside `tx`, with its audit entry; returns its id and
/// its secret, the only time the secret is visible.
pub(crate) async fn create_in(
    tx: &mut crate::store::ChangeTx,
    name: &str,
    scope: Scope,
    decided_by: &str,
) -> Result<(TokenId, String)> {
    let token = new_secret(name)?;
    let id = tx.insert_token(name, scope.as_str(), &hash(&token)).await?;
    let detail = format!("token `{name}`, scope {}", scope.as_str());
    audit::record(tx, audit::Event::TokenCreated, None, decided_by, &detail).await?;
    Ok((id, token))
}

/// Creates a token as an admin's decision, recorded in the audit log with
/// it; returns its secret, the only time it is visible.
pub async fn create_recorded(
    store: &Store,
    name: &str,
    scope: Scope,
    decided_by: &str,
) -> Result<String> {
    let mut tx = store.begin_change().await?;
    let (_, token) = create_in(&mut tx, name, scope, decided_by).await?;
    tx.commit().await?;
    Ok(token)
}

/// Revokes the active token with this id (`Ok`) or name (`Err`) as an
/// admin's decision, recorded in the audit log with it. Calls with it
/// are refused from then on and the console sessions opened with it end.
pub async fn revoke_recorded(
    store: &Store,
    which: std::result::Result<TokenId, &str>,
    decided_by: &str,
) -> Result<TokenRow> {
    let mut tx = store.begin_change().await?;
    let token = tx.revoke_token(which).await?.ok_or_else(|| {
        Error::NotFound(match which {
            Ok(id) => format!("no active token with id {id}"),
            Err(name) => format!("no active token named `{name}`"),
        })
    })?;
    let detail = format!("token `{}`, scope {}", token.name, token.scope);
    audit::record(
        &mut tx,
        audit::Event::TokenRevoked,
        None,
        decided_by,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// A token as the console lists it (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    pub id: TokenId,
    pub name: String,
    pub scope: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Tokens newest first, revoked ones included: the page before the cursor.
pub async fn page(store: &Store, request: &PageRequest) -> Result<Page<TokenView>> {
    let rows = store
        .tokens_before(request.cursor, request.limit + 1)
        .await?;
    Ok(Page::of_rows(
        rows,
        request.limit,
        |row| row.id.0,
        |row| TokenView {
            id: row.id,
            name: row.name.clone(),
            scope: row.scope.clone(),
            created_at: format_millis(row.created_at),
            last_used_at: row.last_used_at.map(format_millis),
            revoked_at: row.revoked_at.map(format_millis),
        },
    ))
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
