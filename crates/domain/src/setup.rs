//! First sign-in without a shell: while the node has no active admin
//! token, `passerelle serve` prints a one-time setup link. Opening it and
//! confirming creates the first admin token and opens a console session;
//! the link then never works again. Only the link secret's SHA-256 is
//! stored. Each start without an admin token prints a new link (the older
//! ones stay valid until they expire); using one spends them all, in one
//! change with the token it creates, so across replicas one link is used
//! once and one first token is created.

use std::time::Duration;

use url::Url;

use crate::context::Context;
use crate::error::Result;
use crate::sessions::{self, OpenedSession};
use crate::store::now_millis;
use crate::tokens::{self, Scope};

/// How long a setup link works after it is printed.
pub const SETUP_LINK_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Where setup links point, followed by the secret.
pub const SETUP_PATH: &str = "/admin/setup/";
/// The name of the admin token a setup link creates.
pub const FIRST_TOKEN_NAME: &str = "admin";
/// How the audit log names who created the first token.
const DECIDED_BY: &str = "setup link";

/// A new setup link when the node has no active admin token (none when
/// it has one). The caller prints it; it is not kept anywhere else.
pub async fn issue(ctx: &Context) -> Result<Option<Url>> {
    if ctx.store.has_admin_token().await? {
        return Ok(None);
    }
    let secret = tokens::random_secret();
    let expires_at = now_millis() + crate::model::time::millis(SETUP_LINK_LIFETIME);
    ctx.store
        .insert_setup_link(&tokens::hash(&secret), expires_at)
        .await?;
    Ok(Some(ctx.settings.url_for(&format!("{SETUP_PATH}{secret}"))))
}

/// What a setup link can do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// It creates the first admin token when confirmed.
    Usable,
    /// No such link (mistyped, or swept after it expired).
    Unknown,
    /// It was used (or another link was).
    Used,
    /// It is older than `SETUP_LINK_LIFETIME`.
    Expired,
    /// The node has an admin token: sign in with it instead.
    AdminExists,
}

/// The state of the link with this secret. Reads only.
pub async fn state(ctx: &Context, secret: &str) -> Result<LinkState> {
    let Some(link) = ctx.store.setup_link(&tokens::hash(secret)).await? else {
        return Ok(LinkState::Unknown);
    };
    Ok(if link.used_at.is_some() {
        LinkState::Used
    } else if ctx.store.has_admin_token().await? {
        LinkState::AdminExists
    } else if link.expires_at <= now_millis() {
        LinkState::Expired
    } else {
        LinkState::Usable
    })
}

/// What a used setup link gave: the first admin token (shown once) and
/// the console session opened with it.
pub struct SetUp {
    pub token: String,
    pub session: OpenedSession,
}

/// Uses the link: in one change, spends it (only if unused and unexpired)
/// and every other pending link, checks that no admin token exists,
/// creates the first admin token (audited) and opens a session. `None`
/// when the link cannot be used (`state` says why); nothing changed then.
pub async fn redeem(ctx: &Context, secret: &str) -> Result<Option<SetUp>> {
    let mut tx = ctx.store.begin_change().await?;
    if !tx.spend_setup_link(&tokens::hash(secret)).await? || tx.has_admin_token().await? {
        return Ok(None);
    }
    let (id, token) =
        tokens::create_in(&mut tx, FIRST_TOKEN_NAME, Scope::Admin, DECIDED_BY).await?;
    let session = sessions::open_in(&mut tx, id, FIRST_TOKEN_NAME).await?;
    tx.commit().await?;
    tracing::info!(
        token = FIRST_TOKEN_NAME,
        "setup link used: first admin token created"
    );
    Ok(Some(SetUp { token, session }))
}
