//! Governance from the command line: follow and unfollow peers, decide on
//! follow requests, exclude and re-include peers, rotate the signing key.
//! Commands record their decisions in the database; a running node sends
//! the resulting messages to the peers within a second.

use clap::Subcommand;
use passerelle_model::RequestId;

use crate::domain::peers::{self, PeerView};
use crate::domain::{follows, identity, outgoing};
use crate::model::time::format_millis;
use crate::model::{FollowerState, FollowingState};
use crate::node::Node;
use passerelle_config::Settings;

/// Who the audit log names for decisions taken here.
pub(super) fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli ({user})")
}

#[derive(Subcommand)]
pub enum RequestsCommand {
    /// List follow requests (pending ones unless --all)
    List {
        #[arg(long)]
        all: bool,
    },
    /// Approve a request: the peer becomes a follower
    Approve { id: RequestId },
    /// Reject a request (or remove a follower)
    Reject {
        id: RequestId,
        /// Told to the peer and kept in the audit log
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum PeersCommand {
    /// Every known peer with the relationship in both directions
    List,
    /// Exclude a peer (id, @name@host or actor URL): it stops following, we
    /// stop following it, and its domain is refused
    Exclude {
        target: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift an exclusion
    Reinclude { target: String },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Replace the RSA key that signs HTTP requests (or, with --ed25519,
    /// the key that signs integrity proofs) and announce it to peers.
    /// Stop the node first; start it again afterwards.
    Rotate {
        /// Rotate the RSA key (what a plain `keys rotate` does)
        #[arg(long, conflicts_with = "ed25519")]
        rsa: bool,
        /// Rotate the Ed25519 proof key: the new key signs under a new
        /// verification method; the old one stays on the actor, revoked
        /// from now on, so everything it signed still verifies
        #[arg(long)]
        ed25519: bool,
    },
}

async fn open(settings: Settings) -> Result<Node, String> {
    Node::open(settings)
        .await
        .map_err(|e| format!("cannot open the node: {e}"))
}

pub async fn follow(settings: Settings, target: String) -> Result<(), String> {
    let node = open(settings).await?;
    let (peer, row) = follows::follow(node.context(), &target, &operator())
        .await
        .map_err(|e| e.to_string())?;
    println!("follow {} ({}): {}", row.id, peer.row.handle, row.state);
    Ok(())
}

pub async fn unfollow(settings: Settings, target: String) -> Result<(), String> {
    let node = open(settings).await?;
    let data = node.context().clone();
    let row = follows::find_follow(&data, &target)
        .await
        .map_err(|e| e.to_string())?;
    follows::unfollow(&data, row.id, &operator())
        .await
        .map_err(|e| e.to_string())?;
    println!("unfollowed {target}");
    Ok(())
}

pub async fn requests(settings: Settings, command: RequestsCommand) -> Result<(), String> {
    let node = open(settings).await?;
    let ctx = node.context();
    match command {
        RequestsCommand::List { all } => {
            let requests = peers::requests(
                ctx,
                if all {
                    None
                } else {
                    Some(FollowerState::Pending)
                },
            )
            .await
            .map_err(|e| e.to_string())?;
            if requests.is_empty() {
                println!("no {}follow requests", if all { "" } else { "pending " });
            }
            for request in requests {
                println!(
                    "#{} {} {} — {} [{}]",
                    request.id,
                    request.peer.handle,
                    request.peer.name,
                    request.state,
                    request.requested_at
                );
                if !request.peer.summary.is_empty() {
                    println!("    {}", request.peer.summary);
                }
                if request.commitments.is_empty() {
                    println!("    charter: no commitment found");
                }
                for commitment in &request.commitments {
                    let proof = if commitment.valid {
                        "valid proof".to_owned()
                    } else {
                        format!(
                            "INVALID proof: {}",
                            commitment.problem.as_deref().unwrap_or("?")
                        )
                    };
                    println!(
                        "    charter: {} ({proof})",
                        commitment.charter.as_deref().unwrap_or("?")
                    );
                }
                if let Some(reason) = &request.reason {
                    println!("    {reason}");
                }
            }
        }
        RequestsCommand::Approve { id } => {
            let row = follows::approve(ctx, id, &operator())
                .await
                .map_err(|e| e.to_string())?;
            println!("request {id}: {}", row.state);
        }
        RequestsCommand::Reject { id, reason } => {
            let row = follows::reject(ctx, id, reason.as_deref(), &operator())
                .await
                .map_err(|e| e.to_string())?;
            println!("request {id}: {}", row.state);
        }
    }
    Ok(())
}

fn describe(peer: &PeerView) -> String {
    let mut line = format!(
        "#{} {} {} — we follow: {}, follows us: {}",
        peer.peer.id,
        peer.peer.handle,
        peer.peer.name,
        peer.following.map_or("no", FollowingState::as_str),
        peer.follower.map_or("no", FollowerState::as_str)
    );
    if let Some(excluded) = &peer.excluded {
        line.push_str(&format!(
            " — EXCLUDED by {} at {}: {}",
            excluded.by, excluded.at, excluded.reason
        ));
    }
    if let Some(delivery) = &peer.delivery {
        line.push_str(&format!(
            " — delivery: backlog {}, last success {}",
            delivery.backlog,
            delivery.last_success_at.as_deref().unwrap_or("never")
        ));
    }
    line
}

pub async fn peers(settings: Settings, command: PeersCommand) -> Result<(), String> {
    let node = open(settings).await?;
    let ctx = node.context();
    match command {
        PeersCommand::List => {
            let peers = peers::list(ctx).await.map_err(|e| e.to_string())?;
            if peers.is_empty() {
                println!("no known peers");
            }
            for peer in peers {
                println!("{}", describe(&peer));
            }
        }
        PeersCommand::Exclude { target, reason } => {
            let peer = peers::find_known(ctx, &target)
                .await
                .map_err(|e| e.to_string())?;
            follows::exclude(ctx, peer.id, &reason, &operator())
                .await
                .map_err(|e| e.to_string())?;
            println!("excluded {} ({})", peer.handle, peer.domain);
        }
        PeersCommand::Reinclude { target } => {
            let peer = peers::find_known(ctx, &target)
                .await
                .map_err(|e| e.to_string())?;
            follows::reinclude(ctx, peer.id, &operator())
                .await
                .map_err(|e| e.to_string())?;
            println!("re-included {} ({})", peer.handle, peer.domain);
        }
    }
    Ok(())
}

pub async fn audit(settings: Settings, limit: i64) -> Result<(), String> {
    let node = open(settings).await?;
    let rows = node
        .context()
        .store
        .audit_before(None, limit)
        .await
        .map_err(|e| e.to_string())?;
    for row in rows {
        println!(
            "{} {:<17} {} — {} (by {})",
            format_millis(row.at),
            row.action,
            row.peer.as_deref().unwrap_or("-"),
            row.detail,
            row.decided_by
        );
    }
    Ok(())
}

pub async fn keys(settings: Settings, command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Rotate { rsa: _, ed25519 } => {
            let store = super::open_store(&settings).await?;
            let rotated = if ed25519 {
                let fragment = identity::rotate_ed25519_key(&store, &operator())
                    .await
                    .map_err(|e| e.to_string())?;
                format!("new Ed25519 proof key #{fragment}")
            } else {
                identity::rotate_rsa_key(&store, &operator())
                    .await
                    .map_err(|e| e.to_string())?;
                "new RSA key".to_owned()
            };
            store.close().await;
            let node = open(settings).await?;
            let told = outgoing::announce_actor(node.context())
                .await
                .map_err(|e| e.to_string())?;
            println!("{rotated} in place; {told} peer(s) will be told when the node next runs");
            Ok(())
        }
    }
}
