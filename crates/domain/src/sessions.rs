//! Web console sessions: an admin token, checked once, exchanged for a
//! random session id (the cookie) with its own CSRF token. A session ends
//! when signed out, after `SESSION_LIFETIME`, or when its token is revoked.

use std::time::Duration;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::now_millis;
use crate::tokens::{self, Caller, Scope};

pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// A session just opened: the cookie value, shown once.
pub struct OpenedSession {
    pub id: String,
    pub token_name: String,
}

/// Opens a session for an admin token; a wrong, revoked or non-admin token
/// is refused with the reason.
pub async fn open(ctx: &Context, presented: &str) -> Result<OpenedSession> {
    let presented = presented.trim();
    if presented.is_empty() {
        return Err(Error::Unauthorized("enter an admin token".into()));
    }
    let token = tokens::authenticate(ctx, Some(presented), Scope::Admin).await?;
    let id = tokens::random_secret();
    ctx.store
        .insert_session(
            &tokens::hash(&id),
            token.token_id,
            &tokens::random_secret(),
            expires_at(),
        )
        .await?;
    Ok(OpenedSession {
        id,
        token_name: token.name,
    })
}

fn expires_at() -> i64 {
    now_millis() + crate::model::time::millis(SESSION_LIFETIME)
}

/// Opens a session inside `tx` for the admin token just created in it
/// (the setup link's first sign-in).
pub(crate) async fn open_in(
    tx: &mut crate::store::ChangeTx,
    token_id: crate::model::TokenId,
    token_name: &str,
) -> Result<OpenedSession> {
    let id = tokens::random_secret();
    tx.insert_session(
        &tokens::hash(&id),
        token_id,
        &tokens::random_secret(),
        expires_at(),
    )
    .await?;
    Ok(OpenedSession {
        id,
        token_name: token_name.to_owned(),
    })
}

/// A live console session: its admin token and its CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub csrf: String,
    pub token: Caller,
}

/// The live session behind a cookie value.
pub async fn find(ctx: &Context, id: &str) -> Result<Option<Session>> {
    Ok(ctx
        .store
        .live_session(&tokens::hash(id))
        .await?
        .map(|row| Session {
            csrf: row.csrf,
            token: Caller {
                token_id: row.token.id,
                name: row.token.name,
                scope: Scope::Admin,
            },
        }))
}

pub async fn close(ctx: &Context, id: &str) -> Result<()> {
    ctx.store.delete_session(&tokens::hash(id)).await
}

/// Whether a submitted CSRF token is the session's (constant time).
pub fn csrf_matches(session: &Session, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    session.csrf.as_bytes().ct_eq(submitted.as_bytes()).into()
}
