//! `passerelle inbox --follow TARGET`: a throw-away actor on a local port,
//! on a database of its own that is removed on exit, that follows the
//! given peers and prints every activity its inbox is sent, with the
//! verdict on its signature, on the proof of the object it carries, and
//! the answer the sender got.

use std::net::SocketAddr;

use clap::Args;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use url::Url;

use super::documents::{check, describe};
use crate::context::inbox_tap::Received;
use crate::domain::follows;
use crate::node::{Node, shutdown_signal};
use passerelle_config::Settings;

#[derive(Args)]
pub struct InboxArgs {
    /// A peer to follow (@name@host or actor URL); repeat for several
    #[arg(long = "follow", value_name = "TARGET", required = true)]
    follow: Vec<String>,
    /// Where the throw-away actor listens (port 0: any free port)
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// The URL the peers reach it at [default: http://LISTEN/]
    #[arg(long, value_name = "URL")]
    public_url: Option<Url>,
    /// Allow reaching loopback and private addresses (a local node)
    #[arg(long)]
    allow_private_addresses: bool,
}

pub async fn run(mut settings: Settings, args: InboxArgs) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let public_url = match args.public_url {
        Some(url) => url,
        None => Url::parse(&format!("http://{bound}/")).map_err(|e| e.to_string())?,
    };
    let dir = std::env::temp_dir().join(format!("passerelle-inbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    settings.database_url = format!("sqlite://{}", dir.join("inbox.db").display());
    settings.listen = bound;
    settings.public_url = public_url.clone();
    settings.platform.slug = "inbox".into();
    settings.platform.name = "passerelle inbox".into();
    settings.federation.allow_private_addresses |= args.allow_private_addresses;
    let outcome = listen(settings, listener, &args.follow).await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn listen(
    settings: Settings,
    listener: tokio::net::TcpListener,
    targets: &[String],
) -> Result<(), String> {
    let node = Node::open(settings)
        .await
        .map_err(|e| format!("cannot open the throw-away node: {e}"))?;
    let ctx = node.context().clone();
    let mut received = ctx.inbox_tap.subscribe();
    let mut serving = tokio::spawn(node.serve(listener, shutdown_signal()));
    println!(
        "listening as @inbox@{} ({}actor); Ctrl-C stops",
        ctx.settings.public_url.authority(),
        ctx.settings.public_url
    );
    for target in targets {
        let (peer, follow) = follows::follow(&ctx, target, "passerelle inbox")
            .await
            .map_err(|e| format!("cannot follow {target}: {e}"))?;
        println!("follow {} sent to {}", follow.id, peer.row.actor_uri);
    }
    loop {
        tokio::select! {
            served = &mut serving => {
                return match served {
                    Ok(result) => result.map_err(|e| e.to_string()),
                    Err(e) => Err(format!("the throw-away node stopped: {e}")),
                };
            }
            event = received.recv() => match event {
                Ok(event) => print(&ctx.http, event).await,
                Err(RecvError::Lagged(missed)) => println!("({missed} activities not shown: printing fell behind)"),
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}

async fn print(client: &passerelle_outbound::Client, event: Received) {
    let activity = &event.activity;
    let actor = activity
        .get("actor")
        .and_then(Value::as_str)
        .unwrap_or("(no actor)");
    println!("\n--- {} from {actor}", describe(activity));
    match &event.signature {
        Ok(signer) => println!("signature: valid, by {signer}"),
        Err(why) => println!("signature: refused: {why}"),
    }
    if event.signature.is_ok() {
        println!("proof: {}", check(client, activity).await);
        if let Some(object) = activity.get("object").filter(|o| o.is_object()) {
            println!(
                "object: {}, proof: {}",
                describe(object),
                check(client, object).await
            );
        }
    }
    match &event.outcome {
        Ok(()) => println!("answer: 202 accepted"),
        Err(why) => println!("answer: refused: {why}"),
    }
    match serde_json::to_string_pretty(activity) {
        Ok(pretty) => println!("{pretty}"),
        Err(e) => println!("(cannot print the activity: {e})"),
    }
}
